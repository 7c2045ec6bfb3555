"""The GitHub evidence schema, as data: which endpoints soc2lint collects, where it stores them,
how their payloads are recognised, and which document key and evidence status each one feeds.

The collector (`soc2lint.collect.github`) fetches the rows of `ENDPOINTS` and writes them where
they say; the recogniser reads a payload's kind from the same rows (by the manifest's endpoint,
last by the file name); the assembler puts each payload at its row's `key` and reports its row's
`evidence` status. Adding an endpoint is adding a row (and, for a shape no row has yet, a
`MAPPING_SHAPES` or `LIST_SHAPES` entry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from soc2lint.formats.github.required import ORGANIZATION_DOCUMENT as ORGANIZATION_DOCUMENT
from soc2lint.formats.github.required import REPOSITORY_DOCUMENT as REPOSITORY_DOCUMENT

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
MEMBERS = "members"  # a member list that neither its endpoint nor its file name tells apart
COLLABORATORS = "collaborators"
OUTSIDE_COLLABORATORS = "outside-collaborators"
ENVIRONMENTS = "environments"
WORKFLOW_PERMISSIONS = "actions-workflow-permissions"
MANIFEST = "manifest"
ERROR = "error"

# the documents payloads are assembled into (rule `targets:`)

# who may read an endpoint, for the collector's note on a 403 or 404
_READ = "needs read access to the repository"
_WRITE = "needs write access to the repository"
_ADMIN = "needs admin rights on the repository"


@dataclass(frozen=True)
class Endpoint:
    """One GitHub REST endpoint, from the request to the evidence status it feeds.

    `request` and `file` are templates: `{owner}`, `{repo}`, `{branch}` (URL-quoted in the
    request, nested directories in the file) and `{id}` (a ruleset listed by the row whose
    `lists` names this one). A row with `file=""` is recognised but not collected.
    """

    name: str
    request: str  # the API path and query, as the manifest names it
    file: str  # where the collector stores it, relative to the evidence dir
    kind: str  # the payload kind of a 200 answer
    endpoint: str  # regex: a manifest `endpoint` that is this row's
    document: str = REPOSITORY_DOCUMENT
    key: str = ""  # the document key the payload is found at ("": none of its own)
    evidence: str = ""  # the `evidence.<name>` status it settles ("": none)
    failure: str = ""  # regex on a failed export's file or endpoint: which status it fails
    file_name: str = ""  # regex: the file name, for lists that are empty or ambiguous
    looks_like: str = ""  # a list's kind by content alone, when only the name tells it apart
    not_found: str = ""  # the kind of a 404 answer that is evidence (`Branch not protected`)
    needs: str = _READ  # who may read it
    paged: bool = False  # a list: per_page=100, follow Link rel="next"
    items_key: str | None = None  # a list wrapped in an object: the key holding the items
    shape: type = dict  # the JSON a 200 answer must be to count as evidence
    lists: str = ""  # the row fetched for each `id` in this list

    @property
    def collected(self) -> bool:
        return bool(self.file)


_REPO = r"^GET /repos/[^/]+/[^/]+"
_ORGS = r"^GET /orgs/[^/]+"

# In collection order. A manifest endpoint is the first row whose `endpoint` matches it.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "repository",
        "/repos/{owner}/{repo}",
        "github/{owner}/{repo}/repo.json",
        REPO,
        _REPO + r"$",
        key="repository",
    ),
    Endpoint(
        "protection",
        "/repos/{owner}/{repo}/branches/{branch}/protection",
        "github/{owner}/{repo}/branches/{branch}/protection.json",
        PROTECTION,
        _REPO + r"/branches/.+/protection$",
        key="protection",
        evidence="protection",
        failure=r"protection",
        not_found=NOT_PROTECTED,
        needs=_ADMIN,
    ),
    Endpoint(
        "branch_rules",
        "/repos/{owner}/{repo}/rules/branches/{branch}",
        "github/{owner}/{repo}/branches/{branch}/rules.json",
        BRANCH_RULES,
        _REPO + r"/rules/branches/.+$",
        key="branch_rules",
        evidence="rulesets",
        failure=r"rules/branches",
        file_name=r"(^|/)branches/.+/rules\.json$",
        paged=True,
        shape=list,
    ),
    Endpoint(
        "rulesets",
        "/repos/{owner}/{repo}/rulesets?includes_parents=true",
        "github/{owner}/{repo}/rulesets.json",
        RULESETS,
        _REPO + r"/rulesets(\?.*)?$",
        evidence="rulesets",
        failure=r"rulesets",
        file_name=r"(^|/)rulesets\.json$",
        paged=True,
        shape=list,
        lists="ruleset",
    ),
    Endpoint(
        "ruleset",
        "/repos/{owner}/{repo}/rulesets/{id}",
        "github/{owner}/{repo}/rulesets/{id}.json",
        RULESET,
        _REPO + r"/rulesets/\d+$",
        key="rulesets",
        evidence="rulesets",
        failure=r"rulesets",
    ),
    Endpoint(
        "environments",
        "/repos/{owner}/{repo}/environments",
        "github/{owner}/{repo}/environments.json",
        ENVIRONMENTS,
        _REPO + r"/environments",
        key="environments",
        evidence="environments",
        failure=r"environments",
        file_name=r"(^|/)environments\.json$",
        paged=True,
        items_key="environments",
    ),
    Endpoint(
        "workflow_permissions",
        "/repos/{owner}/{repo}/actions/permissions/workflow",
        "github/{owner}/{repo}/actions-permissions-workflow.json",
        WORKFLOW_PERMISSIONS,
        _REPO + r"/actions/permissions/workflow$",
        key="workflow_permissions",
        evidence="workflow_permissions",
        failure=r"actions/permissions|actions-permissions",
        needs=_ADMIN,
    ),
    Endpoint(
        "collaborators",
        "/repos/{owner}/{repo}/collaborators?affiliation=all",
        "github/{owner}/{repo}/collaborators-all.json",
        COLLABORATORS,
        _REPO + r"/collaborators(?!\?(.*&)?affiliation=outside)",
        key="collaborators",
        evidence="collaborators",
        failure=r"collaborators(?!.*outside)",
        file_name=r"(^|/)collaborators(-all)?\.json$",
        looks_like=COLLABORATORS,
        needs=_WRITE,
        paged=True,
        shape=list,
    ),
    Endpoint(
        "outside_collaborators",
        "/repos/{owner}/{repo}/collaborators?affiliation=outside",
        "github/{owner}/{repo}/collaborators-outside.json",
        OUTSIDE_COLLABORATORS,
        _REPO + r"/collaborators\?(.*&)?affiliation=outside",
        key="outside_collaborators",
        evidence="outside_collaborators",
        failure=r"outside",
        file_name=r"(^|/)collaborators-outside\.json$",
        looks_like=COLLABORATORS,
        needs=_WRITE,
        paged=True,
        shape=list,
    ),
    # an organisation's rulesets, exported by hand (`gh api orgs/O/rulesets/ID`): candidates for
    # every repository of the organisation, their conditions decide (see rulesets.py)
    Endpoint(
        "org_rulesets",
        "/orgs/{owner}/rulesets",
        "",
        RULESETS,
        _ORGS + r"/rulesets(\?.*)?$",
        evidence="rulesets",
        failure=r"rulesets",
    ),
    Endpoint(
        "org_ruleset",
        "/orgs/{owner}/rulesets/{id}",
        "",
        RULESET,
        _ORGS + r"/rulesets/\d+$",
        key="rulesets",
        evidence="rulesets",
        failure=r"rulesets",
    ),
    Endpoint(
        "organization",
        "/orgs/{owner}",
        "github/{owner}/org.json",
        ORG,
        _ORGS + r"$",
        ORGANIZATION_DOCUMENT,
        key="organization",
        evidence="organization",
        failure=r"^GET /orgs/[^/?]+$|(^|/)org\.json$",
        needs="needs read access to the organization",
    ),
    Endpoint(
        "members_2fa_disabled",
        "/orgs/{owner}/members?filter=2fa_disabled",
        "github/{owner}/members-2fa-disabled.json",
        MEMBERS_2FA_DISABLED,
        _ORGS + r"/members\?(.*&)?filter=2fa_disabled",
        ORGANIZATION_DOCUMENT,
        key="members_2fa_disabled",
        evidence="members_2fa_disabled",
        failure=r"2fa",
        file_name=r"(^|/)members-2fa-disabled\.json$",
        looks_like=MEMBERS,
        needs="needs organization owner rights",
        paged=True,
        shape=list,
    ),
    Endpoint(
        "admins",
        "/orgs/{owner}/members?role=admin",
        "github/{owner}/members-admin.json",
        MEMBERS_ADMIN,
        _ORGS + r"/members\?(.*&)?role=admin",
        ORGANIZATION_DOCUMENT,
        key="admins",
        evidence="admins",
        failure=r"role=admin|members-admin",
        file_name=r"(^|/)members-admin\.json$",
        looks_like=MEMBERS,
        needs="needs organization membership",
        paged=True,
        shape=list,
    ),
)
BY_NAME = {e.name: e for e in ENDPOINTS}

# the payload kinds that belong to an organisation rather than a repository
ORGANIZATION_KINDS = frozenset(
    {e.kind for e in ENDPOINTS if e.document == ORGANIZATION_DOCUMENT} | {MEMBERS}
)

_ENDPOINT_PATTERNS = tuple((re.compile(e.endpoint), e) for e in ENDPOINTS)
_FILE_PATTERNS = tuple((re.compile(e.file_name), e) for e in ENDPOINTS if e.file_name)


def endpoint_of(request: str) -> Endpoint | None:
    """The row of a manifest `endpoint` (`GET /repos/O/R/...`)."""
    return next((e for pattern, e in _ENDPOINT_PATTERNS if pattern.search(request)), None)


def named(path: str) -> Endpoint | None:
    """The row whose collector file name `path` has (for lists the content cannot tell apart)."""
    return next((e for pattern, e in _FILE_PATTERNS if pattern.search(path)), None)


def evidence_rows(document: str) -> dict[str, tuple[Endpoint, ...]]:
    """`evidence.<name>` -> the rows settling it, for one document, in the table's order."""
    out: dict[str, tuple[Endpoint, ...]] = {}
    for e in ENDPOINTS:
        if e.document == document and e.evidence:
            out[e.evidence] = out.get(e.evidence, ()) + (e,)
    return out


