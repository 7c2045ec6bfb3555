"""CODEOWNERS coverage: the paths that change access and delivery must each have an owner.

For every protected path (parameter `protected_paths`) that exists under the scan root, each file
in it (or the file itself) is looked up in CODEOWNERS as GitHub does: the last matching entry
wins, and an entry without owners un-assigns. Lines with syntax errors are skipped (GitHub skips
them too; `codeowners-syntax-error` reports them). One finding per protected path with a file
that no owner covers: at the entry that un-assigns it, else at the top of the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.codeowners import pattern_matches
from soc2lint.model import Document, Hit

DEFAULT_PROTECTED = (
    ".github/workflows/",
    ".github/actions/",
    "terraform/",
    "infra/",
    "infrastructure/",
    "k8s/",
    "kubernetes/",
    "deploy/",
    "deployment/",
    "helm/",
    "charts/",
    ".github/CODEOWNERS",
    "CODEOWNERS",
)
MAX_FILES = 5000  # per protected directory: enough to judge coverage, bounded on huge trees


@dataclass(frozen=True)
class Entry:
    index: int  # position in `entries`, for the route of a finding
    pattern: str
    owners: tuple[str, ...]
    line: int  # 1-based


def entries_of(root: nodes.Node) -> list[Entry]:
    """The valid entries of a parsed CODEOWNERS document, in file order. A line with a syntax
    error (an `errors` item placed on it) is skipped, as GitHub skips it."""
    bad_lines = set()
    errors = nodes.get(root, "errors")
    for item in errors[1].value if errors and isinstance(errors[1], nodes.SequenceNode) else []:
        at = nodes.get(item, "at")
        if at is not None:
            bad_lines.add(at[1].start_mark.line)
    out = []
    found = nodes.get(root, "entries")
    items = found[1].value if found and isinstance(found[1], nodes.SequenceNode) else []
    for i, item in enumerate(items):
        pattern = nodes.get(item, "pattern")
        owners = nodes.get(item, "owners")
        if pattern is None or not isinstance(pattern[1], nodes.ScalarNode):
            continue
        if pattern[1].start_mark.line in bad_lines:
            continue
        names = (
            tuple(o.value for o in owners[1].value if isinstance(o, nodes.ScalarNode))
            if owners and isinstance(owners[1], nodes.SequenceNode)
            else ()
        )
        out.append(Entry(i, pattern[1].value, names, pattern[1].start_mark.line + 1))
    return out


def last_match(entries: Sequence[Entry], path: str) -> Entry | None:
    """The entry that decides the owners of `path`: the last one matching it."""
    for entry in reversed(entries):
        if pattern_matches(entry.pattern, path):
            return entry
    return None


def _git_files(root: Path, pathspecs: Sequence[str]) -> list[str] | None:
    from soc2lint.scan.discover import _git_files as git_files

    return git_files(root, pathspecs)


def _walk(root: Path, start: Path) -> list[str]:
    from soc2lint.scan.discover import _walk as walk

    return list(walk(root, start))


def files_under(root: Path, directories: Sequence[str]) -> dict[str, list[str]]:
    """`/`-separated files (relative to `root`) in each directory: those git lists (tracked or
    untracked, not ignored) in a work tree, else every file found walking it."""
    out: dict[str, list[str]] = {d: [] for d in directories}
    if not directories:
        return out
    listed = _git_files(root, list(directories))
    for directory in directories:
        prefix = directory + "/"
        if listed:
            names = [f for f in listed if f.startswith(prefix)]
        else:
            names = _walk(root, root / directory)
        out[directory] = names[:MAX_FILES]
    return out


def _exists(root: Path, rel: str) -> str | None:
    """'dir', 'file' or None for a protected path relative to the scan root."""
    full = root / rel
    if not os.path.lexists(full):
        return None
    if full.is_dir() and not full.is_symlink():
        return "dir"
    return "file"


def _describe(paths: Sequence[str], total: int, one: str, many: str, is_file: bool) -> str:
    """`it matches no entry` (a protected file), `deploy/run.sh matches no entry` (the only file
    of a directory), or `2 of its 5 files (deploy/a.sh, deploy/b.sh) match no entry`."""
    if total <= 1:
        return f"{'it' if is_file else paths[0]} {one}"
    shown = ", ".join(paths[:2]) + (", ..." if len(paths) > 2 else "")
    return f"{len(paths)} of its {total} files ({shown}) {one if len(paths) == 1 else many}"


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    if context is None:
        return
    root = Path(context.root)
    protected = [str(p) for p in (params.get("protected_paths") or DEFAULT_PROTECTED)]
    entries = entries_of(doc.root)
    kinds: dict[str, tuple[str, str]] = {}  # path -> (as the parameter names it, "dir"/"file")
    for item in protected:
        rel = item.strip().strip("/")
        if rel and rel not in kinds and ".." not in rel.split("/"):
            kind = _exists(root, rel)
            if kind is not None:
                kinds[rel] = (item, kind)
    listing = files_under(root, [rel for rel, (_, kind) in kinds.items() if kind == "dir"])
    for rel, (item, kind) in kinds.items():
        files = listing.get(rel, []) if kind == "dir" else [rel]
        unowned: list[str] = []
        cleared: list[tuple[str, Entry]] = []
        for path in files:
            entry = last_match(entries, path)
            if entry is None:
                unowned.append(path)
            elif not entry.owners:
                cleared.append((path, entry))
        if cleared:
            entry = cleared[0][1]
            how = f"by the entry `{entry.pattern}` on line {entry.line}, which names no owner"
            paths = [p for p, _ in cleared]
            detail = _describe(
                paths, len(files), f"is un-assigned {how}", f"are un-assigned {how}", kind == "file"
            )
            if unowned:
                detail += f"; {len(unowned)} more match no entry"
            yield Hit(
                ("entries", entry.index, "pattern"),
                "value",
                {"protected": item, "detail": detail, "identity": rel},
            )
        elif unowned:
            detail = _describe(
                unowned, len(files), "matches no entry", "match no entry", kind == "file"
            )
            yield Hit((), "key", {"protected": item, "detail": detail, "identity": rel})
