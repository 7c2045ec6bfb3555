"""Secret values never leave soc2lint: only a redacted preview and a fingerprint do."""

from __future__ import annotations

import hashlib


def preview(secret: str) -> str:
    """`AKIA…(20 chars)`: a few leading characters (fewer for short secrets) and the length."""
    shown = 4 if len(secret) >= 16 else 2 if len(secret) >= 8 else 0
    return f"{secret[:shown]}…({len(secret)} chars)"


def fingerprint(kind: str, secret: str) -> str:
    """The same secret of the same type is the same finding wherever it appears."""
    return hashlib.sha256(f"{kind}\0{secret}".encode("utf-8", "surrogateescape")).hexdigest()[:16]
