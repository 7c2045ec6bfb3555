"""IAM policies as the Terraform evaluator gives them, normalized into statements, and the three
questions the TFA rules ask of a statement (full admin, wildcard action, trust too broad).

Pure functions, no I/O, no import of the evaluator. The contract with the caller:

* Input is an *evaluated* Python value: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``
  / ``tuple`` (a ``set`` from ``toset`` too) and ``dict`` with string keys, as the evaluator produces for HCL expressions,
  ``jsonencode(...)`` arguments and nested blocks. Anything the evaluator could not resolve (a
  variable without a value, ``data.*``, a resource attribute, a function it does not model, an
  unexpanded ``dynamic`` block) is the caller's own sentinel object, passed as ``unknown=``; it
  may stand for the whole policy, a statement, one element or one item of a list. Strings are
  taken literally: a caller that cannot resolve an interpolation passes the sentinel, not the
  ``${...}`` text.
* :func:`statements_from_policy` reads the value of a ``policy`` / ``assume_role_policy``
  attribute: a dict (``jsonencode({...})``) or a JSON string (heredoc or literal), ``Statement``
  being one object or a list of them.
* :func:`statements_from_document` reads an ``aws_iam_policy_document`` data source's evaluated
  body: its ``statement`` blocks (a list of dicts; one dict is taken as a list of one) with
  ``effect`` (default ``Allow``), ``actions``, ``not_actions``, ``resources``, ``not_resources``,
  ``principals`` / ``not_principals`` blocks ``{type, identifiers}`` and ``condition`` blocks
  ``{test, variable, values}``; ``source_policy_documents`` and ``override_policy_documents``
  (JSON strings) merge by ``sid`` as Terraform merges them.
* Output is a tuple of frozen :class:`Statement` records, or :data:`UNKNOWN` (this module's own
  marker, never the caller's sentinel) when the statements themselves cannot be known. Inside a
  statement a whole element or a single list item may be :data:`UNKNOWN`; an element that the
  policy does not have is ``None``.
* A value of the wrong shape (a JSON string that is no JSON, ``Action`` holding an object, a
  statement that is not an object) raises :class:`PolicyError` with a one-line message naming
  the element; the caller adds the path and line and goes on with the scan.
* The predicates answer ``True``, ``False`` or ``None`` (unknown), in three-valued logic: a
  known wildcard item makes an action list match even when another item is unknown, and an
  unknown part that could decide the answer makes it ``None``, never ``True``.

Actions compare case-insensitively (IAM does); ``*:*`` counts as ``*``. A Deny statement never
matches a predicate, and a predicate looks at one statement: a Deny elsewhere in the policy does
not clear an Allow (use :func:`any_statement` for a policy-level answer). Full admin and wildcard
action are questions about identity policies: a statement that names a principal answers False.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias


class PolicyError(ValueError):
    """A policy value of the wrong shape; the message is one line and names the element."""


class Unknown:
    """The type of :data:`UNKNOWN`: a part of a policy that could not be resolved."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()

Items: TypeAlias = "tuple[str | Unknown, ...] | Unknown | None"


@dataclass(frozen=True)
class Principal:
    """``Principal: {"AWS": [...]}`` or a ``principals {type, identifiers}`` block; the bare
    ``"Principal": "*"`` is ``Principal("*", ("*",))``."""

    type: str | Unknown
    identifiers: tuple[str | Unknown, ...] | Unknown


@dataclass(frozen=True)
class Condition:
    """One (operator, key) pair: ``{"StringLike": {"k": [...]}}`` or a ``condition`` block."""

    test: str | Unknown
    variable: str | Unknown
    values: tuple[str | Unknown, ...] | Unknown


@dataclass(frozen=True)
class Statement:
    """One policy statement. ``index`` is its position among the policy's own statements (the
    JSON ``Statement`` list, 0 for a single object, or the ``statement`` blocks); ``None`` for
    one merged in from ``source_policy_documents`` / ``override_policy_documents``."""

    effect: str | Unknown
    actions: Items
    not_actions: Items
    resources: Items
    not_resources: Items
    principals: tuple[Principal, ...] | Unknown | None
    not_principals: tuple[Principal, ...] | Unknown | None
    conditions: tuple[Condition, ...] | Unknown
    sid: str | Unknown | None = None
    index: int | None = None


