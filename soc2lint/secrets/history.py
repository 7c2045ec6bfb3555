"""Secrets in git history: every line any commit added (soc2lint.secrets.gitlog), each distinct
line through detect-secrets once, each secret reported at its first sighting; a cache
(soc2lint.secrets.history_cache) keeps a re-run to the new commits.

soc2lint's own files (its baselines and config, which hold fingerprints and commit ids, random by
design) are not scanned, as in the tree.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soc2lint import gitrun
from soc2lint.secrets import history_cache as cache
from soc2lint.secrets.gitlog import (
    Commit,
    added_lines,
    blobs,
    git_output,
    hidden_lines,
    is_own_file,
    rev_list,
    unreachable_commits,
)
from soc2lint.secrets.history_cache import cache_path, keyed, salt
from soc2lint.secrets.lines import code_scope, scan_line, scan_transformed
from soc2lint.secrets.sightings import HistoryScan, Sighting


def is_work_tree(root: Path) -> bool:
    try:
        proc = gitrun.run(root, "rev-parse", "--is-inside-work-tree", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


class Progress:
    """`history: 1234/6729 commits (450/s)` on a terminal's stderr, at most 4 times a second."""

    def __init__(
        self,
        root: Path,
        exclude: tuple[str, ...],
        since: str | None,
        extra: tuple[str, ...] = (),
        walk_all: bool = True,
    ) -> None:
        import sys
        import time

        self.stream = sys.stderr
        self.clock = time.monotonic
        revs = (
            [f"{since}..HEAD"]
            if since
            else [*(["--all"] if walk_all else []), *(f"^{t}" for t in exclude), *extra]
        )
        total = git_output(root, "rev-list", "--count", *revs).strip()
        self.total = int(total) if total.isdigit() else 0
        self.start = self.last = self.clock()

    def update(self, done: int, final: bool = False) -> None:
        now = self.clock()
        if not final and now - self.last < 0.25:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        self.stream.write(
            f"\rsoc2lint: history {done}/{self.total} commits ({rate:.0f}/s)"
            + ("\n" if final else "")
        )
        self.stream.flush()


def scan_history(
    root: Path,
    max_file_size: int,
    since: str | None = None,
    use_cache: bool = True,
    progress: bool = False,
    allowed: tuple[str, ...] = (),
    unreachable: bool = False,
    exclude_paths: tuple[str, ...] = (),
) -> HistoryScan:
    """Every secret in every line history added, at its first sighting. With the cache, only
    commits no ref reached at the last run are read (a rewritten history is read again).
    `unreachable` also reads the commits no ref reaches (reflogs, dangling), without the cache.
    `exclude_paths`: files (relative to `root`) never scanned, such as a baseline kept at a
    configured path; soc2lint's own files (baseline.OWN_FILES) never are. Values
    detect-secrets' audit (`root/.secrets.baseline`) marked as no secret are left out."""
    path = cache_path(root)
    key = salt(_key_dir(root))
    skip = frozenset(posixpath.normpath(p.replace("\\", "/")) for p in exclude_paths)
    if unreachable:
        lost = unreachable_commits(root)
        result = _scan(root, max_file_size, since, (), progress, allowed, lost, key=key, skip=skip)
        result.notes.append(f"history: {len(lost)} unreachable commits read too")
        return _audited(root, result, key)
    if since or not use_cache:
        return _audited(
            root, _scan(root, max_file_size, since, (), progress, allowed, key=key, skip=skip), key
        )
    tips = cache.tips(root)
    signature = (
        cache.signature(max_file_size) + f"; allowed {list(allowed)}; skipped {sorted(skip)}"
    )
    cached = cache.load(path, signature, key) if path else None
    old_tips = tuple(cached["tips"]) if cached else ()
    if cached and old_tips and not cache.all_exist(root, old_tips):
        cached = None  # history was rewritten: what the cache saw may be gone
    if cached and set(tips) <= set(old_tips):
        result = cache.from_cache(cached)
        result.notes.append("history: no new commits since the last scan (cache)")
        return _audited(root, result, key)
    # read from the tips that are new only (not `--all`): git then parses a few commits
    # instead of every ref's, a quarter of a second on a repository with thousands of refs
    seen_tips = set(old_tips)
    fresh = tuple(t for t in tips if t not in seen_tips) if cached else ()
    result = _scan(
        root,
        max_file_size,
        None,
        old_tips if cached else (),
        progress,
        allowed,
        fresh,
        walk_all=not cached,
        key=key,
        skip=skip,
    )
    if cached:
        previous = cache.from_cache(cached)
        for fp, sighting in previous.sightings.items():
            result.sightings[fp] = sighting  # older: the first sighting stays the first
        for fp, n in previous.occurrences.items():
            result.occurrences[fp] = result.occurrences.get(fp, 0) + n
        result.skipped_binary += previous.skipped_binary
        result.commits += previous.commits
        result.lines += previous.lines
        for digest, fps in previous.secret_lines.items():
            for fp in fps:
                _remember(result, digest, fp)
        for fp, paths in previous.places.items():
            result.places[fp] = sorted({*result.places.get(fp, ()), *paths})
    if path:
        cache.save(path, signature, tips, result, key)
    return _audited(root, result, key)


