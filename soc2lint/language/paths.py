"""Path syntax and resolution: `jobs.*.steps[*].uses`, `$.on`, `@key`, `**`, and named paths.

A path is parsed once at load time into steps; `resolve` walks them from a node (or from the
document root, for an absolute path) and returns every (route, node) reached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from soc2lint.formats import nodes
from soc2lint.language.routes import Route

ROOT = "$"
KEY_PATH = "@key"  # the candidate's own key (a job id, an env var name), as a scalar
WILDCARD = object()  # a path step matching every child
DEEP = object()  # `**`: every descendant (each distinct node once, so aliases cannot explode it)


class PathError(ValueError):
    pass


class MatchError(ValueError):
    """A `match` block that does not compile; `key` is the dotted location inside the rule."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


_PATH_TOKEN = re.compile(
    r"""\[\s*(?:(?P<index>-?\d+)|(?P<star>\*)|"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>[^']*)')\s*\]"""
    r"""|(?P<dot>\.)|(?P<key>[^.\[\]]+)"""
)


@dataclass(frozen=True)
class Path:
    text: str
    absolute: bool
    steps: tuple[Any, ...]  # str keys, int indexes, WILDCARD


def parse_path(text: str) -> Path:
    """`jobs.*.steps[*].uses`, `$.on`, `jobs["a.b"]`, `steps[0]` -> Path. Raises PathError."""
    src = text.strip()
    absolute = src == ROOT or src.startswith(ROOT + ".") or src.startswith(ROOT + "[")
    if absolute:
        src = src[1:].lstrip(".") if not src.startswith(ROOT + "[") else src[1:]
    steps: list[Any] = []
    pos = 0
    expect_key = True
    while pos < len(src):
        m = _PATH_TOKEN.match(src, pos)
        if not m:
            raise PathError(f"cannot parse path {text!r} at {src[pos:]!r}")
        pos = m.end()
        if m.group("dot"):
            if expect_key:
                raise PathError(f"empty key in path {text!r}")
            expect_key = True
            continue
        if m.group("key") is not None:
            if not expect_key:
                raise PathError(f"missing '.' before {m.group('key')!r} in path {text!r}")
            key = m.group("key").strip()
            steps.append(WILDCARD if key == "*" else DEEP if key == "**" else key)
        elif m.group("index") is not None:
            steps.append(int(m.group("index")))
        elif m.group("star"):
            steps.append(WILDCARD)
        elif m.group("dq") is not None:
            steps.append(re.sub(r"\\(.)", r"\1", m.group("dq")))
        else:
            steps.append(m.group("sq"))
        expect_key = False
    if expect_key and steps:
        raise PathError(f"path {text!r} ends with '.'")
    return Path(text, absolute, tuple(steps))


def resolve(
    path: Path, node: nodes.Node, route: Route, root: nodes.Node, memo: dict[Any, Any] | None = None
) -> list[tuple[Route, nodes.Node]]:
    """Every (route, node) that `path` reaches from `node` (or from the root when absolute)."""
    current: list[tuple[Route, nodes.Node]] = [((), root)] if path.absolute else [(route, node)]
    for step in path.steps:
        nxt: list[tuple[Route, nodes.Node]] = []
        for r, n in current:
            if n.tag == nodes.UNKNOWN_TAG:  # whatever lies below an unknown value is unknown
                nxt.append((r, n))
            elif step is WILDCARD:
                for k, _knode, child in nodes.children(n):
                    nxt.append((r + (k,), child))
            elif step is DEEP:
                if memo is None:
                    nxt.extend(_descendants(r, n))
                else:
                    key = ("**", r)
                    if key not in memo:
                        memo[key] = _descendants(r, n)
                    nxt.extend(memo[key])
            elif isinstance(step, int):
                if isinstance(n, nodes.SequenceNode):
                    idx = step if step >= 0 else len(n.value) + step
                    if 0 <= idx < len(n.value):
                        nxt.append((r + (idx,), n.value[idx]))
            else:
                hit = nodes.get(n, step)
                if hit is not None:
                    nxt.append((r + (step,), hit[1]))
        current = nxt
        if not current:
            break
    return current


def _descendants(route: Route, node: nodes.Node) -> list[tuple[Route, nodes.Node]]:
    out: list[tuple[Route, nodes.Node]] = []
    seen = {id(node)}
    stack = [(route, node)]
    while stack:
        r, n = stack.pop()
        kids = list(nodes.children(n))
        for k, _knode, child in reversed(kids):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((r + (k,), child))
        if n is not node:
            out.append((r, n))
    return out


def key_node(root: nodes.Node, route: Route) -> nodes.Node | None:
    """The key node naming the node at `route` in its parent mapping (None for list items)."""
    if not route or isinstance(route[-1], int):
        return None
    parent = resolve(Path("", False, route[:-1]), root, (), root)
    if not parent:
        return None
    hit = nodes.get(parent[0][1], str(route[-1]))
    return hit[0] if hit else None


def node_at(root: nodes.Node, route: Route) -> nodes.Node | None:
    found = resolve(Path("", False, tuple(route)), root, (), root)
    return found[0][1] if found else None


# --------------------------------------------------------------------------- named paths


def named_path_texts(raw: Any) -> tuple[str, ...]:
    """A library's `paths:` entry (one path or a list of paths) as a tuple of path texts."""
    return tuple(str(p) for p in raw) if isinstance(raw, list) else (str(raw),)


def uses_named_path(raw: Any) -> bool:
    """Whether a `for_each` as written names a library path (`{use: NAME}`)."""
    return any(isinstance(item, dict) for item in (raw if isinstance(raw, list) else [raw]))


def expand_named_paths(raw: Any, named: Mapping[str, Sequence[str]], where: str) -> list[str]:
    """A path list as written (a path, `{use: NAME}`, or a list of either) -> its path texts.

    Raises MatchError naming the offending key, with the known names for an unknown one."""
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for i, item in enumerate(items):
        key = f"{where}.{i}" if isinstance(raw, list) else where
        if not isinstance(item, dict):
            out.append(str(item))
            continue
        if set(item) != {"use"} or not isinstance(item["use"], str):
            raise MatchError(key, "a named path is written {use: NAME}")
        name = item["use"]
        if name not in named:
            known = ", ".join(sorted(named)) or "none"
            raise MatchError(f"{key}.use", f"unknown named path {name!r} (known: {known})")
        out.extend(named[name])
    return out
