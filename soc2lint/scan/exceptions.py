"""The team's documented decisions applied to the findings: the secrets baseline (known and
rotated secrets) and the config's exceptions (with their reason and expiry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from soc2lint.config import Config
from soc2lint.model import Finding
from soc2lint.scan.suppress import exception_for


def apply_decisions(
    findings: list[Finding], root: Path, config: Config, today: dt.date
) -> tuple[list[Finding], list[str]]:
    """(findings with the baseline and exceptions applied, the expired exceptions that matched)."""
    from soc2lint.secrets import baseline

    # the baseline lists fingerprints and commit ids, never secrets, wherever the config keeps it
    findings = [
        f
        for f in findings
        if not (
            f.rule.detector == "secret-in-file"
            and baseline.is_own_file(f.location.path, config.baseline)
        )
    ]
    findings = baseline.apply(findings, baseline.load(root / config.baseline))
    return apply_exceptions(findings, config, today)


def apply_exceptions(
    findings: list[Finding], config: Config, today: dt.date
) -> tuple[list[Finding], list[str]]:
    if not config.exceptions:
        return findings, []
    out, expired = [], set()
    for f in findings:
        if f.suppression is None:
            suppression, gone = exception_for(f, config.exceptions, today)
            if suppression is not None:
                f = replace(f, suppression=suppression)
            elif gone is not None:
                expired.add(f"exception for {gone.rule} on {gone.path} expired on {gone.expires}")
                f = replace(
                    f, properties=f.properties + (("exception_expired", str(gone.expires)),)
                )
        out.append(f)
    return out, sorted(expired)
