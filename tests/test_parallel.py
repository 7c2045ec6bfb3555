"""Large scans run in worker processes; the report must be the same, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from soc2lint.scan.parallel import MIN_FILES


def test_workers_give_byte_identical_reports(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    for i in range(MIN_FILES + 10):
        write(
            f".github/workflows/w{i:03d}.yml",
            f"on: push\npermissions: write-all\njobs:\n  deploy-{i}:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - uses: acme/ship@v{i}\n      - run: kubectl apply -f k8s/{i}\n",
        )
    write("k8s/bad.yaml", "apiVersion: v1\nkind: Pod\nspec: [\n")
    reports = {}
    for jobs in ("1", "2"):
        for fmt in ("sarif", "json"):
            code, out, err = run("--format", fmt, "-j", jobs, str(tmp_path))
            assert code == 1, err
            reports[(jobs, fmt)] = out
    assert reports[("1", "sarif")] == reports[("2", "sarif")]
    assert reports[("1", "json")] == reports[("2", "json")]
    assert '"files_scanned": 211' in reports[("2", "json")]
    assert reports[("2", "json")].count('"rule_id": "GHA002"') == MIN_FILES + 10
