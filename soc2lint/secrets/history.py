"""Secrets in git history: one `git log -p` stream, added lines only, each distinct line once.

    git log -p -U0 --cc --all --topo-order --reverse

is read in this process (no gitpython in the hot path). Oldest commits come first, so the first
sighting of a secret is the commit that introduced it; `--cc` because plain `-p` prints nothing
for merge commits, whose resolutions can add lines of their own. Files over the size limit are
treated as binary by git (`core.bigFileThreshold`) and skipped, as binary files are.
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from soc2lint.errors import Soc2lintError
from soc2lint.secrets.lines import is_config, scan_line, scan_transformed

_FORMAT = "%x00%H%x1f%an%x1f%aI"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, the author date


@dataclass(frozen=True)
class Sighting:
    """Where a secret entered the history. Holds no value: its type, redacted preview, length,
    fingerprint and detect-secrets' sha1 `hashed_secret` (to honour its audit), nothing more."""

    kind: str
    preview: str
    length: int
    fingerprint: str
    hashed: str
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
                counts: dict[str, Any] | None = None, exclude: tuple[str, ...] = (),
                extra: tuple[str, ...] = (), walk_all: bool = True,
                ) -> Iterator[tuple[Commit, str, int, str]]:
    """(commit, path, line number in the new version, text) of every line history added, in
    commits not reachable from `exclude` (scanned before), reachable from every ref
    (`walk_all`) and from the commits `extra`; `counts["binary"]` counts the file versions
    skipped as binary or too large."""
    counts = {} if counts is None else counts
    # --relative: a scan root below the repository's top sees its own subtree, with its paths
    args = ["-c", f"core.bigFileThreshold={max_file_size}", "log", "-p", "-U0", "--cc",
            "--relative", "--no-color", "--no-ext-diff", "--no-renames", "--topo-order",
            "--reverse", f"--format={_FORMAT}"]
    args += [f"{since}..HEAD"] if since else ["--all"] if walk_all else []
    if exclude or extra:
        args.append("--stdin")  # a rev per line: as many as there are refs, never too long
    try:
        proc = subprocess.Popen(_git(root, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as exc:
        raise Soc2lintError(f"{root}: cannot run git: {exc.strerror}") from exc
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdin.write("".join([f"^{sha}\n" for sha in exclude] + [f"{sha}\n" for sha in extra]).encode())
    proc.stdin.close()
    commit: Commit | None = None
    path: str | None = None
    new_line = 0
    parents = 1
    blob = ""
    config_blobs = counts.setdefault("config_blobs", [])
    seen_blobs: set[str] = set()
    try:
        for raw in proc.stdout:
            first = raw[:1]
            if first == b"+" and parents == 1 and not raw.startswith(b"+++ "):
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
                path = None
                continue
            if first == b"d" and (line.startswith("diff --git ") or line.startswith("diff --cc ")
                                  or line.startswith("diff --combined ")):
                path = None
                parents = 1 if line.startswith("diff --git ") else 2
                continue
            if first == b"i" and line.startswith("index "):
                blob = line.split()[1].rsplit("..", 1)[-1]
                continue
            if first == b"+" and line.startswith("+++ "):
                target = line[4:]
                path = None if target == "/dev/null" else _unquote(target)
                if path and path.startswith("b/"):  # git's destination prefix, merges included
                    path = path[2:]
                if path and commit and is_config(path) and blob.strip("0") and blob not in seen_blobs:
                    seen_blobs.add(blob)  # a new version of a config file: also read it whole
                    config_blobs.append((blob, commit, path))
                continue
            if first == b"B" and line.startswith("Binary files ") and line.endswith(" differ"):
                counts["binary"] = counts.get("binary", 0) + 1
                continue
            if first == b"@":
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


CACHE_VERSION = 7  # bumped whenever what a history scan yields changes (7: example hosts)


def _run(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(_git(root, *args), capture_output=True, text=True, timeout=120,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout if proc.returncode == 0 else ""


def _tips(root: Path) -> tuple[str, ...]:
    """The commits every ref (and HEAD) points at: what `--all` walks from."""
    # an annotated tag is a tag object: what `--all` walks from is the commit it peels to
    refs = _run(root, "for-each-ref",
                "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype)").split("\n")
    tips = set()
    for line in refs:
        parts = line.split()
        if len(parts) >= 2 and parts[1] == "commit":
            tips.add(parts[0])
        elif len(parts) == 4 and parts[3] == "commit":
            tips.add(parts[2])
    head = _run(root, "rev-parse", "--verify", "-q", "HEAD").strip()
    return tuple(sorted(tips | ({head} if head else set())))


def _signature(max_file_size: int) -> str:
    """What the cached results depend on: soc2lint and detect-secrets versions, the size limit."""
    from soc2lint import __version__

    return (f"soc2lint {__version__}; detect-secrets {_detect_secrets_version()}; "
            f"max_file_size {max_file_size}")


def _detect_secrets_version() -> str:
    """detect-secrets' VERSION, read from its source: importing it costs 0.15 s and
    importlib.metadata 0.07 s, which a cached re-run (0.5 s in all) should not pay."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("detect_secrets")
        origin = spec.origin if spec is not None else None
        text = (Path(origin).parent / "__version__.py").read_text(encoding="utf-8") if origin else ""
    except (ImportError, OSError, ValueError):
        text = ""
    m = re.search(r"VERSION\s*=\s*['\"]([^'\"]+)", text)
    return m.group(1) if m else "?"  # an unusual install: the cache is then keyed on "?"


def cache_path(root: Path) -> Path | None:
    """`.git/soc2lint/history.json`: inside the git directory, never in the work tree."""
    git_dir = _run(root, "rev-parse", "--absolute-git-dir").strip()
    prefix = _run(root, "rev-parse", "--show-prefix").strip().strip("/")
    if not git_dir:
        return None
    name = "history.json" if not prefix else f"history-{prefix.replace('/', '_')}.json"
    return Path(git_dir) / "soc2lint" / name


def _load_cache(path: Path, signature: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get(
            "signature") != signature:
        return None
    return data


def _save_cache(path: Path, signature: str, tips: tuple[str, ...], result: HistoryScan) -> None:
    data = {
        "version": CACHE_VERSION, "signature": signature, "tips": list(tips),
        "sightings": {fp: {**asdict(s), "commit": asdict(s.commit)} for fp, s in result.sightings.items()},
        "occurrences": result.occurrences, "skipped_binary": result.skipped_binary,
        "commits": result.commits, "lines": result.lines,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only .git: the next run scans everything again, which is only slower


class Progress:
    """`history: 1234/6729 commits (450/s)` on a terminal's stderr, at most 4 times a second."""

    def __init__(self, root: Path, exclude: tuple[str, ...], since: str | None,
                 extra: tuple[str, ...] = (), walk_all: bool = True) -> None:
        import sys
        import time

        self.stream = sys.stderr
        self.clock = time.monotonic
        revs = [f"{since}..HEAD"] if since else [
            *(["--all"] if walk_all else []), *(f"^{t}" for t in exclude), *extra]
        total = _run(root, "rev-list", "--count", *revs).strip()
        self.total = int(total) if total.isdigit() else 0
        self.start = self.last = self.clock()

    def update(self, done: int, final: bool = False) -> None:
        now = self.clock()
        if not final and now - self.last < 0.25:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        self.stream.write(f"\rsoc2lint: history {done}/{self.total} commits ({rate:.0f}/s)"
                          + ("\n" if final else ""))
        self.stream.flush()


def scan_history(root: Path, max_file_size: int, since: str | None = None,
                 use_cache: bool = True, progress: bool = False,
                 allowed: tuple[str, ...] = (), unreachable: bool = False) -> HistoryScan:
    """Every secret in every line history added, at its first sighting. With the cache, only
    commits no ref reached at the last run are read (a rewritten history is read again).
    `unreachable` also reads the commits no ref reaches (reflogs, dangling), without the cache."""
    if unreachable:
        lost = unreachable_commits(root)
        result = _scan(root, max_file_size, since, (), progress, allowed, lost)
        result.notes.append(f"history: {len(lost)} unreachable commits read too")
        return result
    if since or not use_cache:
        return _scan(root, max_file_size, since, (), progress, allowed)
    path = cache_path(root)
    tips = _tips(root)
    signature = _signature(max_file_size) + f"; allowed {list(allowed)}"
    cached = _load_cache(path, signature) if path else None
    old_tips = tuple(cached["tips"]) if cached else ()
    if cached and old_tips and not _all_exist(root, old_tips):
        cached = None  # history was rewritten: what the cache saw may be gone
    if cached and set(tips) <= set(old_tips):
        result = _from_cache(cached)
        result.notes.append("history: no new commits since the last scan (cache)")
        return result
    # read from the tips that are new only (not `--all`): git then parses a few commits
    # instead of every ref's, a quarter of a second on a repository with thousands of refs
    seen_tips = set(old_tips)
    fresh = tuple(t for t in tips if t not in seen_tips) if cached else ()
    result = _scan(root, max_file_size, None, old_tips if cached else (), progress, allowed,
                   fresh, walk_all=not cached)
    if cached:
        previous = _from_cache(cached)
        for fp, sighting in previous.sightings.items():
            result.sightings[fp] = sighting  # older: the first sighting stays the first
        for fp, n in previous.occurrences.items():
            result.occurrences[fp] = result.occurrences.get(fp, 0) + n
        result.skipped_binary += previous.skipped_binary
        result.commits += previous.commits
        result.lines += previous.lines
    if path:
        _save_cache(path, signature, tips, result)
    return result


def _blobs(root: Path, wanted: list[tuple[str, Commit, str]], max_size: int,
           ) -> Iterator[tuple[tuple[str, Commit, str], str]]:
    """The contents of blobs, by one `git cat-file --batch` (abbreviated ids are resolved)."""
    if not wanted:
        return
    proc = subprocess.run(_git(root, "cat-file", "--batch"),
                          input="".join(f"{blob}\n" for blob, _, _ in wanted).encode(),
                          capture_output=True, timeout=600, check=False)
    data, pos = proc.stdout, 0
    for item in wanted:
        end = data.find(b"\n", pos)
        if end < 0:
            return
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue  # missing
        size = int(header[2])
        content = data[pos:pos + size]
        pos += size + 1
        if size <= max_size and b"\0" not in content[:8192]:
            yield item, content.decode("utf-8", "replace")


def _all_exist(root: Path, shas: tuple[str, ...]) -> bool:
    """Whether every commit is still in the repository (one `git cat-file --batch-check`)."""
    try:
        proc = subprocess.run(_git(root, "cat-file", "--batch-check"),
                              input="".join(f"{sha}\n" for sha in shas).encode(),
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and b" missing" not in proc.stdout and all(
        line.split()[1:2] == [b"commit"] for line in proc.stdout.splitlines())


def _from_cache(data: dict[str, Any]) -> HistoryScan:
    result = HistoryScan()
    for fp, raw in data.get("sightings", {}).items():
        commit = Commit(**raw["commit"])
        result.sightings[fp] = Sighting(**{**raw, "commit": commit})
    result.occurrences = {str(k): int(v) for k, v in data.get("occurrences", {}).items()}
    result.skipped_binary = int(data.get("skipped_binary", 0))
    result.commits = int(data.get("commits", 0))
    result.lines = int(data.get("lines", 0))
    return result


def unreachable_commits(root: Path) -> tuple[str, ...]:
    """Commits no ref reaches: amended, reset or rebased away (kept by reflogs until they
    expire) and dangling ones, as `git fsck` lists them (without reading blob contents)."""
    out = _run(root, "fsck", "--unreachable", "--no-reflogs", "--connectivity-only",
               "--no-progress")
    return tuple(sorted({line.split()[2] for line in out.splitlines()
                         if line.startswith("unreachable commit ") and len(line.split()) == 3}))


def _scan(root: Path, max_file_size: int, since: str | None,
          exclude: tuple[str, ...] = (), progress: bool = False,
          allowed: tuple[str, ...] = (), extra: tuple[str, ...] = (),
          walk_all: bool = True) -> HistoryScan:
    import re

    from soc2lint.secrets.baseline import hashed

    permitted = [re.compile(p) for p in allowed]

    bar = Progress(root, exclude, since, extra, walk_all) if progress else None
    result = HistoryScan()
    # Lines scanned so far, by the hash of (extension, text): a whole history's distinct lines
    # as strings would take most of the memory (1.5 million lines in pip's). Two lines sharing
    # a 64-bit hash (about one chance in ten million there) would leave the second unscanned.
    seen: set[int] = set()
    with_secrets: dict[int, tuple[str, ...]] = {}  # scanned lines that had some
    last_commit = ""
    last_path, ext = "", ""
    counts: dict[str, Any] = {}
    for commit, path, number, text in added_lines(root, max_file_size, since, counts, exclude,
                                                  extra, walk_all):
        if commit.sha != last_commit:
            result.commits += 1
            last_commit = commit.sha
            if bar is not None:
                bar.update(counts.get("commits", 0))
        result.lines += 1
        if path is not last_path:
            last_path, ext = path, posixpath.splitext(path)[1]
        key = hash((ext, text))
        if key in seen:
            # the same line again (moved, copied, reverted): counted, not scanned again
            for fp in with_secrets.get(key, ()):
                result.occurrences[fp] += 1
            continue
        seen.add(key)
        result.distinct += 1
        found = [x for x in scan_line(text, path, number)
                 if not any(p.fullmatch(x.value) for p in permitted)]
        if found:
            with_secrets[key] = tuple(secret.fingerprint for secret in found)
        for secret in found:
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            if fp not in result.sightings:
                result.sightings[fp] = Sighting(
                    secret.kind, secret.preview, len(secret.value), fp, hashed(secret.value),
                    commit, path, number, max(secret.start, 0) + 1)
    # config file versions, whole, through detect-secrets' transformers (bare YAML/INI values)
    seen_values = {s.hashed for s in result.sightings.values()}
    for (_blob, commit, path), text in _blobs(root, counts.get("config_blobs", []), max_file_size):
        for number, secret in scan_transformed(text, path):
            fp = secret.fingerprint
            # a value the lines showed already is that secret, whatever type it gets here
            if fp in result.sightings or hashed(secret.value) in seen_values \
                    or any(p.fullmatch(secret.value) for p in permitted):
                continue
            seen_values.add(hashed(secret.value))
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            lines = text.splitlines()
            column = lines[number - 1].find(secret.value) + 1 if number <= len(lines) else 1
            result.sightings[fp] = Sighting(secret.kind, secret.preview, len(secret.value), fp,
                                            hashed(secret.value), commit, path, number,
                                            max(column, 1))
    result.skipped_binary = counts.get("binary", 0)
    if bar is not None:
        bar.update(counts.get("commits", 0), final=True)
    return result
