"""Scan artifacts in worker processes when there are many of them.

Workers are forked, so they inherit the loaded rules (compiled closures cannot be pickled) and
return findings as plain tuples naming their rule by id; the parent rebuilds them. Fork is only
used on Linux; elsewhere, and for small scans such as pre-commit's, the scan stays in-process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from soc2lint.model import Artifact, Finding, Rule, Severity

# Below this many files, starting workers costs more than it saves.
MIN_FILES = 200
# When the number of workers is not given: below this much work (bytes of the files the rules
# read, those read as text counting TEXT_COST times: the secrets scan costs several times more
# per byte than parsing and matching), forking (~50 ms, and a second core another process may
# be using) costs more than it saves. kubernetes/examples under --select KUB: 0.25 MB, one
# process; the same with every rule: 11 MB-equivalent, workers.
MIN_WORK = 2 << 20
TEXT_COST = 8


def worth_forking(artifacts: Sequence[Artifact], rules: Sequence[Rule]) -> bool:
    """Whether a scan of `artifacts` with `rules` has work enough for worker processes."""
    if len(artifacts) < MIN_FILES:
        return False
    from soc2lint.formats.registry import targets

    known = targets()
    kinds = {k for r in rules for t in r.targets if t in known for k in known[t].kinds}
    cost = TEXT_COST if any(r.targets == ("files",) for r in rules) else 1
    return sum(a.size for a in artifacts if a.kind in kinds) * cost >= MIN_WORK


ScanOne = Callable[[Artifact], tuple[list[Finding], bool]]
_WORK: ScanOne | None = None  # set in the parent just before forking


def default_jobs() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def _plain(finding: Finding) -> tuple[Any, ...]:
    return (
        finding.rule.id,
        int(finding.severity),
        finding.location,
        finding.message,
        finding.identity,
        finding.fingerprint,
        finding.suppression,
        finding.properties,
        finding.fact,
    )


def _chunk(artifacts: Sequence[Artifact]) -> tuple[list[tuple[Any, ...]], int, set[int]]:
    assert _WORK is not None
    out: list[tuple[Any, ...]] = []
    parsed = 0
    for artifact in artifacts:
        findings, was_parsed = _WORK(artifact)
        parsed += was_parsed
        out.extend(_plain(f) for f in findings)
    # the targets that accepted a document in this worker (ids hold across fork)
    accepted: set[int] = getattr(getattr(_WORK, "__self__", None), "accepted_targets", set())
    return out, parsed, set(accepted)


def scan_all(
    artifacts: Sequence[Artifact], scan_one: ScanOne, rules: Sequence[Rule], jobs: int
) -> tuple[list[Finding], int, set[int]]:
    """(findings, number of files parsed, ids of the targets the workers saw accept a document)
    for every artifact, in parallel where worth it; in one process the scanner keeps the last."""
    if jobs <= 1 or len(artifacts) < MIN_FILES or not sys.platform.startswith("linux"):
        findings: list[Finding] = []
        parsed = 0
        for artifact in artifacts:
            produced, was_parsed = scan_one(artifact)
            findings.extend(produced)
            parsed += was_parsed
        return findings, parsed, set()

    import multiprocessing

    global _WORK
    # largest files first, dealt round-robin, so that the workers finish together
    ordered = sorted(artifacts, key=lambda a: -a.size)
    chunks = [ordered[i::jobs] for i in range(jobs)]
    _WORK = scan_one
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_chunk, chunks)
    finally:
        _WORK = None
    by_id = {r.id: r for r in rules}
    findings = []
    parsed = 0
    accepted: set[int] = set()
    for plain, count, seen in parts:
        parsed += count
        accepted |= seen
        for rule_id, sev, location, message, identity, fp, suppression, props, fact in plain:
            findings.append(
                Finding(
                    by_id[rule_id],
                    Severity(sev),
                    location,
                    message,
                    identity,
                    fp,
                    suppression,
                    props,
                    fact,
                )
            )
    return findings, parsed, accepted
