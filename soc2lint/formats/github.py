"""GitHub settings evidence: REST API payloads, recognised by content, bundled per repository
and organisation into one document each that rules read as a whole.

Payloads are kept exactly as the API returned them (`gh api ... > file.json` or
`soc2lint collect github`). Each is recognised by its shape, helped by the collector's
`manifest.json` (which knows the endpoint and HTTP status) and, last, by the collector's file
names. The bundle document is built from the payloads' own nodes, so a finding about
`required_approving_review_count` points at that key in protection.json; `sources` maps each
payload's root node to its file, for the engine to resolve positions in the right file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from soc2lint.formats import nodes
from soc2lint.model import Document, ParsedArtifact, Rule

# payload kinds
REPO = "repo"
PROTECTION = "branch-protection"
NOT_PROTECTED = "branch-not-protected"
BRANCH_RULES = "branch-rules"
RULESETS = "rulesets"
RULESET = "ruleset"
ORG = "org"
MEMBERS_2FA_DISABLED = "members-2fa-disabled"
MEMBERS_ADMIN = "members-admin"
MEMBERS = "members"
COLLABORATORS = "collaborators"
OUTSIDE_COLLABORATORS = "outside-collaborators"
ENVIRONMENTS = "environments"
WORKFLOW_PERMISSIONS = "actions-workflow-permissions"
MANIFEST = "manifest"
ERROR = "error"

# the endpoint (as the collector's manifest writes it) -> payload kind
_ENDPOINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^GET /repos/[^/]+/[^/]+$", REPO),
    (r"^GET /repos/[^/]+/[^/]+/branches/.+/protection$", PROTECTION),
    (r"^GET /repos/[^/]+/[^/]+/rules/branches/.+$", BRANCH_RULES),
    (r"^GET /repos/[^/]+/[^/]+/rulesets(\?.*)?$", RULESETS),
    (r"^GET /repos/[^/]+/[^/]+/rulesets/\d+$", RULESET),
    (r"^GET /orgs/[^/]+/rulesets(\?.*)?$", RULESETS),
    (r"^GET /orgs/[^/]+/rulesets/\d+$", RULESET),
    (r"^GET /orgs/[^/]+$", ORG),
    (r"^GET /orgs/[^/]+/members\?(.*&)?filter=2fa_disabled", MEMBERS_2FA_DISABLED),
    (r"^GET /orgs/[^/]+/members\?(.*&)?role=admin", MEMBERS_ADMIN),
    (r"^GET /repos/[^/]+/[^/]+/collaborators\?(.*&)?affiliation=outside", OUTSIDE_COLLABORATORS),
    (r"^GET /repos/[^/]+/[^/]+/collaborators", COLLABORATORS),
    (r"^GET /repos/[^/]+/[^/]+/environments", ENVIRONMENTS),
    (r"^GET /repos/[^/]+/[^/]+/actions/permissions/workflow$", WORKFLOW_PERMISSIONS),
))
# the collector's file names, the last resort for lists that are empty or ambiguous
_FILE_NAMES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"(^|/)members-2fa-disabled\.json$", MEMBERS_2FA_DISABLED),
    (r"(^|/)members-admin\.json$", MEMBERS_ADMIN),
    (r"(^|/)collaborators-outside\.json$", OUTSIDE_COLLABORATORS),
    (r"(^|/)collaborators(-all)?\.json$", COLLABORATORS),
    (r"(^|/)branches/.+/rules\.json$", BRANCH_RULES),
    (r"(^|/)rulesets\.json$", RULESETS),
    (r"(^|/)environments\.json$", ENVIRONMENTS),
))


@dataclass(frozen=True)
class ManifestEntry:
    endpoint: str
    status: int
    # the collector's verdict (`evidence: false`), or, in a manifest without one, any status but
    # 200 (and the `404 Branch not protected` answer of the protection endpoint)
    failed: bool | None = None
    node: nodes.Node | None = field(default=None, compare=False)  # the entry in manifest.json

    def is_failure(self, kind: str) -> bool:
        if self.failed is not None:
            return self.failed
        return self.status != 200 and not (self.status == 404 and kind == PROTECTION)


@dataclass
class Payload:
    """One recognised evidence file."""

    path: str  # relative to the scan root
    kind: str
    root: nodes.Node
    status: int = 200
    endpoint: str = ""
    owner: str = ""
    repo: str = ""  # "owner/name" where it belongs to a repository
    branch: str = ""


# --------------------------------------------------------------------------- recognition

def _text(node: nodes.Node | None) -> str:
    return node.value if isinstance(node, nodes.ScalarNode) else ""


def _field(node: nodes.Node, key: str) -> nodes.Node | None:
    hit = nodes.get(node, key)
    return hit[1] if hit else None


def _all_have(seq: nodes.Node, *keys: str) -> bool:
    items = seq.value if isinstance(seq, nodes.SequenceNode) else []
    return bool(items) and all(
        isinstance(i, nodes.MappingNode) and all(nodes.get(i, k) for k in keys) for i in items)


def recognise(root: nodes.Node, path: str, entry: ManifestEntry | None) -> str | None:
    """The payload kind of a parsed evidence file, or None when it is not one soc2lint knows."""
    if entry is not None:
        for pattern, kind in _ENDPOINTS:
            if pattern.search(entry.endpoint):
                # only a 200 answer with the expected JSON is evidence: a redirect's or an error
                # page's body is not the settings, however it parses
                if entry.status == 404 and kind == PROTECTION and not entry.failed:
                    return NOT_PROTECTED
                return ERROR if entry.is_failure(kind) else kind
    if isinstance(root, nodes.MappingNode):
        if _text(_field(root, "tool")) == "soc2lint" and nodes.get(root, "files"):
            return MANIFEST
        if _text(_field(root, "message")) == "Branch not protected":
            return NOT_PROTECTED
        if nodes.get(root, "message") and nodes.get(root, "documentation_url"):
            return ERROR
        if nodes.get(root, "login") and nodes.get(root, "members_url") and nodes.get(root, "hooks_url"):
            return ORG  # an organisation as a non-owner sees it (no 2FA or default-permission fields)
        if nodes.get(root, "full_name") and nodes.get(root, "default_branch"):
            return REPO
        if "/protection" in _text(_field(root, "url")) or any(
                nodes.get(root, k) for k in ("required_pull_request_reviews", "enforce_admins",
                                             "allow_force_pushes", "required_status_checks")):
            return PROTECTION
        if nodes.get(root, "enforcement") and (nodes.get(root, "rules") or nodes.get(root, "bypass_actors")):
            return RULESET
        if nodes.get(root, "two_factor_requirement_enabled") or (
                nodes.get(root, "login") and nodes.get(root, "default_repository_permission")):
            return ORG
        if nodes.get(root, "environments") and nodes.get(root, "total_count"):
            return ENVIRONMENTS
        if nodes.get(root, "default_workflow_permissions"):
            return WORKFLOW_PERMISSIONS
        return None
    if isinstance(root, nodes.SequenceNode):
        if _all_have(root, "ruleset_id", "type"):
            return BRANCH_RULES
        if _all_have(root, "enforcement", "source_type"):
            return RULESETS
        named = next((k for p, k in _FILE_NAMES if p.search(path)), None)
        if _all_have(root, "login", "permissions"):
            return named if named in (COLLABORATORS, OUTSIDE_COLLABORATORS) else COLLABORATORS
        if _all_have(root, "login", "type"):
            return named if named in (MEMBERS_2FA_DISABLED, MEMBERS_ADMIN) else MEMBERS
        if not root.value:  # an empty list says nothing by itself: only its name does
            return named
    return None


# --------------------------------------------------------------------------- ownership

_REPO_URL = re.compile(r"/repos/([^/]+)/([^/]+)(?:/branches/([^?#]+?)/protection)?(?:/|$)")
_LAYOUT = re.compile(r"(?:^|/)github/([^/]+)/(?:([^/]+)/)?")


def _owner_repo(payload: Payload, endpoint: str) -> None:
    """Fill owner, repo and branch: from the endpoint the collector requested (authoritative),
    else from the content (URLs, `full_name`, `login`), else from the collector's layout."""
    root = payload.root
    candidates = [endpoint] if endpoint else []
    if isinstance(root, nodes.MappingNode):
        if payload.kind == REPO and not endpoint:
            payload.repo = _text(_field(root, "full_name"))
            payload.owner = payload.repo.split("/")[0]
            return
        if payload.kind == ORG and not endpoint:
            payload.owner = _text(_field(root, "login"))
            return
        if payload.kind == REPO:
            candidates.append("/repos/" + _text(_field(root, "full_name")) + "/")
        candidates.append(_text(_field(root, "url")))
        if payload.kind == RULESET and _text(_field(root, "source_type")) == "Repository":
            payload.repo = _text(_field(root, "source"))
    for text in candidates:
        m = _REPO_URL.search(text)
        if m:
            payload.repo = payload.repo or f"{m.group(1)}/{m.group(2)}"
            payload.branch = payload.branch or (m.group(3) or "")
            break
        m = re.search(r"/orgs/([^/?]+)", text)
        if m:
            payload.owner = m.group(1)
            break
    if not payload.repo and not payload.owner:
        m = _LAYOUT.search(payload.path)
        if m:
            payload.owner = m.group(1)
            # github/OWNER/rulesets/ID.json: the organisation's rulesets, not a repository's
            if m.group(2) and not m.group(2).endswith(".json") and m.group(2) != "rulesets":
                payload.repo = f"{m.group(1)}/{m.group(2)}"
    if payload.repo and not payload.owner:
        payload.owner = payload.repo.split("/")[0]
    if not payload.branch:
        m = re.search(r"(?:^|/)branches/(.+)/(?:protection|rules)\.json$", payload.path)
        if m:
            payload.branch = m.group(1)


