#!/usr/bin/env python3
"""Precision of the GitHub Actions rules on a corpus of real workflows, from hand labels.

    python3 bench/gha_precision.py --corpus bench/.work/real-workflows --labels bench/gha-labels-tuning.json
    python3 bench/gha_precision.py --corpus bench/.work/heldout-workflows --labels bench/gha-labels-heldout.json

Runs `soc2lint <corpus> --select GHA --format json --no-config --fail-on never` (`$SOC2LINT`,
default `<python> -m soc2lint`; `--select IDS` and `--preview` change the rule set, e.g.
`--preview --select GHA027,GHA028,GHA029,GHA030,GHA031` for the preview rules' own table), counts the findings per rule, draws a stratified sample with a
fixed seed (`--per-rule N` findings of each rule, all of them when a rule has fewer; the sample
depends only on the seed and the set of findings), and reads the hand labels: a JSON object
mapping a finding's key (`RULE|path|identity`, stable when lines move; a secret's
fingerprint is left out of the identity) to
`{"verdict": "true"|"false"|"debatable", "reason": "one line"}`.

Writes `--review FILE` (default bench/.work/gha-review-<corpus>.md): every sampled finding with
its message and the lines around it, labelled or not, for the human who labels them. Prints per
rule: findings, sampled, labelled, true / false / debatable, precision (true / labelled, and
(true + debatable) / labelled), and the overall figures: the plain sample precision and the one
weighted by each rule's share of all findings. Exits 1 when a sampled finding has no label (the
figures are then incomplete), 0 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shlex
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def scan(corpus: Path, select: str = "GHA", preview: bool = False) -> list[dict]:
    cmd = shlex.split(os.environ.get("SOC2LINT", f"{sys.executable} -m soc2lint"))
    cmd += [
        str(corpus),
        "--select",
        select,
        "--format",
        "json",
        "--no-config",
        "--fail-on",
        "never",
    ]
    cmd += ["--preview"] if preview else []
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(corpus.parent)}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO, env=env)
    if proc.returncode != 0:
        sys.exit(f"soc2lint failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return [f for f in json.loads(proc.stdout)["findings"] if not f.get("suppressed")]


def key(f: dict) -> str:
    # a secret's fingerprint (`#<16 hex>`) follows the secrets engine, not the finding's place
    ident = re.sub(r"#[0-9a-f]{16}$", "", f["identity"])
    return f"{f['rule_id']}|{f['path']}|{ident}"


def sample(findings: list[dict], per_rule: int, seed: int) -> dict[str, list[dict]]:
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        by_rule[f["rule_id"]].append(f)
    out = {}
    for rule, items in sorted(by_rule.items()):
        items = sorted(items, key=key)
        rng = random.Random(f"{seed}:{rule}")
        out[rule] = sorted(rng.sample(items, min(per_rule, len(items))), key=key)
    return out


def context(corpus: Path, f: dict, n: int = 4) -> str:
    try:
        lines = (corpus / f["path"]).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return f"(cannot read: {exc})"
    line = f.get("line") or 1
    lo, hi = max(1, line - n), min(len(lines), line + n)
    return "\n".join(
        f"{'>' if i == line else ' '} {i:>4} | {lines[i - 1]}" for i in range(lo, hi + 1)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--labels", type=Path, required=True)
    ap.add_argument("--per-rule", type=int, default=6)
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--review", type=Path)
    ap.add_argument("--select", default="GHA", help="rule ids or prefixes (default GHA)")
    ap.add_argument(
        "--preview", action="store_true", help="also run preview rules (e.g. --select GHA027,...)"
    )
    args = ap.parse_args(argv)

    findings = scan(args.corpus, args.select, args.preview)
    counts = Counter(f["rule_id"] for f in findings)
    picked = sample(findings, args.per_rule, args.seed)
    labels = json.loads(args.labels.read_text()) if args.labels.exists() else {}
    suffix = "-preview" if args.preview else ""
    review = args.review or BENCH / ".work" / f"gha-review-{args.corpus.name}{suffix}.md"
    review.parent.mkdir(parents=True, exist_ok=True)
    with review.open("w", encoding="utf-8") as out:
        for rule, items in picked.items():
            out.write(f"\n## {rule} ({counts[rule]} findings, {len(items)} sampled)\n")
            for f in items:
                lab = labels.get(key(f))
                out.write(f"\n### `{key(f)}`\n{f['path']}:{f['line']}:{f['column']} ")
                out.write(f"[{lab['verdict'] if lab else 'UNLABELLED'}]\n\n{f['message']}\n\n")
                out.write(f"```\n{context(args.corpus, f)}\n```\n")

    digest = hashlib.sha256("\n".join(sorted(map(key, findings))).encode()).hexdigest()[:12]
    print(f"corpus {args.corpus}: {len(findings)} findings of {len(counts)} rules (set {digest})")
    print(f"sample: seed {args.seed}, up to {args.per_rule} per rule; review: {review}")
    print(
        f"{'rule':7} {'findings':>8} {'sampled':>7} {'labelled':>8} {'true':>4} {'false':>5} "
        f"{'debat.':>6} {'precision':>9} {'incl.debat.':>11}"
    )
    missing = 0
    tot = Counter()
    weighted_t = weighted_td = weight = 0.0
    for rule, items in picked.items():
        verdicts = Counter(labels[key(f)]["verdict"] for f in items if key(f) in labels)
        n = sum(verdicts.values())
        missing += len(items) - n
        tot.update(verdicts)
        p = verdicts["true"] / n if n else float("nan")
        pd = (verdicts["true"] + verdicts["debatable"]) / n if n else float("nan")
        if n:
            weighted_t += p * counts[rule]
            weighted_td += pd * counts[rule]
            weight += counts[rule]
        print(
            f"{rule:7} {counts[rule]:>8} {len(items):>7} {n:>8} {verdicts['true']:>4} "
            f"{verdicts['false']:>5} {verdicts['debatable']:>6} {p:>9.2f} {pd:>11.2f}"
        )
    n = sum(tot.values())
    if n:
        print(
            f"overall sample: {n} labelled, {tot['true']} true, {tot['false']} false, "
            f"{tot['debatable']} debatable: precision {tot['true'] / n:.2f} "
            f"({(tot['true'] + tot['debatable']) / n:.2f} counting debatable as true)"
        )
        print(
            f"overall weighted by rule volume: {weighted_t / weight:.2f} "
            f"({weighted_td / weight:.2f} counting debatable as true)"
        )
    if missing:
        print(f"{missing} sampled findings have no label (see {review})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
