"""CM001 change-without-pull-request against real git histories: the first-parent chain of the
production branch within the export's period, accounted for by merge, squash, rebase and
fast-forward merges of the exported pull requests; direct pushes and fake "Merge pull request"
commits fail; nothing without an export, a clone, or an export matching the clone."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import git
import pytest

from soc2lint.config import Config
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.model import Finding
from soc2lint.scan.engine import scan
from tests.test_changes import DUMP, good_pr

RULES = load_rules([builtin_rules_dir()])


class History:
    """A repository on branch `main` whose commits get the dates and authors the test says."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo.init(root)
        self.repo.git.symbolic_ref("HEAD", "refs/heads/main")
        self.n = 0

    def _env(self, when: str, author: str) -> dict[str, str]:
        email = f"{author.lower()}@example.com"
        return {
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }

    def commit(self, subject: str, when: str, author: str = "Alice") -> str:
        """A single-parent commit on the checked-out branch, changing a file of its own."""
        self.n += 1
        (self.root / f"f{self.n}.txt").write_text(f"{subject}\n", encoding="utf-8")
        self.repo.git.add(f"f{self.n}.txt")
        self.repo.git.commit("-q", "-m", subject, env=self._env(when, author))
        return str(self.repo.head.commit.hexsha)

    def branch(self, name: str, *subjects: str, when: str) -> list[str]:
        """Commits on a new branch from main (main stays checked out afterwards)."""
        self.repo.git.checkout("-q", "-b", name)
        oids = [self.commit(s, when) for s in subjects]
        self.repo.git.checkout("-q", "main")
        return oids

    def merge(self, name: str, number: int, when: str, author: str = "Alice") -> str:
        """GitHub's merge button: a two-parent commit on main."""
        message = f"Merge pull request #{number} from acme/{name}"
        self.repo.git.merge("-q", "--no-ff", "-m", message, name, env=self._env(when, author))
        return str(self.repo.head.commit.hexsha)


def pr(
    number: int, merge_oid: str, merged_at: str, commits: list[tuple[str, str]]
) -> dict[str, Any]:
    """A pull request every other CM rule passes, merged as `merge_oid`."""
    out = good_pr(number)
    out["mergedAt"] = merged_at
    out["createdAt"] = "2026-03-01T09:00:00Z"
    out["mergeCommit"] = {"oid": merge_oid}
    out["commits"] = [
        {
            "oid": oid,
            "messageHeadline": headline,
            "messageBody": "",
            "committedDate": "2026-03-01T10:00:00Z",
            "authors": [{"login": "alice"}],
        }
        for oid, headline in commits
    ]
    head = commits[-1][0]
    out["headRefOid"] = head
    out["reviews"][0]["commit"] = {"oid": head}
    out["reviews"][0]["submittedAt"] = "2026-03-01T11:00:00Z"
    out["statusCheckRollup"][0]["completedAt"] = "2026-03-01T10:30:00Z"
    return out


def write_dump(root: Path, prs: list[dict[str, Any]]) -> None:
    path = root / DUMP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[\n" + ",\n".join("  " + json.dumps(p) for p in prs) + "\n]\n", "utf-8")


def cm_findings(root: Path, config: Config | None = None) -> list[Finding]:
    config = config or Config()
    rules = select_rules(
        RULES, select=("CM",), parameters=config.parameters, rule_parameters=config.rule_parameters
    )
    result = scan(root, rules, config, today=dt.date(2026, 4, 1), jobs=1, history=False)
    return [f for f in result.findings if f.suppression is None]


def failed(root: Path) -> set[tuple[str, str]]:
    return {(f.rule.id, dict(f.properties)["change_id"]) for f in cm_findings(root)}