# --------------------------------------------------------------------------- bundles

@dataclass
class Bundle:
    """The payloads of one repository (and those of its organisation)."""

    repo: str
    payloads: list[Payload] = field(default_factory=list)


def _mark_of(node: nodes.Node) -> tuple[Any, Any]:
    return node.start_mark, node.end_mark


def _virtual_scalar(value: str, at: nodes.Node, sources: dict[int, str], path: str) -> nodes.ScalarNode:
    """A scalar soc2lint adds (an evidence status): placed, for findings, at `at` in `path`."""
    start, end = _mark_of(at)
    node = nodes.scalar(value, start, end)
    sources[id(node)] = path
    return node


def _virtual_mapping(pairs: Sequence[tuple[str, nodes.Node]], at: nodes.Node,
                     sources: dict[int, str], path: str) -> nodes.MappingNode:
    start, end = _mark_of(at)
    value: list[tuple[nodes.Node, nodes.Node]] = [
        (nodes.scalar(k, v.start_mark, v.start_mark, style=None), v) for k, v in pairs]
    node = nodes.mapping(value, start, end)
    sources[id(node)] = path
    return node


def _virtual_sequence(items: Sequence[nodes.Node], at: nodes.Node,
                      sources: dict[int, str], path: str) -> nodes.SequenceNode:
    start, end = _mark_of(at)
    node = nodes.sequence(list(items), start, end)
    sources[id(node)] = path
    return node


