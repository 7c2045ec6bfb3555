#!/usr/bin/env python3
"""Kubernetes / GitOps precision: run soc2lint (`--select KUB,ARGO,FLUX,POL --preview`) on every
repository of bench/k8s-tuning.txt, bench/k8s-heldout.txt and bench/k8s-heldout2.txt (extracted by
bench/k8s_corpora.sh),
write every finding with its source lines to bench/.work/k8s-precision-review.md for a human to
judge, and count the hand labels of bench/k8s-labels.json per set and rule: true, false,
unlabelled. A label is keyed `repo path:line:col RULE` and says `true`, `false` or `debatable`
with a reason (precision = true / (true + false)).

    python3 bench/k8s_precision.py [--select KUB,ARGO,FLUX,POL] [--soc2lint CMD] [--set NAME]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SETS = {
    "tuning": BENCH / "k8s-tuning.txt",
    "held-out": BENCH / "k8s-heldout.txt",
    # chosen after the fixes of task K, scanned and labelled once (every finding)
    "held-out-2": BENCH / "k8s-heldout2.txt",
}


def repos(listing: Path) -> list[str]:
    out = []
    for line in listing.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.split()[0])
    return out


def tally(c: collections.Counter[str]) -> str:
    """true / false / debatable / unlabelled, and precision true / (true + false) when judged."""
    judged = c["true"] + c["false"]
    precision = f"  precision {c['true'] / judged:.2f}" if judged else ""
    return (
        f"true {c['true']:4d}  false {c['false']:4d}  debatable {c['debatable']:3d}  "
        f"unlabelled {c['unlabelled']:4d}{precision}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--select", default="KUB,ARGO,FLUX,POL")
    parser.add_argument("--soc2lint", default=os.environ.get("SOC2LINT", "soc2lint"))
    parser.add_argument("--set", action="append", choices=sorted(SETS), help="only these sets")
    args = parser.parse_args()
    labels_path = BENCH / "k8s-labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    review = ["# Kubernetes / GitOps findings to judge\n"]
    for name, listing in SETS.items():
        if args.set and name not in args.set:
            continue
        counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for repo in repos(listing):
            root = BENCH / ".work/k8s" / repo.replace("/", "__")
            cmd = [
                *shlex.split(args.soc2lint),
                str(root),
                "--select",
                args.select,
                "--preview",
                "--no-history",
                "--format",
                "json",
                "--fail-on",
                "never",
                "-q",
            ]
            found = json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout)
            review.append(f"\n## {name}: {repo}\n")
            for f in found["findings"]:
                key = f"{repo} {f['path']}:{f['line']}:{f['column']} {f['rule_id']}"
                verdict = labels.get(key, {}).get("verdict", "unlabelled")
                counts[f["rule_id"]][verdict] += 1
                lines = (root / f["path"]).read_text(errors="replace").splitlines()
                context = "\n".join(lines[max(0, f["line"] - 3) : f["line"] + 2])
                review.append(f"- `{key}` ({verdict}): {f['message']}\n```yaml\n{context}\n```\n")
        print(f"== {name} ({', '.join(repos(listing))})")
        family: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for rule in sorted(counts):
            c = counts[rule]
            family[rule.rstrip("0123456789")].update(c)
            print(f"  {rule:8s} {tally(c)}")
        for fam, c in sorted(family.items()):
            print(f"  family {fam:5s} {tally(c)}")
    out = BENCH / ".work/k8s-precision-review.md"
    out.write_text("".join(review))
    print(f"review: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