Statements: TypeAlias = "tuple[Statement, ...] | Unknown"

_NO_SENTINEL: Final = object()


# --- reading -------------------------------------------------------------------------------


def statements_from_policy(value: object, unknown: object = _NO_SENTINEL) -> Statements:
    """The statements of a ``policy`` / ``assume_role_policy`` value (dict or JSON string)."""
    if value is unknown:
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise PolicyError(f"policy is not valid JSON: {e}") from e
    if not isinstance(value, Mapping):
        raise PolicyError(f"policy: expected a JSON object, got {_kind(value)}")
    found, body = _get(value, "Statement")
    if not found:
        raise PolicyError("policy has no Statement")
    if body is unknown:
        return UNKNOWN
    items = [body] if isinstance(body, Mapping) else body
    if not isinstance(items, list | tuple):
        raise PolicyError(f"Statement: expected an object or a list, got {_kind(body)}")
    if any(item is unknown for item in items):
        return UNKNOWN  # a statement we cannot see may grant anything
    return tuple(_json_statement(item, i, unknown) for i, item in enumerate(items))


def statements_from_document(body: object, unknown: object = _NO_SENTINEL) -> Statements:
    """The statements of an ``aws_iam_policy_document`` data source's evaluated body: a dict with
    ``statement`` (and optionally ``source_policy_documents`` / ``override_policy_documents``),
    or the list of ``statement`` blocks alone."""
    if body is unknown:
        return UNKNOWN
    if isinstance(body, Mapping):
        blocks = body.get("statement", [])
        sources = body.get("source_policy_documents")
        overrides = body.get("override_policy_documents")
    else:
        blocks, sources, overrides = body, None, None
    if blocks is unknown:
        return UNKNOWN
    if isinstance(blocks, Mapping):
        blocks = [blocks]
    if blocks is None:
        blocks = []
    if not isinstance(blocks, list | tuple):
        raise PolicyError(f"statement: expected blocks, got {_kind(blocks)}")
    if any(block is unknown for block in blocks):
        return UNKNOWN
    own = tuple(_block_statement(block, i, unknown) for i, block in enumerate(blocks))
    if sources is None and overrides is None:
        return own
    base = _documents(sources, "source_policy_documents", unknown)
    extra = _documents(overrides, "override_policy_documents", unknown)
    if isinstance(base, Unknown) or isinstance(extra, Unknown):
        return UNKNOWN
    # Terraform: the document's own statements replace source statements with the same sid,
    # override statements replace any with the same sid; statements without a sid are added
    merged = list(base)
    for statement in (*own, *extra):
        if isinstance(statement.sid, Unknown):
            return UNKNOWN  # cannot tell which statement it replaces
        same = [i for i, s in enumerate(merged) if statement.sid and s.sid == statement.sid]
        if same:
            merged[same[0]] = statement
        else:
            merged.append(statement)
    return tuple(merged)


def _documents(docs: object, name: str, unknown: object) -> list[Statement] | Unknown:
    if docs is None:
        return []
    if docs is unknown:
        return UNKNOWN
    if not isinstance(docs, list | tuple):
        raise PolicyError(f"{name}: expected a list of JSON documents, got {_kind(docs)}")
    out: list[Statement] = []
    for doc in docs:
        got = statements_from_policy(doc, unknown)
        if isinstance(got, Unknown):
            return UNKNOWN
        out.extend(_replace_index(s) for s in got)
    return out


def _replace_index(s: Statement) -> Statement:
    return Statement(
        s.effect,
        s.actions,
        s.not_actions,
        s.resources,
        s.not_resources,
        s.principals,
        s.not_principals,
        s.conditions,
        s.sid,
        None,
    )