def _ref_matches(patterns: Iterable[str], branch: str, default: str) -> bool:
    ref = f"refs/heads/{branch}"
    for pattern in patterns:
        if pattern in ("~ALL",) or (pattern == "~DEFAULT_BRANCH" and branch == default):
            return True
        if fnmatchcase(ref, pattern) or fnmatchcase(branch, pattern):
            return True
    return False


def _strings(node: nodes.Node | None) -> list[str]:
    if isinstance(node, nodes.SequenceNode):
        return [c.value for c in node.value if isinstance(c, nodes.ScalarNode)]
    return []


def ruleset_applies(ruleset: nodes.Node, branch: str, default: str) -> bool:
    """A branch ruleset whose `conditions.ref_name` covers `branch`."""
    if _text(_field(ruleset, "target")) not in ("", "branch"):
        return False
    ref_name = _field(_field(ruleset, "conditions") or ruleset, "ref_name")
    if ref_name is None:
        return _text(_field(ruleset, "source_type")) == "Repository"  # no condition: every branch
    include = _strings(_field(ref_name, "include"))
    exclude = _strings(_field(ref_name, "exclude"))
    return _ref_matches(include, branch, default) and not _ref_matches(exclude, branch, default)


UNKNOWN = None  # whether a ruleset targets a repository cannot be told from the evidence


