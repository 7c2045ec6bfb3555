"""The files of `collect github --changes` besides the pull request pages: the collection's
manifest (period, branch, what failed), the branch's history with the pull requests GitHub
associates with each commit (CM001 without a clone), the branch's activity and the rule-suite
bypasses (CM007).

Whatever is missing, failed or cut short is said (CM012), never read as "nothing happened".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from soc2lint.changes.ghdump import elements
from soc2lint.changes.query import HISTORY_FILE, RULE_SUITE_FILE, RULE_SUITE_REACH_DAYS

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Failure:
    """A request of the collection that gave no complete evidence."""

    path: str
    endpoint: str
    status: int
    note: str
    offset: int  # where its entry starts in the manifest


@dataclass(frozen=True)
class Period:
    """What one collection covers, from its manifest."""

    repository: str
    branch: str
    since: str  # RFC 3339 `Z`; "" when not said
    until: str
    complete: bool
    failures: tuple[Failure, ...] = ()

    def holds(self, moment: str) -> bool:
        """Whether an RFC 3339 `Z` time falls in the period (compared as strings)."""
        return (not self.since or moment >= self.since) and (not self.until or moment <= self.until)

    def days(self) -> list[date]:
        """Every UTC day the period touches."""
        try:
            first = date.fromisoformat(self.since[:10])
            last = date.fromisoformat(self.until[:10])
        except ValueError:
            return []
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class HistoryCommit:
    __slots__ = ("oid", "date", "subject", "author", "parents", "pulls", "page")

    def __init__(self, node: dict[str, Any], page: str) -> None:
        self.oid = str(node.get("oid") or "")
        self.date = str(node.get("committedDate") or "")
        self.subject = str(node.get("messageHeadline") or "")
        author = node.get("author") or {}
        user = author.get("user") if isinstance(author, dict) else None
        self.author = str(
            (user or {}).get("login")
            or (author or {}).get("name")
            or (author or {}).get("email")
            or ""
        )
        self.parents = [
            str(p.get("oid") or "")
            for p in (node.get("parents") or {}).get("nodes") or ()
            if isinstance(p, dict)
        ]
        self.pulls = [
            p
            for p in (node.get("associatedPullRequests") or {}).get("nodes") or ()
            if isinstance(p, dict)
        ]
        self.page = page


@dataclass
class Collection:
    """A collection's manifest, with the first-parent history of its branch when collected."""

    period: Period
    manifest_path: str  # relative to the scan root
    history: list[HistoryCommit] | None = None  # first-parent chain in the period, newest first
    history_problem: str = ""  # why the chain is missing or incomplete
    entries: dict[str, int] = field(default_factory=dict)  # file path -> its manifest offset
    uncovered: tuple[str, ...] = ()  # months of the period without rule-suite data


@dataclass(frozen=True)
class Event:
    """A push, force push or rule-suite result on a branch, where it sits in its file."""

    source: str  # "activity" or "rule-suite"
    id: str
    kind: str  # activity_type, or the rule suite's result
    ref: str
    at: str
    actor: str
    before: str
    after: str
    offset: int


@dataclass(frozen=True)
class EventLog:
    """activity.json or one month of rule suites, with the period of the collection beside it."""

    events: tuple[Event, ...]
    period: Period | None


def _string(value: Any) -> str:
    return "" if value is None else str(value)


def read_manifest(text: str) -> tuple[Period, dict[str, int]]:
    """The period and, for each file entry, where it starts in the manifest."""
    data = json.loads(text)
    if not isinstance(data, dict) or "files" not in data:
        raise ValueError("not a changes manifest (no `files`)")
    entries: dict[str, int] = {}
    failures = []
    cursor = 0
    for entry in data.get("files") or ():
        if not isinstance(entry, dict):
            continue
        path = _string(entry.get("path"))
        found = text.find(json.dumps(path), cursor)
        offset = max(text.rfind("{", 0, found), 0) if found >= 0 else 0
        cursor = max(cursor, found)
        entries[path] = offset
        if not entry.get("evidence"):
            failures.append(
                Failure(
                    path,
                    _string(entry.get("endpoint")),
                    int(entry.get("status") or 0),
                    _string(entry.get("note")),
                    offset,
                )
            )
    period = Period(
        repository=_string(data.get("repository")),
        branch=_string(data.get("branch")),
        since=_string(data.get("since")),
        until=_string(data.get("until")),
        complete=data.get("complete") is True,
        failures=tuple(failures),
    )
    return period, entries


def period_beside(directory: Path) -> Period | None:
    """The period of the collection whose `changes/` directory is `directory` or holds it."""
    for candidate in (directory, directory.parent, directory.parent.parent):
        path = candidate / MANIFEST
        if candidate.name == "changes":
            try:
                stat = path.stat()
            except OSError:
                return None
            return _period_of(str(path), stat.st_mtime_ns, stat.st_size)
    return None


