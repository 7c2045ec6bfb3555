"""CM011 code-owner-approval-missing against real git repositories: CODEOWNERS is read as the base
commit had it (the working tree's, changed later, would decide otherwise), the last matching
line wins, unowned files need nobody, team owners count through a members export; nothing is
decided without `files`, without the base commit, or where protection does not require it.
Each case runs through the real CLI; the report's population.csv says what was not evaluated."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from soc2lint.changes.owners import Codeowners, at_base
from tests.test_changes import DUMP, approval, good_pr

git = pytest.importorskip("git")

Run = Callable[..., tuple[int, str, str]]
PROTECTION = ".soc2/github/acme/shop/branches/main/protection.json"
MEMBERS = ".soc2/github/acme/teams/payments/members.json"
BASE_CODEOWNERS = """\
# base: what GitHub required when the pull requests merged
*.md @olivia
/app/ @carol
/app/payments/ @acme/payments
/app/generated/
/legal/ legal@example.com
"""
# a later commit hands /app/ to bob: the working tree says bob owns it, the base commit does not
LATER_CODEOWNERS = BASE_CODEOWNERS.replace("/app/ @carol", "/app/ @bob")


def _commit(repo: Any, root: Path, files: dict[str, str], message: str) -> str:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        repo.index.add([rel])
    actor = git.Actor("Alice", "alice@example.com")
    return str(repo.index.commit(message, author=actor, committer=actor).hexsha)


@pytest.fixture
def clone(tmp_path: Path) -> dict[str, Any]:
    """A repository whose CODEOWNERS changed after the base commit of the pull requests, a
    protection export that requires code-owner review, and no pull request export yet."""
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    repo.git.symbolic_ref("HEAD", "refs/heads/main")
    base = _commit(
        repo,
        root,
        {".github/CODEOWNERS": BASE_CODEOWNERS, "app/cart.py": "TOTAL = 0\n"},
        "initial import",
    )
    later = _commit(repo, root, {".github/CODEOWNERS": LATER_CODEOWNERS}, "bob takes over /app/")
    assert (root / ".github/CODEOWNERS").read_text(encoding="utf-8") == LATER_CODEOWNERS
    protect(root, True)
    return {"root": root, "base": base, "later": later}


def protect(root: Path, code_owners: bool) -> None:
    path = root / PROTECTION
    path.parent.mkdir(parents=True, exist_ok=True)
    reviews = {"required_approving_review_count": 1, "require_code_owner_reviews": code_owners}
    data = {
        "url": "https://api.github.com/repos/acme/shop/branches/main/protection",
        "required_pull_request_reviews": reviews,
    }
    path.write_text(json.dumps(data), encoding="utf-8")


def pr(
    number: int, base: str, files: list[str], approver: str = "carol", author: str = "alice"
) -> dict[str, Any]:
    """A pull request every other CM rule passes, changing `files`, approved by `approver`."""
    out = good_pr(number)
    out["baseRefOid"] = base
    out["files"] = [{"path": f, "additions": 1, "deletions": 0} for f in files]
    out["reviews"] = [approval(approver)]
    out["author"] = {"login": author}
    for c in out["commits"]:
        c["authors"] = [{"login": author}]
    return out


def export(root: Path, prs: list[dict[str, Any]]) -> None:
    path = root / DUMP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[\n" + ",\n".join("  " + json.dumps(p) for p in prs) + "\n]\n", "utf-8")


def members(root: Path, *logins: str) -> None:
    path = root / MEMBERS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"login": x, "type": "User"} for x in logins]), "utf-8")


def findings(run: Run, root: Path, select: str = "CM011") -> list[dict[str, Any]]:
    code, out, err = run(str(root), "--select", select, "--format", "json", "--no-history")
    assert code in (0, 1), err
    result: list[dict[str, Any]] = json.loads(out)["findings"]
    return result


def failed(run: Run, root: Path, select: str = "CM011") -> dict[str, str]:
    """{change_id: message} of the findings."""
    return {f["properties"]["change_id"]: f["message"] for f in findings(run, root, select)}


def statuses(run: Run, root: Path, out: Path) -> dict[str, str]:
    """CM011 per change in the report's population.csv."""
    code, _, err = run("report", str(root), "--out", str(out))
    assert code == 0, err
    with (out / "changes" / "population.csv").open(encoding="utf-8", newline="") as handle:
        return {row["change_id"]: row["CM011"] for row in csv.DictReader(handle)}


# --------------------------------------------------------------------------- decisions