def ruleset_targets(ruleset: nodes.Node, repository: nodes.Node,
                    properties: Mapping[str, list[str]] | None = None) -> bool | None:
    """Whether an (organisation) ruleset's repository conditions take in `repository` (the
    `GET /repos/O/R` object): True, False, or None (UNKNOWN) when they depend on something not
    exported (custom properties without `properties`, or a repository without its `id`).

    `repository_name`: `include`/`exclude` fnmatch patterns on the name, `~ALL` for every
    repository (`protected` only stops renames from escaping the ruleset: it selects nothing).
    `repository_id`: `repository_ids`. `repository_property`: `include`/`exclude` lists of
    `{name, property_values}`. A ruleset without any of them (a repository's own) takes it in.
    """
    conditions = _field(ruleset, "conditions")
    if conditions is None:
        return True
    verdicts: list[bool | None] = []
    by_name = _field(conditions, "repository_name")
    if by_name is not None:
        name = (_text(_field(repository, "name"))
                or _text(_field(repository, "full_name")).rpartition("/")[2]).lower()

        def matches(patterns: list[str]) -> bool:
            return any(p == "~ALL" or fnmatchcase(name, p.lower()) for p in patterns)

        verdicts.append(matches(_strings(_field(by_name, "include")))
                        and not matches(_strings(_field(by_name, "exclude"))))
    by_id = _field(conditions, "repository_id")
    if by_id is not None:
        repo_id = _text(_field(repository, "id"))
        ids = set(_strings(_field(by_id, "repository_ids")))
        verdicts.append(UNKNOWN if not repo_id else repo_id in ids)
    by_property = _field(conditions, "repository_property")
    if by_property is not None:
        if properties is None:
            verdicts.append(UNKNOWN)
        else:
            def holds(item: nodes.Node) -> bool:
                values = properties.get(_text(_field(item, "name")), [])
                return any(v in values for v in _strings(_field(item, "property_values")))

            include = _seq_items(_field(by_property, "include"))
            exclude = _seq_items(_field(by_property, "exclude"))
            verdicts.append(all(holds(i) for i in include) and not any(holds(e) for e in exclude))
    if False in verdicts:
        return False
    return UNKNOWN if UNKNOWN in verdicts else True


_FORBIDDEN = re.compile(r"(?i)must have admin|not accessible|forbidden|requires authentication|"
                        r"must be an? (owner|member)|bad credentials|resource protected")
_SAML = re.compile(r"(?i)\bSAML\b")


def _status_text(payload: Payload | None) -> str:
    if payload is None:
        return "missing"
    if payload.kind == ERROR:
        message = _text(_field(payload.root, "message"))
        if payload.status in (401, 403) or (not payload.endpoint and _FORBIDDEN.search(message)):
            # (a 403 body exported by hand has no status, only its message)
            if _SAML.search(message):
                return "forbidden (SAML single sign-on: authorise the token for the organization)"
            return "forbidden"
        if payload.status != 200:
            return f"error {payload.status}"
        return "error (not the JSON the endpoint returns)" if payload.endpoint else "error"
    return "ok"


