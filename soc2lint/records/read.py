"""A record file (YAML, or Markdown with YAML front matter) into nodes and plain data, checked
against its kind's JSON Schema. Values are read as the node tree holds them: a timestamp stays
the text it was written as (never a datetime), so the schemas' patterns apply to what was
written and positions stay exact."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.nodes import Node

KINDS = ("access-reviews", "incidents", "rollback-drills")
SCHEMA_FILES = {
    "access-reviews": "records-access-review.schema.json",
    "incidents": "records-incident.schema.json",
    "rollback-drills": "records-rollback-drill.schema.json",
}
SUFFIXES = {
    "access-reviews": (".yaml", ".yml"),
    "incidents": (".yaml", ".yml", ".md"),
    "rollback-drills": (".yaml", ".yml", ".md"),
}
Step = str | int


@dataclass(frozen=True)
class Record:
    """One record file: its data (None when malformed), its root node, and the first schema
    problem with the route it is at."""

    path: str
    kind: str
    root: Node
    data: Mapping[str, Any] | None
    problem: str = ""
    problem_route: tuple[Step, ...] = ()
    text: str = field(default="", repr=False)
    problem_at_key: bool = False  # point at the key (an unknown key), not at its value


def kind_of(path: str, evidence_dir: str) -> str | None:
    """The record kind of `.soc2/records/<kind>/<name>.<suffix>`, else None."""
    parts = path.split("/")
    prefix = evidence_dir.split("/")
    if parts[: len(prefix)] != prefix:
        return None
    rest = parts[len(prefix) :]
    if len(rest) != 3 or rest[0] != "records" or rest[1] not in KINDS:
        return None
    name = rest[2].lower()
    if name.startswith(("_", ".")) or name == "readme.md":
        return None
    return rest[1] if name.endswith(SUFFIXES[rest[1]]) else None


def front_matter(text: str) -> tuple[str, str | None]:
    """The YAML of a Markdown file's front matter, padded with empty lines so that positions are
    the file's; (text, problem) with a problem when there is none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return "", "a Markdown record starts with YAML front matter between `---` lines"
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").rstrip() in ("---", "..."):
            return "\n" + "".join(lines[1:index]), None
    return "", "the front matter's closing `---` line is missing"


def to_data(node: Node, depth: int = 0) -> Any:
    """Plain data from a node tree: scalars typed by the YAML 1.1 rules, timestamps kept as
    text."""
    if depth > 64:
        raise ValueError("nesting too deep")
    if isinstance(node, nodes.MappingNode):
        return {key: to_data(value, depth + 1) for key, _, value in nodes.items(node)}
    if isinstance(node, nodes.SequenceNode):
        return [to_data(item, depth + 1) for item in node.value]
    return nodes.scalar_value(node)  # type: ignore[arg-type]


@cache
def schema(kind: str) -> Mapping[str, Any]:
    path = Path(__file__).resolve().parent.parent / "schema" / SCHEMA_FILES[kind]
    loaded: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@cache
def _validator(kind: str) -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(schema(kind))


def check(kind: str, data: Any) -> tuple[str, tuple[Step, ...]] | None:
    """The first problem (by place) of `data` against the kind's schema, or None."""
    validator = _validator(kind)
    if validator.is_valid(data):  # the common case: no error objects built, nothing sorted
        return None
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    error = errors[0]
    route = tuple(error.absolute_path)
    where = ".".join(str(p) for p in route) or "the record"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        known = ", ".join(sorted(allowed))
        return f"unknown key {extra[0]!r} in {where} (known: {known})", (*route, extra[0], "@key")
    if error.validator == "required":
        return f"{where}: {error.message}", route
    if error.validator in ("pattern", "enum", "type") and not isinstance(error.instance, dict):
        shown = json.dumps(error.instance)[:60]
        value = error.validator_value
        if error.validator == "type":
            names = [value] if isinstance(value, str) else [t for t in value if t != "null"]
            expected = " or ".join(_ARTICLE.get(str(t), str(t)) for t in names)
        elif error.validator == "enum":
            expected = "one of " + ", ".join(str(v) for v in value if v)
        elif str(value).startswith("^(\\d{4}-\\d{2}-\\d{2}"):
            expected = "a date, YYYY-MM-DD, or an RFC 3339 time, 2026-03-01T10:04:00Z"
        else:
            expected = str(error.schema.get("description") or f"text matching {value}")
        return f"{where}: {shown} is not valid (expected {expected})", route
    return f"{where}: {error.message[:200]}", route


_ARTICLE = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "an integer",
    "number": "a number",
}


def read(path: str, kind: str, root: Node, text: str) -> Record:
    try:
        data = to_data(root)
    except (ValueError, RecursionError) as exc:
        return Record(path, kind, root, None, f"cannot read the record: {exc}", (), text)
    if not isinstance(data, dict):
        return Record(path, kind, root, None, "a record is a mapping of keys to values", (), text)
    problem = check(kind, data)
    if problem is not None:
        route = problem[1]
        at_key = bool(route) and route[-1] == "@key"
        route = route[:-1] if at_key else route
        return Record(path, kind, root, None, problem[0], route, text, at_key)
    return Record(path, kind, root, data, "", (), text)


def node_at(root: Node, route: Sequence[Step]) -> tuple[Step, ...]:
    """The longest prefix of `route` that exists in the tree (where a finding can point)."""
    node = root
    out: list[Step] = []
    for step in route:
        if isinstance(step, int):
            if not isinstance(node, nodes.SequenceNode) or not 0 <= step < len(node.value):
                break
            node = node.value[step]
        else:
            hit = nodes.get(node, step)
            if hit is None:
                break
            node = hit[1]
        out.append(step)
    return tuple(out)
