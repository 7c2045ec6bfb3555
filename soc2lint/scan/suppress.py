"""Inline suppressions (`# soc2lint: ignore[GHA004] reason`) and config exceptions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from soc2lint.config import ExceptionEntry
from soc2lint.globs import matches
from soc2lint.model import Finding, Rule, Suppression

_COMMENT = re.compile(
    r"(?:#|//)\s*soc2lint\s*:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?(?P<reason>.*)$"
)
MIN_REASON = 3


@dataclass(frozen=True)
class InlineSuppression:
    line: int  # the line whose findings it covers
    comment_line: int
    column: int
    codes: tuple[str, ...]
    reason: str


def parse_inline(text: str) -> list[InlineSuppression]:
    """Every suppression comment in `text`. A comment alone on its line covers the next line."""
    if "soc2lint" not in text:
        return []
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "soc2lint" not in line:
            continue
        m = _COMMENT.search(line)
        if not m:
            continue
        codes = tuple(c.strip() for c in (m.group("codes") or "").split(",") if c.strip())
        reason = m.group("reason").strip().lstrip(":-—– ").strip()
        standalone = not line[: m.start()].strip()
        covered = number + 1 if standalone else number
        found.append(InlineSuppression(covered, number, m.start() + 1, codes, reason))
    return found


def names_rule(code: str, rule: Rule) -> bool:
    return code in (rule.id, rule.name)


def inline_for(finding: Finding, suppressions: Sequence[InlineSuppression]) -> Suppression | None:
    for s in suppressions:
        if (
            s.line == finding.location.start_line
            and len(s.reason) >= MIN_REASON
            and any(names_rule(code, finding.rule) for code in s.codes)
        ):
            return Suppression("inline", s.reason)
    return None


def exception_for(
    finding: Finding, exceptions: Iterable[ExceptionEntry], today: dt.date
) -> tuple[Suppression | None, ExceptionEntry | None]:
    """(the suppression a live exception grants, or the expired exception that no longer does)."""
    from soc2lint.secrets.baseline import secret_fingerprint

    expired = None
    for entry in exceptions:
        if entry.fingerprint and secret_fingerprint(finding) != entry.fingerprint:
            continue
        if names_rule(entry.rule, finding.rule) and matches(finding.location.path, entry.path):
            if entry.expires is not None and entry.expires < today:
                expired = entry
                continue
            return Suppression(
                "config", entry.reason, entry.expires.isoformat() if entry.expires else None
            ), None
    return None, expired
