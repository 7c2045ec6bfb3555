"""A merged change as the evidence shows it: plain data, read once from the exports.

The records a pull request holds dozens of (reviews, commits, checks) are named tuples: a
10,000-PR export builds about 100,000 of them, and tuples build several times faster than
frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Review(NamedTuple):
    author: str  # login; "" for a deleted user
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    submitted_at: str  # RFC 3339 `Z`: compared as strings
    commit: str  # the commit the review was given on ("" when the export has none)
    association: str = ""  # OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, ...; "" when not exported
    body: str = ""


class Commit(NamedTuple):
    oid: str
    headline: str
    body: str
    authors: tuple[str, ...]  # logins, or emails when the export has no login
    committed_at: str = ""


class Event(NamedTuple):
    """A timeline event of a pull request (GraphQL `timelineItems`)."""

    kind: str  # HeadRefForcePushedEvent, ReviewDismissedEvent, LabeledEvent, ...
    created_at: str
    actor: str  # login; "" when deleted or not exported
    detail: str = ""  # label name, previous review state, after-commit oid, assignee


class Check(NamedTuple):
    name: str
    status: str  # COMPLETED, IN_PROGRESS, QUEUED, ... (CheckRun); "" for a status context
    conclusion: str  # SUCCESS, FAILURE, ... or a status context's state
    completed_at: str = ""


@dataclass(frozen=True)
class Change:
    """A merged pull request."""

    number: int
    url: str
    title: str
    body: str
    author: str  # login; "app/<name>" for an app as gh prints it; "app/" for a deleted user
    author_is_bot: bool
    merged_by: str
    merged_at: str
    created_at: str
    base: str
    head_ref: str
    head_oid: str
    additions: int
    deletions: int
    labels: tuple[str, ...]
    reviews: tuple[Review, ...]
    commits: tuple[Commit, ...] | None  # None: not exported
    checks: tuple[Check, ...]
    closing_issues: int
    truncated: tuple[str, ...] = ()  # nested lists the export cut at its limit
    missing: tuple[str, ...] = ()  # fields the export did not include (`reviews`, ...)
    offset: int = 0  # where the pull request's object starts in its file
    merge_oid: str = ""  # `mergeCommit.oid`: the merge, squash or last rebased commit on the base
    base_oid: str = ""  # `baseRefOid`: the base branch's commit when the pull request was merged
    files: tuple[str, ...] | None = None  # changed paths; None: not exported
    events: tuple[Event, ...] | None = None  # timeline; None: not exported (gh dumps)

    @property
    def change_id(self) -> str:
        return f"pr:{self.number}"


@dataclass(frozen=True)
class Protection:
    """What the branch protection export requires of a branch."""

    required_checks: tuple[str, ...] | None  # None: not exported
    required_approvals: int | None
    code_owner_reviews: bool = False  # `require_code_owner_reviews`


@dataclass
class Population:
    """The changes one export holds, and what the settings exports say of their branches."""

    changes: list[Change]
    protection: dict[str, Protection] = field(default_factory=dict)
    commits_exported: bool = True
    source: str = "gh"  # "gh": a gh pr list dump; "graphql": pages of `collect github --changes`
    github: str = ""  # the evidence's `github/` directory (team members exports live there)
    decisions: dict[tuple[object, ...], object] = field(default_factory=dict)  # memo per policy
