#!/usr/bin/env python3
"""Time one command over N runs and report the median; also its peak memory. Used by the .sh scripts.

    python3 bench/timing.py --label "soc2lint --version" --runs 20 --warmup 2 -- soc2lint --version
    python3 bench/timing.py --label scan --runs 3 --json out.json -- soc2lint DIR --format json

Timing: `hyperfine` when it is on PATH (unless BENCH_NO_HYPERFINE=1), else a Python loop over
`time.perf_counter`. Either way every timed run is wrapped in `/usr/bin/time -v` (when present),
so its peak RSS ("Maximum resident set size": the largest single process of the run) is read
from the same runs, and a sampler adds the peak summed RSS of the whole process tree (every
descendant, sampled from /proc every 0.1 s) for tools that fork workers. The command's output goes
to /dev/null. Exit codes are recorded, never asserted. Standard library only.
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
import threading
import time
from pathlib import Path

GNU_TIME = "/usr/bin/time"


HARNESS = {b"hyperfine", b"time"}  # our own wrappers: walked through, not counted


def _ppid_map() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, rss bytes) for every process we can read (0 bytes for the harness)."""
    page = os.sysconf("SC_PAGE_SIZE")
    out: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        close = data.rfind(b")")
        comm, rest = data[data.find(b"(") + 1 : close], data[close + 2 :].split()
        try:
            out[int(name)] = (int(rest[1]), 0 if comm in HARNESS else int(rest[21]) * page)
        except (IndexError, ValueError):
            continue
    return out


class TreeSampler:
    """Peak summed RSS of all descendants of this process (not this process itself)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.enabled = os.path.isdir("/proc/self")

    def _sample(self) -> None:
        procs = _ppid_map()
        me = os.getpid()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _rss) in procs.items():
            children.setdefault(ppid, []).append(pid)
        total, stack = 0, list(children.get(me, []))
        while stack:
            pid = stack.pop()
            ppid_rss = procs.get(pid)
            if ppid_rss is None:
                continue
            total += ppid_rss[1]
            stack.extend(children.get(pid, []))
        self.peak = max(self.peak, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join()


def _parse_time_log(text: str) -> tuple[list[int], list[int]]:
    """Max RSS (bytes) and exit statuses of each run recorded by `/usr/bin/time -v -a -o`."""
    rss = [int(m) * 1024 for m in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", text)]
    codes = [int(m) for m in re.findall(r"Exit status: (\d+)", text)]
    return rss, codes


def run_hyperfine(argv: list[str], runs: int, warmup: int, workdir: Path) -> list[float]:
    export = workdir / "hyperfine.json"
    cmd = [
        "hyperfine",
        "-N",
        "-i",
        "--style",
        "basic",
        "--runs",
        str(runs),
        "--warmup",
        str(warmup),
        "--export-json",
        str(export),
        shlex.join(argv),
    ]
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    if proc.returncode != 0 or not export.is_file():
        raise RuntimeError(f"hyperfine failed ({proc.returncode}): {proc.stdout[-2000:]}")
    data = json.loads(export.read_text())
    return [float(t) for t in data["results"][0]["times"]]


def run_loop(argv: list[str], runs: int, warmup: int) -> list[float]:
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default=None)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--json", type=Path, help="write the measurements here")
    ap.add_argument("--no-rss", action="store_true", help="do not wrap runs in /usr/bin/time -v")
    ap.add_argument(
        "--no-probe",
        action="store_true",
        help="skip the untimed first run that shows the exit status and stderr "
        "(for slow commands; the timed runs' exit statuses are still recorded)",
    )
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command after --")
    label = args.label or shlex.join(cmd)
    use_hyperfine = (
        shutil.which("hyperfine") is not None and os.environ.get("BENCH_NO_HYPERFINE") != "1"
    )
    use_time = not args.no_rss and os.access(GNU_TIME, os.X_OK)

    with tempfile.TemporaryDirectory(prefix="soc2lint-bench-") as tmp:
        workdir = Path(tmp)
        log = workdir / "time.log"
        wrapped = ([GNU_TIME, "-v", "-a", "-o", str(log)] + cmd) if use_time else cmd
        # One untimed run first: its exit status and the tail of stderr are shown, so a tool
        # that fails fast is not mistaken for a fast one.
        probe = (
            None
            if args.no_probe
            else subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                check=False,
            )
        )
        with TreeSampler() as sampler:
            if use_hyperfine:
                times = run_hyperfine(wrapped, args.runs, args.warmup, workdir)
            else:
                times = run_loop(wrapped, args.runs, args.warmup)
        rss, codes = _parse_time_log(log.read_text()) if use_time and log.exists() else ([], [])

    result = {
        "label": label,
        "command": cmd,
        "tool": "hyperfine" if use_hyperfine else "python perf_counter loop",
        "runs": len(times),
        "warmup": args.warmup,
        "median_s": statistics.median(times),
        "mean_s": statistics.fmean(times),
        "min_s": min(times),
        "max_s": max(times),
        "stdev_s": statistics.stdev(times) if len(times) > 1 else 0.0,
        "times_s": times,
        "peak_rss_bytes": max(rss) if rss else None,  # largest single process (GNU time)
        "peak_tree_rss_bytes": sampler.peak or None,  # summed over the process tree (sampled)
        "exit_status": probe.returncode if probe else (codes[0] if codes else None),
        "exit_statuses_timed": sorted(set(codes)),
        "stderr_tail": probe.stderr.strip().splitlines()[-3:] if probe else [],
    }

    def mib(b):
        return f"{b / 1048576:.1f} MiB" if b else "n/a"

    print(
        f"{label}: median {result['median_s']:.3f} s (min {result['min_s']:.3f}, max {result['max_s']:.3f}, "
        f"{result['runs']} runs, {result['tool']}); peak RSS {mib(result['peak_rss_bytes'])} "
        f"(process tree, sampled: {mib(result['peak_tree_rss_bytes'])}); exit {result['exit_status']}"
        + (f" (timed runs: {result['exit_statuses_timed']})" if codes else "")
    )
    if result["exit_status"] != 0:
        for line in result["stderr_tail"]:
            print(f"  stderr: {line[:300]}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
