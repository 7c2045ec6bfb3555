"""`soc2lint collect github OWNER/REPO --changes`: the change evidence of one branch and period.

What is asked and where each answer goes is the contract in soc2lint/changes/query.py; every
answer is stored as GitHub sent it, under `OUT/github/OWNER/REPO/changes/`:

    graphql/query.graphql          PULL_REQUESTS, the exact text sent
    graphql/prs-0001.json ...      the merged pull requests into the branch, newest update first,
                                   up to the first page holding one last updated before `since`
                                   (a pull request merged in the period was updated at or after
                                   its merge); a 502, 504 or timeout asks again for half as many
                                   (50, 25, 12, 6, 5), from the same cursor
    graphql/pr-N-<list>-K.json     the next pages of a pull request's reviews, commits, files or
                                   timeline items when its page says there are more (K from 2)
    graphql/history-0001.json ...  the branch's commits in the period, with their pull requests
    activity.json                  GET /repos/O/R/activity?ref=refs/heads/B&time_period=year
    rule-suites/YYYY-MM-DD.json    GET /repos/O/R/rulesets/rule-suites?...&rule_suite_result=bypass
                                   named by the collection's UTC day; GitHub reaches back 30 days
                                   only, so earlier days' files are kept: collect monthly
    manifest.json                  written last: period, branch, query digest, totals, `complete`,
                                   and every request with its status, sha256 and `evidence`

Only an answer that GitHub gave as JSON with status 200 is written (a GraphQL answer with
`errors` too, since its partial data is still what GitHub said, but it is not evidence); any
other answer is recorded in the manifest with its status and a note, its file left unwritten
(`sha256` null), so that no error body can be read as a page or as rule suites. A
request that gave no complete evidence makes the collection incomplete (`complete: false`);
the rules report that (CM012), never a pass.

After the last page, the first page is asked for again (the manifest lists it with `path`
null: its answer is compared, not kept): a pull request updated while the pages were read moves
ahead of the cursor and would be missed; if one shows up there, the collection is incomplete.

The files are collected into a directory beside OUT and replace `changes/` as a whole only when
the collection has finished; an interrupted or failed run leaves the previous `changes/` as it
was. The rule-suite files of earlier runs, and any file the collector did not write
(a `gh pr list` dump placed there by hand), are carried over.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

from soc2lint import __version__
from soc2lint.changes.query import (
    FOLLOW_UP,
    HISTORY,
    MIN_PAGE_SIZE,
    NESTED,
    PAGE_SIZE,
    PULL_REQUESTS,
    RULE_SUITE_FILE,
    follow_up_file,
    history_file,
    page_file,
)
from soc2lint.collect.github import iso, parse_repository, utc_now
from soc2lint.collect.http import Client, CollectError, Response
from soc2lint.progress import Progress

MANIFEST = "manifest.json"
QUERY_FILE = "graphql/query.graphql"
DEFAULT_DAYS = 365
_RULE_SUITES_NEED = (
    "listing rule suites needs the repository's Administration permission (fine-grained "
    "tokens and GitHub Apps) or a classic token with repo scope"
)
_ACTIVITY_NEED = "listing the repository's activity needs read access to the repository"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_SLOW = re.compile(r"(?i)time ?out|timed out")

Clock = Callable[[], datetime]


# --- the period --------------------------------------------------------------------------------


def parse_moment(text: str, option: str, *, end: bool = False) -> datetime:
    """`YYYY-MM-DD` (the day's start, or with `end` its last second, UTC) or RFC 3339."""
    value = text.strip()
    try:
        if _DATE.fullmatch(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            return day + timedelta(days=1, seconds=-1) if end else day
        m = _RFC3339.fullmatch(value)
        if m is None:
            raise ValueError(value)
        zone = "+00:00" if m.group(2) in "Zz" else m.group(2)
        moment = datetime.fromisoformat(m.group(1).replace("t", "T").replace(" ", "T") + zone)
    except ValueError:
        raise CollectError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD or RFC 3339, "
            "e.g. 2026-01-01 or 2026-01-01T00:00:00Z"
        ) from None
    return moment.astimezone(timezone.utc)


def period(since: str | None, until: str | None, now: datetime) -> tuple[datetime, datetime]:
    """`--since`/`--until` as UTC moments; default: the 365 days up to now."""
    end = parse_moment(until, "--until", end=True) if until else now
    start = parse_moment(since, "--since") if since else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise CollectError(f"--since {iso(start)} is not before --until {iso(end)}")
    return start, end


# --- one collection ----------------------------------------------------------------------------


class _Run:
    """The state of one collection: where files go, what was recorded, the totals."""

    def __init__(
        self,
        client: Client,
        owner: str,
        repo: str,
        staging: Path,
        clock: Clock,
        progress: Progress,
    ) -> None:
        self.client = client
        self.owner = owner
        self.repo = repo
        self.staging = staging
        self.prefix = f"github/{owner}/{repo}/changes/"
        self.clock = clock
        self.progress = progress
        self.files: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.complete = True
        self.points = 0
        self.pages = 0
        self.numbers: set[int] = set()
        self.in_period: set[int] = set()

    def show(self) -> None:
        self.progress.show(
            f"collecting changes: {self.pages} pages, {len(self.in_period)} pull requests, "
            f"{self.points} points"
        )

    def incomplete(self, note: str) -> None:
        self.complete = False
        self.notes.append(note)

    def record(
        self,
        rel: str | None,
        endpoint: str,
        answer: Response,
        *,
        write: bool,
        evidence: bool,
        note: str = "",
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write the answer (when `write`) and list it in the manifest."""
        digest = None
        if write and rel is not None:
            target = self.staging.joinpath(*PurePosixPath(rel).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(answer.body)
            digest = hashlib.sha256(answer.body).hexdigest()
        entry: dict[str, Any] = {
            "path": None if rel is None else self.prefix + rel,
            "endpoint": endpoint,
            "status": answer.status or None,
            "collected_at": iso(self.clock()),
            "sha256": digest,
            "pages": answer.pages,
            "evidence": evidence,
        }
        if not evidence:
            entry["note"] = note or "not evidence"
            self.complete = False
        if extra:
            entry.update(extra)
        self.files.append(entry)
        return entry

    def graphql(
        self, query: str, variables: Mapping[str, Any], *, retry_slow: bool = True
    ) -> tuple[Response, dict[str, Any] | None]:
        """A GraphQL answer and, when it is a 200 JSON object, that object (its cost counted)."""
        answer = self.client.post_graphql(query, variables, retry_slow=retry_slow)
        body = _json(answer.body) if answer.status == 200 else None
        if not isinstance(body, dict):
            return answer, None
        cost = _dig(body, "data", "rateLimit", "cost")
        if isinstance(cost, int):
            self.points += cost
        return answer, body

    def record_graphql(
        self,
        rel: str | None,
        endpoint: str,
        answer: Response,
        body: dict[str, Any] | None,
        extra: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record a GraphQL answer; True when it has data (maybe partial), which is written."""
        if body is None:
            note = _failure(answer)
            self.record(rel, endpoint, answer, write=False, evidence=False, note=note, extra=extra)
            return False
        data = body.get("data")
        errors = _errors(body)
        if errors:
            note = f"GraphQL errors (partial data at best, not evidence): {errors}"
        elif not isinstance(data, dict):
            note = "the answer has no data: not evidence"
        else:
            note = ""
        self.record(rel, endpoint, answer, write=True, evidence=not note, note=note, extra=extra)
        return isinstance(data, dict)


def collect_changes(
    client: Client,
    owner: str,
    repo: str,
    out: Path,
    *,
    branch: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    clock: Clock = utc_now,
    progress: IO[str] | None = None,
) -> dict[str, Any]:
    """Collect the change evidence of `branch` (default: the repository's default branch)
    between `since` and `until` (default: the 365 days up to now) into
    `out/github/OWNER/REPO/changes/`, and return its manifest.

    Raises CollectError, leaving the previous `changes/` as it was, when the collection cannot
    go on (the API unreachable, a rate limit too far away); an interruption leaves it too.
    """
    parse_repository(f"{owner}/{repo}")  # both safe as directory names
    started = clock()
    requests_before = client.requests
    until = until or started
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if branch is None:
        branch = _default_branch(client, owner, repo)
    target = out / "github" / owner / repo / "changes"
    parked = _beside(out, owner, repo, "previous")
    _recover(target, parked)
    staging = _beside(out, owner, repo, "collecting")
    shutil.rmtree(staging, ignore_errors=True)  # left over by a killed run
    staging.mkdir(parents=True)
    run = _Run(client, owner, repo, staging, clock, Progress(progress))
    try:
        (staging / "graphql").mkdir()
        (staging / QUERY_FILE).write_text(PULL_REQUESTS, encoding="utf-8")
        run.show()
        _pull_requests(run, branch, since, until)
        _history(run, branch, since, until)
        _activity(run, branch, since, started)
        _rule_suites(run, branch, started)
        _carry_over(target, staging, run)
        days = sorted(
            p.name.removesuffix(".json")
            for p in (staging / "rule-suites").glob("*.json")
            if (m := RULE_SUITE_FILE.match(p.name)) and m.group(3)
        )
        manifest: dict[str, Any] = {
            "tool": "soc2lint",
            "version": __version__,
            "api_url": client.api_url,
            "repository": f"{owner}/{repo}",
            "branch": branch,
            "since": iso(since),
            "until": iso(until),
            "query_sha256": hashlib.sha256(PULL_REQUESTS.encode("utf-8")).hexdigest(),
            "collected_at": iso(started),
            "complete": run.complete,
            "rule_suite_days": days,
            "totals": {
                "requests": client.requests - requests_before,
                "points": run.points,
                "pull_requests": len(run.in_period),
                "pages": run.pages,
            },
            "notes": run.notes,
            "files": run.files,
        }
        (staging / MANIFEST).write_bytes((json.dumps(manifest, indent=2) + "\n").encode())
    except CollectError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CollectError(f"{exc}{_kept(target)}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        run.progress.clear()
    _swap(staging, target, parked)
    return manifest


def _default_branch(client: Client, owner: str, repo: str) -> str:
    answer = client.get(f"/repos/{owner}/{repo}")
    info = _json(answer.body) if answer.status == 200 else None
    branch = info.get("default_branch") if isinstance(info, dict) else None
    if not isinstance(branch, str) or not branch:
        raise CollectError(
            f"cannot tell the default branch of {owner}/{repo} (GET /repos/{owner}/{repo} "
            f"answered {answer.status}): pass --branch"
        )
    return branch


# --- pull requests ------------------------------------------------------------------------------


def _pull_requests(run: _Run, branch: str, since: datetime, until: datetime) -> None:
    """Page PULL_REQUESTS until a page holds a pull request last updated before `since`."""
    size = PAGE_SIZE
    cursor: str | None = None
    index = 0
    while True:
        index += 1
        answer, body, size, attempts = _page(run, branch, size, cursor)
        rel = f"graphql/{page_file(index)}"
        endpoint = f"POST {run.client.show_graphql()} MergedPullRequests page {index} first={size}"
        extra = {"smaller_after": attempts} if attempts else None
        if not run.record_graphql(rel, endpoint, answer, body, extra):
            run.incomplete(f"pull requests after page {index - 1} were not collected")
            return
        run.pages += 1
        connection = _dig(body, "data", "repository", "pullRequests")
        if not isinstance(connection, dict):
            run.incomplete(
                f"page {index} holds no pull requests (no such repository?): "
                "the pages after it were not collected"
            )
            return
        older = False
        for node in _nodes(connection):
            older = _take(run, node, since, until) or older
        run.show()
        for node in _nodes(connection):
            _follow_ups(run, node)
        info = connection.get("pageInfo") or {}
        if older or not info.get("hasNextPage"):
            break
        following = info.get("endCursor")
        if not isinstance(following, str) or not following or following == cursor:
            run.incomplete(
                f"page {index} says there are more pull requests but gives no new cursor: "
                "the pages after it were not collected"
            )
            return
        cursor = following
    if index > 1:  # one page read everything at once: nothing could move past it
        _recheck(run, branch, size, since, until)


def _page(
    run: _Run, branch: str, size: int, cursor: str | None
) -> tuple[Response, dict[str, Any] | None, int, list[dict[str, Any]]]:
    """One page, asked again for half as many pull requests after a 502, 504 or timeout."""
    attempts: list[dict[str, Any]] = []
    while True:
        variables = {"owner": run.owner, "name": run.repo, "base": branch, "first": size}
        answer, body = run.graphql(PULL_REQUESTS, {**variables, "after": cursor}, retry_slow=False)
        if not _slow(answer, body) or size <= MIN_PAGE_SIZE:
            return answer, body, size, attempts
        attempts.append({"first": size, "status": answer.status or None, "note": _failure(answer)})
        size = max(MIN_PAGE_SIZE, size // 2)


def _slow(answer: Response, body: dict[str, Any] | None) -> bool:
    """A 502, 504 or timeout, or an answer without data whose error says it timed out."""
    if answer.status in (0, 502, 504):
        return True
    return body is not None and body.get("data") is None and bool(_SLOW.search(_errors(body)))


def _take(run: _Run, node: dict[str, Any], since: datetime, until: datetime) -> bool:
    """Count a pull request; True when it was last updated before `since`."""
    number = node.get("number")
    if isinstance(number, int):
        run.numbers.add(number)
        merged = _moment(node.get("mergedAt"))
        if merged is not None and since <= merged <= until:
            run.in_period.add(number)
    updated = _moment(node.get("updatedAt"))
    return updated is not None and updated < since


def _recheck(run: _Run, branch: str, size: int, since: datetime, until: datetime) -> None:
    """Ask for the first page again: a pull request updated while the pages were read moved
    ahead of the cursor, past the pages already read; if one merged in the period shows up
    there, it was missed."""
    variables = {"owner": run.owner, "name": run.repo, "base": branch, "first": size}
    answer, body = run.graphql(PULL_REQUESTS, {**variables, "after": None})
    endpoint = f"POST {run.client.show_graphql()} MergedPullRequests recheck first={size}"
    connection = _dig(body, "data", "repository", "pullRequests")
    errors = _errors(body)
    if not isinstance(connection, dict) or errors:
        note = f"GraphQL errors: {errors}" if errors else _failure(answer)
        run.record(None, endpoint, answer, write=False, evidence=False, note=note)
        run.notes.append(
            "the first page could not be asked for again after the last one: pull requests "
            "updated while the pages were read may be missing"
        )
        return
    run.record(None, endpoint, answer, write=False, evidence=True)
    missed: list[int] = []
    for node in _nodes(connection):
        number, merged = node.get("number"), _moment(node.get("mergedAt"))
        if not isinstance(number, int) or number in run.numbers:
            continue
        if merged is not None and since <= merged <= until:
            missed.append(number)
    if missed:
        listed = ", ".join(f"#{n}" for n in sorted(missed))
        run.incomplete(
            f"pull requests updated while the pages were read were not collected ({listed}): "
            "collect again"
        )


def _follow_ups(run: _Run, node: dict[str, Any]) -> None:
    """The next pages of each nested list the page says has more."""
    number = node.get("number")
    if not isinstance(number, int):
        return
    for field in NESTED:
        connection = node.get(field)
        info = connection.get("pageInfo") if isinstance(connection, dict) else None
        if not isinstance(info, dict) or not info.get("hasNextPage"):
            continue
        cursor = info.get("endCursor")
        index = 1
        while True:
            index += 1
            if not isinstance(cursor, str) or not cursor:
                run.incomplete(f"#{number} {field}: more pages but no cursor to ask for them")
                break
            variables = {"owner": run.owner, "name": run.repo, "number": number, "after": cursor}
            answer, body = run.graphql(FOLLOW_UP[field], variables)
            rel = f"graphql/{follow_up_file(number, field, index)}"
            endpoint = (
                f"POST {run.client.show_graphql()} PullRequest_{field} #{number} page {index}"
            )
            if not run.record_graphql(rel, endpoint, answer, body):
                run.incomplete(f"#{number} {field} after page {index - 1} were not collected")
                break
            run.show()
            page = _dig(body, "data", "repository", "pullRequest", field)
            info = page.get("pageInfo") if isinstance(page, dict) else None
            if not isinstance(info, dict):
                run.incomplete(f"#{number} {field} page {index} holds no {field}")
                break
            if not info.get("hasNextPage"):
                break
            if info.get("endCursor") == cursor:
                run.incomplete(f"#{number} {field} page {index} repeats its cursor")
                break
            cursor = info.get("endCursor")


# --- history, activity, rule suites -------------------------------------------------------------


def _history(run: _Run, branch: str, since: datetime, until: datetime) -> None:
    cursor: str | None = None
    index = 0
    while True:
        index += 1
        variables = {
            "owner": run.owner,
            "name": run.repo,
            "ref": f"refs/heads/{branch}",
            "since": iso(since),
            "until": iso(until),
            "after": cursor,
        }
        answer, body = run.graphql(HISTORY, variables)
        rel = f"graphql/{history_file(index)}"
        endpoint = f"POST {run.client.show_graphql()} BranchHistory page {index}"
        if not run.record_graphql(rel, endpoint, answer, body):
            run.incomplete(f"the branch history after page {index - 1} was not collected")
            return
        run.show()
        history = _dig(body, "data", "repository", "ref", "target", "history")
        if not isinstance(history, dict):
            repository = _dig(body, "data", "repository")
            if isinstance(repository, dict) and repository.get("ref") is None:
                run.incomplete(f"the history of refs/heads/{branch} is empty: no such branch?")
            else:
                run.incomplete(f"history page {index} holds no commits")
            return
        info = history.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        following = info.get("endCursor")
        if not isinstance(following, str) or not following or following == cursor:
            run.incomplete(f"history page {index} gives no new cursor: the rest was not collected")
            return
        cursor = following


def _activity(run: _Run, branch: str, since: datetime, started: datetime) -> None:
    ref = quote(f"refs/heads/{branch}", safe="/")
    request = f"/repos/{run.owner}/{run.repo}/activity?ref={ref}&time_period=year&per_page=100"
    answer = run.client.get_all(request)
    _record_list(run, "activity.json", f"GET {request}", answer, _ACTIVITY_NEED)
    if since < started - timedelta(days=DEFAULT_DAYS):
        run.notes.append(
            f"the activity API reaches back one year: pushes before "
            f"{iso(started - timedelta(days=DEFAULT_DAYS))} are not in activity.json"
        )


def _rule_suites(run: _Run, branch: str, started: datetime) -> None:
    day = started.astimezone(timezone.utc).strftime("%Y-%m-%d")
    request = (
        f"/repos/{run.owner}/{run.repo}/rulesets/rule-suites?ref={quote(branch, safe='/')}"
        "&time_period=month&rule_suite_result=bypass&per_page=100"
    )
    answer = run.client.get_all(request)
    _record_list(run, f"rule-suites/{day}.json", f"GET {request}", answer, _RULE_SUITES_NEED)


def _record_list(run: _Run, rel: str, endpoint: str, answer: Response, needs: str) -> None:
    """A REST list: written and evidence only when it answered 200 with a JSON list."""
    if answer.status == 200 and not answer.note and isinstance(_json(answer.body), list):
        run.record(rel, endpoint, answer, write=True, evidence=True)
        return
    note = _failure(answer)
    if answer.status in (403, 404):
        note += f"; {needs}"
    elif answer.status == 200 and not answer.note:
        note = "the body is not the JSON list this endpoint returns: not evidence"
    run.record(rel, endpoint, answer, write=False, evidence=False, note=note + "; not written")


# --- moving in ----------------------------------------------------------------------------------


def _beside(out: Path, owner: str, repo: str, what: str) -> Path:
    """A directory beside `out` (same file system: moved in by rename)."""
    out = out.absolute()
    return out.parent / f".{out.name or 'evidence'}.{owner}.{repo}.changes.{what}"


def _recover(target: Path, parked: Path) -> None:
    """Undo a swap a killed run left half done: the previous `changes/` is back in place."""
    if parked.exists():
        if target.exists():
            shutil.rmtree(parked, ignore_errors=True)
        else:
            os.replace(parked, target)


def _carry_over(target: Path, staging: Path, run: _Run) -> None:
    """Copy into `staging` what the previous `changes/` has and this run did not write: the
    rule suites of earlier runs, and files the collector does not write."""
    if not target.is_dir():
        return
    for path in sorted(_files(target)):
        rel = path.relative_to(target).as_posix()
        if rel in (MANIFEST, "activity.json") or rel.startswith("graphql/"):
            continue  # the collector's own, superseded
        copy = staging / rel
        if copy.exists() or copy.is_symlink():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy, follow_symlinks=False)
        if not (rel.startswith("rule-suites/") and RULE_SUITE_FILE.match(path.name)):
            run.notes.append(f"kept {run.prefix}{rel}: not written by the collector")


def _files(root: Path) -> Iterator[Path]:
    for directory, _, names in os.walk(root):
        for name in names:
            yield Path(directory) / name


def _swap(staging: Path, target: Path, parked: Path) -> None:
    """Replace `target` by `staging`, keeping the previous one until the new one is in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.replace(target, parked)
    os.replace(staging, target)
    shutil.rmtree(parked, ignore_errors=True)


def _kept(target: Path) -> str:
    if (target / MANIFEST).is_file():
        return f"; the previous change evidence in {target} was left unchanged"
    return f"; nothing was written to {target}"


# --- answers --------------------------------------------------------------------------------------


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _nodes(connection: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [n for n in connection.get("nodes") or () if isinstance(n, dict)]


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_moment(value, "")
    except CollectError:
        return None


def _errors(body: Any) -> str:
    """The messages of a GraphQL answer's `errors`, on one line; "" when there are none."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return ""
    messages = []
    for error in errors if isinstance(errors, list) else [errors]:
        message = error.get("message") if isinstance(error, dict) else None
        kind = error.get("type") if isinstance(error, dict) else None
        text = " ".join(str(message or error).split())
        messages.append(f"{kind}: {text}" if kind else text)
    joined = "; ".join(messages)
    return joined if len(joined) <= 300 else joined[:297] + "..."


def _failure(answer: Response) -> str:
    """Why an answer is no evidence, as the manifest and the notes say it."""
    body = _json(answer.body)
    message = body.get("message") if isinstance(body, dict) else None
    said = f" (GitHub: {' '.join(message.split())[:200]})" if isinstance(message, str) else ""
    if answer.status == 0:
        return answer.note or "no answer"
    if answer.note:
        return answer.note + said
    if answer.status == 401:
        return "unauthorized: the token was rejected" + said
    if answer.status == 403:
        return "forbidden" + said
    if answer.status == 404:
        return "not found, or not visible to this token" + said
    if answer.status == 200:
        return "the body is not a GraphQL answer (a JSON object)"
    return f"HTTP {answer.status}" + said
