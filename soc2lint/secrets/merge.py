"""The git history's secrets merged into a scan's findings.

Secrets still in the tree are SEC001's findings (the history tells which commit introduced
them); the others are reported once each, where they entered (SEC002). A history that could not
be read is reported as such (SL005 scan-incomplete), never as a clean one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from soc2lint.config import Config
from soc2lint.errors import Soc2lintError
from soc2lint.model import Finding, Location, Rule, Severity

MakeFinding = Callable[..., Finding]


@dataclass
class Merged:
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    not_evaluated: list[str] = field(default_factory=list)  # rule ids: the history unread


@dataclass(frozen=True)
class HistoryOptions:
    use_cache: bool = True
    since: str | None = None
    progress: bool = False
    unreachable: bool = False


def merge_history(
    root: Path,
    engine_rules: Mapping[str, Rule],
    config: Config,
    findings: list[Finding],
    make_finding: MakeFinding,
    options: HistoryOptions = HistoryOptions(),
) -> Merged:
    from soc2lint.gitrun import is_shallow
    from soc2lint.secrets.history import is_work_tree, scan_history

    merged = Merged(findings)
    rule = engine_rules.get("secrets-history")
    if rule is None:
        return merged
    _audit_file(merged, root, engine_rules, make_finding)
    merged.findings = _without_records(root, merged.findings)
    if not is_work_tree(root):
        if os.path.lexists(root / ".git"):  # a repository git cannot read is no plain directory
            _incomplete(
                merged,
                root,
                engine_rules,
                make_finding,
                "the git history was not read "
                "for secrets: git does not recognise the repository at .git",
            )
        return merged
    try:
        allowed = tuple(rule.params.get("allowed_secrets", ()) or ())
        result = scan_history(
            root,
            config.max_file_size,
            options.since,
            options.use_cache,
            options.progress,
            allowed,
            options.unreachable,
            exclude_paths=(config.baseline,),
        )
    except Soc2lintError as exc:  # a corrupt or partial repository: say so, keep the tree scan
        _incomplete(
            merged,
            root,
            engine_rules,
            make_finding,
            f"the git history was not read for secrets: {exc}",
        )
        return merged
    merged.notes.extend(result.notes)
    if is_shallow(root):
        _incomplete(
            merged,
            root,
            engine_rules,
            make_finding,
            "the clone is shallow: the commits before its oldest one were not read for secrets",
        )
    if result.skipped_binary:
        merged.notes.append(
            f"history: {result.skipped_binary} binary or oversized file versions "
            "were not scanned for secrets"
        )
    in_tree: set[str] = set()
    from soc2lint.secrets.history import still_in_tree

    out = []
    for f in merged.findings:
        if f.rule.detector == "secret-in-file":
            fp = f.identity.rsplit("#", 1)[-1]
            sighting = result.sightings.get(fp)
            if sighting is not None:
                f = replace(
                    f,
                    properties=tuple(
                        {**dict(f.properties), **dict(_commit_properties(sighting, result))}.items()
                    ),
                )
            in_tree.add(fp)
        out.append(f)
    from soc2lint.globs import matches

    # a secret still in the files is not only in the history, whether or not SEC001 ran
    # (`--select SEC002`) or reported it there: the lines that held it, read where it was added
    others = [fp for fp in result.sightings if fp not in in_tree]
    in_tree |= still_in_tree(root, result, others, config.max_file_size, config.exclude)
    for fp, s in sorted(result.sightings.items(), key=lambda kv: (kv[1].path, kv[1].line)):
        if fp in in_tree or any(matches(s.path, pattern) for pattern in config.exclude):
            continue
        location = Location(s.path, s.line, s.column, s.line, s.column + s.length)
        fields = {
            "secret_type": s.kind,
            "preview": s.preview,
            "commit": s.commit.sha[:12],
            "author": s.commit.author,
            "date": s.commit.date[:10],
            "occurrences": str(result.occurrences[fp]),
        }
        properties = _commit_properties(s, result)
        scope = _scope(rule, s)
        if scope is None:
            finding = make_finding(rule, location, fields, fp)
        else:
            # tests, docs or vendored code where the secret entered: SEC001's judgement, at the
            # lower severity the rule names, with its scoped message; the identity is the same
            what, severity, template, evidence = scope
            extra = {"scope": what, "evidence": evidence} if evidence else {"scope": what}
            finding = make_finding(rule, location, {**fields, **extra}, fp, template)
            properties += (("code_scope", what),)
            if evidence:
                properties += (("evidence", "weak"),)
            properties += (("scope_severity", severity.name.lower()),)
            if severity < finding.severity:
                finding = replace(finding, severity=severity)
        out.append(replace(finding, properties=properties))
    merged.findings = out
    return merged


def _scope(rule: Rule, s: Any) -> tuple[str, Severity, str | None, str] | None:
    """(scope, severity, message template, evidence) for a history secret that SEC001's
    judgement (`lines.lowered`) lowers, by the path it entered at: tests, docs or vendored
    code, or weak evidence outside configuration; None keeps the rule's severity."""
    from soc2lint.secrets.lines import lowered

    params = {**rule.with_, **rule.params}
    judged = lowered(s.path, s.kind)
    if judged is None or not params.get("scoped_severity"):
        return None
    severity = Severity.parse(str(params["scoped_severity"]))
    template = params.get("weak_message" if judged.evidence else "scoped_message")
    return judged.scope, severity, str(template) if template else None, judged.evidence


