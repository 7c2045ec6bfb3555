"""The secrets baseline: known secrets by fingerprint, with the evidence that each was rotated.

    # soc2lint secrets baseline ...
    version: 1
    secrets:
      91b83ff4c140c591:            # fingerprint: a hash of type and value, never the value
        type: AWS Access Key
        preview: AKIA…(20 chars)
        path: app/settings.py
        line: 4
        introduced_in: 35026c9c...
        rotated_on: 2026-01-05     # with a ticket or a reason: reported as info, not a failure
        ticket: SEC-123

Written with ruamel.yaml so that a team's comments and rotation records survive a rewrite.
detect-secrets' own `.secrets.baseline` is read too: entries audited `is_secret: false` are
false positives soc2lint does not report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soc2lint.errors import ConfigError
from soc2lint.model import Finding

DEFAULT_NAME = ".soc2lint-baseline.yaml"
DETECT_SECRETS_NAME = ".secrets.baseline"
# soc2lint's own files, at any depth: baselines and config hold fingerprints, hashes and commit
# ids, random by design, and are never scanned for secrets (in the tree or in the history).
OWN_FILES = frozenset({DEFAULT_NAME, DETECT_SECRETS_NAME, ".soc2lint.yaml", ".soc2lint.yml"})


def is_own_file(path: str, baseline: str = DEFAULT_NAME) -> bool:
    """Whether `path` (relative to the scan root, `/`-separated) is one of soc2lint's own files
    at the root, where soc2lint reads them, or the baseline at its configured path. A file of
    that name deeper in the tree is nobody's config: it is scanned like any other."""
    import posixpath

    return path in OWN_FILES or path == posixpath.normpath(baseline.replace("\\", "/"))


HEADER = """\
soc2lint secrets baseline: the secrets known when it was written, by fingerprint (a hash of
type and value; values are never stored). When a secret is rotated, record it here:
rotated_on (YYYY-MM-DD) with a ticket or a reason. Such entries are reported as info-level
rotation evidence; entries without them still fail. Regenerate with `soc2lint baseline`.
"""


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    rotated_on: str | None
    ticket: str | None
    reason: str | None

    @property
    def rotated(self) -> bool:
        return bool(self.rotated_on and (self.ticket or self.reason))


def secret_fingerprint(finding: Finding) -> str | None:
    """The fingerprint of the secret a SEC finding is about (type and value), if it is one."""
    props = dict(finding.properties)
    if "secret_fingerprint" in props:
        return props["secret_fingerprint"]
    if finding.rule.detector in ("secret-in-file", "secrets-history", "literal-secret"):
        return finding.identity.rsplit("#", 1)[-1].rsplit(":", 1)[-1]
    return None


def _read(path: Path) -> str:
    """The baseline's text, refused (one line naming the file) when its aliases would expand
    past the limit scanned YAML has: constructing an alias bomb, or printing one of its values,
    takes memory without bound."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the baseline: {' '.join(str(exc).split())[:200]}"
        ) from exc
    if "&" in text:  # no anchor, no alias
        from soc2lint.formats.yamldoc import parse_yaml
        from soc2lint.model import Artifact

        parsed = parse_yaml(Artifact(str(path), str(path), "yaml", len(text)), text)
        if parsed.error_rule == "excessive-yaml-aliases":
            raise ConfigError(f"{path}:{parsed.error_line}: the baseline {parsed.error}")
    return text


def load(path: Path) -> dict[str, Entry]:
    if not path.is_file():
        return {}
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    text = _read(path)
    try:
        data = YAML(typ="safe").load(text) or {}
    except (OSError, YAMLError) as exc:
        raise ConfigError(
            f"{path}: cannot read the baseline: {' '.join(str(exc).split())[:200]}"
        ) from exc
    secrets = data.get("secrets") if isinstance(data, dict) else None
    if not isinstance(secrets, dict):
        raise ConfigError(f"{path}: key 'secrets': a baseline maps fingerprints to entries")
    out = {}
    for fp, entry in secrets.items():
        entry = entry if isinstance(entry, dict) else {}
        rotated = entry.get("rotated_on")
        if isinstance(rotated, (dt.date, dt.datetime)):
            rotated = rotated.isoformat()[:10]
        out[str(fp)] = Entry(
            str(fp),
            str(rotated) if rotated else None,
            str(entry["ticket"]) if entry.get("ticket") else None,
            str(entry["reason"]) if entry.get("reason") else None,
        )
    return out


def write(path: Path, findings: Iterable[Finding]) -> int:
    """Write (or update, keeping rotation records and comments) the baseline; entries count."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    existing: Any = None
    if path.is_file():
        existing = yaml.load(_read(path))
    doc = existing if isinstance(existing, CommentedMap) else CommentedMap()
    if not isinstance(existing, CommentedMap):
        doc["version"] = 1
        doc.yaml_set_start_comment(HEADER)
    secrets = doc.get("secrets")
    if not isinstance(secrets, CommentedMap):
        secrets = doc["secrets"] = CommentedMap()
    written: set[str] = set()
    for f in sorted(findings, key=lambda f: (f.location.path, f.location.start_line)):
        fp = secret_fingerprint(f)
        if fp is None or fp in written:
            continue  # a secret in several places: recorded where it is first, in path order
        written.add(fp)
        props = dict(f.properties)
        entry = secrets.get(fp)
        if not isinstance(entry, CommentedMap):
            entry = secrets[fp] = CommentedMap()
        entry["type"] = (
            props.get("secret_type") or f.message.split(" (", 1)[0].split(" in this file", 1)[0]
        )
        entry["rule"] = f.rule.id
        # path and line of one occurrence: where the finding is (for a secret still in the tree,
        # `introduced_in` says which commit added it, wherever that was)
        entry["path"] = f.location.path
        entry["line"] = f.location.start_line
        if "introduced_in" in props:
            entry["introduced_in"] = props["introduced_in"]
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(doc, handle)
    return len(secrets)


