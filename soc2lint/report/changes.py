"""The auditor's change-management report: every merged change of the period with each CM
control's result, a reproducible sample, a summary (Markdown and HTML) and a manifest.

Same inputs, same bytes: nothing here reads the clock.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc2lint import __version__
from soc2lint.changes.decide import PASS, Decision
from soc2lint.report import sampling

CONTROLS = (
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
FACTS = (
    "change_id",
    "kind",
    "branch",
    "merged_at_utc",
    "pr_url",
    "title",
    "author",
    "merged_by",
    "approvers",
    "approved_head",
    "checks",
    "ticket",
    "ai_assisted",
    "emergency",
)
_STATUS = {
    "pass": "pass",
    "FAIL": "FAIL",
    "n/a": "n/a",
    "documented": "documented",
    "inconclusive": "not-evaluated",
}


@dataclass(frozen=True)
class Options:
    out: Path
    period: tuple[str, str] | None  # inclusive UTC dates, YYYY-MM-DD
    seed: str
    sample: str  # "auto" or a number
    reliance: str
    command: str  # how to reproduce it


@dataclass(frozen=True)
class Input:
    path: str  # relative to the scanned directory
    sha256: str


def rows(
    evaluated: Sequence[Any],
    exempt: set[tuple[str, str]],
    source: str,
    period: tuple[str, str] | None,
) -> list[dict[str, str]]:
    """One row per merged change in the period, sorted by merge time then id."""
    out = []
    for ev in evaluated:
        change = ev.change
        day = change.merged_at[:10]
        if period is not None and not period[0] <= day <= period[1]:
            continue
        results = {k: ev.results.get(k) for k in CONTROLS}
        row = {
            "change_id": change.change_id,
            "kind": "pr",
            "branch": change.base,
            "merged_at_utc": change.merged_at,
            "pr_url": change.url,
            "title": change.title,
            "author": change.author,
            "merged_by": change.merged_by,
            "approvers": ";".join(sorted({r.author for r in ev.counted})),
            "approved_head": "y" if any(r.commit == change.head_oid for r in ev.counted) else "n",
            "checks": _status(results["CM005"]),
            "ticket": "n" if _status(results["CM008"]) == "FAIL" else "y",
            "ai_assisted": "y" if ev.ai_assisted else "n",
            "emergency": "n" if _status(results["CM010"]) == "n/a" else "y",
        }
        results["CM001"] = Decision(PASS)  # it came through a pull request
        for control in CONTROLS:
            status = _status(results[control])
            if status == "FAIL" and (control, change.change_id) in exempt:
                status = "exempt"
            row[control] = status
        row["evidence"] = f"{source}#{change.change_id}"
        out.append(row)
    return sorted(out, key=lambda r: (r["merged_at_utc"], r["change_id"]))


def _utc(moment: str) -> str:
    """An ISO 8601 time (git's `+02:00` or GitHub's `Z`) as RFC 3339 UTC `Z`; "" if unreadable."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit_rows(findings: Sequence[Any], period: tuple[str, str] | None) -> list[dict[str, str]]:
    """One row per change that reached a production branch without a pull request: a commit
    (CM001), a force push or a push that bypassed the rulesets (CM007 events)."""
    out = []
    for f in findings:
        facts = dict(f.properties)
        change_id = facts.get("change_id", "")
        if f.rule.id == "CM001":
            stamp, kind = _utc(facts.get("date", "")), "commit"
        elif f.rule.id == "CM007" and change_id.startswith("event:"):
            stamp, kind = _utc(facts.get("date", "")), facts.get("kind", "event")
        else:
            continue
        if not stamp or period is not None and not period[0] <= stamp[:10] <= period[1]:
            continue
        row = dict.fromkeys([*FACTS, *CONTROLS, "evidence"], "")
        row.update({c: "n/a" for c in CONTROLS})
        row.update(
            {
                "change_id": change_id,
                "kind": kind,
                "branch": facts.get("branch", ""),
                "merged_at_utc": stamp,
                "title": facts.get("subject", ""),
                "author": facts.get("author", ""),
                f.rule.id: "exempt" if f.suppression is not None else "FAIL",
                "evidence": f"{f.location.path}#{change_id}",
            }
        )
        out.append(row)
    return out


