"""`soc2lint collect github --changes`: against a real local HTTP server that answers GraphQL
POSTs by operation name and cursor, and the REST lists of activity and rule suites."""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from soc2lint import __version__
from soc2lint.changes.query import FOLLOW_UP, HISTORY, PULL_REQUESTS
from soc2lint.collect.changes import collect_changes, parse_moment, period
from soc2lint.collect.github import collect
from soc2lint.collect.http import Client, CollectError, RetryPolicy
from tests.test_collect import NOW, PINNED, TOKEN, load_scenario

SINCE = datetime(2024, 1, 1, tzinfo=timezone.utc)
UNTIL = datetime(2024, 4, 30, 23, 59, 59, tzinfo=timezone.utc)
ACTIVITY = "/repos/acme/widgets/activity?ref=refs/heads/main&time_period=year&per_page=100"
SUITES = (
    "/repos/acme/widgets/rulesets/rule-suites?ref=main&time_period=month"
    "&rule_suite_result=bypass&per_page=100"
)
CHANGES = "github/acme/widgets/changes"
QUERIES = {
    "MergedPullRequests": PULL_REQUESTS,
    "BranchHistory": HISTORY,
    **{f"PullRequest_{field}": text for field, text in FOLLOW_UP.items()},
}

Run = Callable[..., tuple[int, str, str]]


# --- the server ----------------------------------------------------------------------------------


class Answer(NamedTuple):
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = {}
    drop: bool = False  # close the connection without an answer
    delay: float = 0.0  # seconds before answering


def answer(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(value, indent=1).encode(), headers or {})


def cost_of(a: Answer) -> int:
    """The rate-limit points a served GraphQL answer carries (0 when it carries none)."""
    try:
        data = json.loads(a.body).get("data") or {}
    except (ValueError, AttributeError):
        return 0
    return int((data.get("rateLimit") or {}).get("cost") or 0)


