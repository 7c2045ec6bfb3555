"""The `github-repository` and `github-organization` documents, assembled from payloads.

Each `evidence.<name>` status of a document is settled by the schema's rows that name it: a plain
status is `ok` when its row's payload was exported (and the payload sits at the row's `key`), else
the failure of an export matching the rows' `failure` patterns, else `missing`. Branch protection
(`not-protected`) and rulesets (several endpoints, conditions, incomplete or unknown exports) have
their own assemblers. The documents are made of the payloads' own nodes; `sources` maps node ids to
the files they come from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.github.payload import Payload, field_of, items, text
from soc2lint.formats.github.rulesets import UNKNOWN, ruleset_applies, ruleset_targets
from soc2lint.formats.github.schema import (
    BRANCH_RULES,
    ERROR,
    NOT_PROTECTED,
    ORG,
    ORGANIZATION_DOCUMENT,
    PROTECTION,
    REPO,
    REPOSITORY_DOCUMENT,
    RULESET,
    RULESETS,
    Endpoint,
    evidence_rows,
    failure_pattern,
)
from soc2lint.model import ParsedArtifact

_FORBIDDEN = re.compile(
    r"(?i)must have admin|not accessible|forbidden|requires authentication|"
    r"must be an? (owner|member)|bad credentials|resource protected"
)
_SAML = re.compile(r"(?i)\bSAML\b")
# a failed rulesets listing or ruleset details export (not the effective branch rules)
_LISTING_FAILURE = re.compile(r"/rulesets(\.json|\?|/|$)")


def status_text(payload: Payload | None) -> str:
    """The evidence status a failed export (or none at all) stands for."""
    if payload is None:
        return "missing"
    if payload.kind == ERROR:
        message = text(field_of(payload.root, "message"))
        if payload.status in (401, 403) or (not payload.endpoint and _FORBIDDEN.search(message)):
            # (a 403 body exported by hand has no status, only its message)
            if _SAML.search(message):
                return "forbidden (SAML single sign-on: authorise the token for the organization)"
            return "forbidden"
        if payload.status != 200:
            return f"error {payload.status}"
        return "error (not the JSON the endpoint returns)" if payload.endpoint else "error"
    return "ok"


@dataclass
class Bundle:
    """The payloads of one repository (and those of its organisation)."""

    repo: str
    payloads: list[Payload] = field(default_factory=list)


def _mark_of(node: nodes.Node) -> tuple[Any, Any]:
    return node.start_mark, node.end_mark


@dataclass
class _Draft:
    """A document being assembled: its keys, its evidence statuses and its node -> file map.
    What soc2lint adds (statuses, lists) is placed at `anchor` in `path` unless said otherwise."""

    anchor: nodes.Node
    path: str
    sources: dict[int, str]
    pairs: list[tuple[str, nodes.Node]] = field(default_factory=list)
    evidence: list[tuple[str, nodes.Node]] = field(default_factory=list)

    def status(self, value: str, payload: Payload | None) -> nodes.ScalarNode:
        """A scalar soc2lint adds (an evidence status), placed at the payload it is about."""
        at, path = (payload.root, payload.path) if payload is not None else (self.anchor, self.path)
        start, end = _mark_of(at)
        node = nodes.scalar(value, start, end)
        self.sources[id(node)] = path
        return node

    def seq(self, values: Sequence[nodes.Node]) -> nodes.SequenceNode:
        start, end = _mark_of(self.anchor)
        node = nodes.sequence(list(values), start, end)
        self.sources[id(node)] = self.path
        return node

    def mapping(self, pairs: Sequence[tuple[str, nodes.Node]]) -> nodes.MappingNode:
        start, end = _mark_of(self.anchor)
        value: list[tuple[nodes.Node, nodes.Node]] = [
            (nodes.scalar(k, v.start_mark, v.start_mark, style=None), v) for k, v in pairs
        ]
        node = nodes.mapping(value, start, end)
        self.sources[id(node)] = self.path
        return node

    def finish(self) -> tuple[nodes.Node, dict[int, str]]:
        self.pairs.append(("evidence", self.mapping(self.evidence)))
        return self.mapping(self.pairs), self.sources


@dataclass
class _Found:
    """The payloads a document is assembled from, by kind; `errors`: its failed exports."""

    payloads: Sequence[Payload]
    errors: Sequence[Payload]
    branch: str = ""  # the default branch: a branch's payloads count only for it

    def one(self, kind: str, branch_only: bool = False) -> Payload | None:
        return next(
            (
                p
                for p in self.payloads
                if p.kind == kind and (not branch_only or p.branch in ("", self.branch))
            ),
            None,
        )

    def all(self, kind: str) -> list[Payload]:
        return [p for p in self.payloads if p.kind == kind]

    def error(self, pattern: re.Pattern[str]) -> Payload | None:
        return next(
            (p for p in self.errors if pattern.search(p.path) or pattern.search(p.endpoint)), None
        )


Assembler = Callable[[_Draft, _Found, str, tuple[Endpoint, ...]], None]


def _plain(doc: _Draft, found: _Found, name: str, rows: tuple[Endpoint, ...]) -> None:
    """`ok` and the payload at its row's key, or the failure of its export, or `missing`."""
    for row in rows:
        payload = found.one(row.kind)
        if payload is None:
            continue
        node = payload.root
        if row.items_key:  # a list wrapped in an object: the list is the document's
            node = field_of(node, row.items_key) or doc.seq([])
            doc.sources[id(node)] = payload.path
        doc.pairs.append((row.key, node))
        doc.evidence.append((name, doc.status("ok", payload)))
        return
    err = found.error(failure_pattern(rows))
    doc.evidence.append((name, doc.status(status_text(err), err)))


