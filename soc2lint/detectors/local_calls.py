"""Injection through a local call: attacker data passed by `with:` into a local composite action
(`uses: ./path`) or a local reusable workflow (`uses: ./.github/workflows/x.yml`) whose steps
expand `${{ inputs.NAME }}` into a script.

GHA004 sees `${{ github.event.issue.title }}` in a `run:`; it cannot see
`with: {title: ${{ github.event.issue.title }}}` on a step calling `./.github/actions/pr`, whose
`run:` holds `${{ inputs.title }}`. The value is substituted there just the same. This detector
follows the call: it reads the callee from the scanned tree (never running anything), finds
where the input reaches a script (through further local calls too), and reports at the
caller's `with:` value, naming the sink.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from soc2lint.detectors.injection import (
    ATTACKER_CONTROLLED,
    EXPRESSION,
    INPUT,
    _scripts,
    _source_span,
    value_contexts,
)
from soc2lint.formats import nodes
from soc2lint.model import Artifact, Document, Hit

MAX_DEPTH = 4  # local calls followed in a chain (an action calling an action calling ...)
MAX_CALLEE_SIZE = 1 << 20


def _repo_prefix(path: str) -> str:
    """The repository's directory below the scan root: the part of `path` before `.github/`
    (a workflow), or the scan root itself (`./` in `uses:` names the workspace root)."""
    parts = PurePosixPath(path).parts
    if ".github" in parts:
        return "/".join(parts[: parts.index(".github")])
    return ""


@lru_cache(maxsize=256)
def _load(abspath: str) -> nodes.Node | None:
    from soc2lint.formats.yamldoc import parse_yaml

    file = Path(abspath)
    try:
        size = file.stat().st_size
        if size > MAX_CALLEE_SIZE:
            return None
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    parsed = parse_yaml(Artifact(abspath, abspath, "github-action", size), text)
    if parsed.error is not None or not parsed.documents:
        return None
    root: nodes.Node = parsed.documents[0].root
    return root


def _resolve(root: Path, prefix: str, uses: str) -> tuple[str, nodes.Node] | None:
    """(path relative to the scan root, parsed root) of a local `uses: ./x`, inside the scan root."""
    if not uses.startswith("./"):
        return None
    target = uses[2:].split("@", 1)[0].rstrip("/")
    rel = f"{prefix}/{target}" if prefix else target
    base = root.resolve()
    candidates = (
        [rel] if rel.endswith((".yml", ".yaml")) else [f"{rel}/action.yml", f"{rel}/action.yaml"]
    )
    for candidate in candidates:
        full = (root / candidate).resolve()
        if not full.is_relative_to(base) or not full.is_file():
            continue
        tree = _load(str(full))
        if tree is not None:
            return full.relative_to(base).as_posix(), tree
    return None


def _calls(tree: nodes.Node) -> Iterator[tuple[tuple[Any, ...], str, nodes.Node]]:
    """(route of the `with:` mapping, `uses:` value, `with:` mapping) of every local call: steps
    of jobs and composite actions, and jobs calling reusable workflows."""
    jobs = nodes.get(tree, "jobs")
    step_lists: list[tuple[tuple[Any, ...], nodes.Node]] = []
    if jobs:
        for job_id, _k, job in nodes.items(jobs[1]):
            yield from _call(("jobs", job_id), job)
            steps = nodes.get(job, "steps")
            if steps:
                step_lists.append((("jobs", job_id, "steps"), steps[1]))
    runs = nodes.get(tree, "runs")
    steps = nodes.get(runs[1], "steps") if runs else None
    if steps:
        step_lists.append((("runs", "steps"), steps[1]))
    for prefix, steps_node in step_lists:
        if isinstance(steps_node, nodes.SequenceNode):
            for i, step in enumerate(steps_node.value):
                yield from _call(prefix + (i,), step)


def _call(
    route: tuple[Any, ...], node: nodes.Node
) -> Iterator[tuple[tuple[Any, ...], str, nodes.Node]]:
    uses = nodes.get(node, "uses")
    with_ = nodes.get(node, "with")
    if (
        uses
        and with_
        and isinstance(uses[1], nodes.ScalarNode)
        and uses[1].value.startswith("./")
        and isinstance(with_[1], nodes.MappingNode)
    ):
        yield route + ("with",), uses[1].value, with_[1]


def _string_inputs(tree: nodes.Node) -> set[str] | None:
    """Inputs of a reusable workflow that can carry text (None: a composite action, all can)."""
    on = nodes.get(tree, "on")
    if on is None:
        return None
    call = nodes.get(on[1], "workflow_call")
    inputs = nodes.get(call[1], "inputs") if call else None
    names: set[str] = set()
    for name, _k, spec in nodes.items(inputs[1]) if inputs else ():
        kind = nodes.get(spec, "type")
        if not (kind and isinstance(kind[1], nodes.ScalarNode)) or kind[1].value == "string":
            names.add(name)
    return names


def _input_refs(text: str) -> set[str]:
    """Names of `inputs.NAME` whose text an expression in `text` can carry."""
    out: set[str] = set()
    for expr in EXPRESSION.finditer(text):
        for context in value_contexts(expr.group(1)):
            m = INPUT.match(context)
            if m and context.startswith("inputs."):
                out.add(m.group(1))
    return out


def sinks(
    root: Path, prefix: str, path: str, tree: nodes.Node, depth: int = 0
) -> dict[str, list[str]]:
    """For each input of the callee `tree` (at `path`), the scripts its text is expanded into:
    `path:line` of each, following further local calls."""
    out: dict[str, list[str]] = {}
    allowed = _string_inputs(tree)
    for _route, scalar in _scripts(tree):
        for name in _input_refs(scalar.value):
            if allowed is None or name in allowed:
                out.setdefault(name, []).append(f"{path}:{scalar.start_mark.line + 1}")
    if depth >= MAX_DEPTH:
        return out
    for _route, uses, with_ in _calls(tree):
        passed = {
            key: _input_refs(value.value)
            for key, _k, value in nodes.items(with_)
            if isinstance(value, nodes.ScalarNode)
        }
        if not any(passed.values()):
            continue
        callee = _resolve(root, prefix, uses)
        if callee is None:
            continue
        inner = sinks(root, prefix, callee[0], callee[1], depth + 1)
        for key, names in passed.items():
            for name in names:
                if allowed is None or name in allowed:
                    out.setdefault(name, []).extend(inner.get(key, []))
    return {name: places for name, places in out.items() if places}


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    if context is None:
        return
    root = Path(context.root)
    prefix = _repo_prefix(str(params.get("_path", "")))
    for route, uses, with_ in _calls(doc.root):
        tainted: list[tuple[str, nodes.ScalarNode, str, str]] = []
        for key, _k, value in nodes.items(with_):
            if not isinstance(value, nodes.ScalarNode):
                continue
            for expr in EXPRESSION.finditer(value.value):
                found = next(
                    (c for c in value_contexts(expr.group(1)) if ATTACKER_CONTROLLED.match(c)), None
                )
                if found:
                    tainted.append((key, value, expr.group(0), found))
                    break
        if not tainted:
            continue
        callee = _resolve(root, prefix, uses)
        if callee is None:
            continue
        reached = sinks(root, prefix, callee[0], callee[1])
        for key, value, expression, found in tainted:
            places = reached.get(key)
            if not places:
                continue
            span = _source_span(doc, value, expression, value.start_mark.index)
            unique = list(dict.fromkeys(places))
            yield Hit(
                route + (key,),
                "value",
                {
                    "expression": expression.strip(),
                    "context": found,
                    "input": key,
                    "callee": uses,
                    "sink": ", ".join(unique[:3])
                    + (f" (+{len(unique) - 3})" if len(unique) > 3 else ""),
                    "identity": f"{key}#{found}",
                },
                span,
            )
