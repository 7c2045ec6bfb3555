"""The staged content of a commit being made, as files: what `git commit` would record.

pre-commit stashes unstaged changes before hooks run, so there the work tree already is the
staged content. A plain git hook (or husky, lefthook) does not: `soc2lint scan --staged` reads
the index instead, so a secret staged and then edited out of the work tree is still caught.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from soc2lint import gitrun
from soc2lint.errors import Soc2lintError

# Files soc2lint reads for its own settings, copied from the work tree as they are now.
_SETTINGS = (".soc2lint.yaml", ".soc2lint.yml", ".soc2lint-baseline.yaml", ".secrets.baseline")


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = gitrun.run(root, *args, stdin=stdin)
    except (OSError, subprocess.SubprocessError) as exc:
        raise Soc2lintError(f"{root}: cannot run git: {exc}") from exc
    if proc.returncode != 0:
        problem = " ".join(proc.stderr.decode("utf-8", "replace").split())[:200]
        raise Soc2lintError(f"{root}: cannot read the staged changes: {problem}")
    return proc.stdout


def staged_files(root: Path) -> list[tuple[str, str]]:
    """(path relative to `root`, blob id) of each regular file the next commit adds or changes
    under `root` (symlinks and submodules are no file content)."""
    out = _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--relative")
    paths = [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
    if not paths:
        return []
    listing = _git(root, "ls-files", "-s", "-z", "--", *paths)
    files = []
    for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[0] in ("100644", "100755") and parts[2] == "0":
            files.append((path, parts[1]))
    return sorted(files)


@contextlib.contextmanager
def staged_tree(root: Path) -> Iterator[tuple[Path, list[Path]]]:
    """A temporary directory holding the staged version of each staged file at its path, and
    soc2lint's settings files; yields (that directory, the staged files in it). Removed after."""
    files = staged_files(root)
    blobs = (
        _git(root, "cat-file", "--batch", stdin="".join(f"{blob}\n" for _, blob in files).encode())
        if files
        else b""
    )
    with tempfile.TemporaryDirectory(prefix="soc2lint-staged-") as tmp:
        top = Path(tmp)
        written: list[Path] = []
        pos = 0
        for path, _blob in files:
            end = blobs.find(b"\n", pos)
            header = blobs[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            content = blobs[pos : pos + size]
            pos += size + 1
            target = top / path
            if top.resolve() not in target.resolve().parents:
                continue  # a path git would not write either
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written.append(target)
        for name in _SETTINGS:
            source = root / name
            if source.is_file() and not source.is_symlink() and not (top / name).exists():
                shutil.copyfile(source, top / name)
        if not written:  # nothing staged: an empty directory (the settings are no content)
            top = top / "nothing-staged"
            top.mkdir()
        yield top, written
