#!/usr/bin/env python3
"""Compare a soc2lint JSON report on a generated corpus with the findings the generator planted.

    python3 bench/check_findings.py                          # runs soc2lint on bench/.work/corpus-2000
    python3 bench/check_findings.py --corpus DIR --report R.json

A finding is keyed by (rule id, path, line, suppressed or not). The report lists, per rule, how
many were planted, reported, matched, missed and unexpected, then examples of each mismatch,
and counts of unexpected findings that fall on a spot where the generator planted a known
ambiguity (e.g. `kubectl apply --dry-run` in a job that never deploys). It measures; it never
fails (exit 0 unless it cannot run at all). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=BENCH / ".work" / "corpus-2000")
    ap.add_argument("--report", type=Path, help="an existing `soc2lint --format json` report")
    ap.add_argument("--examples", type=int, default=5, help="mismatches shown per rule and kind")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    expected_file = Path(str(corpus) + ".expected.json")
    if not expected_file.is_file():
        print(
            f"no {expected_file}: generate the corpus with bench/gen_corpus.py first",
            file=sys.stderr,
        )
        return 2
    truth = json.loads(expected_file.read_text(encoding="utf-8"))
    if args.report:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    else:
        cmd = shlex.split(os.environ.get("SOC2LINT", "soc2lint")) + [
            str(corpus),
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-config",
        ]
        env = dict(os.environ)
        # The corpus lives in an ignored folder of the project's work tree; keep git from finding
        # that repository so that soc2lint walks the corpus (see bench/README.md).
        env["GIT_CEILING_DIRECTORIES"] = str(corpus.parent)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0 or not proc.stdout.strip():
            print(
                f"soc2lint exited {proc.returncode}: {proc.stderr.strip()[:2000]}", file=sys.stderr
            )
            return 2
        report = json.loads(proc.stdout)
        if proc.stderr.strip():
            print("soc2lint stderr:", proc.stderr.strip()[:2000])

    def key(rule: str, path: str, line: int, suppressed: bool) -> tuple[str, str, int, bool]:
        return (rule, path, int(line), bool(suppressed))

    want = Counter(key(e["rule"], e["path"], e["line"], e["suppressed"]) for e in truth["expected"])
    got = Counter(
        key(f["rule_id"], f["path"], f["line"], f["suppressed"] is not None)
        for f in report["findings"]
    )
    ambiguous = {(n["path"], n["line"]): n["kind"] for n in truth.get("planted_ambiguities", [])}
    ambiguous_files = {n["path"]: n["kind"] for n in truth.get("planted_ambiguities", [])}
    missing = want - got
    extra = got - want
    rules = sorted({k[0] for k in want} | {k[0] for k in got})
    print(
        f"corpus: {corpus} ({truth['files']} files); soc2lint parsed {report.get('files_scanned')} "
        f"files, {len(report['findings'])} findings ({report['summary']['suppressed']} suppressed)"
    )
    print(
        f"{'rule':<8}{'planted':>9}{'reported':>10}{'matched':>9}{'missed':>8}{'unexpected':>12}"
        f"{'  (on planted ambiguity)':>24}"
    )
    for rule in rules:
        w = sum(v for k, v in want.items() if k[0] == rule)
        g = sum(v for k, v in got.items() if k[0] == rule)
        m = sum(v for k, v in missing.items() if k[0] == rule)
        x = sum(v for k, v in extra.items() if k[0] == rule)
        amb = sum(v for k, v in extra.items() if k[0] == rule and (k[1], k[2]) in ambiguous)
        print(f"{rule:<8}{w:>9}{g:>10}{w - m:>9}{m:>8}{x:>12}{amb:>24}")
    for label, diff in (
        ("missed (planted, not reported)", missing),
        ("unexpected (reported, not planted)", extra),
    ):
        for rule in rules:
            items = sorted(k for k in diff if k[0] == rule)
            if not items:
                continue
            print(f"\n{label}: {rule} x{sum(diff[k] for k in items)}")
            for k in items[: args.examples]:
                text = (corpus / k[1]).read_text(encoding="utf-8").split("\n")
                tag = ambiguous.get((k[1], k[2])) or (
                    f"file has {ambiguous_files[k[1]]}" if k[1] in ambiguous_files else ""
                )
                print(
                    f"  {k[1]}:{k[2]}{' suppressed' if k[3] else ''}  {text[k[2] - 1].strip()[:110]!r}"
                    f"{'  [' + tag + ']' if tag else ''}"
                )
    parse = [f for f in report["findings"] if f["rule_id"] in ("SL001", "SL003")]
    print(f"\nparse-error / alias findings on generated files (all are valid YAML): {len(parse)}")
    for f in parse[: args.examples]:
        print(f"  {f['path']}:{f['line']}: {f['message'][:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