@cache
def failure_pattern(rows: tuple[Endpoint, ...]) -> re.Pattern[str]:
    """Which failed exports (by file or endpoint) fail an evidence status settled by `rows`."""
    return re.compile("|".join(dict.fromkeys(f"(?:{e.failure})" for e in rows if e.failure)))


# ---------------------------------------------------------------- payloads told by their content


@dataclass(frozen=True)
class Key:
    """A key a payload object has: present, or with this text, or with text containing this."""

    name: str
    equals: str | None = None
    contains: str | None = None


@dataclass(frozen=True)
class MappingShape:
    """An object payload is `kind` when every key of one of `alternatives` holds."""

    kind: str
    alternatives: tuple[tuple[Key, ...], ...]


@dataclass(frozen=True)
class ListShape:
    """A non-empty list payload is `kind` when every item has all `keys`; a row whose file name
    it has and that `looks_like` this kind refines it (outside collaborators, admins)."""

    kind: str
    keys: tuple[str, ...]


def _keys(*names: str) -> tuple[Key, ...]:
    return tuple(Key(n) for n in names)


# the first that fits decides
MAPPING_SHAPES: tuple[MappingShape, ...] = (
    MappingShape(MANIFEST, ((Key("tool", equals="soc2lint"), Key("files")),)),
    MappingShape(NOT_PROTECTED, ((Key("message", equals="Branch not protected"),),)),
    MappingShape(ERROR, (_keys("message", "documentation_url"),)),
    # an organisation as a non-owner sees it (no 2FA or default-permission fields)
    MappingShape(ORG, (_keys("login", "members_url", "hooks_url"),)),
    MappingShape(REPO, (_keys("full_name", "default_branch"),)),
    MappingShape(
        PROTECTION,
        (
            (Key("url", contains="/protection"),),
            _keys("required_pull_request_reviews"),
            _keys("enforce_admins"),
            _keys("allow_force_pushes"),
            _keys("required_status_checks"),
        ),
    ),
    MappingShape(RULESET, (_keys("enforcement", "rules"), _keys("enforcement", "bypass_actors"))),
    MappingShape(
        ORG,
        (_keys("two_factor_requirement_enabled"), _keys("login", "default_repository_permission")),
    ),
    MappingShape(ENVIRONMENTS, (_keys("environments", "total_count"),)),
    MappingShape(WORKFLOW_PERMISSIONS, (_keys("default_workflow_permissions"),)),
)
LIST_SHAPES: tuple[ListShape, ...] = (
    ListShape(BRANCH_RULES, ("ruleset_id", "type")),
    ListShape(RULESETS, ("enforcement", "source_type")),
    ListShape(COLLABORATORS, ("login", "permissions")),
    ListShape(MEMBERS, ("login", "type")),
)
