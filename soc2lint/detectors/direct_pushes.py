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


def _from_history(collection: Any, params: Mapping[str, Any]) -> Iterator[Hit]:
    """CM001 from the collected history: first-parent commits of the collection's branch that
    GitHub associates with no pull request merged into it. At the manifest's entry of the
    history page holding the commit."""
    from soc2lint.changes.collection import accounted
    from soc2lint.detectors.change_activity import production

    period = collection.period
    if period.branch not in production(params, period.branch):
        return
    page_dir = collection.manifest_path.rsplit("/", 1)[0] + "/graphql/"
    entries = {path.rsplit("/", 1)[-1]: offset for path, offset in collection.entries.items()}
    for commit in collection.history or ():
        if accounted(commit, period.branch):
            continue
        why = (
            f"GitHub associates it with no pull request merged into {period.branch} "
            f"(history page {page_dir}{commit.page})"
        )
        offset = entries.get(commit.page, 0)
        yield _hit(commit, period.branch, why, (offset, offset + 1))


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    from soc2lint.changes.collection import Collection
    from soc2lint.changes.firstparent import first_parent, resolve, unaccounted

    population = doc.data
    if isinstance(population, Collection):
        yield from _from_history(population, params)
        return
    root = getattr(context, "root", None)
    if population is None or root is None or not getattr(population, "changes", None):
        return
    if population.source != "gh":
        return  # collected pages: the collection's history decides (above)
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
            yield _hit(commit, branch, why, (0, 1))


def _hit(commit: Any, branch: str, why: str, span: tuple[int, int]) -> Hit:
    """A commit (from git or the collected history: oid, author, date, subject) that reached
    `branch` without a pull request."""
    change_id = f"commit:{commit.oid}"
    facts = {
        "commit": commit.oid,
        "author": commit.author,
        "date": commit.date,
        "subject": commit.subject,
        "branch": branch,
    }
    return Hit(
        (),
        "value",
        {
            **facts,
            "commit": commit.oid[:7],
            "sha": commit.oid,
            "detail": why,
            "identity": change_id,
        },
        span=span,
        properties=(("change_id", change_id), *facts.items()),
    )
