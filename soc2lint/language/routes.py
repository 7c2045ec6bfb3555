"""Routes: symbolic addresses of nodes (`jobs.deploy.steps[2].uses`) and their resolution to spans.

Rules and detectors never compute line numbers; they return routes, and `locate` turns a route
into a `Location` once, at the end.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from functools import lru_cache

from soc2lint.formats import nodes
from soc2lint.model import Location

Step = str | int
Route = tuple[Step, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_\-$/]*$")


def render(route: Sequence[Step]) -> str:
    """`("jobs", "deploy", "steps", 2, "uses")` -> `jobs.deploy.steps[2].uses`."""
    out = ""
    for step in route:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN_KEY.match(step):
            out += f".{step}" if out else step
        else:
            out += '["' + step.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out


def identity(root: nodes.Node, route: Sequence[Step]) -> str:
    """Like `render`, but a list item that names itself (`id:`, `name:`) is addressed by that name,
    so inserting a step above it does not change the identity (and the fingerprint)."""
    node = root
    out: list[Step] = []
    for step in route:
        child = _child(node, step)
        if isinstance(step, int) and child is not None:
            label = _self_name(child[1])
            out.append(label if label is not None else step)
        else:
            out.append(step)
        if child is None:
            out.extend(route[len(out) :])
            break
        node = child[1]
    return render(out)


def _self_name(node: nodes.Node) -> str | None:
    for key in ("id", "name"):
        hit = nodes.get(node, key)
        if hit and isinstance(hit[1], nodes.ScalarNode) and hit[1].value:
            return f"{key}={hit[1].value}"
    return None


def _child(node: nodes.Node, step: Step) -> tuple[nodes.Node | None, nodes.Node] | None:
    if isinstance(step, int):
        if isinstance(node, nodes.SequenceNode) and 0 <= step < len(node.value):
            return None, node.value[step]
        return None
    hit = nodes.get(node, step)
    return hit


def locate(
    path: str,
    root: nodes.Node,
    route: Sequence[Step],
    focus: str = "value",
    sources: Mapping[int, str] | None = None,
) -> Location:
    """The span of the node at `route`: its key when `focus == "key"`, else its value.

    A route that runs past the tree (the rule pointed at something absent) resolves to the
    deepest node that exists. `sources` maps nodes of a document assembled from several files
    (GitHub evidence) to their file: the file of the last such node on the way is the path.
    """
    node = root
    key_node: nodes.Node | None = None
    if sources:
        path = sources.get(id(root), path)
    for step in route:
        child = _child(node, step)
        if child is None:
            break
        key_node, node = child
        if sources and id(node) in sources:
            path = sources[id(node)]
    target = key_node if focus == "key" and key_node is not None else node
    start, end = target.start_mark, target.end_mark
    end_line, end_col = end.line + 1, end.column + 1
    # Block collections end at the start of the next line; point at the end of their last line.
    if end.column == 0 and end.line > start.line:
        end_line, end_col = end.line, 1
    return Location(path, start.line + 1, start.column + 1, end_line, max(end_col, 1))


def span_location(path: str, text: str, start: int, end: int) -> Location:
    """Location of the character offsets [start, end) in `text`."""
    starts = line_starts(text)
    line = bisect_right(starts, start)
    end_line = bisect_right(starts, end)
    return Location(
        path, line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1
    )


@lru_cache(maxsize=4)
def line_starts(text: str) -> list[int]:
    """Where each line starts: built once per file, so that thousands of findings in a large
    export (a pull-request dump on one line) cost a binary search each, not a scan."""
    return [0, *(m.end() for m in re.finditer("\n", text))]
