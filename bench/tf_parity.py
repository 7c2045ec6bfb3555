#!/usr/bin/env python3
"""Parity of soc2lint's Terraform rules with their checkov anchors on one corpus, for the
precision review: per soc2lint rule, the findings both tools fail (agree-fail), the ones only
soc2lint reports (saying whether checkov passed that block or had no result there) and the ones
only checkov fails, with file, lines and resource addresses.

    python3 bench/tf_parity.py CHECKOV_JSON SOC2LINT_JSON [--rule TFA007] [--markdown]
    python3 bench/tf_parity.py --corpus terraform-aws-modules__terraform-aws-rds
    python3 bench/tf_parity.py --corpus NAME --checkov-only --markdown   # checkov's counts alone

`--corpus NAME` reads bench/.work/tf/checkov-NAME.json and soc2lint-NAME.json (bench/tf_speed.py
writes both). A soc2lint finding and a checkov result are the same place when they are in the
same file and the finding's line lies in the checkov resource's line range, or in the range of
the module call checkov names as its caller, or the finding is in a file that checkov's
breadcrumbs name as the origin of the evaluated attribute (a module argument: soc2lint reports
it at the call site, checkov at the module's resource). checkov reports a module's resource once
per instantiation, each its own row; when the finding and the row both name a module instance, their
addresses must be equal (instance keys aside), else one finding on a library's pass-through line
would agree with every instance of every example. The anchors are those of
iac-rules.md (the design table); rules without a checkov anchor (PD) list soc2lint's findings only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work/tf"

ANCHORS: dict[str, tuple[str, ...]] = {
    "TFA001": ("CKV_AWS_67",),
    "TFA002": ("CKV_AWS_36",),
    "TFA003": ("CKV_AWS_7",),
    "TFA004": ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
    "TFA005": ("CKV_AWS_20", "CKV_AWS_57"),
    "TFA006": ("CKV_AWS_21",),
    "TFA007": ("CKV_AWS_16", "CKV_AWS_96"),
    "TFA008": ("CKV_AWS_133",),
    "TFA009": ("CKV_AWS_293", "CKV_AWS_139"),
    "TFA010": ("CKV_AWS_157",),
    "TFA011": ("CKV_AWS_17",),
    "TFA012": ("CKV_AWS_62", "CKV_AWS_1"),
    "TFA013": ("CKV_AWS_63", "CKV_AWS_49", "CKV_AWS_355", "CKV_AWS_356"),
    "TFA014": ("CKV_AWS_274", "CKV_AWS_275", "CKV2_AWS_56"),
    "TFA015": ("CKV_AWS_273", "CKV_AWS_40"),
    "TFA016": ("CKV_AWS_60", "CKV_AWS_358", "CKV_AWS_393"),
    "TFA017": ("CKV2_AWS_57", "CKV_AWS_304"),
    "TFA018": ("CKV_AWS_24", "CKV_AWS_25"),
    "TFA019": ("CKV_AWS_277",),
    "TFA020": ("CKV_AWS_238", "CKV2_AWS_3"),
    "TFA021": ("CKV2_AWS_45", "CKV2_AWS_48"),
    "TFA022": ("CKV_AWS_3", "CKV_AWS_8", "CKV_AWS_106"),
    "TFA023": ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20"),
    "TFA024": ("CKV2_AWS_11",),
    "TFA025": ("CKV_AWS_37",),
    "TFA026": ("CKV_AWS_28",),
}


@dataclass
class Result:
    """One checkov result for one resource block and module instantiation (duplicates merged)."""

    check_id: str
    outcome: str  # FAILED / PASSED
    path: str
    lines: tuple[int, int]
    caller: tuple[str, int, int] | None
    origins: frozenset[str]  # files the evaluated attributes' values came from (breadcrumbs)
    addresses: list[str] = field(default_factory=list)

    def covers(self, path: str, line: int, identity: str = "") -> str | None:
        if path == self.path and self.lines[0] <= line <= self.lines[1]:
            return "block"
        if self.caller and path == self.caller[0] and self.caller[1] <= line <= self.caller[2]:
            return "caller"
        if path in self.origins:
            return "origin"
        # a module instance's address (a root resource's address names no directory: the
        # block match above is the only one for it)
        ident = _address(identity)
        for a in self.addresses if identity else ():
            if a.startswith("module.") and re.match(rf"{re.escape(_address(a))}($|[.:\[])", ident):
                return "address"
        return None

    def where(self) -> str:
        return f"{self.path}:{self.lines[0]}-{self.lines[1]}"


def _address(text: str) -> str:
    """A resource address without instance keys or a `resource.` segment, for comparing."""
    text = re.sub(r"\[[^\]]*\]", "", text)
    return re.sub(r"(^|\.)resource\.", r"\1", text)


def r_instance(result: Result, identity: str) -> bool:
    """Whether a checkov row can be the module instance a soc2lint finding names. checkov names
    only the innermost caller (a library's own main.tf for every example that calls it), so a
    place match alone would pair one finding with every instance; when both sides name module
    instances, their addresses (instance keys aside) must be equal too."""
    mine = _address(identity.split(":")[0])
    theirs = [_address(a) for a in result.addresses if a]
    if not mine.startswith("module.") or not theirs:
        return True
    return any(a == mine for a in theirs) or not all(a.startswith("module.") for a in theirs)


def _rel(path: str | None, root: str) -> str:
    if not path:
        return ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.lstrip("/")


def checkov_results(report: Path) -> list[Result]:
    data = json.loads(report.read_text())
    reports = data if isinstance(data, list) else [data]
    merged: dict[tuple[object, ...], Result] = {}
    for rep in reports:
        if rep.get("check_type") != "terraform":
            continue
        results = rep.get("results", {})
        for outcome, key in (("FAILED", "failed_checks"), ("PASSED", "passed_checks")):
            for rec in results.get(key, []):
                path = _rel(rec.get("file_path"), "")
                absolute = rec.get("file_abs_path") or ""
                root = absolute[: -len(path) - 1] if path and absolute.endswith(path) else ""
                lines = tuple(rec.get("file_line_range") or (0, 0))
                caller = None
                if rec.get("caller_file_path") and rec.get("caller_file_line_range"):
                    lo, hi = rec["caller_file_line_range"]
                    caller = (_rel(rec["caller_file_path"], root), lo, hi)
                evaluated = (rec.get("check_result") or {}).get("evaluated_keys") or []
                crumbs = rec.get("breadcrumbs") or {}
                origins = frozenset(
                    _rel(c.get("path"), root)
                    for k in evaluated
                    for c in crumbs.get(k.split("/")[0], [])
                    if c.get("type") == "module" and c.get("path")
                )
                span = (int(lines[0]), int(lines[-1]))
                ident = (rec["check_id"], outcome, path, span, caller, rec.get("resource"))
                if ident not in merged:
                    merged[ident] = Result(rec["check_id"], outcome, path, span, caller, origins)
                else:
                    prev = merged[ident]
                    prev.origins = prev.origins | origins
                if rec.get("resource") not in merged[ident].addresses:
                    merged[ident].addresses.append(rec.get("resource"))
    return list(merged.values())


def soc2lint_findings(report: Path) -> list[dict[str, object]]:
    data = json.loads(report.read_text())
    return [f for f in data.get("findings", []) if not f.get("suppressed")]


def parity(
    checkov: list[Result], findings: list[dict[str, object]], only: str | None
) -> dict[str, dict[str, list[str]]]:
    by_rule: dict[str, list[dict[str, object]]] = defaultdict(list)
    for f in findings:
        by_rule[str(f["rule_id"])].append(f)
    rules = sorted(set(by_rule) | {r for r in ANCHORS if r.startswith(("TFA", "PD"))})
    table: dict[str, dict[str, list[str]]] = {}
    for rule in rules:
        if only and rule != only:
            continue
        anchors = ANCHORS.get(rule, ())
        failed = [r for r in checkov if r.check_id in anchors and r.outcome == "FAILED"]
        passed = [r for r in checkov if r.check_id in anchors and r.outcome == "PASSED"]
        rows: dict[str, list[str]] = {"agree-fail": [], "only-soc2lint": [], "only-checkov": []}
        hit: set[int] = set()
        for f in sorted(by_rule.get(rule, []), key=lambda f: (str(f["path"]), int(f["line"]))):  # type: ignore[call-overload]
            path, line = str(f["path"]), int(f["line"])  # type: ignore[call-overload]
            spot = f"{path}:{line}:{f.get('column')} {f.get('identity')}"
            ident = str(f.get("identity") or "")
            how = [(i, r.covers(path, line, ident)) for i, r in enumerate(failed)]
            how = [(i, k) for i, k in how if k and r_instance(failed[i], ident)]
            if how:
                hit.update(i for i, _ in how)
                ids = sorted({f"{failed[i].check_id} ({k})" for i, k in how})
                rows["agree-fail"].append(f"{spot}  <- {', '.join(ids)}")
            elif anchors:
                seen = any(r.covers(path, line, ident) and r_instance(r, ident) for r in passed)
                rows["only-soc2lint"].append(
                    f"{spot}  [checkov {'passed' if seen else 'no result'}]"
                )
            else:
                rows["only-soc2lint"].append(f"{spot}  [no checkov anchor]")
        for i, r in enumerate(failed):
            if i not in hit:
                rows["only-checkov"].append(f"{r.check_id} {r.where()} {', '.join(r.addresses)}")
        if anchors or by_rule.get(rule):
            table[rule] = rows
    return table


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkov_json", nargs="?")
    parser.add_argument("soc2lint_json", nargs="?")
    parser.add_argument("--corpus", help="a name under bench/.work/tf/")
    parser.add_argument("--rule", help="only this soc2lint rule")
    parser.add_argument("--markdown", action="store_true", help="a summary table only")
    parser.add_argument(
        "--checkov-only", action="store_true", help="no soc2lint report: checkov's side alone"
    )
    args = parser.parse_args()
    if args.corpus:
        ck, sl = WORK / f"checkov-{args.corpus}.json", WORK / f"soc2lint-{args.corpus}.json"
    elif args.checkov_json and args.soc2lint_json:
        ck, sl = Path(args.checkov_json), Path(args.soc2lint_json)
    else:
        parser.error("give CHECKOV_JSON SOC2LINT_JSON or --corpus NAME")
    for p in (ck,) if args.checkov_only else (ck, sl):
        if not p.is_file():
            sys.exit(f"{p}: no such report (bench/tf_speed.py writes them)")
    findings = [] if args.checkov_only else soc2lint_findings(sl)
    table = parity(checkov_results(ck), findings, args.rule)
    if args.markdown:
        print("| rule | checkov anchors | agree-fail | only soc2lint | only checkov |")
        print("|---|---|---|---|---|")
        for rule, rows in table.items():
            anchors = ", ".join(ANCHORS.get(rule, ())) or "none"
            print(
                f"| {rule} | {anchors} | {len(rows['agree-fail'])} | "
                f"{len(rows['only-soc2lint'])} | {len(rows['only-checkov'])} |"
            )
        return 0
    for rule, rows in table.items():
        anchors = ", ".join(ANCHORS.get(rule, ())) or "no checkov anchor"
        sizes = ", ".join(f"{k} {len(v)}" for k, v in rows.items())
        print(f"\n## {rule} ({anchors}): {sizes}")
        for kind, lines in rows.items():
            for line in lines:
                print(f"  {kind:13s} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