def _status(decision: Any) -> str:
    return "n/a" if decision is None else _STATUS.get(decision.result, decision.result)


def _csv(header: Sequence[str], records: Sequence[Mapping[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: record.get(k, "") for k in header})
    return buffer.getvalue()


def sample_size(option: str, reliance: str, population: int) -> tuple[int, str]:
    """(n, how it was chosen)."""
    if option != "auto":
        n = min(int(option), population)
        return n, f"{n} requested (--sample {option})"
    confidence, tolerable = sampling.RELIANCE[reliance]
    n = sampling.sample_size(population, confidence, tolerable)
    return n, (
        f"attribute sampling, zero expected deviations, {confidence:.0%} confidence, "
        f"{tolerable:.0%} tolerable deviation rate (reliance {reliance}): the smallest n "
        f"for which a population of {population} with ceil({tolerable:.0%} x N) "
        f"deviations yields none with probability <= {1 - confidence:.0%} "
        f"(hypergeometric; large populations: ceil(ln(1 - {confidence:.2f}) / "
        f"ln(1 - {tolerable:.2f})) = "
        f"{sampling.large_population_size(confidence, tolerable)})"
    )


def write(
    options: Options,
    population: list[dict[str, str]],
    inputs: Sequence[Input],
    notes: Sequence[str],
    extra_files: Mapping[str, str] | None = None,
    sections: Sequence[str] = (),
    facts: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Write the report under `options.out`; returns {relative path: sha256} of what it wrote.

    `extra_files` ({relative path: text}) and `sections` (Markdown lines, numbered from 6, before
    the summary's last section) come from the other parts of the report (report/controls.py);
    `facts` go into manifest.json as they are (the as-of commit)."""
    out = options.out
    (out / "changes").mkdir(parents=True, exist_ok=True)
    header = [*FACTS, *CONTROLS, "evidence"]
    population_csv = _csv(header, population)
    digest = hashlib.sha256(population_csv.encode()).hexdigest()
    seed = options.seed or digest
    size, why = sample_size(options.sample, options.reliance, len(population))
    chosen = sampling.select((r["change_id"] for r in population), seed, size)
    by_id = {r["change_id"]: r for r in population}
    sample = [
        {**by_id[cid], "sample_rank": str(rank), "sample_key": key}
        for rank, (cid, key) in enumerate(chosen, 1)
    ]
    files = {
        "changes/population.csv": population_csv,
        "changes/sample.csv": _csv([*header, "sample_rank", "sample_key"], sample),
    }
    files.update(extra_files or {})
    summary = _summary(options, population, sample, digest, seed, why, inputs, notes, sections)
    files["summary.md"] = summary
    files["summary.html"] = _html(summary)
    written = {}
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
        written[name] = hashlib.sha256(text.encode()).hexdigest()
    manifest = {
        "tool": "soc2lint",
        "version": __version__,
        "command": options.command,
        "inputs": {i.path: i.sha256 for i in inputs},
        "outputs": written,
        **(facts or {}),
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8", newline="\n"
    )
    return written


def _summary(
    options: Options,
    population: Sequence[Mapping[str, str]],
    sample: Sequence[Mapping[str, str]],
    digest: str,
    seed: str,
    why: str,
    inputs: Sequence[Input],
    notes: Sequence[str],
    sections: Sequence[str] = (),
) -> str:
    period = (
        f"{options.period[0]} to {options.period[1]} (UTC, inclusive)"
        if options.period
        else "every merged change in the evidence"
    )
    lines = [
        "# Change management: population, sample and results",
        "",
        "## 1. Scope",
        "",
        f"- Period: {period}",
        "- Population: merged pull requests into the production branches "
        f"({', '.join(sorted({r['branch'] for r in population})) or 'none'}), commits that "
        "reached them without one, force pushes and pushes that bypassed their rulesets; one "
        "row each",
        f"- Changes: {len(population)}",
        "",
        "## 2. Completeness",
        "",
    ]
    incomplete = sum(1 for r in population if r["CM012"] == "FAIL")
    lines += [f"- Changes whose evidence was cut short (nested lists not complete): {incomplete}"]
    lines += [f"- {note}" for note in notes] or []
    lines += ["- Evidence files:"] + [f"  - `{i.path}` sha256 `{i.sha256}`" for i in inputs]
    lines += [
        "",
        "## 3. Results per control",
        "",
        "| control | population | FAIL | exempt | documented | not evaluated | n/a | exception rate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for control in CONTROLS:
        counts = {
            s: sum(1 for r in population if r[control] == s)
            for s in ("FAIL", "exempt", "documented", "not-evaluated", "n/a")
        }
        tested = len(population) - counts["n/a"] - counts["not-evaluated"]
        rate = f"{counts['FAIL'] / tested:.1%}" if tested else "-"
        lines.append(
            f"| {control} | {len(population)} | {counts['FAIL']} | {counts['exempt']} | "
            f"{counts['documented']} | {counts['not-evaluated']} | {counts['n/a']} | {rate} |"
        )
    lines += [
        "",
        "## 4. Sample",
        "",
        f"- Size: {len(sample)}: {why}",
        f"- Seed: `{seed}`"
        + (" (the population digest: no seed was given)" if not options.seed else ""),
        f"- Population digest: sha256 of `changes/population.csv` = `{digest}`",
        '- Selection: key = sha256("<seed>:<change_id>") in hex, ascending; the first '
        f"{len(sample)} rows. Re-derive one key with `printf '%s' '<seed>:pr:123' | sha256sum`.",
        "- Selected: " + (", ".join(r["change_id"] for r in sample) or "none"),
        "",
        "## 5. Exceptions",
        "",
    ]
    failures = [r for r in population if any(r[c] == "FAIL" for c in CONTROLS)]
    for r in failures:
        failed = [c for c in CONTROLS if r[c] == "FAIL"]
        if r["kind"] == "pr":
            facts = [
                f"- {r['pr_url']}: {r['title']}",
                f"- author {r['author']}, merged by {r['merged_by']} at {r['merged_at_utc']}; "
                f"approvals that counted: {r['approvers'] or 'none'}; checks {r['checks']}",
            ]
        else:
            facts = [f"- {r['kind']} on {r['branch']} at {r['merged_at_utc']} by {r['author']}"]
            facts += [f"- {r['title']}"] if r["title"] else []
        lines += [f"### {r['change_id']}: {', '.join(failed)}", "", *facts, ""]
    if not failures:
        lines += ["None.", ""]
    lines += sections
    reproduce = 6 + sum(1 for line in sections if line.startswith("## "))
    lines += [
        f"## {reproduce}. Reproduce",
        "",
        f"soc2lint {__version__}:",
        "",
        "```sh",
        options.command,
        "```",
        "",
    ]
    return "\n".join(lines)


def _html(markdown: str) -> str:
    """The summary as a self-contained page: no script, prints as it shows."""
    body = []
    in_table = False
    for line in markdown.split("\n"):
        if line.startswith("| ") and "---" not in line:
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            tag = "th" if not in_table else "td"
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
            continue
        if "---" in line and line.startswith("|"):
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line[level:].strip())}</h{level}>")
        elif line.startswith("- ") or line.startswith("  - "):
            body.append(f'<p class="item">{html.escape(line.strip()[2:])}</p>')
        elif line.strip() and not line.startswith("```"):
            body.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:"
        "collapse}td,th{border:1px solid #999;padding:.2em .5em}p.item{margin:.2em 0 .2em 1em}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Change '
        f"management report</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
