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
from typing import IO

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
        _write_blobs(root, blobs, into)
    return Snapshot(day.isoformat(), commit, committed_at, subject, len(blobs), skipped)


def _write_blobs(root: Path, blobs: list[tuple[str, str]], into: Path) -> None:
    """Stream each blob from one `git cat-file --batch` into its file (never the whole tree in
    memory); the object ids are fed from a thread so that neither pipe can fill and block."""
    import threading

    try:
        proc = gitrun.popen(root, "cat-file", "--batch")
    except OSError as exc:
        raise Soc2lintError(f"{root}: git cat-file failed: {exc}") from None
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    def feed(stdin: IO[bytes]) -> None:
        try:
            for oid, _ in blobs:
                stdin.write(f"{oid}\n".encode("ascii"))
            stdin.close()
        except OSError:
            pass  # git stopped reading: its exit status says why

    writer = threading.Thread(target=feed, args=(proc.stdin,), daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for oid, name in blobs:
            header = out.readline().decode("ascii", "replace").split()
            if len(header) != 3 or header[0] != oid:
                raise Soc2lintError(f"{root}: git cat-file: no blob {oid} for {name}")
            size = int(header[2])
            target = into.joinpath(*PurePosixPath(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                left = size
                while left:
                    chunk = out.read(min(left, 1 << 20))
                    if not chunk:
                        raise Soc2lintError(f"{root}: git cat-file: {name} cut short")
                    handle.write(chunk)
                    left -= len(chunk)
            out.read(1)  # the newline after each object
    finally:
        out.close()  # on an error mid-way, git stops at its next write
        writer.join()
        proc.wait()
        proc.stderr.close()