def build_repository(bundle: Bundle, org_payloads: Sequence[Payload],
                     codeowners: ParsedArtifact | None = None) -> tuple[nodes.Node, dict[int, str]]:
    """The `github-repository` document of one repository, and its node -> file map."""
    by_kind: dict[str, list[Payload]] = {}
    for p in bundle.payloads:
        by_kind.setdefault(p.kind, []).append(p)
    repo = by_kind[REPO][0]
    default = _text(_field(repo.root, "default_branch"))
    sources = {id(p.root): p.path for p in bundle.payloads}
    anchor = _field(repo.root, "default_branch") or repo.root

    def status(value: str, payload: Payload | None) -> nodes.ScalarNode:
        """An evidence status, placed at the payload it is about (or the default branch)."""
        if payload is None:
            return _virtual_scalar(value, anchor, sources, repo.path)
        return _virtual_scalar(value, payload.root, sources, payload.path)

    def seq(items: Sequence[nodes.Node]) -> nodes.SequenceNode:
        return _virtual_sequence(items, anchor, sources, repo.path)

    def one(kind: str, branch_only: bool = False) -> Payload | None:
        found = [p for p in by_kind.get(kind, []) if not branch_only or p.branch in ("", default)]
        return found[0] if found else None

    def error_for(pattern: str) -> Payload | None:
        return next((p for p in by_kind.get(ERROR, [])
                     if re.search(pattern, p.path) or re.search(pattern, p.endpoint)), None)

    pairs: list[tuple[str, nodes.Node]] = [
        ("repository", repo.root),
        ("default_branch", status(default, None)),
    ]
    evidence: list[tuple[str, nodes.Node]] = []
    protection = one(PROTECTION, True)
    not_protected = one(NOT_PROTECTED, True)
    if protection is not None:
        pairs.append(("protection", protection.root))
        evidence.append(("protection", status("ok", protection)))
    elif not_protected is not None:
        pairs.append(("protection_absent", not_protected.root))
        evidence.append(("protection", status("not-protected", not_protected)))
    else:
        err = error_for(r"protection")
        evidence.append(("protection", status(_status_text(err), err)))

    rules = one(BRANCH_RULES, True)
    # the rulesets the effective branch rules come from: GitHub's own verdict on which apply
    in_effect = {_text(_field(r, "ruleset_id")) for r in _seq_items(rules.root if rules else None)}
    applying: list[nodes.Node] = []
    undecided: list[Payload] = []  # rulesets whose repository conditions the evidence cannot settle
    rulesets = by_kind.get(RULESET, [])
    for p in rulesets:
        if not ruleset_applies(p.root, default, default):
            continue
        verdict = ruleset_targets(p.root, repo.root)
        if verdict is UNKNOWN and rules is not None:
            verdict = _text(_field(p.root, "id")) in in_effect
        if verdict is UNKNOWN:
            if _text(_field(p.root, "enforcement")) == "active":
                undecided.append(p)
        elif verdict:
            applying.append(p.root)
    active = [r for r in applying if _text(_field(r, "enforcement")) == "active"]
    pairs.append(("rulesets", seq(applying)))
    pairs.append(("active_rulesets", seq(active)))
    listing_error = error_for(r"/rulesets(\.json|\?|/|$)")
    if undecided:
        # an organisation ruleset targeting repositories by custom property (not exported) or by
        # id (the repository's id not exported): its effect is unknown, never protection
        # (with the effective rules exported GitHub has decided, so this is without them)
        evidence.append(("rulesets", status("unknown", undecided[0])))
        pairs.append(("branch_rules", seq([])))
    elif rules is not None:
        pairs.append(("branch_rules", rules.root))
        if listing_error is not None:
            # the effective rules alone do not show bypass lists or evaluate-mode rulesets
            evidence.append(("rulesets", status(_status_text(listing_error), listing_error)))
        else:
            evidence.append(("rulesets", status("ok", rules)))
    else:
        # effective rules from the active rulesets' own rules, when the branch-rules export
        # (GET /repos/O/R/rules/branches/B) is missing
        flattened = []
        for rs in active:
            for rule in _seq_items(_field(rs, "rules")):
                sources[id(rule)] = sources[id(rs)]  # a rule's findings point into its ruleset
                flattened.append(rule)
        pairs.append(("branch_rules", seq(flattened)))
        err = error_for(r"rulesets|rules/branches")
        # known only when every listed ruleset's details (with its rules) were exported too
        listing = one(RULESETS)
        # (a listed ruleset that is not an active branch ruleset cannot protect the branch)
        listed = {_text(_field(item, "id")) for item in _seq_items(listing.root if listing else None)
                  if _text(_field(item, "target")) in ("", "branch")
                  and _text(_field(item, "enforcement")) in ("", "active")}
        detailed = {_text(_field(p.root, "id")) for p in rulesets}
        known = (listing is not None and listed <= detailed) or (listing is None and bool(rulesets))
        evidence.append(("rulesets", status("ok" if known else "incomplete" if listing else
                                            _status_text(err), None if known else err)))

    for key, kind, pattern in (
        ("environments", ENVIRONMENTS, r"environments"),
        ("workflow_permissions", WORKFLOW_PERMISSIONS, r"actions/permissions|actions-permissions"),
        ("collaborators", COLLABORATORS, r"collaborators(?!.*outside)"),
        ("outside_collaborators", OUTSIDE_COLLABORATORS, r"outside"),
    ):
        payload = one(kind)
        if payload is not None:
            node = payload.root
            if kind == ENVIRONMENTS:
                node = _field(node, "environments") or seq([])
                sources[id(node)] = payload.path
            pairs.append((key, node))
            evidence.append((key, status("ok", payload)))
        else:
            err = error_for(pattern)
            evidence.append((key, status(_status_text(err), err)))
    org = next((p for p in org_payloads if p.kind == ORG), None)
    if org is not None:
        pairs.append(("organization", org.root))
        sources[id(org.root)] = org.path
    if codeowners is not None and codeowners.documents:
        owners_root = codeowners.documents[0].root
        pairs.append(("codeowners", owners_root))
        sources[id(owners_root)] = codeowners.artifact.path
    pairs.append(("evidence", _virtual_mapping(evidence, anchor, sources, repo.path)))
    return _virtual_mapping(pairs, anchor, sources, repo.path), sources


