"""`gh pr list --state merged --json ...` dumps: a JSON array of pull requests.

Read with the standard json module, element by element (`raw_decode`), so that each pull
request keeps where it starts in the file for findings; the garbage collector is paused while
thousands of small objects are built. gh's quirks: apps as `{"is_bot": true, "login":
"app/<name>"}`, a deleted user as `app/`, nested lists cut at 100 items, `latestReviews`
without commits (not read: `reviews` has them).
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from soc2lint.changes.model import Change, Check, Commit, Review

# fields without which approvals or checks cannot be judged: absent is unknown, never "none"
EVIDENCE_FIELDS = ("reviews", "statusCheckRollup")
NESTED_LIMIT = 100  # gh pr list asks for the first 100 items of every nested list
_WS = re.compile(r"\s*")


def looks_like_dump(head: str) -> bool:
    """A JSON array of merged pull requests, from the first bytes of a file."""
    start = head.lstrip()
    return start.startswith("[") and '"mergedAt"' in head and '"number"' in head


def elements(text: str) -> Iterator[tuple[int, Any]]:
    """(offset, value) of each element of the top-level JSON array in `text`."""
    decoder = json.JSONDecoder()
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] != "[":
        raise ValueError("not a JSON array")
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] == "]":
        return
    while True:
        value, end = decoder.raw_decode(text, pos)
        yield pos, value
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == ",":
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if text[pos : pos + 1] == "]":
            return
        raise ValueError(f"expected ',' or ']' at offset {pos}")


def read_dump(text: str) -> tuple[list[Change], bool]:
    """(the merged pull requests, whether their commits were exported)."""
    enabled = gc.isenabled()
    gc.disable()  # no cycles among these objects: collecting while they are built is waste
    try:
        changes = [_change(offset, item) for offset, item in elements(text) if _is_merged_pr(item)]
    finally:
        if enabled:
            gc.enable()
    with_commits = bool(changes) and all(c.commits is not None for c in changes)
    return changes, with_commits


def _is_merged_pr(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("number"), int)
        and bool(item.get("mergedAt"))
    )


def _login(actor: Any) -> str:
    if not isinstance(actor, dict):
        return "app/"  # GraphQL's null author: a deleted user
    return str(actor.get("login") or "")


def _list(item: Mapping[str, Any], key: str) -> list[Any]:
    value = item.get(key)
    return value if isinstance(value, list) else []


def _change(offset: int, item: Mapping[str, Any]) -> Change:
    reviews = tuple(
        Review(
            _login(r.get("author")),
            str(r.get("state") or ""),
            str(r.get("submittedAt") or ""),
            str((r.get("commit") or {}).get("oid") or ""),
            str(r.get("authorAssociation") or ""),
            str(r.get("body") or ""),
        )
        for r in _list(item, "reviews")
        if isinstance(r, dict)
    )
    raw_commits = item.get("commits")
    commits = commits_of(raw_commits) if isinstance(raw_commits, list) else None
    checks = tuple(check_of(c) for c in _list(item, "statusCheckRollup") if isinstance(c, dict))
    truncated = tuple(
        key
        for key in ("reviews", "commits", "labels", "files")
        if len(_list(item, key)) >= NESTED_LIMIT
    )
    author = item.get("author")
    return Change(
        number=int(item["number"]),
        url=str(item.get("url") or ""),
        title=str(item.get("title") or ""),
        body=str(item.get("body") or ""),
        author=_login(author),
        author_is_bot=bool(isinstance(author, dict) and author.get("is_bot")),
        merged_by=_login(item.get("mergedBy")),
        merged_at=str(item.get("mergedAt") or ""),
        created_at=str(item.get("createdAt") or ""),
        base=str(item.get("baseRefName") or ""),
        head_ref=str(item.get("headRefName") or ""),
        head_oid=str(item.get("headRefOid") or ""),
        additions=int(item.get("additions") or 0),
        deletions=int(item.get("deletions") or 0),
        labels=tuple(
            str(label.get("name") or "")
            for label in _list(item, "labels")
            if isinstance(label, dict)
        ),
        reviews=reviews,
        commits=commits,
        checks=checks,
        closing_issues=len(_list(item, "closingIssuesReferences")),
        truncated=truncated,
        missing=tuple(key for key in EVIDENCE_FIELDS if key not in item),
        offset=offset,
        merge_oid=str((item.get("mergeCommit") or {}).get("oid") or ""),
        base_oid=str(item.get("baseRefOid") or ""),
        files=_files(item.get("files")),
    )


def _files(raw: Any) -> tuple[str, ...] | None:
    if not isinstance(raw, list):
        return None
    return tuple(str(f.get("path") or "") for f in raw if isinstance(f, dict))


def check_of(entry: Mapping[str, Any]) -> Check:
    if entry.get("__typename") == "StatusContext" or "context" in entry:
        return Check(
            str(entry.get("context") or ""),
            "",
            str(entry.get("state") or ""),
            str(entry.get("startedAt") or entry.get("createdAt") or ""),
        )
    return Check(
        str(entry.get("name") or ""),
        str(entry.get("status") or ""),
        str(entry.get("conclusion") or ""),
        str(entry.get("completedAt") or ""),
    )


def commits_of(raw: list[Any]) -> tuple[Commit, ...]:
    """A pull request's commits, as gh prints them (`gh pr list` or `gh pr view --json commits`)."""
    return tuple(
        Commit(
            str(c.get("oid") or ""),
            str(c.get("messageHeadline") or ""),
            str(c.get("messageBody") or ""),
            tuple(
                str(a.get("login") or a.get("email") or a.get("name") or "")
                for a in c.get("authors") or ()
                if isinstance(a, dict)
            ),
            str(c.get("committedDate") or ""),
        )
        for c in raw
        if isinstance(c, dict)
    )
