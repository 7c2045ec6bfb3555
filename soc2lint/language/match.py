"""A rule's `match` compiled: candidates from `for_each`, kept by `where`, reported unless `assert`
holds, pointed at by the witness (or `report`). Compiled once per rule, into Matchers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from soc2lint.formats import nodes
from soc2lint.language.conditions import (
    Condition,
    Witness,
    compile_condition,
    focus_for,
    whole_document,
)
from soc2lint.language.paths import (
    KEY_PATH,
    ROOT,
    MatchError,
    Path,
    PathError,
    expand_named_paths,
    node_at,
    parse_path,
    resolve,
    uses_named_path,
)
from soc2lint.language.routes import Route, render
from soc2lint.language.values import Context, Scope
from soc2lint.model import Hit, Rule

# how many candidates of a document got no verdict because a value they needed is unknown (in
# the memo the rules of a document share): the engine lists such rules as not evaluated
UNKNOWN_SKIPS = "unknown-skips"


@dataclass(frozen=True)
class Matcher:
    for_each: tuple[Path, ...]
    where: Condition | None
    check: Condition | None  # the `assert:` block
    report: Path | None
    message: str | None = None  # overrides the rule's message for this block
    # the part of `where` that reads only the document (`$.kind`, parameters): false there, the
    # `where` is false for every candidate, so none is looked for (see _document_gate)
    gate: Condition | None = None

    def run(
        self, root: nodes.Node, params: Mapping[str, Any], memo: dict[Any, Any] | None = None
    ) -> Iterator[Hit]:
        ctx = Context(root, params, {} if memo is None else memo)
        if self.gate is not None and not self.gate(ctx, root, ())[0]:
            return
        seen: set[Route] = set()
        for path in self.for_each:
            # the same paths (a named path's containers) are walked by many rules: once a document
            key = ("for_each", path.steps)
            found = ctx.memo.get(key)
            if found is None:
                found = ctx.memo[key] = resolve(path, root, (), root)
            for route, node in found:
                if route in seen:
                    continue
                seen.add(route)
                yield from self._candidate(ctx, node, route)

    def _candidate(self, ctx: Context, node: nodes.Node, route: Route) -> Iterator[Hit]:
        witness = Witness(route, "key")
        ctx.unknown = node.tag == nodes.UNKNOWN_TAG
        if self.where is not None:
            ok, witness = self.where(ctx, node, route)
            if not ok:
                return
        if self.check is not None:
            ok, witness = self.check(ctx, node, route)
            if ok:
                return
        if ctx.unknown:  # a value the decision needed is unknown: not evaluated, no finding
            ctx.memo[UNKNOWN_SKIPS] = ctx.memo.get(UNKNOWN_SKIPS, 0) + 1
            return
        if self.report is not None and self.report.text == KEY_PATH:
            witness = Witness(route, "key")
        elif self.report is not None:
            found = resolve(self.report, node, route, ctx.root)
            witness = (
                Witness(found[0][0], focus_for(found[0][1])) if found else Witness(route, "key")
            )
        fields = _fields(ctx.root, route, witness, node)
        if witness.route[: len(route)] != route:
            # the finding points outside its candidate (a workflow-level key shared by every
            # job): the candidate is part of what is flagged, so of the fingerprint too
            fields["identity"] = render(route)
        yield Hit(witness.route, witness.focus, fields, message=self.message)


def _label(root: nodes.Node, route: Route, node: nodes.Node | None = None) -> str:
    """How a message names the node at `route` (`node`, when the caller holds it): its key, or
    for a list item its `name`/`id`."""
    if not route:
        return ""
    if isinstance(route[-1], int):
        node = node_at(root, route) if node is None else node
        for key in ("name", "id"):
            hit = nodes.get(node, key) if node is not None else None
            if hit and isinstance(hit[1], nodes.ScalarNode) and hit[1].value:
                return str(hit[1].value)
    return str(route[-1])


def _fields(
    root: nodes.Node, candidate: Route, witness: Witness, item: nodes.Node | None = None
) -> dict[str, str]:
    """The message fields of a hit; `item` is the candidate's node (looked up when None)."""
    item = node_at(root, candidate) if item is None else item
    node = item if witness.route == candidate else node_at(root, witness.route)
    value = node.value if isinstance(node, nodes.ScalarNode) else ""
    fields = {
        "value": _clip(value),
        "key": str(witness.route[-1]) if witness.route else "",
        "candidate": _label(root, candidate, item),
        "route": render(witness.route),
    }
    # the candidate's own scalars (`{candidate.actor_id}`) and its size (`{count}`)
    if isinstance(item, (nodes.MappingNode, nodes.SequenceNode)):
        fields["count"] = str(len(list(nodes.children(item))))
    for key, _knode, child in nodes.items(item) if item is not None else ():
        if isinstance(child, nodes.ScalarNode):
            fields[f"candidate.{key}"] = _clip(child.value)
    return fields


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compile_match(
    spec: Mapping[str, Any],
    declared: Mapping[str, Any],
    conditions: Mapping[str, Any] | None = None,
    prefix: str = "match",
    named_paths: Mapping[str, tuple[str, ...]] | None = None,
) -> Matcher:
    """Compile one `match` block. Raises MatchError naming the offending key."""
    scope = Scope(declared, conditions or {})
    allowed = {"for_each", "where", "assert", "report", "message"}
    for key in spec:
        if key not in allowed:
            raise MatchError(f"{prefix}.{key}", f"unknown key {key!r} in match")
    each_list = expand_named_paths(
        spec.get("for_each", ROOT), named_paths or {}, f"{prefix}.for_each"
    )
    try:
        for_each = tuple(parse_path(str(p)) for p in each_list)
        report = (
            None
            if "report" not in spec
            else Path(KEY_PATH, False, ())
            if spec["report"] == KEY_PATH
            else parse_path(str(spec["report"]))
        )
    except PathError as exc:
        raise MatchError(f"{prefix}.for_each", str(exc)) from exc
    where = compile_condition(spec["where"], f"{prefix}.where", scope) if "where" in spec else None
    check = (
        compile_condition(spec["assert"], f"{prefix}.assert", scope) if "assert" in spec else None
    )
    if where is None and check is None:
        raise MatchError(prefix, "a match needs `where`, `assert`, or both")
    gate = None
    if where is not None and for_each != (parse_path(ROOT),):
        parts = [
            c
            for c in _conjuncts(spec["where"], scope.conditions)
            if whole_document(c, scope.conditions)
        ]
        if parts:
            gate = compile_condition({"all": parts}, f"{prefix}.where", scope)
    return Matcher(for_each, where, check, report, spec.get("message"), gate)


