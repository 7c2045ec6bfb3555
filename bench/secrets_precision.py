"""SEC001/SEC002 findings per rule and type on a corpus of real repositories, a seeded random
sample to label by hand, and precision from the labels (issue 12).

    python bench/secrets_precision.py bench/secrets-tuning.txt            # counts
    python bench/secrets_precision.py bench/secrets-tuning.txt --sample 40 --seed 1 \\
        --labels bench/secrets-labels-tuning.json                         # + sample / precision
    ... --sample-high 20     # + a seeded sample of the critical and high findings alone
    ... --labels FILE --fixed    # the labelled findings again, judged by today's scan

`--fixed` draws nothing and writes nothing: it looks each labelled finding up in the current
scan (by identity) and counts it where it is now (its current severity; dropped when the scan
no longer reports it). A change that only removes findings or lowers their severity leaves
the labelled draws uniform samples of what remains (a uniform sample of a set, restricted to a
subset, is a uniform sample of the subset), so these are precision figures of the new scan
on the same labels, with smaller samples.

What a user sees first is the critical and high findings: their precision is printed apart from
that of all findings (tests, docs and vendored code are reported at medium). The critical+high
figure reads the critical and high findings of the main sample together with those of
`--sample-high` (a second draw among them only); the "all" figure reads the main sample alone.

Each repository is a clone under bench/.work/repos/NAME (bench/clone_mirror.sh of a `fetch`
snapshot) checked out at the listed commit. The scan is the user's:
`soc2lint REPO --select SEC001,SEC002 --format json --fail-on never --no-cache`. A finding's
identity is (repo, rule, path, line, secret fingerprint); labels hold that identity, a verdict
(tp / fp) and a one-line reason, never a value. Findings of the sample without a label are
written to the labels file with verdict "?" for a human to fill in.
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

HERE = Path(__file__).resolve().parent
SOC2LINT = HERE.parent / ".venv" / "bin" / "soc2lint"


def corpus(listing: Path, fixtures_only: bool = False) -> list[tuple[str, str, str]]:
    """(name, repository, commit) per line; a 4th column `fixture` marks a repository of
    planted secrets (for recall: its findings are not an ordinary project's)."""
    rows = []
    for line in listing.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, repo, commit, *rest = line.split()
            if not fixtures_only or rest[:1] == ["fixture"]:
                rows.append((name, repo, commit))
    return rows


def scan(name: str, commit: str) -> list[dict]:
    root = HERE / ".work" / "repos" / name
    head = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if head != commit:
        sys.exit(f"{root} is at {head}, the list says {commit}")
    # SOC2LINT="python -P -m soc2lint" with PYTHONPATH=<a worktree> measures a fixed commit
    command = shlex.split(os.environ.get("SOC2LINT", str(SOC2LINT)))
    out = subprocess.run(
        [*command, str(root), "--select", "SEC001,SEC002", "--format", "json"]
        + ["--fail-on", "never", "--no-cache", "-q"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return list(json.loads(out)["findings"])


def identity(name: str, f: dict) -> dict:
    props = f.get("properties", {})
    return {
        "repo": name,
        "rule": f["rule_id"],
        "path": f["path"],
        "line": f["line"],
        "type": props.get("secret_type", ""),
        "fingerprint": props.get("secret_fingerprint", ""),
        "scope": props.get("code_scope", ""),
        "severity": f.get("severity", ""),
    }


HIGH = ("critical", "high")


def key(x: dict) -> tuple:
    return (x["repo"], x["rule"], x["path"], x["line"], x["fingerprint"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("listing", type=Path)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample-high", type=int, default=0)
    ap.add_argument("--labels", type=Path)
    ap.add_argument("--fixed", action="store_true")
    args = ap.parse_args(argv)
    everything: list[dict] = []
    for name, _repo, commit in corpus(args.listing):
        found = [identity(name, f) for f in scan(name, commit)]
        everything.extend(found)
        counts = collections.Counter((f["rule"], f["type"], f["severity"]) for f in found)
        high = sum(f["severity"] in HIGH for f in found)
        print(f"{name}: {len(found)} findings, {high} critical or high")
        for (rule, kind, severity), n in sorted(counts.items()):
            print(f"  {rule} {kind} {severity}: {n}")
    per_rule = collections.Counter(f["rule"] for f in everything)
    per_severity = collections.Counter(f["severity"] for f in everything)
    print("total:", dict(sorted(per_rule.items())), dict(sorted(per_severity.items())))
    if args.fixed:
        return fixed(everything, json.loads(args.labels.read_text()))
    if not args.sample:
        return 0
    draw = random.Random(args.seed)
    sample = draw.sample(everything, min(args.sample, len(everything)))
    drawn = {key(f) for f in sample}
    rest = [f for f in everything if f["severity"] in HIGH and key(f) not in drawn]
    extra = draw.sample(rest, min(args.sample_high, len(rest))) if args.sample_high else []
    labels = json.loads(args.labels.read_text()) if args.labels and args.labels.exists() else []
    known = {key(x): x for x in labels}

    def row(f: dict, part: str) -> dict:
        # the verdict is kept; what the current scan says (severity, scope) is refreshed
        old = known.get(key(f), {**f, "verdict": "?", "reason": ""})
        return {**old, "scope": f["scope"], "severity": f["severity"], "sample": part}

    rows = [row(f, "all") for f in sample] + [row(f, "high") for f in extra]
    if args.labels:
        args.labels.write_text(json.dumps(rows, indent=1) + "\n")
    judged = [r for r in rows if r["verdict"] in ("tp", "fp") and r["sample"] == "all"]
    judged_high = [r for r in rows if r["verdict"] in ("tp", "fp") and r["severity"] in HIGH]
    fixtures = {name for name, _r, _c in corpus(args.listing, fixtures_only=True)}
    groups = {
        "all": judged,
        "critical+high": judged_high,
        "critical+high, ordinary repositories": [
            r for r in judged_high if r["repo"] not in fixtures
        ],
        "ordinary repositories": [r for r in judged if r["repo"] not in fixtures],
        "not lowered (no code_scope)": [r for r in judged if not r.get("scope")],
        "SEC001": [r for r in judged if r["rule"] == "SEC001"],
        "SEC002": [r for r in judged if r["rule"] == "SEC002"],
    }
    for label, part in groups.items():
        tp = sum(r["verdict"] == "tp" for r in part)
        share = f" = {tp / len(part):.0%}" if part else ""
        print(f"precision {label}: {tp}/{len(part)}{share}")
    unlabelled = sum(r["verdict"] not in ("tp", "fp") for r in rows)
    if unlabelled:
        print(f"{unlabelled} sampled findings still to label in {args.labels}")
    return 0


def fixed(everything: list[dict], labels: list[dict]) -> int:
    """Precision of the current scan on the findings labelled earlier (see `--fixed`)."""
    now = {key(f): f for f in everything}
    kept = [{**x, "now": now[key(x)]["severity"]} for x in labels if key(x) in now]
    gone = len(labels) - len(kept)
    was_high = [x for x in labels if x["severity"] in HIGH]
    moves = collections.Counter(
        (x["severity"], now[key(x)]["severity"] if key(x) in now else "gone", x["verdict"])
        for x in labels
    )
    print(f"labelled {len(labels)}: {len(kept)} still reported, {gone} no longer")
    for (before, after, verdict), n in sorted(moves.items()):
        print(f"  {before} -> {after}, {verdict}: {n}")
    groups = {
        "all (the 'all' draw, still reported)": [
            x for x in kept if x.get("sample") == "all" and x["verdict"] in ("tp", "fp")
        ],
        "critical+high (both draws, critical or high now)": [
            x for x in kept if x["now"] in HIGH and x["verdict"] in ("tp", "fp")
        ],
        "critical+high before (both draws)": [x for x in was_high if x["verdict"] in ("tp", "fp")],
    }
    for label, part in groups.items():
        tp = sum(x["verdict"] == "tp" for x in part)
        share = f" = {tp / len(part):.0%}" if part else ""
        print(f"precision {label}: {tp}/{len(part)}{share}")
    real_lowered = [
        x
        for x in labels
        if x["verdict"] == "tp"
        and x["severity"] in HIGH
        and (key(x) not in now or now[key(x)]["severity"] not in HIGH)
    ]
    for x in real_lowered:
        after = now[key(x)]["severity"] if key(x) in now else "gone"
        print(
            f"  real, no longer critical/high: {x['repo']} {x['rule']} {x['path']}:{x['line']}"
            f" {x['type']} -> {after} ({x.get('reason', '')})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