def _json_statement(item: object, index: int, unknown: object) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(item, Mapping):
        raise PolicyError(f"{where}: expected an object, got {_kind(item)}")
    found, effect = _get(item, "Effect")
    if not found:
        raise PolicyError(f"{where}: no Effect")
    return Statement(
        effect=_effect(effect, where, unknown),
        actions=_items(item, "Action", where, unknown),
        not_actions=_items(item, "NotAction", where, unknown),
        resources=_items(item, "Resource", where, unknown),
        not_resources=_items(item, "NotResource", where, unknown),
        principals=_json_principals(item, "Principal", where, unknown),
        not_principals=_json_principals(item, "NotPrincipal", where, unknown),
        conditions=_json_conditions(item, where, unknown),
        sid=_sid(_get(item, "Sid")[1], where, unknown),
        index=index,
    )


def _block_statement(block: object, index: int, unknown: object) -> Statement:
    where = f"statement[{index}]"
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where}: expected a block, got {_kind(block)}")
    effect = block.get("effect")
    return Statement(
        effect="Allow" if effect is None else _effect(effect, where, unknown),
        actions=_items(block, "actions", where, unknown),
        not_actions=_items(block, "not_actions", where, unknown),
        resources=_items(block, "resources", where, unknown),
        not_resources=_items(block, "not_resources", where, unknown),
        principals=_block_principals(block, "principals", where, unknown),
        not_principals=_block_principals(block, "not_principals", where, unknown),
        conditions=_block_conditions(block, where, unknown),
        sid=_sid(block.get("sid"), where, unknown),
        index=index,
    )


def _get(mapping: Mapping[object, object], name: str) -> tuple[bool, object]:
    """A JSON policy element by name; IAM's element names are matched without regard to case."""
    if name in mapping:
        return True, mapping[name]
    lower = name.lower()
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == lower:
            return True, value
    return False, None


def _effect(value: object, where: str, unknown: object) -> str | Unknown:
    if value is unknown:
        return UNKNOWN
    if isinstance(value, str) and value.lower() in ("allow", "deny"):
        return "Allow" if value.lower() == "allow" else "Deny"
    raise PolicyError(f"{where}: Effect must be Allow or Deny, got {_show(value)}")


def _sid(value: object, where: str, unknown: object) -> str | Unknown | None:
    if value is unknown:
        return UNKNOWN
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise PolicyError(f"{where}: Sid must be a string, got {_kind(value)}")


def _scalar(value: object, where: str, unknown: object) -> str | Unknown:
    if value is unknown:
        return UNKNOWN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    raise PolicyError(f"{where}: expected a string, got {_kind(value)}")


def _list(value: object, where: str, unknown: object) -> tuple[str | Unknown, ...] | Unknown:
    if value is unknown:
        return UNKNOWN
    if isinstance(value, list | tuple):
        return tuple(_scalar(v, where, unknown) for v in value)
    if isinstance(value, set | frozenset):  # toset([...]): no order, so a stable one
        items = [_scalar(v, where, unknown) for v in value]
        return tuple(sorted(items, key=lambda i: (isinstance(i, Unknown), str(i))))
    return (_scalar(value, where, unknown),)


def _items(item: Mapping[object, object], name: str, where: str, unknown: object) -> Items:
    found, value = _get(item, name)
    if not found or value is None:
        return None
    return _list(value, f"{where}.{name}", unknown)


def _json_principals(
    item: Mapping[object, object], name: str, where: str, unknown: object
) -> tuple[Principal, ...] | Unknown | None:
    found, value = _get(item, name)
    if not found or value is None:
        return None
    if value is unknown:
        return UNKNOWN
    if isinstance(value, str):
        if value != "*":
            raise PolicyError(f'{where}.{name}: a string principal must be "*", got {_show(value)}')
        return (Principal("*", ("*",)),)
    if not isinstance(value, Mapping):
        raise PolicyError(f'{where}.{name}: expected an object or "*", got {_kind(value)}')
    out = []
    for kind, ids in value.items():
        if kind is unknown or not isinstance(kind, str):
            out.append(Principal(UNKNOWN, _list(ids, f"{where}.{name}", unknown)))
        else:
            out.append(Principal(kind, _list(ids, f"{where}.{name}.{kind}", unknown)))
    return tuple(out)


