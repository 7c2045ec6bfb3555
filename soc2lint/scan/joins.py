"""Joins: rules whose verdict needs every document of the scan (a PodDisruptionBudget covering a
Deployment, a NetworkPolicy in a namespace). Their detectors run per document like any other,
in the workers, and yield hits carrying a `fact`; the engine locates them as findings, and once
every file was read, the detector's `join` decides which facts become findings. Facts are
sorted by place first, so the answer does not depend on how files were dealt to workers.

A join over a partial scan (explicit paths, as pre-commit gives them) sees part of the
repository: it reaches no verdict then (`complete` False), and says so."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from soc2lint.model import Finding
from soc2lint.scan.findings import make_finding, sort_key


def settle(findings: Sequence[Finding], complete: bool) -> tuple[list[Finding], list[str]]:
    """(the findings with every join decided, the ids of join rules that reached no verdict)."""
    from soc2lint import detectors

    out: list[Finding] = []
    pending: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.fact is None:
            out.append(finding)
        else:
            pending.setdefault(finding.rule.id, []).append(finding)
    unknown: list[str] = []
    for rule_id in sorted(pending):
        facts = sorted(pending[rule_id], key=lambda f: (*sort_key(f), f.fingerprint))
        rule = facts[0].rule
        assert rule.detector is not None
        join = detectors.load_join(rule.detector)
        verdict = join(
            [f.fact for f in facts], {**rule.with_, **rule.params, "_complete": complete}
        )
        if not verdict.evaluated:
            unknown.append(rule_id)
        for index, fields in verdict.hits:
            base = facts[index]
            values = dict(fields)
            identity = values.pop("identity", "") or base.identity
            finding = make_finding(rule, base.location, values, identity)
            out.append(replace(finding, suppression=base.suppression, properties=base.properties))
    return out, unknown
