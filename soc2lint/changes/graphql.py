"""Pages of `collect github --changes` (answers to `query.PULL_REQUESTS`) as merged changes.

A page holds up to 50 pull requests; a nested list cut at the query's `first:` is completed
from the follow-up answers beside the page (`pr-N-<field>-K.json`), and stays `truncated` when
they do not finish it. Bots (`__typename: Bot`) are named `app/<login>`, as gh names them, so
that one identity rule serves both inputs; a deleted user (null) is `app/`.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from soc2lint.changes.ghdump import check_of
from soc2lint.changes.model import Change, Commit, Event, Review

_EVENT_DETAIL: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "HeadRefForcePushedEvent": lambda n: str((n.get("afterCommit") or {}).get("oid") or ""),
    "ReviewDismissedEvent": lambda n: str(n.get("previousReviewState") or ""),
    "LabeledEvent": lambda n: str((n.get("label") or {}).get("name") or ""),
    "AssignedEvent": lambda n: _actor(n.get("assignee")),
    "BaseRefChangedEvent": lambda n: str(n.get("currentRefName") or ""),
    "RemovedFromMergeQueueEvent": lambda n: str(n.get("reason") or ""),
}
_WEB_FLOW = frozenset({"web-flow", "github"})

# a follow-up reader: (pull request number, field) -> the nodes of pages 2.. and whether the
# last of them says there is more (None: no follow-up answers)
FollowUps = Callable[[int, str], tuple[list[Any], bool] | None]


def looks_like_page(head: str) -> bool:
    """An answer to the pull-request query, from the first bytes of a file."""
    return head.lstrip().startswith("{") and '"pullRequests"' in head


def pull_requests(data: Any) -> list[Any] | None:
    """The pull request nodes of a page, or None when it is not an answer to the query."""
    try:
        nodes = data["data"]["repository"]["pullRequests"]["nodes"]
    except (KeyError, TypeError):
        return None
    return nodes if isinstance(nodes, list) else None


def read_page(
    text: str,
    follow_ups: FollowUps,
    keep: Callable[[str, str], bool] = lambda merged_at, base: True,
) -> list[Change]:
    """The merged pull requests of one page that `keep(mergedAt, baseRefName)` accepts."""
    enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects
    try:
        data = json.loads(text)
        nodes = pull_requests(data)
        if nodes is None:
            raise ValueError(
                "not an answer to the pull request query (no data.repository.pullRequests)"
            )
        starts = _starts(text)
        changes = []
        for node in nodes:
            if not isinstance(node, dict) or not isinstance(node.get("number"), int):
                continue
            merged_at = str(node.get("mergedAt") or "")
            if merged_at and keep(merged_at, str(node.get("baseRefName") or "")):
                changes.append(_change(node, starts.get(node["number"], 0), follow_ups))
    finally:
        if enabled:
            gc.enable()
    return changes


# a pull request's object: its `number` comes first in the node, followed by its `/pull/N` URL
# (a closing issue's `number` is followed by `/issues/N`)
_START = re.compile(r'\{\s*"number"\s*:\s*(\d+)\s*,\s*"url"\s*:\s*"[^"]*/pull/(\d+)"')


def _starts(text: str) -> dict[int, int]:
    """Where each pull request's object starts in a page, in one pass."""
    out: dict[int, int] = {}
    for m in _START.finditer(text):
        if m.group(1) == m.group(2):
            out.setdefault(int(m.group(1)), m.start())
    return out


def _actor(value: Any) -> str:
    if not isinstance(value, dict):
        return "app/"  # null: a deleted user (GitHub's "ghost")
    login = str(value.get("login") or "")
    return f"app/{login}" if value.get("__typename") == "Bot" else login


def _connection(
    node: Mapping[str, Any], field: str, follow_ups: FollowUps
) -> tuple[list[Any], bool]:
    """(every node of a nested list, whether it is still cut short)."""
    conn = node.get(field)
    if not isinstance(conn, dict):
        return [], False
    items = [n for n in conn.get("nodes") or () if n is not None]
    more = bool((conn.get("pageInfo") or {}).get("hasNextPage"))
    if more:
        rest = follow_ups(int(node["number"]), field)
        if rest is not None:
            extra, more = rest
            items += extra
    total = conn.get("totalCount")
    if isinstance(total, int) and total > len(items):
        more = True
    return items, more


def _login_or_email(person: Any) -> str:
    if not isinstance(person, dict):
        return ""
    user = person.get("user")
    if isinstance(user, dict) and user.get("login"):
        return str(user["login"])
    return str(person.get("email") or person.get("name") or "")