def _block_principals(
    block: Mapping[object, object], name: str, where: str, unknown: object
) -> tuple[Principal, ...] | Unknown | None:
    value = block.get(name)
    if value is None:
        return None
    if value is unknown:
        return UNKNOWN
    blocks = [value] if isinstance(value, Mapping) else value
    if not isinstance(blocks, list | tuple):
        raise PolicyError(f"{where}.{name}: expected blocks, got {_kind(value)}")
    out = []
    for i, sub in enumerate(blocks):
        if sub is unknown:
            return UNKNOWN
        if not isinstance(sub, Mapping):
            raise PolicyError(f"{where}.{name}[{i}]: expected a block, got {_kind(sub)}")
        kind = _scalar(sub.get("type"), f"{where}.{name}[{i}].type", unknown)
        ids = _list(sub.get("identifiers", []), f"{where}.{name}[{i}].identifiers", unknown)
        out.append(Principal(kind, ids))
    return tuple(out)


def _json_conditions(
    item: Mapping[object, object], where: str, unknown: object
) -> tuple[Condition, ...] | Unknown:
    found, value = _get(item, "Condition")
    if not found or value is None:
        return ()
    if value is unknown:
        return UNKNOWN
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}.Condition: expected an object, got {_kind(value)}")
    out = []
    for test, pairs in value.items():
        test_ = UNKNOWN if test is unknown or not isinstance(test, str) else test
        if pairs is unknown:
            return UNKNOWN
        if not isinstance(pairs, Mapping):
            raise PolicyError(f"{where}.Condition.{test_}: expected an object, got {_kind(pairs)}")
        for variable, values in pairs.items():
            var = UNKNOWN if variable is unknown or not isinstance(variable, str) else variable
            out.append(Condition(test_, var, _list(values, f"{where}.Condition", unknown)))
    return tuple(out)


def _block_conditions(
    block: Mapping[object, object], where: str, unknown: object
) -> tuple[Condition, ...] | Unknown:
    value = block.get("condition")
    if value is None:
        return ()
    if value is unknown:
        return UNKNOWN
    blocks = [value] if isinstance(value, Mapping) else value
    if not isinstance(blocks, list | tuple):
        raise PolicyError(f"{where}.condition: expected blocks, got {_kind(value)}")
    out = []
    for i, sub in enumerate(blocks):
        if sub is unknown:
            return UNKNOWN
        if not isinstance(sub, Mapping):
            raise PolicyError(f"{where}.condition[{i}]: expected a block, got {_kind(sub)}")
        at = f"{where}.condition[{i}]"
        out.append(
            Condition(
                _scalar(sub.get("test"), f"{at}.test", unknown),
                _scalar(sub.get("variable"), f"{at}.variable", unknown),
                _list(sub.get("values", []), f"{at}.values", unknown),
            )
        )
    return tuple(out)


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- three-valued logic ----------------------------------------------------------------------


def _and(*answers: bool | None) -> bool | None:
    if any(a is False for a in answers):
        return False
    return None if any(a is None for a in answers) else True


def _or(answers: Iterable[bool | None]) -> bool | None:
    seen_unknown = False
    for a in answers:
        if a is True:
            return True
        seen_unknown = seen_unknown or a is None
    return None if seen_unknown else False


def _any_item(items: Items, test: Callable[[str], bool]) -> bool | None:
    """Whether some item passes ``test``: absent is False, an unknown list or item None."""
    if items is None:
        return False
    if isinstance(items, Unknown):
        return None
    return _or(None if isinstance(i, Unknown) else test(i) for i in items)


def _allows(statement: Statement) -> bool | None:
    if isinstance(statement.effect, Unknown):
        return None
    return statement.effect == "Allow"


# --- predicates ------------------------------------------------------------------------------