def _audit_file(
    merged: Merged, root: Path, engine_rules: Mapping[str, Rule], make_finding: MakeFinding
) -> None:
    """detect-secrets' `.secrets.baseline` that cannot be read: its audit is not applied and
    the scan goes on; one parse-error finding (a note when that rule is not selected)."""
    from soc2lint.secrets.baseline import DETECT_SECRETS_NAME, detect_secrets_problem

    problem = detect_secrets_problem(root / DETECT_SECRETS_NAME)
    if problem is None:
        return
    line, reason = problem
    detail = f"{reason}; its audit (is_secret: false) was not applied"
    rule = engine_rules.get("parse-error")
    if rule is None:
        merged.notes.append(f"{DETECT_SECRETS_NAME}:{line}: {detail}")
        return
    location = Location(DETECT_SECRETS_NAME, line, 1, line, 1)
    merged.findings.append(make_finding(rule, location, {"detail": detail}, DETECT_SECRETS_NAME))


def _without_records(root: Path, findings: list[Finding]) -> list[Finding]:
    """Without the tree's findings on a baseline's records (hashes, commit ids) wherever the
    baseline is kept (soc2lint's own files at the root are never scanned)."""
    from soc2lint.secrets.baseline import is_record

    lines: dict[str, list[str]] = {}
    out = []
    for f in findings:
        if f.rule.detector == "secret-in-file":
            path = f.location.path
            if path not in lines:
                try:
                    text = (root / path).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = ""
                lines[path] = (
                    text.split("\n") if "hashed_secret" in text or ("introduced_in" in text) else []
                )
            number = f.location.start_line
            if number <= len(lines[path]) and is_record(lines[path][number - 1].rstrip("\r")):
                continue
        out.append(f)
    return out


def _incomplete(
    merged: Merged,
    root: Path,
    engine_rules: Mapping[str, Rule],
    make_finding: MakeFinding,
    detail: str,
) -> None:
    """A history that could not be read: a finding (SARIF, JSON, exit code) when scan-incomplete
    is selected, else at least a note; either way the history rule reached no verdict."""
    history = engine_rules.get("secrets-history")
    if history is not None:  # its controls cannot pass on a history it did not read
        merged.not_evaluated.append(history.id)
    rule = engine_rules.get("scan-incomplete")
    if rule is None:
        merged.notes.append(detail)
        return
    top = str(root)
    detail = detail.replace(f"{top}: ", "").replace(top + os.sep, "")
    merged.findings.append(
        make_finding(rule, Location(".git", 1, 1, 1, 1), {"detail": detail}, "history")
    )


def _commit_properties(s: Any, result: Any) -> tuple[tuple[str, str], ...]:
    fp = s.fingerprint
    return (
        ("secret_type", s.kind),
        ("introduced_in", s.commit.sha),
        ("introduced_by", s.commit.author),
        ("introduced_at", s.commit.date),
        ("introduced_path", s.path),
        ("occurrences", str(result.occurrences.get(fp, 1))),
        ("secret_fingerprint", fp),
    )
