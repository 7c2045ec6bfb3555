"""Change evidence as `collect github --changes` stores it: GraphQL pages with their follow-up
answers, the collection's manifest, the branch history (CM001 without a clone), the activity and
rule suites (CM007), and what the collection could not show (CM012). The same decisions as for a
gh dump; twins pin the rules the timeline adds."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., tuple[int, str, str]]
CHANGES = ".soc2/github/acme/shop/changes"
PAGE = f"{CHANGES}/graphql/prs-0001.json"


def user(login: str | None, typename: str = "User") -> dict[str, Any] | None:
    return None if login is None else {"__typename": typename, "login": login}


def conn(nodes: list[Any], more: bool = False, total: int | None = None) -> dict[str, Any]:
    return {
        "totalCount": len(nodes) if total is None else total,
        "pageInfo": {"hasNextPage": more, "endCursor": "c-end" if more else None},
        "nodes": nodes,
    }


def review(who: str = "bob", state: str = "APPROVED", **kw: Any) -> dict[str, Any]:
    out = {
        "databaseId": 1,
        "state": state,
        "submittedAt": "2026-03-02T11:00:00Z",
        "authorAssociation": "MEMBER",
        "body": "",
        "author": user(who),
        "commit": {"oid": "c2"},
    }
    out.update(kw)
    return out


def gcommit(
    oid: str, headline: str = "work", body: str = "", login: str = "alice"
) -> dict[str, Any]:
    person = {"name": login.title(), "email": f"{login}@example.com", "user": {"login": login}}
    return {
        "commit": {
            "oid": oid,
            "messageHeadline": headline,
            "messageBody": body,
            "committedDate": "2026-03-02T10:00:00Z",
            "authoredDate": "2026-03-02T10:00:00Z",
            "author": person,
            "committer": person,
        }
    }


def event(kind: str, at: str, actor: str | None = "alice", **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"__typename": kind, "createdAt": at, "actor": user(actor)}
    out.update(kw)
    return out


def node(number: int = 1) -> dict[str, Any]:
    """A pull request every CM rule passes, as the PULL_REQUESTS query returns it."""
    return {
        "number": number,
        "url": f"https://github.com/acme/shop/pull/{number}",
        "title": f"SHOP-{number}: tidy the cart",
        "body": "",
        "createdAt": "2026-03-02T09:00:00Z",
        "updatedAt": "2026-03-02T12:00:00Z",
        "mergedAt": "2026-03-02T12:00:00Z",
        "isCrossRepository": False,
        "author": user("alice"),
        "mergedBy": user("alice"),
        "baseRefName": "main",
        "baseRefOid": "b0",
        "headRefName": "tidy",
        "headRefOid": "c2",
        "mergeCommit": {"oid": f"m{number}"},
        "additions": 10,
        "deletions": 2,
        "changedFiles": 1,
        "autoMergeRequest": None,
        "labels": {"nodes": []},
        "closingIssuesReferences": {"nodes": []},
        "reviews": conn([review()]),
        "commits": conn([gcommit("c1"), gcommit("c2", "more work")]),
        "files": conn([{"path": "src/cart.py", "additions": 10, "deletions": 2}]),
        "head": {
            "nodes": [
                {
                    "commit": {
                        "oid": "c2",
                        "statusCheckRollup": {
                            "state": "SUCCESS",
                            "contexts": conn(
                                [
                                    {
                                        "__typename": "CheckRun",
                                        "name": "test",
                                        "status": "COMPLETED",
                                        "conclusion": "SUCCESS",
                                        "startedAt": "2026-03-02T10:10:00Z",
                                        "completedAt": "2026-03-02T10:30:00Z",
                                        "checkSuite": {"app": {"slug": "github-actions"}},
                                    }
                                ]
                            ),
                        },
                    }
                }
            ]
        },
        "timelineItems": conn([]),
    }


def page(nodes: list[dict[str, Any]], more: bool = False) -> str:
    return json.dumps(
        {
            "data": {
                "rateLimit": {
                    "cost": 4,
                    "remaining": 4996,
                    "resetAt": "2026-12-03T01:00:00Z",
                    "nodeCount": 100,
                },
                "repository": {
                    "pullRequests": {
                        "pageInfo": {"hasNextPage": more, "endCursor": "cur1"},
                        "nodes": nodes,
                    }
                },
            }
        },
        separators=(",", ":"),
    )


def manifest(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tool": "soc2lint",
        "version": "test",
        "repository": "acme/shop",
        "branch": "main",
        "since": "2026-01-01T00:00:00Z",
        "until": "2026-12-31T23:59:59Z",
        "complete": True,
        "files": [],
    }
    out.update(kw)
    return out


def history(commits: list[tuple[str, str, list[int]]], head: str) -> str:
    """(oid, parent, merged PR numbers into main) newest first."""
    nodes = [
        {
            "oid": oid,
            "committedDate": "2026-03-02T12:00:00Z",
            "messageHeadline": f"commit {oid}",
            "author": {"name": "Alice", "email": "alice@example.com", "user": {"login": "alice"}},
            "committer": {
                "name": "Alice",
                "email": "alice@example.com",
                "user": {"login": "alice"},
            },
            "parents": {"nodes": [{"oid": parent}] if parent else []},
            "associatedPullRequests": {
                "nodes": [
                    {
                        "number": n,
                        "mergedAt": "2026-03-02T12:00:00Z",
                        "baseRefName": "main",
                        "mergeCommit": {"oid": oid},
                    }
                    for n in prs
                ]
            },
        }
        for oid, parent, prs in commits
    ]
    return json.dumps(
        {
            "data": {
                "rateLimit": {"cost": 2},
                "repository": {
                    "ref": {
                        "target": {
                            "oid": head,
                            "history": {
                                "pageInfo": {"hasNextPage": False, "endCursor": None},
                                "nodes": nodes,
                            },
                        }
                    }
                },
            }
        }
    )


def suite_days(since: str, until: str) -> list[str]:
    """Days to collect rule suites on (every 30 days) so that they cover since..until."""
    day, last = date.fromisoformat(since[:10]) + timedelta(days=29), date.fromisoformat(until[:10])
    out = [day]
    while day < last:
        day = min(day + timedelta(days=30), last)
        out.append(day)
    return [d.isoformat() for d in out]


def collection(
    root: Path,
    nodes: list[dict[str, Any]],
    man: dict[str, Any] | None = None,
    days: list[str] | None = None,
) -> None:
    """A page of `nodes`, a manifest, rule suites collected on `days` (default: covering the
    whole period, no bypass), and a history whose first-parent commits are exactly the merge
    commits of the pull requests merged into main."""
    man = man or manifest()
    base = root / CHANGES
    (base / "rule-suites").mkdir(parents=True, exist_ok=True)
    for day in suite_days(man["since"], man["until"]) if days is None else days:
        (base / "rule-suites" / f"{day}.json").write_text("[]\n")
    (base / "graphql").mkdir(parents=True, exist_ok=True)
    (root / PAGE).write_text(page(nodes), encoding="utf-8")
    (base / "manifest.json").write_text(json.dumps(man, indent=2), encoding="utf-8")
    merged = [n for n in nodes if n["baseRefName"] == "main" and n["mergedAt"] >= "2026"]
    chain = [n["mergeCommit"]["oid"] for n in merged]
    commits = [
        (oid, chain[i + 1] if i + 1 < len(chain) else "", [n["number"]])
        for i, (oid, n) in enumerate(zip(chain, merged, strict=True))
    ]
    (base / "graphql" / "history-0001.json").write_text(history(commits, chain[0] if chain else ""))


def findings(run: Run, root: Path, *extra: str) -> list[dict[str, Any]]:
    code, out, err = run(str(root), "--select", "CM", "--format", "json", "--no-history", *extra)
    assert code in (0, 1), err
    return [f for f in json.loads(out)["findings"]]


def failed(run: Run, root: Path) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["properties"]["change_id"]) for f in findings(run, root)}


def test_a_good_collected_change_passes_every_rule(run: Run, tmp_path: Path) -> None:
    collection(tmp_path, [node()])
    assert failed(run, tmp_path) == set()


def test_findings_point_at_the_pull_request_in_its_page(run: Run, tmp_path: Path) -> None:
    bad = node(2)
    bad["reviews"] = conn([])
    collection(tmp_path, [node(1), bad])
    (found,) = findings(run, tmp_path)
    assert found["rule_id"] == "CM002"
    assert found["path"] == PAGE
    text = (tmp_path / PAGE).read_text(encoding="utf-8")
    column = found["column"]
    assert text[column - 1 :].startswith('{"number":2,')
    assert "#2 (https://github.com/acme/shop/pull/2)" in found["message"]


# --------------------------------------------------------------------------- twins


TWINS: dict[str, Callable[[dict[str, Any]], None]] = {}


def twin(
    rule: str,
) -> Callable[[Callable[[dict[str, Any]], None]], Callable[[dict[str, Any]], None]]:
    def register(flip: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        TWINS[rule] = flip
        return flip

    return register


@twin("CM002")
def _bot_review(pr: dict[str, Any]) -> None:
    pr["reviews"] = conn(
        [
            review(
                "copilot-pull-request-reviewer", author=user("copilot-pull-request-reviewer", "Bot")
            )
        ]
    )


@twin("CM004")
def _force_push_after_approval(pr: dict[str, Any]) -> None:
    pr["timelineItems"] = conn(
        [
            event(
                "HeadRefForcePushedEvent",
                "2026-03-02T11:30:00Z",
                afterCommit={"oid": "c2"},
                beforeCommit={"oid": "c0"},
            )
        ]
    )
    pr["reviews"]["nodes"][0]["commit"] = {"oid": "c1"}


@twin("CM007")
def _merger_dismissed_changes_requested(pr: dict[str, Any]) -> None:
    pr["timelineItems"] = conn(
        [
            event(
                "ReviewDismissedEvent",
                "2026-03-02T11:40:00Z",
                "alice",
                dismissalMessage="fine",
                previousReviewState="CHANGES_REQUESTED",
                review={"databaseId": 9},
            )
        ]
    )


@twin("CM009")
def _agent_pr_approved_by_its_prompter(pr: dict[str, Any]) -> None:
    pr["author"] = user("Copilot", "Bot")
    pr["reviews"] = conn([review("bob")])
    pr["timelineItems"] = conn(
        [
            event(
                "AssignedEvent",
                "2026-03-02T09:00:00Z",
                "bob",
                assignee={"__typename": "Bot", "login": "Copilot"},
            )
        ]
    )
    for c in pr["commits"]["nodes"]:
        person = {"name": "Copilot", "email": "copilot@example.com", "user": {"login": "Copilot"}}
        c["commit"]["author"] = c["commit"]["committer"] = person


@pytest.mark.parametrize("rule", sorted(TWINS))
def test_twin_flip_fails_exactly_that_rule(run: Run, tmp_path: Path, rule: str) -> None:
    pr = node(5)
    TWINS[rule](pr)
    collection(tmp_path, [pr])
    got = {r for r, _ in failed(run, tmp_path)}
    # CM009 fails with its causes: the prompter is a code author, so their approval is the
    # author's own (CM003) and none independent is left (CM002)
    expected = {"CM002", "CM003", "CM009"} if rule == "CM009" else {rule}
    assert got == expected


# --------------------------------------------------------------------------- near-misses


def test_dismissal_by_someone_else_and_a_label_after_the_merge_pass(
    run: Run, tmp_path: Path
) -> None:
    pr = node(6)
    pr["mergedBy"] = user("carol")
    pr["labels"] = {"nodes": [{"name": "hotfix"}]}
    pr["timelineItems"] = conn(
        [
            event(
                "ReviewDismissedEvent",
                "2026-03-02T11:40:00Z",
                "dave",
                previousReviewState="CHANGES_REQUESTED",
            ),
            event(
                "ReviewDismissedEvent",
                "2026-03-02T11:41:00Z",
                "carol",
                previousReviewState="COMMENTED",
            ),
            event("HeadRefForcePushedEvent", "2026-03-02T10:30:00Z", afterCommit={"oid": "c2"}),
            event("LabeledEvent", "2026-03-03T12:00:00Z", label={"name": "hotfix"}),
        ]
    )
    collection(tmp_path, [pr])
    assert failed(run, tmp_path) == set()


def test_an_emergency_label_added_after_the_merge_is_no_emergency(tmp_path: Path) -> None:
    from soc2lint.changes.decide import FAIL, NA, Policy, evaluate
    from soc2lint.changes.graphql import read_page

    pr = node(7)
    pr["reviews"] = conn([])
    pr["labels"] = {"nodes": [{"name": "hotfix"}]}
    pr["timelineItems"] = conn(
        [event("LabeledEvent", "2026-03-03T12:00:00Z", label={"name": "hotfix"})]
    )
    (change,) = read_page(page([pr]), lambda n, f: None)
    results = evaluate(change, Policy(), None).results
    assert results["CM002"].result == FAIL  # stays: no retroactive review can document it
    assert results["CM010"].result == NA
    assert "after the merge" in results["CM010"].reason


# --------------------------------------------------------------------------- reading


def test_bots_deleted_users_and_period(tmp_path: Path) -> None:
    from soc2lint.changes.decide import is_bot
    from soc2lint.changes.graphql import read_page

    pr = node(8)
    pr["author"] = user("renovate", "Bot")
    pr["reviews"] = conn([review(None), review("release-app", author=user("release-app", "Bot"))])
    old = node(9)
    old["mergedAt"] = "2025-06-01T00:00:00Z"
    (change,) = read_page(page([pr, old]), lambda n, f: None, lambda at, base: at >= "2026-01-01")
    assert change.author == "app/renovate" and change.author_is_bot
    assert [r.author for r in change.reviews] == ["app/", "app/release-app"]
    assert is_bot(change.reviews[1].author)  # a bot by type, whatever its name


def test_follow_up_pages_complete_a_nested_list(run: Run, tmp_path: Path) -> None:
    pr = node(10)
    # 50 comments on an old commit, then the approval on page 2
    pr["reviews"] = conn([review("dave", "COMMENTED", body="nit")] * 50, more=True, total=51)
    collection(tmp_path, [pr])
    follow = {
        "data": {
            "rateLimit": {"cost": 1},
            "repository": {"pullRequest": {"reviews": conn([review("bob")], total=51)}},
        }
    }
    (tmp_path / CHANGES / "graphql" / "pr-10-reviews-2.json").write_text(json.dumps(follow))
    assert failed(run, tmp_path) == set()


def test_a_list_left_unfinished_is_unknown_not_a_failure(run: Run, tmp_path: Path) -> None:
    pr = node(11)
    pr["reviews"] = conn([review("dave", "COMMENTED", body="nit")] * 50, more=True, total=51)
    collection(tmp_path, [pr])
    assert failed(run, tmp_path) == {("CM012", "pr:11")}
    (found,) = findings(run, tmp_path)
    assert "reviews" in found["message"]


def test_pull_requests_outside_the_period_or_branch_are_left_out(run: Run, tmp_path: Path) -> None:
    outside = node(12)
    outside["reviews"] = conn([])
    outside["mergedAt"] = "2025-12-31T23:59:59Z"
    other = node(13)
    other["reviews"] = conn([])
    other["baseRefName"] = "release/1.x"
    collection(tmp_path, [node(1), outside, other])
    assert failed(run, tmp_path) == set()


# --------------------------------------------------------------------------- CM001 from history


def test_a_direct_push_in_the_collected_history(run: Run, tmp_path: Path) -> None:
    collection(tmp_path, [node(1)])
    hist = history([("d1", "m1", []), ("m1", "b0", [1]), ("b0", "", [])], head="d1")
    (tmp_path / CHANGES / "graphql" / "history-0001.json").unlink()
    (tmp_path / CHANGES / "graphql" / "history-0001.json").write_text(hist)
    man = manifest(
        files=[
            {
                "path": "github/acme/shop/changes/graphql/history-0001.json",
                "endpoint": "POST /graphql BranchHistory",
                "status": 200,
                "evidence": True,
            }
        ]
    )
    (tmp_path / CHANGES / "manifest.json").write_text(json.dumps(man, indent=2))
    found = [f for f in findings(run, tmp_path)]
    assert {(f["rule_id"], f["properties"]["change_id"]) for f in found} == {
        ("CM001", "commit:d1"),
        ("CM001", "commit:b0"),  # in the period, and no pull request brought it
    }
    assert all(f["path"] == f"{CHANGES}/manifest.json" for f in found)


# --------------------------------------------------------------------------- CM007, CM012


def test_force_pushes_and_bypasses_on_the_production_branch(run: Run, tmp_path: Path) -> None:
    collection(tmp_path, [node(1)])
    activity = [
        {
            "id": 1,
            "ref": "refs/heads/main",
            "timestamp": "2026-04-01T10:00:00Z",
            "activity_type": "force_push",
            "before": "a" * 40,
            "after": "b" * 40,
            "actor": {"login": "mallory"},
        },
        {
            "id": 2,
            "ref": "refs/heads/topic",
            "timestamp": "2026-04-01T10:00:00Z",
            "activity_type": "force_push",
            "before": "a" * 40,
            "after": "b" * 40,
            "actor": {"login": "mallory"},
        },
        {
            "id": 3,
            "ref": "refs/heads/main",
            "timestamp": "2026-04-01T11:00:00Z",
            "activity_type": "push",
            "before": "b" * 40,
            "after": "c" * 40,
            "actor": {"login": "alice"},
        },
        {
            "id": 4,
            "ref": "refs/heads/main",
            "timestamp": "2025-04-01T11:00:00Z",
            "activity_type": "force_push",
            "before": "b" * 40,
            "after": "c" * 40,
            "actor": {"login": "alice"},
        },
    ]
    suites = [
        {
            "id": 7,
            "actor_name": "root",
            "before_sha": "c" * 40,
            "after_sha": "d" * 40,
            "ref": "refs/heads/main",
            "pushed_at": "2026-05-02T00:00:00Z",
            "result": "bypass",
        },
        {
            "id": 8,
            "actor_name": "alice",
            "before_sha": "c" * 40,
            "after_sha": "d" * 40,
            "ref": "refs/heads/main",
            "pushed_at": "2026-05-02T00:00:00Z",
            "result": "fail",
        },
    ]
    (tmp_path / CHANGES / "activity.json").write_text(json.dumps(activity, indent=2))
    (tmp_path / CHANGES / "rule-suites" / "2026-05-30.json").write_text(
        json.dumps(suites, indent=2)
    )
    found = findings(run, tmp_path)
    assert {(f["rule_id"], f["properties"]["change_id"]) for f in found} == {
        ("CM007", "event:activity:1"),
        ("CM007", "event:rule-suite:7"),
    }
    by_id = {f["properties"]["change_id"]: f for f in found}
    assert "mallory" in by_id["event:activity:1"]["message"]
    assert by_id["event:activity:1"]["line"] == 2


def test_what_the_collection_could_not_show_is_said(run: Run, tmp_path: Path) -> None:
    man = manifest(
        complete=False,
        files=[
            {
                "path": "github/acme/shop/changes/graphql/prs-0002.json",
                "endpoint": "POST /graphql MergedPullRequests page 2",
                "status": 502,
                "evidence": False,
                "note": "server error at page size 5",
            },
            {
                "path": "github/acme/shop/changes/rule-suites/2026-12.json",
                "endpoint": "GET /repos/acme/shop/rulesets/rule-suites",
                "status": 403,
                "evidence": False,
                "note": "needs Administration read",
            },
        ],
    )
    # collected on 30 Nov, 30 and 31 Dec: 1 Nov .. 31 Dec covered, 31 Oct not
    collection(tmp_path, [node(1)], man, days=["2026-11-30", "2026-12-30", "2026-12-31"])
    found = {f["properties"]["change_id"]: f for f in findings(run, tmp_path)}
    assert set(found) == {
        "collection:github/acme/shop/changes/graphql/prs-0002.json",
        "collection:github/acme/shop/changes/rule-suites/2026-12.json",
        "collection:rule-suites",
    }
    assert all(f["rule_id"] == "CM012" for f in found.values())
    message = found["collection:rule-suites"]["message"]
    assert "for all of 2026-01..2026-10:" in message
    assert (
        "502" in found["collection:github/acme/shop/changes/graphql/prs-0002.json"]["message"]
        or "server error"
        in found["collection:github/acme/shop/changes/graphql/prs-0002.json"]["message"]
    )


def test_githubs_documented_activity_and_rule_suite_shapes(run: Run, tmp_path: Path) -> None:
    """GitHub's own examples (tests/data/github-replay/payloads, MIT, from its REST description):
    the activity example uses `pushed_at`/`push_type`/`pusher`, the schema `timestamp`/
    `activity_type`/`actor`; both read. A bypass is reported on the branch the collection
    covers, a passed rule suite and a normal push are not."""
    payloads = Path(__file__).parent / "data" / "github-replay" / "payloads"
    collection(tmp_path, [node(1)], manifest(since="2011-01-01T00:00:00Z", branch="main"))
    activity = json.loads((payloads / "activity-items.json").read_text(encoding="utf-8"))
    forced = copy.deepcopy(activity[0]) | {"id": 2, "push_type": "force"}
    (tmp_path / CHANGES / "activity.json").write_text(json.dumps([*activity, forced], indent=2))
    suites = json.loads((payloads / "rule-suite-items.json").read_text(encoding="utf-8"))
    for suite in suites:
        suite["ref"] = "refs/heads/main"
    (tmp_path / CHANGES / "rule-suites" / "2023-07-10.json").write_text(
        json.dumps(suites, indent=2)
    )
    found = {
        f["properties"]["change_id"]: f for f in findings(run, tmp_path) if f["rule_id"] == "CM007"
    }
    assert set(found) == {"event:activity:2", "event:rule-suite:21"}
    assert "octocat" in found["event:activity:2"]["message"]
    assert "6dcb09b..827efc6" in found["event:activity:2"]["message"].replace(" -> ", "..")


def test_the_report_over_a_collection(run: Run, tmp_path: Path) -> None:
    """Rows for the pull requests (CM007 evaluated from their timeline), the commit without a
    pull request (from the collected history, no clone), the force push; the collection's gaps
    as completeness notes; every file of the collection among the inputs."""
    import csv

    bad = node(2)
    bad["mergeCommit"] = {"oid": "m2"}
    bad["timelineItems"] = conn(
        [
            event(
                "ReviewDismissedEvent",
                "2026-03-02T11:40:00Z",
                "alice",
                previousReviewState="CHANGES_REQUESTED",
            )
        ]
    )
    collection(tmp_path, [node(1), bad], days=["2026-12-31"])
    hist = history([("d1", "m2", []), ("m2", "m1", [2]), ("m1", "", [1])], head="d1")
    (tmp_path / CHANGES / "graphql" / "history-0001.json").write_text(hist)
    activity = [
        {
            "id": 5,
            "ref": "refs/heads/main",
            "timestamp": "2026-04-01T10:00:00Z",
            "activity_type": "force_push",
            "before": "a" * 40,
            "after": "b" * 40,
            "actor": {"login": "mallory"},
        }
    ]
    (tmp_path / CHANGES / "activity.json").write_text(json.dumps(activity))
    out = tmp_path / "evidence"
    code, _, err = run("report", str(tmp_path), "--out", str(out), "--seed", "s")
    assert code == 0, err
    rows = {r["change_id"]: r for r in csv.DictReader((out / "changes" / "population.csv").open())}
    assert set(rows) == {"pr:1", "pr:2", "commit:d1", "event:activity:5"}
    assert rows["pr:1"]["CM007"] == "pass" and rows["pr:2"]["CM007"] == "FAIL"
    assert rows["commit:d1"]["CM001"] == "FAIL" and rows["commit:d1"]["kind"] == "commit"
    assert rows["event:activity:5"]["CM007"] == "FAIL"
    assert rows["event:activity:5"]["kind"] == "force_push"
    assert rows["event:activity:5"]["author"] == "mallory"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "no rule-suite data for all of 2026-01..2026-12" in summary  # 1 Dec too
    assert "no git clone here" not in summary
    assert (
        "3 first-parent commits on main in the collected period, 2 brought by merged pull"
        in summary
    )
    inputs = json.loads((out / "manifest.json").read_text())["inputs"]
    assert {
        f"{CHANGES}/manifest.json",
        f"{CHANGES}/activity.json",
        f"{CHANGES}/graphql/history-0001.json",
        PAGE,
    } <= set(inputs)


def test_rulesets_on_the_branch_require_checks_and_approvals(run: Run, tmp_path: Path) -> None:
    """`branches/main/rules.json` (the active ruleset rules on the branch) counts like branch
    protection, whichever asks more: a check it requires that did not run fails CM005, and two
    required approvals make one too few (CM002)."""
    collection(tmp_path, [node(1)])
    rules = [
        {
            "type": "required_status_checks",
            "ruleset_source_type": "Organization",
            "ruleset_source": "acme",
            "ruleset_id": 7,
            "parameters": {
                "strict_required_status_checks_policy": False,
                "required_status_checks": [{"context": "security/scan", "integration_id": 1}],
            },
        },
        {
            "type": "pull_request",
            "ruleset_source_type": "Repository",
            "ruleset_source": "acme/shop",
            "ruleset_id": 8,
            "parameters": {
                "required_approving_review_count": 2,
                "require_code_owner_review": False,
            },
        },
    ]
    branch = tmp_path / ".soc2/github/acme/shop/branches/main"
    branch.mkdir(parents=True)
    (branch / "rules.json").write_text(json.dumps(rules))
    (branch / "protection.json").write_text(
        json.dumps(
            {
                "url": "https://api.github.com/repos/acme/shop/branches/main/protection",
                "required_status_checks": {"contexts": ["test"], "checks": []},
                "required_pull_request_reviews": {"required_approving_review_count": 1},
            }
        )
    )
    found = {f["rule_id"]: f["message"] for f in findings(run, tmp_path)}
    assert set(found) == {"CM002", "CM005"}
    assert "1 of 2 required" in found["CM002"]
    assert "security/scan missing" in found["CM005"] and "test" not in found["CM005"].split(":")[
        -1
    ].replace("security/scan missing", "")


def test_a_bypass_in_two_overlapping_collections_is_reported_once(run: Run, tmp_path: Path) -> None:
    """Collected on 10 and 20 May, both answers hold the bypass of 5 May: one finding, from the
    file collected first."""
    collection(tmp_path, [node(1)])
    bypass = {
        "id": 9,
        "actor_name": "root",
        "before_sha": "c" * 40,
        "after_sha": "d" * 40,
        "ref": "refs/heads/main",
        "pushed_at": "2026-05-05T00:00:00Z",
        "result": "bypass",
    }
    other = dict(bypass, id=10, pushed_at="2026-05-15T00:00:00Z")
    suites = tmp_path / CHANGES / "rule-suites"
    (suites / "2026-05-10.json").write_text(json.dumps([bypass]))
    (suites / "2026-05-20.json").write_text(json.dumps([other, bypass]))
    found = [
        (f["path"].rsplit("/", 1)[-1], f["properties"]["change_id"])
        for f in findings(run, tmp_path)
    ]
    assert sorted(found) == [
        ("2026-05-10.json", "event:rule-suite:9"),
        ("2026-05-20.json", "event:rule-suite:10"),
    ]