_SERVICE_WILDCARD = re.compile(r"[a-z0-9-]+:\*\Z")


def _is_star(text: str) -> bool:
    return text.strip() in ("*", "*:*")


def _all_resources(statement: Statement) -> bool | None:
    """``Resource`` holds ``*``; a statement with only ``NotResource`` does not count."""
    return _any_item(statement.resources, _is_star)


def _identity_policy(statement: Statement) -> bool:
    """An identity policy's statement names no principal. One with ``Principal`` or
    ``NotPrincipal`` belongs to a resource policy (key, bucket, queue), where ``Resource`` ``*``
    means the resource itself: every KMS key's default policy allows ``kms:*`` on ``*`` to the
    account."""
    return statement.principals is None and statement.not_principals is None


def is_full_admin(statement: Statement) -> bool | None:
    """Allow, ``Action`` ``*`` (or ``*:*``), ``Resource`` ``*``: every action on everything.
    False for a resource policy's statement (one with a principal)."""
    return _and(
        _identity_policy(statement),
        _allows(statement),
        _any_item(statement.actions, _is_star),
        _all_resources(statement),
    )


def is_wildcard_action(statement: Statement) -> bool | None:
    """Allow on ``Resource`` ``*`` with an action ``*`` or ``<service>:*``, or with
    ``NotAction`` (which grants every action but the ones listed). Full admin answers True too:
    a rule that wants the two apart asks :func:`is_full_admin` first. False for a resource
    policy's statement (one with a principal)."""
    wildcard = _or(
        (
            _any_item(
                statement.actions, lambda a: _is_star(a) or bool(_SERVICE_WILDCARD.match(a.lower()))
            ),
            _not_action_grant(statement),
        )
    )
    return _and(
        _identity_policy(statement), _allows(statement), wildcard, _all_resources(statement)
    )


def _not_action_grant(statement: Statement) -> bool | None:
    if statement.not_actions is None:
        return False
    if isinstance(statement.not_actions, Unknown):
        return None
    return True


_ASSUME = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml")


def _may_assume(statement: Statement) -> bool | None:
    """Whether the statement's actions can include one of the sts:AssumeRole* actions."""
    if statement.actions is None:
        return _not_action_grant(statement)

    def matches(pattern: str) -> bool:
        rx = re.escape(pattern.strip().lower()).replace(r"\*", ".*").replace(r"\?", ".")
        return any(re.fullmatch(rx, a) for a in _ASSUME)

    return _any_item(statement.actions, matches)


GITHUB_OIDC: Final = "token.actions.githubusercontent.com"

# condition keys that pin who may assume a role whose principal is "*"
_PINNING_KEYS = (
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:userid",
)
_POSITIVE_TESTS = re.compile(
    r"(forallvalues:|foranyvalue:)?(stringequals|stringequalsignorecase|stringlike|arnequals|arnlike)\Z"
)


def _positive(test: str | Unknown) -> bool | None:
    """A condition operator that restricts to the values listed (not a negation, not IfExists)."""
    if isinstance(test, Unknown):
        return None
    return bool(_POSITIVE_TESTS.match(test.lower()))


def _anyone(statement: Statement) -> bool | None:
    """Principal ``*`` or ``AWS: "*"`` (or any principal through ``NotPrincipal``)."""
    if statement.not_principals is not None:
        return True if statement.principals is None else None
    if statement.principals is None:
        return False
    if isinstance(statement.principals, Unknown):
        return None

    def star(p: Principal) -> bool | None:
        kind = None if isinstance(p.type, Unknown) else p.type.lower() in ("*", "aws")
        return _and(kind, _any_item(p.identifiers, lambda i: i.strip() == "*"))

    return _or(star(p) for p in statement.principals)


def _pinned(statement: Statement) -> bool | None:
    """Whether a condition pins the caller's organisation, account or ARN."""
    conds = statement.conditions
    if isinstance(conds, Unknown):
        return None

    def pins(c: Condition) -> bool | None:
        key = None if isinstance(c.variable, Unknown) else c.variable.lower() in _PINNING_KEYS
        return _and(_positive(c.test), key)

    return _or(pins(c) for c in conds)