def _seq_items(node: nodes.Node | None) -> list[nodes.Node]:
    return list(node.value) if isinstance(node, nodes.SequenceNode) else []


_ORG_ENDPOINT = re.compile(r"^GET /orgs/[^/?]+$|(^|/)org\.json$")


def build_organization(owner: str, payloads: Sequence[Payload]) -> tuple[nodes.Node, dict[int, str]] | None:
    """The `github-organization` document: when the organisation was exported, and also when
    its endpoints were asked and failed (401, 403 for SAML single sign-on, 5xx), so that the
    failures are reported rather than the organisation's controls going unmentioned."""
    org = next((p for p in payloads if p.kind == ORG), None)
    org_error = next((p for p in payloads if p.kind == ERROR
                      and (_ORG_ENDPOINT.search(p.endpoint) or _ORG_ENDPOINT.search(p.path))), None)

    def error_for(pattern: str) -> Payload | None:
        return next((p for p in payloads if p.kind == ERROR and "/orgs/" in (p.endpoint or "/orgs/")
                     and (re.search(pattern, p.path) or re.search(pattern, p.endpoint))), None)

    failures = [p for p in payloads if p.kind == ERROR and "/orgs/" in p.endpoint]
    anchor = org or org_error or (failures[0] if failures else None)
    if anchor is None:
        return None
    sources = {id(p.root): p.path for p in payloads}
    pairs: list[tuple[str, nodes.Node]] = []
    evidence: list[tuple[str, nodes.Node]] = []
    if org is not None:
        pairs.append(("organization", org.root))
        evidence.append(("organization", _virtual_scalar("ok", org.root, sources, org.path)))
    else:
        evidence.append(("organization", _virtual_scalar(_status_text(org_error), anchor.root,
                                                         sources, anchor.path)))
    for key, kind, pattern in (("members_2fa_disabled", MEMBERS_2FA_DISABLED, r"2fa"),
                               ("admins", MEMBERS_ADMIN, r"role=admin|members-admin")):
        payload = next((p for p in payloads if p.kind == kind), None)
        if payload is not None:
            pairs.append((key, payload.root))
            evidence.append((key, _virtual_scalar("ok", payload.root, sources, payload.path)))
            continue
        err = error_for(pattern)
        at, path = (err.root, err.path) if err else (anchor.root, anchor.path)
        evidence.append((key, _virtual_scalar(_status_text(err), at, sources, path)))
    pairs.append(("evidence", _virtual_mapping(evidence, anchor.root, sources, anchor.path)))
    return _virtual_mapping(pairs, anchor.root, sources, anchor.path), sources


