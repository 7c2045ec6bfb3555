"""Text report: findings grouped by file, the git history's grouped by rule and secret type;
why and fix once per rule; then a summary per SOC 2 control and per secret type."""

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


# findings about the git history: grouped by rule and secret type, not by file (the paths are
# the history's, most of them gone from the files)
_HISTORY = ("secrets-history",)


def _is_history(f: Finding) -> bool:
    return f.rule.detector in _HISTORY


def _secret_type(f: Finding) -> str:
    return dict(f.properties).get("secret_type", "")


def render(result: ScanResult, color: bool = False, quiet: bool = False) -> str:
    import click

    style: Styler = click.style if color else _plain
    active = [f for f in result.findings if f.suppression is None]
    lines: list[str] = []
    explained: set[str] = set()  # rules whose why and fix were printed: once per rule

    def line_of(f: Finding, indent: str) -> str:
        loc = f.location
        controls = ", ".join(f.rule.controls)
        sev = style(f.severity.label, fg=_COLORS[f.severity], bold=f.severity >= Severity.HIGH)
        return (
            f"{indent if not quiet else ''}{loc.path}:{loc.start_line}:{loc.start_column}: "
            f"{style(f.rule.id, bold=True)} [{controls}] {sev}: {f.message}"
        )

    def explain(f: Finding, indent: str) -> None:
        if not quiet and f.rule.id not in explained:
            explained.add(f.rule.id)
            lines.append(f"{indent}why: {f.rule.rationale}")
            lines.append(f"{indent}fix: {f.rule.remediation}")

    by_file: dict[str, list[Finding]] = defaultdict(list)
    history: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in active:
        if _is_history(f):
            history[f.rule.id][_secret_type(f)].append(f)
        else:
            by_file[f.location.path].append(f)
    for path, findings in by_file.items():
        if not quiet:
            lines.append(style(path, bold=True, underline=True))
        for f in findings:
            lines.append(line_of(f, "  "))
            explain(f, "      ")
        if not quiet:
            lines.append("")
    for rule_id in sorted(history):
        kinds = history[rule_id]
        first = next(iter(kinds.values()))[0]
        count = sum(len(group) for group in kinds.values())
        if not quiet:
            noun = "secret" if count == 1 else "secrets"
            lines.append(
                style(f"git history: {rule_id} {first.rule.name}, {count} {noun}", bold=True)
                + f" [{', '.join(first.rule.controls)}]"
            )
            explain(first, "    ")
        # the most frequent type first, then by name; in each, by path and line
        for kind in sorted(kinds, key=lambda k: (-len(kinds[k]), k)):
            if not quiet:
                lines.append(f"  {kind or 'secret'} ({len(kinds[kind])})")
            lines.extend(line_of(f, "    ") for f in kinds[kind])
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
    out.extend(_by_secret_type(active))
    coverage = _coverage(result)
    if active:  # under the table of findings per control; else after the line of totals
        out.extend([*coverage, ""] if coverage else [])
    severities = Counter(f.severity for f in active)
    parts = [f"{severities[s]} {s.label}" for s in sorted(severities, reverse=True)]
    suppressed = len(result.findings) - len(active)
    in_history = [f for f in active if _is_history(f)]
    in_files = [f for f in active if not _is_history(f)]
    # files of the tree against the files scanned; the history's paths are counted apart
    files = len({f.location.path for f in in_files})
    noun = "finding" if len(active) == 1 else "findings"
    summary = f"{len(active)} {noun}" + (f" ({', '.join(parts)})" if parts else "")
    if in_history:
        paths = len({f.location.path for f in in_history})
        summary += (
            f": {len(in_files)} in {files} of {result.files} files scanned, "
            f"{len(in_history)} in the git history at {paths} "
            f"{'path' if paths == 1 else 'paths'}, with {len(result.rules)} rules"
        )
    else:
        summary += f" in {files} of {result.files} files scanned with {len(result.rules)} rules"
    if suppressed:
        summary += f"; {suppressed} suppressed with a documented reason"
    out.append(summary + ".")
    if not active:
        out.extend(coverage)
    return out


def _by_secret_type(active: list[Finding]) -> list[str]:
    """How many secrets of each type, and under which rules (the files', the history's)."""
    per_type: dict[str, Counter[str]] = defaultdict(Counter)
    for f in active:
        kind = _secret_type(f)
        if kind:
            per_type[kind][f.rule.id] += 1
    if not per_type:
        return []
    out = ["Secrets by type:"]
    for kind in sorted(per_type, key=lambda k: (-sum(per_type[k].values()), k)):
        rules = per_type[kind]
        detail = ", ".join(f"{rid} x{n}" for rid, n in sorted(rules.items()))
        out.append(f"  {kind[:60]:<60} {sum(rules.values()):>5}  ({detail})")
    return [*out, ""]


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
