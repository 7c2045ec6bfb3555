"""Walk the scan root once and classify files into the formats' kinds, from their paths.

In a git work tree the file list comes from one `git ls-files` call (tracked plus untracked,
minus what .gitignore excludes); elsewhere from a walk that skips `.git` and dependency folders.
Symlinks are never followed out of the root.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc2lint.errors import Soc2lintError
from soc2lint.globs import matches
from soc2lint.model import Artifact

# Only skipped when the root is not a git work tree (a work tree's .gitignore decides there).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".terraform",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)


@dataclass(frozen=True)
class Discovery:
    artifacts: tuple[Artifact, ...]
    notes: tuple[str, ...]  # one-line messages about files skipped (symlinks out of the root...)


def classify(
    relpath: str, root: Path, memo: dict[str, Any] | None = None, evidence_dir: str = ".soc2"
) -> str | None:
    """The kind of the format recognising a `/`-separated path relative to the root (see
    formats.registry), or None to ignore it. `memo` is shared within one discovery."""
    from soc2lint.formats.registry import Candidate
    from soc2lint.formats.registry import classify as recognise

    return recognise(Candidate(relpath, root, evidence_dir, {} if memo is None else memo))


def _git_files(root: Path, pathspecs: Sequence[str]) -> list[str] | None:
    """Files git knows in `root` (tracked + untracked, not ignored), or None outside a work tree."""
    from soc2lint import gitrun

    try:
        proc = gitrun.run(
            root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *pathspecs
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk(root: Path, start: Path) -> Iterator[str]:
    """Relative paths of files under `start`; directory symlinks are yielded, never descended."""
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel_dir = os.path.relpath(dirpath, root)
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = [d for d in dirnames if d not in links]
        for name in sorted(filenames + links):
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            yield rel.replace(os.sep, "/")


def _is_inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _note_dir_link(rel: str, full: str, real_root: str, notes: list[str]) -> None:
    if (
        os.path.islink(full)
        and os.path.isdir(full)
        and not _is_inside(os.path.realpath(full), real_root)
    ):
        notes.append(f"{rel}: directory symlink points outside the scan root; not followed")


def discover(
    root: Path,
    paths: Sequence[Path] | None = None,
    exclude: Iterable[str] = (),
    evidence_dir: str = ".soc2",
) -> Discovery:
    """Artifacts under `root` (or just `paths`, files or directories under it), sorted by path."""
    root = root.resolve()
    real_root = os.path.realpath(root)
    exclude = tuple(exclude)
    notes: list[str] = []
    candidates: list[str] = []
    if paths:
        dirs: list[str] = []
        for p in paths:
            absolute = p if p.is_absolute() else Path.cwd() / p
            rel = os.path.relpath(os.path.abspath(absolute), root)
            if rel == os.pardir or rel.startswith(os.pardir + os.sep):
                raise Soc2lintError(f"{p}: outside the scan root {root}")
            rel = "" if rel == "." else rel.replace(os.sep, "/")
            if os.path.isdir(absolute) and not os.path.islink(absolute):
                dirs.append(rel)
            elif os.path.lexists(absolute):
                candidates.append(rel)
            else:
                raise Soc2lintError(f"{p}: no such file or directory")
        if dirs:
            listed = _git_files(root, [d or "." for d in dirs])
            if not listed:  # not a work tree, or every file is git-ignored: walk what was asked
                listed = [f for d in dirs for f in _walk(root, root / d if d else root)]
            candidates.extend(listed)
    else:
        listed = _git_files(root, [])
        if listed is None:
            candidates = list(_walk(root, root))
        elif listed:
            candidates = listed
        else:
            # Inside a work tree but nothing listed: the root itself is git-ignored (a build or
            # bench directory). The user asked for it explicitly, so walk it instead.
            candidates = list(_walk(root, root))
            if candidates:
                notes.append(f"{root}: ignored by git; scanned without .gitignore")

    evidence = root / evidence_dir
    if not paths and evidence.is_dir() and not os.path.islink(evidence):
        # exported settings are often git-ignored (they are regenerated): read them anyway
        listed_evidence = {c for c in candidates if c.startswith(evidence_dir + "/")}
        candidates.extend(f for f in _walk(root, evidence) if f not in listed_evidence)
    artifacts: dict[str, Artifact] = {}
    memo: dict[str, Any] = {"candidates": candidates}  # formats may look at the other files
    for rel in candidates:
        if rel in artifacts or any(matches(rel, pattern) for pattern in exclude):
            continue
        kind = classify(rel, root, memo, evidence_dir)
        if kind is None:
            # Extension-less entries may be directory symlinks (git lists them as files):
            # say so when one leads out of the root, since nothing behind it is checked.
            if "." not in rel.rsplit("/", 1)[-1]:
                _note_dir_link(rel, os.path.join(root, rel), real_root, notes)
            continue
        full = os.path.join(root, rel)
        try:
            info = os.lstat(full)
        except OSError:
            continue  # listed by git but deleted from the work tree
        if stat.S_ISLNK(info.st_mode):
            target = os.path.realpath(full)
            if not _is_inside(target, real_root):
                notes.append(f"{rel}: symlink points outside the scan root; not followed")
                continue
            try:
                info = os.stat(full)
            except OSError as exc:
                notes.append(f"{rel}: broken or looping symlink ({exc.strerror}); skipped")
                continue
        if not stat.S_ISREG(info.st_mode):
            continue
        artifacts[rel] = Artifact(rel, full, kind, info.st_size)
    found = tuple(artifacts[k] for k in sorted(artifacts))
    from soc2lint.formats.registry import formats

    for fmt in formats():  # what a format says about its files (a Helm chart: not evaluated)
        if fmt.present is not None:
            mine = [a for a in found if a.kind == fmt.kind]
            notes += fmt.present(mine) if mine else ()
    return Discovery(found, tuple(notes))
