"""The declarative match language: wildcard paths, a closed set of operators, routes out.

A rule's `match` is compiled once at load time into closures. Evaluating a condition against a
node returns `(ok, witness)`, where the witness is the route of the node that decided the result:
the value that failed `equals`, the parent that lacks a required key. Findings point at witnesses.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from soc2lint.formats import nodes
from soc2lint.language.routes import Route
from soc2lint.model import Hit

ROOT = "$"
WILDCARD = object()  # a path step matching every child
DEEP = object()  # `**`: every descendant (each distinct node once, so aliases cannot explode it)


class PathError(ValueError):
    pass


# --------------------------------------------------------------------------- paths

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


def resolve(path: Path, node: nodes.Node, route: Route, root: nodes.Node,
            memo: dict[Any, Any] | None = None) -> list[tuple[Route, nodes.Node]]:
    """Every (route, node) that `path` reaches from `node` (or from the root when absolute)."""
    current: list[tuple[Route, nodes.Node]] = [((), root)] if path.absolute else [(route, node)]
    for step in path.steps:
        nxt: list[tuple[Route, nodes.Node]] = []
        for r, n in current:
            if step is WILDCARD:
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


# --------------------------------------------------------------------------- conditions

@dataclass(frozen=True)
class Witness:
    route: Route
    focus: str  # "key" or "value"


@dataclass
class Context:
    root: nodes.Node
    params: Mapping[str, Any]
    # results shared by every rule evaluated on the same document: named conditions (a job is a
    # deployment for all the rules asking) and `**` walks
    memo: dict[Any, Any] = field(default_factory=dict)


Result = tuple[bool, Witness]
Condition = Callable[[Context, nodes.Node, Route], Result]
Operand = Callable[[Context], Any]

@dataclass(frozen=True)
class Scope:
    """What a condition may refer to: declared parameters and named library conditions."""

    params: Mapping[str, Any]
    conditions: Mapping[str, Any]  # name -> raw condition (from rules/<family>/_conditions.yaml)
    using: tuple[str, ...] = ()  # library conditions being expanded (to reject cycles)


VALUE_OPERATORS = ("equals", "in", "regex", "glob", "gt", "ge", "lt", "le", "length", "contains",
                   "has", "type")
NEGATED = {"not_equals": "equals", "not_in": "in", "not_regex": "regex", "not_glob": "glob",
           "not_contains": "contains", "not_has": "has"}
KEY_PATH = "@key"  # the candidate's own key (a job id, an env var name), as a scalar
COMBINATORS = ("all", "any", "not", "use", "references", "count")
PRESENCE = ("exists", "absent")
OPERATORS = VALUE_OPERATORS + tuple(NEGATED) + COMBINATORS + PRESENCE
TYPES = ("mapping", "sequence", "string", "number", "boolean", "null", "scalar")


class MatchError(ValueError):
    """A `match` block that does not compile; `key` is the dotted location inside the rule."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _focus_for(node: nodes.Node) -> str:
    return "value" if isinstance(node, nodes.ScalarNode) else "key"


def _operand(raw: Any, where: str, scope: Scope) -> Operand:
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
            raise ConfigError(f"parameter value {p!r} is not a valid regular expression: {exc}") from exc
        m = _GLOBAL_FLAGS.match(source)
        parts.append(f"(?{m.group(1)}:{source[m.end():]})" if m else f"(?:{source})")
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


def _strict_equal(a: Any, b: Any) -> bool:
    # YAML `true` must not equal 1, nor `1` equal True.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _number(value: Any) -> float | None:
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


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "equals": lambda a, b: a == b,
}


def _length(node: nodes.Node) -> int | None:
    if isinstance(node, (nodes.MappingNode, nodes.SequenceNode)):
        return sum(1 for _ in nodes.children(node))
    if isinstance(node, nodes.ScalarNode) and isinstance(nodes.scalar_value(node), str):
        return len(node.value)
    return None


def _type_of(node: nodes.Node) -> str:
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


def _value_test(op: str, raw: Any, where: str, scope: Scope) -> Callable[[Context, nodes.Node], bool]:
    """A predicate over one node for a value operator."""
    if op == "regex":
        if isinstance(raw, dict):  # {param: name}: a regex, or a list of them, from the policy
            get = _operand(raw, where, scope)
            return lambda ctx, n: isinstance(n, nodes.ScalarNode) and _param_pattern(
                get(ctx), False).search(n.value) is not None
        try:
            pattern = re.compile(raw)
        except (re.error, TypeError) as exc:
            raise MatchError(where, f"invalid regex {raw!r}: {exc}") from exc
        return lambda ctx, n: isinstance(n, nodes.ScalarNode) and pattern.search(n.value) is not None
    if op == "glob":
        get = _operand(raw, where, scope)
        return lambda ctx, n: isinstance(n, nodes.ScalarNode) and _param_pattern(
            get(ctx), True).match(n.value) is not None
    if op == "type":
        if raw not in TYPES:
            raise MatchError(where, f"unknown type {raw!r}; expected one of {', '.join(TYPES)}")
        if raw == "scalar":
            return lambda ctx, n: isinstance(n, nodes.ScalarNode)
        return lambda ctx, n: _type_of(n) == raw
    if op == "length":
        if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in _COMPARE:
            raise MatchError(where, "`length` takes one comparison, e.g. {ge: 1}")
        (cmp_name, bound_raw), = raw.items()
        cmp = _COMPARE[cmp_name]
        bound = _operand(bound_raw, where, scope)

        def length_test(ctx: Context, n: nodes.Node) -> bool:
            size, limit = _length(n), _number(bound(ctx))
            return size is not None and limit is not None and cmp(size, limit)
        return length_test
    operand = _operand(raw, where, scope)
    if op == "equals":
        return lambda ctx, n: isinstance(n, nodes.ScalarNode) and _strict_equal(
            nodes.scalar_value(n), operand(ctx))
    if op == "in":
        if not isinstance(raw, list) and not (isinstance(raw, dict) and "param" in raw):
            raise MatchError(where, "`in` takes a list")

        def in_test(ctx: Context, n: nodes.Node) -> bool:
            if not isinstance(n, nodes.ScalarNode):
                return False
            value = nodes.scalar_value(n)
            return any(_strict_equal(value, choice) for choice in operand(ctx) or ())
        return in_test
    if op in ("gt", "ge", "lt", "le"):
        cmp = _COMPARE[op]

        def compare_test(ctx: Context, n: nodes.Node) -> bool:
            if not isinstance(n, nodes.ScalarNode):
                return False
            a, b = _number(nodes.scalar_value(n)), _number(operand(ctx))
            return a is not None and b is not None and cmp(a, b)
        return compare_test
    if op in ("contains", "has"):
        # a mapping with the key or a sequence with the item; a scalar contains a substring
        # (`contains`) or is the value itself (`has`, for `on:` in all its shapes)
        def member_test(ctx: Context, n: nodes.Node) -> bool:
            want = operand(ctx)
            if isinstance(n, nodes.MappingNode):
                return nodes.get(n, str(want)) is not None
            if isinstance(n, nodes.SequenceNode):
                return any(isinstance(c, nodes.ScalarNode) and _strict_equal(nodes.scalar_value(c), want)
                           for c in n.value)
            if not isinstance(n, nodes.ScalarNode):
                return False
            if op == "contains":
                return str(want) in n.value
            return _strict_equal(nodes.scalar_value(n), want)
        return member_test
    raise MatchError(where, f"unknown operator {op!r}")  # pragma: no cover - guarded by caller


def compile_condition(spec: Any, where: str, scope: Scope) -> Condition:
    """Compile one condition mapping (see docs/rule-language.md)."""
    if not isinstance(spec, dict):
        raise MatchError(where, "a condition must be a mapping")
    spec = dict(spec)
    path_text = spec.pop("path", None)
    quantifier = spec.pop("quantifier", "any")
    if quantifier not in ("any", "all"):
        raise MatchError(f"{where}.quantifier", "quantifier is `any` or `all`")
    ops = [k for k in spec if k in OPERATORS]
    unknown = [k for k in spec if k not in OPERATORS]
    if unknown:
        raise MatchError(f"{where}.{unknown[0]}", f"unknown operator {unknown[0]!r}")
    if len(ops) != 1:
        raise MatchError(where, f"a condition needs exactly one operator, got {ops or 'none'}")
    op = ops[0]
    raw = spec[op]
    try:
        path = (parse_path(str(path_text)) if path_text not in (None, KEY_PATH)
                else Path(KEY_PATH, False, ()) if path_text == KEY_PATH else None)
    except PathError as exc:
        raise MatchError(f"{where}.path", str(exc)) from exc
    here = f"{where}.{op}"

    def targets(ctx: Context, node: nodes.Node, route: Route) -> list[tuple[Route, nodes.Node]]:
        if path is None:
            return [(route, node)]
        if path_text == KEY_PATH:
            key = key_node(ctx.root, route)
            return [(route, key)] if key is not None else []
        return resolve(path, node, route, ctx.root, ctx.memo)

    if op in PRESENCE:
        want_present = bool(raw) if op == "exists" else not bool(raw)

        def presence(ctx: Context, node: nodes.Node, route: Route) -> Result:
            found = targets(ctx, node, route) if path is not None else []
            if found:
                return want_present, Witness(found[0][0], "key")
            return not want_present, Witness(route, "key")
        if path is None:
            raise MatchError(where, f"`{op}` needs a `path`")
        return presence

    if op in NEGATED:
        inner = compile_condition({**({"path": path_text} if path_text is not None else {}),
                                   "quantifier": quantifier, NEGATED[op]: raw}, where, scope)
        return _negate(inner)

    if op == "not":
        inner = compile_condition(raw, here, scope)
        negated = _negate(inner)
        if path is None:
            return negated
        return _over_path(targets, negated, quantifier)

    if op == "use":
        if raw not in scope.conditions:
            known = ", ".join(sorted(scope.conditions)) or "none"
            raise MatchError(here, f"unknown named condition {raw!r} (known: {known})")
        if raw in scope.using:
            raise MatchError(here, f"named condition {raw!r} uses itself")
        inner_scope = Scope(scope.params, scope.conditions, scope.using + (raw,))
        named = _memoised(raw, compile_condition(scope.conditions[raw], f"{here}({raw})", inner_scope),
                          tuple(sorted(_params_in(scope.conditions[raw], scope.conditions))))
        return named if path is None else _over_path(targets, named, quantifier)

    if op == "references":
        return _references(raw, path, here, scope)

    if op == "count":
        return _count(raw, path, here, scope)

    if op in ("all", "any"):
        if not isinstance(raw, list) or not raw:
            raise MatchError(here, f"`{op}` takes a non-empty list of conditions")
        parts = [compile_condition(c, f"{here}[{i}]", scope) for i, c in enumerate(raw)]
        combined = _all(parts) if op == "all" else _any(parts)
        if path is None:
            return combined
        return _over_path(targets, combined, quantifier)

    test = _value_test(op, raw, here, scope)

    def focus(n: nodes.Node) -> str:
        return "key" if path_text == KEY_PATH else _focus_for(n)

    def value_condition(ctx: Context, node: nodes.Node, route: Route) -> Result:
        found = targets(ctx, node, route)
        if not found:
            return quantifier == "all", Witness(route, "key")
        if quantifier == "any":
            for r, n in found:
                if test(ctx, n):
                    return True, Witness(r, focus(n))
            r, n = found[0]
            return False, Witness(r, focus(n))
        for r, n in found:
            if not test(ctx, n):
                return False, Witness(r, focus(n))
        r, n = found[-1]
        return True, Witness(r, focus(n))
    return value_condition


def _params_in(raw: Any, library: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """Parameters a condition refers to, through the named conditions it uses."""
    if isinstance(raw, dict):
        if set(raw) == {"param"}:
            return {str(raw["param"])}
        out: set[str] = set()
        name = raw.get("use")
        if isinstance(name, str) and name in library and name not in seen:
            out |= _params_in(library[name], library, seen | {name})
        for value in raw.values():
            out |= _params_in(value, library, seen)
        return out
    if isinstance(raw, list):
        return set().union(*(_params_in(v, library, seen) for v in raw)) if raw else set()
    return set()


def _memoised(name: str, condition: Condition, params: tuple[str, ...]) -> Condition:
    """A named condition evaluated once per node and document, for every rule that uses it
    with the same parameter values (library defaults and config values are shared objects)."""
    def memoised(ctx: Context, node: nodes.Node, route: Route) -> Result:
        key = ("use", name, route, tuple(id(ctx.params.get(p)) for p in params))
        hit = ctx.memo.get(key)
        if hit is None:
            hit = ctx.memo[key] = condition(ctx, node, route)
        return hit
    return memoised


def _count(raw: Any, path: Path | None, where: str, scope: Scope) -> Condition:
    """`{path: "$.jobs.*", count: {ge: 2, where: <condition>}}`: how many nodes at `path` (that
    satisfy `where`, if given) compared with a bound."""
    if path is None:
        raise MatchError(where, "`count` needs a `path`")
    bounds = {k: v for k, v in (raw or {}).items() if k in _COMPARE} if isinstance(raw, dict) else {}
    extra = set(raw) - set(bounds) - {"where"} if isinstance(raw, dict) else {"?"}
    if len(bounds) != 1 or extra:
        raise MatchError(where, "`count` takes one comparison (ge, gt, le, lt, equals) and an optional `where`")
    (cmp_name, bound_raw), = bounds.items()
    cmp = _COMPARE[cmp_name]
    bound = _operand(bound_raw, where, scope)
    select = compile_condition(raw["where"], f"{where}.where", scope) if "where" in raw else None

    def count(ctx: Context, node: nodes.Node, route: Route) -> Result:
        found = resolve(path, node, route, ctx.root, ctx.memo)
        n = sum(1 for r, c in found if select is None or select(ctx, c, r)[0])
        limit = _number(bound(ctx))
        return limit is not None and cmp(n, limit), Witness(route, "key")
    return count


def _references(raw: Any, path: Path | None, where: str, scope: Scope) -> Condition:
    """`{path: needs, references: {in: "$.jobs", where: <cond>, transitive: true}}`: the scalar
    values at `path` name nodes under `in`; holds when one of those nodes satisfies `where`
    (with `transitive`, also nodes named the same way from there: a deploy that needs a build
    that needs the tests)."""
    if path is None:
        raise MatchError(where, "`references` needs a `path`")
    if not isinstance(raw, dict) or "in" not in raw or "where" not in raw:
        raise MatchError(where, "`references` takes {in: <path>, where: <condition>}")
    unknown = set(raw) - {"in", "where", "transitive"}
    if unknown:
        raise MatchError(f"{where}.{sorted(unknown)[0]}", f"unknown key {sorted(unknown)[0]!r}")
    try:
        base = parse_path(str(raw["in"]))
    except PathError as exc:
        raise MatchError(f"{where}.in", str(exc)) from exc
    target = compile_condition(raw["where"], f"{where}.where", scope)
    transitive = bool(raw.get("transitive", False))

    def names(ctx: Context, node: nodes.Node, route: Route) -> list[tuple[Route, str]]:
        out: list[tuple[Route, str]] = []
        for r, n in resolve(path, node, route, ctx.root, ctx.memo):
            items = [(r + (i,), c) for i, c in enumerate(n.value)] if isinstance(
                n, nodes.SequenceNode) else [(r, n)]
            out.extend((ir, c.value) for ir, c in items if isinstance(c, nodes.ScalarNode))
        return out

    def references(ctx: Context, node: nodes.Node, route: Route) -> Result:
        pending = names(ctx, node, route)
        first = pending[0][0] if pending else None
        seen: set[str] = set()
        while pending:
            name_route, name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            found = resolve(Path(base.text, base.absolute, base.steps + (name,)), node, route, ctx.root)
            if not found:
                continue
            ref_route, ref_node = found[0]
            ok, _ = target(ctx, ref_node, ref_route)
            if ok:
                return True, Witness(name_route, "value")
            if transitive:
                pending.extend(names(ctx, ref_node, ref_route))
        return False, Witness(first or route, "value" if first else "key")
    return references


def key_node(root: nodes.Node, route: Route) -> nodes.Node | None:
    """The key node naming the node at `route` in its parent mapping (None for list items)."""
    if not route or isinstance(route[-1], int):
        return None
    parent = resolve(Path("", False, route[:-1]), root, (), root)
    if not parent:
        return None
    hit = nodes.get(parent[0][1], str(route[-1]))
    return hit[0] if hit else None


def _negate(inner: Condition) -> Condition:
    def negated(ctx: Context, node: nodes.Node, route: Route) -> Result:
        ok, witness = inner(ctx, node, route)
        return not ok, witness
    return negated


def _all(parts: Sequence[Condition]) -> Condition:
    def all_of(ctx: Context, node: nodes.Node, route: Route) -> Result:
        witness = Witness(route, "key")
        for part in parts:
            ok, witness = part(ctx, node, route)
            if not ok:
                return False, witness
        return True, witness
    return all_of


def _any(parts: Sequence[Condition]) -> Condition:
    def any_of(ctx: Context, node: nodes.Node, route: Route) -> Result:
        first: Witness | None = None
        for part in parts:
            ok, witness = part(ctx, node, route)
            if ok:
                return True, witness
            first = first or witness
        return False, first or Witness(route, "key")
    return any_of


def _over_path(
    targets: Callable[[Context, nodes.Node, Route], list[tuple[Route, nodes.Node]]],
    condition: Condition,
    quantifier: str,
) -> Condition:
    """Evaluate `condition` with each node at the path as the candidate."""
    def over(ctx: Context, node: nodes.Node, route: Route) -> Result:
        found = targets(ctx, node, route)
        if not found:
            return quantifier == "all", Witness(route, "key")
        first_fail: Witness | None = None
        last_ok: Witness | None = None
        for r, n in found:
            ok, witness = condition(ctx, n, r)
            if ok and quantifier == "any":
                return True, witness
            if not ok and quantifier == "all":
                return False, witness
            if ok:
                last_ok = witness
            elif first_fail is None:
                first_fail = witness
        if quantifier == "all":
            return True, last_ok or Witness(route, "key")
        return False, first_fail or Witness(route, "key")
    return over


# --------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Matcher:
    for_each: tuple[Path, ...]
    where: Condition | None
    check: Condition | None  # the `assert:` block
    report: Path | None
    message: str | None = None  # overrides the rule's message for this block

    def run(self, root: nodes.Node, params: Mapping[str, Any],
            memo: dict[Any, Any] | None = None) -> Iterator[Hit]:
        ctx = Context(root, params, {} if memo is None else memo)
        seen: set[Route] = set()
        for path in self.for_each:
            for route, node in resolve(path, root, (), root):
                if route in seen:
                    continue
                seen.add(route)
                yield from self._candidate(ctx, node, route)

    def _candidate(self, ctx: Context, node: nodes.Node, route: Route) -> Iterator[Hit]:
        witness = Witness(route, "key")
        if self.where is not None:
            ok, witness = self.where(ctx, node, route)
            if not ok:
                return
        if self.check is not None:
            ok, witness = self.check(ctx, node, route)
            if ok:
                return
        if self.report is not None and self.report.text == KEY_PATH:
            witness = Witness(route, "key")
        elif self.report is not None:
            found = resolve(self.report, node, route, ctx.root)
            witness = (Witness(found[0][0], _focus_for(found[0][1])) if found
                       else Witness(route, "key"))
        fields = _fields(ctx.root, route, witness)
        if witness.route[:len(route)] != route:
            # the finding points outside its candidate (a workflow-level key shared by every
            # job): the candidate is part of what is flagged, so of the fingerprint too
            from soc2lint.language.routes import render

            fields["identity"] = render(route)
        yield Hit(witness.route, witness.focus, fields, message=self.message)


def _node_at(root: nodes.Node, route: Route) -> nodes.Node | None:
    found = resolve(Path("", False, tuple(route)), root, (), root)
    return found[0][1] if found else None


def _label(root: nodes.Node, route: Route) -> str:
    """How a message names the node at `route`: its key, or for a list item its `name`/`id`."""
    if not route:
        return ""
    if isinstance(route[-1], int):
        node = _node_at(root, route)
        for key in ("name", "id"):
            hit = nodes.get(node, key) if node is not None else None
            if hit and isinstance(hit[1], nodes.ScalarNode) and hit[1].value:
                return str(hit[1].value)
    return str(route[-1])


def _fields(root: nodes.Node, candidate: Route, witness: Witness) -> dict[str, str]:
    from soc2lint.language.routes import render

    node = _node_at(root, witness.route)
    value = node.value if isinstance(node, nodes.ScalarNode) else ""
    fields = {
        "value": _clip(value),
        "key": str(witness.route[-1]) if witness.route else "",
        "candidate": _label(root, candidate),
        "route": render(witness.route),
    }
    # the candidate's own scalars (`{candidate.actor_id}`) and its size (`{count}`)
    item = _node_at(root, candidate)
    if isinstance(item, (nodes.MappingNode, nodes.SequenceNode)):
        fields["count"] = str(len(list(nodes.children(item))))
    for key, _knode, child in nodes.items(item) if item is not None else ():
        if isinstance(child, nodes.ScalarNode):
            fields[f"candidate.{key}"] = _clip(child.value)
    return fields


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compile_match(spec: Mapping[str, Any], declared: Mapping[str, Any],
                  conditions: Mapping[str, Any] | None = None, prefix: str = "match") -> Matcher:
    """Compile one `match` block. Raises MatchError naming the offending key."""
    scope = Scope(declared, conditions or {})
    allowed = {"for_each", "where", "assert", "report", "message"}
    for key in spec:
        if key not in allowed:
            raise MatchError(f"{prefix}.{key}", f"unknown key {key!r} in match")
    raw_each = spec.get("for_each", ROOT)
    each_list = raw_each if isinstance(raw_each, list) else [raw_each]
    try:
        for_each = tuple(parse_path(str(p)) for p in each_list)
        report = (None if "report" not in spec else Path(KEY_PATH, False, ())
                  if spec["report"] == KEY_PATH else parse_path(str(spec["report"])))
    except PathError as exc:
        raise MatchError(f"{prefix}.for_each", str(exc)) from exc
    where = compile_condition(spec["where"], f"{prefix}.where", scope) if "where" in spec else None
    check = compile_condition(spec["assert"], f"{prefix}.assert", scope) if "assert" in spec else None
    if where is None and check is None:
        raise MatchError(prefix, "a match needs `where`, `assert`, or both")
    return Matcher(for_each, where, check, report, spec.get("message"))


def compile_matches(spec: Any, declared: Mapping[str, Any],
                    conditions: Mapping[str, Any] | None = None) -> tuple[Matcher, ...]:
    """A rule's `match`: one block, or a list of blocks whose findings add up."""
    if isinstance(spec, list):
        return tuple(compile_match(block, declared, conditions, f"match.{i}")
                     for i, block in enumerate(spec))
    return (compile_match(spec, declared, conditions),)
