"""New records: `soc2lint access-review new` (pre-populated from the latest exports) and
`soc2lint incident new` (every field of the schema, empty). Written as plain YAML text with
every string JSON-quoted (valid YAML), so that the files diff well and nothing needs a YAML
writer."""

from __future__ import annotations

import json
from collections.abc import Sequence

from soc2lint.records.dates import Quarter
from soc2lint.records.exports import KIND_ORDER, Export


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def access_review(quarter: Quarter, exports: Sequence[Export], generated_at: str) -> str:
    """One entry per identity (its most privileged kind first, every access it holds listed),
    with an empty decision and reason."""
    held: dict[str, list[tuple[str, str, str]]] = {}
    for export in exports:
        for identity, access in export.identities:
            held.setdefault(identity, []).append((export.kind, export.scope, access))
    lines = [
        f"# Access review of {quarter.name}: decide every entry (keep, revoke or change, with a",
        "# reason for revoke and change), then fill in reviewer, approver (not the reviewer) and",
        f"# reviewed_at (between {quarter.start} and the end of the grace period). Nobody decides",
        "# on their own access: set `decided_by` on the reviewer's own entries. Checked by AR001",
        "# and AR002 (`soc2lint explain AR001`); schema: records-access-review.schema.json.",
        f"quarter: {_q(quarter.name)}",
        'reviewer: ""',
        'approver: ""',
        'reviewed_at: ""',
        f"generated_at: {_q(generated_at)}",
        "exports:" if exports else "exports: []",
    ]
    for export in exports:
        lines += [
            f"  - path: {_q(export.path)}",
            f"    kind: {_q(export.kind)}",
            f"    sha256: {_q(export.sha256)}",
            f"    collected_at: {_q(export.collected_at) if export.collected_at else 'null'}",
        ]
    lines.append("entries:" if held else "entries: []")

    def order(item: tuple[str, list[tuple[str, str, str]]]) -> tuple[int, str]:
        kinds = [KIND_ORDER.index(k) for k, _, _ in item[1]]
        return min(kinds), item[0].lower()

    for identity, accesses in sorted(held.items(), key=order):
        accesses = sorted(set(accesses), key=lambda a: (KIND_ORDER.index(a[0]), a[1], a[2]))
        scopes = sorted({s for _, s, _ in accesses})
        described = "; ".join(f"{k} {s} ({a})" for k, s, a in accesses)
        lines += [
            f"  - identity: {_q(identity)}",
            f"    kind: {_q(accesses[0][0])}",
            f"    scope: {_q(', '.join(scopes))}",
            f"    access: {_q(described)}",
            '    decision: ""',
            '    reason: ""',
        ]
    return "\n".join(lines) + "\n"


INCIDENT_FIELDS = (
    ("id", "INC-YYYY-NNN: unique, also the file name"),
    ("title", "one line"),
    ("severity", "sev1 (highest) .. sev4; escalation SLAs per severity: IR002"),
    ("detected_at", "RFC 3339 UTC, e.g. 2026-03-01T10:04:00Z: when it was first noticed"),
    ("declared_at", "when it was declared an incident (not before detected_at)"),
    ("owner", "the incident commander"),
    ("escalated_to", "who it was escalated to (a person or a rota)"),
    ("escalated_at", "when (the SLA runs from declared_at, else detected_at)"),
)
LATER_FIELDS = (("root_cause", "what caused it"),)
CLOSING_FIELDS = (
    ("verified_by", "who verified the corrective actions: not the owner"),
    ("verified_at", "when (not before the actions were done)"),
    ("verification_evidence", "a link or a description of the proof"),
    ("closed_at", "when the record was closed (last of all)"),
)


def incident(incident_id: str) -> str:
    lines = [
        "# Incident record: fill in during and after the response. Checked by IR001 and IR002",
        "# (`soc2lint explain IR001`); schema: records-incident.schema.json. Times are UTC.",
    ]
    for name, note in INCIDENT_FIELDS:
        value = _q(incident_id) if name == "id" else '""'
        lines.append(f"{name}: {value}  # {note}")
    lines += [
        "communications:  # each update to customers, staff or regulators",
        '  - {at: "", audience: "", channel: "", summary: ""}',
    ]
    for name, note in LATER_FIELDS:
        lines.append(f'{name}: ""  # {note}')
    lines += [
        "corrective_actions:  # what prevents a recurrence",
        '  - {action: "", owner: "", ticket: "", due: ""}',
    ]
    for name, note in CLOSING_FIELDS:
        lines.append(f'{name}: ""  # {note}')
    return "\n".join(lines) + "\n"