def _conjuncts(raw: Any, library: Mapping[str, Any], seen: tuple[str, ...] = ()) -> list[Any]:
    """The conditions that must all hold for `raw` to hold (`all:` opened, and named conditions
    that read more than the document: one that reads only the document stays named, so that
    every rule shares its once-per-document result)."""
    if isinstance(raw, dict) and "path" not in raw and "quantifier" not in raw:
        if set(raw) == {"all"} and isinstance(raw["all"], list):
            return [c for part in raw["all"] for c in _conjuncts(part, library, seen)]
        name = raw.get("use")
        if (
            set(raw) == {"use"}
            and isinstance(name, str)
            and name in library
            and name not in seen
            and not whole_document(library[name], library, seen + (name,))
        ):
            return _conjuncts(library[name], library, seen + (name,))
    return [raw]


def compile_matches(
    spec: Any,
    declared: Mapping[str, Any],
    conditions: Mapping[str, Any] | None = None,
    named_paths: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[Matcher, ...]:
    """A rule's `match`: one block, or a list of blocks whose findings add up."""
    if isinstance(spec, list):
        return tuple(
            compile_match(block, declared, conditions, f"match.{i}", named_paths)
            for i, block in enumerate(spec)
        )
    return (compile_match(spec, declared, conditions, named_paths=named_paths),)


def with_named_paths(spec: Any, named: Mapping[str, tuple[str, ...]]) -> Any:
    """A rule's `match` with each `for_each: {use: NAME}` replaced by the library paths it names
    (the spec itself when it names none). Raises MatchError naming the key of an unknown name."""
    blocks = spec if isinstance(spec, list) else [spec]
    if not any(isinstance(b, dict) and uses_named_path(b.get("for_each")) for b in blocks):
        return spec
    out = []
    for i, block in enumerate(blocks):
        where = f"match.{i}.for_each" if isinstance(spec, list) else "match.for_each"
        if isinstance(block, dict) and uses_named_path(block.get("for_each")):
            block = {**block, "for_each": expand_named_paths(block["for_each"], named, where)}
        out.append(block)
    return out if isinstance(spec, list) else out[0]


# id(match spec) -> (the spec itself, kept alive so its id cannot be reused; its matchers)
_COMPILED: dict[int, tuple[Any, tuple[Any, ...]]] = {}


def matchers_of(rule: Rule) -> tuple[Any, ...]:
    """The compiled `match` blocks of a rule. Rules whose bytes the test suite validated
    (validated.json) are compiled on first use: `soc2lint rules` never pays for it."""
    if rule.matchers or rule.match is None:
        return rule.matchers
    key = id(rule.match)  # shared by the copies select_rules makes (params, severity)
    entry = _COMPILED.get(key)
    if entry is None or entry[0] is not rule.match:
        entry = _COMPILED[key] = (
            rule.match,
            compile_matches(rule.match, rule.parameters, rule.conditions),
        )
    return entry[1]


# id(match spec) -> (the spec itself; the kinds its documents must have, None: any)
_KINDS: dict[int, tuple[Any, frozenset[str] | None]] = {}


def kinds_of(rule: Rule) -> frozenset[str] | None:
    """The `kind`s a document must have for any `match` block of the rule to hold there (every
    block's `where` requires `$.kind` in a list, or equal to a string), None when some block
    does not say: the scan skips the rule for other documents without running it."""
    if rule.match is None:
        return None
    entry = _KINDS.get(id(rule.match))
    if entry is None or entry[0] is not rule.match:
        blocks = rule.match if isinstance(rule.match, list) else [rule.match]
        found = [_block_kinds(b, rule.conditions or {}) for b in blocks]
        kinds: frozenset[str] | None = frozenset()
        for block_kinds in found:
            kinds = None if kinds is None or block_kinds is None else kinds | block_kinds
        entry = _KINDS[id(rule.match)] = (rule.match, kinds)
    return entry[1]


def _block_kinds(block: Any, library: Mapping[str, Any]) -> frozenset[str] | None:
    if not isinstance(block, dict) or not isinstance(block.get("where"), dict):
        return None
    at_root = block.get("for_each", ROOT) in (ROOT, [ROOT])
    for part in _all_conjuncts(block["where"], library):
        if not isinstance(part, dict) or "quantifier" in part:
            continue
        path = part.get("path")
        if path != "$.kind" and not (at_root and path == "kind"):
            continue
        choices = part.get("in")
        if (
            set(part) == {"path", "in"}
            and isinstance(choices, list)
            and all(isinstance(k, str) for k in choices)
        ):
            return frozenset(choices)
        if set(part) == {"path", "equals"} and isinstance(part["equals"], str):
            return frozenset({part["equals"]})
    return None


def _all_conjuncts(raw: Any, library: Mapping[str, Any], seen: tuple[str, ...] = ()) -> list[Any]:
    """The conditions that must all hold for `raw` to hold, every `all:` and name opened."""
    if isinstance(raw, dict) and "path" not in raw and "quantifier" not in raw:
        if set(raw) == {"all"} and isinstance(raw["all"], list):
            return [c for part in raw["all"] for c in _all_conjuncts(part, library, seen)]
        name = raw.get("use")
        if set(raw) == {"use"} and isinstance(name, str) and name in library and name not in seen:
            return _all_conjuncts(library[name], library, seen + (name,))
    return [raw]


@dataclass(frozen=True)
class Exclusion:
    """One `exclude` block of a detector rule: the nodes it selects, and the hit fields it needs."""

    for_each: tuple[Path, ...]
    where: Condition
    report: Path | None
    fields: tuple[tuple[str, re.Pattern[str]], ...]


@dataclass(frozen=True)
class Refinement:
    """What a detector rule's file adds to its detector: `exclude` blocks and field `labels`."""

    exclude: tuple[Exclusion, ...] = ()
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def compile_refinement(
    data: Mapping[str, Any],
    declared: Mapping[str, Any],
    conditions: Mapping[str, Any] | None,
    known_fields: set[str] | None = None,
) -> Refinement | None:
    """A detector rule's `exclude` and `labels`. Raises MatchError naming the offending key."""
    if "exclude" not in data and "labels" not in data:
        return None
    if "detector" not in data:
        key = "exclude" if "exclude" in data else "labels"
        raise MatchError(key, f"`{key}` is for detector rules; a match rule says it in `where`")
    scope = Scope(declared, conditions or {})
    blocks = []
    for i, block in enumerate(data.get("exclude", ())):
        prefix = f"exclude.{i}"
        try:
            each = block.get("for_each", ROOT)
            for_each = tuple(
                parse_path(str(p)) for p in (each if isinstance(each, list) else [each])
            )
            report = parse_path(str(block["report"])) if "report" in block else None
        except PathError as exc:
            raise MatchError(f"{prefix}.for_each", str(exc)) from exc
        pats = []
        for name, regex in (block.get("fields") or {}).items():
            if known_fields is not None and name not in known_fields:
                raise MatchError(
                    f"{prefix}.fields.{name}",
                    f"unknown field {name!r}; known: {', '.join(sorted(known_fields))}",
                )
            try:
                pats.append((str(name), re.compile(regex)))
            except re.error as exc:
                raise MatchError(f"{prefix}.fields.{name}", f"invalid regex: {exc}") from exc
        where = compile_condition(block["where"], f"{prefix}.where", scope)
        blocks.append(Exclusion(for_each, where, report, tuple(pats)))
    labels = data.get("labels") or {}
    for name in labels:
        if known_fields is not None and name not in known_fields:
            raise MatchError(
                f"labels.{name}",
                f"unknown field {name!r}; known: {', '.join(sorted(known_fields))}",
            )
    return Refinement(tuple(blocks), labels)


def refine_hits(
    refinement: Refinement | None,
    root: nodes.Node,
    hits: Iterable[Hit],
    params: Mapping[str, Any],
    memo: dict[Any, Any] | None = None,
) -> Iterator[Hit]:
    """A detector's hits without those inside an `exclude` block's nodes, fields relabelled."""
    if refinement is None:
        yield from hits
        return
    ctx = Context(root, params, {} if memo is None else memo)
    excluded: list[tuple[Route, Exclusion]] | None = None
    for hit in hits:
        if refinement.exclude:
            if excluded is None:  # only documents where the detector fired pay for this
                excluded = [
                    (r, block) for block in refinement.exclude for r in _selected(ctx, block)
                ]
            if any(
                hit.route[: len(r)] == r
                and all(p.search(str(hit.fields.get(n, ""))) for n, p in block.fields)
                for r, block in excluded
            ):
                continue
        if refinement.labels:
            fields = dict(hit.fields)
            for name, words in refinement.labels.items():
                if name in fields and fields[name] in words:
                    fields[name] = words[fields[name]]
            hit = replace(hit, fields=fields)
        yield hit


def _selected(ctx: Context, block: Exclusion) -> Iterator[Route]:
    candidates = (c for path in block.for_each for c in resolve(path, ctx.root, (), ctx.root))
    for route, node in candidates:
        ok, _witness = block.where(ctx, node, route)
        if not ok:
            continue
        if block.report is None:
            yield route
        else:
            yield from (r for r, _n in resolve(block.report, node, route, ctx.root))


# id(refinement spec) -> (the spec itself, kept alive so its id cannot be reused; compiled)
_REFINED: dict[int, tuple[Any, Refinement | None]] = {}


def refinement_of(rule: Rule) -> Refinement | None:
    """A detector rule's `exclude` and `labels`, compiled on first use (the load checked them)."""
    spec = rule.refinement
    if spec is None:
        return None
    entry = _REFINED.get(id(spec))
    if entry is None or entry[0] is not spec:
        data = {"detector": rule.detector, **spec}
        entry = _REFINED[id(spec)] = (
            spec,
            compile_refinement(data, rule.parameters, rule.conditions),
        )
    return entry[1]