@dataclass(frozen=True)
class EvidenceDocument:
    document: Document
    sources: Mapping[int, str]  # payload root node id -> file
    texts: Mapping[str, str]  # file -> text (for suppression comments and spans)
    target: str  # "github-repository" or "github-organization"


def bundle_documents(parsed: Sequence[ParsedArtifact], codeowners: ParsedArtifact | None = None,
                     ) -> tuple[list[EvidenceDocument], list[ParsedArtifact]]:
    """(the bundle documents, the parsed files whose shape is unknown). `codeowners`: the
    CODEOWNERS file of the scanned tree, which every repository document refers to."""
    manifest: dict[str, ManifestEntry] = {}
    manifest_of: dict[str, str] = {}  # evidence file -> the manifest listing it
    for art in parsed:
        for doc in art.documents:
            if recognise(doc.root, art.artifact.path, None) == MANIFEST:
                entries = _manifest_entries(doc.root, posixpath.dirname(art.artifact.path))
                manifest.update(entries)
                manifest_of.update(dict.fromkeys(entries, art.artifact.path))
    payloads: list[Payload] = []
    unknown: list[ParsedArtifact] = []
    texts = {art.artifact.path: art.text for art in parsed}
    for art in parsed:
        if not art.documents:
            continue
        root = art.documents[0].root
        entry = manifest.get(art.artifact.path)
        kind = recognise(root, art.artifact.path, entry)
        if kind == MANIFEST:
            continue
        if kind is None:
            unknown.append(art)
            continue
        payload = Payload(art.artifact.path, kind, root, entry.status if entry else 200,
                          entry.endpoint if entry else "")
        _owner_repo(payload, payload.endpoint)
        payloads.append(payload)
    # a failed endpoint whose body is absent, empty or unparsable is still a failure the rules
    # must hear of: stand its manifest entry in for it
    have = {p.path for p in payloads}
    for path, entry in manifest.items():
        kind = next((k for pattern, k in _ENDPOINTS if pattern.search(entry.endpoint)), None)
        if path in have or kind is None or entry.node is None or not entry.is_failure(kind):
            continue
        payload = Payload(manifest_of[path], ERROR, entry.node, entry.status, entry.endpoint)
        _owner_repo(payload, payload.endpoint)
        payloads.append(payload)

    repos = sorted({p.repo for p in payloads if p.kind == REPO and p.repo})
    bundles = {r: Bundle(r) for r in repos}
    org_payloads: dict[str, list[Payload]] = {}
    for p in payloads:
        if p.kind in (ORG, MEMBERS_2FA_DISABLED, MEMBERS_ADMIN, MEMBERS) or (
                p.kind in (ERROR, RULESETS, RULESET) and p.owner and not p.repo
                and "/orgs/" in (p.endpoint or "/orgs/")):
            if p.owner or len({q.owner for q in payloads if q.kind == ORG}) <= 1:
                owner = p.owner or next((q.owner for q in payloads if q.kind == ORG), "")
                org_payloads.setdefault(owner, []).append(p)
            if p.kind not in (ERROR, RULESETS, RULESET):
                continue
        if p.kind == RULESET and not p.repo:
            # an organisation's ruleset: every repository of the organisation is a candidate,
            # its conditions decide (see ruleset_targets)
            for name in repos:
                if not p.owner or name.split("/")[0] == p.owner:
                    bundles[name].payloads.append(p)
            continue
        target = p.repo if p.repo in bundles else (repos[0] if len(repos) == 1 else "")
        if target:
            bundles[target].payloads.append(p)
    out: list[EvidenceDocument] = []
    for name in repos:
        bundle = bundles[name]
        owner = name.split("/")[0]
        root, sources = build_repository(bundle, org_payloads.get(owner, []), codeowners)
        out.append(EvidenceDocument(Document(0, root, name, ""), sources, texts, "github-repository"))
    for owner in sorted(org_payloads):
        built = build_organization(owner, org_payloads[owner])
        if built is not None:
            root, sources = built
            out.append(EvidenceDocument(Document(0, root, f"org:{owner}", ""), sources, texts,
                                        "github-organization"))
    return out, unknown


