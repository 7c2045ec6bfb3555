#!/usr/bin/env python3
"""Kubernetes scan speed, paired: each round runs checkov, soc2lint on the KUB/ARGO/FLUX/POL
rules and soc2lint's default full scan on the same corpus, one after the other, so that every
round sees the same machine load; medians of whole-process wall times over the rounds, peak RSS
(`/usr/bin/time -v`, the largest process of the run), the ratios. Prints numbers, never fails
on a missed target (15x for the rule families, 5x for the full scan).

    python3 bench/k8s_speed.py [--corpus DIR] [--rounds 5] [--before CMD]

The corpus defaults to bench/.work/k8s/kubernetes__examples (bench/k8s_corpora.sh extracts it
from the `fetch` snapshot listed in bench/k8s-speed.txt). checkov runs from
bench/.work/checkov-venv (bench/scan_vs_checkov.sh creates it), offline.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OFFLINE = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
}


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS bytes, exit code, user+system CPU seconds) of one run."""
    wrapped = ["/usr/bin/time", "-v", *cmd] if os.path.exists("/usr/bin/time") else cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    match = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = sum(
        float(m) for m in re.findall(rb"(?:User|System) time \(seconds\): ([0-9.]+)", proc.stderr)
    )
    return wall, int(match.group(1)) * 1024 if match else 0, proc.returncode, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(BENCH / ".work/k8s/kubernetes__examples"))
    parser.add_argument("--rounds", type=int, default=5)
    # the soc2lint beside this interpreter (a venv's), else the one on PATH
    here = Path(sys.executable).parent / "soc2lint"
    default = str(here) if here.exists() else "soc2lint"
    parser.add_argument("--soc2lint", default=os.environ.get("SOC2LINT", default))
    parser.add_argument("--checkov", default=str(BENCH / ".work/checkov-venv/bin/checkov"))
    parser.add_argument(
        "--before",
        help="another soc2lint command (an earlier commit: 'env PYTHONPATH=WT python -P -m "
        "soc2lint') timed in the same rounds, for a paired before/after",
    )
    args = parser.parse_args()
    # checkov skips every directory whose name starts with a dot (bench/.work/...): both tools
    # scan the same copy, outside any such directory
    import shutil
    import tempfile

    corpus = os.path.join(tempfile.mkdtemp(prefix="k8s-speed-"), Path(args.corpus).name)
    shutil.copytree(args.corpus, corpus, symlinks=True)
    soc2lint = shlex.split(args.soc2lint)
    # an installed tool has its bytecode compiled (pip does it); a helper's shell may say
    # PYTHONDONTWRITEBYTECODE=1, which would make every run compile every module again: the
    # warm-up run writes the .pyc files, as installing would have
    drop = ("BC_API_KEY", "PRISMA_API_URL", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(OFFLINE)
    commands = {
        "checkov --framework kubernetes": [
            args.checkov,
            "-d",
            corpus,
            "--framework",
            "kubernetes",
            "--quiet",
            "--compact",
            "-o",
            "json",
            "--skip-download",
        ],
        "soc2lint --select KUB,ARGO,FLUX,POL": [
            *soc2lint,
            corpus,
            "--select",
            "KUB,ARGO,FLUX,POL",
            "--format",
            "json",
            "--fail-on",
            "never",
            "-q",
        ],
        "soc2lint (default: every rule)": [
            *soc2lint,
            corpus,
            "--format",
            "json",
            "--fail-on",
            "never",
            "-q",
        ],
    }
    if args.before:
        before = shlex.split(args.before)
        for label in list(commands)[1:]:
            commands[label.replace("soc2lint", "before:", 1)] = [
                *before,
                *commands[label][len(soc2lint) :],
            ]
    files = sum(1 for p in Path(corpus).rglob("*.y*ml") if p.is_file())
    print(
        f"corpus {corpus}: {files} YAML files; {os.cpu_count()} cores, "
        f"load {Path('/proc/loadavg').read_text().split()[:3]}"
    )
    for label, cmd in commands.items():  # one warm-up each (page cache, .pyc)
        code = timed(cmd, env)[2]
        if code not in (0, 1):  # 1: checkov's "failed checks"; anything else did not run
            sys.exit(f"{label}: exit {code} on the warm-up run ({shlex.join(cmd)})")
    walls: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, list[int]] = {k: [] for k in commands}
    codes: dict[str, set[int]] = {k: set() for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(args.rounds):
        for label, cmd in commands.items():
            wall, peak, code, cpu = timed(cmd, env)
            cpus[label].append(cpu)
            walls[label].append(wall)
            rss[label].append(peak)
            codes[label].add(code)
    med = {k: statistics.median(v) for k, v in walls.items()}
    for label in commands:
        runs = ", ".join(f"{w:.2f}" for w in walls[label])
        print(
            f"{label:52s} median {med[label]:6.2f} s  (runs {runs})  "
            f"CPU median {statistics.median(cpus[label]):6.2f} s  "
            f"peak RSS {max(rss[label]) / 2**20:6.1f} MiB  exit {sorted(codes[label])}"
        )
    base = med["checkov --framework kubernetes"]
    sel, full = list(commands)[1], list(commands)[2]
    print(f"checkov / soc2lint --select KUB,ARGO,FLUX,POL: {base / med[sel]:.1f}x (target >= 15)")
    print(f"checkov / soc2lint default full scan:          {base / med[full]:.1f}x (target >= 5)")
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    cbase = cpu["checkov --framework kubernetes"]
    print(f"CPU time ratios (load-independent): {cbase / cpu[sel]:.1f}x, {cbase / cpu[full]:.1f}x")
    if args.before:
        for label in (sel, full):
            old = label.replace("soc2lint", "before:", 1)
            print(
                f"before / after {label[9:]}: wall {med[old] / med[label]:.2f}x, "
                f"CPU {cpu[old] / cpu[label]:.2f}x; checkov / before: {base / med[old]:.1f}x"
            )
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
    shutil.rmtree(Path(corpus).parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
