"""Value operators: how one node compares with an operand (`equals`, `in`, `regex`, `glob`,
`gt`..`le`, `length`, `contains`, `has`, `type`), type-strict, with operands from parameters.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from soc2lint.formats import nodes
from soc2lint.language.paths import MatchError

VALUE_OPERATORS = (
    "equals",
    "in",
    "regex",
    "glob",
    "gt",
    "ge",
    "lt",
    "le",
    "length",
    "contains",
    "has",
    "type",
)
TYPES = ("mapping", "sequence", "string", "number", "boolean", "null", "scalar")


@dataclass
class Context:
    root: nodes.Node
    params: Mapping[str, Any]
    # results shared by every rule evaluated on the same document: named conditions (a job is a
    # deployment for all the rules asking) and `**` walks
    memo: dict[Any, Any] = field(default_factory=dict)
    # set when a condition read an unknown value (nodes.UNKNOWN_TAG): the candidate then gets
    # no finding, whatever the conditions concluded
    unknown: bool = False


@dataclass(frozen=True)
class Scope:
    """What a condition may refer to: declared parameters and named library conditions."""

    params: Mapping[str, Any]
    conditions: Mapping[str, Any]  # name -> raw condition (from rules/<family>/_conditions.yaml)
    using: tuple[str, ...] = ()  # library conditions being expanded (to reject cycles)


Operand = Callable[[Context], Any]
ValueTest = Callable[[Context, nodes.Node], bool]


def operand(raw: Any, where: str, scope: Scope) -> Operand:
    if isinstance(raw, dict) and set(raw) == {"param"}:
        name = raw["param"]
        if name not in scope.params:
            raise MatchError(where, f"parameter {name!r} is not declared in `parameters`")
        return lambda ctx: ctx.params.get(name)
    return lambda ctx: raw


_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


@lru_cache(maxsize=256)
def _param_patterns(patterns: tuple[str, ...], globs: bool) -> re.Pattern[str]:
    """One compiled alternation of a parameter's regexes (or globs, anchored to the whole value).

    Each pattern is checked on its own first, so that a bad one is named. A leading global flag
    group (`(?i)deploy`) becomes a scoped one (`(?i:deploy)`): Python 3.11+ rejects global flags
    anywhere but at the very start, and the flag must stay with its own pattern.
    """
    from soc2lint.errors import ConfigError

    parts = []
    for p in patterns:
        source = fnmatch.translate(p) if globs else p
        try:
            re.compile(source)
        except re.error as exc:
            raise ConfigError(
                f"parameter value {p!r} is not a valid regular expression: {exc}"
            ) from exc
        m = _GLOBAL_FLAGS.match(source)
        parts.append(f"(?{m.group(1)}:{source[m.end() :]})" if m else f"(?:{source})")
    return re.compile("|".join(parts) or "(?!)")


# Parameter values are lists from YAML: memoised by identity (they live as long as the rule).
_BY_ID: dict[tuple[int, bool], tuple[Any, re.Pattern[str]]] = {}


def _param_pattern(value: Any, globs: bool) -> re.Pattern[str]:
    key = (id(value), globs)
    hit = _BY_ID.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    items = tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else (str(value),)
    pattern = _param_patterns(items, globs)
    _BY_ID[key] = (value, pattern)
    return pattern


def strict_equal(a: Any, b: Any) -> bool:
    # YAML `true` must not equal 1, nor `1` equal True.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "equals": lambda a, b: a == b,
}


def length(node: nodes.Node) -> int | None:
    if isinstance(node, (nodes.MappingNode, nodes.SequenceNode)):
        return sum(1 for _ in nodes.children(node))
    if isinstance(node, nodes.ScalarNode) and isinstance(nodes.scalar_value(node), str):
        return len(node.value)
    return None


def type_of(node: nodes.Node) -> str:
    if isinstance(node, nodes.MappingNode):
        return "mapping"
    if isinstance(node, nodes.SequenceNode):
        return "sequence"
    assert isinstance(node, nodes.ScalarNode)
    value = nodes.scalar_value(node)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def value_test(op: str, raw: Any, where: str, scope: Scope) -> ValueTest:
    """A predicate over one node for a value operator."""
    if op == "regex":
        if isinstance(raw, dict):  # {param: name}: a regex, or a list of them, from the policy
            get = operand(raw, where, scope)
            return lambda ctx, n: (
                isinstance(n, nodes.ScalarNode)
                and _param_pattern(get(ctx), False).search(n.value) is not None
            )
        try:
            pattern = re.compile(raw)
        except (re.error, TypeError) as exc:
            raise MatchError(where, f"invalid regex {raw!r}: {exc}") from exc
        return lambda ctx, n: (
            isinstance(n, nodes.ScalarNode) and pattern.search(n.value) is not None
        )
    if op == "glob":
        get = operand(raw, where, scope)
        return lambda ctx, n: (
            isinstance(n, nodes.ScalarNode)
            and _param_pattern(get(ctx), True).match(n.value) is not None
        )
    if op == "type":
        if raw not in TYPES:
            raise MatchError(where, f"unknown type {raw!r}; expected one of {', '.join(TYPES)}")
        if raw == "scalar":
            return lambda ctx, n: isinstance(n, nodes.ScalarNode)
        return lambda ctx, n: type_of(n) == raw
    if op == "length":
        if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in COMPARE:
            raise MatchError(where, "`length` takes one comparison, e.g. {ge: 1}")
        ((cmp_name, bound_raw),) = raw.items()
        cmp = COMPARE[cmp_name]
        bound = operand(bound_raw, where, scope)

        def length_test(ctx: Context, n: nodes.Node) -> bool:
            size, limit = length(n), number(bound(ctx))
            return size is not None and limit is not None and cmp(size, limit)

        return length_test
    value_of = operand(raw, where, scope)
    if op == "equals":
        return lambda ctx, n: (
            isinstance(n, nodes.ScalarNode) and strict_equal(nodes.scalar_value(n), value_of(ctx))
        )
    if op == "in":
        if not isinstance(raw, list) and not (isinstance(raw, dict) and "param" in raw):
            raise MatchError(where, "`in` takes a list")

        def in_test(ctx: Context, n: nodes.Node) -> bool:
            if not isinstance(n, nodes.ScalarNode):
                return False
            value = nodes.scalar_value(n)
            return any(strict_equal(value, choice) for choice in value_of(ctx) or ())

        return in_test
    if op in ("gt", "ge", "lt", "le"):
        cmp = COMPARE[op]

        def compare_test(ctx: Context, n: nodes.Node) -> bool:
            if not isinstance(n, nodes.ScalarNode):
                return False
            a, b = number(nodes.scalar_value(n)), number(value_of(ctx))
            return a is not None and b is not None and cmp(a, b)

        return compare_test
    if op in ("contains", "has"):
        # a mapping with the key or a sequence with the item; a scalar contains a substring
        # (`contains`) or is the value itself (`has`, for `on:` in all its shapes)
        def member_test(ctx: Context, n: nodes.Node) -> bool:
            want = value_of(ctx)
            if isinstance(n, nodes.MappingNode):
                return nodes.get(n, str(want)) is not None
            if isinstance(n, nodes.SequenceNode):
                return any(
                    isinstance(c, nodes.ScalarNode) and strict_equal(nodes.scalar_value(c), want)
                    for c in n.value
                )
            if not isinstance(n, nodes.ScalarNode):
                return False
            if op == "contains":
                return str(want) in n.value
            return strict_equal(nodes.scalar_value(n), want)

        return member_test
    raise MatchError(where, f"unknown operator {op!r}")  # pragma: no cover - guarded by caller
