"""Findings from hits: the message, the fingerprint, and the order and uniqueness of a report."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from soc2lint.model import Finding, Location, Rule

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def format_message(template: str, fields: Mapping[str, Any]) -> str:
    def field(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in fields:
            return str(fields[name])
        return "(not set)" if name.startswith("candidate.") else m.group(0)

    return _PLACEHOLDER.sub(field, template)


def fingerprint(rule: Rule, path: str, identity: str) -> str:
    """Stable across unrelated edits: rule id, file and the logical identity, never a line."""
    digest = hashlib.sha256(f"{rule.id}\0{path}\0{identity}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def make_finding(
    rule: Rule,
    location: Location,
    fields: Mapping[str, Any],
    identity: str,
    template: str | None = None,
) -> Finding:
    values = {
        **{f"param.{k}": _param_text(v) for k, v in rule.params.items()},
        **fields,
        "path": location.path,
    }
    message = format_message(template or rule.message, values)
    return Finding(
        rule, rule.severity, location, message, identity, fingerprint(rule, location.path, identity)
    )


def _param_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def sort_key(f: Finding) -> tuple[Any, ...]:
    loc = f.location
    return (loc.path, loc.start_line, loc.start_column, f.rule.id, f.message, f.identity)


def unique(findings: list[Finding]) -> list[Finding]:
    """Drop exact duplicates; number fingerprints that still collide (`hash:2`)."""
    seen: set[tuple[Any, ...]] = set()
    counts: Counter[str] = Counter()
    out = []
    for f in findings:
        key = (f.rule.id, f.location, f.message)
        if key in seen:
            continue
        seen.add(key)
        counts[f.fingerprint] += 1
        out.append(replace(f, fingerprint=f"{f.fingerprint}:{counts[f.fingerprint]}"))
    return out
