"""The history scan's cache, `.git/soc2lint/history.json`: the sightings of the commits every ref
reached at the last run, so that a re-run reads only new commits, and the repository's key that
the cached hashes of secret values are made with (`salt`, `keyed`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

from soc2lint import gitrun
from soc2lint.secrets.gitlog import Commit, git_output
from soc2lint.secrets.sightings import HistoryScan, Sighting

# bumped whenever what a history scan yields changes (7: example hosts; 8: keyed hashes,
# files hidden by .gitattributes read, soc2lint's own files skipped; 9: baselines' records
# skipped anywhere, the keyed lines and paths that tell a secret still in the tree; 10: prose,
# sample JWTs, glued AWS ids, user-as-password only in tests and docs, lines keyed by scope;
# 11: translation catalogues, CI values encrypted for the CI service; 12: config versions
# read after a submodule's commit no longer shifted; 13: keys naming a variable; 14: `+++`
# inside a hunk is an added line, not a file header)
CACHE_VERSION = 15


def tips(root: Path) -> tuple[str, ...]:
    """The commits every ref (and HEAD) points at: what `--all` walks from."""
    # an annotated tag is a tag object: what `--all` walks from is the commit it peels to
    refs = git_output(
        root, "for-each-ref", "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype)"
    ).split("\n")
    tips = set()
    for line in refs:
        parts = line.split()
        if len(parts) >= 2 and parts[1] == "commit":
            tips.add(parts[0])
        elif len(parts) == 4 and parts[3] == "commit":
            tips.add(parts[2])
    head = git_output(root, "rev-parse", "--verify", "-q", "HEAD").strip()
    return tuple(sorted(tips | ({head} if head else set())))


def all_exist(root: Path, shas: tuple[str, ...]) -> bool:
    """Whether every commit is still in the repository (one `git cat-file --batch-check`)."""
    try:
        proc = gitrun.run(
            root, "cat-file", "--batch-check", stdin="".join(f"{sha}\n" for sha in shas).encode()
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return (
        proc.returncode == 0
        and b" missing" not in proc.stdout
        and all(line.split()[1:2] == [b"commit"] for line in proc.stdout.splitlines())
    )


def signature(max_file_size: int) -> str:
    """What the cached results depend on: soc2lint and detect-secrets versions, the size limit."""
    from soc2lint import __version__

    return (
        f"soc2lint {__version__}; detect-secrets {_detect_secrets_version()}; "
        f"max_file_size {max_file_size}"
    )


def _detect_secrets_version() -> str:
    """detect-secrets' VERSION, read from its source: importing it costs 0.15 s and
    importlib.metadata 0.07 s, which a cached re-run (0.5 s in all) should not pay."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("detect_secrets")
        origin = spec.origin if spec is not None else None
        text = (
            (Path(origin).parent / "__version__.py").read_text(encoding="utf-8") if origin else ""
        )
    except (ImportError, OSError, ValueError):
        text = ""
    m = re.search(r"VERSION\s*=\s*['\"]([^'\"]+)", text)
    return m.group(1) if m else "?"  # an unusual install: the cache is then keyed on "?"


def cache_path(root: Path) -> Path | None:
    """`.git/soc2lint/history.json`: inside the git directory, never in the work tree."""
    git_dir = git_output(root, "rev-parse", "--absolute-git-dir").strip()
    prefix = git_output(root, "rev-parse", "--show-prefix").strip().strip("/")
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


def load(path: Path, signature: str, key: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("version") != CACHE_VERSION
        or data.get("signature") != signature
        or data.get("key") != _line_keycheck(key)
    ):
        return None
    return data


def save(
    path: Path, signature: str, tips: tuple[str, ...], result: HistoryScan, key: bytes
) -> None:
    data = {
        "version": CACHE_VERSION,
        "signature": signature,
        "tips": list(tips),
        "key": _line_keycheck(key),
        "sightings": {
            fp: {**asdict(s), "commit": asdict(s.commit)} for fp, s in result.sightings.items()
        },
        "occurrences": result.occurrences,
        "skipped_binary": result.skipped_binary,
        "commits": result.commits,
        "lines": result.lines,
        "secret_lines": result.secret_lines,
        "places": result.places,
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


def from_cache(data: dict[str, Any]) -> HistoryScan:
    result = HistoryScan()
    for fp, raw in data.get("sightings", {}).items():
        commit = Commit(**raw["commit"])
        result.sightings[fp] = Sighting(**{**raw, "commit": commit})
    result.occurrences = {str(k): int(v) for k, v in data.get("occurrences", {}).items()}
    result.skipped_binary = int(data.get("skipped_binary", 0))
    result.commits = int(data.get("commits", 0))
    result.lines = int(data.get("lines", 0))
    result.secret_lines = {
        str(k): [str(fp) for fp in v] for k, v in data.get("secret_lines", {}).items()
    }
    result.places = {str(k): [str(p) for p in v] for k, v in data.get("places", {}).items()}
    return result
