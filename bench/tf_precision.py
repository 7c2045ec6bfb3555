#!/usr/bin/env python3
"""Terraform / PagerDuty precision: run soc2lint (`--select TFA,PD --preview`) on the precision
repositories of bench/tf-tuning.txt (terraform-aws-rds, terraform-aws-s3-bucket, the real user
repository cds-snc/notification-terraform, the PagerDuty corpus) and of bench/tf-heldout.txt
(every repository there), extracted by bench/tf_corpora.sh into bench/.work/tf/; write the
findings with their source lines to bench/.work/tf-precision-review.md for a human to judge, and
count the hand labels of bench/tf-labels.json per set and rule: true, false, debatable,
unlabelled. A label is keyed `repo path:line:col RULE ADDRESS` (ADDRESS: the resource address
the finding's identity starts with, so that the instances of one module reported at one place are
judged one by one) and holds `verdict` (`true`, `false` or
`debatable`) and a one-line `reason`; precision = true / (true + false).

When a rule has more than `--sample` findings in one set (default 10), only a seeded sample of
that many is put in the review (`--seed`, default 1); the others count as `unread` (not as
unlabelled), so a table says how many were read.

    python3 bench/tf_precision.py [--set tuning|held-out] [--soc2lint CMD] [--sample 10]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shlex
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work/tf"
# the speed-only corpora of the tuning list (eks, security-group) are measured by tf_speed.py and
# compared with checkov by tf_parity.py; the precision review reads these
SETS = {
    "tuning": [
        "terraform-aws-modules/terraform-aws-rds",
        "terraform-aws-modules/terraform-aws-s3-bucket",
        "cds-snc/notification-terraform",
        "PagerDuty-Samples/pd-populate-dev-account",
    ],
    "held-out": [
        "AJarombek/saints-xctf-infrastructure",
        "alphagov/govuk-aws",
        "terraform-aws-modules/terraform-aws-iam",
        "tfstack/terraform-pagerduty",
    ],
}


def tally(c: collections.Counter[str]) -> str:
    judged = c["true"] + c["false"]
    precision = f"  precision {c['true'] / judged:.2f}" if judged else ""
    return (
        f"findings {sum(c.values()):4d}  read {c['true'] + c['false'] + c['debatable']:3d}  "
        f"true {c['true']:3d}  false {c['false']:3d}  debatable {c['debatable']:3d}  "
        f"unlabelled {c['unlabelled']:3d}{precision}"
    )


def scan(cmd: list[str], root: Path) -> list[dict[str, object]]:
    full = [
        *cmd,
        str(root),
        "--select",
        "TFA,PD",
        "--preview",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-config",
        "-q",
    ]
    proc = subprocess.run(full, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"{shlex.join(full)}: exit {proc.returncode}: {proc.stderr.strip()[:500]}")
    return [f for f in json.loads(proc.stdout)["findings"] if not f.get("suppressed")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--soc2lint", default=os.environ.get("SOC2LINT", "soc2lint"))
    parser.add_argument("--set", action="append", choices=sorted(SETS), help="only these sets")
    parser.add_argument("--sample", type=int, default=10, help="findings read per rule and set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--context", type=int, default=3, help="source lines either side")
    args = parser.parse_args()
    labels_path = BENCH / "tf-labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    cmd = shlex.split(args.soc2lint)
    review = ["# Terraform / PagerDuty findings to judge\n"]
    for name, repos in SETS.items():
        if args.set and name not in args.set:
            continue
        found: dict[str, list[tuple[str, dict[str, object]]]] = collections.defaultdict(list)
        for repo in repos:
            root = WORK / repo.replace("/", "__")
            if not root.is_dir():
                sys.exit(f"{root}: missing (bash bench/tf_corpora.sh)")
            for f in scan(cmd, root):
                found[str(f["rule_id"])].append((repo, f))
        counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        review.append(f"\n# {name}: {', '.join(repos)}\n")
        for rule in sorted(found):
            items = sorted(found[rule], key=lambda rf: (rf[0], str(rf[1]["path"]), rf[1]["line"]))  # type: ignore[return-value]
            chosen = set(range(len(items)))
            if len(items) > args.sample:
                chosen = set(
                    random.Random(f"{args.seed} {name} {rule}").sample(
                        range(len(items)), args.sample
                    )
                )
            review.append(f"\n## {rule}: {len(items)} findings, {len(chosen)} read\n")
            for i, (repo, f) in enumerate(items):
                address = str(f.get("identity") or "").split(":")[0]
                key = f"{repo} {f['path']}:{f['line']}:{f['column']} {rule} {address}"
                if i not in chosen:
                    counts[rule]["unread"] += 1
                    continue
                verdict = labels.get(key, {}).get("verdict", "unlabelled")
                counts[rule][verdict] += 1
                root = WORK / repo.replace("/", "__")
                lines = (root / str(f["path"])).read_text(errors="replace").splitlines()
                line = int(f["line"])  # type: ignore[call-overload]
                lo = max(0, line - 1 - args.context)
                context = "\n".join(
                    f"{'>' if n == line else ' '}{n:5d} {lines[n - 1]}"
                    for n in range(lo + 1, min(len(lines), line + args.context) + 1)
                )
                reason = labels.get(key, {}).get("reason", "")
                review.append(
                    f"- `{key}` ({verdict}{': ' + reason if reason else ''}): {f['message']}\n"
                    f"  identity `{f.get('identity')}`\n```hcl\n{context}\n```\n"
                )
        print(f"== {name} ({', '.join(repos)})")
        total: collections.Counter[str] = collections.Counter()
        for rule in sorted(counts):
            total.update(counts[rule])
            print(f"  {rule:7s} {tally(counts[rule])}")
        print(f"  {'all':7s} {tally(total)}")
    out = BENCH / ".work/tf-precision-review.md"
    out.write_text("".join(review))
    print(f"review: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