def test_an_owner_approved_passes_a_non_owner_fails_by_the_base_commits_codeowners(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root, base = clone["root"], clone["base"]
    export(
        root,
        [
            pr(1, base, ["app/cart.py"], approver="carol"),
            # bob owns /app/ in the working tree, not at the base commit
            pr(2, base, ["app/cart.py", "app/tax.py", "app/rates.py"], approver="bob"),
        ],
    )
    assert failed(run, root) == {
        "pr:2": "#2 (https://github.com/acme/shop/pull/2): no approval from a code owner of "
        "app/cart.py (owners: @carol) and 2 more files; approved by bob"
    }
    assert statuses(run, root, tmp_path / "out") == {"pr:1": "pass", "pr:2": "FAIL"}


def test_each_change_is_judged_by_its_own_base_commit(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root = clone["root"]
    export(
        root,
        [
            pr(1, clone["base"], ["app/cart.py"], approver="bob"),  # carol owned it then
            pr(2, clone["later"], ["app/cart.py"], approver="bob"),  # bob owns it since
            pr(3, clone["later"], ["app/cart.py"], approver="Carol"),
        ],
    )
    assert set(failed(run, root)) == {"pr:1", "pr:3"}


def test_an_owner_who_wrote_the_change_is_no_qualifying_approval(
    run: Run, clone: dict[str, Any]
) -> None:
    root = clone["root"]
    change = pr(1, clone["base"], ["app/cart.py"], approver="bob", author="carol")
    change["reviews"].insert(0, approval("carol"))  # her own approval (legacy data)
    export(root, [change])
    assert failed(run, root) == {
        "pr:1": "#1 (https://github.com/acme/shop/pull/1): no approval from a code owner of "
        "app/cart.py (owners: @carol); approved by bob"
    }


def test_owner_logins_are_case_blind_and_only_qualifying_approvals_count(
    run: Run, clone: dict[str, Any]
) -> None:
    root, base = clone["root"], clone["base"]
    after_merge = pr(2, base, ["app/cart.py"])
    after_merge["reviews"] = [approval("carol", submittedAt="2026-03-02T13:00:00Z"), approval()]
    withdrawn = pr(3, base, ["app/cart.py"])
    withdrawn["reviews"] = [
        approval("carol"),
        approval("carol", state="CHANGES_REQUESTED", submittedAt="2026-03-02T11:30:00Z"),
        approval(),
    ]
    export(root, [pr(1, base, ["app/cart.py"], approver="CAROL"), after_merge, withdrawn])
    assert set(failed(run, root)) == {"pr:2", "pr:3"}


def test_the_last_matching_line_wins(run: Run, clone: dict[str, Any]) -> None:
    root, base = clone["root"], clone["base"]
    members(root, "erin")
    export(
        root,
        [
            # /app/ is carol's, but the later /app/payments/ line gives payments to the team
            pr(1, base, ["app/payments/charge.py"], approver="carol"),
            pr(2, base, ["app/payments/charge.py"], approver="erin"),
            # *.md is olivia's, but /app/ comes later: carol owns app/README.md
            pr(3, base, ["app/README.md"], approver="carol"),
            pr(4, base, ["app/README.md"], approver="olivia"),
        ],
    )
    assert set(failed(run, root)) == {"pr:1", "pr:4"}


def test_unowned_files_need_no_code_owner(run: Run, clone: dict[str, Any]) -> None:
    root, base = clone["root"], clone["base"]
    # no line matches src/; /app/generated/ matches a line without owners (it un-assigns)
    export(root, [pr(1, base, ["src/main.py", "app/generated/api.py"], approver="bob")])
    assert failed(run, root) == {}


def test_team_owners_count_through_the_members_export(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root, base = clone["root"], clone["base"]
    export(
        root,
        [
            pr(1, base, ["app/payments/charge.py"], approver="erin"),
            pr(2, base, ["app/payments/charge.py"], approver="frank"),
            pr(3, base, ["legal/terms.md"], approver="bob"),  # an email owner: no login
        ],
    )
    # without the members export nothing is known of the team: not evaluated, no finding
    assert failed(run, root) == {}
    assert statuses(run, root, tmp_path / "before") == {
        "pr:1": "not-evaluated",
        "pr:2": "not-evaluated",
        "pr:3": "not-evaluated",
    }
    members(root, "Erin", "gail")
    assert set(failed(run, root)) == {"pr:2"}
    assert failed(run, root)["pr:2"].endswith(
        "no approval from a code owner of app/payments/charge.py (owners: @acme/payments); "
        "approved by frank"
    )
    assert statuses(run, root, tmp_path / "after") == {
        "pr:1": "pass",
        "pr:2": "FAIL",
        "pr:3": "not-evaluated",
    }


def test_a_file_owned_by_an_email_and_a_user_passes_by_the_users_approval(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root = clone["root"]
    repo = git.Repo(root)
    codeowners = BASE_CODEOWNERS.replace("legal@example.com", "legal@example.com @lea")
    base = _commit(repo, root, {".github/CODEOWNERS": codeowners}, "lea joins legal")
    export(
        root,
        [
            pr(1, base, ["legal/terms.md"], approver="lea"),
            pr(2, base, ["legal/terms.md"], approver="bob"),
        ],
    )
    # bob is no owner, and whether legal@example.com approved cannot be told: not evaluated
    assert failed(run, root) == {}
    assert statuses(run, root, tmp_path / "out") == {"pr:1": "pass", "pr:2": "not-evaluated"}


# --------------------------------------------------------------------------- not decided


def test_without_files_in_the_export_nothing_is_decided(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root, base = clone["root"], clone["base"]
    no_files = pr(1, base, [], approver="bob")
    del no_files["files"]
    hundred = pr(2, base, [f"app/f{i}.py" for i in range(100)], approver="bob")
    export(root, [no_files, hundred])
    assert failed(run, root) == {}
    assert statuses(run, root, tmp_path / "out") == {
        "pr:1": "not-evaluated",
        "pr:2": "not-evaluated",
    }


def test_where_protection_does_not_require_code_owners_it_is_not_applicable(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root, base = clone["root"], clone["base"]
    export(root, [pr(1, base, ["app/cart.py"], approver="bob")])
    protect(root, False)
    assert failed(run, root) == {}
    assert statuses(run, root, tmp_path / "off") == {"pr:1": "n/a"}
    (root / PROTECTION).unlink()  # no protection export at all
    assert failed(run, root) == {}
    assert statuses(run, root, tmp_path / "none") == {"pr:1": "n/a"}
    # unless the team's policy requires it anyway
    (root / ".soc2lint.yaml").write_text(
        "parameters:\n  require_code_owner_review: true\n", encoding="utf-8"
    )
    assert set(failed(run, root)) == {"pr:1"}
    assert statuses(run, root, tmp_path / "policy") == {"pr:1": "FAIL"}


def test_a_base_commit_the_clone_lacks_is_not_evaluated(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root = clone["root"]
    missing = pr(1, "f" * 40, ["app/cart.py"], approver="bob")
    no_base = pr(2, "", ["app/cart.py"], approver="bob")
    bogus = pr(3, "main", ["app/cart.py"], approver="bob")  # a name, not a commit id
    export(root, [missing, no_base, bogus])
    assert failed(run, root) == {}
    assert set(statuses(run, root, tmp_path / "out").values()) == {"not-evaluated"}


def test_without_a_git_clone_nothing_is_decided_not_even_from_the_working_tree(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root = clone["root"]
    export(root, [pr(1, clone["base"], ["app/cart.py"], approver="bob")])
    copy = tmp_path / "no-clone"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
    assert (copy / ".github/CODEOWNERS").is_file()
    assert failed(run, copy) == {}
    assert statuses(run, copy, tmp_path / "out") == {"pr:1": "not-evaluated"}
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert (
        f"- {DUMP}: code-owner approval (CM011) not evaluated for 1 change, e.g. no git clone "
        "at the scan root\n" in summary
    )
    assert set(failed(run, root)) == {"pr:1"}  # the clone decides


def test_a_base_commit_without_codeowners_owns_nothing(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    repo.git.symbolic_ref("HEAD", "refs/heads/main")
    base = _commit(repo, root, {"app/cart.py": "TOTAL = 0\n"}, "initial import")
    _commit(repo, root, {"CODEOWNERS": "* @carol\n"}, "owners, later")
    protect(root, True)
    export(root, [pr(1, base, ["app/cart.py"], approver="bob")])
    assert statuses(run, root, tmp_path / "out") == {"pr:1": "pass"}


def test_github_reads_dot_github_first_then_the_root_then_docs(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    repo.git.symbolic_ref("HEAD", "refs/heads/main")
    base = _commit(
        repo,
        root,
        {"docs/CODEOWNERS": "* @dora\n", "CODEOWNERS": "* @rob\n"},
        "two CODEOWNERS: the root one is read",
    )
    protect(root, True)
    export(
        root,
        [
            pr(1, base, ["app/cart.py"], approver="rob"),
            pr(2, base, ["app/cart.py"], approver="dora"),
        ],
    )
    assert set(failed(run, root)) == {"pr:2"}


def test_a_line_with_a_syntax_error_is_skipped_as_github_skips_it(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    repo.git.symbolic_ref("HEAD", "refs/heads/main")
    # the second line's owner lacks its @: GitHub ignores the line, carol keeps /app/
    base = _commit(repo, root, {".github/CODEOWNERS": "/app/ @carol\n/app/ bob\n"}, "owners")
    protect(root, True)
    export(
        root,
        [
            pr(1, base, ["app/cart.py"], approver="carol"),
            pr(2, base, ["app/cart.py"], approver="bob"),
        ],
    )
    assert set(failed(run, root)) == {"pr:2"}


# --------------------------------------------------------------------------- twin, report


def test_twin_flipping_the_approver_from_owner_to_non_owner_fails_exactly_cm011(
    run: Run, clone: dict[str, Any]
) -> None:
    root, base = clone["root"], clone["base"]
    change = pr(1, base, ["app/cart.py", "README.md"], approver="carol")
    change["reviews"].append(approval("olivia"))
    export(root, [change])
    assert findings(run, root, "CM") == []
    change["reviews"][0] = approval("bob")
    export(root, [change])
    assert [(f["rule_id"], f["properties"]["change_id"]) for f in findings(run, root, "CM")] == [
        ("CM011", "pr:1")
    ]


def test_the_population_has_a_cm011_column_in_id_order(
    run: Run, clone: dict[str, Any], tmp_path: Path
) -> None:
    root = clone["root"]
    export(root, [pr(1, clone["base"], ["app/cart.py"], approver="bob")])
    out = tmp_path / "out"
    statuses(run, root, out)
    header = (out / "changes" / "population.csv").read_text(encoding="utf-8").splitlines()[0]
    controls = [c for c in header.split(",") if c.startswith("CM")]
    assert controls == sorted(controls) and "CM011" in controls
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "| CM011 | 1 | 1 |" in summary
    assert "### pr:1: CM011" in summary


@pytest.mark.parametrize("how", ["shallow", "partial"])
def test_a_shallow_or_partial_clone_without_the_base_is_not_evaluated(
    run: Run, clone: dict[str, Any], tmp_path: Path, how: str
) -> None:
    source = clone["root"]
    git.Repo(source).git.config("uploadpack.allowFilter", "true")
    options = ["--depth=1"] if how == "shallow" else ["--filter=blob:none", "--no-checkout"]
    copy = tmp_path / how
    git.Repo.clone_from(f"file://{source}", copy, multi_options=options)
    protect(copy, True)
    export(copy, [pr(1, clone["base"], ["app/cart.py"], approver="bob")])
    assert failed(run, copy) == {}
    assert statuses(run, copy, tmp_path / "out") == {"pr:1": "not-evaluated"}
    why = {
        "shallow": f"the base commit {clone['base'][:7]} is not in the git clone",
        "partial": "a partial clone (--filter) lacks CODEOWNERS at the base commits",
    }
    assert at_base(copy, [clone["base"]]) == {clone["base"]: Codeowners(None, why[how])}
    assert at_base(source, [clone["base"]])[clone["base"]].source == ".github/CODEOWNERS"


def test_without_base_ref_oid_the_merge_commits_first_parent_is_the_base(
    run: Run, clone: dict[str, Any]
) -> None:
    """gh pr list cannot export `baseRefOid`: the base is the merge commit's first parent in
    the clone. Merged on top of the base commit, bob's approval is not an owner's; merged on top
    of the later commit (where bob owns /app/), it is."""
    root, base, later = clone["root"], clone["base"], clone["later"]
    repo = git.Repo(root)
    actor = git.Actor("Alice", "alice@example.com")
    tree = repo.head.commit.tree
    on_base = repo.index.commit(
        "Merge #3", parent_commits=[repo.commit(base)], author=actor, committer=actor, head=False
    )
    on_later = repo.index.commit(
        "Merge #4", parent_commits=[repo.commit(later)], author=actor, committer=actor, head=False
    )
    assert on_base.tree == tree
    prs = [
        pr(3, base, ["app/cart.py"], approver="bob"),
        pr(4, later, ["app/cart.py"], approver="bob"),
    ]
    for item, merge in zip(prs, (on_base, on_later), strict=True):
        del item["baseRefOid"]
        item["mergeCommit"] = {"oid": merge.hexsha}
    export(root, prs)
    assert set(failed(run, root)) == {"pr:3"}
    # and without the merge commit in the clone: not evaluated, never a pass or a fail
    prs[0]["mergeCommit"] = {"oid": "0" * 40}
    export(root, prs)
    assert failed(run, root) == {}


def test_team_members_are_read_from_the_configured_evidence_directory(
    run: Run, clone: dict[str, Any]
) -> None:
    """With `evidence_dir: audit`, the pull requests, the protection and the team members all
    live under audit/: the team's export is found there, not under .soc2/."""
    root, base = clone["root"], clone["base"]
    export(root, [pr(2, base, ["app/payments/charge.py"], approver="frank")])
    members(root, "erin")
    shutil.move(str(root / ".soc2"), str(root / "audit"))
    (root / ".soc2lint.yaml").write_text("evidence_dir: audit\n", encoding="utf-8")
    assert set(failed(run, root)) == {"pr:2"}
