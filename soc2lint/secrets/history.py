"""Secrets in git history: one `git log -p` stream, added lines only, each distinct line once.

    git log -p -U0 --cc --all --topo-order --reverse

is read in this process (no gitpython in the hot path), through soc2lint.gitrun (no textconv,
no external diff, nothing the repository names runs). Oldest commits come first, so the first
sighting of a secret is the commit that introduced it; `--cc` because plain `-p` prints nothing
for merge commits, whose resolutions can add lines of their own. Files over the size limit are
treated as binary by git (`core.bigFileThreshold`) and skipped, as binary files are.

A committed `.gitattributes` saying `*.py -diff` (or `binary`, or a diff driver declared binary)
makes git print "Binary files differ" for text: such file versions are read again, whole, from
the object store, and their lines the previous version did not have are scanned, unless they are
binary by git's own test (a NUL in the first 8000 bytes) or over the size limit.

soc2lint's own files (its baselines and config, which hold fingerprints and commit ids, random by
design) are not scanned, as in the tree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import posixpath
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from soc2lint import gitrun
from soc2lint.errors import Soc2lintError
from soc2lint.secrets.lines import is_config, scan_line, scan_transformed

BINARY_PROBE = 8000  # git's own test: a NUL in the first 8000 bytes makes a file binary
HIDDEN_BATCH = 64 * 1024 * 1024  # bytes of file versions hidden by attributes read at once

_FORMAT = "%x00%H%x1f%an%x1f%aI"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, the author date


@dataclass(frozen=True)
class Sighting:
    """Where a secret entered the history. Holds no value: its type, redacted preview, length,
    fingerprint, and `hashed`: detect-secrets' sha1 `hashed_secret` keyed with the repository's
    salt (`keyed`), to honour its audit without storing a hash that confirms a guessed value."""

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


def is_work_tree(root: Path) -> bool:
    try:
        proc = gitrun.run(root, "rev-parse", "--is-inside-work-tree", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


def _unquote(path: str) -> str:
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
            "latin-1").decode("utf-8", "replace")
    return path


def _header_path(line: str) -> str | None:
    """The path a `diff --git a/P b/P` (no renames: both halves alike) or `diff --cc P` header
    names, relative to the scan root."""
    if line.startswith("diff --git "):
        rest = line[len("diff --git "):]
        half = len(rest) // 2
        if len(rest) % 2 == 0 or rest[half] != " ":
            return None
        path = _unquote(rest[half + 1:])
        return path[2:] if path.startswith("b/") else path
    return _unquote(line.split(" ", 2)[2]) if line.count(" ") >= 2 else None


def added_lines(root: Path, max_file_size: int, since: str | None = None,
                counts: dict[str, Any] | None = None, exclude: tuple[str, ...] = (),
                extra: tuple[str, ...] = (), walk_all: bool = True,
                skip: frozenset[str] = frozenset(),
                ) -> Iterator[tuple[Commit, str, int, str]]:
    """(commit, path, line number in the new version, text) of every line history added, in
    commits not reachable from `exclude` (scanned before), reachable from every ref
    (`walk_all`) and from the commits `extra`; `counts["binary"]` counts the file versions
    git showed as binary or too large, `counts["hidden"]` lists them (commit, path, the
    parents' blobs, the new blob) for `hidden_lines`, `counts["order"]` numbers the commits."""
    counts = {} if counts is None else counts
    # --relative: a scan root below the repository's top sees its own subtree, with its paths
    args = ["log", "-p", "-U0", "--cc", "--relative", "--no-color", "--no-renames",
            "--topo-order", "--reverse", f"--format={_FORMAT}"]
    args += [f"{since}..HEAD"] if since else ["--all"] if walk_all else []
    if exclude or extra:
        args.append("--stdin")  # a rev per line: as many as there are refs, never too long
    try:
        proc = gitrun.popen(root, *args, config={"core.bigFileThreshold": str(max_file_size)})
    except OSError as exc:
        raise Soc2lintError(f"{root}: cannot run git: {exc.strerror}") from exc
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdin.write("".join([f"^{sha}\n" for sha in exclude] + [f"{sha}\n" for sha in extra]).encode())
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
                order[sha] = len(order)
                path = None
                continue
            if first == b"d" and (line.startswith("diff --git ") or line.startswith("diff --cc ")
                                  or line.startswith("diff --combined ")):
                path = None
                parents = 1 if line.startswith("diff --git ") else 2
                header = _header_path(line)
                blob, olds = "", []
                continue
            if first == b"i" and line.startswith("index "):
                old, _, blob = line.split()[1].rpartition("..")
                olds = old.split(",")
                continue
            if first == b"+" and line.startswith("+++ "):
                target = line[4:]
                path = None if target == "/dev/null" else _unquote(target)
                if path and path.startswith("b/"):  # git's destination prefix, merges included
                    path = path[2:]
                if path and commit and is_config(path) and blob.strip("0") and blob not in seen_blobs \
                        and not _own(path, skip):
                    seen_blobs.add(blob)  # a new version of a config file: also read it whole
                    config_blobs.append((blob, commit, path))
                continue
            if first == b"B" and line.startswith("Binary files ") and line.endswith(" differ"):
                if blob.strip("0"):  # (a deletion adds nothing to read)
                    counts["binary"] = counts.get("binary", 0) + 1
                    if commit is not None and header:
                        hidden.append((commit, header, tuple(o for o in olds if o.strip("0")), blob))
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


def hidden_lines(root: Path, max_file_size: int, counts: dict[str, Any],
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
    suspects = [h for h in hidden if attributes.get(h[1], "unspecified") not in ("unspecified", "set")]
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
        olds = _contents(root, sorted({o for _, _, parents, _ in text for o in parents
                                       if sizes.get(o, max_file_size + 1) <= max_file_size}))
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
            if is_config(path) and not _own(path, frozenset()):
                config_blobs.append((new, commit, path))
        batch, total = [], 0


def _diff_attributes(root: Path, paths: list[str]) -> dict[str, str]:
    """The `diff` attribute of each path, as `git check-attr` reads it (the same sources
    `git log` read): "unspecified", "set", "unset" or a driver's name."""
    try:
        proc = gitrun.run(root, "check-attr", "-z", "--stdin", "diff",
                          stdin="".join(f"{p}\0" for p in paths).encode("utf-8", "surrogateescape"))
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return {fields[i]: fields[i + 2] for i in range(0, len(fields) - 2, 3)}


def _sizes(root: Path, blobs: list[str]) -> dict[str, int]:
    """The size of each blob (abbreviated ids as `git log` printed them), -1 when missing."""
    if not blobs:
        return {}
    try:
        proc = gitrun.run(root, "cat-file", "--batch-check=%(objecttype) %(objectsize)",
                          stdin="".join(f"{b}\n" for b in blobs).encode(), timeout=600)
    except (OSError, subprocess.SubprocessError):
        return {}
    sizes = {}
    for blob, line in zip(blobs, proc.stdout.decode("utf-8", "replace").split("\n"), strict=False):
        kind, _, size = line.partition(" ")
        sizes[blob] = int(size) if kind == "blob" and size.isdigit() else -1
    return {b: n for b, n in sizes.items() if n >= 0}


def _contents(root: Path, blobs: list[str]) -> dict[str, bytes]:
    """The contents of blobs, by one `git cat-file --batch`."""
    if not blobs:
        return {}
    try:
        proc = gitrun.run(root, "cat-file", "--batch",
                          stdin="".join(f"{b}\n" for b in blobs).encode(), timeout=600)
    except (OSError, subprocess.SubprocessError):
        return {}
    data, pos, out = proc.stdout, 0, {}
    for blob in blobs:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue  # missing
        size = int(header[2])
        out[blob] = data[pos:pos + size]
        pos += size + 1
    return out


# bumped whenever what a history scan yields changes (7: example hosts; 8: keyed hashes,
# files hidden by .gitattributes read, soc2lint's own files skipped)
CACHE_VERSION = 8


def _run(root: Path, *args: str) -> str:
    try:
        proc = gitrun.run(root, *args)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""


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


def _read_salt(path: Path) -> bytes | None:
    try:
        data = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return data if len(data) == 32 else None


def salt(directory: Path | None) -> bytes:
    """The repository's secret key for `keyed`: 32 random bytes, kept as hex in
    `.git/soc2lint/salt` (mode 0600), made on first use; a fresh one per run where it cannot be
    kept."""
    if directory is None:
        return os.urandom(32)
    path = directory / "salt"
    key = _read_salt(path)
    if key is not None:
        return key
    import contextlib
    import tempfile

    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".salt-")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(os.urandom(32).hex() + "\n")
            try:
                os.link(tmp, path)  # only where there is none: a concurrent run's stays
            except FileExistsError:
                if _read_salt(path) is None:
                    os.replace(tmp, path)  # a broken one
            except OSError:  # a file system without hard links
                os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except OSError:
        return os.urandom(32)
    key = _read_salt(path)
    return key if key is not None else os.urandom(32)


def keyed(key: bytes, value: str) -> str:
    """detect-secrets' `hashed_secret` of a value under the repository's key (HMAC-SHA256):
    compared with an audited `.secrets.baseline` at scan time, and useless for confirming a
    guessed value to anyone without the key."""
    from soc2lint.secrets.baseline import hashed

    return hmac.new(key, hashed(value).encode(), hashlib.sha256).hexdigest()


def _line_keycheck(key: bytes) -> str:
    """Which key the cache was written with (a new key makes its keyed hashes unusable)."""
    return hmac.new(key, b"soc2lint history cache", hashlib.sha256).hexdigest()[:16]


def _load_cache(path: Path, signature: str, key: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get(
            "signature") != signature or data.get("key") != _line_keycheck(key):
        return None
    return data


def _save_cache(path: Path, signature: str, tips: tuple[str, ...], result: HistoryScan,
                key: bytes) -> None:
    data = {
        "version": CACHE_VERSION, "signature": signature, "tips": list(tips),
        "key": _line_keycheck(key),
        "sightings": {fp: {**asdict(s), "commit": asdict(s.commit)} for fp, s in result.sightings.items()},
        "occurrences": result.occurrences, "skipped_binary": result.skipped_binary,
        "commits": result.commits, "lines": result.lines,
    }
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, sort_keys=True))
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
                 allowed: tuple[str, ...] = (), unreachable: bool = False,
                 exclude_paths: tuple[str, ...] = ()) -> HistoryScan:
    """Every secret in every line history added, at its first sighting. With the cache, only
    commits no ref reached at the last run are read (a rewritten history is read again).
    `unreachable` also reads the commits no ref reaches (reflogs, dangling), without the cache.
    `exclude_paths`: files (relative to `root`) never scanned, such as a baseline kept at a
    configured path; soc2lint's own files (baseline.OWN_FILES) never are. Values
    detect-secrets' audit (`root/.secrets.baseline`) marked as no secret are left out."""
    path = cache_path(root)
    key = salt(path.parent if path is not None else None)
    skip = frozenset(posixpath.normpath(p.replace("\\", "/")) for p in exclude_paths)
    if unreachable:
        lost = unreachable_commits(root)
        result = _scan(root, max_file_size, since, (), progress, allowed, lost, key=key, skip=skip)
        result.notes.append(f"history: {len(lost)} unreachable commits read too")
        return _audited(root, result, key)
    if since or not use_cache:
        return _audited(root, _scan(root, max_file_size, since, (), progress, allowed, key=key,
                                    skip=skip), key)
    tips = _tips(root)
    signature = _signature(max_file_size) + f"; allowed {list(allowed)}; skipped {sorted(skip)}"
    cached = _load_cache(path, signature, key) if path else None
    old_tips = tuple(cached["tips"]) if cached else ()
    if cached and old_tips and not _all_exist(root, old_tips):
        cached = None  # history was rewritten: what the cache saw may be gone
    if cached and set(tips) <= set(old_tips):
        result = _from_cache(cached)
        result.notes.append("history: no new commits since the last scan (cache)")
        return _audited(root, result, key)
    # read from the tips that are new only (not `--all`): git then parses a few commits
    # instead of every ref's, a quarter of a second on a repository with thousands of refs
    seen_tips = set(old_tips)
    fresh = tuple(t for t in tips if t not in seen_tips) if cached else ()
    result = _scan(root, max_file_size, None, old_tips if cached else (), progress, allowed,
                   fresh, walk_all=not cached, key=key, skip=skip)
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
        _save_cache(path, signature, tips, result, key)
    return _audited(root, result, key)


