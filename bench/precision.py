#!/usr/bin/env python3
"""Prepare soc2lint's findings on the real-workflows corpus for a human precision review.

    python3 bench/precision.py                       # bench/.work/real-workflows -> bench/.work/precision-review.md
    python3 bench/precision.py --preview             # also the preview rules
    python3 bench/precision.py --corpus DIR --out FILE.md --context 3

Runs `soc2lint <corpus> --format json --fail-on never` (`$SOC2LINT`, default `soc2lint` on
PATH) and writes a Markdown file: the soc2lint version and source digest, the per-rule counts
(findings, suppressed, repositories and files hit), the per-repository counts, then every
finding grouped by rule: repository, path:line:col, rule id, message, and the lines around it
(`--context`, default 3 before and after; the finding's line is marked `>`). The JSON report is
kept next to it (`precision-report.json`). Reading the findings is left to a human; the script
judges nothing and exits 0 whenever it produced the file. Standard library only.

The corpus comes from bench/collect_workflows.py (one directory per repository,
`<owner>__<name>/`); its first path component is the repository.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"


def source_id(cmd: list[str]) -> str:
    exe = shutil.which(cmd[0])
    if exe is None:
        return "unknown"
    py = Path(exe).parent / "python"
    if not py.exists():
        return f"unknown (no python next to {exe})"
    proc = subprocess.run(
        [str(py), str(BENCH / "source_id.py")], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or "unknown"


def fence(lines: list[str]) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def context(
    root: Path, rel: str, line: int | None, n: int, cache: dict[str, list[str]]
) -> list[str]:
    if rel not in cache:
        try:
            cache[rel] = (root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            cache[rel] = [f"(cannot read: {exc})"]
    text = cache[rel]
    if not line or line < 1:
        lo, hi, line = 1, min(len(text), 2 * n + 1), 0
    else:
        lo, hi = max(1, line - n), min(len(text), line + n)
    width = len(str(hi))
    return [f"{'>' if i == line else ' '} {i:>{width}} | {text[i - 1]}" for i in range(lo, hi + 1)]


def md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=WORK / "real-workflows")
    ap.add_argument("--out", type=Path, default=WORK / "precision-review.md")
    ap.add_argument(
        "--report",
        type=Path,
        default=None,
        help="where to keep the JSON report (default: <out dir>/precision-report.json)",
    )
    ap.add_argument(
        "--context", type=int, default=3, help="lines shown before and after (default 3)"
    )
    ap.add_argument(
        "--preview", action="store_true", help="pass --preview (also run preview rules)"
    )
    ap.add_argument("extra", nargs="*", help="further soc2lint scan options, after --")
    args = ap.parse_args(argv)

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"no corpus at {corpus}: run bench/collect_workflows.py first", file=sys.stderr)
        return 2
    report_path = args.report or args.out.parent / "precision-report.json"
    cmd = shlex.split(os.environ.get("SOC2LINT", "soc2lint"))
    scan = [
        *cmd,
        str(corpus),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-config",
        *(["--preview"] if args.preview else []),
        *args.extra,
    ]
    # The corpus sits in the project's git-ignored bench/.work/: stop git's repository search
    # there so soc2lint walks it as a plain directory (as the other bench scripts do).
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(WORK.resolve()))
    proc = subprocess.run(scan, capture_output=True, text=True, env=env, check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        print(f"soc2lint produced no JSON report (exit {proc.returncode}): {exc}", file=sys.stderr)
        print(proc.stderr[-3000:], file=sys.stderr)
        return 2
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(proc.stdout)

    findings = sorted(
        report.get("findings", []),
        key=lambda f: (f["rule_id"], f["path"], f.get("line") or 0, f.get("column") or 0),
    )
    n_wf = sum(
        1
        for p in corpus.rglob("*")
        if p.is_file() and re.search(r"/\.github/workflows/[^/]+\.ya?ml$", p.as_posix())
    )
    n_act = sum(
        1 for p in corpus.rglob("action.y*ml") if p.is_file() and p.parent.name != "workflows"
    )
    repos = sorted(p.name for p in corpus.iterdir() if p.is_dir())

    by_rule: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        by_rule[f["rule_id"]].append(f)
    repo_of = lambda f: f["path"].split("/", 1)[0]  # noqa: E731
    per_repo: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        per_repo[repo_of(f)][f["rule_id"]] += 1

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out: list[str] = [
        "# soc2lint precision review: real GitHub Actions workflows",
        "",
        f"- generated: {now} by `bench/precision.py`",
        f"- soc2lint: {report.get('version')} — {source_id(cmd)}",
        f"- command: `{shlex.join(scan)}` (exit {proc.returncode})",
        f"- corpus: `{corpus}` — {len(repos)} repositories, {n_wf} workflow files, {n_act} action metadata "
        f"files (list: `bench/real-workflows.txt`)",
        f"- files scanned: {report.get('files_scanned')}, rules run: {report.get('rules_run')}, "
        f"findings: {len(findings)} ({report.get('summary', {}).get('suppressed', 0)} suppressed)",
        "",
        "Judge each finding: **TP** (a real problem the rule is meant to catch), **FP** (wrong), or "
        "**debatable**. Mark it in this file or copy the ids elsewhere; the file is regenerated on each run.",
        "",
    ]
    if report.get("notes"):
        out += (
            ["## Notes from soc2lint", ""]
            + [f"- {md_escape(str(n))}" for n in report["notes"]]
            + [""]
        )
    if proc.stderr.strip():
        out += ["## soc2lint stderr", "", "```", *proc.stderr.strip().splitlines()[-40:], "```", ""]

    out += [
        "## Findings per rule",
        "",
        "| rule | name | severity | findings | suppressed | repositories | files |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for rid, fs in sorted(by_rule.items()):
        out.append(
            f"| [{rid}](#{rid.lower()}) | {fs[0].get('rule_name', '')} | {fs[0].get('severity', '')} "
            f"| {len(fs)} | {sum(1 for f in fs if f.get('suppressed'))} "
            f"| {len({repo_of(f) for f in fs})} | {len({f['path'] for f in fs})} |"
        )
    out.append(
        f"| **total** | | | **{len(findings)}** | | {len(per_repo)} | {len({f['path'] for f in findings})} |"
    )
    out += [
        "",
        "## Findings per repository",
        "",
        "| repository | findings | by rule |",
        "| --- | ---: | --- |",
    ]
    for repo in repos:
        c = per_repo.get(repo, Counter())
        out.append(
            f"| {repo.replace('__', '/')} | {sum(c.values())} | "
            + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            + " |"
        )

    cache: dict[str, list[str]] = {}
    for rid, fs in sorted(by_rule.items()):
        out += [
            "",
            f"## {rid}",
            "",
            f"**{fs[0].get('rule_name', '')}** ({fs[0].get('severity', '')}), {len(fs)} findings in "
            f"{len({repo_of(f) for f in fs})} repositories.",
            "",
        ]
        for i, f in enumerate(fs, 1):
            repo, _, rel = f["path"].partition("/")
            loc = f"{rel}:{f.get('line')}:{f.get('column')}"
            sup = f" — suppressed ({f['suppressed']})" if f.get("suppressed") else ""
            out.append(f"### {rid}-{i}: {repo.replace('__', '/')} — `{loc}`")
            out.append("")
            out.append(f"{rid} {f.get('severity', '')}: {f.get('message', '')}{sup}")
            if f.get("identity"):
                out.append(f"(identity `{f['identity']}`)")
            out.append("")
            lines = context(corpus, f["path"], f.get("line"), args.context, cache)
            fn = fence(lines)
            out += [f"{fn}yaml", *lines, fn, ""]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(
        f"soc2lint exit {proc.returncode}: {report.get('files_scanned')} files, {len(findings)} findings "
        f"in {len(per_repo)}/{len(repos)} repositories"
    )
    for rid, fs in sorted(by_rule.items()):
        print(f"  {rid:<8} {fs[0].get('rule_name', ''):<40} {len(fs):>5}")
    if proc.stderr.strip():
        print("  soc2lint stderr: " + proc.stderr.strip().splitlines()[-1][:300])
    print(f"review file: {args.out}\nJSON report: {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
