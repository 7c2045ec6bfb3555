"""`soc2lint report`: the population, a sample anyone can re-derive from the documented formula,
the summary and the manifest; same inputs, same bytes."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_changes import DUMP, good_pr, write_dump

from soc2lint.report.sampling import large_population_size, sample_size

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


def population(count: int) -> list[dict[str, Any]]:
    prs = []
    for i in range(1, count + 1):
        pr = good_pr(i)
        pr["mergedAt"] = f"2026-{1 + i % 12:02d}-15T12:00:00Z"
        pr["createdAt"] = pr["mergedAt"].replace("12:00:00", "09:00:00")
        for review in pr["reviews"]:
            review["submittedAt"] = pr["mergedAt"].replace("12:00:00", "11:00:00")
        for check in pr["statusCheckRollup"]:
            check["completedAt"] = pr["mergedAt"].replace("12:00:00", "10:30:00")
        if i % 5 == 0:
            pr["title"], pr["headRefName"] = "tidy up", "tidy"  # no ticket: CM008
        prs.append(pr)
    return prs


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("n", "expected"), [(12, 9), (24, 15), (52, 20), (250, 27), (1000, 29), (100_000, 29)]
)
def test_sample_sizes_are_the_attribute_sampling_table(n: int, expected: int) -> None:
    assert sample_size(n) == expected
    assert sample_size(100_000, 0.95, 0.05) == 59 == large_population_size(0.95, 0.05)
    assert sample_size(100_000, 0.90, 0.10) == 22


def test_the_report_and_its_sample_re_derived_from_the_formula(
    run: Run, write: Write, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    write_dump(write, repo, population(40))
    out = tmp_path / "evidence"
    code, stdout, err = run("report", str(repo), "--out", str(out), "--seed", "auditor-7")
    assert code == 0, err
    rows = read_csv(out / "changes" / "population.csv")
    assert len(rows) == 40
    assert [r["change_id"] for r in rows] == sorted(
        (r["change_id"] for r in rows),
        key=lambda c: (next(x for x in rows if x["change_id"] == c)["merged_at_utc"], c),
    )
    by_id = {r["change_id"]: r for r in rows}
    assert by_id["pr:5"]["CM008"] == "FAIL" and by_id["pr:4"]["CM008"] == "pass"
    assert by_id["pr:4"]["CM006"] == "n/a" and by_id["pr:4"]["approvers"] == "bob"
    # the documented formula, computed here independently
    keys = sorted((hashlib.sha256(f"auditor-7:{cid}".encode()).hexdigest(), cid) for cid in by_id)
    expected_n = sample_size(40)
    sample = read_csv(out / "changes" / "sample.csv")
    assert [(r["sample_key"], r["change_id"]) for r in sample] == keys[:expected_n]
    assert [r["sample_rank"] for r in sample] == [str(i) for i in range(1, expected_n + 1)]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((out / "changes" / "population.csv").read_bytes()).hexdigest()
    assert f"`{digest}`" in summary and "Seed: `auditor-7`" in summary
    assert "| CM008 | 40 | 8 | 0 | 0 | 0 | 0 | 20.0% |" in summary
    assert (
        "no git clone here and no collected branch history: commits that reached the branch"
        in summary
    )
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<table>" in html
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    dump_digest = hashlib.sha256((repo / DUMP).read_bytes()).hexdigest()
    assert manifest["inputs"] == {DUMP: dump_digest}
    for name, sha in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha


def test_same_inputs_same_bytes(run: Run, write: Write, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_dump(write, repo, population(15))
    outputs = []
    out = tmp_path / "evidence"
    for _ in range(2):
        assert run("report", str(repo), "--out", str(out), "--seed", "s")[0] == 0
        outputs.append(
            {
                p.relative_to(out).as_posix(): p.read_bytes()
                for p in sorted(out.rglob("*"))
                if p.is_file()
            }
        )
        for p in sorted(out.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
    assert outputs[0] == outputs[1]
    assert sorted(outputs[0]) == [
        "changes/population.csv",
        "changes/sample.csv",
        "controls.csv",
        "evidence.csv",
        "exceptions.csv",
        "manifest.json",
        "summary.html",
        "summary.md",
    ]


def test_period_exceptions_and_explicit_sample_size(run: Run, write: Write, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_dump(write, repo, population(24))
    write(
        ".soc2lint.yaml",
        f"""\
        exceptions:
          - rule: CM008
            path: {DUMP}
            reason: Tickets live in the release notes for this repository (SEC-9)
        """,
        repo,
    )
    out = tmp_path / "q1"
    code, _, err = run(
        "report",
        str(repo),
        "--out",
        str(out),
        "--period",
        "2026-04-01..2026-06-30",
        "--sample",
        "5",
    )
    assert code == 0, err
    rows = read_csv(out / "changes" / "population.csv")
    assert {r["merged_at_utc"][:7] for r in rows} == {"2026-04", "2026-05", "2026-06"}
    assert {r["CM008"] for r in rows} <= {"pass", "exempt"} and "exempt" in {
        r["CM008"] for r in rows
    }
    assert len(read_csv(out / "changes" / "sample.csv")) == 5


def test_no_change_evidence_still_reports_controls_and_bad_options_are_usage_errors(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("app.py", "print(1)\n", tmp_path)
    # no change evidence: the controls are still reported, change management never as a pass
    code, _, err = run("report", str(tmp_path), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert read_csv(tmp_path / "o" / "changes" / "population.csv") == []
    rows = {r["control"]: r for r in read_csv(tmp_path / "o" / "controls.csv")}
    assert rows["CC8.1"]["status"] in ("not evaluated", "partly evaluated")
    assert "CM001" in rows["CC8.1"]["reason"] and "evidence missing" in rows["CC8.1"]["reason"]
    assert "no merged pull requests" in (tmp_path / "o" / "summary.md").read_text("utf-8")
    write_dump(write, tmp_path, population(3))
    code, _, err = run("report", str(tmp_path), "--out", str(tmp_path / "o"), "--period", "2026-13")
    assert code == 2


def test_direct_pushes_are_rows_of_the_population(run: Run, tmp_path: Path) -> None:
    """CM001's commits join the pull requests: kind commit, CM001 FAIL, the others n/a."""
    from tests.test_changes_git import History, pr
    from tests.test_changes_git import write_dump as write_git_dump

    h = History(tmp_path / "repo")
    h.commit("initial import", "2026-03-01T08:00:00+00:00")
    one = h.branch("one", "SHOP-1 first", when="2026-03-01T09:30:00+00:00")
    merge1 = h.merge("one", 1, "2026-03-02T10:00:00+00:00")
    direct = h.commit("hotfix prices", "2026-03-02T13:00:00+01:00", author="Mallory")
    h.branch("two", "SHOP-2 work", when="2026-03-02T14:00:00+00:00")
    merge2 = h.merge("two", 2, "2026-03-02T18:00:00+00:00")
    write_git_dump(
        h.root,
        [
            pr(1, merge1, "2026-03-02T10:00:00Z", [(one[0], "SHOP-1 first")]),
            pr(2, merge2, "2026-03-02T18:00:00Z", [("f" * 40, "SHOP-2 work")]),
        ],
    )
    out = tmp_path / "evidence"
    code, _, err = run("report", str(h.root), "--out", str(out), "--seed", "x")
    assert code == 0, err
    rows = read_csv(out / "changes" / "population.csv")
    assert [(r["change_id"], r["kind"], r["merged_at_utc"], r["CM001"]) for r in rows] == [
        ("pr:1", "pr", "2026-03-02T10:00:00Z", "pass"),
        (f"commit:{direct}", "commit", "2026-03-02T12:00:00Z", "FAIL"),
        ("pr:2", "pr", "2026-03-02T18:00:00Z", "pass"),
    ]
    assert "no git clone here" not in (out / "summary.md").read_text(encoding="utf-8")
    commit_row = rows[1]
    assert (commit_row["author"], commit_row["title"], commit_row["branch"]) == (
        "Mallory",
        "hotfix prices",
        "main",
    )
    assert {commit_row[c] for c in ("CM002", "CM005", "CM008")} == {"n/a"}
