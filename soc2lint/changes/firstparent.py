"""CM001's population from the local clone: the commits on the first-parent chain of a
production branch, and which of them no merged pull request in the export accounts for.

A first-parent commit is accounted for when it is a merged pull request's `mergeCommit.oid` (a
merge or squash commit, or the last commit of a rebase merge), one of the pull request's own
commits (kept by a fast-forward), or one of the commits a rebase merge recreated: the ones
just before its `mergeCommit.oid` on the chain whose subjects are the pull request's commit
headlines, no more of them than it has commits. Everything else reached the branch without a
pull request: a direct push, a web-editor commit, a single-parent commit that only *says*
"Merge pull request #N".

Git alone cannot prove that a change was not reviewed, so nothing is decided without an export;
nor when none of the export's merge commits is on the chain (the clone is not the exported
repository, or the export has no `mergeCommit`): every commit would look unaccounted.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from soc2lint import gitrun
from soc2lint.changes.model import Change

_FORMAT = "%H%x1f%an%x1f%cI%x1f%s"
_CLAIM = re.compile(r"^Merge pull request #(\d+)\b|\(#(\d+)\)\s*$")


class FirstParent(NamedTuple):
    oid: str
    author: str  # the author's name as git records it
    date: str  # the committer date, ISO 8601 with the writer's offset
    subject: str


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = gitrun.run(root, *args)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape")


def default_branch(root: Path) -> str | None:
    """The repository's default branch as git knows it: what `origin/HEAD` points to, else the
    checked-out branch; None on a detached HEAD without `origin/HEAD`, or outside a clone."""
    for name, prefix in (("origin/HEAD", "refs/remotes/origin/"), ("HEAD", "refs/heads/")):
        out = _git(root, "rev-parse", "--symbolic-full-name", "--verify", "--quiet", name)
        ref = (out or "").strip()
        if ref.startswith(prefix) and ref != prefix + "HEAD":
            return ref[len(prefix) :]
    return None


def resolve(root: Path, branch: str) -> str | None:
    """The ref to read `branch` from: GitHub's side (`origin/<branch>`) when the clone has it,
    else the local branch; None when neither exists."""
    if not branch or branch.startswith("-"):
        return None
    candidates = [branch] if branch.startswith("refs/") else []
    candidates += [f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"]
    for ref in candidates:
        if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None:
            return ref
    return None


def first_parent(root: Path, ref: str) -> list[FirstParent] | None:
    """The first-parent chain of `ref`, newest first (one `git log`); None when git fails."""
    out = _git(root, "log", "--first-parent", f"--format={_FORMAT}", ref)
    if out is None:
        return None
    chain = []
    for line in out.splitlines():
        parts = line.split("\x1f")
        if len(parts) == 4:
            chain.append(FirstParent(*parts))
    return chain


def _instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def period(changes: Iterable[Change]) -> tuple[datetime, datetime] | None:
    """The period an export covers: from its earliest to its latest merge."""
    moments = [m for m in (_instant(c.merged_at) for c in changes) if m is not None]
    return (min(moments), max(moments)) if moments else None


def in_period(commit: FirstParent, start: datetime, end: datetime) -> bool:
    moment = _instant(commit.date)
    return moment is not None and start <= moment <= end


def accounted(chain: Sequence[FirstParent], changes: Iterable[Change]) -> dict[str, Change] | None:
    """The commits of `chain` (newest first) that a pull request in `changes` accounts for,
    each with that pull request; None when no pull request's merge commit is on the chain."""
    changes = list(changes)
    by_merge = {c.merge_oid: c for c in changes if c.merge_oid}
    by_commit = {commit.oid: c for c in changes for commit in c.commits or () if commit.oid}
    out: dict[str, Change] = {}
    for i, fp in enumerate(chain):
        change = by_merge.get(fp.oid)
        if change is None:
            if fp.oid in by_commit:
                out.setdefault(fp.oid, by_commit[fp.oid])
            continue
        out[fp.oid] = change
        # a rebase merge: the pull request's other commits, recreated just before this one
        headlines = Counter(c.headline for c in change.commits or ())
        if len(change.commits or ()) < 2 or not headlines[fp.subject]:
            continue  # a merge or squash commit
        headlines[fp.subject] -= 1
        for older in chain[i + 1 : i + len(change.commits or ())]:
            if older.oid in by_merge or older.oid in out or not headlines[older.subject]:
                break
            headlines[older.subject] -= 1
            out[older.oid] = change
    return out if any(fp.oid in by_merge for fp in chain) else None


def unaccounted(
    chain: Sequence[FirstParent], changes: Sequence[Change], branch: str
) -> list[tuple[FirstParent, str]] | None:
    """The population commits of `branch` (its chain, within the export's period) that no
    merged pull request into `branch` accounts for, oldest first, each with why; None when the
    export cannot decide (no pull request into `branch`, or none of their merge commits on the
    chain)."""
    into = [c for c in changes if c.base == branch]
    covered = period(changes)
    found = accounted(chain, into)
    if not into or covered is None or found is None:
        return None
    numbers = {c.number: c for c in into}
    out = []
    for fp in reversed(chain):
        if fp.oid in found or not in_period(fp, *covered):
            continue
        out.append((fp, _why(fp, numbers, branch)))
    return out


def _why(commit: FirstParent, numbers: dict[int, Change], branch: str) -> str:
    claim = _CLAIM.search(commit.subject)
    if claim is None:
        return f"no merged pull request into {branch} in the export merged it"
    number = int(claim.group(1) or claim.group(2))
    change = numbers.get(number)
    if change is None:
        return (
            f"its subject names #{number}, but the export has no pull request #{number} merged "
            f"into {branch}"
        )
    return (
        f"its subject names #{number}, but #{number} was merged as "
        f"{change.merge_oid[:7] or 'an unexported commit'}, not as this commit"
    )
