"""The decision rules for one merged change (design §5): who counts as an author, which
approvals count, and each CM rule's result with the reason.

Non-negotiables: merging and labels never count as approval; an approval counts only before the
merge, by a human who wrote none of the change, on the final code (by the review's commit, never
by dates), and not withdrawn by a later CHANGES_REQUESTED or dismissal; bots get no exemption by
name. Timestamps are RFC 3339 `Z` strings and compare as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from soc2lint.changes.model import Change, Protection, Review

PASS, FAIL, NA, INCONCLUSIVE, DOCUMENTED = "pass", "FAIL", "n/a", "inconclusive", "documented"

# Editable data: who is a bot or an AI agent (gh prints apps as `app/<name>`).
BOTS = frozenset(
    {
        "dependabot",
        "renovate",
        "github-actions",
        "copilot-pull-request-reviewer",
        "copilot",
        "copilot-swe-agent",
        "devin-ai-integration",
        "claude",
        "google-labs-jules",
        "codecov",
        "mergify",
        "snyk-bot",
        "pre-commit-ci",
        "release-please",
    }
)
AI_AGENTS = frozenset(
    {
        "copilot",
        "copilot-swe-agent",
        "devin-ai-integration",
        "claude",
        "google-labs-jules",
        "cursor",
        "codex",
        "openhands-agent",
    }
)
_AI_TRAILER = re.compile(
    r"(?im)^co-authored-by:\s*.*?(copilot|claude|anthropic\.com|cursor|aider|devin|codex|"
    r"openai\.com|gemini|\bamp\b|jules)"
)
_CO_AUTHOR = re.compile(r"(?im)^co-authored-by:\s*(?P<name>[^<\n]*?)\s*<(?P<email>[^>\n]+)>")
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@]+)@users\.noreply\.github\.com$", re.I)
FAILED_CHECK = frozenset(
    {
        "FAILURE",
        "TIMED_OUT",
        "CANCELLED",
        "ACTION_REQUIRED",
        "STARTUP_FAILURE",
        "STALE",
        "ERROR",
        "PENDING",
        "EXPECTED",
    }
)
WRITE_ACCESS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
DEFAULT_TICKET = (
    r"\b[A-Z][A-Z0-9]{1,9}-\d+\b"  # a Jira-style key
    r"|(?:^|[\s(])(?:[\w.-]+/[\w.-]+)?#\d+\b"  # #N, owner/repo#N
    r"|github\.com/[\w.-]+/[\w.-]+/issues/\d+"
)


@dataclass(frozen=True)
class Policy:
    required_approvals: int = 1
    production_branches: tuple[str, ...] = ()  # empty: every base branch in the export
    required_checks: tuple[str, ...] = ()  # when no protection export says which
    rubber_stamp_min_lines: int = 500
    rubber_stamp_max_seconds: int = 120
    ticket_pattern: str = DEFAULT_TICKET
    emergency_labels: tuple[str, ...] = ("emergency", "hotfix", "expedite")
    retro_review_hours: int = 72
    require_reviewer_write_access: bool = True
    require_code_owner_review: bool = False  # CM011 even where the branch protection does not


@dataclass(frozen=True)
class Decision:
    result: str
    reason: str = ""


# the results most changes get, built once (10,000 changes x 12 rules)
PASSED = Decision(PASS)
NOT_APPLICABLE = Decision(NA)


@dataclass
class Evaluated:
    change: Change
    authors: frozenset[str]
    ai_assisted: bool
    counted: list[Review] = field(default_factory=list)  # qualifying approvals
    rejected: list[tuple[Review, str]] = field(default_factory=list)  # approvals and why not
    results: dict[str, Decision] = field(default_factory=dict)


def short(login: str) -> str:
    """`app/dependabot` and `dependabot[bot]` -> `dependabot`, lower-cased."""
    name = login[4:] if login.startswith("app/") else login
    return name.removesuffix("[bot]").lower()


def is_bot(login: str) -> bool:
    return (
        (login.startswith("app/") and login != "app/")
        or login.endswith("[bot]")
        or short(login) in BOTS
    )


def _identity(name: str, email: str) -> str:
    m = _NOREPLY.match(email.strip())
    return m.group("login").lower() if m else email.strip().lower()


def code_authors(change: Change) -> frozenset[str]:
    """The PR author, every commit author and every `Co-authored-by` identity (lower-cased);
    for a pull request an AI agent opened, the humans who assigned it the work (the prompter:
    GitHub itself does not count their approval)."""
    out = {short(change.author)} if change.author not in ("", "app/") else set()
    if short(change.author) in AI_AGENTS or change.author_is_bot:
        out.update(
            short(e.actor)
            for e in change.events or ()
            if e.kind == "AssignedEvent" and e.actor and not is_bot(e.actor)
        )
    for commit in change.commits or ():
        out.update(a.lower() for a in commit.authors if a)
        for m in _CO_AUTHOR.finditer(commit.body):
            out.add(_identity(m.group("name"), m.group("email")))
            if m.group("name").strip():
                out.add(m.group("name").strip().lower())
    return frozenset(out)


def ai_assisted(change: Change) -> bool:
    if short(change.author) in AI_AGENTS:
        return True
    return any(_AI_TRAILER.search(c.body) for c in change.commits or ())


def qualifying(
    change: Change,
    authors: frozenset[str],
    policy: Policy,
) -> tuple[list[Review], list[tuple[Review, str]]]:
    """(approvals that count, approvals that do not with the reason)."""
    last: dict[str, Review] = {}
    for review in sorted(change.reviews, key=lambda r: r.submitted_at):
        if review.state != "COMMENTED" and review.submitted_at <= change.merged_at:
            last[review.author] = review
    counted, rejected = [], []
    for review in change.reviews:
        if review.state != "APPROVED":
            continue
        who = review.author or "a deleted user"
        if review.submitted_at > change.merged_at:
            rejected.append((review, f"{who} approved after the merge"))
        elif is_bot(review.author):
            rejected.append((review, f"{who} is a bot"))
        elif short(review.author) in authors:
            rejected.append((review, f"{who} wrote part of the change"))
        elif last.get(review.author) is not review:
            later = last.get(review.author)
            if later is not None and later.state == "APPROVED":
                continue  # approved again later: that one is judged
            state = later.state.lower().replace("_", " ") if later else "withdrawn"
            rejected.append((review, f"{who}'s approval was superseded ({state})"))
        elif (
            policy.require_reviewer_write_access
            and review.association
            and review.association not in WRITE_ACCESS
        ):
            rejected.append((review, f"{who} has no write access ({review.association.lower()})"))
        else:
            counted.append(review)
    return counted, rejected


def on_final_code(change: Change, review: Review) -> bool | None:
    """Whether an approval covers the merged code; None when the export cannot tell."""
    if review.commit and review.commit == change.head_oid:
        return True
    if change.commits is None or not review.commit:
        return None
    if any(
        e.kind == "HeadRefForcePushedEvent" and e.created_at > review.submitted_at
        for e in change.events or ()
    ):
        return False  # the branch was rewritten after the approval
    oids = [c.oid for c in change.commits]
    if review.commit not in oids:
        # every commit exported, and the approved one is gone: force-pushed away after the review
        return None if "commits" in change.truncated else False
    after = change.commits[oids.index(review.commit) + 1 :]
    # later commits that only merge the base branch in leave the approved change as it was
    merge_base = re.compile(
        rf"^Merge (?:remote-tracking )?branch '(?:origin/)?{re.escape(change.base)}'"
    )
    return all(merge_base.match(c.headline) for c in after)


def _seconds(a: str, b: str) -> float | None:
    try:
        return (
            datetime.fromisoformat(b.replace("Z", "+00:00"))
            - datetime.fromisoformat(a.replace("Z", "+00:00"))
        ).total_seconds()
    except ValueError:
        return None


def evaluate(change: Change, policy: Policy, protection: Protection | None) -> Evaluated:
    authors = code_authors(change)
    ev = Evaluated(change, authors, ai_assisted(change))
    ev.counted, ev.rejected = qualifying(change, authors, policy)
    required = policy.required_approvals
    if protection is not None and protection.required_approvals:
        required = max(required, protection.required_approvals)
    r = ev.results
    no_commits = change.commits is None
    incomplete = [f"{k} (cut at 100)" for k in change.truncated]
    why_not = "; ".join(reason for _, reason in ev.rejected) or "no approving review"
    merged_by = f"merged by {change.merged_by or 'a deleted user'}"
    # CM002: enough independent approvals
    if "reviews" in change.truncated and len(ev.counted) < required:
        r["CM002"] = Decision(INCONCLUSIVE, "reviews cut at 100")
    elif len(ev.counted) < required:
        r["CM002"] = Decision(
            FAIL,
            f"{len(ev.counted)} of {required} required independent "
            f"approval(s) ({why_not}); {merged_by}",
        )
    else:
        r["CM002"] = PASSED
    # CM003: the count was met only thanks to a code author's approval
    by_author = [rv for rv, why in ev.rejected if "wrote part of the change" in why]
    if no_commits and not by_author:
        r["CM003"] = Decision(INCONCLUSIVE, "commits not exported")
    elif by_author and len(ev.counted) < required <= len(ev.counted) + len(by_author):
        names = ", ".join(sorted({rv.author for rv in by_author}))
        r["CM003"] = Decision(FAIL, f"approved by {names}, who wrote part of the change")
    else:
        r["CM003"] = PASSED
    # CM004: the approvals that count cover the merged code
    if len(ev.counted) < required:
        r["CM004"] = NOT_APPLICABLE
    else:
        final = [on_final_code(change, rv) for rv in ev.counted]
        if sum(1 for f in final if f) >= required:
            r["CM004"] = PASSED
        elif any(f is None for f in final):
            r["CM004"] = Decision(INCONCLUSIVE, "the approved commits are not in the export")
        else:
            stale = ", ".join(f"{rv.author} on {rv.commit[:7]}" for rv in ev.counted)
            r["CM004"] = Decision(
                FAIL,
                f"approved {stale}, merged {change.head_oid[:7]}: the "
                "code changed after the approval",
            )
    r["CM005"] = _checks(change, policy, protection)
    r["CM006"] = _rubber_stamp(change, ev, policy)
    r["CM008"] = _ticket(change, policy)
    if not ev.ai_assisted:
        r["CM009"] = NOT_APPLICABLE
    elif no_commits and short(change.author) not in AI_AGENTS:
        r["CM009"] = Decision(INCONCLUSIVE, "commits not exported")
    elif ev.counted:
        r["CM009"] = PASSED
    else:
        r["CM009"] = Decision(FAIL, f"AI-assisted, and no independent human approval ({why_not})")
    if change.missing:  # a field the export left out is unknown, not empty
        gaps = {
            "reviews": ("CM002", "CM003", "CM004", "CM006", "CM009"),
            "statusCheckRollup": ("CM005",),
        }
        for field_name in change.missing:
            for key in gaps.get(field_name, ()):
                # n/a that follows from the change itself (small, not AI-assisted) stays n/a
                if r[key].result != NA or key in ("CM004", "CM005"):
                    r[key] = Decision(INCONCLUSIVE, f"the export has no `{field_name}`")
    r["CM007"] = _dismissed_then_merged(change)
    _emergency(change, ev, policy)
    if incomplete:
        r["CM012"] = Decision(FAIL, "the export cut " + ", ".join(incomplete))
    return ev


def _dismissed_then_merged(change: Change) -> Decision:
    """CM007 for one pull request: its merger dismissed a request for changes, then merged."""
    if change.events is None:
        return Decision(INCONCLUSIVE, "the export has no timeline (review dismissals)")
    merger = short(change.merged_by)
    for event in change.events:
        if (
            event.kind == "ReviewDismissedEvent"
            and event.detail == "CHANGES_REQUESTED"
            and event.actor
            and short(event.actor) == merger
            and event.created_at <= change.merged_at
        ):
            return Decision(
                FAIL,
                f"{change.merged_by} dismissed a request for changes at {event.created_at} and "
                "merged the pull request themselves",
            )
    return PASSED


def _checks(change: Change, policy: Policy, protection: Protection | None) -> Decision:
    if protection is not None and protection.required_checks is not None:
        required, source = protection.required_checks, "the branch's protection and rulesets"
    elif policy.required_checks:
        required, source = policy.required_checks, "the policy's required_checks"
    else:
        required, source = tuple(sorted({c.name for c in change.checks})), "every check reported"
    if not required:
        return NOT_APPLICABLE
    by_name = {c.name: c for c in change.checks}
    problems = []
    for name in required:
        check = by_name.get(name)
        if check is None:
            problems.append(f"{name} missing")
        elif check.status and check.status != "COMPLETED":
            problems.append(f"{name} {check.status.lower()}")
        elif check.conclusion.upper() in FAILED_CHECK:
            problems.append(f"{name} {check.conclusion.lower()}")
        elif check.completed_at and check.completed_at > change.merged_at:
            problems.append(f"{name} completed only after the merge")
    if not problems:
        return PASSED
    return Decision(FAIL, f"required checks ({source}): " + ", ".join(problems))


def _rubber_stamp(change: Change, ev: Evaluated, policy: Policy) -> Decision:
    lines = change.additions + change.deletions
    if lines < policy.rubber_stamp_min_lines or not ev.counted:
        return NOT_APPLICABLE
    pushed = {c.oid: c.committed_at for c in change.commits or ()}
    quick = []
    for review in ev.counted:
        start = max(change.created_at, pushed.get(review.commit, ""))
        elapsed = _seconds(start, review.submitted_at)
        if elapsed is None or elapsed >= policy.rubber_stamp_max_seconds or review.body.strip():
            return PASSED
        quick.append(f"{review.author} after {int(elapsed)} s")
    return Decision(FAIL, f"{lines} changed lines approved without comment ({', '.join(quick)})")


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _ticket(change: Change, policy: Policy) -> Decision:
    if change.closing_issues:
        return PASSED
    pattern = _compiled(policy.ticket_pattern)
    texts = [change.title, change.body, change.head_ref]
    texts += [f"{c.headline}\n{c.body}" for c in change.commits or ()]
    if any(pattern.search(t) for t in texts if t):
        return PASSED
    return Decision(FAIL, "no ticket reference in the title, body, branch or commit messages")


def _emergency(change: Change, ev: Evaluated, policy: Policy) -> None:
    if not change.labels:
        ev.results["CM010"] = NOT_APPLICABLE
        return
    labels = {label.lower() for label in change.labels}
    emergency = labels & {e.lower() for e in policy.emergency_labels}
    if not emergency:
        ev.results["CM010"] = NOT_APPLICABLE
        return
    if change.events is not None and not any(
        e.kind == "LabeledEvent"
        and e.detail.lower() in emergency
        and e.created_at <= change.merged_at
        for e in change.events
    ):
        # labelled an emergency only after the merge: it was merged as a normal change
        ev.results["CM010"] = Decision(NA, "emergency label added after the merge")
        return
    failed = [k for k in ("CM002", "CM004", "CM005") if ev.results[k].result == FAIL]
    if not failed:
        ev.results["CM010"] = PASSED
        return
    for review in change.reviews:
        after = _seconds(change.merged_at, review.submitted_at)
        if (
            after is not None
            and 0 < after <= policy.retro_review_hours * 3600
            and not is_bot(review.author)
            and short(review.author) not in ev.authors
            and (
                review.state == "APPROVED" or (review.state == "COMMENTED" and review.body.strip())
            )
        ):
            for key in failed:
                ev.results[key] = Decision(
                    DOCUMENTED, f"emergency change reviewed after the merge by {review.author}"
                )
            ev.results["CM010"] = PASSED
            return
    ev.results["CM010"] = Decision(
        FAIL,
        f"emergency change ({', '.join(failed)} failed) without a "
        f"review within {policy.retro_review_hours} h after the merge",
    )
