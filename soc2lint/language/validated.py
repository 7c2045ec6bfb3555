"""Validation of rule files: the rule schema, and validated.json, the built-in rule files the
test suite already checked (so start-up neither parses nor re-validates them)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from soc2lint import yamlconf
from soc2lint.errors import RuleError

SCHEMA_FILE = Path(__file__).parent.parent / "schema" / "rule.schema.json"
VALIDATED_FILE = "validated.json"


@lru_cache(maxsize=1)
def rule_validator() -> Any:
    import jsonschema  # ~0.1 s to import: only when rules are actually loaded

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def library_validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    library = {"$schema": schema["$schema"], "$defs": schema["$defs"], **schema["$defs"]["library"]}
    return jsonschema.validators.validator_for(schema)(library)


def rule_files(directory: Path) -> list[Path]:
    """Every `*.yaml`/`*.yml` under `directory`, in a stable order."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        found.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith((".yaml", ".yml")))
    return found


@dataclass(frozen=True)
class Validated:
    """A built-in rule file as the test suite validated it: its digest and its parsed data."""

    sha256: str
    data: Any


def validated_files(directory: Path) -> dict[str, Validated]:
    """The built-in rule files that the test suite validated against the schema, by path.

    A built-in rule file whose bytes still match is neither re-validated with jsonschema nor
    parsed as YAML at start-up: its data comes from this JSON, which loads in a twentieth of the
    time (start-up is most of a pre-commit run). Any other file, including every user rule, is
    parsed and validated at load time.
    """
    try:
        entries = json.loads((directory / VALIDATED_FILE).read_text(encoding="utf-8"))["files"]
        return {rel: Validated(e["sha256"], e.get("data")) for rel, e in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def validated_text(directory: Path) -> str:
    """The content of `validated.json` for the rule files under `directory`. A file whose data
    JSON cannot carry as it is (a YAML date, a non-string key) keeps its digest only."""
    entries: dict[str, Any] = {}
    for path in rule_files(directory):
        raw = path.read_bytes()
        entry: dict[str, Any] = {"sha256": hashlib.sha256(raw).hexdigest()}
        data, _ = yamlconf.load(raw.decode("utf-8"), str(path), RuleError)
        try:
            if json.loads(json.dumps(data)) == data:
                entry["data"] = data
        except (TypeError, ValueError):
            pass
        entries[path.relative_to(directory).as_posix()] = entry
    # in the files' own key order, which examples and messages follow
    return json.dumps({"files": entries}, ensure_ascii=False) + "\n"