@pytest.fixture
def population(tmp_path: Path) -> dict[str, Any]:
    """Main's first-parent history, oldest first, and the export of its pull requests:

    before the period: a direct commit (not in the population)
    #1 merge commit (10:00) · #2 squash (11:00) · #3 rebase merge of two commits (12:00)
    a direct push (13:00) · a fake single-parent "Merge pull request #9" (14:00)
    #4 fast-forward of its own commit (15:00) · #5 merge commit (18:00, the period's end)
    after the period: a direct commit (not in the population)
    """
    h = History(tmp_path)
    before = h.commit("initial import", "2026-03-01T08:00:00+00:00")
    one = h.branch("one", "SHOP-1 first", "SHOP-1 second", when="2026-03-01T09:30:00+00:00")
    merge1 = h.merge("one", 1, "2026-03-02T10:00:00+00:00")
    squash2 = h.commit("SHOP-2: tidy the cart (#2)", "2026-03-02T11:00:00+00:00")
    rebase3a = h.commit("SHOP-3 part one", "2026-03-02T12:00:00+00:00")
    rebase3b = h.commit("SHOP-3 part two", "2026-03-02T12:00:00+00:00")
    direct = h.commit("hotfix prices", "2026-03-02T13:00:00+00:00", author="Mallory")
    fake = h.commit("Merge pull request #9 from acme/x", "2026-03-02T14:00:00+00:00", "Mallory")
    ff4 = h.commit("SHOP-4 fast forward", "2026-03-02T15:00:00+00:00")
    h.branch("five", "SHOP-5 work", when="2026-03-02T16:00:00+00:00")
    merge5 = h.merge("five", 5, "2026-03-02T18:00:00+00:00")
    after = h.commit("after the period", "2026-03-05T08:00:00+00:00", author="Mallory")
    prs = [
        pr(
            1, merge1, "2026-03-02T10:00:00Z", [(one[0], "SHOP-1 first"), (one[1], "SHOP-1 second")]
        ),
        pr(2, squash2, "2026-03-02T11:00:00Z", [("a" * 40, "tidy"), ("b" * 40, "tidy more")]),
        pr(
            3,
            rebase3b,
            "2026-03-02T12:00:00Z",
            [("c" * 40, "SHOP-3 part one"), ("d" * 40, "SHOP-3 part two")],
        ),
        pr(4, "e" * 40, "2026-03-02T15:00:00Z", [(ff4, "SHOP-4 fast forward")]),
        pr(5, merge5, "2026-03-02T18:00:00Z", [("f" * 40, "SHOP-5 work")]),
    ]
    write_dump(tmp_path, prs)
    return {
        "root": tmp_path,
        "history": h,
        "prs": prs,
        "before": before,
        "merge1": merge1,
        "squash2": squash2,
        "rebase3a": rebase3a,
        "rebase3b": rebase3b,
        "direct": direct,
        "fake": fake,
        "ff4": ff4,
        "merge5": merge5,
        "after": after,
    }


def test_direct_push_and_fake_merge_fail_everything_else_is_accounted_for(
    population: dict[str, Any],
) -> None:
    p = population
    assert failed(p["root"]) == {
        ("CM001", f"commit:{p['direct']}"),
        ("CM001", f"commit:{p['fake']}"),
    }


def test_finding_names_the_commit_at_the_start_of_the_export(population: dict[str, Any]) -> None:
    p = population
    found = {dict(f.properties)["change_id"]: f for f in cm_findings(p["root"])}
    direct = found[f"commit:{p['direct']}"]
    assert (direct.location.path, direct.location.start_line, direct.location.start_column) == (
        DUMP,
        1,
        1,
    )
    assert direct.message == (
        f"commit {p['direct'][:7]} by Mallory on 2026-03-02T13:00:00+00:00 reached main without "
        "a pull request: no merged pull request into main in the export merged it"
    )
    assert dict(direct.properties)["commit"] == p["direct"]
    assert direct.identity.endswith(f"#commit:{p['direct']}")  # fingerprinted by the commit
    fake = found[f"commit:{p['fake']}"]
    assert fake.message.endswith(
        "without a pull request: its subject names #9, but the export has no pull request #9 "
        "merged into main"
    )


def test_a_fake_merge_subject_naming_an_exported_pull_request_fails(tmp_path: Path) -> None:
    h = History(tmp_path)
    h.commit("initial import", "2026-03-01T08:00:00+00:00")
    h.branch("one", "SHOP-1 work", when="2026-03-02T09:00:00+00:00")
    merge1 = h.merge("one", 1, "2026-03-02T10:00:00+00:00")
    fake = h.commit("Merge pull request #1 from acme/one", "2026-03-02T11:00:00+00:00", "Mallory")
    write_dump(
        tmp_path,
        [
            pr(1, merge1, "2026-03-02T10:00:00Z", [("a" * 40, "SHOP-1 work")]),
            pr(2, "b" * 40, "2026-03-02T12:00:00Z", [("c" * 40, "SHOP-2 work")]),
        ],
    )
    (finding,) = cm_findings(tmp_path)
    assert dict(finding.properties)["change_id"] == f"commit:{fake}"
    assert finding.message.endswith(
        f"its subject names #1, but #1 was merged as {merge1[:7]}, not as this commit"
    )


def test_twin_flipping_one_commit_to_unaccounted_fails_exactly_cm001(tmp_path: Path) -> None:
    h = History(tmp_path)
    h.commit("initial import", "2026-03-01T08:00:00+00:00")
    h.branch("one", "SHOP-1 work", when="2026-03-02T09:00:00+00:00")
    merge1 = h.merge("one", 1, "2026-03-02T10:00:00+00:00")
    squash2 = h.commit("SHOP-2: tidy (#2)", "2026-03-02T11:00:00+00:00")
    prs = [
        pr(1, merge1, "2026-03-02T10:00:00Z", [("a" * 40, "SHOP-1 work")]),
        pr(2, squash2, "2026-03-02T11:00:00Z", [("b" * 40, "tidy")]),
    ]
    write_dump(tmp_path, prs)
    assert failed(tmp_path) == set()
    twin = copy.deepcopy(prs)
    twin[1]["mergeCommit"] = {"oid": "9" * 40}  # #2 merged as another commit: the squash is no PR's
    write_dump(tmp_path, twin)
    assert failed(tmp_path) == {("CM001", f"commit:{squash2}")}


