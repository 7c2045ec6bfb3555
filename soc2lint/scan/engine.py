"""A scan, end to end: discover -> the per-file pass -> the assembled pass -> the history's
secrets -> baseline and exceptions -> one sorted, de-duplicated result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from soc2lint.config import Config
from soc2lint.model import Rule, ScanResult
from soc2lint.scan.discover import discover
from soc2lint.scan.documents import ENGINE_DETECTORS, DocumentScanner
from soc2lint.scan.findings import make_finding, sort_key, unique


def scan(
    root: Path,
    rules: Sequence[Rule],
    config: Config,
    paths: Sequence[Path] | None = None,
    today: dt.date | None = None,
    readers: Sequence[Rule] = (),
    jobs: int | None = None,
    history: bool = True,
    history_cache: bool = True,
    since: str | None = None,
    progress: bool = False,
    unreachable: bool = False,
    evidence_required: bool = False,
    evidence_scope: frozenset[str] | None = None,
    var_files: Sequence[str] = (),
) -> ScanResult:
    """Scan `root` (or `paths` under it) with `rules`; returns every finding, suppressed ones marked.

    `readers`: every loaded rule, deciding which files are parsed when only engine rules (such
    as parse-error) were selected. `jobs`: worker processes for large scans (default: the CPUs).
    `history`: scan the git history for secrets when a rule asks for it (not for explicit paths,
    as pre-commit gives them); `unreachable`: also the commits no ref reaches.
    `evidence_required`: GitHub settings evidence must be there (GH023 medium, and reported
    when absent); `evidence_scope`: report only the evidence-missing findings about these
    statuses (GH023 run on behalf of the selected rules), None for all.
    `var_files`: Terraform variable files (`--var-file`) for the root modules scanned.
    """
    from soc2lint import gitrun
    from soc2lint.formats.registry import deferred_kinds, targets, text_passed_kinds
    from soc2lint.scan import assembled, joins
    from soc2lint.scan.exceptions import apply_decisions
    from soc2lint.scan.parallel import MIN_FILES, default_jobs, scan_all, worth_forking

    today = today or dt.date.today()
    found = discover(root, paths, config.exclude, config.evidence_dir)
    scanner = DocumentScanner(rules, config, readers, root.resolve())
    deferred = deferred_kinds()
    text_too = text_passed_kinds()
    later = [a for a in found.artifacts if a.kind in deferred]
    others = [a for a in found.artifacts if a.kind not in deferred or a.kind in text_too]
    if jobs is None:  # not asked for: workers only when the work pays for starting them
        jobs = default_jobs() if worth_forking(others, rules) else 1
    if jobs > 1 and len(others) >= MIN_FILES:
        _prepare(rules)  # once here, not once per forked worker
    findings, files, accepted = scan_all(others, scanner.scan_artifact, rules, jobs)
    accepted |= scanner.accepted_targets
    options = {
        "evidence_required": evidence_required,
        "evidence_scope": evidence_scope,
        "var_files": tuple(var_files),
    }
    second = assembled.run(scanner, later, options)
    findings += second.findings
    files += second.files
    findings, undecided = joins.settle(findings, complete=not paths)
    not_evaluated = list(second.not_evaluated) + undecided
    notes = list(found.notes)
    if history and not paths and "secrets-history" in scanner.engine_rules:
        # only a selection with SEC002 pays for importing the history scanner
        from soc2lint.secrets.merge import HistoryOptions, merge_history

        merged = merge_history(
            root.resolve(),
            scanner.engine_rules,
            config,
            findings,
            make_finding,
            HistoryOptions(history_cache, since, progress, unreachable),
        )
        findings, not_evaluated = merged.findings, not_evaluated + merged.not_evaluated
        notes += merged.notes
    findings, expired = apply_decisions(findings, root, config, today)
    # rules with no file of their kind had nothing to judge (no workflows, no manifests)
    kinds = {a.kind for a in found.artifacts}
    known = targets()
    idle = [
        r.id
        for r in scanner.doc_rules
        if not any(k in kinds for t in r.targets for k in known[t].kinds)
    ]
    if not kinds:  # not a file: parse errors and the like had nothing to look at
        idle += [r.id for r in scanner.engine_rules.values()]
    # a target that picks its documents among a generic kind (Kubernetes objects among all
    # YAML and JSON) judged nothing when it accepted none: its rules are idle too, never passed
    picky = {n for n, t in known.items() if t.accepts is not None and not t.kinds & deferred}
    idle += [
        r.id
        for r in scanner.doc_rules
        if r.id not in idle
        and r.targets
        and all(t in picky and id(known[t]) not in accepted for t in r.targets)
    ]
    from soc2lint.formats.registry import formats

    missing: set[str] = set()
    for fmt in formats():  # evidence a selected rule needed, and where to get it
        if (
            fmt.absent
            and fmt.kind not in kinds
            and not paths
            and any(fmt.kind in known[t].kinds for r in scanner.doc_rules for t in r.targets)
        ):
            notes.append(fmt.absent)
            missing.add(fmt.kind)
    # a rule idle for want of evidence the scan expects (merged pull requests) did not find
    # "nothing to judge": its controls are not evaluated, never passed
    lacking = [
        r.id
        for r in scanner.doc_rules
        if r.id in idle and any(k in missing for t in r.targets for k in known[t].kinds)
    ]
    idle = [r for r in idle if r not in lacking]
    not_evaluated += lacking
    return ScanResult(
        tuple(unique(sorted(findings, key=sort_key))),
        tuple(rules),
        files,
        tuple(notes),
        tuple(expired),
        gitrun.repository_prefix(root),
        not_evaluated=tuple(sorted(set(not_evaluated))),
        not_applicable=tuple(idle),
    )


def _prepare(rules: Sequence[Rule]) -> None:
    """Compile the rules' matches and warm their detectors in this process."""
    from soc2lint import detectors
    from soc2lint.language.match import matchers_of

    for rule in rules:
        matchers_of(rule)
        if rule.detector and rule.detector not in ENGINE_DETECTORS:
            detectors.warm(rule.detector)
