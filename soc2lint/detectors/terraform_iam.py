"""IAM policy statements in Terraform (TFA012 full admin, TFA013 wildcard action, TFA016 trust
too broad), read with `soc2lint.terraform.iam` from the evaluated resources.

Where policies are read:

* `policy` of `aws_iam_policy`, `aws_iam_role_policy`, `aws_iam_user_policy`,
  `aws_iam_group_policy`, and of each `inline_policy` block of `aws_iam_role`;
* `assume_role_policy` of `aws_iam_role` (trust questions only);
* the `statement` blocks of a `data.aws_iam_policy_document` (with its source and override
  documents).

A `jsonencode({...})` policy is read from the value before encoding, so a statement is judged
even where another statement's resource is computed. A policy given by reference to a policy
document data source is unknown at the resource (data sources are not evaluated there): it is
judged once, at the data source. An unknown part that could decide the answer gives no finding;
a policy of the wrong shape is one line on stderr (path, line, what is wrong) and no finding.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from soc2lint.model import Document, Hit

POLICY_RESOURCES = frozenset(
    {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}
)
DOCUMENT = "aws_iam_policy_document"

Predicate = Callable[[Any], "bool | None"]


def _plain(body: Any) -> dict[str, Any]:
    """A `config.Body` as the plain mapping `iam.statements_from_document` reads: attributes by
    value, nested blocks as lists of mappings (UNKNOWN for a block an unknown `for_each` makes)."""
    from soc2lint.terraform.config import Body
    from soc2lint.terraform.values import UNKNOWN

    out: dict[str, Any] = {}
    for name, value in body.attributes.items():
        out[name] = value.value if value.encoded is None else value.encoded
    for kind, blocks in body.blocks.items():
        out[kind] = [_plain(b) if isinstance(b, Body) else UNKNOWN for b in blocks]
    return out


def _policy_value(value: Any) -> Any:
    """What a `policy` attribute holds: the value before `jsonencode` when there is one."""
    return value.value if value.encoded is None else value.encoded


def _warn(where: Any, problem: str) -> None:
    print(f"{where.path}:{where.line + 1}:{where.column + 1}: {problem}", file=sys.stderr)


def _undecided(params: Mapping[str, Any]) -> None:
    """A policy left without a verdict for an unknown part: the rule is not evaluated there,
    so its controls cannot read as passed (the engine's count, as for match rules)."""
    from soc2lint.language.match import UNKNOWN_SKIPS

    memo = params.get("_memo")
    if isinstance(memo, dict):
        memo[UNKNOWN_SKIPS] = memo.get(UNKNOWN_SKIPS, 0) + 1


def _verdicts(statements: Any, predicate: Predicate, params: Mapping[str, Any]) -> Iterator[Any]:
    """The statements the predicate holds for; an unknown answer (None) is counted, not a hit."""
    undecided = False
    for statement in statements:
        verdict = predicate(statement)
        if verdict is True:
            yield statement
        elif verdict is None:
            undecided = True
    if undecided:
        _undecided(params)


def _policy_hits(
    route: tuple[str | int, ...],
    value: Any,
    predicate: Predicate,
    what: str,
    warn: bool,
    params: Mapping[str, Any],
) -> Iterator[Hit]:
    from soc2lint.terraform import iam
    from soc2lint.terraform.values import UNKNOWN

    try:
        statements = iam.statements_from_policy(_policy_value(value), unknown=UNKNOWN)
    except iam.PolicyError as exc:
        if warn:
            _warn(value.where, f"{what}: {exc}; not evaluated")
        return
    if isinstance(statements, iam.Unknown):
        _undecided(params)
        return
    for statement in _verdicts(statements, predicate, params):
        yield Hit(route, "value", {"statement": _name(statement), "where": what})


def _name(statement: Any) -> str:
    if isinstance(statement.sid, str) and statement.sid:
        return f"statement '{statement.sid}'"
    if statement.index is None:
        return "a statement of a source or override document"
    return f"statement {statement.index + 1}"


def _document_hits(
    resource: Any, predicate: Predicate, warn: bool, params: Mapping[str, Any]
) -> Iterator[Hit]:
    from soc2lint.terraform import iam
    from soc2lint.terraform.values import UNKNOWN

    base: tuple[str | int, ...] = ("data", DOCUMENT, resource.name)
    try:
        statements = iam.statements_from_document(_plain(resource.body), unknown=UNKNOWN)
    except iam.PolicyError as exc:
        if warn:
            _warn(resource.body.where, f"{resource.address}: {exc}; not evaluated")
        return
    if isinstance(statements, iam.Unknown):
        _undecided(params)
        return
    for statement in _verdicts(statements, predicate, params):
        if statement.index is not None:
            route = (*base, "statement", statement.index)
        else:
            attr = next(
                (
                    a
                    for a in ("override_policy_documents", "source_policy_documents")
                    if a in resource.body.attributes
                ),
                None,
            )
            route = (*base, attr) if attr else base
        yield Hit(route, "key", {"statement": _name(statement), "where": "policy document"})


def _hits(
    doc: Document, predicate: Predicate, trust: bool, warn: bool, params: Mapping[str, Any]
) -> Iterator[Hit]:
    """The hits of one document; `warn`: this detector reports malformed identity policies
    (one of the three does, so that a bad policy is one line however many rules read it)."""
    resource = getattr(doc.data, "resource", None)
    if resource is None:
        return
    if resource.mode == "data" and resource.type == DOCUMENT:
        yield from _document_hits(resource, predicate, warn and not trust, params)
        return
    if resource.mode != "resource":
        return
    base: tuple[str | int, ...] = ("resource", resource.type, resource.name)
    attrs = resource.body.attributes
    if resource.type in POLICY_RESOURCES and "policy" in attrs and not trust:
        yield from _policy_hits(
            (*base, "policy"), attrs["policy"], predicate, "policy", warn, params
        )
    if resource.type != "aws_iam_role":
        return
    if trust:
        if "assume_role_policy" in attrs:
            route = (*base, "assume_role_policy")
            value = attrs["assume_role_policy"]
            yield from _policy_hits(route, value, predicate, "trust policy", True, params)
        return
    from soc2lint.terraform.config import Body

    for i, block in enumerate(resource.body.blocks.get("inline_policy", ())):
        if isinstance(block, Body) and "policy" in block.attributes:
            route = (*base, "inline_policy", i, "policy")
            value = block.attributes["policy"]
            yield from _policy_hits(route, value, predicate, "inline policy", warn, params)


def full_admin(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    from soc2lint.terraform.iam import is_full_admin

    return _hits(doc, is_full_admin, trust=False, warn=True, params=params)


def wildcard_action(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    from soc2lint.terraform.iam import is_full_admin, is_wildcard_action

    def wildcard_not_admin(statement: Any) -> bool | None:
        if is_full_admin(statement) is True:
            return False  # TFA012's
        return is_wildcard_action(statement)

    return _hits(doc, wildcard_not_admin, trust=False, warn=False, params=params)


def trust_too_broad(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    from soc2lint.terraform.iam import is_trust_too_broad

    return _hits(doc, is_trust_too_broad, trust=True, warn=True, params=params)