class Server:
    """A real HTTP server: GET by path and query, POST /graphql by operation and `after`."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.graphql_path = "/api/graphql" if prefix == "/api/v3" else prefix + "/graphql"
        self.rest: dict[str, list[Answer]] = {
            key: [Answer(r.status, r.body, r.headers, r.drop) for r in replies]
            for key, replies in load_scenario("acme-widgets.json").items()
        }
        self.graphql: dict[tuple[str, str | None], list[Answer]] = {}
        self.served: dict[Any, int] = {}
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.gets: list[str] = []
        self.points = 0
        self.problems: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.handle(self, self.rfile.read(length))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}{prefix}"
        self.thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def set(self, key: str, *answers: Answer) -> None:
        self.rest[key] = list(answers)

    def on(self, operation: str, after: str | None, *answers: Answer) -> None:
        self.graphql[(operation, after)] = list(answers)

    def requests(self) -> int:
        return len(self.posts) + len(self.gets)

    def handle(self, h: BaseHTTPRequestHandler, body: bytes | None) -> None:
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self.lock:
            for name, value in {
                "authorization": f"Bearer {TOKEN}",
                "user-agent": f"soc2lint/{__version__}",
                "accept": "application/vnd.github+json",
            }.items():
                if headers.get(name) != value:
                    self.problems.append(f"{h.path}: header {name} is {headers.get(name)!r}")
            if TOKEN in h.path or (body and TOKEN.encode() in body):
                self.problems.append("the token was sent outside the Authorization header")
            if body is None:
                self.gets.append(h.path)
                key: Any = h.path[len(self.prefix) :] if h.path.startswith(self.prefix) else None
                answers = self.rest.get(key) if key is not None else None
            else:
                key, answers = self._graphql(h.path, headers, body)
            if answers is None:
                self.problems.append(f"unrecorded request {h.path} {key}")
                a = answer({"message": "Not Found"}, 404)
            else:
                n = self.served.get(key, 0)
                self.served[key] = n + 1
                a = answers[min(n, len(answers) - 1)]
                if a.status == 200 and not a.drop:
                    self.points += cost_of(a)
        if a.delay:
            time.sleep(a.delay)
        if a.drop:
            h.close_connection = True
            return
        try:
            h.send_response(a.status)
            for name, value in a.headers.items():
                h.send_header(name, value.replace("{base}", self.base))
            h.send_header("Content-Type", "application/json; charset=utf-8")
            h.send_header("Content-Length", str(len(a.body)))
            h.end_headers()
            h.wfile.write(a.body)
        except OSError:  # the client gave up waiting
            pass

    def _graphql(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Any, list[Answer] | None]:
        if path != self.graphql_path:
            self.problems.append(f"POST to {path}, not {self.graphql_path}")
            return path, None
        if headers.get("content-type") != "application/json":
            self.problems.append(f"POST with content-type {headers.get('content-type')!r}")
        request = json.loads(body)
        query, variables = request["query"], request["variables"]
        m = re.match(r"query (\w+)", query)
        operation = m.group(1) if m else "?"
        if QUERIES.get(operation) != query:
            self.problems.append(f"{operation}: not the contract's query text")
        self.posts.append((operation, variables))
        key = (operation, variables.get("after"))
        return key, self.graphql.get(key)

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [v for op, v in self.posts if op == operation]


@pytest.fixture
def server() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(prefix: str = "", scenario: bool = True) -> Server:
        s = Server(prefix)
        if scenario:
            standard(s)
        s.thread.start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.http.shutdown()
        s.http.server_close()
        s.thread.join(5)
    assert [p for s in started for p in s.problems] == []


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("soc2lint.collect.github.utc_now", lambda: PINNED)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


# --- hand-written pages --------------------------------------------------------------------------


def connection(nodes: list[Any], more: str | None = None, total: int | None = None) -> Any:
    return {
        "totalCount": total if total is not None else len(nodes) + (1 if more else 0),
        "pageInfo": {"hasNextPage": more is not None, "endCursor": more or "end"},
        "nodes": nodes,
    }


def pr(number: int, updated: str, merged: str | None = None, **more: str) -> dict[str, Any]:
    """A merged pull request; `more={field: cursor}` says a nested list has another page."""
    merged = merged or updated
    return {
        "number": number,
        "url": f"https://github.com/acme/widgets/pull/{number}",
        "title": f"WID-{number}: a change",
        "body": "",
        "createdAt": merged,
        "updatedAt": updated,
        "mergedAt": merged,
        "isCrossRepository": False,
        "author": {"__typename": "User", "login": "alice"},
        "mergedBy": {"__typename": "User", "login": "alice"},
        "baseRefName": "main",
        "headRefName": f"wid-{number}",
        "headRefOid": f"{number:040x}",
        "mergeCommit": {"oid": f"{number + 1000:040x}"},
        "reviews": connection(
            [
                {
                    "state": "APPROVED",
                    "submittedAt": merged,
                    "authorAssociation": "MEMBER",
                    "body": "",
                    "author": {"__typename": "User", "login": "bob"},
                    "commit": {"oid": f"{number:040x}"},
                }
            ],
            more.get("reviews"),
        ),
        "commits": connection(
            [{"commit": {"oid": f"{number:040x}", "messageHeadline": "work"}}], more.get("commits")
        ),
        "files": connection(
            [{"path": "app.py", "additions": 1, "deletions": 0}], more.get("files")
        ),
        "timelineItems": connection([], more.get("timelineItems")),
    }


def gql(data: dict[str, Any], cost: int = 1) -> Answer:
    rate = {"cost": cost, "remaining": 4999, "resetAt": "2024-05-01T13:00:00Z", "nodeCount": 10}
    return answer({"data": {"rateLimit": rate, **data}})


def page(nodes: list[Any], more: str | None = None, cost: int = 4) -> Answer:
    return gql({"repository": {"pullRequests": connection(nodes, more)}}, cost)


def follow_up(field: str, nodes: list[Any], more: str | None = None) -> Answer:
    return gql({"repository": {"pullRequest": {field: connection(nodes, more)}}})


def history(oids: list[str], more: str | None = None) -> Answer:
    nodes = [
        {
            "oid": oid,
            "committedDate": "2024-03-01T12:00:00Z",
            "messageHeadline": "Merge pull request",
            "parents": {"nodes": []},
            "associatedPullRequests": {"nodes": []},
        }
        for oid in oids
    ]
    target = {"oid": oids[0] if oids else "", "history": connection(nodes, more)}
    return gql({"repository": {"ref": {"target": target}}}, 2)


PAGE_1 = [
    pr(31, "2024-05-01T10:00:00Z"),  # merged after the period: read, not counted
    pr(30, "2024-04-20T10:00:00Z"),
    pr(29, "2024-04-10T10:00:00Z", "2023-11-01T10:00:00Z"),  # merged before, updated in it
]
PAGE_2 = [pr(28, "2024-03-01T10:00:00Z"), pr(27, "2024-02-01T10:00:00Z")]
PAGE_3 = [pr(26, "2024-01-05T10:00:00Z"), pr(25, "2023-12-20T10:00:00Z")]  # 25: before since
SUITE = {
    "id": 9,
    "actor_name": "carol",
    "before_sha": "a" * 40,
    "after_sha": "b" * 40,
    "ref": "refs/heads/main",
    "pushed_at": "2024-04-25T10:00:00Z",
    "result": "bypass",
}


def standard(s: Server) -> None:
    """Three pages of pull requests (the third reaches before `since`; a fourth exists but must
    not be asked for), two of history, no activity, one rule-suite bypass."""
    s.on("MergedPullRequests", None, page(PAGE_1, "p1"))
    s.on("MergedPullRequests", "p1", page(PAGE_2, "p2"))
    s.on("MergedPullRequests", "p2", page(PAGE_3, "p3"))
    s.on("BranchHistory", None, history(["c3", "c2"], "h1"))
    s.on("BranchHistory", "h1", history(["c1"]))
    s.set(ACTIVITY, answer([]))
    s.set(SUITES, answer([SUITE]))


def client_of(s: Server, sleeps: list[float] | None = None, **kw: Any) -> Client:
    retry = kw.pop("retry", {})
    return Client(
        s.base,
        TOKEN,
        timeout=kw.pop("timeout", 5),
        retry=RetryPolicy(**{"base_delay": 0.01, **retry}),
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: NOW,
    )


def run_changes(s: Server, out: Path, client: Client | None = None, **kw: Any) -> dict[str, Any]:
    return collect_changes(
        client or client_of(s),
        "acme",
        "widgets",
        out,
        branch=kw.pop("branch", "main"),
        since=kw.pop("since", SINCE),
        until=kw.pop("until", UNTIL),
        clock=lambda: PINNED,
        **kw,
    )


def manifest_at(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / CHANGES / "manifest.json").read_text("utf-8"))
    return data


def entry(manifest: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in manifest["files"] if e["path"] == f"{CHANGES}/{path}")
    return found


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def written(out: Path) -> list[str]:
    return sorted(p.relative_to(out / CHANGES).as_posix() for p in (out / CHANGES).rglob("*"))


# --- paging --------------------------------------------------------------------------------------


def test_pages_until_one_reaches_before_since(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    manifest = run_changes(s, tmp_path)
    assert written(tmp_path) == [
        "activity.json",
        "graphql",
        "graphql/history-0001.json",
        "graphql/history-0002.json",
        "graphql/prs-0001.json",
        "graphql/prs-0002.json",
        "graphql/prs-0003.json",
        "graphql/query.graphql",
        "manifest.json",
        "rule-suites",
        "rule-suites/2024-05-01.json",
    ]
    # the pages as served, byte for byte; the query as sent
    graphql = tmp_path / CHANGES / "graphql"
    for index, after in ((1, None), (2, "p1"), (3, "p2")):
        served = s.graphql[("MergedPullRequests", after)][0].body
        assert (graphql / f"prs-{index:04d}.json").read_bytes() == served
    assert (graphql / "query.graphql").read_text("utf-8") == PULL_REQUESTS
    # page 4 is never asked for; the first page is asked for again at the end
    assert [(v["after"], v["first"]) for v in s.sent("MergedPullRequests")] == [
        (None, 50),
        ("p1", 50),
        ("p2", 50),
        (None, 50),
    ]
    assert s.sent("MergedPullRequests")[0] == {
        "owner": "acme",
        "name": "widgets",
        "base": "main",
        "first": 50,
        "after": None,
    }
    assert {k: manifest[k] for k in list(manifest)[:11]} == {
        "tool": "soc2lint",
        "version": __version__,
        "api_url": s.base,
        "repository": "acme/widgets",
        "branch": "main",
        "since": "2024-01-01T00:00:00Z",
        "until": "2024-04-30T23:59:59Z",
        "query_sha256": hashlib.sha256(PULL_REQUESTS.encode()).hexdigest(),
        "collected_at": "2024-05-01T12:00:00Z",
        "complete": True,
        "rule_suite_days": ["2024-05-01"],
    }
    # 30, 28, 27, 26 merged in the period; 31 after it, 29 and 25 before it
    assert manifest["totals"]["pull_requests"] == 4
    assert manifest["totals"]["pages"] == 3
    assert [(e["path"], e["endpoint"], e["status"], e["evidence"]) for e in manifest["files"]] == [
        (
            f"{CHANGES}/graphql/prs-0001.json",
            "POST /graphql MergedPullRequests page 1 first=50",
            200,
            True,
        ),
        (
            f"{CHANGES}/graphql/prs-0002.json",
            "POST /graphql MergedPullRequests page 2 first=50",
            200,
            True,
        ),
        (
            f"{CHANGES}/graphql/prs-0003.json",
            "POST /graphql MergedPullRequests page 3 first=50",
            200,
            True,
        ),
        (None, "POST /graphql MergedPullRequests recheck first=50", 200, True),
        (f"{CHANGES}/graphql/history-0001.json", "POST /graphql BranchHistory page 1", 200, True),
        (f"{CHANGES}/graphql/history-0002.json", "POST /graphql BranchHistory page 2", 200, True),
        (f"{CHANGES}/activity.json", f"GET {ACTIVITY}", 200, True),
        (f"{CHANGES}/rule-suites/2024-05-01.json", f"GET {SUITES}", 200, True),
    ]
    for e in manifest["files"]:
        assert "note" not in e and e["collected_at"] == "2024-05-01T12:00:00Z"
        if e["path"]:
            body = (tmp_path / e["path"]).read_bytes()
            assert e["sha256"] == hashlib.sha256(body).hexdigest()
    assert json.loads((tmp_path / CHANGES / "rule-suites/2024-05-01.json").read_bytes()) == [SUITE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["github"]  # no staging left


def test_one_page_that_reaches_before_since_is_all(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.on("MergedPullRequests", None, page([pr(30, "2024-04-20T10:00:00Z"), *PAGE_3]))
    manifest = run_changes(s, tmp_path)
    assert [v["after"] for v in s.sent("MergedPullRequests")] == [None]  # no recheck needed
    assert manifest["totals"]["pull_requests"] == 2 and manifest["complete"]


def test_the_last_page_without_a_next_one_ends_paging(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.on("MergedPullRequests", "p1", page(PAGE_2))  # everything merged is newer than since
    manifest = run_changes(s, tmp_path)
    assert [v["after"] for v in s.sent("MergedPullRequests")] == [None, "p1", None]
    assert manifest["totals"]["pages"] == 2 and manifest["complete"]


def test_nested_lists_with_more_pages_are_followed_up(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.on(
        "MergedPullRequests",
        "p1",
        page(
            [
                pr(28, "2024-03-01T10:00:00Z", commits="c28-1"),
                pr(27, "2024-02-01T10:00:00Z", reviews="r27-1", timelineItems="t27-1"),
                pr(24, "2024-02-01T09:00:00Z", files="f24-1"),
            ],
            "p2",
        ),
    )
    commit = {"commit": {"oid": "1" * 40, "messageHeadline": "more"}}
    s.on("PullRequest_commits", "c28-1", follow_up("commits", [commit] * 100, "c28-2"))
    s.on("PullRequest_commits", "c28-2", follow_up("commits", [commit] * 3))
    s.on("PullRequest_reviews", "r27-1", follow_up("reviews", [{"state": "COMMENTED"}]))
    s.on("PullRequest_timelineItems", "t27-1", follow_up("timelineItems", []))
    s.on("PullRequest_files", "f24-1", follow_up("files", [{"path": "b.py"}]))
    manifest = run_changes(s, tmp_path)
    assert manifest["complete"]
    graphql = tmp_path / CHANGES / "graphql"
    assert sorted(p.name for p in graphql.glob("pr-*")) == [
        "pr-24-files-2.json",
        "pr-27-reviews-2.json",
        "pr-27-timelineItems-2.json",
        "pr-28-commits-2.json",
        "pr-28-commits-3.json",
    ]
    assert (graphql / "pr-28-commits-3.json").read_bytes() == s.graphql[
        ("PullRequest_commits", "c28-2")
    ][0].body
    assert s.sent("PullRequest_commits") == [
        {"owner": "acme", "name": "widgets", "number": 28, "after": "c28-1"},
        {"owner": "acme", "name": "widgets", "number": 28, "after": "c28-2"},
    ]
    assert entry(manifest, "graphql/pr-28-commits-3.json")["endpoint"] == (
        "POST /graphql PullRequest_commits #28 page 3"
    )
    # the follow-ups come right after their page, before the next page
    order = [op for op, _ in s.posts]
    assert order.index("PullRequest_files") < order.index("MergedPullRequests", 2)


def test_a_502_halves_the_page_size_from_the_same_cursor(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    failure = answer({"data": None, "errors": [{"message": "Something went wrong"}]}, 502)
    s.on("MergedPullRequests", "p1", failure, page(PAGE_2, "p2"))
    sleeps: list[float] = []
    manifest = run_changes(s, tmp_path, client_of(s, sleeps))
    assert [(v["after"], v["first"]) for v in s.sent("MergedPullRequests")] == [
        (None, 50),
        ("p1", 50),
        ("p1", 25),
        ("p2", 25),  # the smaller size stays
        (None, 25),
    ]
    assert sleeps == []  # not retried at the same size
    e = entry(manifest, "graphql/prs-0002.json")
    assert e["endpoint"] == "POST /graphql MergedPullRequests page 2 first=25"
    assert e["evidence"] and e["smaller_after"] == [
        {"first": 50, "status": 502, "note": "HTTP 502"}
    ]
    assert manifest["complete"] and manifest["totals"]["requests"] == s.requests()


def test_a_page_that_keeps_failing_is_recorded_at_the_smallest_size(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.on("MergedPullRequests", "p1", answer({"message": "timeout"}, 504))
    manifest = run_changes(s, tmp_path)
    assert [v["first"] for v in s.sent("MergedPullRequests")] == [50, 50, 25, 12, 6, 5]
    e = entry(manifest, "graphql/prs-0002.json")
    assert (e["status"], e["sha256"], e["evidence"]) == (504, None, False)
    assert e["note"] == "HTTP 504 (GitHub: timeout)"
    assert [a["first"] for a in e["smaller_after"]] == [50, 25, 12, 6]
    assert not manifest["complete"]
    assert "pull requests after page 1 were not collected" in manifest["notes"]
    assert not (tmp_path / CHANGES / "graphql/prs-0002.json").exists()
    # the run went on: history, activity, rule suites
    assert entry(manifest, "graphql/history-0002.json")["evidence"]
    assert entry(manifest, "rule-suites/2024-05-01.json")["evidence"]


def test_a_timeout_halves_the_page_size_too(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    s.on("MergedPullRequests", "p1", Answer(200, b"{}", delay=1.0), page(PAGE_2, "p2"))
    manifest = run_changes(s, tmp_path, client_of(s, timeout=0.3))
    assert [v["first"] for v in s.sent("MergedPullRequests")][:3] == [50, 50, 25]
    e = entry(manifest, "graphql/prs-0002.json")
    assert e["smaller_after"] == [
        {"first": 50, "status": None, "note": "no complete answer within 0.3 s (1 attempts)"}
    ]
    assert manifest["complete"]


def test_an_answer_that_timed_out_inside_graphql_halves_too(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    """GitHub's 200 without data: "Something went wrong ... This may be the result of a timeout"."""
    s = server()
    message = (
        "Something went wrong while executing your query. This may be the result of a timeout, "
        "or it could be a GitHub bug."
    )
    timed_out = answer({"data": None, "errors": [{"message": message}]})
    s.on("MergedPullRequests", "p1", timed_out, page(PAGE_2, "p2"))
    manifest = run_changes(s, tmp_path)
    assert [v["first"] for v in s.sent("MergedPullRequests")][:3] == [50, 50, 25]
    assert manifest["complete"]


