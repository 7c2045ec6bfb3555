"""`.soc2lint.yaml` -> a frozen Config, validated against soc2lint/schema/config.schema.json."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soc2lint import yamlconf
from soc2lint.errors import ConfigError
from soc2lint.formats import nodes

CONFIG_NAMES = (".soc2lint.yaml", ".soc2lint.yml")
SCHEMA_FILE = Path(__file__).parent / "schema" / "config.schema.json"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True)
class ExceptionEntry:
    """A documented exception: findings of `rule` under `path` are accepted, for `reason`."""

    rule: str
    reason: str
    path: str = "**"
    expires: dt.date | None = None
    ticket: str | None = None
    approved_by: str | None = None
    fingerprint: str | None = None  # one secret (SEC rules), wherever it appears


@dataclass(frozen=True)
class Config:
    source: str | None = None  # the file it came from, for messages
    base: Path | None = None  # the directory relative rule_dirs resolve against
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    preview: bool = False
    severity: Mapping[str, str] = field(default_factory=dict)
    rule_dirs: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    rule_parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fail_on: str | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    evidence_dir: str = ".soc2"
    history: bool = True
    evidence: str = "auto"  # "required": GitHub settings evidence must be there (GH023 medium)
    baseline: str = ".soc2lint-baseline.yaml"
    exceptions: tuple[ExceptionEntry, ...] = ()
    # line of each key naming a rule (`severity.GHA001`, `exceptions.2.rule`), for error messages
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    def where(self, key: str) -> str:
        """`file:line: key 'k'` for messages about a key found valid only after rules load."""
        line = self.key_lines.get(key)
        return f"{self.source}:{line}: key '{key}'" if line else f"{self.source}: key '{key}'"


def find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def _plain(value: Any) -> Any:
    """YAML dates -> ISO strings, so that the JSON Schema sees what the user wrote."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


def load_config(path: Path) -> Config:
    source = str(path)
    raw, text = yamlconf.read_input(path, source, ConfigError, "config")
    data, root = yamlconf.load(text, source, ConfigError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the config must be a mapping")
    try:
        data = _plain(data)
        _validate(data, source, root, _ValidCache(path, raw))
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply to be a configuration") from None
    key_lines: dict[str, int] = {}
    for section in ("severity", "rule_parameters"):
        for name in data.get(section, {}):
            key_lines[f"{section}.{name}"] = yamlconf.key_line(root, [section, name]) or 1
    for section in ("select", "ignore"):
        for i, _code in enumerate(data.get(section, ())):
            key_lines[f"{section}.{i}"] = yamlconf.key_line(root, [section, i]) or 1
    for name in data.get("parameters", {}):
        key_lines[f"parameters.{name}"] = yamlconf.key_line(root, ["parameters", name]) or 1
    for code, values in data.get("rule_parameters", {}).items():
        for name in values:
            key_lines[f"rule_parameters.{code}.{name}"] = (
                yamlconf.key_line(root, ["rule_parameters", code, name]) or 1
            )
    for i, _entry in enumerate(data.get("exceptions", ())):
        key_lines[f"exceptions.{i}.rule"] = yamlconf.key_line(root, ["exceptions", i, "rule"]) or 1
    base = path.parent
    return Config(
        source=source,
        base=base,
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        preview=bool(data.get("preview", False)),
        severity=dict(data.get("severity", {})),
        rule_dirs=tuple((base / d).resolve() for d in data.get("rule_dirs", ())),
        exclude=tuple(data.get("exclude", ())),
        parameters=dict(data.get("parameters", {})),
        rule_parameters={k: dict(v) for k, v in data.get("rule_parameters", {}).items()},
        fail_on=data.get("fail_on"),
        max_file_size=int(data.get("max_file_size", DEFAULT_MAX_FILE_SIZE)),
        evidence_dir=str(data.get("evidence_dir", ".soc2")).strip("/") or ".soc2",
        history=bool(data.get("history", True)),
        evidence=str(data.get("evidence", "auto")),
        baseline=str(data.get("baseline", ".soc2lint-baseline.yaml")),
        exceptions=tuple(
            ExceptionEntry(
                rule=e["rule"],
                reason=" ".join(e["reason"].split()),
                path=e.get("path", "**"),
                expires=dt.date.fromisoformat(e["expires"]) if "expires" in e else None,
                ticket=e.get("ticket"),
                approved_by=e.get("approved_by"),
                fingerprint=e.get("fingerprint"),
            )
            for e in data.get("exceptions", ())
        ),
        key_lines=key_lines,
    )


class _ValidCache:
    """`.git/soc2lint/config.json`: digests of config files that passed the schema, each taken
    over the schema's bytes and the config's bytes, so that a pre-commit run does not import
    jsonschema (a tenth of a second) to re-check a config it checked before. Only a config
    beside a `.git` directory has one; a changed config or schema is validated again."""

    KEEP = 16  # digests kept: a few configs and their recent versions

    def __init__(self, path: Path, raw: bytes) -> None:
        git_dir = path.parent / ".git"
        self.file = git_dir / "soc2lint" / "config.json" if git_dir.is_dir() else None
        self.raw = raw

    def _digest(self) -> str:
        return hashlib.sha256(SCHEMA_FILE.read_bytes() + b"\0" + self.raw).hexdigest()

    def _known(self) -> list[str]:
        if self.file is None:
            return []
        try:
            known = json.loads(self.file.read_text(encoding="utf-8")).get("valid", [])
        except (OSError, ValueError, AttributeError):
            return []
        return [d for d in known if isinstance(d, str)] if isinstance(known, list) else []

    def hit(self) -> bool:
        return self.file is not None and self._digest() in self._known()

    def add(self) -> None:
        if self.file is None:
            return
        known = [self._digest(), *self._known()][: self.KEEP]
        try:
            self.file.parent.mkdir(mode=0o700, exist_ok=True)
            tmp = self.file.with_name(f"config.json.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"valid": known}) + "\n", encoding="utf-8")
            os.replace(tmp, self.file)
        except OSError:
            pass  # a read-only .git: the next run validates again, which is only slower


def _validate(
    data: Mapping[str, Any],
    source: str,
    root: nodes.Node | None,
    cache: _ValidCache | None = None,
) -> None:
    if cache is None or not cache.hit():
        _schema_check(data, source, root)
        if cache is not None:
            cache.add()
    for i, entry in enumerate(data.get("exceptions", ())):
        if "expires" in entry:
            try:
                dt.date.fromisoformat(entry["expires"])
            except ValueError:
                raise ConfigError(
                    yamlconf.located(
                        source,
                        root,
                        ["exceptions", i, "expires"],
                        f"not a date: {entry['expires']!r}",
                    )
                ) from None


def _schema_check(data: Mapping[str, Any], source: str, root: nodes.Node | None) -> None:
    import jsonschema  # ~0.1 s to import: skipped when the cache knows these bytes

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    problem = yamlconf.schema_problem(validator, data)
    if problem is not None:
        keys, message, error = problem
        if error.validator == "additionalProperties" and message.startswith("unknown key"):
            message += f" (known: {', '.join(sorted(error.schema.get('properties', {})))})"
        raise ConfigError(yamlconf.located(source, root, keys, message))
