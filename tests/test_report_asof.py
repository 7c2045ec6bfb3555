"""`soc2lint report --as-of DATE`: the repository and its `.soc2/` tree as they were at the last
commit at or before the end of that day (UTC), read from git objects, the work tree untouched.
Through the real CLI, on real git repositories with dated commits."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import git
from test_changes import good_pr, write_dump
from test_report_controls import WRITE_ALL, commit_all

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

CLEAN = WRITE_ALL.replace("permissions: write-all", "permissions: {contents: read}")
DRILL = """\
date: 2026-01-15
rolled_back: shop-api v1.42.0 -> v1.41.3
run_url: https://github.com/acme/shop/actions/runs/1
result: success
who: alice
"""


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["control"]: r for r in csv.DictReader(handle)}


def merged(number: int, day: str) -> dict[str, object]:
    pr = good_pr(number)
    for key in ("mergedAt", "createdAt"):
        pr[key] = f"{day}T12:00:00Z" if key == "mergedAt" else f"{day}T09:00:00Z"
    for review in pr["reviews"]:
        review["submittedAt"] = f"{day}T11:00:00Z"
    for check in pr["statusCheckRollup"]:
        check["completedAt"] = f"{day}T10:30:00Z"
    return pr


def history(write: Write, root: Path) -> tuple[git.Repo, list[str]]:
    """Three evidence commits: January (clean), mid-January (a drill, a write-all workflow, a
    collection), March (the workflow fixed, one more change)."""
    repo = git.Repo.init(root)
    commits = []
    write(".github/workflows/ci.yml", CLEAN, root)
    write_dump(write, root, [merged(1, "2026-01-05")])
    commits.append(commit_all(repo, "evidence 2026-01-10", "2026-01-10T06:00:00"))
    write(".github/workflows/ci.yml", WRITE_ALL, root)
    write(".soc2/records/rollback-drills/2026-01-15.yaml", DRILL, root)
    manifest = {
        "collected_at": "2026-01-16T05:59:00Z",
        "files": [{"path": "changes/gh-pr-list.json", "collected_at": "2026-01-16T05:59:30Z"}],
    }
    write(".soc2/github/acme/shop/manifest.json", json.dumps(manifest), root)
    commits.append(commit_all(repo, "evidence 2026-01-16", "2026-01-16T06:00:00"))
    write(".github/workflows/ci.yml", CLEAN, root)
    write_dump(write, root, [merged(1, "2026-01-05"), merged(2, "2026-03-05")])
    commits.append(commit_all(repo, "evidence 2026-03-10", "2026-03-10T06:00:00"))
    return repo, commits


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_as_of_reads_the_commit_of_that_day_and_leaves_the_work_tree_alone(
    run: Run, write: Write, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    repo, commits = history(write, root)
    write("notes.txt", "uncommitted work\n", root)  # the work tree differs from HEAD
    (root / ".github/workflows/ci.yml").write_text(WRITE_ALL, encoding="utf-8")
    before, status = snapshot(root), repo.git.status("--porcelain")
    index = (root / ".git" / "index").read_bytes()
    out = tmp_path / "evidence"
    code, stdout, err = run("report", str(root), "--out", str(out), "--as-of", "2026-02-15")
    assert code == 0, err
    assert f"as of 2026-02-15 (commit {commits[1][:12]})" in stdout
    assert (root / ".git" / "index").read_bytes() == index
    assert snapshot(root) == before and repo.git.status("--porcelain") == status
    assert repo.head.commit.hexsha == commits[2]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == {
        "date": "2026-02-15",
        "commit": commits[1],
        "committed_at": "2026-01-16T06:00:00Z",
    }
    assert manifest["collections"] == {
        ".soc2/github/acme/shop/manifest.json": "2026-01-16T05:59:00Z"
    }
    assert "--as-of 2026-02-15" in manifest["command"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert (
        f"- As of: 2026-02-15 (end of day UTC): commit `{commits[1]}` committed "
        "2026-01-16T06:00:00Z (evidence 2026-01-16)" in summary
    )
    assert "- Period: 2025-02-16 to 2026-02-15 (UTC, inclusive)" in summary
    assert (
        "- Collection `.soc2/github/acme/shop/manifest.json`: collected at 2026-01-16T05:59:00Z"
        in summary
    )
    rows = read_csv(out / "controls.csv")
    # the write-all workflow of that commit, not the fixed one of March nor the work tree's
    assert rows["CC6.3"]["status"] == "fail" and "GHA002" in rows["CC6.3"]["rules"]
    # the drill of 2026-01-15 is within the quarter before the as-of date (RB002 as_of)
    assert rows["A1.3"]["status"] == "pass" and rows["A1.3"]["rules"] == "RB002"
    evidence = {}
    with (out / "evidence.csv").open(encoding="utf-8", newline="") as handle:
        evidence = {e["path"]: e for e in csv.DictReader(handle)}
    ci = evidence[".github/workflows/ci.yml"]
    assert ci["commit"] == commits[1]
    assert ci["sha256"] == hashlib.sha256(WRITE_ALL.encode()).hexdigest()
    export = evidence[".soc2/github/acme/shop/changes/gh-pr-list.json"]
    assert export["collected_at"] == "2026-01-16T05:59:30Z"
    with (out / "changes" / "population.csv").open(encoding="utf-8", newline="") as handle:
        assert [r["change_id"] for r in csv.DictReader(handle)] == ["pr:1"]

    # today (2026-12-04 or later), the same drill is long past: the criterion fails; the
    # March commit's workflow is clean
    later = tmp_path / "later"
    code, _, err = run("report", str(root), "--out", str(later), "--as-of", "2026-03-10")
    assert code == 0, err
    rows = read_csv(later / "controls.csv")
    assert rows["CC6.3"]["status"] != "fail" and rows["CC6.3"]["findings"] == "0"
    assert rows["A1.3"]["status"] == "pass"  # 2026-01-15 is within 92 days of 2026-03-10
    code, _, err = run("report", str(root), "--out", str(tmp_path / "now"), "--as-of", "2026-12-01")
    assert code == 0, err
    assert read_csv(tmp_path / "now" / "controls.csv")["A1.3"]["status"] == "fail"


def test_the_end_of_the_day_is_utc_and_inclusive(run: Run, write: Write, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    write_dump(write, root, [merged(1, "2026-01-05")])
    write(".github/workflows/ci.yml", WRITE_ALL, root)
    last = commit_all(repo, "late on the 15th", "2026-02-15T23:59:59")
    write(".github/workflows/ci.yml", CLEAN, root)
    commit_all(repo, "early on the 16th", "2026-02-16T00:00:01")
    out = tmp_path / "evidence"
    assert run("report", str(root), "--out", str(out), "--as-of", "2026-02-15")[0] == 0
    assert json.loads((out / "manifest.json").read_text())["as_of"]["commit"] == last


def test_an_evidence_branch_is_read_with_ref(run: Run, write: Write, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    write_dump(write, root, [merged(1, "2026-01-05")])
    write(".github/workflows/ci.yml", CLEAN, root)
    base = commit_all(repo, "code", "2026-01-10T06:00:00")
    repo.git.checkout("-q", "-b", "soc2-evidence")
    write(".soc2/records/rollback-drills/2026-01-15.yaml", DRILL, root)
    evidence = commit_all(repo, "evidence", "2026-01-16T06:00:00")
    repo.git.checkout("-q", "main")
    out = tmp_path / "evidence"
    assert run("report", str(root), "--out", str(out), "--as-of", "2026-02-01")[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["as_of"]["commit"] == base
    assert read_csv(out / "controls.csv")["A1.3"]["status"] == "not evaluated"
    out = tmp_path / "branch"
    args = ("--as-of", "2026-02-01", "--ref", "soc2-evidence")
    assert run("report", str(root), "--out", str(out), *args)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["as_of"]["commit"] == evidence
    assert "--ref soc2-evidence" in manifest["command"]
    assert read_csv(out / "controls.csv")["A1.3"]["status"] == "pass"
    assert not (root / ".soc2" / "records").exists()  # main's work tree as it was


def test_no_commit_that_old_bad_dates_and_no_repository_are_one_line_errors(
    run: Run, write: Write, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    write_dump(write, root, [merged(1, "2026-01-05")])
    commit_all(repo, "first", "2026-01-10T06:00:00")
    out = str(tmp_path / "o")
    code, _, err = run("report", str(root), "--out", out, "--as-of", "2026-01-09")
    assert code == 2
    assert err.strip().splitlines() == [
        f"soc2lint: error: {root}: no commit on HEAD at or before 2026-01-09 (end of day UTC)"
    ]
    code, _, err = run("report", str(root), "--out", out, "--as-of", "2026-02-30")
    assert code == 2 and "--as-of 2026-02-30: expected a date YYYY-MM-DD" in err
    code, _, err = run("report", str(root), "--out", out, "--as-of", "2026-02-01", "--ref", "nope")
    assert code == 2 and len(err.strip().splitlines()) == 1
    plain = tmp_path / "plain"
    write_dump(write, plain, [merged(1, "2026-01-05")])
    code, _, err = run("report", str(plain), "--out", out, "--as-of", "2026-02-01")
    assert code == 2 and "not in a git repository" in err


EVIDENCE_WORKFLOW = Path(__file__).resolve().parent.parent / "examples" / "ci" / "evidence.yml"


def test_the_example_evidence_workflow_passes_soc2lints_own_rules(
    run: Run, write: Write, tmp_path: Path
) -> None:
    import re

    import yaml

    text = EVIDENCE_WORKFLOW.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    assert workflow[True]["schedule"] == [{"cron": "17 5 * * 1"}]  # `on:` reads as True
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", u) for u in uses)
    assert all(
        re.search(r"@[0-9a-f]{40} # v\d", line) for line in text.splitlines() if "uses:" in line
    )
    assert "cat .soc2/manifest.json" in job["steps"][-1]["run"]
    write(".github/workflows/soc2-evidence.yml", text, tmp_path / "repo")
    code, out, err = run(
        str(tmp_path / "repo"), "--select", "GHA", "--preview", "--no-history", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["findings"] == []
    # the rules did read it: a third-party action by tag instead of SHA fails GHA003
    tagged = re.sub(r"actions/checkout@[0-9a-f]{40}", "someone/checkout@v7", text)
    write(".github/workflows/soc2-evidence.yml", tagged, tmp_path / "repo")
    code, out, _ = run(
        str(tmp_path / "repo"), "--select", "GHA", "--preview", "--no-history", "--format", "json"
    )
    assert code == 1
    assert {f["rule_id"] for f in json.loads(out)["findings"]} == {"GHA003"}


def test_exceptions_expire_as_of_the_date(run: Run, write: Write, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    write_dump(write, root, [merged(1, "2026-01-05")])
    write(".github/workflows/ci.yml", WRITE_ALL, root)
    write(
        ".soc2lint.yaml",
        """\
        exceptions:
          - rule: GHA002
            path: .github/workflows/ci.yml
            reason: release job until the split
            ticket: SEC-9
            expires: 2026-02-01
        """,
        root,
    )
    commit_all(repo, "evidence", "2026-01-10T06:00:00")

    def state(day: str) -> tuple[str, str, str]:
        out = tmp_path / day
        assert run("report", str(root), "--out", str(out), "--as-of", day)[0] == 0
        with (out / "exceptions.csv").open(encoding="utf-8", newline="") as handle:
            (row,) = csv.DictReader(handle)
        cc63 = read_csv(out / "controls.csv")["CC6.3"]
        return row["state"], row["findings"], cc63["exceptions"]

    assert state("2026-01-20") == ("active", "1", "1")
    assert state("2026-02-10") == ("expired", "0", "0")


def test_blobs_are_written_as_stored_and_links_left_out(
    run: Run, write: Write, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root)
    write_dump(write, root, [merged(1, "2026-01-05")])
    blob = bytes(range(256)) * 4096 + b"\n\n"  # binary, 1 MiB and more: read in chunks
    write("assets/logo.bin", blob, root)
    write(".gitattributes", "*.txt filter=nope\n", root)  # a filter git would need to run
    write("notes.txt", "as stored\r\n", root)
    (root / "link").symlink_to("notes.txt")
    commit_all(repo, "evidence", "2026-01-10T06:00:00")
    out = tmp_path / "evidence"
    code, _, err = run("report", str(root), "--out", str(out), "--as-of", "2026-01-10")
    assert code == 0, err
    evidence = {}
    with (out / "evidence.csv").open(encoding="utf-8", newline="") as handle:
        evidence = {e["path"]: e for e in csv.DictReader(handle)}
    dump = (root / ".soc2/github/acme/shop/changes/gh-pr-list.json").read_bytes()
    assert evidence[".soc2/github/acme/shop/changes/gh-pr-list.json"]["sha256"] == (
        hashlib.sha256(dump).hexdigest()
    )
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "files read from git objects, 1 links or submodules left out" in summary
    # the tree the report read: the bytes as committed, no filter run, the link left out
    import datetime as dt

    from soc2lint.asof import materialise

    tree = tmp_path / "tree"
    snapshot = materialise(root, dt.date(2026, 1, 10), tree)
    assert (tree / "assets" / "logo.bin").read_bytes() == blob
    assert (tree / "notes.txt").read_bytes() == b"as stored\r\n"
    assert not (tree / "link").exists() and (snapshot.files, snapshot.skipped) == (4, 1)