def _protection(doc: _Draft, found: _Found, name: str, rows: tuple[Endpoint, ...]) -> None:
    """Classic protection of the default branch, or the `404 Branch not protected` answer."""
    protection = found.one(PROTECTION, True)
    not_protected = found.one(NOT_PROTECTED, True)
    if protection is not None:
        doc.pairs.append(("protection", protection.root))
        doc.evidence.append((name, doc.status("ok", protection)))
    elif not_protected is not None:
        doc.pairs.append(("protection_absent", not_protected.root))
        doc.evidence.append((name, doc.status("not-protected", not_protected)))
    else:
        err = found.error(failure_pattern(rows))
        doc.evidence.append((name, doc.status(status_text(err), err)))


def _rulesets(doc: _Draft, found: _Found, name: str, rows: tuple[Endpoint, ...]) -> None:
    """The rulesets covering the default branch and this repository, and the effective rules."""
    rules = found.one(BRANCH_RULES, True)
    applying, undecided = _applying(found, rules)
    active = [r for r in applying if text(field_of(r, "enforcement")) == "active"]
    doc.pairs.append(("rulesets", doc.seq(applying)))
    doc.pairs.append(("active_rulesets", doc.seq(active)))
    listing_error = found.error(_LISTING_FAILURE)
    if undecided:
        # an organisation ruleset targeting repositories by custom property (not exported) or by
        # id (the repository's id not exported): its effect is unknown, never protection
        # (with the effective rules exported GitHub has decided, so this is without them)
        doc.evidence.append((name, doc.status("unknown", undecided[0])))
        doc.pairs.append(("branch_rules", doc.seq([])))
    elif rules is not None:
        doc.pairs.append(("branch_rules", rules.root))
        # the effective rules alone do not show bypass lists or evaluate-mode rulesets
        doc.evidence.append(
            (
                name,
                doc.status(status_text(listing_error), listing_error)
                if listing_error is not None
                else doc.status("ok", rules),
            )
        )
    else:
        # effective rules from the active rulesets' own rules, when the branch-rules export
        # (GET /repos/O/R/rules/branches/B) is missing
        flattened = []
        for rs in active:
            for rule in items(field_of(rs, "rules")):
                doc.sources[id(rule)] = doc.sources[id(rs)]  # its findings point into its ruleset
                flattened.append(rule)
        doc.pairs.append(("branch_rules", doc.seq(flattened)))
        err = found.error(failure_pattern(rows))
        listing = found.one(RULESETS)
        known = _all_detailed(listing, found.all(RULESET))
        doc.evidence.append(
            (
                name,
                doc.status(
                    "ok" if known else "incomplete" if listing else status_text(err),
                    None if known else err,
                ),
            )
        )


