"""Which SOC 2 controls a scan evaluated, which passed, and which it could not evaluate.

A control without findings is not a control that passed: it passes only when a rule that ran
judged it and no rule citing it lacked its evidence. One computation, read by every format.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from soc2lint.catalog import load_catalog
from soc2lint.model import ScanResult


@dataclass(frozen=True)
class Coverage:
    evaluated: tuple[str, ...]  # judged by at least one rule, or with findings
    failed: tuple[str, ...]  # with findings not suppressed
    passed: tuple[str, ...]  # judged, no finding, no rule lacking evidence
    partly: tuple[str, ...]  # judged, but some rule lacked its evidence: not passed
    not_evaluated: tuple[str, ...]  # no rule could judge it (no evidence, no files)
    # the rules behind `partly` and `not_evaluated`, per control
    unjudged_rules: tuple[tuple[str, tuple[str, ...]], ...] = ()
    lacking_rules: frozenset[str] = frozenset()  # of those, the ones missing their evidence

    def rules_for(self, controls: tuple[str, ...]) -> list[str]:
        """The rules that left these controls unjudged: those missing their evidence first (the
        ones a collection would fix), then those with no file of their kind."""
        wanted = set(controls)
        found = {r for c, ids in self.unjudged_rules if c in wanted for r in ids}
        return sorted(found, key=lambda r: (r not in self.lacking_rules, r))


def coverage(result: ScanResult) -> Coverage:
    catalog = load_catalog()
    skipped = set(result.not_evaluated)
    idle = set(result.not_applicable)
    failed = {c for f in result.findings if f.suppression is None for c in f.rule.controls}
    judged: set[str] = set()
    missing: dict[str, set[str]] = defaultdict(set)  # rules lacking evidence, or with no files
    for rule in result.rules:
        for control in rule.controls:
            if rule.id in skipped or rule.id in idle:
                missing[control].add(rule.id)
            else:
                judged.add(control)
    # a rule with no file of its kind has nothing to judge; one lacking the evidence it needs
    # leaves its control unproven, whatever the other rules found
    lacking = {c for c, ids in missing.items() if ids & skipped}
    evaluated = judged | failed
    unjudged = {c for c in missing if c not in evaluated}
    partly = lacking & evaluated
    reasons = {c: missing[c] & skipped if c in partly else missing[c] for c in unjudged | partly}

    def ordered(controls: set[str]) -> tuple[str, ...]:
        return tuple(sorted(controls, key=catalog.sort_key))

    return Coverage(
        ordered(evaluated),
        ordered(failed),
        ordered(judged - failed - lacking),
        ordered(partly),
        ordered(unjudged),
        tuple((c, tuple(sorted(reasons[c]))) for c in ordered(set(reasons))),
        frozenset(skipped),
    )


def as_dict(cov: Coverage) -> dict[str, object]:
    """The JSON / SARIF-properties shape."""
    return {
        "evaluated": list(cov.evaluated),
        "passed": list(cov.passed),
        "failed": list(cov.failed),
        "evaluated_in_part": list(cov.partly),
        "not_evaluated": list(cov.not_evaluated),
        "rules_not_evaluated": {c: list(ids) for c, ids in cov.unjudged_rules},
    }