def test_graphql_errors_are_recorded_and_never_evidence(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    partial = json.loads(page(PAGE_2, "p2").body)
    partial["data"]["repository"]["pullRequests"]["nodes"][1]["reviews"] = None
    partial["errors"] = [
        {"type": "INTERNAL", "message": "Something went wrong", "path": ["repository"]}
    ]
    s.on("MergedPullRequests", "p1", answer(partial))
    manifest = run_changes(s, tmp_path)
    e = entry(manifest, "graphql/prs-0002.json")
    assert (e["status"], e["evidence"]) == (200, False)
    assert e["note"] == (
        "GraphQL errors (partial data at best, not evidence): INTERNAL: Something went wrong"
    )
    assert (tmp_path / CHANGES / "graphql/prs-0002.json").read_bytes() == answer(partial).body
    assert entry(manifest, "graphql/prs-0003.json")["evidence"]  # paging went on
    assert manifest["complete"] is False


def test_an_answer_without_data_stops_paging(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    s.on("MergedPullRequests", None, answer({"errors": [{"message": "Bad credentials"}]}, 401))
    manifest = run_changes(s, tmp_path)
    e = entry(manifest, "graphql/prs-0001.json")
    assert (e["status"], e["sha256"], e["note"]) == (
        401,
        None,
        "unauthorized: the token was rejected",
    )
    assert [v["after"] for v in s.sent("MergedPullRequests")] == [None]
    assert not manifest["complete"] and manifest["totals"]["pages"] == 0


def test_a_follow_up_that_fails_is_recorded_and_the_run_goes_on(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.on("MergedPullRequests", "p1", page([pr(28, "2024-03-01T10:00:00Z", commits="c1")], "p2"))
    s.on("PullRequest_commits", "c1", answer({"message": "Server Error"}, 500))
    manifest = run_changes(s, tmp_path, client_of(s, retry={"attempts": 2}))
    assert len(s.sent("PullRequest_commits")) == 2  # retried at the same size: it is fixed
    e = entry(manifest, "graphql/pr-28-commits-2.json")
    assert (e["status"], e["evidence"]) == (500, False)
    assert "#28 commits after page 1 were not collected" in manifest["notes"]
    assert entry(manifest, "graphql/prs-0003.json")["evidence"]


def test_a_pull_request_updated_while_paging_is_reported(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    moved = pr(20, "2024-05-01T11:59:00Z", "2024-02-10T10:00:00Z")  # was beyond the cursor
    s.on("MergedPullRequests", None, page(PAGE_1, "p1"), page([moved, *PAGE_1], "p1"))
    manifest = run_changes(s, tmp_path)
    assert not manifest["complete"]
    assert manifest["notes"] == [
        "pull requests updated while the pages were read were not collected (#20): collect again"
    ]


# --- history, activity, rule suites --------------------------------------------------------------


def test_history_is_paged_over_the_period(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    run_changes(s, tmp_path)
    assert s.sent("BranchHistory") == [
        {
            "owner": "acme",
            "name": "widgets",
            "ref": "refs/heads/main",
            "since": "2024-01-01T00:00:00Z",
            "until": "2024-04-30T23:59:59Z",
            "after": after,
        }
        for after in (None, "h1")
    ]
    graphql = tmp_path / CHANGES / "graphql"
    assert (graphql / "history-0002.json").read_bytes() == s.graphql[("BranchHistory", "h1")][
        0
    ].body


def test_history_of_a_missing_branch_is_incomplete(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.on("BranchHistory", None, gql({"repository": {"ref": None}}))
    manifest = run_changes(s, tmp_path)
    assert "the history of refs/heads/main is empty: no such branch?" in manifest["notes"]
    assert not manifest["complete"]


def test_activity_in_two_rest_pages(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    first = [{"id": 1, "activity_type": "push", "ref": "refs/heads/main"}]
    second = [{"id": 2, "activity_type": "force_push", "ref": "refs/heads/main"}]
    s.set(
        ACTIVITY,
        answer(first, headers={"Link": '<{base}/repositories/7/activity?after=x1>; rel="next"'}),
    )
    s.set("/repositories/7/activity?after=x1", answer(second))
    manifest = run_changes(s, tmp_path)
    assert json.loads((tmp_path / CHANGES / "activity.json").read_bytes()) == first + second
    e = entry(manifest, "activity.json")
    assert (e["pages"], e["evidence"]) == (2, True)
    assert manifest["totals"]["requests"] == s.requests()


def test_forbidden_rule_suites_are_recorded_and_not_fatal(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.set(SUITES, answer({"message": "Resource not accessible by personal access token"}, 403))
    manifest = run_changes(s, tmp_path)
    e = entry(manifest, "rule-suites/2024-05-01.json")
    assert (e["status"], e["sha256"], e["evidence"]) == (403, None, False)
    assert e["note"] == (
        "forbidden (GitHub: Resource not accessible by personal access token); listing rule "
        "suites needs the repository's Administration permission (fine-grained tokens and "
        "GitHub Apps) or a classic token with repo scope; not written"
    )
    assert not (tmp_path / CHANGES / "rule-suites").exists()
    assert manifest["rule_suite_days"] == [] and not manifest["complete"]


def test_earlier_rule_suite_days_and_foreign_files_are_kept(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    old = tmp_path / CHANGES
    (old / "rule-suites").mkdir(parents=True)
    (old / "rule-suites/2024-03-31.json").write_text("[]\n")
    (old / "rule-suites/2024-05-01.json").write_text('[{"stale": true}]\n')  # replaced
    (old / "gh-pr-list.json").write_text("[]\n")
    (old / "graphql").mkdir()
    (old / "graphql/prs-0009.json").write_text("{}")  # an earlier run's page: superseded
    manifest = run_changes(s, tmp_path)
    assert manifest["rule_suite_days"] == ["2024-03-31", "2024-05-01"]
    assert (old / "rule-suites/2024-03-31.json").read_text() == "[]\n"
    assert json.loads((old / "rule-suites/2024-05-01.json").read_bytes()) == [SUITE]
    assert (old / "gh-pr-list.json").read_text() == "[]\n"
    assert not (old / "graphql/prs-0009.json").exists()
    assert manifest["notes"] == [f"kept {CHANGES}/gh-pr-list.json: not written by the collector"]
    # a month that cannot be read this time keeps its earlier file
    s.set(SUITES, answer({"message": "Must have admin rights to Repository."}, 403))
    manifest = run_changes(s, tmp_path)
    assert manifest["rule_suite_days"] == ["2024-03-31", "2024-05-01"]
    assert json.loads((old / "rule-suites/2024-05-01.json").read_bytes()) == [SUITE]


# --- trust: the token, failures, interruptions ---------------------------------------------------


def test_the_token_appears_nowhere(run: Run, server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    s.on("MergedPullRequests", "p2", answer({"message": "Bad gateway"}, 502))
    out = tmp_path / ".soc2"
    code, stdout, stderr = run(
        "collect", "github", "acme/widgets", "--out", str(out), "--api-url", s.base,
        "--changes", "--since", "2024-01-01", "--until", "2024-04-30",
    )  # fmt: skip
    assert code == 1
    assert TOKEN not in stdout + stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    # server-side: the token only ever in the Authorization header (checked for every request)


def test_dropped_connections_stop_the_run_and_keep_the_previous_evidence(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    run_changes(s, tmp_path)
    before = snapshot(tmp_path)
    s.on("MergedPullRequests", "p2", Answer(drop=True))
    with pytest.raises(CollectError) as caught:
        run_changes(s, tmp_path, client_of(s, retry={"attempts": 3}))
    assert str(caught.value).startswith("POST /graphql: no answer from ")
    assert str(caught.value).endswith(
        f"after 3 attempts (RemoteDisconnected: Remote end closed connection without "
        f"response); the previous change evidence in {tmp_path / CHANGES} was left unchanged"
    )
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["github"]


def test_an_interruption_keeps_the_previous_evidence(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    run_changes(s, tmp_path)
    before = snapshot(tmp_path)
    s.on(
        "BranchHistory",
        "h1",
        answer({"message": "slow down"}, 429, {"Retry-After": "1"}),
    )

    def interrupt(seconds: float) -> None:  # Ctrl-C while waiting out the rate limit
        raise KeyboardInterrupt

    client = Client(s.base, TOKEN, timeout=5, sleep=interrupt, now=lambda: NOW)
    with pytest.raises(KeyboardInterrupt):
        run_changes(s, tmp_path, client)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["github"]


def test_a_swap_cut_short_is_undone_by_the_next_run(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    """A run killed between moving the old changes/ aside and moving the new one in."""
    s = server()
    run_changes(s, tmp_path)
    parked = tmp_path.parent / f".{tmp_path.name}.acme.widgets.changes.previous"
    (tmp_path / CHANGES).rename(parked)
    s.set(SUITES, answer({"message": "Must have admin rights to Repository."}, 403))
    manifest = run_changes(s, tmp_path)
    assert manifest["rule_suite_days"] == ["2024-05-01"]  # carried over from the parked run
    assert not parked.exists()


def test_graphql_rate_limit_is_waited_out(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    limited = answer(
        {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
        200,
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
    )
    s.on("MergedPullRequests", "p1", limited, page(PAGE_2, "p2"))
    sleeps: list[float] = []
    manifest = run_changes(s, tmp_path, client_of(s, sleeps))
    assert sleeps == [30.0]
    assert manifest["complete"] and entry(manifest, "graphql/prs-0002.json")["evidence"]
    assert manifest["totals"]["requests"] == s.requests() == 9


def test_a_graphql_rate_limit_too_far_away_stops_the_run(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    limited = answer(
        {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
        403,
        {"x-ratelimit-reset": str(int(NOW) + 3600)},
    )
    s.on("MergedPullRequests", None, limited)
    with pytest.raises(CollectError, match=r"^POST /graphql: rate limited until 13:00:00 UTC"):
        run_changes(s, tmp_path)
    assert not (tmp_path / "github").exists()


def test_totals_are_what_the_server_saw(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    s.on("MergedPullRequests", "p1", page([pr(28, "2024-03-01T10:00:00Z", commits="c1")], "p2"))
    s.on("PullRequest_commits", "c1", follow_up("commits", []))
    manifest = run_changes(s, tmp_path)
    # 3 pages + 1 follow-up + recheck + 2 history pages + activity + rule suites
    assert manifest["totals"]["requests"] == s.requests() == 9
    assert manifest["totals"]["points"] == s.points == 4 + 4 + 1 + 4 + 4 + 2 + 2


def test_the_graphql_endpoint_of_an_enterprise_server(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server("/api/v3")
    manifest = run_changes(s, tmp_path)
    assert manifest["complete"]
    assert (
        manifest["files"][0]["endpoint"] == "POST /api/graphql MergedPullRequests page 1 first=50"
    )
    assert s.gets[0] == f"/api/v3{ACTIVITY}"


def test_a_graphql_redirect_is_not_followed(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    s.on(
        "MergedPullRequests",
        None,
        Answer(307, b"", {"Location": "https://elsewhere.example/graphql"}),
    )
    manifest = run_changes(s, tmp_path)
    e = manifest["files"][0]
    assert (e["status"], e["evidence"]) == (307, False)
    assert e["note"] == "redirected; not followed (the token stays here)"
    assert len(s.sent("MergedPullRequests")) == 1


def test_the_default_branch_is_read_when_none_is_given(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    manifest = run_changes(s, tmp_path, branch=None)
    assert manifest["branch"] == "main" and s.gets[0] == "/repos/acme/widgets"


# --- progress ------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    stream = Terminal()
    run_changes(s, tmp_path, progress=stream)
    text = stream.getvalue()
    assert text.startswith("\rsoc2lint: collecting changes: 0 pages, 0 pull requests, 0 points")
    assert "\rsoc2lint: collecting changes: 3 pages, 4 pull requests, 12 points" in text
    assert "\n" not in text
    assert text.endswith("\r" + " " * len(text.rsplit("\r", 2)[1]) + "\r")  # cleared


def test_no_progress_when_not_a_terminal(server: Callable[..., Server], tmp_path: Path) -> None:
    s = server()
    stream = io.StringIO()
    run_changes(s, tmp_path, progress=stream)
    assert stream.getvalue() == ""


# --- the command line ----------------------------------------------------------------------------


def cli(run: Run, s: Server, out: Path, *extra: str) -> tuple[int, str, str]:
    return run("collect", "github", "acme/widgets", "--out", str(out), "--api-url", s.base, *extra)


def test_settings_then_changes_end_to_end(
    run: Run, server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    out = tmp_path / ".soc2"
    code, stdout, stderr = cli(
        run, s, out, "--changes", "--since", "2024-01-01", "--until", "2024-04-30T23:59:59Z"
    )
    assert (code, stderr) == (0, "")
    lines = stdout.splitlines()
    assert lines[0].startswith("Collected 13 endpoints of acme/widgets (branch main)")
    assert lines[1] == (
        "Collected the changes of acme/widgets (branch main, 2024-01-01T00:00:00Z to "
        "2024-04-30T23:59:59Z): 4 merged pull requests, 3 pages, 8 requests, 20 rate-limit "
        f"points; complete; written to {out / CHANGES}"
    )
    assert (out / "manifest.json").is_file() and (out / CHANGES / "manifest.json").is_file()
    assert s.gets.count("/repos/acme/widgets") == 1  # the default branch comes from the settings


def test_an_incomplete_change_collection_exits_1_with_its_notes(
    run: Run, server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    s.set(SUITES, answer({"message": "Must have admin rights to Repository."}, 403))
    code, stdout, stderr = cli(run, s, tmp_path, "--changes", "--since", "2024-01-01")
    assert code == 1
    assert "; INCOMPLETE; written to " in stdout
    assert stderr.splitlines() == [
        f"soc2lint: note: GET {SUITES} answered 403: forbidden (GitHub: Must have admin rights "
        "to Repository.); listing rule suites needs the repository's Administration permission "
        "(fine-grained tokens and GitHub Apps) or a classic token with repo scope; not written",
        "soc2lint: error: the change evidence of acme/widgets is incomplete (see the notes "
        "above): the change-management rules will report it (CM012)",
    ]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["--changes", "--since", "2024-13-01"],
            "soc2lint: error: --since '2024-13-01' is not a date: use YYYY-MM-DD or RFC 3339, "
            "e.g. 2026-01-01 or 2026-01-01T00:00:00Z\n",
        ),
        (
            ["--changes", "--until", "yesterday"],
            "soc2lint: error: --until 'yesterday' is not a date: use YYYY-MM-DD or RFC 3339, "
            "e.g. 2026-01-01 or 2026-01-01T00:00:00Z\n",
        ),
        (
            ["--changes", "--since", "2024-05-01", "--until", "2024-04-01"],
            "soc2lint: error: --since 2024-05-01T00:00:00Z is not before --until "
            "2024-04-01T23:59:59Z\n",
        ),
        (["--since", "2024-01-01"], "soc2lint: error: --since needs --changes\n"),
        (["--until", "2024-01-01"], "soc2lint: error: --until needs --changes\n"),
    ],
)
def test_period_errors_are_one_line(
    run: Run, server: Callable[..., Server], tmp_path: Path, argv: list[str], says: str
) -> None:
    s = server()
    assert cli(run, s, tmp_path, *argv) == (2, "", says)
    assert s.requests() == 0 and not any(tmp_path.iterdir())


def test_moments() -> None:
    assert parse_moment("2024-02-29", "--since") == datetime(2024, 2, 29, tzinfo=timezone.utc)
    assert parse_moment("2024-02-29", "--until", end=True) == datetime(
        2024, 2, 29, 23, 59, 59, tzinfo=timezone.utc
    )
    assert parse_moment("2024-03-01T01:30:00+02:00", "--since") == datetime(
        2024, 2, 29, 23, 30, tzinfo=timezone.utc
    )
    assert parse_moment("2024-03-01T00:00:00.250Z", "--since") == datetime(
        2024, 3, 1, tzinfo=timezone.utc
    )
    with pytest.raises(CollectError):
        parse_moment("2024-03-01T00:00:00", "--since")  # no offset: not RFC 3339
    assert period(None, None, PINNED) == (datetime(2023, 5, 2, 12, tzinfo=timezone.utc), PINNED)
    assert period("2024-01-01", None, PINNED)[1] == PINNED


def test_help_names_the_options(run: Run) -> None:
    code, stdout, _ = run("collect", "github", "--help")
    assert code == 0
    for option in ("--changes", "--since DATE", "--until DATE"):
        assert option in stdout


# --- the settings collection leaves the change evidence alone -------------------------------------


def test_the_settings_collection_never_deletes_change_evidence(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    s = server()
    client = client_of(s)
    collect(client, "acme", "widgets", tmp_path, clock=lambda: PINNED)
    run_changes(s, tmp_path)
    changes = snapshot(tmp_path / CHANGES)
    # an earlier settings manifest that (somehow) lists change evidence among its files
    manifest = json.loads((tmp_path / "manifest.json").read_bytes())
    manifest["files"].append({"path": f"{CHANGES}/graphql/prs-0001.json"})
    manifest["files"].append({"path": f"{CHANGES}/rule-suites/2024-05-01.json"})
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    collect(client, "acme", "widgets", tmp_path, clock=lambda: PINNED)
    assert snapshot(tmp_path / CHANGES) == changes


def test_the_scan_reads_what_the_collector_wrote(
    run: Run, server: Callable[..., Server], tmp_path: Path
) -> None:
    """Every file of the collection is recognised (no SL004), and the pages are read as pull
    requests: the reader and the collector agree on the layout."""
    s = server()
    repo = tmp_path / "repo"
    argv = ("--changes", "--since", "2024-01-01", "--until", "2024-04-30")
    assert cli(run, s, repo / ".soc2", *argv)[0] == 0
    code, out, err = run("--format", "json", "--select", "CM,SL", str(repo))
    assert code in (0, 1), err
    findings = json.loads(out)["findings"]
    assert not [f for f in findings if f["rule_id"] in ("SL001", "SL004")]
    # the branch protection export asks for two approvals; each pull request has one
    read = {f["path"] for f in findings if f["rule_id"] == "CM002"}
    assert read == {f".soc2/{CHANGES}/graphql/prs-000{n}.json" for n in (1, 2, 3)}
