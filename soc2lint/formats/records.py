"""Audit records as a format: access reviews, incident records and rollback drills under
`.soc2/records/<kind>/` (YAML, or Markdown with YAML front matter for incidents and drills), and
the secrets baseline's rotation records.

Record files are parsed one by one (a YAML error is SL001 at its line), then assembled into one
document per kind whose `data` is the list of `records.read.Record`s and whose root maps each
file's path to its nodes, so that the record rules point into the right file. `conclude` says
which record rules reached no verdict: a kind with no record at all is "not evaluated" unless
the rule's `require_records` parameter says the repository must keep them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.registry import (
    AssembledDocument,
    Assembly,
    Candidate,
    Conclusion,
    Format,
    Target,
)
from soc2lint.model import Artifact, Document, Finding, Location, ParsedArtifact

BASELINE = ".soc2lint-baseline.yaml"
# target name -> record kind (the directory under records/)
RECORD_TARGETS = {
    "access-reviews": "access-reviews",
    "incidents": "incidents",
    "rollback-drills": "rollback-drills",
}


def _is_record(candidate: Candidate) -> bool:
    from soc2lint.records.read import kind_of

    return kind_of(candidate.path, candidate.evidence_dir) is not None


def _parse(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats.yamldoc import parse_yaml
    from soc2lint.records.read import front_matter

    source = text
    if artifact.path.lower().endswith(".md"):
        source, problem = front_matter(text)
        if problem is not None:
            return ParsedArtifact(artifact, text, error=problem)
    parsed = parse_yaml(artifact, source)
    if parsed.error is not None:
        return parsed
    if len(parsed.documents) > 1:
        second = parsed.documents[1].root.start_mark
        return ParsedArtifact(
            artifact,
            text,
            error="a record file holds one record (one YAML document)",
            error_line=second.line + 1,
            error_column=second.column + 1,
        )
    return ParsedArtifact(artifact, text, parsed.documents)


def _kind_dir(path: str) -> tuple[str, str]:
    """(`.soc2/records/<kind>`, kind) of a record's path."""
    directory = path.rsplit("/", 1)[0]
    return directory, directory.rsplit("/", 1)[-1]


def _assemble(
    files: Sequence[ParsedArtifact], inputs: Mapping[str, Sequence[ParsedArtifact]]
) -> Assembly:
    from soc2lint.records.read import read

    grouped: dict[str, list[ParsedArtifact]] = {}
    for item in files:
        grouped.setdefault(_kind_dir(item.artifact.path)[0], []).append(item)
    out = []
    for directory in sorted(grouped):
        kind = _kind_dir(directory + "/x")[1]
        start = nodes.mark(0, 0, 0)
        pairs: list[tuple[nodes.Node, nodes.Node]] = []
        sources: dict[int, str] = {}
        records = []
        for item in sorted(grouped[directory], key=lambda i: i.artifact.path):
            root = item.documents[0].root
            pairs.append((nodes.scalar(item.artifact.path, start, start), root))
            sources[id(root)] = item.artifact.path
            records.append(read(item.artifact.path, kind, root, item.text))
        document = Document(
            0, nodes.mapping(pairs, start, start), directory, "", data=tuple(records)
        )
        out.append(AssembledDocument(document, kind, sources))
    return Assembly(out)


def _conclude(c: Conclusion) -> tuple[list[Finding], list[str]]:
    """Record rules whose kind has no record: a finding when the rule's `require_records` is
    set (the team keeps its records here), else not evaluated."""
    present = {d.target for d in c.documents}
    findings = list(c.findings)
    skipped = []
    for rule in c.rules:
        wanted = [t for t in rule.targets if t in RECORD_TARGETS]
        if not wanted or any(t in present for t in wanted):
            continue
        if not rule.params.get("require_records"):
            skipped.append(rule.id)
            continue
        directory = f"{c.evidence_dir}/records/{RECORD_TARGETS[wanted[0]]}"
        detail = (
            f"no {wanted[0].replace('-', ' ')} record under {directory}/: the control is not "
            "evidenced (the rule's `require_records` is set)"
        )
        if wanted[0] == "access-reviews":
            detail += "; start one with `soc2lint access-review new`"
        elif wanted[0] == "incidents":
            detail = (
                f"no incident record under {directory}/ (`require_records` is set): if there "
                "was no incident in the period, keep a record saying so; `soc2lint incident "
                "new` writes the template"
            )
        findings.append(
            c.make_finding(
                rule,
                Location(directory, 1, 1, 1, 1),
                {"subject": directory, "detail": detail},
                "no-records",
            )
        )
    return findings, skipped


def _is_baseline(candidate: Candidate) -> bool:
    return candidate.path == BASELINE


def _parse_baseline(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats.yamldoc import parse_yaml

    return parse_yaml(artifact, text)


FORMATS = (
    Format(
        "records",
        "Audit records under the evidence directory: access reviews, incidents, rollback drills",
        _is_record,
        _parse,
        as_text=False,
        assemble=_assemble,
        conclude=_conclude,
    ),
    Format(
        "secrets-baseline",
        "The secrets baseline (.soc2lint-baseline.yaml) with each secret's rotation record",
        _is_baseline,
        _parse_baseline,
        as_text=False,
    ),
)


def _accepts_kind(kind: str) -> Any:
    return lambda doc: doc.identity.endswith("/records/" + kind)


TARGETS = {
    "access-reviews": Target(
        "Quarterly access reviews: `.soc2/records/access-reviews/*.yaml` (schema "
        "records-access-review.schema.json), all of them at once",
        frozenset({"records"}),
        ".soc2/records/access-reviews/2026-Q3.yaml",
        accepts=_accepts_kind("access-reviews"),
    ),
    "incidents": Target(
        "Incident records: `.soc2/records/incidents/*.yaml` or `*.md` with YAML front matter "
        "(schema records-incident.schema.json), all of them at once",
        frozenset({"records"}),
        ".soc2/records/incidents/INC-2026-001.yaml",
        accepts=_accepts_kind("incidents"),
    ),
    "rollback-drills": Target(
        "Rollback drill records: `.soc2/records/rollback-drills/*.yaml` or `*.md` with YAML "
        "front matter (schema records-rollback-drill.schema.json), all of them at once",
        frozenset({"records"}),
        ".soc2/records/rollback-drills/2026-11-12.yaml",
        accepts=_accepts_kind("rollback-drills"),
    ),
    "secrets-baseline": Target(
        "The secrets baseline at the scan root (.soc2lint-baseline.yaml), with each known "
        "secret's `rotated_on`",
        frozenset({"secrets-baseline"}),
        BASELINE,
    ),
}