def _commit(item: Mapping[str, Any]) -> Commit:
    c = item.get("commit") or {}
    authors = [_login_or_email(c.get("author"))]
    committer = _login_or_email(c.get("committer"))
    if committer and committer.lower() not in _WEB_FLOW and committer != "noreply@github.com":
        authors.append(committer)  # a committer is an author of the change too
    return Commit(
        str(c.get("oid") or ""),
        str(c.get("messageHeadline") or ""),
        str(c.get("messageBody") or ""),
        tuple(dict.fromkeys(a for a in authors if a)),
        str(c.get("committedDate") or ""),
    )


def _event(item: Mapping[str, Any]) -> Event:
    kind = str(item.get("__typename") or "")
    detail = _EVENT_DETAIL.get(kind)
    actor = item.get("actor")
    return Event(
        kind,
        str(item.get("createdAt") or ""),
        _actor(actor) if actor is not None else "",
        detail(item) if detail else "",
    )


def _checks(node: Mapping[str, Any]) -> tuple[list[Any], bool]:
    head = (node.get("head") or {}).get("nodes") or ()
    commit = (head[0] or {}).get("commit") if head else None
    rollup = (commit or {}).get("statusCheckRollup")
    if not isinstance(rollup, dict):
        return [], False  # no checks reported at all
    contexts = rollup.get("contexts") or {}
    items = [n for n in contexts.get("nodes") or () if isinstance(n, dict)]
    total = contexts.get("totalCount")
    return items, isinstance(total, int) and total > len(items)


def _change(node: Mapping[str, Any], offset: int, follow_ups: FollowUps) -> Change:
    reviews, reviews_cut = _connection(node, "reviews", follow_ups)
    commits, commits_cut = _connection(node, "commits", follow_ups)
    files, files_cut = _connection(node, "files", follow_ups)
    events, events_cut = _connection(node, "timelineItems", follow_ups)
    checks, checks_cut = _checks(node)
    cut: Sequence[tuple[str, bool]] = (
        ("reviews", reviews_cut),
        ("commits", commits_cut),
        ("files", files_cut),
        ("timelineItems", events_cut),
        ("checks", checks_cut),
    )
    author = node.get("author")
    return Change(
        number=int(node["number"]),
        url=str(node.get("url") or ""),
        title=str(node.get("title") or ""),
        body=str(node.get("body") or ""),
        author=_actor(author),
        author_is_bot=isinstance(author, dict) and author.get("__typename") == "Bot",
        merged_by=_actor(node.get("mergedBy")),
        merged_at=str(node.get("mergedAt") or ""),
        created_at=str(node.get("createdAt") or ""),
        base=str(node.get("baseRefName") or ""),
        head_ref=str(node.get("headRefName") or ""),
        head_oid=str(node.get("headRefOid") or ""),
        additions=int(node.get("additions") or 0),
        deletions=int(node.get("deletions") or 0),
        labels=tuple(
            str(label.get("name") or "")
            for label in (node.get("labels") or {}).get("nodes") or ()
            if isinstance(label, dict)
        ),
        reviews=tuple(
            Review(
                _actor(r.get("author")),
                str(r.get("state") or ""),
                str(r.get("submittedAt") or ""),
                str((r.get("commit") or {}).get("oid") or ""),
                str(r.get("authorAssociation") or ""),
                str(r.get("body") or ""),
            )
            for r in reviews
            if isinstance(r, dict)
        ),
        commits=tuple(_commit(c) for c in commits if isinstance(c, dict)),
        checks=tuple(check_of(c) for c in checks),
        closing_issues=len((node.get("closingIssuesReferences") or {}).get("nodes") or ()),
        truncated=tuple(name for name, is_cut in cut if is_cut),
        missing=(),
        offset=offset,
        merge_oid=str((node.get("mergeCommit") or {}).get("oid") or ""),
        base_oid=str(node.get("baseRefOid") or ""),
        files=tuple(str(f.get("path") or "") for f in files if isinstance(f, dict)),
        events=tuple(_event(e) for e in events if isinstance(e, dict)),
    )


def follow_up_nodes(answers: Sequence[Any], field: str) -> tuple[list[Any], bool]:
    """The nodes of follow-up answers (pages 2, 3, ... in order) of one nested list, and whether
    the list is still unfinished (the last answer says there is more, or one is unreadable)."""
    items: list[Any] = []
    more = True
    for data in answers:
        try:
            conn = data["data"]["repository"]["pullRequest"][field]
        except (KeyError, TypeError):
            return items, True
        if not isinstance(conn, dict):
            return items, True
        items += [n for n in conn.get("nodes") or () if n is not None]
        more = bool((conn.get("pageInfo") or {}).get("hasNextPage"))
    return items, more