def _github(statement: Statement) -> bool | None:
    """Whether the statement trusts GitHub's OIDC provider (by principal or condition keys)."""
    by_principal: list[bool | None] = []
    if isinstance(statement.principals, Unknown):
        by_principal.append(None)
    elif statement.principals:
        for p in statement.principals:
            if isinstance(p.type, Unknown):
                by_principal.append(None)
            elif p.type.lower() == "federated":
                by_principal.append(_any_item(p.identifiers, lambda i: GITHUB_OIDC in i.lower()))
    conds = statement.conditions
    by_key: bool | None
    if isinstance(conds, Unknown):
        by_key = None
    else:
        by_key = _or(
            None if isinstance(c.variable, Unknown) else c.variable.lower().startswith(GITHUB_OIDC)
            for c in conds
        )
    answer = _or([*by_principal, by_key])
    return False if answer is None and _other_provider(statement) else answer


def _other_provider(statement: Statement) -> bool:
    """Whether a known condition key or value is one only another OIDC provider issues: an EKS
    issuer key (``oidc.eks.<region>.amazonaws.com/id/...:sub``) or a Kubernetes service
    account subject (``system:serviceaccount:<namespace>:<name>``). IRSA trust policies name
    the provider and the key by reference, so those are often unknown, the subject rarely."""
    if isinstance(statement.conditions, Unknown):
        return False
    for c in statement.conditions:
        if not isinstance(c.variable, Unknown) and c.variable.lower().startswith("oidc.eks."):
            return True
        if not isinstance(c.values, Unknown) and any(
            isinstance(v, str) and v.startswith("system:serviceaccount:") for v in c.values
        ):
            return True
    return False


def _github_sub_pinned(statement: Statement) -> bool | None:
    """A positive condition on ``token.actions.githubusercontent.com:sub`` whose every value
    names a repository (not ``*``, not ``repo:*``)."""
    conds = statement.conditions
    if isinstance(conds, Unknown):
        return None

    def pinned_value(v: str) -> bool:
        v = v.strip().lower()
        return v != "*" and not v.startswith("repo:*")

    def pins(c: Condition) -> bool | None:
        if isinstance(c.variable, Unknown):
            return None
        if c.variable.lower() != f"{GITHUB_OIDC}:sub":
            return False
        if isinstance(c.values, Unknown):
            return None
        if not c.values:
            return False
        every: list[bool | None] = [
            None if isinstance(v, Unknown) else pinned_value(v) for v in c.values
        ]
        return _and(_positive(c.test), *every)

    return _or(pins(c) for c in conds)


def is_trust_too_broad(statement: Statement) -> bool | None:
    """A trust (assume-role) statement that lets too many callers in: Allow an sts:AssumeRole*
    action to Principal ``*`` / ``AWS: "*"`` with no condition pinning the organisation, account
    or ARN; or to GitHub's OIDC provider without a ``sub`` condition naming a repository (none,
    or ``*`` / ``repo:*``)."""
    anyone = _and(_anyone(statement), _not(_pinned(statement)))
    github = _and(_github(statement), _not(_github_sub_pinned(statement)))
    return _and(_allows(statement), _may_assume(statement), _or((anyone, github)))


def _not(answer: bool | None) -> bool | None:
    return None if answer is None else not answer


def verdicts(
    statements: Statements, predicate: Callable[[Statement], bool | None]
) -> tuple[bool | None, ...] | Unknown:
    """The predicate's answer for each statement, in order (UNKNOWN when the statements are)."""
    if isinstance(statements, Unknown):
        return UNKNOWN
    return tuple(predicate(s) for s in statements)


def any_statement(
    statements: Statements | Sequence[Statement], predicate: Callable[[Statement], bool | None]
) -> bool | None:
    """Whether some statement matches: True if one does, None if none does but one may."""
    if isinstance(statements, Unknown):
        return None
    return _or(predicate(s) for s in statements)
