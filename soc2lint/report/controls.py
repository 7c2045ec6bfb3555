"""Every Trust Services Criterion the rules cite, with its status, the rules that decided it, and
the evidence it rests on; the documented exceptions and suppressions beside it.

The status is coverage.py's (one computation, read by every format); this module only lays it
out for the auditor: `controls.csv`, `evidence.csv`, `exceptions.csv` and the summary's sections.
Not evaluated, or evaluated in part, never reads as pass. Same inputs, same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from soc2lint.catalog import load_catalog
from soc2lint.config import Config
from soc2lint.model import Artifact, Rule, ScanResult
from soc2lint.report.coverage import coverage

PASS, FAIL, PARTLY, NOT_EVALUATED = "pass", "fail", "partly evaluated", "not evaluated"
CONTROL_COLUMNS = (
    "control",
    "title",
    "status",
    "reason",
    "rules",
    "findings",
    "exceptions",
    "evidence_files",
    "evidence_kinds",
)
EVIDENCE_COLUMNS = ("path", "kind", "sha256", "collected_at", "manifest", "commit", "controls")
EXCEPTION_COLUMNS = (
    "kind",
    "rule",
    "path",
    "line",
    "reason",
    "ticket",
    "expires",
    "approved_by",
    "findings",
    "state",
)


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    status: str
    reason: str
    rules: tuple[str, ...]  # the rules that decided it (or, not evaluated, those that could not)
    findings: int  # not suppressed
    exceptions: int  # findings suppressed or covered by a documented exception
    evidence: tuple[str, ...]  # paths, relative to the scanned directory
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    path: str
    kind: str
    sha256: str
    collected_at: str  # from the collector's manifest, "" for repository files
    manifest: str  # the manifest that lists it, ""
    commit: str  # the commit it was read at ("" outside git)
    controls: tuple[str, ...]


@dataclass(frozen=True)
class Exemption:
    kind: str  # config, inline, baseline
    rule: str
    path: str
    line: str
    reason: str
    ticket: str
    expires: str
    approved_by: str
    findings: int
    state: str  # active, expired


@dataclass(frozen=True)
class Collection:
    manifest: str
    collected_at: str
    files: int
    mismatched: tuple[str, ...]  # files whose sha256 differs from the manifest's


@dataclass(frozen=True)
class Controls:
    controls: tuple[Control, ...]
    evidence: tuple[Evidence, ...]
    exemptions: tuple[Exemption, ...]
    collections: tuple[Collection, ...]
    commit: str  # the commit the repository files were read at, ""
    as_of: str  # "" or "YYYY-MM-DD: commit <id> committed <time>"


def _collections(
    root: Path, evidence_dir: str
) -> tuple[list[Collection], dict[str, tuple[str, str, str]]]:
    """The collectors' manifests under the evidence directory, and for each file they list
    (path below root): (collected_at, sha256 recorded, manifest path)."""
    listed: dict[str, tuple[str, str, str]] = {}
    found = []
    base = root / evidence_dir
    if not base.is_dir():
        return [], listed
    for manifest in sorted(base.rglob("manifest.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            continue
        where = manifest.relative_to(root).as_posix()
        folder = PurePosixPath(where).parent
        stamp = str(data.get("collected_at") or "")
        count = 0
        for entry in data["files"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            path = (folder / entry["path"]).as_posix()
            listed[path] = (
                str(entry.get("collected_at") or stamp),
                str(entry.get("sha256") or ""),
                where,
            )
            count += 1
        found.append(Collection(where, stamp, count, ()))
    return found, listed


def _exemptions(result: ScanResult, config: Config, today: dt.date) -> list[Exemption]:
    from soc2lint.globs import matches
    from soc2lint.scan.suppress import names_rule

    out = []
    suppressed = [f for f in result.findings if f.suppression is not None]
    for entry in config.exceptions:
        covered = sum(
            1
            for f in suppressed
            if f.suppression is not None
            and f.suppression.kind == "config"
            and f.suppression.reason == entry.reason
            and names_rule(entry.rule, f.rule)
            and matches(f.location.path, entry.path)
        )
        expired = entry.expires is not None and entry.expires < today
        out.append(
            Exemption(
                "config",
                entry.rule,
                entry.path if not entry.fingerprint else f"{entry.path} (one secret)",
                "",
                entry.reason,
                entry.ticket or "",
                entry.expires.isoformat() if entry.expires else "",
                entry.approved_by or "",
                covered,
                "expired" if expired else "active",
            )
        )
    for f in sorted(suppressed, key=lambda f: (f.location.path, f.location.start_line, f.rule.id)):
        assert f.suppression is not None
        if f.suppression.kind == "config":
            continue
        out.append(
            Exemption(
                f.suppression.kind,
                f.rule.id,
                f.location.path,
                str(f.location.start_line),
                f.suppression.reason,
                "",
                f.suppression.expires or "",
                "",
                1,
                "active",
            )
        )
    return out


def build(
    result: ScanResult,
    loaded: Sequence[Rule],
    artifacts: Sequence[Artifact],
    root: Path,
    config: Config,
    today: dt.date,
    commit: str = "",
    as_of: str = "",
    unrun: Mapping[str, str] | None = None,
) -> Controls:
    """The controls of `result` (coverage.py's status), with the rules, counts and evidence.

    `unrun`: selected rules the report did not run ({id: why}, the history scan): they count
    as lacking their evidence, so their controls cannot pass."""
    from dataclasses import replace

    from soc2lint.formats.registry import targets

    catalog = load_catalog()
    unrun = dict(unrun or {})
    ran_ids = {r.id for r in result.rules}
    unrun = {k: v for k, v in unrun.items() if k in ran_ids}
    if unrun:
        result = replace(
            result, not_evaluated=tuple(sorted(set(result.not_evaluated) | set(unrun)))
        )
    cov = coverage(result)

    def missing(ids: Sequence[str]) -> str:
        plain = [r for r in ids if r not in unrun]
        parts = [f"{r} {unrun[r]}" for r in ids if r in unrun]
        if plain:
            parts.insert(0, "evidence missing or forbidden for " + ", ".join(plain))
        return "; ".join(parts)

    failed, passed, partly = set(cov.failed), set(cov.passed), set(cov.partly)
    unjudged = dict(cov.unjudged_rules)
    idle = set(result.not_evaluated) | set(result.not_applicable)
    ran = {r.id for r in result.rules}
    known = targets()
    kinds_of: dict[str, set[str]] = {}
    for rule in result.rules:
        kinds_of[rule.id] = {k for t in rule.targets if t in known for k in known[t].kinds}
    by_kind: dict[str, list[Artifact]] = defaultdict(list)
    for artifact in artifacts:
        by_kind[artifact.kind].append(artifact)
    open_findings: Counter[str] = Counter()
    exempt_findings: Counter[str] = Counter()
    for f in result.findings:
        for c in f.rule.controls:
            (open_findings if f.suppression is None else exempt_findings)[c] += 1
    cited = {c for r in result.rules for c in r.controls}
    unselected: dict[str, set[str]] = defaultdict(set)
    for rule in loaded:
        if rule.id not in ran and rule.status != "deprecated":
            for c in rule.controls:
                if c not in cited:
                    unselected[c].add(rule.id + (" (preview)" if rule.status == "preview" else ""))
    rows: list[Control] = []
    supports: dict[str, set[str]] = defaultdict(set)  # path -> controls
    for control in sorted(cited | set(unselected), key=lambda c: (catalog.sort_key(c), c)):
        deciding = sorted(r.id for r in result.rules if control in r.controls and r.id not in idle)
        kinds = sorted({k for r in deciding for k in kinds_of.get(r, ())} & set(by_kind))
        files = sorted({a.path for k in kinds for a in by_kind[k]})
        lacking = [r for r in cov.rules_for((control,)) if r in cov.lacking_rules]
        absent = [r for r in unjudged.get(control, ()) if r not in cov.lacking_rules]
        if control not in cited:
            status, reason = (
                NOT_EVALUATED,
                "rule not selected: " + ", ".join(sorted(unselected[control])),
            )
            deciding, files, kinds = [], [], []
        elif control in failed:
            status, reason = FAIL, ""
            if lacking:
                reason = "also evaluated in part: " + missing(lacking)
        elif control in partly:
            status = PARTLY
            reason = missing(lacking)
        elif control in passed:
            status, reason = PASS, ""
        else:
            status = NOT_EVALUATED
            parts = []
            if lacking:
                parts.append(missing(lacking))
            if absent:
                parts.append("no artifacts of that kind for " + ", ".join(absent))
            reason = "; ".join(parts) or "no rule reached a verdict"
            deciding = sorted(set(lacking) | set(absent))
        for path in files:
            supports[path].add(control)
        title = catalog.criteria[control].title if control in catalog.criteria else ""
        rows.append(
            Control(
                control,
                title,
                status,
                reason,
                tuple(deciding),
                open_findings[control],
                exempt_findings[control],
                tuple(files),
                tuple(kinds),
            )
        )
    collections, listed = _collections(root, config.evidence_dir)
    kind_of = {a.path: a.kind for a in artifacts}
    evidence = []
    mismatched: dict[str, list[str]] = defaultdict(list)
    for path in sorted(supports):
        try:
            digest = hashlib.sha256((root / path).read_bytes()).hexdigest()
        except OSError:
            digest = ""
        stamp, recorded, manifest = listed.get(path, ("", "", ""))
        if recorded and digest and recorded != digest:
            mismatched[manifest].append(path)
        order = sorted(supports[path], key=lambda c: (catalog.sort_key(c), c))
        evidence.append(
            Evidence(path, kind_of.get(path, ""), digest, stamp, manifest, commit, tuple(order))
        )
    collections = [
        Collection(c.manifest, c.collected_at, c.files, tuple(mismatched.get(c.manifest, ())))
        for c in collections
    ]
    return Controls(
        tuple(rows),
        tuple(evidence),
        tuple(_exemptions(result, config, today)),
        tuple(collections),
        commit,
        as_of,
    )


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def files(c: Controls) -> dict[str, str]:
    """{name: text} of the CSV files, relative to the report directory."""
    return {
        "controls.csv": _csv(
            CONTROL_COLUMNS,
            [
                [
                    r.id,
                    r.title,
                    r.status,
                    r.reason,
                    ";".join(r.rules),
                    str(r.findings),
                    str(r.exceptions),
                    str(len(r.evidence)),
                    ";".join(r.kinds),
                ]
                for r in c.controls
            ],
        ),
        "evidence.csv": _csv(
            EVIDENCE_COLUMNS,
            [
                [
                    e.path,
                    e.kind,
                    e.sha256,
                    e.collected_at,
                    e.manifest,
                    e.commit,
                    ";".join(e.controls),
                ]
                for e in c.evidence
            ],
        ),
        "exceptions.csv": _csv(
            EXCEPTION_COLUMNS,
            [
                [
                    x.kind,
                    x.rule,
                    x.path,
                    x.line,
                    x.reason,
                    x.ticket,
                    x.expires,
                    x.approved_by,
                    str(x.findings),
                    x.state,
                ]
                for x in c.exemptions
            ],
        ),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary(c: Controls, first: int) -> list[str]:
    """The summary's sections about controls, numbered from `first` (Markdown lines)."""
    counts = Counter(r.status for r in c.controls)
    lines = [f"## {first}. Controls (Trust Services Criteria)", ""]
    if c.as_of:
        lines.append(f"- As of: {c.as_of}")
    if c.commit:
        lines.append(f"- Repository files read at commit `{c.commit}`")
    for col in c.collections:
        line = (
            f"- Collection `{col.manifest}`: collected at {col.collected_at or 'unknown'}, "
            f"{col.files} files"
        )
        if col.mismatched:
            line += (
                f"; {len(col.mismatched)} no longer match the manifest's sha256 "
                f"(changed after collection): {', '.join(col.mismatched)}"
            )
        lines.append(line)
    if not c.collections:
        lines.append("- No collector manifest under the evidence directory")
    lines.append(
        "- "
        + ", ".join(f"{counts[s]} {s}" for s in (PASS, FAIL, PARTLY, NOT_EVALUATED))
        + ". A control passes only when a rule that ran judged it, none failed it and none "
        "lacked its evidence; partly evaluated and not evaluated are not passes."
    )
    lines += [
        "- Files: `controls.csv` (one row per criterion), `evidence.csv` (each file with "
        "sha256, collection time or commit, and the criteria it supports), `exceptions.csv`",
        "",
        "| control | status | reason | rules | findings | exceptions | evidence files |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in c.controls:
        status = r.status.upper() if r.status == FAIL else r.status
        lines.append(
            f"| {r.id} | {status} | {_cell(r.reason) or '-'} | {', '.join(r.rules) or '-'} | "
            f"{r.findings} | {r.exceptions} | {len(r.evidence)} |"
        )
    lines += ["", f"## {first + 1}. Documented exceptions and suppressions", ""]
    if not c.exemptions:
        lines += ["None.", ""]
        return lines
    lines += [
        "| kind | rule | where | reason | ticket | expires | approved by | findings | state |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for x in c.exemptions:
        where = f"{x.path}:{x.line}" if x.line else x.path
        lines.append(
            f"| {x.kind} | {x.rule} | {_cell(where)} | {_cell(x.reason)} | {x.ticket or '-'} | "
            f"{x.expires or '-'} | {x.approved_by or '-'} | {x.findings} | {x.state} |"
        )
    lines.append("")
    return lines