# Lines of a secrets baseline that hold hashes and commit ids, random by design and no secret,
# in whatever file or directory the baseline is kept (or was, in the history): detect-secrets'
# `"hashed_secret": "<sha1>"` and soc2lint's `introduced_in: <commit id>`.
_RECORD = re.compile(
    r'\s*(?:"hashed_secret"\s*:\s*"[0-9a-f]{40}"\s*,?'
    r"|introduced_in\s*:\s*(?P<q>['\"]?)[0-9a-f]{40}(?P=q))\s*"
)


def is_record(line: str) -> bool:
    """Whether a line is a baseline's record of a secret (a sha1 `hashed_secret` or an
    `introduced_in` commit id), never a secret itself."""
    return ("hashed_secret" in line or "introduced_in" in line) and bool(_RECORD.fullmatch(line))


def _detect_secrets_results(path: Path) -> Any:
    """The `results` of detect-secrets' baseline; ConfigError (one line: path, line, reason)
    when it is no JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}:1: cannot read the detect-secrets baseline: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}: the detect-secrets baseline is not JSON "
            f"({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the detect-secrets baseline is not a JSON object")
    return data.get("results", {})


def detect_secrets_problem(path: Path) -> tuple[int, str] | None:
    """(line, one-line reason) when detect-secrets' baseline at `path` cannot be read, so its
    audit is not applied; None when it reads or there is none."""
    if not path.is_file():
        return None
    try:
        _detect_secrets_results(path)
    except ConfigError as exc:
        where, _, reason = str(exc).partition(": ")
        line = where.rpartition(":")[2]
        return (int(line) if line.isdigit() else 1), reason
    return None


def detect_secrets_false_positives(path: Path) -> frozenset[str]:
    """sha1 hashes of the secrets detect-secrets' audit marked `is_secret: false`. A baseline
    that cannot be read audits nothing (the scan goes on; `detect_secrets_problem` says why)."""
    if not path.is_file():
        return frozenset()
    try:
        results = _detect_secrets_results(path)
    except ConfigError:
        return frozenset()
    results = results if isinstance(results, dict) else {}
    return frozenset(
        item["hashed_secret"]
        for items in results.values()
        if isinstance(items, list)
        for item in items
        if isinstance(item, Mapping)
        and item.get("is_secret") is False
        and item.get("hashed_secret")
    )


def hashed(value: str) -> str:
    """detect-secrets' `hashed_secret`: the sha1 of the value."""
    return hashlib.sha1(value.encode("utf-8")).hexdigest()  # noqa: S324 - its format, not ours


def apply(findings: list[Finding], entries: Mapping[str, Entry]) -> list[Finding]:
    """Baselined secrets with rotation evidence become info; others are marked known or new."""
    from dataclasses import replace

    from soc2lint.model import Severity

    out = []
    for f in findings:
        fp = secret_fingerprint(f)
        if fp is None or not entries:
            out.append(f)
            continue
        entry = entries.get(fp)
        if entry is None:
            out.append(replace(f, properties=f.properties + (("baseline", "new"),)))
        elif entry.rotated:
            note = entry.ticket or entry.reason
            out.append(
                replace(
                    f,
                    severity=Severity.INFO,
                    message=f"{f.message} - rotated on {entry.rotated_on} ({note})",
                    properties=f.properties
                    + (("baseline", "rotated"), ("rotated_on", str(entry.rotated_on))),
                )
            )
        else:
            out.append(replace(f, properties=f.properties + (("baseline", "known"),)))
    return out