@lru_cache(maxsize=8)
def _period_of(path: str, mtime_ns: int, size: int) -> Period | None:
    """Read once for every page of a collection (the key changes when the file does)."""
    try:
        return read_manifest(Path(path).read_text(encoding="utf-8"))[0]
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None


def first_parent_history(
    graphql_dir: Path, period: Period
) -> tuple[list[HistoryCommit] | None, str]:
    """The branch's first-parent commits in the period, from the history pages, newest first;
    (None, why) when there are none to read."""
    pages = sorted(p for p in graphql_dir.glob("history-*.json") if HISTORY_FILE.match(p.name))
    if not pages:
        return None, "no history pages were collected"
    by_oid: dict[str, HistoryCommit] = {}
    head = ""
    cut = ""
    for page in pages:
        try:
            data = json.loads(page.read_text(encoding="utf-8"))
            target = data["data"]["repository"]["ref"]["target"]
            history = target["history"]
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
            cut = f"{page.name} is not a readable answer to the history query"
            break
        head = head or _string(target.get("oid"))
        for node in history.get("nodes") or ():
            if isinstance(node, dict):
                commit = HistoryCommit(node, page.name)
                by_oid[commit.oid] = commit
        if page is pages[-1] and (history.get("pageInfo") or {}).get("hasNextPage"):
            cut = f"{page.name} says there are more commits than were collected"
    chain = []
    oid = head
    seen = set()
    while oid in by_oid and oid not in seen:
        seen.add(oid)
        commit = by_oid[oid]
        if period.holds(commit.date) or not period.since:
            chain.append(commit)
        elif commit.date < period.since:
            break
        oid = commit.parents[0] if commit.parents else ""
    return chain, cut


def accounted(commit: HistoryCommit, branch: str) -> bool:
    """Whether a merged pull request into `branch` brought this first-parent commit."""
    return any(p.get("mergedAt") and p.get("baseRefName") == branch for p in commit.pulls)


def events_of(text: str, source: str) -> Iterator[Event]:
    """The events of activity.json (`source` "activity") or a rule-suites file."""
    for offset, item in elements(text):
        if not isinstance(item, dict):
            continue
        actor = item.get("actor") or item.get("pusher")
        if source == "activity":
            kind = _string(item.get("activity_type") or item.get("push_type"))
            when = _string(item.get("timestamp") or item.get("pushed_at"))
            before, after = _string(item.get("before")), _string(item.get("after"))
            who = _string(actor.get("login")) if isinstance(actor, dict) else _string(actor)
        else:
            kind = _string(item.get("result"))
            when = _string(item.get("pushed_at"))
            before, after = _string(item.get("before_sha")), _string(item.get("after_sha"))
            who = _string(item.get("actor_name"))
        yield Event(
            source,
            _string(item.get("id")),
            kind,
            _string(item.get("ref")),
            when,
            who,
            before,
            after,
            offset,
        )


def ids_before(path: Path) -> frozenset[str]:
    """The ids of the rule suites in the files of `path`'s directory named before it."""
    out: set[str] = set()
    try:
        earlier = sorted(p for p in path.parent.iterdir() if p.name < path.name)
    except OSError:
        return frozenset()
    for other in earlier:
        if RULE_SUITE_FILE.match(other.name):
            try:
                stat = other.stat()
            except OSError:
                continue
            out |= _ids_in(str(other), stat.st_mtime_ns, stat.st_size)
    return frozenset(out)


@lru_cache(maxsize=64)
def _ids_in(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
        return frozenset(e.id for e in events_of(text, "rule-suite"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return frozenset()


def covered_days(names: Sequence[str]) -> set[date]:
    """The days rule-suite files certainly cover: a file collected on day D holds the 30 days
    before the moment it was collected, so whole days D-29 .. D (D itself up to that moment,
    which is where a period collected then ends)."""
    out: set[date] = set()
    for name in names:
        m = RULE_SUITE_FILE.match(name)
        if not m or not m.group(3):
            continue  # a month file: which days it holds is not known
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        out.update(day - timedelta(days=n) for n in range(RULE_SUITE_REACH_DAYS))
    return out


def uncovered_months(period: Period, directory: Path) -> list[str]:
    """YYYY-MM of the months of the period with a day no rule-suite file in `directory` covers."""
    try:
        names = [p.name for p in directory.iterdir()]
    except OSError:
        names = []
    covered = covered_days(names)
    return sorted({d.strftime("%Y-%m") for d in period.days() if d not in covered})


def branch_of(ref: str) -> str:
    return re.sub(r"^refs/heads/", "", ref)