def _manifest_entries(root: nodes.Node, base: str) -> dict[str, ManifestEntry]:
    out = {}
    files = _field(root, "files")
    for item in files.value if isinstance(files, nodes.SequenceNode) else []:
        path = _text(_field(item, "path"))
        status = _text(_field(item, "status"))
        flag = _field(item, "evidence")
        said = nodes.scalar_value(flag) if isinstance(flag, nodes.ScalarNode) else None
        failed = (not said) if isinstance(said, bool) else None
        if path:
            out[posixpath.normpath(posixpath.join(base, path))] = ManifestEntry(
                _text(_field(item, "endpoint")), int(status) if status.isdigit() else 200, failed, item)
    return out


# --------------------------------------------------------------------------- evidence required

EVIDENCE_TARGETS = ("github-repository", "github-organization")
EVIDENCE_MISSING = "evidence-missing"  # GH023's name
_FAMILY = re.compile(r"[A-Z]+")
_EVIDENCE_KEY = re.compile(r"\bevidence\.([a-z_0-9]+)")


def reads_evidence(rule: Rule) -> bool:
    """A rule judging GitHub settings exports (not CODEOWNERS, not workflow files)."""
    return any(t in EVIDENCE_TARGETS for t in rule.targets)


def explicitly_selected(patterns: Iterable[str], rule: Rule) -> bool:
    """Whether `--select`/`select:` names `rule` itself: its id, its name, or a prefix of its id
    that holds its whole family (`GH`, `GH0`; never `G`, and `GH` is not `GHA`'s family)."""
    family = _FAMILY.match(rule.id)
    for raw in patterns:
        code = raw.strip()
        if code == rule.name or code.upper() == rule.id:
            return True
        upper = code.upper()
        if family and rule.id.startswith(upper) and len(upper) >= family.end() \
                and upper[:family.end()] == family.group():
            return True
    return False


def evidence_keys(rule: Rule) -> frozenset[str]:
    """The `evidence.<name>` statuses a rule's match reads (what it needs to reach a verdict)."""
    import json

    return frozenset(_EVIDENCE_KEY.findall(json.dumps(rule.match, default=str)))


def evidence_statuses(root: nodes.Node) -> dict[str, str]:
    """`evidence.<name>` -> status of a bundle document."""
    mapping = _field(root, "evidence")
    if not isinstance(mapping, nodes.MappingNode):
        return {}
    return {_text(k): _text(v) for k, v in mapping.value}


def not_evaluated(rules: Sequence[Rule], documents: Sequence[EvidenceDocument]) -> list[str]:
    """The ids of the settings rules that reached no verdict: no document of their target, or in
    every such document an evidence status they read is neither `ok` nor `not-protected`."""
    out = []
    for rule in rules:
        if not reads_evidence(rule):
            continue
        # evidence-missing judges the statuses themselves: it needs only a document to read
        keys = frozenset() if rule.name == EVIDENCE_MISSING else evidence_keys(rule)
        judged = False
        for doc in documents:
            if doc.target not in rule.targets:
                continue
            statuses = evidence_statuses(doc.document.root)
            if all(statuses.get(k, "ok") in ("ok", "not-protected") for k in keys):
                judged = True
                break
        if not judged:
            out.append(rule.id)
    return out


def evidence_needed(rule: Rule) -> frozenset[str]:
    """The evidence a settings rule needs to reach a verdict: the `evidence.<name>` statuses it
    reads, and the organisation export itself for the organisation's rules."""
    org = frozenset({"organization"}) if "github-organization" in rule.targets else frozenset()
    return evidence_keys(rule) | org


def evidence_of(identity: str) -> str:
    """The evidence an evidence-missing finding is about, from its identity
    (`acme/shop:evidence.protection` -> `protection`, `org:acme:organization.x` -> `organization`)."""
    route = identity.rpartition(":")[2]
    parts = route.split(".")
    return parts[1] if parts[0] == "evidence" and len(parts) > 1 else parts[0]
