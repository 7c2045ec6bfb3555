#!/usr/bin/env python3
"""Compare soc2lint's change-management findings with what bench/gen_changes.py planted.

    python3 bench/check_changes.py OUT                      # runs soc2lint on OUT
    python3 bench/check_changes.py OUT --input graphql      # one input of several
    python3 bench/check_changes.py OUT --findings R.json    # reads an existing JSON report

OUT is a directory written by gen_changes.py (truth.json and/or truth-graphql.json,
near_misses.json, planted.json and the `.soc2/` evidence, maybe a git repository). Its inputs:
`dump` (the gh pr list dump, truth.json) and `graphql` (the collected pages, truth-graphql.json);
`--input auto` (the default) checks each one OUT holds, one after the other. soc2lint reads
every input it finds, so when OUT holds both, each is checked in a view of OUT without the other
one (`.OUT.check-<input>` beside OUT: hard links, and a `.git` file pointing at OUT's
repository), removed afterwards. Without --findings it runs
`$SOC2LINT DIR --select CM --format json --no-history --fail-on never` ($SOC2LINT defaults to
`soc2lint`; it may be a command with arguments). Each finding is mapped to a change id: its
JSON `properties.change_id` when present (`pr:N`, `commit:<sha>` for CM001,
`event:activity:<id>` / `event:rule-suite:<id>` for CM007, `collection:...` for a
collection-level CM012), else the first `#N` in its message (`pr:N`). Suppressed findings are
counted apart and not compared.

Prints, per rule: planted (changes whose truth lists the rule), reported, matched, missed and
unexpected (split into: on a near-miss, on a clean change, on a change with other planted rules,
not mapped to a generated change); recall and precision; then per planted violation kind how
many changes had all their rules reported; then every near-miss that got a finding. Measures;
never fails (exit 0 always, also when soc2lint cannot run or knows no CM rule yet). Standard
library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

RULES = (
    "CM001",
    "CM002",
    "CM003",
    "CM004",
    "CM005",
    "CM006",
    "CM007",
    "CM008",
    "CM009",
    "CM010",
    "CM011",
    "CM012",
)
PR_REF = re.compile(r"#(\d+)\b")
CHANGES = Path(".soc2/github/acme/shop/changes")
TRUTH = {"dump": "truth.json", "graphql": "truth-graphql.json"}
# the files of each input (query.py's PAGE_FILE and FOLLOW_UP_FILE; the dump's fixed name)
PAGE = re.compile(r"^prs-\d{4,}\.json$|^pr-\d+-(reviews|commits|files|timelineItems)-\d+\.json$")
DUMP = "gh-pr-list.json"


def inputs_of(out: Path) -> list[str]:
    """The inputs OUT holds: "dump", "graphql" or both."""
    found = []
    if (out / CHANGES / DUMP).is_file():
        found.append("dump")
    graphql = out / CHANGES / "graphql"
    if graphql.is_dir() and any(PAGE.match(p.name) for p in graphql.iterdir()):
        found.append("graphql")
    return found


def view(out: Path, keep: str) -> Path:
    """A copy of OUT (hard links) without the other input's files; its `.git` is a file that
    points at OUT's repository, so the clone's history is the same."""
    dest = out.parent / f".{out.name}.check-{keep}"
    if dest.exists():
        shutil.rmtree(dest)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skip = {".git"} if Path(directory) == out else set()
        if keep == "dump" and Path(directory).name == "graphql":
            skip.update(name for name in names if PAGE.match(name))
        if keep == "graphql":
            skip.update(name for name in names if name == DUMP)
        return skip

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(out, dest, ignore=ignore, copy_function=link)
    if (out / ".git").is_dir():
        (dest / ".git").write_text(f"gitdir: {(out / '.git').resolve()}\n", encoding="utf-8")
    return dest


def load_report(out: Path, findings: Path | None) -> tuple[list[dict], str]:
    """The report's findings and a line saying where they came from."""
    if findings is not None:
        try:
            data = json.loads(findings.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            return [], f"could not read {findings}: {e}"
        return _findings_of(data), f"report {findings}"
    cmd = shlex.split(os.environ.get("SOC2LINT", "soc2lint")) + [
        str(out),
        "--select",
        "CM",
        "--format",
        "json",
        "--no-history",
        "--fail-on",
        "never",
    ]
    env = dict(os.environ)
    # OUT may sit in an ignored folder of a work tree: keep git from finding that repository.
    env["GIT_CEILING_DIRECTORIES"] = str(out.resolve().parent)
    shown = " ".join(shlex.quote(c) for c in cmd)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    except OSError as e:
        return [], f"could not run `{shown}`: {e}"
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        err = (proc.stderr.strip() or proc.stdout.strip())[:1500]
        return [], f"`{shown}` exited {proc.returncode} without a JSON report: {err}"
    note = (
        f"`{shown}` (exit {proc.returncode}, rules run: {data.get('rules_run', '?')}, "
        f"files scanned: {data.get('files_scanned', '?')}, notes: {len(data.get('notes') or [])})"
    )
    for n in (data.get("notes") or [])[:5]:
        note += f"\n  note: {str(n)[:300]}"
    if proc.stderr.strip():
        note += "\nsoc2lint stderr: " + proc.stderr.strip()[:1500]
    return _findings_of(data), note


def _findings_of(data: object) -> list[dict]:
    if isinstance(data, dict):
        data = data.get("findings", [])
    return [f for f in data if isinstance(f, dict)] if isinstance(data, list) else []


def change_id(f: dict) -> str | None:
    props = f.get("properties") or {}
    cid = props.get("change_id") if isinstance(props, dict) else None
    if cid:
        return str(cid)
    m = PR_REF.search(str(f.get("message", "")))
    return f"pr:{m.group(1)}" if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="a directory written by bench/gen_changes.py")
    ap.add_argument(
        "--input",
        choices=("auto", "dump", "graphql"),
        default="auto",
        help="which input of OUT to check (auto: each one it holds)",
    )
    ap.add_argument("--findings", type=Path, help="an existing `soc2lint --format json` report")
    ap.add_argument("--examples", type=int, default=5, help="change ids shown per mismatch list")
    ap.add_argument("--json", type=Path, help="also write the comparison as JSON to this file")
    args = ap.parse_args(argv)
    out: Path = args.out
    present = inputs_of(out)
    if args.input != "auto":
        chosen = [args.input]
    elif present:
        chosen = present
    else:  # no evidence (yet): compare with the dump's truth, as before
        chosen = ["dump"]
    if args.findings is not None and len(chosen) > 1:
        print(f"{out} holds {' and '.join(chosen)}: say which the report is of with --input")
        return 0
    results = {}
    for i, name in enumerate(chosen):
        if len(chosen) > 1:
            print(("\n" if i else "") + f"=== input: {name} ===")
        scan = out
        if args.findings is None and len(present) > 1:
            scan = view(out, name)
        try:
            results[name] = check(out, scan, name, args)
        finally:
            if scan != out:
                shutil.rmtree(scan, ignore_errors=True)
    if args.json:
        data = results[chosen[0]] if len(results) == 1 else results
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


