"""`direct-pushes` (CM001): commits on a production branch's first-parent chain, within the
period the pull-request export covers, that no merged pull request accounts for.

The chain comes from the clone at the scan root (`changes/firstparent.py`); without one, or
when the export cannot be matched to it, nothing is reported: git alone cannot prove that a
change skipped review. Each finding sits at the start of the export (a commit has no object
in it) and carries `change_id` = `commit:<sha>`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from soc2lint.model import Document, Hit


def _branches(params: Mapping[str, Any], root: Any) -> list[str]:
    from soc2lint.changes.firstparent import default_branch

    value = params.get("production_branches")
    if isinstance(value, list) and value:
        return [str(v) for v in value]
    default = default_branch(root)
    return [default] if default else []


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    from soc2lint.changes.firstparent import first_parent, resolve, unaccounted

    population = doc.data
    root = getattr(context, "root", None)
    if population is None or root is None or not population.changes:
        return
    for branch in _branches(params, root):
        key = ("first-parent", str(root), branch)
        if key not in population.decisions:
            ref = resolve(root, branch)
            chain = first_parent(root, ref) if ref is not None else None
            population.decisions[key] = (
                None if chain is None else unaccounted(chain, population.changes, branch)
            )
        found: list[Any] | None = population.decisions[key]
        for commit, why in found or ():
            change_id = f"commit:{commit.oid}"
            yield Hit(
                (),
                "value",
                {
                    "commit": commit.oid[:7],
                    "sha": commit.oid,
                    "author": commit.author,
                    "date": commit.date,
                    "subject": commit.subject,
                    "branch": branch,
                    "detail": why,
                    "identity": change_id,
                },
                span=(0, 1),
                properties=(
                    ("change_id", change_id),
                    ("commit", commit.oid),
                    ("author", commit.author),
                    ("date", commit.date),
                    ("subject", commit.subject),
                    ("branch", branch),
                ),
            )