def _audited(root: Path, result: HistoryScan, key: bytes) -> HistoryScan:
    """Without the values detect-secrets' audit marked `is_secret: false`, compared by their
    keyed hashes (the cache holds no unkeyed one)."""
    from soc2lint.secrets.baseline import DETECT_SECRETS_NAME, detect_secrets_false_positives

    try:
        audited = detect_secrets_false_positives(root / DETECT_SECRETS_NAME)
    except Soc2lintError:
        return result  # a broken audit file: the tree scan reports it
    if not audited:
        return result
    unkeyed = {hmac.new(key, sha1.encode(), hashlib.sha256).hexdigest() for sha1 in audited}
    result.sightings = {fp: s for fp, s in result.sightings.items() if s.hashed not in unkeyed}
    return result


def _blobs(root: Path, wanted: list[tuple[str, Commit, str]], max_size: int,
           ) -> Iterator[tuple[tuple[str, Commit, str], str]]:
    """The contents of blobs, by one `git cat-file --batch` (abbreviated ids are resolved)."""
    if not wanted:
        return
    contents = _contents(root, [blob for blob, _, _ in wanted])
    for item in wanted:
        content = contents.get(item[0])
        if content is not None and len(content) <= max_size and b"\0" not in content[:BINARY_PROBE]:
            yield item, content.decode("utf-8", "replace")


