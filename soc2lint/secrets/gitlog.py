"""The `git log -p` stream of a repository, as (commit, path, line number, text) of every line
history added:

    git log -p -U0 --cc --all --topo-order --reverse

read in this process (no gitpython in the hot path), through soc2lint.gitrun (no textconv, no
external diff, nothing the repository names runs). Oldest commits come first, so the first
sighting of a secret is the commit that introduced it; `--cc` because plain `-p` prints nothing
for merge commits, whose resolutions can add lines of their own. Files over the size limit are
treated as binary by git (`core.bigFileThreshold`) and skipped, as binary files are.

A committed `.gitattributes` saying `*.py -diff` (or `binary`, or a diff driver declared binary)
makes git print "Binary files differ" for text: such file versions are read again, whole, from
the object store, and their lines the previous version did not have are yielded, unless they are
binary by git's own test (a NUL in the first 8000 bytes) or over the size limit.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc2lint import gitrun
from soc2lint.errors import Soc2lintError
from soc2lint.secrets.lines import is_config

BINARY_PROBE = 8000  # git's own test: a NUL in the first 8000 bytes makes a file binary
HIDDEN_BATCH = 64 * 1024 * 1024  # bytes of file versions hidden by attributes read at once

_FORMAT = "%x00%H%x1f%an%x1f%aI"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, the author date


def _unquote(path: str) -> str:
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        return (
            path[1:-1]
            .encode("latin-1", "backslashreplace")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8", "replace")
        )
    return path


def _header_path(line: str) -> str | None:
    """The path a `diff --git a/P b/P` (no renames: both halves alike) or `diff --cc P` header
    names, relative to the scan root."""
    if line.startswith("diff --git "):
        rest = line[len("diff --git ") :]
        half = len(rest) // 2
        if len(rest) % 2 == 0 or rest[half] != " ":
            return None
        path = _unquote(rest[half + 1 :])
        return path[2:] if path.startswith("b/") else path
    return _unquote(line.split(" ", 2)[2]) if line.count(" ") >= 2 else None


def added_lines(
    root: Path,
    max_file_size: int,
    since: str | None = None,
    counts: dict[str, Any] | None = None,
    exclude: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
    walk_all: bool = True,
    skip: frozenset[str] = frozenset(),
    commits: tuple[str, ...] | None = None,
) -> Iterator[tuple[Commit, str, int, str]]:
    """(commit, path, line number in the new version, text) of every line history added, in
    commits not reachable from `exclude` (scanned before), reachable from every ref
    (`walk_all`) and from the commits `extra`, or in exactly `commits` in their order (a slice
    of `rev_list`); `counts["binary"]` counts the file versions git showed as binary or too
    large, `counts["hidden"]` lists them (commit, path, the parents' blobs, the new blob) for
    `hidden_lines`, `counts["order"]` numbers the commits."""
    counts = {} if counts is None else counts
    # --relative: a scan root below the repository's top sees its own subtree, with its paths
    args = ["log", "-p", "-U0", "--cc", "--relative", "--no-color", "--no-renames"]
    if commits is not None:
        args += [f"--format={_FORMAT}", "--no-walk=unsorted", "--stdin"]
        exclude, extra = (), commits
    else:
        args += ["--topo-order", "--reverse", f"--format={_FORMAT}"]
        args += [f"{since}..HEAD"] if since else ["--all"] if walk_all else []
        if exclude or extra:
            args.append("--stdin")  # a rev per line: as many as there are refs, never too long
    try:
        proc = gitrun.popen(root, *args, config={"core.bigFileThreshold": str(max_file_size)})
    except OSError as exc:
        raise Soc2lintError(f"{root}: cannot run git: {exc.strerror}") from exc
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdin.write(
        "".join([f"^{sha}\n" for sha in exclude] + [f"{sha}\n" for sha in extra]).encode()
    )
    proc.stdin.close()
    commit: Commit | None = None
    path: str | None = None
    header: str | None = None
    new_line = 0
    parents = 1
    blob = ""
    olds: list[str] = []
    config_blobs = counts.setdefault("config_blobs", [])
    hidden = counts.setdefault("hidden", [])
    order = counts.setdefault("order", {})
    seen_blobs: set[str] = set()
    # inside a hunk every line is content: an added line that reads `++ x` shows as `+++ x`,
    # which is a file header only before the file's first `@@`
    in_hunk = False
    try:
        for raw in proc.stdout:
            first = raw[:1]
            if first == b"+" and parents == 1 and (in_hunk or not raw.startswith(b"+++ ")):
                # the common case, first: a line a commit added
                if path is not None and commit is not None:
                    yield commit, path, new_line, raw[1:].decode("utf-8", "replace").rstrip("\n")
                new_line += 1
                continue
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if first == b"\0":
                sha, author, date = (line[1:].split("\x1f") + ["", "", ""])[:3]
                commit = Commit(sha, author, date)
                counts["commits"] = counts.get("commits", 0) + 1
                order[sha] = len(order)
                path, in_hunk = None, False
                continue
            if first == b"d" and (
                line.startswith("diff --git ")
                or line.startswith("diff --cc ")
                or line.startswith("diff --combined ")
            ):
                path, in_hunk = None, False
                parents = 1 if line.startswith("diff --git ") else 2
                header = _header_path(line)
                blob, olds = "", []
                continue
            if first == b"i" and line.startswith("index "):
                old, _, blob = line.split()[1].rpartition("..")
                olds = old.split(",")
                continue
            if first == b"+" and line.startswith("+++ ") and not in_hunk:
                target = line[4:]
                path = None if target == "/dev/null" else _unquote(target)
                if path and path.startswith("b/"):  # git's destination prefix, merges included
                    path = path[2:]
                if (
                    path
                    and commit
                    and is_config(path)
                    and blob.strip("0")
                    and blob not in seen_blobs
                    and not is_own_file(path, skip)
                ):
                    seen_blobs.add(blob)  # a new version of a config file: also read it whole
                    config_blobs.append((blob, commit, path))
                continue
            if first == b"B" and line.startswith("Binary files ") and line.endswith(" differ"):
                if blob.strip("0"):  # (a deletion adds nothing to read)
                    counts["binary"] = counts.get("binary", 0) + 1
                    if commit is not None and header:
                        hidden.append(
                            (commit, header, tuple(o for o in olds if o.strip("0")), blob)
                        )
                continue
            if first == b"@":
                marker = "@" * (parents + 1)
                ranges = line[len(marker) + 1 : line.index(marker, len(marker))].split()
                new = ranges[-1].lstrip("+").split(",")[0]
                new_line = int(new) if new.isdigit() else 0
                in_hunk = True
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


def hidden_lines(
    root: Path,
    max_file_size: int,
    counts: dict[str, Any],
) -> Iterator[tuple[Commit, str, int, str]]:
    """The lines of the file versions git showed as binary only because an attribute said so
    (`-diff`, `binary`, a binary diff driver): read whole from the object store, each line the
    parents' versions did not have. True binaries (a NUL in the first 8000 bytes) and versions
    over the size limit stay skipped and counted in `counts["binary"]`."""
    hidden: list[tuple[Commit, str, tuple[str, ...], str]] = counts.get("hidden", [])
    if not hidden:
        return
    attributes = _diff_attributes(root, sorted({path for _, path, _, _ in hidden}))
    # "unspecified" (and "set"): git's own test found the file binary, or too large
    suspects = [
        h for h in hidden if attributes.get(h[1], "unspecified") not in ("unspecified", "set")
    ]
    sizes = _sizes(root, sorted({b for _, _, olds, new in suspects for b in (*olds, new)}))
    readable = [h for h in suspects if 0 <= sizes.get(h[3], -1) <= max_file_size]
    config_blobs = counts.setdefault("config_blobs", [])
    # in batches of at most HIDDEN_BATCH bytes (`*.png binary` is common: most suspects are
    # images), and a version's parents only once it proved to be text
    batch: list[tuple[Commit, str, tuple[str, ...], str]] = []
    total = 0
    for index, item in enumerate(readable):
        batch.append(item)
        total += sizes[item[3]]
        if total < HIDDEN_BATCH and index + 1 < len(readable):
            continue
        news = _contents(root, sorted({new for _, _, _, new in batch}))
        text = [h for h in batch if h[3] in news and b"\0" not in news[h[3]][:BINARY_PROBE]]
        olds = _contents(
            root,
            sorted(
                {
                    o
                    for _, _, parents, _ in text
                    for o in parents
                    if sizes.get(o, max_file_size + 1) <= max_file_size
                }
            ),
        )
        for commit, path, parents, new in text:
            counts["binary"] -= 1
            before: set[bytes] = set()
            for old in parents:
                before.update(olds.get(old, b"").split(b"\n"))
            lines = news[new].split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            for number, raw in enumerate(lines, start=1):
                if raw not in before:
                    yield commit, path, number, raw.decode("utf-8", "replace")
            if is_config(path) and not is_own_file(path, frozenset()):
                config_blobs.append((new, commit, path))
        batch, total = [], 0


def _diff_attributes(root: Path, paths: list[str]) -> dict[str, str]:
    """The `diff` attribute of each path, as `git check-attr` reads it (the same sources
    `git log` read): "unspecified", "set", "unset" or a driver's name."""
    try:
        proc = gitrun.run(
            root,
            "check-attr",
            "-z",
            "--stdin",
            "diff",
            stdin="".join(f"{p}\0" for p in paths).encode("utf-8", "surrogateescape"),
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return {fields[i]: fields[i + 2] for i in range(0, len(fields) - 2, 3)}


def _cat_file(root: Path, mode: str, blobs: list[str]) -> bytes:
    """`git cat-file MODE` for these blobs, one request; b"" when there are none or git fails."""
    if not blobs:
        return b""
    try:
        proc = gitrun.run(
            root, "cat-file", mode, stdin="".join(f"{b}\n" for b in blobs).encode(), timeout=600
        )
    except (OSError, subprocess.SubprocessError):
        return b""
    return proc.stdout


def _sizes(root: Path, blobs: list[str]) -> dict[str, int]:
    """The size of each blob (abbreviated ids as `git log` printed them), -1 when missing."""
    listing = _cat_file(root, "--batch-check=%(objecttype) %(objectsize)", blobs)
    sizes = {}
    for blob, line in zip(blobs, listing.decode("utf-8", "replace").split("\n"), strict=False):
        kind, _, size = line.partition(" ")
        sizes[blob] = int(size) if kind == "blob" and size.isdigit() else -1
    return {b: n for b, n in sizes.items() if n >= 0}


def _contents(root: Path, blobs: list[str]) -> dict[str, bytes]:
    """The contents of blobs, by one `git cat-file --batch`."""
    data, pos, out = _cat_file(root, "--batch", blobs), 0, {}
    for blob in blobs:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3:
            continue  # missing or ambiguous: a header line alone
        size = int(header[2])
        if header[1] == b"blob":
            out[blob] = data[pos : pos + size]
        # another object (an abbreviated id that names a submodule's commit) is skipped with
        # its content: reading on from its first byte would give every later blob the bytes
        # of the one before
        pos += size + 1
    return out


def blobs(
    root: Path,
    wanted: list[tuple[str, Commit, str]],
    max_size: int,
) -> Iterator[tuple[tuple[str, Commit, str], str]]:
    """The contents of blobs, by one `git cat-file --batch` (abbreviated ids are resolved)."""
    if not wanted:
        return
    contents = _contents(root, [blob for blob, _, _ in wanted])
    for item in wanted:
        content = contents.get(item[0])
        if content is not None and len(content) <= max_size and b"\0" not in content[:BINARY_PROBE]:
            yield item, content.decode("utf-8", "replace")


def unreachable_commits(root: Path) -> tuple[str, ...]:
    """Commits no ref reaches: amended, reset or rebased away (kept by reflogs until they
    expire) and dangling ones, as `git fsck` lists them (without reading blob contents)."""
    out = git_output(
        root, "fsck", "--unreachable", "--no-reflogs", "--connectivity-only", "--no-progress"
    )
    return tuple(
        sorted(
            {
                line.split()[2]
                for line in out.splitlines()
                if line.startswith("unreachable commit ") and len(line.split()) == 3
            }
        )
    )


def rev_list(
    root: Path,
    since: str | None = None,
    exclude: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
    walk_all: bool = True,
) -> list[str]:
    """The commits `added_lines` would walk with these arguments, in its order (oldest first,
    topological), for splitting the walk between processes."""
    args = ["rev-list", "--topo-order", "--reverse"]
    args += [f"{since}..HEAD"] if since else ["--all"] if walk_all else []
    stdin = "".join([f"^{sha}\n" for sha in exclude] + [f"{sha}\n" for sha in extra])
    try:
        proc = gitrun.run(
            root, *args, *(["--stdin"] if stdin else []), stdin=stdin.encode(), timeout=600
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise Soc2lintError(f"{root}: cannot list the git history: {exc}") from exc
    if proc.returncode != 0:
        problem = " ".join(proc.stderr.decode("utf-8", "replace").split())[:200]
        raise Soc2lintError(f"{root}: cannot read the git history: {problem}")
    return proc.stdout.decode("ascii", "replace").split()


def git_output(root: Path, *args: str) -> str:
    try:
        proc = gitrun.run(root, *args)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""


def is_own_file(path: str, skip: frozenset[str]) -> bool:
    """soc2lint's own files (baselines, config) and the files it was told to skip."""
    from soc2lint.secrets import baseline

    return path in skip or baseline.is_own_file(path)
