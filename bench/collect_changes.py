#!/usr/bin/env python3
"""Measure `collect github --changes` against a local server replaying GraphQL pages.

    .venv/bin/python bench/collect_changes.py [--prs 1000] [--seed 1] [--from DIR] [--keep]

The pages come from DIR/.soc2/github/acme/shop/changes/graphql/ (the collector's own layout, as
bench/gen_changes.py writes it; default DIR: bench/.work/changes-<prs>-s<seed>); when that
directory is absent, this script generates its own pages, deterministically, under
bench/.work/collect-changes-<prs>/ (--prs pull requests merged in 2026, 50 a page, newest
update first, then a page of older ones; each with 2 reviews, 3 commits, 4 files, 3 checks and 2
timeline items; every 40th with 130 commits, so 100 on its page and a follow-up page of 30;
every 80th with 60 reviews, so a follow-up page of 10; the branch's history: one merge commit
per pull request, 100 a page).

A server in a child process on 127.0.0.1 answers POST /graphql by operation name and `after`
(the page that follows the cursor in the recorded pages; `first` is ignored), and GET
activity / rule suites with an empty list. It counts the requests it served and the rate-limit
points of each GraphQL query by GitHub's documented formula (the requests needed to fill every
connection at its `first`/`last`, summed, / 100, rounded, at least 1): 1 + 8 x first for a page
of pull requests (4 at 50), 1 for a follow-up, 2 for a page of history. The collector runs
in-process (soc2lint.collect.changes.collect_changes, the code `collect github --changes` runs
after the settings) into a temporary directory; its period covers every replayed page.

Prints: pull requests, pages, requests and points (as the manifest counts them: points from the
`rateLimit.cost` the pages carry; and as the server counted them by the formula), each per 1,000
pull requests, bytes written, and wall time. Measures; never fails on a target. Standard library
and soc2lint only: run it with the Python that has soc2lint installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
LAYOUT = Path(".soc2/github/acme/shop/changes/graphql")
OWNER, REPO = "acme", "shop"
T_END = datetime(2026, 12, 15, tzinfo=timezone.utc)
PAGE = 50


# --- pages, generated ----------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _oid(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def _connection(nodes: list[Any], total: int, cursor: str | None) -> dict[str, Any]:
    return {
        "totalCount": total,
        "pageInfo": {"hasNextPage": cursor is not None, "endCursor": cursor or "end"},
        "nodes": nodes,
    }


def _rate(cost: int) -> dict[str, Any]:
    return {"cost": cost, "remaining": 5000, "resetAt": "2026-12-15T01:00:00Z", "nodeCount": 0}


def _user(login: str) -> dict[str, Any]:
    return {"__typename": "User", "login": login}


def _commit(number: int, i: int, when: str) -> dict[str, Any]:
    person = {"name": "Dev", "email": "dev@acme.example", "user": {"login": f"dev{number % 60}"}}
    return {
        "commit": {
            "oid": _oid(number, "c", i),
            "messageHeadline": f"SHOP-{number}: step {i}",
            "messageBody": "",
            "committedDate": when,
            "authoredDate": when,
            "author": person,
            "committer": person,
        }
    }


def _review(number: int, i: int, when: str) -> dict[str, Any]:
    return {
        "databaseId": number * 1000 + i,
        "state": "APPROVED" if i == 0 else "COMMENTED",
        "submittedAt": when,
        "authorAssociation": "MEMBER",
        "body": "",
        "author": _user(f"dev{(number + 1 + i) % 60}"),
        "commit": {"oid": _oid(number, "c", 2)},
    }


def _pr(number: int, merged: datetime) -> dict[str, Any]:
    created = merged - timedelta(hours=5)
    when = _iso(merged - timedelta(hours=1))
    commits = 130 if number % 40 == 0 else 3
    reviews = 60 if number % 80 == 0 else 2
    checks = [
        {
            "__typename": "CheckRun",
            "name": name,
            "status": "COMPLETED",
            "conclusion": "SUCCESS",
            "startedAt": when,
            "completedAt": when,
            "checkSuite": {
                "app": {"slug": "github-actions"},
                "workflowRun": {"event": "pull_request"},
            },
        }
        for name in ("build", "test", "lint")
    ]
    return {
        "number": number,
        "url": f"https://github.com/{OWNER}/{REPO}/pull/{number}",
        "title": f"SHOP-{number}: change {number}",
        "body": f"Change description.\n\nFixes SHOP-{number}",
        "createdAt": _iso(created),
        "updatedAt": _iso(merged + timedelta(minutes=1)),
        "mergedAt": _iso(merged),
        "isCrossRepository": False,
        "author": _user(f"dev{number % 60}"),
        "mergedBy": _user(f"dev{number % 60}"),
        "baseRefName": "main",
        "baseRefOid": _oid(number, "base"),
        "headRefName": f"shop-{number}",
        "headRefOid": _oid(number, "c", 2),
        "mergeCommit": {"oid": _oid(number, "merge")},
        "additions": 40,
        "deletions": 5,
        "changedFiles": 4,
        "autoMergeRequest": None,
        "labels": {"nodes": [{"name": "feature"}]},
        "closingIssuesReferences": {"nodes": []},
        "reviews": _connection(
            [_review(number, i, when) for i in range(min(reviews, 50))],
            reviews,
            f"r{number}-1" if reviews > 50 else None,
        ),
        "commits": _connection(
            [_commit(number, i, when) for i in range(min(commits, 100))],
            commits,
            f"c{number}-1" if commits > 100 else None,
        ),
        "files": _connection(
            [{"path": f"src/m{i}.py", "additions": 10, "deletions": 1} for i in range(4)], 4, None
        ),
        "head": {
            "nodes": [
                {
                    "commit": {
                        "oid": _oid(number, "c", 2),
                        "statusCheckRollup": {
                            "state": "SUCCESS",
                            "contexts": {"totalCount": 3, "nodes": checks},
                        },
                    }
                }
            ]
        },
        "timelineItems": _connection(
            [
                {"__typename": "ReadyForReviewEvent", "createdAt": _iso(created)},
                {
                    "__typename": "LabeledEvent",
                    "createdAt": _iso(created),
                    "actor": {"login": f"dev{number % 60}"},
                    "label": {"name": "feature"},
                },
            ],
            2,
            None,
        ),
    }


def _write(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, separators=(",", ":")), encoding="utf-8")


SINCE = "2026-01-01T00:00:00Z"  # the period of the generated pages


def generate(prs: int, graphql: Path) -> None:
    """`prs` pull requests merged in 2026 (numbers 11 and up) and 10 older ones (1-10), as the
    collector stores them: newest update first."""
    graphql.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    step = (T_END - start) / max(prs, 1)
    merged = [(10 + n, T_END - step * (prs - n)) for n in range(prs, 0, -1)]
    merged += [
        (11 - k, datetime(2025, 12, 1, tzinfo=timezone.utc) - timedelta(days=k))
        for k in range(1, 11)
    ]
    pages = [merged[i : i + PAGE] for i in range(0, len(merged), PAGE)]
    for index, chunk in enumerate(pages, 1):
        nodes = [_pr(n, when) for n, when in chunk]
        more = f"p{index}" if index < len(pages) else None
        data = {
            "rateLimit": _rate(4),
            "repository": {"pullRequests": {**_connection(nodes, len(merged), more)}},
        }
        _write(graphql / f"prs-{index:04d}.json", {"data": data})
        for node in nodes:
            number = node["number"]
            if node["commits"]["pageInfo"]["hasNextPage"]:
                when = node["mergedAt"]
                rest = [_commit(number, i, when) for i in range(100, 130)]
                _follow_up(graphql, number, "commits", rest, 130)
            if node["reviews"]["pageInfo"]["hasNextPage"]:
                rest = [_review(number, i, node["mergedAt"]) for i in range(50, 60)]
                _follow_up(graphql, number, "reviews", rest, 60)
    commits = [(n, when) for n, when in merged if n > 10]
    for index in range(0, max(len(commits), 1), 100):
        chunk = commits[index : index + 100]
        nodes = [
            {
                "oid": _oid(n, "merge"),
                "committedDate": _iso(when),
                "messageHeadline": f"SHOP-{n}: change {n} (#{n})",
                "author": {"name": "Dev", "email": "dev@acme.example", "user": {"login": "dev"}},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "user": None},
                "parents": {"nodes": [{"oid": _oid(n - 1, "merge")}]},
                "associatedPullRequests": {
                    "nodes": [
                        {
                            "number": n,
                            "mergedAt": _iso(when),
                            "baseRefName": "main",
                            "mergeCommit": {"oid": _oid(n, "merge")},
                        }
                    ]
                },
            }
            for n, when in chunk
        ]
        page = index // 100 + 1
        more = f"h{page}" if index + 100 < len(commits) else None
        target = {"oid": _oid(prs, "merge"), "history": _connection(nodes, len(commits), more)}
        _write(
            graphql / f"history-{page:04d}.json",
            {"data": {"rateLimit": _rate(2), "repository": {"ref": {"target": target}}}},
        )


def _follow_up(graphql: Path, number: int, field: str, nodes: list[Any], total: int) -> None:
    data = {
        "rateLimit": _rate(1),
        "repository": {"pullRequest": {field: _connection(nodes, total, None)}},
    }
    _write(graphql / f"pr-{number}-{field}-2.json", {"data": data})


# --- the replay server ---------------------------------------------------------------------------

_FOLLOW_UP = re.compile(r"^pr-(\d+)-(\w+)-(\d+)\.json$")


def routes(graphql: Path) -> tuple[dict[tuple[str, Any], bytes], str, str]:
    """(operation, key) -> the answer; and a period (since, until) that holds every pull
    request of the pages, so that the collector reads them all."""
    table: dict[tuple[str, Any], bytes] = {}
    updated: list[str] = []
    merged: list[str] = []
    cursor = None
    for path in sorted(graphql.glob("prs-*.json")):
        body = path.read_bytes()
        table[("MergedPullRequests", cursor)] = body
        connection = json.loads(body)["data"]["repository"]["pullRequests"]
        for node in connection["nodes"]:
            updated.append(node["updatedAt"])
            merged.append(node["mergedAt"])
            for field in ("reviews", "commits", "files", "timelineItems"):
                info = (node.get(field) or {}).get("pageInfo") or {}
                if info.get("hasNextPage"):
                    _chain(graphql, table, node["number"], field, info["endCursor"])
        cursor = connection["pageInfo"]["endCursor"]
    cursor = None
    for path in sorted(graphql.glob("history-*.json")):
        body = path.read_bytes()
        table[("BranchHistory", cursor)] = body
        cursor = json.loads(body)["data"]["repository"]["ref"]["target"]["history"]["pageInfo"][
            "endCursor"
        ]
    return table, min(updated + merged), max(merged)


def _chain(
    graphql: Path, table: dict[tuple[str, Any], bytes], number: int, field: str, cursor: str
) -> None:
    index = 2
    while (path := graphql / f"pr-{number}-{field}-{index}.json").is_file():
        body = path.read_bytes()
        table[(f"PullRequest_{field}", (number, cursor))] = body
        page = json.loads(body)["data"]["repository"]["pullRequest"][field]
        if not page["pageInfo"]["hasNextPage"]:
            return
        cursor = page["pageInfo"]["endCursor"]
        index += 1


def cost(operation: str, variables: dict[str, Any]) -> int:
    """GitHub's formula for the queries of soc2lint.changes.query."""
    if operation == "MergedPullRequests":
        # pullRequests(first) + first x (labels, closingIssuesReferences, reviews, commits,
        # files, head: commits(last: 1), contexts under it, timelineItems)
        requests = 1 + 8 * int(variables["first"])
    elif operation == "BranchHistory":
        requests = 1 + 100 * 2  # history(first: 100) + parents and associatedPullRequests
    else:
        requests = 1
    return max(1, int(requests / 100 + 0.5))


