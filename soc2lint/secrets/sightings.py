"""What a history scan found: where each secret first entered the history, and counts. Data only:
no value of a secret is ever held here."""

from __future__ import annotations

from dataclasses import dataclass, field

from soc2lint.secrets.gitlog import Commit


@dataclass(frozen=True)
class Sighting:
    """Where a secret entered the history. Holds no value: its type, redacted preview, length,
    fingerprint, and `hashed`: detect-secrets' sha1 `hashed_secret` keyed with the repository's
    salt (`keyed`), to honour its audit without storing a hash that confirms a guessed value."""

    kind: str
    preview: str
    length: int
    fingerprint: str
    hashed: str
    commit: Commit
    path: str
    line: int
    column: int


@dataclass
class HistoryScan:
    sightings: dict[str, Sighting] = field(default_factory=dict)  # fingerprint -> first one
    occurrences: dict[str, int] = field(default_factory=dict)  # fingerprint -> added lines
    commits: int = 0
    lines: int = 0  # added lines read
    distinct: int = 0  # distinct (extension, line) pairs scanned
    skipped_binary: int = 0
    notes: list[str] = field(default_factory=list)
    # where each secret can still be: the lines that held it, by their hash keyed with the
    # repository's salt (history.line_digest: no value, nothing a guess can be checked
    # against), and the paths those lines were added at (`history.still_in_tree` reads them)
    secret_lines: dict[str, list[str]] = field(default_factory=dict)  # digest -> fingerprints
    places: dict[str, list[str]] = field(default_factory=dict)  # fingerprint -> paths
    key: bytes = field(default=b"", repr=False)  # the salt the digests were keyed with