def check(out: Path, scan: Path, name: str, args: argparse.Namespace) -> dict:
    """Run soc2lint on `scan` (or read --findings) and compare with OUT's truth for `name`."""
    truth_path = out / TRUTH[name]
    try:
        truth: dict[str, list[str]] = json.loads(truth_path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        print(f"no usable {truth_path} ({e}): run bench/gen_changes.py --out {out} first")
        return {}
    near: dict[str, dict] = _optional(out / "near_misses.json")
    planted: dict[str, list[str]] = _optional(out / "planted.json")
    # a near-miss the truth does not list (an event, a commit) must get no finding either
    known = dict.fromkeys(near, []) | truth

    findings, source = load_report(scan, args.findings)
    print(
        f"input: {name} ({truth_path.name}); changes: {len(truth)} "
        f"({sum(1 for v in truth.values() if v)} with planted rules), near-misses: {len(near)}"
    )
    print(f"findings from: {source}")

    got: dict[str, set[str]] = defaultdict(set)  # rule -> change ids
    per_change: dict[str, set[str]] = defaultdict(set)
    unmapped: Counter[str] = Counter()
    unmapped_ids: dict[str, list[str]] = defaultdict(list)
    not_cm: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    for f in findings:
        rule = str(f.get("rule_id", "?"))
        if not rule.startswith("CM"):
            not_cm[rule] += 1
            continue
        if f.get("suppressed"):
            suppressed[rule] += 1
            continue
        cid = change_id(f)
        if cid is None or cid not in known:
            unmapped[rule] += 1
            unmapped_ids[rule].append(str(cid))
            continue
        got[rule].add(cid)
        per_change[cid].add(rule)
    cm_findings = sum(1 for f in findings if str(f.get("rule_id", "")).startswith("CM"))
    print(
        f"CM findings: {cm_findings} (suppressed {sum(suppressed.values())}, "
        f"not mapped to a generated change {sum(unmapped.values())})"
    )
    if not_cm:
        print(
            "findings of other rules (ignored): "
            + ", ".join(f"{r} {n}" for r, n in sorted(not_cm.items()))
        )
    if cm_findings == 0:
        print(
            "\n*** soc2lint reported NO change-management (CM) finding: every planted rule is "
            "counted as missed below. ***"
        )

    want: dict[str, set[str]] = defaultdict(set)
    for cid, rules in truth.items():
        for r in rules:
            want[r].add(cid)
    rules = sorted(set(RULES) | set(want) | set(got) | set(unmapped))
    rows = []
    print()
    head = (
        "rule",
        "planted",
        "reported",
        "matched",
        "missed",
        "unexpected",
        "on near-miss",
        "on clean",
        "on other-planted",
        "unmapped",
        "recall",
        "precision",
    )
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    examples: dict[str, dict[str, list[str]]] = {}
    for r in rules:
        w, g = want.get(r, set()), got.get(r, set())
        matched, missed, extra = w & g, w - g, g - w
        on_near = {c for c in extra if c in near}
        on_clean = {c for c in extra if not known[c] and c not in near}
        on_other = extra - on_near - on_clean
        reported = len(g) + unmapped.get(r, 0)
        recall = f"{len(matched) / len(w):.1%}" if w else "-"
        precision = f"{len(matched) / reported:.1%}" if reported else "-"
        row = {
            "rule": r,
            "planted": len(w),
            "reported": reported,
            "matched": len(matched),
            "missed": len(missed),
            "unexpected": len(extra) + unmapped.get(r, 0),
            "unexpected_on_near_miss": len(on_near),
            "unexpected_on_clean": len(on_clean),
            "unexpected_on_other_planted": len(on_other),
            "unmapped": unmapped.get(r, 0),
        }
        rows.append(row)
        print(" | ".join(str(x) for x in (*row.values(), recall, precision)))
        examples[r] = {
            "missed": _ids(missed)[: args.examples],
            "unexpected": _ids(extra)[: args.examples],
            "unmapped": sorted(unmapped_ids.get(r, []))[: args.examples],
        }
    print()
    for r in rules:
        ex = examples[r]
        for kind in ("missed", "unexpected"):
            if ex[kind]:
                shown = ", ".join(
                    f"{c} {planted.get(c, near.get(c, {}).get('kind', 'clean'))}" for c in ex[kind]
                )
                print(f"{r} {kind} e.g.: {shown}")
        if ex["unmapped"]:
            print(f"{r} unmapped e.g.: {', '.join(ex['unmapped'])}")

    # per planted violation kind: changes whose every planted rule was reported
    if planted:
        by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for cid, kinds in planted.items():
            complete = set(truth.get(cid, ())) <= per_change.get(cid, set())
            for k in kinds:
                by_kind[k][0] += 1
                by_kind[k][1] += complete
        print("\nplanted kind | changes | all their rules reported")
        for k in sorted(by_kind):
            n, ok = by_kind[k]
            print(f"{k} | {n} | {ok}")

    # a near-miss passes the rule it tests; a rule its truth also lists (say CM012 for files
    # gh cut) is no false finding
    flagged = {
        c: sorted(per_change[c] - set(truth.get(c, ())))
        for c in _ids(set(near) & set(per_change))
        if per_change[c] - set(truth.get(c, ()))
    }
    print(f"\nnear-misses with a finding (must be 0): {len(flagged)} of {len(near)}")
    per_nm: Counter[str] = Counter(near[c]["kind"] for c in flagged)
    for k, n in sorted(per_nm.items()):
        print(f"  {k}: {n} of {sum(1 for v in near.values() if v['kind'] == k)}")
    for c in list(flagged)[: args.examples * 3]:
        print(f"  {c} ({near[c]['kind']}): {', '.join(flagged[c])}")
    return {
        "input": name,
        "source": source,
        "rules": rows,
        "examples": examples,
        "near_miss_findings": flagged,
    }


def _optional(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _ids(ids: set[str]) -> list[str]:
    def key(c: str) -> tuple[str, int, str]:
        kind, _, rest = c.partition(":")
        tail = rest.rpartition(":")[2]
        return (kind, int(tail) if tail.isdigit() else 0, c)

    return sorted(ids, key=key)


if __name__ == "__main__":
    sys.exit(main())
