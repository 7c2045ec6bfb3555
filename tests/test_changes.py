"""Change-management evidence from a `gh pr list --state merged --json ...` dump: the decision
rules with their near-misses, a twin test per rule (flip one attribute of a passing pull request:
exactly that rule fails), gh's quirks, and where and how findings are reported."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]
DUMP = ".soc2/github/acme/shop/changes/gh-pr-list.json"
CM = ("CM002", "CM003", "CM004", "CM005", "CM006", "CM008", "CM009", "CM010", "CM012")


def approval(who: str = "bob", **kw: Any) -> dict[str, Any]:
    review = {
        "author": {"login": who},
        "authorAssociation": "MEMBER",
        "state": "APPROVED",
        "submittedAt": "2026-03-02T11:00:00Z",
        "commit": {"oid": "c2"},
        "body": "",
    }
    review.update(kw)
    return review


def commit(
    oid: str, headline: str = "work", body: str = "", author: str = "alice"
) -> dict[str, Any]:
    return {
        "oid": oid,
        "messageHeadline": headline,
        "messageBody": body,
        "committedDate": "2026-03-02T10:00:00Z",
        "authors": [{"login": author}],
    }


def good_pr(number: int = 1) -> dict[str, Any]:
    """A change every CM rule passes: a ticket, an independent approval on the head commit,
    green required check before the merge, 12 lines."""
    return {
        "number": number,
        "url": f"https://github.com/acme/shop/pull/{number}",
        "title": f"SHOP-{number}: tidy the cart",
        "body": "",
        "author": {"login": "alice"},
        "mergedBy": {"login": "alice"},
        "mergedAt": "2026-03-02T12:00:00Z",
        "createdAt": "2026-03-02T09:00:00Z",
        "baseRefName": "main",
        "headRefName": "tidy",
        "headRefOid": "c2",
        "additions": 10,
        "deletions": 2,
        "labels": [],
        "reviews": [approval()],
        "statusCheckRollup": [
            {
                "__typename": "CheckRun",
                "name": "test",
                "status": "COMPLETED",
                "conclusion": "SUCCESS",
                "completedAt": "2026-03-02T10:30:00Z",
            }
        ],
        "commits": [commit("c1"), commit("c2", "more work")],
        "closingIssuesReferences": [],
    }


def write_dump(write: Write, root: Path, prs: list[dict[str, Any]]) -> Path:
    text = "[\n" + ",\n".join("  " + json.dumps(p) for p in prs) + "\n]\n"
    return write(DUMP, text, root)


def findings(run: Run, root: Path, *extra: str) -> list[dict[str, Any]]:
    code, out, err = run(str(root), "--select", "CM", "--format", "json", "--no-history", *extra)
    assert code in (0, 1), err
    return json.loads(out)["findings"]


def failed(run: Run, root: Path) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["properties"]["change_id"]) for f in findings(run, root)}


def test_a_good_change_passes_every_rule(run: Run, write: Write, tmp_path: Path) -> None:
    write_dump(write, tmp_path, [good_pr()])
    assert failed(run, tmp_path) == set()


# --------------------------------------------------------------------------- twins


def _no_reviews(pr: dict[str, Any]) -> None:
    pr["reviews"] = []
    pr["mergedBy"] = {"login": "carol"}  # merged by a colleague: merging is no approval


def _co_author_approves(pr: dict[str, Any]) -> None:
    pr["commits"][1]["messageBody"] = "Co-authored-by: Bob <4242+bob@users.noreply.github.com>"


def _approved_old_commit(pr: dict[str, Any]) -> None:
    pr["reviews"] = [approval(commit={"oid": "c1"})]


def _check_failed(pr: dict[str, Any]) -> None:
    pr["statusCheckRollup"][0]["conclusion"] = "FAILURE"


def _big_and_quick(pr: dict[str, Any]) -> None:
    pr["additions"], pr["deletions"] = 900, 100
    pr["reviews"] = [approval(submittedAt="2026-03-02T10:00:30Z")]


def _no_ticket(pr: dict[str, Any]) -> None:
    pr["title"], pr["headRefName"] = "tidy the cart", "tidy"


def _ai_and_bot_review(pr: dict[str, Any]) -> None:
    pr["commits"][1]["messageBody"] = "Co-authored-by: Claude <noreply@anthropic.com>"
    pr["reviews"] = [approval("copilot-pull-request-reviewer")]


def _emergency_unreviewed(pr: dict[str, Any]) -> None:
    pr["labels"] = [{"name": "hotfix"}]
    _check_failed(pr)


def _hundred_reviews(pr: dict[str, Any]) -> None:
    pr["reviews"] = [approval(f"r{i}", state="COMMENTED") for i in range(99)] + [approval()]


TWINS = [
    ("CM002", _no_reviews),
    ("CM004", _approved_old_commit),
    ("CM005", _check_failed),
    ("CM006", _big_and_quick),
    ("CM008", _no_ticket),
    ("CM012", _hundred_reviews),
]


@pytest.mark.parametrize(("rule", "flip"), TWINS, ids=[r for r, _ in TWINS])
def test_flipping_one_attribute_fails_exactly_that_rule(
    run: Run, write: Write, tmp_path: Path, rule: str, flip: Callable[..., None]
) -> None:
    pr = good_pr()
    flip(pr)
    write_dump(write, tmp_path, [pr])
    assert failed(run, tmp_path) == {(rule, "pr:1")}


@pytest.mark.parametrize(
    ("rules", "flip"),
    [
        # a co-author's approval: not independent (CM002), and the count was met only thanks to it
        ({"CM002", "CM003"}, _co_author_approves),
        # an AI-assisted change with only a bot's review: no independent approval at all
        ({"CM002", "CM009"}, _ai_and_bot_review),
        # an emergency with a red check and no review after the merge
        ({"CM005", "CM010"}, _emergency_unreviewed),
    ],
    ids=["CM003", "CM009", "CM010"],
)
def test_rules_that_come_with_their_cause(
    run: Run, write: Write, tmp_path: Path, rules: set[str], flip: Callable[..., None]
) -> None:
    pr = good_pr()
    flip(pr)
    write_dump(write, tmp_path, [pr])
    assert failed(run, tmp_path) == {(r, "pr:1") for r in rules}


# --------------------------------------------------------------------------- near-misses


def _near(pr: dict[str, Any], name: str) -> None:
    if name == "independent approval then self-merge":
        pr["mergedBy"] = {"login": "alice"}
    elif name == "bot PR a human approved":
        pr["author"] = {"is_bot": True, "login": "app/dependabot"}
        for c in pr["commits"]:
            c["authors"] = [{"login": "dependabot[bot]"}]
    elif name == "6-line PR approved in 40 s":
        pr["additions"], pr["deletions"] = 4, 2
        pr["reviews"] = [approval(submittedAt="2026-03-02T10:00:40Z")]
    elif name == "failing check that is not required":
        pr["statusCheckRollup"].append(
            {"__typename": "StatusContext", "context": "percy", "state": "ERROR"}
        )
    elif name == "changes requested, then approved":
        pr["reviews"] = [
            approval(state="CHANGES_REQUESTED", submittedAt="2026-03-02T10:10:00Z"),
            approval(),
        ]
    elif name == "emergency reviewed within 72 h":
        pr["labels"] = [{"name": "hotfix"}]
        pr["reviews"] = [approval(submittedAt="2026-03-03T09:00:00Z")]
    elif name == "reviewer only mentioned in the body":
        pr["body"] = "Thanks @bob, as discussed"
    elif name == "clean merge from main after the approval":
        pr["commits"].append(commit("c3", "Merge branch 'main' into tidy"))
        pr["headRefOid"] = "c3"
    elif name == "lockfile-sized change approved with a comment":
        pr["additions"] = 3000
        pr["reviews"] = [
            approval(submittedAt="2026-03-02T10:00:30Z", body="lockfile only, checked")
        ]


NEAR_MISSES = [
    "independent approval then self-merge",
    "bot PR a human approved",
    "6-line PR approved in 40 s",
    "changes requested, then approved",
    "reviewer only mentioned in the body",
    "clean merge from main after the approval",
    "lockfile-sized change approved with a comment",
    "emergency reviewed within 72 h",
]


@pytest.mark.parametrize("name", NEAR_MISSES)
def test_near_misses_pass(run: Run, write: Write, tmp_path: Path, name: str) -> None:
    pr = good_pr()
    _near(pr, name)
    write_dump(write, tmp_path, [pr])
    assert failed(run, tmp_path) == set()


def test_a_failing_check_that_is_not_required_passes_with_the_protection_export(
    run: Run, write: Write, tmp_path: Path
) -> None:
    pr = good_pr()
    _near(pr, "failing check that is not required")
    write_dump(write, tmp_path, [pr])
    protection = {
        "url": "https://api.github.com/repos/acme/shop/branches/main/protection",
        "required_status_checks": {"strict": True, "contexts": ["test"]},
        "required_pull_request_reviews": {"required_approving_review_count": 1},
    }
    write(".soc2/github/acme/shop/branches/main/protection.json", json.dumps(protection), tmp_path)
    assert failed(run, tmp_path) == set()
    # without the export, every reported check is required: percy's error fails the change
    (tmp_path / ".soc2/github/acme/shop/branches/main/protection.json").unlink()
    assert failed(run, tmp_path) == {("CM005", "pr:1")}


def test_the_protection_exports_approval_count_is_the_floor(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write_dump(write, tmp_path, [good_pr()])
    protection = {
        "url": "https://api.github.com/repos/acme/shop/branches/main/protection",
        "required_pull_request_reviews": {"required_approving_review_count": 2},
    }
    write(".soc2/github/acme/shop/branches/main/protection.json", json.dumps(protection), tmp_path)
    (finding,) = findings(run, tmp_path)
    assert finding["rule_id"] == "CM002"
    assert "1 of 2 required independent approval(s)" in finding["message"]


# --------------------------------------------------------------------------- reasons, quirks


def test_the_message_names_the_pr_and_why_each_approval_did_not_count(
    run: Run, write: Write, tmp_path: Path
) -> None:
    pr = good_pr(7352)
    pr["reviews"] = [
        approval("alice"),
        approval("renovate[bot]"),
        approval("dave", submittedAt="2026-03-02T13:00:00Z"),
        approval("erin", state="DISMISSED"),
        approval("frank"),
        approval("frank", state="CHANGES_REQUESTED", submittedAt="2026-03-02T11:30:00Z"),
    ]
    pr["mergedBy"] = {"login": "carol"}
    write_dump(write, tmp_path, [pr])
    by_rule = {f["rule_id"]: f for f in findings(run, tmp_path)}
    assert sorted(by_rule) == ["CM002", "CM003"]  # alice's self-approval: legacy data only
    assert by_rule["CM003"]["message"].endswith(
        "approved by alice, who wrote part of the change; "
        "without that approval it had too few "
        "independent approvals"
    )
    finding = by_rule["CM002"]
    assert finding["message"] == (
        "#7352 (https://github.com/acme/shop/pull/7352) was merged without enough independent "
        "approval: 0 of 1 required independent approval(s) (alice wrote part of the change; "
        "renovate[bot] is a bot; dave approved after the merge; frank's approval was superseded "
        "(changes requested)); merged by carol"
    )


def test_findings_point_at_the_pull_requests_object(run: Run, write: Write, tmp_path: Path) -> None:
    bad = good_pr(2)
    _no_ticket(bad)
    write_dump(write, tmp_path, [good_pr(1), bad])
    (finding,) = findings(run, tmp_path)
    assert (finding["path"], finding["line"], finding["column"]) == (DUMP, 3, 3)
    code, out, _ = run(str(tmp_path), "--select", "CM", "--format", "sarif", "--no-history")
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert result["properties"]["change_id"] == "pr:2"


def test_gh_quirks_deleted_users_and_app_logins(run: Run, write: Write, tmp_path: Path) -> None:
    """`app/` is a deleted user (a human of unknown identity), `app/renovate` an app."""
    ghost = good_pr(1)
    ghost["author"] = {"is_bot": True, "login": "app/"}
    app = good_pr(2)
    app["author"] = {"is_bot": True, "login": "app/renovate"}
    app["reviews"] = [approval("renovate")]
    write_dump(write, tmp_path, [ghost, app])
    assert failed(run, tmp_path) == {("CM002", "pr:2")}


def test_an_export_without_commits_is_incomplete_not_passing(
    run: Run, write: Write, tmp_path: Path
) -> None:
    pr = good_pr()
    del pr["commits"]
    pr["reviews"] = [approval(commit={"oid": "c1"})]  # on final code? the export cannot tell
    write_dump(write, tmp_path, [pr])
    found = findings(run, tmp_path)
    assert [(f["rule_id"], f["properties"]["change_id"]) for f in found] == [("CM012", "export")]
    assert "CM003, CM004, CM009" in found[0]["message"]


def test_a_broken_dump_is_sl001_and_other_json_is_not_a_dump(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(DUMP, '[{"number": 1, "mergedAt": "2026-03-02T12:00:00Z", "reviews": [}\n', tmp_path)
    code, out, _ = run(str(tmp_path), "--select", "CM,SL001", "--format", "json", "--no-history")
    assert [(f["rule_id"], f["path"]) for f in json.loads(out)["findings"]] == [("SL001", DUMP)]


def test_without_change_evidence_one_note_says_how_to_collect_it(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("app.py", "print('hello')\n", tmp_path)
    code, out, err = run(str(tmp_path), "--select", "CM", "--no-history")
    assert code == 0
    notes = [line for line in err.splitlines() if "change-management" in line]
    assert len(notes) == 1 and "gh pr list --state merged" in notes[0]


def test_production_branches_limit_the_population(run: Run, write: Write, tmp_path: Path) -> None:
    release = copy.deepcopy(good_pr(2))
    release["baseRefName"] = "release"
    _no_ticket(release)
    write_dump(write, tmp_path, [good_pr(1), release])
    assert failed(run, tmp_path) == {("CM008", "pr:2")}
    write(".soc2lint.yaml", "parameters:\n  production_branches: [main]\n", tmp_path)
    assert failed(run, tmp_path) == set()


def test_an_approval_whose_commit_was_force_pushed_away_is_stale(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """Every commit exported, and the approved one is not among them: the code changed after."""
    pr = good_pr()
    pr["reviews"] = [approval(commit={"oid": "c0-before-force-push"})]
    write_dump(write, tmp_path, [pr])
    assert failed(run, tmp_path) == {("CM004", "pr:1")}


def test_commits_from_gh_pr_view_files_complete_a_dump_without_them(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """`gh pr view N --json commits > pr-N-commits.json` beside the dump: no longer incomplete,
    and the co-author the commits name is found; the file is no unrecognised evidence."""
    pr = good_pr()
    commits = pr.pop("commits")
    commits[1]["messageBody"] = "Co-authored-by: Bob <4242+bob@users.noreply.github.com>"
    write_dump(write, tmp_path, [pr])
    write(
        ".soc2/github/acme/shop/changes/pr-1-commits.json",
        json.dumps({"commits": commits}),
        tmp_path,
    )
    assert failed(run, tmp_path) == {("CM002", "pr:1"), ("CM003", "pr:1")}
    code, out, _ = run(str(tmp_path), "--select", "SL004", "--format", "json", "--no-history")
    assert json.loads(out)["findings"] == []


@pytest.mark.parametrize(
    ("field", "unknown"),
    [
        ("reviews", {"CM002", "CM003", "CM004"}),  # CM006, CM009: n/a (12 lines, no AI)
        ("statusCheckRollup", {"CM005"}),
    ],
)
def test_a_field_the_export_left_out_is_unknown_never_a_pass_or_a_fail(
    run: Run, write: Write, tmp_path: Path, field: str, unknown: set[str]
) -> None:
    """A dump made without `reviews` is not a population nobody approved, and one without
    `statusCheckRollup` not one whose checks all passed: those controls are not evaluated."""
    from soc2lint.changes.decide import INCONCLUSIVE, Policy, evaluate
    from soc2lint.changes.ghdump import read_dump

    pr = good_pr()
    del pr[field]
    if field == "reviews":
        pr["mergedBy"] = {"login": "carol"}
    write_dump(write, tmp_path, [pr])
    found = findings(run, tmp_path)
    assert [(f["rule_id"], f["properties"]["change_id"]) for f in found] == [("CM012", "export")]
    assert f"1 of 1 pull requests have no `{field}`" in found[0]["message"]
    (change,), _ = read_dump((tmp_path / DUMP).read_text(encoding="utf-8"))
    results = evaluate(change, Policy(), None).results
    # CM007: a gh dump never has the timeline (review dismissals)
    assert {k for k, d in results.items() if d.result == INCONCLUSIVE} == unknown | {"CM007"}
