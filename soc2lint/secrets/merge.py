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
from soc2lint.model import Finding, Location, Rule

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
        finding = make_finding(rule, location, fields, fp)
        out.append(replace(finding, properties=_commit_properties(s, result)))
    merged.findings = out
    return merged


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