def serve(graphql: str, pipe: Any) -> None:
    table, _, _ = routes(Path(graphql))
    stats = {"requests": 0, "points": 0, "unknown": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, body: bytes, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/__stats":
                self._send(json.dumps(stats).encode())
                return
            stats["requests"] += 1
            self._send(b"[]")

        def do_POST(self) -> None:
            stats["requests"] += 1
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            m = re.match(r"query (\w+)", request["query"])
            operation = m.group(1) if m else ""
            variables = request["variables"]
            key = variables.get("after")
            if operation.startswith("PullRequest_"):
                key = (variables["number"], key)
            body = table.get((operation, key))
            if body is None:
                stats["unknown"] += 1
                self._send(json.dumps({"message": "Not Found"}).encode(), 404)
                return
            stats["points"] += cost(operation, variables)
            self._send(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pipe.send(server.server_address[1])
    server.serve_forever()


# --- the measurement ------------------------------------------------------------------------------


def source_id() -> str:
    sys.path.insert(0, str(BENCH))
    from source_id import source_id as sid

    return str(sid())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1, help="gen_changes.py's seed, to find DIR")
    ap.add_argument("--from", dest="source", type=Path, help="a gen_changes.py output directory")
    ap.add_argument("--keep", action="store_true", help="keep what the collector wrote")
    args = ap.parse_args(argv)

    from soc2lint.collect.changes import collect_changes
    from soc2lint.collect.http import Client

    source = args.source or WORK / f"changes-{args.prs}-s{args.seed}"
    graphql = source / LAYOUT
    if graphql.is_dir() and any(graphql.glob("prs-*.json")):
        origin = f"replaying {graphql}"
    else:
        own = WORK / f"collect-changes-{args.prs}"
        graphql = own / LAYOUT
        if not (graphql / "prs-0001.json").is_file():
            shutil.rmtree(own, ignore_errors=True)
            generate(args.prs, graphql)
        origin = f"replaying pages generated by this script in {graphql}"
    _, since, until = routes(graphql)
    if "collect-changes-" in str(graphql):
        since = SINCE  # the older page ends the paging, as on GitHub

    print(f"soc2lint: {source_id()}")
    print(f"pages: {origin}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(target=serve, args=(str(graphql), send), daemon=True)
    child.start()
    port = receive.recv()
    out = Path(tempfile.mkdtemp(prefix="collect-changes-", dir=WORK))
    try:
        client = Client(f"http://127.0.0.1:{port}", "bench-not-a-token", timeout=60)
        started = time.perf_counter()
        manifest = collect_changes(
            client,
            OWNER,
            REPO,
            out,
            branch="main",
            since=datetime.fromisoformat(since.replace("Z", "+00:00")),
            until=datetime.fromisoformat(until.replace("Z", "+00:00")),
        )
        wall = time.perf_counter() - started
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats") as answer:
            stats = json.loads(answer.read())
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        child.terminate()
        child.join(5)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)

    totals = manifest["totals"]
    prs = totals["pull_requests"]
    per = 1000 / prs if prs else 0.0
    print(f"period: {manifest['since']} .. {manifest['until']}; complete: {manifest['complete']}")
    print(
        f"pull requests: {prs} merged in the period; pages: {totals['pages']}; "
        f"follow-ups: {sum(1 for e in manifest['files'] if '#' in e['endpoint'])}"
    )
    print(
        f"requests: {totals['requests']} (server: {stats['requests']}, unknown: "
        f"{stats['unknown']}) = {totals['requests'] * per:.1f} per 1,000 pull requests"
    )
    print(
        f"points: {totals['points']} from the pages' rateLimit.cost = {totals['points'] * per:.1f} "
        f"per 1,000; by GitHub's formula: {stats['points']} = {stats['points'] * per:.1f} per 1,000"
    )
    print(f"written: {written / 1e6:.1f} MB{f' in {out}' if args.keep else ''}")
    print(f"wall time: {wall:.2f} s ({wall * per:.2f} s per 1,000 pull requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
