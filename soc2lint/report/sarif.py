"""SARIF 2.1.0 as GitHub code scanning reads it (see shared schema README for its limits)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

from soc2lint import __version__
from soc2lint.model import SARIF_LEVEL, SECURITY_SEVERITY, Finding, Rule, ScanResult
from soc2lint.report.coverage import as_dict, coverage

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/soc2lint/soc2lint"
MAX_DESCRIPTION = 1024
MAX_TAGS = 20


def _clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = ["security", "soc2", *rule.controls, *(f"soc2/{c}" for c in rule.controls)][:MAX_TAGS]
    controls = ", ".join(rule.controls)
    markdown = (
        f"{rule.help.rstrip()}\n\n**Fix:** {rule.remediation}\n\n**SOC 2 controls:** {controls}\n"
    )
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": _clip(rule.title)},
        "fullDescription": {"text": _clip(rule.rationale)},
        "help": {
            "text": _clip(f"{rule.rationale} Fix: {rule.remediation} Controls: {controls}.", 4096),
            "markdown": markdown,
        },
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {
            "tags": tags,
            "precision": rule.precision,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "controls": list(rule.controls),
        },
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def _result(finding: Finding, index: int, base: str = "") -> dict[str, Any]:
    loc = finding.location
    region: dict[str, Any] = {"startLine": loc.start_line, "startColumn": loc.start_column}
    if (loc.end_line, loc.end_column) > (loc.start_line, loc.start_column):
        region["endLine"] = loc.end_line
        region["endColumn"] = loc.end_column
    result: dict[str, Any] = {
        "ruleId": finding.rule.id,
        "ruleIndex": index,
        "level": SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(base + loc.path, safe="/"),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": region,
                },
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": finding.fingerprint,
            "soc2lint/v1": finding.fingerprint,
        },
        "properties": {
            "controls": list(finding.rule.controls),
            "severity": finding.severity.label,
            "identity": finding.identity,
            **dict(finding.properties),
        },
    }
    if finding.severity != finding.rule.severity:
        result["properties"]["security-severity"] = SECURITY_SEVERITY[finding.severity]
    return result


def build(result: ScanResult, category: str = "soc2lint") -> dict[str, Any]:
    rules = sorted(result.rules, key=lambda r: r.id)
    index = {rule.id: i for i, rule in enumerate(rules)}
    shown = [f for f in result.findings if f.suppression is None]
    suppressed = [f for f in result.findings if f.suppression is not None]
    by_kind = Counter(f.suppression.kind for f in suppressed if f.suppression)
    by_rule = Counter(f.rule.id for f in suppressed)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "soc2lint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "automationDetails": {"id": f"{category.rstrip('/')}/"},
        "originalUriBaseIds": {
            "%SRCROOT%": {"description": {"text": "The root of the scanned repository"}}
        },
        "columnKind": "unicodeCodePoints",
        # paths from the repository's root, as code scanning resolves them, when a monorepo's
        # subdirectory was scanned
        "results": [_result(f, index[f.rule.id], result.base) for f in shown],
        "properties": {
            "suppressedCount": len(suppressed),
            "suppressedByKind": dict(sorted(by_kind.items())),
            "suppressedByRule": dict(sorted(by_rule.items())),
            "filesScanned": result.files,
            # not evaluated is neither a pass nor a result: say which controls, and why
            "controls": as_dict(coverage(result)),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, category: str = "soc2lint") -> str:
    return json.dumps(build(result, category), indent=2, ensure_ascii=False) + "\n"
