"""Text report: findings grouped by file, then a summary per SOC 2 control."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from soc2lint.catalog import load_catalog
from soc2lint.model import Finding, ScanResult, Severity

_COLORS = {
    Severity.CRITICAL: "magenta",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "white",
}

Styler = Callable[..., str]


def _plain(text: str, **_: object) -> str:
    return text


def render(result: ScanResult, color: bool = False, quiet: bool = False) -> str:
    import click

    style: Styler = click.style if color else _plain
    active = [f for f in result.findings if f.suppression is None]
    lines: list[str] = []
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in active:
        by_file[f.location.path].append(f)
    for path, findings in by_file.items():
        if not quiet:
            lines.append(style(path, bold=True, underline=True))
        for f in findings:
            loc = f.location
            controls = ", ".join(f.rule.controls)
            sev = style(f.severity.label, fg=_COLORS[f.severity], bold=f.severity >= Severity.HIGH)
            lines.append(
                f"{'  ' if not quiet else ''}{loc.path}:{loc.start_line}:{loc.start_column}: "
                f"{style(f.rule.id, bold=True)} [{controls}] {sev}: {f.message}"
            )
            if not quiet:
                lines.append(f"      why: {f.rule.rationale}")
                lines.append(f"      fix: {f.rule.remediation}")
        if not quiet:
            lines.append("")
    if quiet:
        return "\n".join(lines) + ("\n" if lines else "")
    lines.extend(_summary(result, active))
    return "\n".join(lines) + "\n"


def _summary(result: ScanResult, active: list[Finding]) -> list[str]:
    catalog = load_catalog()
    out: list[str] = []
    per_control: dict[str, Counter[str]] = defaultdict(Counter)
    for f in active:
        for c in f.rule.controls:
            per_control[c][f.rule.id] += 1
    if per_control:
        out.append("Findings by SOC 2 control:")
        for control in sorted(per_control, key=catalog.sort_key):
            rules = per_control[control]
            total = sum(rules.values())
            title = catalog.criteria[control].title if control in catalog.criteria else ""
            detail = ", ".join(f"{rid} x{n}" for rid, n in sorted(rules.items()))
            out.append(f"  {control:<6} {title[:60]:<60} {total:>4}  ({detail})")
        out.append("")
    coverage = _coverage(result)
    if active:  # under the table of findings per control; else after the line of totals
        out.extend([*coverage, ""] if coverage else [])
    severities = Counter(f.severity for f in active)
    parts = [f"{severities[s]} {s.label}" for s in sorted(severities, reverse=True)]
    suppressed = len(result.findings) - len(active)
    files = len({f.location.path for f in active})
    noun = "finding" if len(active) == 1 else "findings"
    summary = (
        f"{len(active)} {noun}"
        + (f" ({', '.join(parts)})" if parts else "")
        + f" in {files} of {result.files} files scanned with {len(result.rules)} rules"
    )
    if suppressed:
        summary += f"; {suppressed} suppressed with a documented reason"
    out.append(summary + ".")
    if not active:
        out.extend(coverage)
    return out


def _coverage(result: ScanResult) -> list[str]:
    """Which controls the rules that ran evaluated, which of those passed, and which no rule
    could evaluate (no evidence, or no file of the rule's kind)."""
    from soc2lint.report.coverage import coverage

    cov = coverage(result)
    if not cov.evaluated and not cov.not_evaluated:
        return []
    out = [
        f"Controls evaluated: {len(cov.evaluated)}"
        + (f" ({len(cov.failed)} with findings)" if cov.failed else "")
        + (f"; passed: {', '.join(cov.passed)}" if cov.passed else "; none passed")
    ]
    if cov.not_evaluated:
        out.append(
            f"Controls not evaluated: {', '.join(cov.not_evaluated)} (no evidence or no "
            f"files for {_some(cov.rules_for(cov.not_evaluated))})"
        )
    if cov.partly:
        out.append(
            f"Controls evaluated only in part: {', '.join(cov.partly)} (no evidence "
            f"for {_some(cov.rules_for(cov.partly))})"
        )
    return out


def _some(ids: list[str], shown: int = 8) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
