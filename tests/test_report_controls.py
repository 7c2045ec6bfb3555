"""`soc2lint report`'s control matrix: every criterion a selected rule cites, with its status
(pass / fail / partly evaluated / not evaluated, never a pass for lack of evidence), the rules
that decided it, the evidence it rests on, and the documented exceptions. Through the real CLI,
on real git repositories."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import git
from test_changes import good_pr, write_dump

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

WRITE_ALL = """\
on: push
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def commit_all(repo: git.Repo, message: str, when: str = "2026-03-01T12:00:00") -> str:
    """Commit every file, authored and committed at `when` (UTC)."""
    stamp = int(dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc).timestamp())
    repo.git.add("-A")
    date = f"{stamp} +0000"
    return str(repo.index.commit(message, author_date=date, commit_date=date).hexsha)


def make_repo(write: Write, root: Path) -> git.Repo:
    repo = git.Repo.init(root)
    write_dump(write, root, [good_pr(1), good_pr(2)])
    return repo


def test_controls_csv_statuses_rules_counts_and_exceptions(
    run: Run, write: Write, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    repo = make_repo(write, root)
    write(".github/workflows/ci.yml", WRITE_ALL, root)
    # the same failure elsewhere, accepted by a documented exception
    write(".github/workflows/legacy.yml", WRITE_ALL, root)
    write(
        ".soc2lint.yaml",
        """\
        exceptions:
          - rule: GHA002
            path: .github/workflows/legacy.yml
            reason: legacy release job, replaced in Q3
            ticket: SEC-42
            expires: 2099-01-31
            approved_by: carol
        """,
        root,
    )
    head = commit_all(repo, "initial")
    out = tmp_path / "evidence"
    code, stdout, err = run("report", str(root), "--out", str(out))
    assert code == 0, err
    assert "controls" in stdout
    rows = {r["control"]: r for r in read_csv(out / "controls.csv")}
    # GHA002 cites CC6.1 and CC6.3: one open finding, one under the exception
    cc63 = rows["CC6.3"]
    assert cc63["status"] == "fail"
    assert "GHA002" in cc63["rules"].split(";")
    assert (cc63["findings"], cc63["exceptions"]) == ("1", "1")
    # access reviews (AR001, AR002) have no records: not evaluated, with the reason
    cc62 = rows["CC6.2"]
    assert cc62["status"] == "not evaluated"
    assert cc62["reason"] == "evidence missing or forbidden for AR001, AR002"
    # the settings exports are missing: change management is judged only in part, never a pass
    assert rows["CC8.1"]["status"] == "partly evaluated"
    assert "evidence missing or forbidden for GH001" in rows["CC8.1"]["reason"]
    assert {r["status"] for r in rows.values()} <= {
        "pass",
        "fail",
        "partly evaluated",
        "not evaluated",
    }
    # the history is not scanned by the report: its rule's criteria cannot pass
    assert "SEC002 not run by the report" in rows["CC6.6"]["reason"]
    assert rows["CC6.6"]["status"] != "pass"
    # the evidence: every file with its sha256 and the commit it was read at
    evidence = {e["path"]: e for e in read_csv(out / "evidence.csv")}
    ci = evidence[".github/workflows/ci.yml"]
    assert ci["sha256"] == hashlib.sha256(WRITE_ALL.encode()).hexdigest()
    assert ci["commit"] == head and ci["collected_at"] == ""
    assert "CC6.3" in ci["controls"].split(";")
    # the exception, with what an auditor asks for
    (exception,) = read_csv(out / "exceptions.csv")
    assert exception == {
        "kind": "config",
        "rule": "GHA002",
        "path": ".github/workflows/legacy.yml",
        "line": "",
        "reason": "legacy release job, replaced in Q3",
        "ticket": "SEC-42",
        "expires": "2099-01-31",
        "approved_by": "carol",
        "findings": "1",
        "state": "active",
    }
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## 6. Controls (Trust Services Criteria)" in summary
    assert (
        "| CC6.3 | FAIL | also evaluated in part: evidence missing or forbidden for AR001"
        in summary
    )
    assert "| CC6.2 | not evaluated | evidence missing or forbidden for AR001, AR002 |" in summary
    assert "## 7. Documented exceptions and suppressions" in summary
    assert "| config | GHA002 | .github/workflows/legacy.yml | legacy release job" in summary
    assert "SEC-42 | 2099-01-31 | carol | 1 | active |" in summary
    assert "## 8. Reproduce" in summary
    assert f"Repository files read at commit `{head}`" in summary
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "<td>CC6.3</td><td>FAIL</td>" in html
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in ("controls.csv", "evidence.csv", "exceptions.csv"):
        assert manifest["outputs"][name] == hashlib.sha256((out / name).read_bytes()).hexdigest()


def test_inline_suppression_listed_and_collected_at_from_the_manifest(
    run: Run, write: Write, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    make_repo(write, root)
    write(
        ".github/workflows/ci.yml",
        WRITE_ALL.replace(
            "permissions: write-all",
            "permissions: write-all  # soc2lint: ignore[GHA002] release needs it, SEC-7",
        ),
        root,
    )
    # a collector's manifest lists the pull-request export with its time and sha256; the
    # export was edited after the collection, and the report says so
    dump = root / ".soc2/github/acme/shop/changes/gh-pr-list.json"
    collected = hashlib.sha256(b"what was collected").hexdigest()
    write(
        ".soc2/github/acme/shop/changes/manifest.json",
        json.dumps(
            {
                "tool": "soc2lint",
                "collected_at": "2026-02-01T06:00:00Z",
                "files": [
                    {
                        "path": "gh-pr-list.json",
                        "collected_at": "2026-02-01T06:00:03Z",
                        "sha256": collected,
                    }
                ],
            }
        ),
        root,
    )
    out = tmp_path / "evidence"
    code, _, err = run("report", str(root), "--out", str(out))
    assert code == 0, err
    (suppression,) = read_csv(out / "exceptions.csv")
    assert (suppression["kind"], suppression["rule"]) == ("inline", "GHA002")
    assert (suppression["path"], suppression["line"]) == (".github/workflows/ci.yml", "2")
    assert suppression["reason"] == "release needs it, SEC-7"
    rows = {r["control"]: r for r in read_csv(out / "controls.csv")}
    assert (rows["CC6.3"]["findings"], rows["CC6.3"]["exceptions"]) == ("0", "1")
    evidence = {e["path"]: e for e in read_csv(out / "evidence.csv")}
    export = evidence[".soc2/github/acme/shop/changes/gh-pr-list.json"]
    assert export["collected_at"] == "2026-02-01T06:00:03Z"
    assert export["manifest"] == ".soc2/github/acme/shop/changes/manifest.json"
    assert export["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert export["commit"] == ""  # no commit yet
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert (
        "- Collection `.soc2/github/acme/shop/changes/manifest.json`: collected at "
        "2026-02-01T06:00:00Z, 1 files; 1 no longer match the manifest's sha256" in summary
    )


def test_not_evaluated_never_reads_as_pass_in_any_format(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """A repository with nothing but a pull-request export: criteria whose rules had no
    evidence are not evaluated in the CSV, the Markdown and the HTML alike."""
    root = tmp_path / "repo"
    write_dump(write, root, [good_pr(1)])
    out = tmp_path / "evidence"
    assert run("report", str(root), "--out", str(out))[0] == 0
    rows = read_csv(out / "controls.csv")
    # no Terraform, no Kubernetes: the network-transmission criterion has nothing to judge
    cc67 = next(r for r in rows if r["control"] == "CC6.7")
    assert cc67["status"] == "not evaluated"
    assert cc67["reason"] == "no artifacts of that kind for FLUX003, KUB005, KUB018, TFA023"
    unproven = [r["control"] for r in rows if r["status"] in ("not evaluated", "partly evaluated")]
    assert "CC6.2" in unproven and "A1.3" in unproven and "CC8.1" in unproven
    summary = (out / "summary.md").read_text(encoding="utf-8")
    html = (out / "summary.html").read_text(encoding="utf-8")
    for control in unproven:
        line = next(x for x in summary.splitlines() if x.startswith(f"| {control} |"))
        assert "| pass |" not in line
        assert f"<td>{control}</td><td>pass</td>" not in html


def test_a_criterion_only_unselected_rules_cite_is_not_evaluated(
    run: Run, write: Write, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    write_dump(write, root, [good_pr(1)])
    write(".soc2/records/rollback-drills/2026-01-15.yaml", "date: 2026-01-15\n", root)
    write(".soc2lint.yaml", "ignore: [RB002]\n", root)
    out = tmp_path / "evidence"
    assert run("report", str(root), "--out", str(out))[0] == 0
    rows = {r["control"]: r for r in read_csv(out / "controls.csv")}
    assert (rows["A1.3"]["status"], rows["A1.3"]["reason"]) == (
        "not evaluated",
        "rule not selected: RB001 (preview), RB002",
    )
    assert (rows["A1.3"]["rules"], rows["A1.3"]["evidence_files"]) == ("", "0")
