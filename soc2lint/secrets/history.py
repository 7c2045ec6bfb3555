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
import subprocess
from pathlib import Path
from typing import Any

from soc2lint import gitrun
from soc2lint.errors import Soc2lintError
from soc2lint.secrets import history_cache as cache
from soc2lint.secrets.gitlog import (
    Commit,
    added_lines,
    blobs,
    git_output,
    hidden_lines,
    is_own_file,
    unreachable_commits,
)
from soc2lint.secrets.history_cache import cache_path, keyed, salt
from soc2lint.secrets.lines import scan_line, scan_transformed
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
    key = salt(path.parent if path is not None else None)
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
    if path:
        cache.save(path, signature, tips, result, key)
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
    for commit, path, number, text in added_lines(
        root, max_file_size, since, counts, exclude, extra, walk_all, skip
    ):
        if commit.sha != last_commit:
            result.commits += 1
            last_commit = commit.sha
            if bar is not None:
                bar.update(counts.get("commits", 0))
        if path is not last_path:
            last_path, ext, own = path, posixpath.splitext(path)[1], is_own_file(path, skip)
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
        found = [
            x
            for x in scan_line(text, path, number)
            if not any(p.fullmatch(x.value) for p in permitted)
        ]
        if found:
            with_secrets[line_key] = tuple(secret.fingerprint for secret in found)
        for secret in found:
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            if fp not in result.sightings:
                result.sightings[fp] = _sighting(secret, key, commit, path, number)
    # file versions git showed as binary because an attribute said so: out of commit order,
    # so a sighting here replaces one from a later commit
    order: dict[str, int] = counts.get("order", {})
    for commit, path, number, text in hidden_lines(root, max_file_size, counts):
        if is_own_file(path, skip):
            continue
        result.lines += 1
        for secret in scan_line(text, path, number):
            if any(p.fullmatch(secret.value) for p in permitted):
                continue
            fp = secret.fingerprint
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            known = result.sightings.get(fp)
            if known is None or order.get(commit.sha, 0) < order.get(known.commit.sha, 0):
                result.sightings[fp] = _sighting(secret, key, commit, path, number)
    # config file versions, whole, through detect-secrets' transformers (bare YAML/INI values)
    seen_values = {s.hashed for s in result.sightings.values()}
    for (_blob, commit, path), text in blobs(root, counts.get("config_blobs", []), max_file_size):
        if is_own_file(path, skip):
            continue
        for number, secret in scan_transformed(text, path):
            fp = secret.fingerprint
            # a value the lines showed already is that secret, whatever type it gets here
            if (
                fp in result.sightings
                or keyed(key, secret.value) in seen_values
                or any(p.fullmatch(secret.value) for p in permitted)
            ):
                continue
            seen_values.add(keyed(key, secret.value))
            result.occurrences[fp] = result.occurrences.get(fp, 0) + 1
            lines = text.splitlines()
            column = lines[number - 1].find(secret.value) + 1 if number <= len(lines) else 1
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
    result.skipped_binary = counts.get("binary", 0)
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
