"""The repository as it was on a date: the last commit at or before the end of that day (UTC),
its tree written from git objects into a directory of our own.

Nothing is checked out and the work tree is not touched: `git ls-tree` lists the commit's
files and `git cat-file --batch` gives their bytes as stored (no smudge or text filter runs,
which `git archive` would apply). Symbolic links and submodules are left out: a link's target
is not evidence, and a submodule's files are not in this repository.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from soc2lint import gitrun
from soc2lint.errors import Soc2lintError


@dataclass(frozen=True)
class Snapshot:
    date: str  # the date asked for, YYYY-MM-DD
    commit: str  # the full commit id
    committed_at: str  # its committer date, RFC 3339 UTC
    subject: str
    files: int  # files written
    skipped: int  # symbolic links and submodules left out


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Soc2lintError(f"--as-of {text}: expected a date YYYY-MM-DD") from None


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = gitrun.run(root, *args, stdin=stdin, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise Soc2lintError(f"{root}: git {args[0]} failed: {exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Soc2lintError(f"{root}: git {args[0]}: {message[-1] if message else 'failed'}")
    return proc.stdout


def commit_at(root: Path, day: dt.date, ref: str = "HEAD") -> tuple[str, str, str] | None:
    """(commit, committer date in UTC, subject) of the last commit on `ref` at or before the end
    of `day` (UTC), or None when there is none."""
    if gitrun.repository_top(str(root)) is None:
        raise Soc2lintError(f"{root}: not in a git repository: --as-of reads the history")
    if ref.startswith("-"):
        raise Soc2lintError(f"--ref {ref}: not a revision")
    out = _git(
        root,
        "log",
        "-1",
        f"--before={day.isoformat()}T23:59:59Z",
        "--format=%H%x00%cI%x00%s",
        ref,
        "--",
    )
    line = out.decode("utf-8", "replace").strip()
    if not line:
        return None
    commit, when, subject = (line.split("\x00") + ["", ""])[:3]
    stamp = dt.datetime.fromisoformat(when).astimezone(dt.timezone.utc)
    return commit, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), subject


def materialise(root: Path, day: dt.date, into: Path, ref: str = "HEAD") -> Snapshot:
    """Write the files under `root` (a repository or a directory in one) as of `day` into
    `into`; raises Soc2lintError when no commit on `ref` is that old."""
    found = commit_at(root, day, ref)
    if found is None:
        raise Soc2lintError(
            f"{root}: no commit on {ref} at or before {day.isoformat()} (end of day UTC)"
        )
    commit, committed_at, subject = found
    prefix = _git(root, "rev-parse", "--show-prefix").decode("utf-8").strip()
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit)
    blobs: list[tuple[str, str]] = []  # (object id, path below root)
    skipped = 0
    for entry in listing.split(b"\x00"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split(" ")
        path = raw_path.decode("utf-8", "surrogateescape")
        if prefix and not path.startswith(prefix):
            continue
        if kind != "blob" or mode == "120000":
            skipped += 1
            continue
        relative = PurePosixPath(path[len(prefix) :])
        if relative.is_absolute() or ".." in relative.parts:
            skipped += 1  # git refuses such paths; never write outside `into`
            continue
        blobs.append((oid, str(relative)))
    into.mkdir(parents=True, exist_ok=True)
    if blobs:
        data = _git(
            root,
            "cat-file",
            "--batch",
            stdin="".join(f"{oid}\n" for oid, _ in blobs).encode("ascii"),
        )
        cursor = 0
        for _oid, name in blobs:
            header_end = data.index(b"\n", cursor)
            header = data[cursor:header_end].decode("ascii").split(" ")
            size = int(header[2])
            start = header_end + 1
            target = into.joinpath(*PurePosixPath(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data[start : start + size])
            cursor = start + size + 1
    return Snapshot(day.isoformat(), commit, committed_at, subject, len(blobs), skipped)