def test_rebased_commits_are_accounted_for_only_as_many_as_the_pull_request_has(
    tmp_path: Path,
) -> None:
    h = History(tmp_path)
    h.commit("initial import", "2026-03-01T08:00:00+00:00")
    h.branch("one", "SHOP-1 work", when="2026-03-02T09:00:00+00:00")
    merge1 = h.merge("one", 1, "2026-03-02T10:00:00+00:00")
    pushed = h.commit("SHOP-2 step", "2026-03-02T11:00:00+00:00", author="Mallory")
    first = h.commit("SHOP-2 step", "2026-03-02T12:00:00+00:00")
    last = h.commit("SHOP-2 done", "2026-03-02T12:00:00+00:00")
    write_dump(
        tmp_path,
        [
            pr(1, merge1, "2026-03-02T10:00:00Z", [("a" * 40, "SHOP-1 work")]),
            pr(
                2,
                last,
                "2026-03-02T12:00:00Z",
                [("b" * 40, "SHOP-2 step"), ("c" * 40, "SHOP-2 done")],
            ),
        ],
    )
    assert first != pushed
    assert failed(tmp_path) == {("CM001", f"commit:{pushed}")}


def test_commits_outside_the_period_are_not_in_the_population(population: dict[str, Any]) -> None:
    p = population
    ids = {c for _, c in failed(p["root"])}
    assert f"commit:{p['before']}" not in ids and f"commit:{p['after']}" not in ids
    # the period is the export's: widen it and both direct commits fail
    prs = copy.deepcopy(p["prs"])
    prs[0]["mergedAt"], prs[-1]["mergedAt"] = "2026-03-01T00:00:00Z", "2026-03-06T00:00:00Z"
    write_dump(p["root"], prs)
    ids = {c for _, c in failed(p["root"])}
    assert {f"commit:{p['before']}", f"commit:{p['after']}"} <= ids


def test_without_an_export_nothing_is_reported(tmp_path: Path) -> None:
    h = History(tmp_path)
    h.commit("hotfix prices", "2026-03-02T13:00:00+00:00", author="Mallory")
    assert not [f for f in cm_findings(tmp_path) if f.rule.id == "CM001"]


def test_without_a_clone_nothing_is_reported(tmp_path: Path) -> None:
    write_dump(tmp_path, [pr(1, "a" * 40, "2026-03-02T10:00:00Z", [("b" * 40, "SHOP-1 work")])])
    assert failed(tmp_path) == set()


def test_an_export_of_another_repository_decides_nothing(population: dict[str, Any]) -> None:
    """None of its merge commits is on the branch (another repository, or no `mergeCommit`):
    every commit would look unaccounted, so nothing is reported."""
    p = population
    prs = copy.deepcopy(p["prs"])
    for item in prs:
        del item["mergeCommit"]
        item["commits"] = [dict(c, oid="0" * 40) for c in item["commits"]]
    write_dump(p["root"], prs)
    assert failed(p["root"]) == set()


def test_production_branches_and_other_bases(population: dict[str, Any]) -> None:
    """A pull request into another branch accounts for nothing on main; a production branch
    the clone does not have decides nothing."""
    p = population
    prs = copy.deepcopy(p["prs"])
    prs[1]["baseRefName"] = "develop"
    write_dump(p["root"], prs)
    assert (("CM001", f"commit:{p['squash2']}")) in failed(p["root"])
    config = Config(parameters={"production_branches": ["release"]})
    assert not [f for f in cm_findings(p["root"], config) if f.rule.id == "CM001"]


def test_origin_main_is_read_when_the_clone_has_it(population: dict[str, Any]) -> None:
    """GitHub's side of the branch: a local commit not yet pushed is not on it."""
    p = population
    repo = p["history"].repo
    repo.git.update_ref("refs/remotes/origin/main", p["merge5"])
    repo.git.symbolic_ref("refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    extra = p["history"].commit("local only", "2026-03-02T17:00:00+00:00", author="Mallory")
    ids = {c for _, c in failed(p["root"])}
    assert f"commit:{extra}" not in ids
    assert f"commit:{p['direct']}" in ids


def test_an_exception_for_the_export_exempts_cm001(population: dict[str, Any]) -> None:
    from soc2lint.config import load_config

    p = population
    (p["root"] / ".soc2lint.yaml").write_text(
        "exceptions:\n"
        "  - rule: CM001\n"
        f"    path: {DUMP}\n"
        "    reason: release bot pushes version bumps, reviewed monthly (CHG-12)\n"
        "    expires: 2026-12-31\n",
        encoding="utf-8",
    )
    config = load_config(p["root"] / ".soc2lint.yaml")
    assert not [f for f in cm_findings(p["root"], config) if f.rule.id == "CM001"]
