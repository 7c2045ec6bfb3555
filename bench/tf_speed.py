#!/usr/bin/env python3
"""Terraform scan speed, paired: per corpus, each round runs (a) soc2lint on the Terraform rules
(`--select TFA,PD --preview`) and (b) the bare tree-sitter parse of the same files
(bench/tf_parse_floor.py, one process), one after the other, so both see the same machine load;
(c) checkov `--framework terraform` runs once per corpus (it takes minutes: `--checkov-runs N`
for more, 0 for none). Whole-process medians over the rounds, CPU, peak RSS (`/usr/bin/time -v`),
load average, and the ratios checkov/soc2lint (target >= 50x) and soc2lint/floor (target <= 4x).
Prints numbers, never fails on a missed target; stops loudly when a command does not run.

    python3 bench/tf_speed.py [CORPUS...] [--rounds 5] [--checkov-runs 1] [--reuse-checkov]

A CORPUS is a directory or a name under bench/.work/tf/ (bench/tf_corpora.sh extracts them);
the default is terraform-aws-eks, -rds and -security-group. checkov runs offline from
bench/.work/checkov-venv (bench/scan_vs_checkov.sh creates it); its JSON report is kept as
bench/.work/tf/checkov-<name>.json and its `/usr/bin/time -v` output as checkov-<name>.time
(bench/tf_parity.py reads both reports); `--reuse-checkov` takes those instead of running it
again. soc2lint's report of the warm-up run is kept as bench/.work/tf/soc2lint-<name>.json.
The floor runs with the first Python that imports tree_sitter and tree_sitter_hcl: this
interpreter, soc2lint's venv, or bench/.work/tsfloor-venv (`python3 -m venv` + `pip install
tree-sitter tree-sitter-hcl`). Until the Terraform rules exist, soc2lint is not timed ("no TFA
rules") and the floor and checkov still are.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work/tf"
DEFAULT = [
    "terraform-aws-modules__terraform-aws-eks",
    "terraform-aws-modules__terraform-aws-rds",
    "terraform-aws-modules__terraform-aws-security-group",
]
OFFLINE = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
}
FAMILIES = ("TFA", "PD")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def parse_time_v(text: str) -> tuple[float, int, int, float]:
    """(wall s, peak RSS bytes, exit code, CPU s) from `/usr/bin/time -v` output."""
    wall = 0.0
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", text)
    if m:
        for part in m.group(1).split(":"):
            wall = wall * 60 + float(part)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    code = re.search(r"Exit status: (\d+)", text)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", text))
    return wall, int(rss.group(1)) * 1024 if rss else 0, int(code.group(1)) if code else 0, cpu


def timed(
    cmd: list[str], env: dict[str, str], stdout: Path | None = None
) -> tuple[float, int, int, float, str]:
    """(wall seconds, peak RSS bytes, exit code, CPU seconds, time -v text) of one run."""
    wrapped = ["/usr/bin/time", "-v", *cmd]
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.run(wrapped, env=env, stdout=out, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    text = proc.stderr.decode("utf-8", "replace")
    _, rss, _, cpu = parse_time_v(text)
    if proc.returncode not in (0, 1):
        tail = "\n".join(line for line in text.splitlines() if not line.startswith("\t"))[-2000:]
        sys.exit(f"exit {proc.returncode}: {shlex.join(cmd)}\n{tail}")
    return wall, rss, proc.returncode, cpu, text


def floor_python(soc2lint: list[str]) -> str:
    here = Path(soc2lint[0]).parent / "python"
    for py in (sys.executable, str(here), str(BENCH / ".work/tsfloor-venv/bin/python")):
        if not Path(py).exists():
            continue
        probe = subprocess.run(
            [py, "-c", "import tree_sitter, tree_sitter_hcl"], capture_output=True
        )
        if probe.returncode == 0:
            return py
    sys.exit("no Python here imports tree_sitter and tree_sitter_hcl (see the docstring)")


def terraform_families(soc2lint: list[str]) -> list[str]:
    if not shutil.which(soc2lint[0]):
        sys.exit(f"{soc2lint[0]}: not found (--soc2lint or SOC2LINT)")
    proc = subprocess.run([*soc2lint, "rules", "--format", "json"], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"`{shlex.join(soc2lint)} rules` failed: {proc.stderr.strip()}")
    ids = [rule["id"] for rule in json.loads(proc.stdout)]
    return [f for f in FAMILIES if any(re.fullmatch(f + r"[0-9]{3}", i) for i in ids)]


def counts(report: Path) -> str:
    data = json.loads(report.read_text())
    reports = data if isinstance(data, list) else [data]
    s = [r.get("summary", {}) for r in reports if r.get("check_type") == "terraform"]
    if not s and "resource_count" in data:  # nothing checkov has checks for: a bare summary
        s = [data]
    if not s:
        return "no terraform results"
    return (
        f"{s[0].get('resource_count')} resources, {s[0].get('failed')} failed / "
        f"{s[0].get('passed')} passed checks, {s[0].get('parsing_errors')} parsing errors"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpora", nargs="*", default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checkov-runs", type=int, default=1)
    parser.add_argument("--reuse-checkov", action="store_true")
    here = Path(sys.executable).parent / "soc2lint"
    default = str(here) if here.exists() else "soc2lint"
    parser.add_argument("--soc2lint", default=os.environ.get("SOC2LINT", default))
    parser.add_argument("--checkov", default=str(BENCH / ".work/checkov-venv/bin/checkov"))
    args = parser.parse_args()
    soc2lint = shlex.split(args.soc2lint)
    env = {k: v for k, v in os.environ.items() if k not in ("BC_API_KEY", "PRISMA_API_URL")}
    env.update(OFFLINE)
    families = terraform_families(soc2lint)
    floor_py = floor_python(soc2lint)
    if not families:
        print("no TFA rules: `soc2lint rules` lists no TFA or PD rule; soc2lint is not timed")
    print(f"{os.cpu_count()} cores; soc2lint {shlex.join(soc2lint)}; floor {floor_py}")
    scratch = Path(tempfile.mkdtemp(prefix="tf-speed-"))
    try:
        for corpus in args.corpora:
            src = Path(corpus) if Path(corpus).is_dir() else WORK / corpus
            if not src.is_dir():
                sys.exit(f"{corpus}: no such corpus (bash bench/tf_corpora.sh extracts them)")
            run_corpus(src, scratch, soc2lint, families, floor_py, env, args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def run_corpus(
    src: Path,
    scratch: Path,
    soc2lint: list[str],
    families: list[str],
    floor_py: str,
    env: dict[str, str],
    args: argparse.Namespace,
) -> None:
    name = src.name
    # checkov skips every directory whose name starts with a dot (bench/.work/...): all the
    # commands read the same copy, outside any such directory
    corpus = scratch / name
    shutil.copytree(src, corpus, symlinks=True)
    tf = [p for p in corpus.rglob("*.tf") if p.is_file()]
    size = sum(p.stat().st_size for p in tf)
    print(f"\n== {name}: {len(tf)} .tf files, {size / 1024:.0f} KiB; load {load()}")
    commands: dict[str, list[str]] = {}
    if families:
        select = ",".join(families)
        commands[f"soc2lint --select {select}"] = [
            *soc2lint,
            str(corpus),
            "--select",
            select,
            "--preview",
            "--no-history",
            "--format",
            "json",
            "--fail-on",
            "never",
            "-q",
        ]
    commands["tree-sitter parse floor"] = [floor_py, str(BENCH / "tf_parse_floor.py"), str(corpus)]
    WORK.mkdir(parents=True, exist_ok=True)
    for label, cmd in commands.items():  # one warm-up each (page cache, .pyc); keeps the report
        report = WORK / f"soc2lint-{name}.json" if label.startswith("soc2lint") else None
        timed(cmd, env, stdout=report)
        if report is not None:
            found = json.loads(report.read_text())
            print(f"soc2lint: {len(found['findings'])} findings ({report})")
    walls: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, list[int]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(args.rounds):
        for label, cmd in commands.items():
            wall, peak, _, cpu, _ = timed(cmd, env)
            walls[label].append(wall)
            rss[label].append(peak)
            cpus[label].append(cpu)
    # checkov: minutes per run, so once per corpus unless asked for more
    report = WORK / f"checkov-{name}.json"
    timing = WORK / f"checkov-{name}.time"
    label = "checkov --framework terraform"
    if args.reuse_checkov and report.exists() and timing.exists():
        wall, peak, code, cpu = parse_time_v(timing.read_text())
        walls[label], rss[label], cpus[label] = [wall], [peak], [cpu]
        print(f"checkov: reused {timing.name} (exit {code}): {counts(report)}")
    elif args.checkov_runs > 0:
        cmd = [args.checkov, "-d", str(corpus), "--framework", "terraform", "--compact"]
        cmd += ["-o", "json", "--skip-download"]
        walls[label], rss[label], cpus[label] = [], [], []
        for _ in range(args.checkov_runs):
            before = load()
            wall, peak, _, cpu, text = timed(cmd, env, stdout=report)
            timing.write_text(f"{text}load before {before}, after {load()}\n")
            walls[label].append(wall)
            rss[label].append(peak)
            cpus[label].append(cpu)
        print(f"checkov: {counts(report)} ({report})")
    print(f"load after {load()}")
    med = {k: statistics.median(v) for k, v in walls.items()}
    for key in walls:
        runs = ", ".join(f"{w:.2f}" for w in walls[key])
        print(
            f"{key:34s} median {med[key]:7.2f} s  (runs {runs})  "
            f"CPU median {statistics.median(cpus[key]):7.2f} s  "
            f"peak RSS {max(rss[key]) / 2**20:6.1f} MiB"
        )
    own = next((k for k in walls if k.startswith("soc2lint")), None)
    if own is None:
        print("no TFA rules: no ratios")
        return
    floor = med["tree-sitter parse floor"]
    print(f"soc2lint / parse floor: {med[own] / floor:.2f}x (target <= 4)")
    if label in med:
        cpu = statistics.median(cpus[label]) / statistics.median(cpus[own])
        print(
            f"checkov / soc2lint: {med[label] / med[own]:.0f}x (target >= 50; "
            f"checkov {len(walls[label])} run(s), not paired); CPU {cpu:.0f}x"
        )


if __name__ == "__main__":
    sys.exit(main())
