"""The command line as users run it: commands, formats, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from soc2lint import __version__

# The CLI's own behaviour is tested with two rules; each rule's behaviour is tested by its examples.
ONLY = ("--select", "GHA001,GHA002")
BAD = """\
on: push
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: terraform apply -auto-approve
"""

Run = Callable[..., tuple[int, str, str]]


def test_version(run: Run) -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"soc2lint, version {__version__}"


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "soc2lint", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_default_command_is_scan_and_text_output(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/deploy.yml", BAD)
    write(".soc2lint.yaml", "select: [GHA001, GHA002]\n")
    code, out, _ = run(cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == ".github/workflows/deploy.yml"
    assert lines[1].startswith("  .github/workflows/deploy.yml:2:14: GHA002 [CC6.1, CC6.3] high: ")
    assert lines[2].startswith("      why: ") and lines[3].startswith("      fix: ")
    assert ".github/workflows/deploy.yml:4:3: GHA001 [CC8.1, CC6.1] high: Job 'deploy'" in out
    assert "Findings by SOC 2 control:" in out
    assert any(line.startswith("  CC8.1 ") for line in lines)
    assert lines[-1].startswith("2 findings (2 high) in 1 of 1 files scanned with ")
    # explicit `scan` and a path argument give the same report
    assert run("scan", str(tmp_path))[1] == run(str(tmp_path))[1]


def test_quiet_and_no_color(write: Callable[..., Path], run: Run, tmp_path: Path) -> None:
    write(".github/workflows/deploy.yml", BAD)
    code, out, _ = run("-q", "--no-color", *ONLY, str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        ".github/workflows/deploy.yml:2:14: GHA002 [CC6.1, CC6.3] high: `permissions: write-all` gives "
        "GITHUB_TOKEN write access to code, packages, releases and settings",
        ".github/workflows/deploy.yml:4:3: GHA001 [CC8.1, CC6.1] high: Job 'deploy' deploys but names no "
        "`environment:`, so no reviewer approves the change before it reaches production",
    ]
    assert "\x1b[" not in out


def test_clean_tree_exits_zero(write: Callable[..., Path], run: Run, tmp_path: Path) -> None:
    write(
        ".github/workflows/ci.yml",
        "on: push\npermissions: {contents: read}\njobs:\n  t:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
    )
    code, out, _ = run(str(tmp_path))
    assert code == 0 and out.startswith("0 findings in 0 of 1 files")


def test_output_file_and_json(write: Callable[..., Path], run: Run, tmp_path: Path) -> None:
    write("repo/.github/workflows/deploy.yml", BAD)
    report = tmp_path / "out.json"
    code, out, _ = run("--format", "json", "--output", str(report), *ONLY, str(tmp_path / "repo"))
    assert code == 1 and out == ""
    data = json.loads(report.read_text())
    first = data["findings"][0]
    assert {k: first[k] for k in ("rule_id", "path", "line", "column", "severity", "controls")} == {
        "rule_id": "GHA002",
        "path": ".github/workflows/deploy.yml",
        "line": 2,
        "column": 14,
        "severity": "high",
        "controls": ["CC6.1", "CC6.3"],
    }
    assert first["why"] and first["fix"] and len(first["fingerprint"]) > 16
    assert data["summary"]["by_control"]["CC6.1"] == 2


def test_rules_command(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("rules", cwd=tmp_path)
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("GHA001"))
    assert row.split()[:4] == ["GHA001", "deploy-without-environment", "high", "CC8.1,CC6.1"]
    code, out, _ = run("rules", "--format", "json", cwd=tmp_path)
    rules = json.loads(out)
    assert {"GHA001", "GHA002", "GHA003", "SL001"} <= {r["id"] for r in rules}
    assert all(set(r) >= {"id", "name", "severity", "controls", "title"} for r in rules)


def test_explain_rule_by_id_and_name(run: Run, tmp_path: Path) -> None:
    by_id = run("explain", "GHA003", cwd=tmp_path)
    by_name = run("explain", "unpinned-action", cwd=tmp_path)
    assert by_id[0] == 0 and by_id[1] == by_name[1]
    for section in (
        "## What it does",
        "## Why an auditor cares",
        "## Example",
        "## Use instead",
        "## Controls",
        "CC9.2",
    ):
        assert section in by_id[1]


def test_explain_control_lists_citing_rules(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("explain", "cc8.1", cwd=tmp_path)
    assert code == 0
    assert out.startswith("CC8.1 ")
    assert "GHA001" in out and "GHA003" in out and "KUB001" not in out


def test_explain_a21_points_to_a12(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("explain", "A2.1", cwd=tmp_path)
    assert code == 0
    assert "no criterion A2.1" in out and "\nA1.2 " in out


def test_explain_unknown(run: Run, tmp_path: Path) -> None:
    code, _, err = run("explain", "XYZ123", cwd=tmp_path)
    assert code == 2 and err.startswith("soc2lint: error: 'XYZ123' is neither")


def test_controls_coverage_map(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("controls", "--format", "json", cwd=tmp_path)
    assert code == 0
    data = json.loads(out)
    criteria = {c["id"]: c for c in data["criteria"]}
    assert len(criteria) == 61
    assert "GHA001" in criteria["CC8.1"]["rules"] and criteria["P8.1"]["rules"] == []
    code, out, _ = run("controls", cwd=tmp_path)
    assert "CC6 Logical and Physical Access Controls" in out
    assert "criteria have at least one rule" in out


def test_usage_errors_exit_2(run: Run, tmp_path: Path) -> None:
    assert run("--format", "xml", str(tmp_path))[0] == 2
    assert run(str(tmp_path / "missing"))[0] == 2
    assert run("--fail-on", "severe", str(tmp_path))[0] == 2


def test_the_readme_demo_shows_each_family(run: Run) -> None:
    """The README's first command scans examples/demo: workflow, manifest and secret findings,
    and one documented exception."""
    demo = Path(__file__).resolve().parent.parent / "examples" / "demo"
    code, out, _ = run("--format", "json", "--no-history", str(demo))
    findings = json.loads(out)["findings"]
    assert code == 1
    active = {f["rule_id"] for f in findings if not f["suppressed"]}
    assert {"GHA001", "GHA002", "SEC001"} <= active
    assert [(f["rule_id"], f["path"]) for f in findings if f["suppressed"]] == [
        ("KUB001", "k8s/node-agent.yaml")
    ]
    assert ("SEC001", "app/settings.py", 8) in {
        (f["rule_id"], f["path"], f["line"]) for f in findings
    }
