"""The node model rules match, and the helpers over it.

One model, two implementations with the same attributes (`tag`, `value`, `start_mark` and
`end_mark` with 0-based `.line`/`.column`, `style`): PyYAML's composed nodes, which the C parser
builds for YAML and JSON (converting them would cost a third of the parse), and soc2lint's own
(`model.Node`) for every other format. `MappingNode`, `SequenceNode` and `ScalarNode` here are
the unions of both, for annotations and `isinstance` alike; `mapping`, `sequence`, `scalar` and
`mark` build neutral nodes.

Composing keeps every node's start/end mark and leaves aliases as shared references, so an alias
bomb stays a small graph here. Everything that walks a tree either follows a bounded path or
visits each distinct node once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from soc2lint import model

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

# A value a format could not know statically (a Terraform variable without a value, `data.*`):
# conditions reading it decide nothing, and a rule reaching it reports nothing (language.match).
UNKNOWN_TAG = "tag:soc2lint,2026:unknown"

MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"

Node = yaml.Node | model.Node
MappingNode = yaml.MappingNode | model.MappingNode
SequenceNode = yaml.SequenceNode | model.SequenceNode
ScalarNode = yaml.ScalarNode | model.ScalarNode
Mark = yaml.error.Mark | model.Mark


def mark(line: int, column: int, index: int = 0) -> model.Mark:
    """A 0-based position."""
    return model.Mark(line, column, index)


def scalar(text: str, start: Any, end: Any, style: str | None = '"') -> model.ScalarNode:
    """A string scalar (quoted by default: typed as text, never as a YAML 1.1 boolean)."""
    return model.ScalarNode(STR_TAG, text, start, end, style)


def mapping(pairs: list[tuple[Node, Node]], start: Any, end: Any) -> model.MappingNode:
    return model.MappingNode(MAP_TAG, pairs, start, end)


def sequence(items: list[Node], start: Any, end: Any) -> model.SequenceNode:
    return model.SequenceNode(SEQ_TAG, items, start, end)


_TRUE = {"true", "yes", "on", "y"}
# Documents are composed with the base resolver (every scalar tagged str): the full resolver
# costs a Python call per scalar, a third of the parse time. Plain scalars are typed here, lazily,
# with PyYAML's own YAML 1.1 implicit rules, and only when a rule compares them.
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers


def implicit_tag(node: ScalarNode) -> str:
    """The tag the YAML 1.1 resolver would give: explicit tags win, quoted scalars are strings."""
    if node.tag != STR_TAG or node.style:  # plain style is "" (C parser) or None
        return str(node.tag)
    text = node.value
    for tag, regexp in _IMPLICIT.get(text[0] if text else "", []) + _IMPLICIT.get(None, []):
        if regexp.match(text):
            return str(tag)
    return STR_TAG


def is_unknown(node: Node) -> bool:
    return node.tag == UNKNOWN_TAG


def is_merge_key(node: Node) -> bool:
    return isinstance(node, ScalarNode) and (
        node.tag == MERGE_TAG or (node.value == "<<" and not node.style)
    )


def scalar_value(node: ScalarNode) -> Any:
    """A scalar's value as the YAML resolver types it: str, int, float, bool or None."""
    tag = implicit_tag(node)
    text = node.value
    if tag == STR_TAG:
        return text
    if tag == BOOL_TAG:
        return text.lower() in _TRUE
    if tag == NULL_TAG:
        return None
    if tag == INT_TAG:
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if tag == FLOAT_TAG:
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


def _merged(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    """Pairs of a mapping, with `<<: *anchor` merge keys flattened (explicit keys win)."""
    merges: list[Node] = []
    for key, value in node.value:
        if is_merge_key(key):
            merges.append(value)
        else:
            yield key, value
    seen: set[int] = set()
    for merge in merges:
        sources = merge.value if isinstance(merge, SequenceNode) else [merge]
        for source in sources:
            if isinstance(source, MappingNode) and id(source) not in seen:
                seen.add(id(source))
                yield from _merged(source)


def items(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """(key text, key node, value node) for each entry of a mapping, first occurrence wins."""
    if not isinstance(node, MappingNode):
        return
    seen: set[str] = set()
    for key, value in _merged(node):
        text = key.value if isinstance(key, ScalarNode) else str(key.start_mark)
        if text not in seen:
            seen.add(text)
            yield text, key, value


def get(node: Node, key: str) -> tuple[Node, Node] | None:
    """(key node, value node) for `key` in a mapping, honouring merge keys."""
    if not isinstance(node, MappingNode):
        return None
    # Hot path: a plain scan of the pairs; only a mapping with `<<:` pays for merging.
    merged = False
    for knode, vnode in node.value:
        if knode.value == "<<" and is_merge_key(knode):
            merged = True
        elif knode.value == key and isinstance(knode, ScalarNode):
            return knode, vnode
    if merged:
        for text, knode, vnode in items(node):
            if text == key:
                return knode, vnode
    return None


def children(node: Node) -> Iterator[tuple[str | int, Node | None, Node]]:
    """(route step, key node or None, child node) for every child of a collection."""
    if isinstance(node, MappingNode):
        yield from items(node)
    elif isinstance(node, SequenceNode):
        for i, child in enumerate(node.value):
            yield i, None, child


def expanded_size(root: Node, limit: int) -> int:
    """How many nodes the tree would have with every alias expanded, capped at `limit`.

    Computed over the shared graph with memoisation, so a billion-laughs document costs a few
    hundred steps; iterative, so a legal document nested 1,000 deep is no problem. A cyclic
    alias (a recursive structure) counts as `limit`.
    """
    memo: dict[int, int] = {}
    on_path: set[int] = set()
    # (node, children pushed?) frames of an explicit depth-first post-order walk
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            on_path.discard(key)
            total = 1
            for child in _child_nodes(node):
                total = min(limit, total + memo.get(id(child), limit))
            memo[key] = total
            continue
        if key in memo:
            continue
        if key in on_path:  # a cycle: the alias refers to one of its own ancestors
            return limit
        on_path.add(key)
        stack.append((node, True))
        for child in _child_nodes(node):
            if id(child) in on_path:
                return limit
            if id(child) not in memo:
                stack.append((child, False))
    return memo[id(root)]


def _child_nodes(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []
