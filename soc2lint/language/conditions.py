"""The closed operator set: compile a condition mapping into a closure returning (ok, witness).

The witness is the route of the node that decided the result (the value that failed `equals`,
the parent that lacks a required key); findings point at witnesses. OPERATOR_TABLE is the one
list of operators: the compiler accepts exactly these, and the operator table of
docs/rule-language.md is generated from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from soc2lint.formats import nodes
from soc2lint.language.paths import (
    DEEP,
    KEY_PATH,
    MatchError,
    Path,
    PathError,
    key_node,
    parse_path,
    resolve,
)
from soc2lint.language.routes import Route
from soc2lint.language.values import (
    COMPARE,
    VALUE_OPERATORS,
    Context,
    Scope,
    number,
    operand,
    value_test,
)


@dataclass(frozen=True)
class Witness:
    route: Route
    focus: str  # "key" or "value"


Result = tuple[bool, Witness]
Condition = Callable[[Context, nodes.Node, Route], Result]


class OperatorDoc(NamedTuple):
    operators: tuple[str, ...]  # the keys this row documents
    syntax: str
    holds: str  # "holds when the node(s) at `path` ..."


OPERATOR_TABLE: tuple[OperatorDoc, ...] = (
    OperatorDoc(
        ("exists", "absent"),
        "`exists: true`",
        "exists (`exists: false` or `absent: true`: does not)",
    ),
    OperatorDoc(
        ("equals", "not_equals"),
        "`equals: V` / `not_equals: V`",
        'is a scalar equal to `V` (type-strict: `true` is not `"true"` nor `1`)',
    ),
    OperatorDoc(("in", "not_in"), "`in: [..]` / `not_in: [..]`", "equals one of the values"),
    OperatorDoc(
        ("regex", "not_regex"),
        "`regex: R` / `not_regex: R`",
        "is a scalar whose text matches the Python regex `R` (search)",
    ),
    OperatorDoc(
        ("glob", "not_glob"),
        "`glob: G` / `not_glob: G`",
        "is a scalar matching a shell glob, or any of a list of globs",
    ),
    OperatorDoc(
        ("gt", "ge", "lt", "le"),
        "`gt`, `ge`, `lt`, `le: N`",
        "is a number (or numeric string) compared with `N`",
    ),
    OperatorDoc(
        ("length",),
        "`length: {ge: 1}`",
        "has that many items (mapping, sequence) or characters (string)",
    ),
    OperatorDoc(
        ("contains", "not_contains"),
        "`contains: V` / `not_contains: V`",
        "is a mapping with key `V`, a sequence with item `V`, or a string containing `V`",
    ),
    OperatorDoc(
        ("has", "not_has"),
        "`has: V` / `not_has: V`",
        "is a mapping with key `V`, a sequence with item `V`, or the scalar `V` itself "
        "(`on:` in all three shapes)",
    ),
    OperatorDoc(
        ("type",),
        "`type: T`",
        "is a `mapping`, `sequence`, `string`, `number`, `boolean`, `null` or `scalar`",
    ),
    OperatorDoc(("all",), "`all: [..]`", "every sub-condition holds"),
    OperatorDoc(("any",), "`any: [..]`", "at least one sub-condition holds"),
    OperatorDoc(("not",), "`not: {..}`", "the sub-condition does not hold"),
    OperatorDoc(("use",), "`use: NAME`", "the named condition `NAME` holds (see below)"),
    OperatorDoc(
        ("references",),
        "`references: {in: P, where: {..}, transitive: B}`",
        "the scalar(s) at `path` name nodes under `P` (e.g. `needs:` naming jobs), and one "
        "of them satisfies `where`; with `transitive: true`, also nodes named the same way "
        "from there",
    ),
    OperatorDoc(
        ("count",),
        "`count: {ge: N, where: {..}}`",
        "number at least `N` (`ge`; or `gt`, `le`, `lt`, `equals`), counting only those that "
        "satisfy `where`, if given (`path` required)",
    ),
)
OPERATORS = tuple(op for row in OPERATOR_TABLE for op in row.operators)
NEGATED = {
    "not_equals": "equals",
    "not_in": "in",
    "not_regex": "regex",
    "not_glob": "glob",
    "not_contains": "contains",
    "not_has": "has",
}
COMBINATORS = ("all", "any", "not", "use", "references", "count")
PRESENCE = ("exists", "absent")


def focus_for(node: nodes.Node) -> str:
    return "value" if isinstance(node, nodes.ScalarNode) else "key"


def compile_condition(spec: Any, where: str, scope: Scope) -> Condition:
    """Compile one condition mapping (see docs/rule-language.md)."""
    if not isinstance(spec, dict):
        raise MatchError(where, "a condition must be a mapping")
    spec = dict(spec)
    if "default" in spec and "param" not in spec:
        return _with_default(spec, where, scope)
    if "param" in spec:
        return _param_condition(spec, where, scope)
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
        path = (
            parse_path(str(path_text))
            if path_text not in (None, KEY_PATH)
            else Path(KEY_PATH, False, ())
            if path_text == KEY_PATH
            else None
        )
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

        # an unknown value at the path itself exists; one the path went through (it stopped
        # short of its last step) may or may not hold what the path names
        full = None if path is None or DEEP in path.steps else len(path.steps)

        def presence(ctx: Context, node: nodes.Node, route: Route) -> Result:
            found = targets(ctx, node, route) if path is not None else []
            base = 0 if path is None or path.absolute else len(route)
            _note_unknown(ctx, [(r, n) for r, n in found if full is None or len(r) < base + full])
            if found:
                return want_present, Witness(found[0][0], "key")
            return not want_present, Witness(route, "key")

        if path is None:
            raise MatchError(where, f"`{op}` needs a `path`")
        return presence

    if op in NEGATED:
        inner = compile_condition(
            {
                **({"path": path_text} if path_text is not None else {}),
                "quantifier": quantifier,
                NEGATED[op]: raw,
            },
            where,
            scope,
        )
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
        memoise = (
            _per_document
            if whole_document(scope.conditions[raw], scope.conditions, scope.using + (raw,))
            else _memoised
        )
        named = memoise(
            raw,
            compile_condition(scope.conditions[raw], f"{here}({raw})", inner_scope),
            tuple(sorted(params_in(scope.conditions[raw], scope.conditions))),
        )
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

    test = value_test(op, raw, here, scope)

    def focus(n: nodes.Node) -> str:
        return "key" if path_text == KEY_PATH else focus_for(n)

    def value_condition(ctx: Context, node: nodes.Node, route: Route) -> Result:
        found = targets(ctx, node, route)
        _note_unknown(ctx, found, items=True)
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


def _param_condition(spec: dict[str, Any], where: str, scope: Scope) -> Condition:
    """`{param: NAME, length: {equals: 0}}`: a value operator applied to a parameter's value
    rather than to a node (a list parameter left empty meaning "all": `production_namespaces`)."""
    name = spec.pop("param")
    ops = [k for k in spec if k in VALUE_OPERATORS or NEGATED.get(k) in VALUE_OPERATORS]
    if set(spec) != set(ops) or len(ops) != 1:
        raise MatchError(
            where, "`param` takes exactly one value operator (no `path`, no combinator)"
        )
    if not isinstance(name, str) or name not in scope.params:
        raise MatchError(f"{where}.param", f"parameter {name!r} is not declared in `parameters`")
    op = ops[0]
    test = value_test(NEGATED.get(op, op), spec[op], f"{where}.{op}", scope)
    negate = op in NEGATED

    def param_condition(ctx: Context, node: nodes.Node, route: Route) -> Result:
        return test(ctx, _as_node(ctx.params.get(name))) != negate, Witness(route, "key")

    return param_condition


def _as_node(value: Any) -> nodes.Node:
    """A parameter's value (from YAML: scalars and lists of them) as a node."""
    start = nodes.mark(0, 0)
    if isinstance(value, (list, tuple)):
        return nodes.sequence([_as_node(v) for v in value], start, start)
    if value is None or isinstance(value, (bool, int, float)):
        text = (
            "null"
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
        return nodes.scalar(text, start, start, style=None)
    return nodes.scalar(str(value), start, start)


def params_in(raw: Any, library: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """Parameters a condition refers to, through the named conditions it uses."""
    if isinstance(raw, dict):
        if set(raw) == {"param"}:
            return {str(raw["param"])}
        out: set[str] = set()
        if isinstance(raw.get("param"), str):  # a condition on a parameter's value
            out.add(raw["param"])
        name = raw.get("use")
        if isinstance(name, str) and name in library and name not in seen:
            out |= params_in(library[name], library, seen | {name})
        for value in raw.values():
            out |= params_in(value, library, seen)
        return out
    if isinstance(raw, list):
        return set().union(*(params_in(v, library, seen) for v in raw)) if raw else set()
    return set()


def _memoised(name: str, condition: Condition, params: tuple[str, ...]) -> Condition:
    """A named condition evaluated once per node and document, for every rule that uses it
    with the same parameter values (library defaults and config values are shared objects)."""

    def memoised(ctx: Context, node: nodes.Node, route: Route) -> Result:
        key = ("use", name, route, tuple(id(ctx.params.get(p)) for p in params))
        hit = ctx.memo.get(key)
        if hit is None:
            before, ctx.unknown = ctx.unknown, False
            hit = condition(ctx, node, route)
            ctx.memo[key] = hit
            ctx.memo[("use-unknown",) + key[1:]] = ctx.unknown
            ctx.unknown = ctx.unknown or before
        elif ctx.memo.get(("use-unknown",) + key[1:]):
            ctx.unknown = True
        return hit

    return memoised


def whole_document(raw: Any, library: Mapping[str, Any], seen: tuple[str, ...] = ()) -> bool:
    """Whether a condition's result is the same for every candidate of a document: it reads
    only absolute paths (`$.kind`) and parameters. Conservative: `references` never is."""
    if not isinstance(raw, dict) or "references" in raw:
        return False
    if "param" in raw:
        return True
    if "path" in raw:
        text = str(raw["path"]).strip()
        return text == "$" or text.startswith(("$.", "$["))
    parts = raw.get("all", raw.get("any"))
    if isinstance(parts, list):
        return all(whole_document(c, library, seen) for c in parts)
    if "not" in raw:
        return whole_document(raw["not"], library, seen)
    name = raw.get("use")
    if isinstance(name, str) and name in library and name not in seen:
        return whole_document(library[name], library, seen + (name,))
    return False


_ANYWHERE: Route = ("<candidate>",)  # stands for the candidate's route in a shared result


def _per_document(name: str, condition: Condition, params: tuple[str, ...]) -> Condition:
    """A named condition that reads only the document (`whole_document`): evaluated once per
    document for every candidate and rule. Its result is the same for every candidate; its
    witness is either a node it found (the same for all) or the candidate itself (a path not
    found, a parameter), which is put back in for each candidate."""

    def per_document(ctx: Context, node: nodes.Node, route: Route) -> Result:
        key = ("doc", name, tuple(id(ctx.params.get(p)) for p in params))
        hit = ctx.memo.get(key)
        if hit is None:
            before, ctx.unknown = ctx.unknown, False
            hit = ctx.memo[key] = condition(ctx, ctx.root, _ANYWHERE)
            ctx.memo[("doc-unknown",) + key[1:]] = ctx.unknown
            ctx.unknown = ctx.unknown or before
        elif ctx.memo.get(("doc-unknown",) + key[1:]):
            ctx.unknown = True
        ok, witness = hit
        return (ok, Witness(route, witness.focus)) if witness.route is _ANYWHERE else hit

    return per_document


def _count(raw: Any, path: Path | None, where: str, scope: Scope) -> Condition:
    """`{path: "$.jobs.*", count: {ge: 2, where: <condition>}}`: how many nodes at `path` (that
    satisfy `where`, if given) compared with a bound."""
    if path is None:
        raise MatchError(where, "`count` needs a `path`")
    bounds = {k: v for k, v in (raw or {}).items() if k in COMPARE} if isinstance(raw, dict) else {}
    extra = set(raw) - set(bounds) - {"where"} if isinstance(raw, dict) else {"?"}
    if len(bounds) != 1 or extra:
        raise MatchError(
            where, "`count` takes one comparison (ge, gt, le, lt, equals) and an optional `where`"
        )
    ((cmp_name, bound_raw),) = bounds.items()
    cmp = COMPARE[cmp_name]
    bound = operand(bound_raw, where, scope)
    select = compile_condition(raw["where"], f"{where}.where", scope) if "where" in raw else None

    def count(ctx: Context, node: nodes.Node, route: Route) -> Result:
        found = resolve(path, node, route, ctx.root, ctx.memo)
        _note_unknown(ctx, found)
        n = sum(1 for r, c in found if select is None or select(ctx, c, r)[0])
        limit = number(bound(ctx))
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
            items = (
                [(r + (i,), c) for i, c in enumerate(n.value)]
                if isinstance(n, nodes.SequenceNode)
                else [(r, n)]
            )
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
            found = resolve(
                Path(base.text, base.absolute, base.steps + (name,)), node, route, ctx.root
            )
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


def _note_unknown(
    ctx: Context, found: Sequence[tuple[Route, nodes.Node]], items: bool = False
) -> None:
    """A condition that reads an unknown value (nodes.UNKNOWN_TAG) decides nothing: the
    candidate gets no finding (language.match). With `items`, an unknown item of a list or
    mapping the operator reads counts too (`has: audit` on `[var.x, "api"]`)."""
    if ctx.unknown:
        return
    for _, n in found:
        if n.tag == nodes.UNKNOWN_TAG:
            ctx.unknown = True
            return
        if items and isinstance(n, (nodes.SequenceNode, nodes.MappingNode)):
            for _k, _kn, child in nodes.children(n):
                if child.tag == nodes.UNKNOWN_TAG:
                    ctx.unknown = True
                    return


def _with_default(spec: dict[str, Any], where: str, scope: Scope) -> Condition:
    """`{path: P, equals: true, default: false}`: when nothing is at `P` (an absent attribute
    taking its provider's default), the operator tests `default` instead, and the witness is
    the candidate (a finding points at the block that lacks the attribute)."""
    default = spec.pop("default")
    ops = [k for k in spec if k in VALUE_OPERATORS or NEGATED.get(k) in VALUE_OPERATORS]
    if "path" not in spec or len(ops) != 1 or set(spec) - {"path", "quantifier", ops[0]}:
        raise MatchError(f"{where}.default", "`default` goes with a `path` and one value operator")
    inner = compile_condition(spec, where, scope)
    on_default = compile_condition({ops[0]: spec[ops[0]]}, where, scope)
    try:
        path = parse_path(str(spec["path"]))
    except PathError as exc:
        raise MatchError(f"{where}.path", str(exc)) from exc
    value = _as_node(default)

    def with_default(ctx: Context, node: nodes.Node, route: Route) -> Result:
        if resolve(path, node, route, ctx.root, ctx.memo):
            return inner(ctx, node, route)
        ok, _ = on_default(ctx, value, route)
        return ok, Witness(route, "key")

    return with_default


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
        _note_unknown(ctx, found)
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