def _applying(found: _Found, rules: Payload | None) -> tuple[list[nodes.Node], list[Payload]]:
    """(the rulesets that apply, those whose repository conditions the evidence cannot settle)."""
    repo = found.one(REPO)
    assert repo is not None
    # the rulesets the effective branch rules come from: GitHub's own verdict on which apply
    in_effect = {text(field_of(r, "ruleset_id")) for r in items(rules.root if rules else None)}
    applying: list[nodes.Node] = []
    undecided: list[Payload] = []
    for p in found.all(RULESET):
        if not ruleset_applies(p.root, found.branch, found.branch):
            continue
        verdict = ruleset_targets(p.root, repo.root)
        if verdict is UNKNOWN and rules is not None:
            verdict = text(field_of(p.root, "id")) in in_effect
        if verdict is UNKNOWN:
            if text(field_of(p.root, "enforcement")) == "active":
                undecided.append(p)
        elif verdict:
            applying.append(p.root)
    return applying, undecided


def _all_detailed(listing: Payload | None, rulesets: Sequence[Payload]) -> bool:
    """Known only when every listed ruleset's details (with its rules) were exported too (a
    listed ruleset that is not an active branch ruleset cannot protect the branch)."""
    listed = {
        text(field_of(item, "id"))
        for item in items(listing.root if listing else None)
        if text(field_of(item, "target")) in ("", "branch")
        and text(field_of(item, "enforcement")) in ("", "active")
    }
    detailed = {text(field_of(p.root, "id")) for p in rulesets}
    return (listing is not None and listed <= detailed) or (listing is None and bool(rulesets))


# evidence statuses that are not plain (see _plain)
_ASSEMBLERS: dict[str, Assembler] = {
    "protection": _protection,
    "rulesets": _rulesets,
}


def build_repository(
    bundle: Bundle, org_payloads: Sequence[Payload], codeowners: ParsedArtifact | None = None
) -> tuple[nodes.Node, dict[int, str]]:
    """The `github-repository` document of one repository, and its node -> file map."""
    repo = next(p for p in bundle.payloads if p.kind == REPO)
    default = text(field_of(repo.root, "default_branch"))
    doc = _Draft(
        field_of(repo.root, "default_branch") or repo.root,
        repo.path,
        {id(p.root): p.path for p in bundle.payloads},
    )
    found = _Found(bundle.payloads, [p for p in bundle.payloads if p.kind == ERROR], default)
    doc.pairs += [("repository", repo.root), ("default_branch", doc.status(default, None))]
    for name, rows in evidence_rows(REPOSITORY_DOCUMENT).items():
        _ASSEMBLERS.get(name, _plain)(doc, found, name, rows)
    org = next((p for p in org_payloads if p.kind == ORG), None)
    if org is not None:
        doc.pairs.append(("organization", org.root))
        doc.sources[id(org.root)] = org.path
    if codeowners is not None and codeowners.documents:
        owners_root = codeowners.documents[0].root
        doc.pairs.append(("codeowners", owners_root))
        doc.sources[id(owners_root)] = codeowners.artifact.path
    return doc.finish()


def build_organization(
    owner: str, payloads: Sequence[Payload]
) -> tuple[nodes.Node, dict[int, str]] | None:
    """The `github-organization` document: when the organisation was exported, and also when
    its endpoints were asked and failed (401, 403 for SAML single sign-on, 5xx), so that the
    failures are reported rather than the organisation's controls going unmentioned."""
    rows = evidence_rows(ORGANIZATION_DOCUMENT)
    errors = [p for p in payloads if p.kind == ERROR and "/orgs/" in (p.endpoint or "/orgs/")]
    found = _Found(payloads, errors)
    org = found.one(ORG)
    org_error = found.error(failure_pattern(rows["organization"]))
    failures = [p for p in errors if "/orgs/" in p.endpoint]
    anchor = org or org_error or (failures[0] if failures else None)
    if anchor is None:
        return None
    doc = _Draft(anchor.root, anchor.path, {id(p.root): p.path for p in payloads})
    for name, evidence_of_rows in rows.items():
        _plain(doc, found, name, evidence_of_rows)
    return doc.finish()