def still_in_tree(
    root: Path,
    result: HistoryScan,
    fingerprints: list[str],
    max_file_size: int,
    exclude: tuple[str, ...] = (),
) -> set[str]:
    """Which of these secrets are still in the files: a line of the work tree that is a line
    the history held them in, in a file they were added to (a copy or a rename adds the line
    again, so every place a secret is now was one). Files `exclude` names are not read."""
    import os

    from soc2lint.globs import matches

    wanted = set(fingerprints)
    paths = sorted({p for fp in wanted for p in result.places.get(fp, ())})
    if not paths or not result.secret_lines:
        return set()
    found: set[str] = set()
    for path in paths:
        if any(matches(path, pattern) for pattern in exclude):
            continue
        try:
            info = os.lstat(root / path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > max_file_size:
                continue
            data = (root / path).read_bytes()
        except OSError:
            continue
        ext = posixpath.splitext(path)[1]
        for raw in data.split(b"\n"):
            fps = result.secret_lines.get(
                line_digest(result.key, ext, raw.decode("utf-8", "replace"))
            )
            if fps:
                found.update(fp for fp in fps if fp in wanted)
    return found


def _key_dir(root: Path) -> Path | None:
    path = cache_path(root)
    return path.parent if path is not None else None


def _audited(root: Path, result: HistoryScan, key: bytes) -> HistoryScan:
    """Without the values detect-secrets' audit marked `is_secret: false`, compared by their
    keyed hashes (the cache holds no unkeyed one). A broken audit file audits nothing
    (merge reports it)."""
    from soc2lint.secrets.baseline import DETECT_SECRETS_NAME, detect_secrets_false_positives

    result.key = key
    audited = detect_secrets_false_positives(root / DETECT_SECRETS_NAME)
    if not audited:
        return result
    unkeyed = {hmac.new(key, sha1.encode(), hashlib.sha256).hexdigest() for sha1 in audited}
    result.sightings = {fp: s for fp, s in result.sightings.items() if s.hashed not in unkeyed}
    return result


# Below this many commits a second process costs more than it saves (an incremental run).
PARALLEL_MIN = 400
CHUNKS_PER_JOB = 4  # slices of the walk per process: the processes finish together


def history_jobs() -> int:
    """Processes for the history walk: the CPUs this process may use, at most 8, on Linux only
    (forked workers inherit detect-secrets, configured once)."""
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return 1
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def line_digest(key: bytes, ext: str, text: str) -> str:
    """A line that held a secret, by its hash keyed with the repository's salt."""
    return hmac.new(key, f"{ext}\0{text}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class _Walk:
    """What one process's walk over a slice of the history found (`_walk`)."""

    scan: HistoryScan = field(default_factory=HistoryScan)
    counts: dict[str, Any] = field(default_factory=dict)
    places: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class _Memory:
    """The lines one process scanned already, kept across the slices it walks (in order)."""

    # by the hash of (extension, text): a whole history's distinct lines as strings would take
    # most of the memory (1.5 million lines in pip's). Two lines sharing a 64-bit hash (about
    # one chance in ten million there) would leave the second unscanned.
    seen: set[int] = field(default_factory=set)
    with_secrets: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Job:
    root: Path
    max_file_size: int
    since: str | None
    exclude: tuple[str, ...]
    extra: tuple[str, ...]
    walk_all: bool
    key: bytes
    skip: frozenset[str]
    allowed: tuple[str, ...]


def _walk(
    job: _Job,
    memory: _Memory,
    commits: tuple[str, ...] | None = None,
    tick: Callable[[int], None] | None = None,
) -> _Walk:
    """Every secret in the lines the commits (`commits`, else the whole walk) added, at its
    first sighting in this walk; lines `memory` saw are counted, not scanned again."""
    import re

    from soc2lint.secrets.baseline import is_record

    permitted = [re.compile(p) for p in job.allowed]
    out = _Walk()
    result, places = out.scan, out.places
    seen, with_secrets = memory.seen, memory.with_secrets
    last_commit = ""
    last_path, ext, own, scoped = "", "", False, False
    for commit, path, number, text in added_lines(
        job.root,
        job.max_file_size,
        job.since,
        out.counts,
        job.exclude,
        job.extra,
        job.walk_all,
        job.skip,
        commits,
    ):
        if commit.sha != last_commit:
            result.commits += 1
            last_commit = commit.sha
            if tick is not None:
                tick(out.counts.get("commits", 0))
        if path is not last_path:
            last_path, ext, own = path, posixpath.splitext(path)[1], is_own_file(path, job.skip)
            scoped = bool(code_scope(path))
        if own:
            continue
        result.lines += 1
        # tests and docs silence a few dummy values (`pass`, `admin:admin@`) that application
        # code does not: the same line is scanned again where that differs
        line_key = hash((ext, scoped, text))
        if line_key in seen:
            # the same line again (moved, copied, reverted): counted, not scanned again
            for fp in with_secrets.get(line_key, ()):
                result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
                places.setdefault(fp, set()).add(path)
            continue
        seen.add(line_key)
        result.distinct += 1
        if is_record(text):
            continue  # a baseline's hash or commit id (in any file it was ever kept in)
        found = [
            x
            for x in scan_line(text, path, number)
            if not any(p.fullmatch(x.value) for p in permitted)
        ]
        if not found:
            continue
        with_secrets[line_key] = tuple(secret.fingerprint for secret in found)
        digest = line_digest(job.key, ext, text)
        for secret in found:
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            places.setdefault(fp, set()).add(path)
            _remember(result, digest, fp)
            if fp not in result.sightings:
                result.sightings[fp] = _sighting(secret, job.key, commit, path, number)
    return out


def _remember(result: HistoryScan, digest: str, fp: str) -> None:
    known = result.secret_lines.setdefault(digest, [])
    if fp not in known:
        known.append(fp)


# the forked workers' job and memory (set in the parent just before forking)
_JOB: _Job | None = None
_MEMORY = _Memory()
_TICKS: Any = None  # a shared counter of commits walked, for the progress line


def _walk_slice(commits: tuple[str, ...]) -> _Walk:
    assert _JOB is not None
    done = [0]

    def tick(n: int) -> None:
        if _TICKS is not None:
            with _TICKS.get_lock():
                _TICKS.value += n - done[0]
            done[0] = n

    walked = _walk(_JOB, _MEMORY, commits, tick)
    tick(walked.counts.get("commits", 0))
    return walked


def _parallel(job: _Job, revs: list[str], jobs: int, bar: Progress | None) -> list[_Walk]:
    """The walk split into consecutive slices of `revs`, walked by `jobs` forked processes,
    each a `git log -p` of its own (git's diffs take a third of the time); the slices come back
    in order, so the merged result is the one walk's."""
    import contextlib
    import multiprocessing

    global _JOB, _TICKS
    size = -(-len(revs) // (jobs * CHUNKS_PER_JOB))
    slices = [tuple(revs[i : i + size]) for i in range(0, len(revs), size)]
    context = multiprocessing.get_context("fork")
    _JOB, _TICKS = job, context.Value("q", 0)
    parts: list[_Walk] = []
    try:
        # each worker takes the next slice when it is free: the slices one worker walks are in
        # increasing order, so what its memory saw came before
        with context.Pool(jobs, initializer=_forget) as pool:
            pending = pool.imap(_walk_slice, slices)
            while len(parts) < len(slices):
                with contextlib.suppress(multiprocessing.TimeoutError):
                    parts.append(pending.next(timeout=0.25))
                if bar is not None:
                    bar.update(int(_TICKS.value))
    finally:
        _JOB, _TICKS = None, None
    return parts


def _forget() -> None:
    global _MEMORY
    _MEMORY = _Memory()


def _scan(
    root: Path,
    max_file_size: int,
    since: str | None,
    exclude: tuple[str, ...] = (),
    progress: bool = False,
    allowed: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
    walk_all: bool = True,
    key: bytes = b"",
    skip: frozenset[str] = frozenset(),
    jobs: int | None = None,
) -> HistoryScan:
    import re

    from soc2lint.secrets.baseline import is_record
    from soc2lint.secrets.lines import engine

    permitted = [re.compile(p) for p in allowed]
    bar = Progress(root, exclude, since, extra, walk_all) if progress else None
    job = _Job(root, max_file_size, since, exclude, extra, walk_all, key, skip, allowed)
    jobs = history_jobs() if jobs is None else jobs
    revs = rev_list(root, since, exclude, extra, walk_all) if jobs > 1 else []
    if len(revs) >= PARALLEL_MIN:
        engine()  # detect-secrets imported and configured once, before the fork
        parts = _parallel(job, revs, jobs, bar)
    else:
        tick = bar.update if bar is not None else None
        parts = [_walk(job, _Memory(), None, tick)]
    result = HistoryScan()
    places: dict[str, set[str]] = {}
    counts: dict[str, Any] = {"binary": 0, "hidden": [], "config_blobs": [], "order": {}}
    blob_ids: set[str] = set()
    for part in parts:  # in the walk's order: an earlier sighting stays the first
        for fp, sighting in part.scan.sightings.items():
            result.sightings.setdefault(fp, sighting)
        for fp, n in part.scan.occurrences.items():
            result.occurrences[fp] = result.occurrences.get(fp, 0) + n
        for digest, fps in part.scan.secret_lines.items():
            for fp in fps:
                _remember(result, digest, fp)
        for fp, paths in part.places.items():
            places.setdefault(fp, set()).update(paths)
        result.commits += part.scan.commits
        result.lines += part.scan.lines
        result.distinct += part.scan.distinct
        counts["binary"] += part.counts.get("binary", 0)
        counts["hidden"] += part.counts.get("hidden", [])
        for item in part.counts.get("config_blobs", []):
            if item[0] not in blob_ids:  # a version another slice read first
                blob_ids.add(item[0])
                counts["config_blobs"].append(item)
        for sha in part.counts.get("order", {}):
            counts["order"][sha] = len(counts["order"])
        counts["commits"] = counts.get("commits", 0) + part.counts.get("commits", 0)
    # file versions git showed as binary because an attribute said so: out of commit order,
    # so a sighting here replaces one from a later commit
    order: dict[str, int] = counts["order"]
    for commit, path, number, text in hidden_lines(root, max_file_size, counts):
        if is_own_file(path, skip) or is_record(text):
            continue
        result.lines += 1
        for secret in scan_line(text, path, number):
            if any(p.fullmatch(secret.value) for p in permitted):
                continue
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            places.setdefault(fp, set()).add(path)
            _remember(result, line_digest(key, posixpath.splitext(path)[1], text), fp)
            known = result.sightings.get(fp)
            if known is None or order.get(commit.sha, 0) < order.get(known.commit.sha, 0):
                result.sightings[fp] = _sighting(secret, key, commit, path, number)
    # config file versions, whole, through detect-secrets' transformers (bare YAML/INI values)
    seen_values = {s.hashed for s in result.sightings.values()}
    for (_blob, commit, path), text in blobs(root, counts["config_blobs"], max_file_size):
        if is_own_file(path, skip):
            continue
        lines = text.splitlines()
        for number, secret in scan_transformed(text, path):
            fp = secret.fingerprint
            line = lines[number - 1] if number <= len(lines) else ""
            # a value the lines showed already is that secret, whatever type it gets here
            if (
                fp in result.sightings
                or is_record(line)
                or keyed(key, secret.value) in seen_values
                or any(p.fullmatch(secret.value) for p in permitted)
            ):
                continue
            seen_values.add(keyed(key, secret.value))
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            places.setdefault(fp, set()).add(path)
            _remember(result, line_digest(key, posixpath.splitext(path)[1], line), fp)
            column = line.find(secret.value) + 1
            result.sightings[fp] = Sighting(
                secret.kind,
                secret.preview,
                len(secret.value),
                fp,
                keyed(key, secret.value),
                commit,
                path,
                number,
                max(column, 1),
            )
    result.places = {fp: sorted(paths) for fp, paths in places.items()}
    result.skipped_binary = counts["binary"]
    if bar is not None:
        bar.update(counts.get("commits", 0), final=True)
    return result


def _sighting(secret: Any, key: bytes, commit: Commit, path: str, number: int) -> Sighting:
    """Where a secret was seen: its type, preview and length, never its value (keyed hash)."""
    return Sighting(
        secret.kind,
        secret.preview,
        len(secret.value),
        secret.fingerprint,
        keyed(key, secret.value),
        commit,
        path,
        number,
        max(secret.start, 0) + 1,
    )
