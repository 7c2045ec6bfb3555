"""JSON report: every finding (suppressed ones marked, with their documented reason)."""

from __future__ import annotations

import json
from typing import Any

from soc2lint import __version__
from soc2lint.model import Finding, ScanResult
from soc2lint.report.coverage import as_dict, coverage


def finding_dict(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "rule_id": f.rule.id,
        "rule_name": f.rule.name,
        "severity": f.severity.label,
        "controls": list(f.rule.controls),
        "path": loc.path,
        "line": loc.start_line,
        "column": loc.start_column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "message": f.message,
        "why": f.rule.rationale,
        "fix": f.rule.remediation,
        "identity": f.identity,
        "fingerprint": f.fingerprint,
        "suppressed": (
            None
            if f.suppression is None
            else {
                "kind": f.suppression.kind,
                "reason": f.suppression.reason,
                "expires": f.suppression.expires,
            }
        ),
        **({"properties": dict(f.properties)} if f.properties else {}),
    }


def render(result: ScanResult) -> str:
    active = [f for f in result.findings if f.suppression is None]
    data = {
        "tool": "soc2lint",
        "version": __version__,
        "files_scanned": result.files,
        "rules_run": len(result.rules),
        "summary": {
            "findings": len(active),
            "suppressed": len(result.findings) - len(active),
            "by_severity": _count(f.severity.label for f in active),
            "by_control": _count(c for f in active for c in f.rule.controls),
            "controls": as_dict(coverage(result)),
        },
        "findings": [finding_dict(f) for f in result.findings],
        "notes": list(result.notes) + list(result.expired),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items()))