def _all_exist(root: Path, shas: tuple[str, ...]) -> bool:
    """Whether every commit is still in the repository (one `git cat-file --batch-check`)."""
    try:
        proc = gitrun.run(root, "cat-file", "--batch-check",
                          stdin="".join(f"{sha}\n" for sha in shas).encode())
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


def _own(path: str, skip: frozenset[str]) -> bool:
    """soc2lint's own files (baselines, config) and the files it was told to skip."""
    from soc2lint.secrets.baseline import OWN_FILES

    return path in skip or path.rsplit("/", 1)[-1] in OWN_FILES


def _scan(root: Path, max_file_size: int, since: str | None,
          exclude: tuple[str, ...] = (), progress: bool = False,
          allowed: tuple[str, ...] = (), extra: tuple[str, ...] = (),
          walk_all: bool = True, key: bytes = b"", skip: frozenset[str] = frozenset(),
          ) -> HistoryScan:
    import re

    permitted = [re.compile(p) for p in allowed]

    bar = Progress(root, exclude, since, extra, walk_all) if progress else None
    result = HistoryScan()
    # Lines scanned so far, by the hash of (extension, text): a whole history's distinct lines
    # as strings would take most of the memory (1.5 million lines in pip's). Two lines sharing
    # a 64-bit hash (about one chance in ten million there) would leave the second unscanned.
    seen: set[int] = set()
    with_secrets: dict[int, tuple[str, ...]] = {}  # scanned lines that had some
    last_commit = ""
    last_path, ext, own = "", "", False
    counts: dict[str, Any] = {}
    for commit, path, number, text in added_lines(root, max_file_size, since, counts, exclude,
                                                  extra, walk_all, skip):
        if commit.sha != last_commit:
            result.commits += 1
            last_commit = commit.sha
            if bar is not None:
                bar.update(counts.get("commits", 0))
        if path is not last_path:
            last_path, ext, own = path, posixpath.splitext(path)[1], _own(path, skip)
        if own:
            continue
        result.lines += 1
        line_key = hash((ext, text))
        if line_key in seen:
            # the same line again (moved, copied, reverted): counted, not scanned again
            for fp in with_secrets.get(line_key, ()):
                result.occurrences[fp] += 1
            continue
        seen.add(line_key)
        result.distinct += 1
        found = [x for x in scan_line(text, path, number)
                 if not any(p.fullmatch(x.value) for p in permitted)]
        if found:
            with_secrets[line_key] = tuple(secret.fingerprint for secret in found)
        for secret in found:
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            if fp not in result.sightings:
                result.sightings[fp] = Sighting(
                    secret.kind, secret.preview, len(secret.value), fp, keyed(key, secret.value),
                    commit, path, number, max(secret.start, 0) + 1)
    # file versions git showed as binary because an attribute said so: out of commit order,
    # so a sighting here replaces one from a later commit
    order: dict[str, int] = counts.get("order", {})
    for commit, path, number, text in hidden_lines(root, max_file_size, counts):
        if _own(path, skip):
            continue
        result.lines += 1
        for secret in scan_line(text, path, number):
            if any(p.fullmatch(secret.value) for p in permitted):
                continue
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            known = result.sightings.get(fp)
            if known is None or order.get(commit.sha, 0) < order.get(known.commit.sha, 0):
                result.sightings[fp] = Sighting(
                    secret.kind, secret.preview, len(secret.value), fp, keyed(key, secret.value),
                    commit, path, number, max(secret.start, 0) + 1)
    # config file versions, whole, through detect-secrets' transformers (bare YAML/INI values)
    seen_values = {s.hashed for s in result.sightings.values()}
    for (_blob, commit, path), text in _blobs(root, counts.get("config_blobs", []), max_file_size):
        if _own(path, skip):
            continue
        for number, secret in scan_transformed(text, path):
            fp = secret.fingerprint
            # a value the lines showed already is that secret, whatever type it gets here
            if fp in result.sightings or keyed(key, secret.value) in seen_values \
                    or any(p.fullmatch(secret.value) for p in permitted):
                continue
            seen_values.add(keyed(key, secret.value))
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            lines = text.splitlines()
            column = lines[number - 1].find(secret.value) + 1 if number <= len(lines) else 1
            result.sightings[fp] = Sighting(secret.kind, secret.preview, len(secret.value), fp,
                                            keyed(key, secret.value), commit, path, number,
                                            max(column, 1))
    result.skipped_binary = counts.get("binary", 0)
    if bar is not None:
        bar.update(counts.get("commits", 0), final=True)
    return result
