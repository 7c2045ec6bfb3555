#!/usr/bin/env python3
"""Kubernetes parity with checkov: for each soc2lint rule with a checkov anchor (the design's
rule table), the files where checkov fails an anchor check and the files where soc2lint reports
the rule, on the same corpus: both, checkov only, soc2lint only. File level (checkov names a
resource by kind.namespace.name without a line; soc2lint by container or rule index).

    python3 bench/k8s_parity.py [--corpus DIR] [--soc2lint CMD] [--checkov PATH] [--show]

The corpus defaults to bench/.work/k8s/kubernetes__examples (bench/k8s_corpora.sh); it is copied
to a temporary directory first, since checkov skips directories whose name starts with a dot.
soc2lint runs with `--preview` and default parameters (KUB017 reports pods naming no
ServiceAccount only with `report_unnamed_account: true`; CKV_K8S_38 reports them). `--show`
prints the files of each difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OFFLINE = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
}
# soc2lint rule -> checkov checks (../shared/design/iac-rules.md, "equivalent checks")
ANCHORS = {
    "KUB001": ("CKV_K8S_16",),
    "KUB003": ("CKV_K8S_49",),
    "KUB004": ("CKV_K8S_157", "CKV_K8S_158"),
    "KUB009": ("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"),
    "KUB010": ("CKV_K8S_27",),
    "KUB011": ("CKV_K8S_39", "CKV_K8S_25", "CKV_K8S_20"),
    "KUB012": ("CKV_K8S_14",),
    "KUB013": ("CKV_K8S_8", "CKV_K8S_9"),
    "KUB014": ("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"),
    "KUB017": ("CKV_K8S_38",),
}


def checkov_files(checkov: str, corpus: str) -> dict[str, set[str]]:
    checks = sorted({c for ids in ANCHORS.values() for c in ids})
    env = {k: v for k, v in os.environ.items() if k not in ("BC_API_KEY", "PRISMA_API_URL")}
    env.update(OFFLINE)
    cmd = [checkov, "-d", corpus, "--framework", "kubernetes", "--check", ",".join(checks)]
    cmd += ["--quiet", "--compact", "-o", "json", "--skip-download"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout
    data = json.loads(out) if out.strip() else []
    reports = data if isinstance(data, list) else [data]
    failed: dict[str, set[str]] = {}
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            path = str(check["file_path"]).lstrip("/")
            failed.setdefault(check["check_id"], set()).add(path)
    return failed


def soc2lint_files(soc2lint: list[str], corpus: str) -> dict[str, set[str]]:
    cmd = [*soc2lint, corpus, "--select", ",".join(ANCHORS), "--preview", "--no-history"]
    cmd += ["--format", "json", "--fail-on", "never", "-q"]
    found = json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)
    files: dict[str, set[str]] = {}
    for f in found["findings"]:
        files.setdefault(f["rule_id"], set()).add(f["path"])
    return files


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(BENCH / ".work/k8s/kubernetes__examples"))
    here = Path(sys.executable).parent / "soc2lint"
    default = str(here) if here.exists() else "soc2lint"
    parser.add_argument("--soc2lint", default=os.environ.get("SOC2LINT", default))
    parser.add_argument("--checkov", default=str(BENCH / ".work/checkov-venv/bin/checkov"))
    parser.add_argument("--show", action="store_true", help="list the files of each difference")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="k8s-parity-")
    corpus = os.path.join(work, Path(args.corpus).name)
    shutil.copytree(args.corpus, corpus, symlinks=True)
    try:
        theirs = checkov_files(args.checkov, corpus)
        ours = soc2lint_files(shlex.split(args.soc2lint), corpus)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"corpus {args.corpus}")
    print("| rule | checkov anchors | both | checkov only | soc2lint only |")
    print("| --- | --- | --- | --- | --- |")
    for rule, checks in ANCHORS.items():
        anchor = set().union(*(theirs.get(c, set()) for c in checks))
        mine = ours.get(rule, set())
        print(
            f"| {rule} | {', '.join(checks)} | {len(anchor & mine)} | {len(anchor - mine)} "
            f"| {len(mine - anchor)} |"
        )
        if args.show:
            for label, paths in (("checkov only", anchor - mine), ("soc2lint only", mine - anchor)):
                for path in sorted(paths):
                    print(f"    {label}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
