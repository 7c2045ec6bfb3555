"""Secrets in git history: one `git log -p` stream, added lines only, each distinct line once.

    git log -p -U0 --cc --all --topo-order --reverse

is read in this process (no gitpython in the hot path). Oldest commits come first, so the first
sighting of a secret is the commit that introduced it; `--cc` because plain `-p` prints nothing
for merge commits, whose resolutions can add lines of their own. Files over the size limit are
treated as binary by git (`core.bigFileThreshold`) and skipped, as binary files are.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from soc2lint.errors import Soc2lintError
from soc2lint.secrets.lines import Secret, scan_line

_FORMAT = "%x00%H%x1f%an%x1f%aI"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, the author date


@dataclass(frozen=True)
class Sighting:
    """Where a secret entered the history."""

    secret: Secret
    commit: Commit
    path: str
    line: int
    column: int


@dataclass
class HistoryScan:
    sightings: dict[str, Sighting] = field(default_factory=dict)  # fingerprint -> first one
    occurrences: dict[str, int] = field(default_factory=dict)  # fingerprint -> added lines
    commits: int = 0
    lines: int = 0  # added lines read
    distinct: int = 0  # distinct (extension, line) pairs scanned
    skipped_binary: int = 0
    notes: list[str] = field(default_factory=list)


def _git(root: Path, *args: str) -> list[str]:
    return ["git", "-C", str(root), "-c", "core.quotePath=false", *args]


def is_work_tree(root: Path) -> bool:
    try:
        proc = subprocess.run(_git(root, "rev-parse", "--is-inside-work-tree"), capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def _unquote(path: str) -> str:
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
            "latin-1").decode("utf-8", "replace")
    return path


def added_lines(root: Path, max_file_size: int, since: str | None = None,
                counts: dict[str, int] | None = None) -> Iterator[tuple[Commit, str, int, str]]:
    """(commit, path, line number in the new version, text) of every line history added;
    `counts["binary"]` counts the file versions skipped as binary or too large."""
    counts = {} if counts is None else counts
    # --relative: a scan root below the repository's top sees its own subtree, with its paths
    args = ["-c", f"core.bigFileThreshold={max_file_size}", "log", "-p", "-U0", "--cc",
            "--relative", "--no-color", "--no-ext-diff", "--no-renames", "--topo-order",
            "--reverse", f"--format={_FORMAT}"]
    args += [f"{since}..HEAD"] if since else ["--all"]
    try:
        proc = subprocess.Popen(_git(root, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise Soc2lintError(f"{root}: cannot run git: {exc.strerror}") from exc
    assert proc.stdout is not None
    commit: Commit | None = None
    path: str | None = None
    new_line = 0
    parents = 1
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("\0"):
                sha, author, date = (line[1:].split("\x1f") + ["", "", ""])[:3]
                commit = Commit(sha, author, date)
                path = None
                continue
            if line.startswith("diff --git ") or line.startswith("diff --cc ") or line.startswith(
                    "diff --combined "):
                path = None
                parents = 1 if line.startswith("diff --git ") else 2
                continue
            if line.startswith("+++ "):
                target = line[4:]
                path = None if target == "/dev/null" else _unquote(target)
                if path and path.startswith("b/"):  # git's destination prefix, merges included
                    path = path[2:]
                continue
            if line.startswith("Binary files ") and line.endswith(" differ"):
                counts["binary"] = counts.get("binary", 0) + 1
                continue
            if line.startswith("@@"):
                marker = "@" * (parents + 1)
                ranges = line[len(marker) + 1: line.index(marker, len(marker))].split()
                new = ranges[-1].lstrip("+").split(",")[0]
                new_line = int(new) if new.isdigit() else 0
                continue
            if path is None or commit is None or not line:
                continue
            prefix, text = line[:parents], line[parents:]
            if "-" in prefix:
                continue  # a removed line: not in the new version
            if "+" in prefix:
                yield commit, path, new_line, text
            new_line += 1
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        code = proc.wait()
    if code != 0:
        problem = " ".join(stderr.split())[:200] or f"git log exited with {code}"
        raise Soc2lintError(f"{root}: cannot read the git history: {problem}")


def scan_history(root: Path, max_file_size: int, since: str | None = None) -> HistoryScan:
    """Every secret in every line history added, at its first sighting."""
    result = HistoryScan()
    seen: set[tuple[str, str]] = set()
    last_commit = ""
    counts: dict[str, int] = {}
    for commit, path, number, text in added_lines(root, max_file_size, since, counts):
        if commit.sha != last_commit:
            result.commits += 1
            last_commit = commit.sha
        result.lines += 1
        key = (posixpath.splitext(path)[1], text)
        if key in seen:
            # the same line again (moved, copied, reverted): its secrets are counted, not rescanned
            continue
        seen.add(key)
        result.distinct += 1
        for secret in scan_line(text, path, number):
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            if fp not in result.sightings:
                result.sightings[fp] = Sighting(secret, commit, path, number,
                                                max(secret.start, 0) + 1)
    result.skipped_binary = counts.get("binary", 0)
    return result
