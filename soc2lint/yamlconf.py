"""YAML files soc2lint reads as its own input (rules, config): data plus the node tree, so that
a schema error names the file, the line and the key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from soc2lint.errors import Soc2lintError
from soc2lint.formats import nodes

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# soc2lint's own inputs get the limits scanned files get: a config, rule or baseline file is
# data the user may have copied from anywhere, and an alias bomb in it must not eat the machine.
MAX_INPUT_SIZE = 10 * 1024 * 1024


def read_input(path: Path, source: str, error: type[Soc2lintError], what: str) -> tuple[bytes, str]:
    """(bytes, UTF-8 text) of one of soc2lint's own input files, refusing huge or binary ones."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_SIZE:
            raise error(
                f"{source}: {what} is {size:,} bytes, more than the {MAX_INPUT_SIZE:,} bytes "
                "soc2lint reads"
            )
        raw = path.read_bytes()
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{source}:{line}: cannot read {what}: not UTF-8") from None
    except OSError as exc:
        raise error(f"{source}: cannot read {what}: {exc.strerror or exc}") from None


def check_aliases(root: nodes.Node, source: str, error: type[Soc2lintError]) -> None:
    """Refuse a document that would grow past the scanned-YAML limit once aliases expand."""
    from soc2lint.formats.yamldoc import ALIAS_EXPANSION_LIMIT

    if nodes.expanded_size(root, ALIAS_EXPANSION_LIMIT) >= ALIAS_EXPANSION_LIMIT:
        raise error(
            f"{source}:{root.start_mark.line + 1}: expands to more than "
            f"{ALIAS_EXPANSION_LIMIT:,} nodes through aliases (an alias bomb); not read"
        )


def load(text: str, source: str, error: type[Soc2lintError]) -> tuple[Any, nodes.Node | None]:
    """(constructed data, composed root node) of a single-document YAML text."""
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is not None and "&" in text:  # no anchor, no alias
                check_aliases(root, source, error)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise error(f"{source}{line}: invalid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{source}: invalid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError:
        raise error(f"{source}: nested too deeply") from None
    return data, root


def key_line(root: nodes.Node | None, keys: Sequence[Any]) -> int | None:
    """The 1-based line of the key at `keys` (the deepest one that exists)."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for key in keys:
        if isinstance(key, int):
            if isinstance(node, nodes.SequenceNode) and 0 <= key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
                continue
            break
        hit = nodes.get(node, str(key))
        if hit is None:
            break
        line, node = hit[0].start_mark.line + 1, hit[1]
    return line


def located(source: str, root: nodes.Node | None, keys: Sequence[Any], message: str) -> str:
    """`file:line: key 'a.b': message`."""
    line = key_line(root, keys)
    prefix = f"{source}:{line}" if line else source
    dotted = ".".join(str(k) for k in keys)
    return f"{prefix}: key '{dotted}': {message}" if dotted else f"{prefix}: {message}"


def schema_problem(validator: Any, data: Any) -> tuple[list[Any], str, Any] | None:
    """The most relevant JSON Schema error as (key path, message, the error), or None.

    An unknown key is named as the key itself (`unknown key 'exlude'`) rather than its parent.
    """
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(data))
    if error is None:
        return None
    keys = list(error.absolute_path)
    message = str(error.message)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            keys.append(extra[0])
            message = f"unknown key {extra[0]!r}"
    elif error.validator == "required":
        message = message.replace("is a required property", "is required")
    if len(message) > 200:
        message = message[:197] + "..."
    return keys, message, error
