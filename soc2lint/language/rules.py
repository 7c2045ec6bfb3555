"""Load rule files, validate them against the rule schema and the catalog, compile their matches."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from soc2lint import yamlconf
from soc2lint.catalog import load_catalog
from soc2lint.errors import RuleError
from soc2lint.formats import nodes
from soc2lint.model import Example, Rule, Severity

SCHEMA_FILE = Path(__file__).parent.parent / "schema" / "rule.schema.json"
DOCS_BASE = "https://github.com/soc2lint/soc2lint/blob/main/docs/rules/"
BASE_FIELDS = ("value", "key", "candidate", "route", "path")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def builtin_rules_dir() -> Path:
    """Rules ship inside the wheel as `soc2lint/rules`; a source checkout keeps them at `rules/`."""
    here = Path(__file__).parent.parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # ~0.1 s to import: only when rules are actually loaded

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _library_validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    library = {"$schema": schema["$schema"], "$defs": schema["$defs"], **schema["$defs"]["library"]}
    return jsonschema.validators.validator_for(schema)(library)


@dataclass(frozen=True)
class Library:
    """Named conditions (and the parameters they use) shared by the rules of all directories:
    `rules/<family>/_conditions.yaml`. Rules refer to them with `use: <name>`."""

    conditions: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)  # condition -> file


def is_library(path: Path) -> bool:
    return path.name.startswith("_")


def load_library(paths: Sequence[tuple[Path, str]], trusted: Mapping[str, Validated]) -> Library:
    conditions: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for path, source in paths:
        raw, text = yamlconf.read_input(path, source, RuleError, "rule library")
        known = trusted.get(source)
        if known is not None and known.sha256 == hashlib.sha256(raw).hexdigest() \
                and isinstance(known.data, dict):
            data, root = known.data, None
        else:
            data, root = yamlconf.load(text, source, RuleError)
        if known is None or known.sha256 != hashlib.sha256(raw).hexdigest():
            problem = yamlconf.schema_problem(_library_validator(), data)
            if problem is not None:
                raise _fail(source, root, problem[0], problem[1])
        for name, entry in data["conditions"].items():
            if name in conditions:
                raise _fail(source, root, ["conditions", name],
                            f"named condition {name!r} also defined in {sources[name]}")
            conditions[name] = entry["condition"]
            sources[name] = source
        for name, decl in data.get("parameters", {}).items():
            if name in parameters and parameters[name] != decl:
                raise _fail(source, root, ["parameters", name],
                            f"parameter {name!r} declared differently in another library")
            parameters[name] = decl
    return Library(conditions, parameters, sources)


def _uses(raw: Any, library: Library, seen: set[str] | None = None) -> set[str]:
    """Names of library conditions a condition tree uses, transitively."""
    seen = set() if seen is None else seen
    if isinstance(raw, dict):
        name = raw.get("use")
        if isinstance(name, str) and name in library.conditions and name not in seen:
            seen.add(name)
            _uses(library.conditions[name], library, seen)
        for value in raw.values():
            _uses(value, library, seen)
    elif isinstance(raw, list):
        for value in raw:
            _uses(value, library, seen)
    return seen


def _params_in(raw: Any) -> set[str]:
    if isinstance(raw, dict):
        if set(raw) == {"param"}:
            return {str(raw["param"])}
        return set().union(*(_params_in(v) for v in raw.values())) if raw else set()
    if isinstance(raw, list):
        return set().union(*(_params_in(v) for v in raw)) if raw else set()
    return set()


def rule_files(directory: Path) -> list[Path]:
    """Every `*.yaml`/`*.yml` under `directory`, in a stable order."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        found.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith((".yaml", ".yml")))
    return found


VALIDATED_FILE = "validated.json"


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


def load_rules(directories: Sequence[Path], builtin_count: int = 1,
               trust_validated: bool = True) -> list[Rule]:
    """Load every rule under `directories`; the first `builtin_count` are soc2lint's own.
    `trust_validated` False parses and validates the built-in ones too (see validated_files).

    Raises RuleError (one line: file, line, offending key) for the first broken rule.
    """
    rules: list[Rule] = []
    by_id: dict[str, Rule] = {}
    by_name: dict[str, Rule] = {}
    for directory in directories:
        if not directory.is_dir():
            raise RuleError(f"{directory}: rules directory not found")
    digests = [validated_files(d) if i < builtin_count and trust_validated else {}
               for i, d in enumerate(directories)]
    library_files, trusted_libraries = [], {}
    for i, directory in enumerate(directories):
        for path in rule_files(directory):
            if is_library(path):
                display = _display(path, directory, i < builtin_count)
                library_files.append((path, display))
                known = digests[i].get(path.relative_to(directory).as_posix())
                if known:
                    trusted_libraries[display] = known
    library = load_library(library_files, trusted_libraries)
    for i, directory in enumerate(directories):
        trusted = digests[i]
        for path in rule_files(directory):
            if is_library(path):
                continue
            rule = load_rule_file(path, builtin=i < builtin_count,
                                  display=_display(path, directory, i < builtin_count),
                                  trusted=trusted.get(path.relative_to(directory).as_posix()),
                                  library=library)
            for index, key, label in ((by_id, rule.id, "id"), (by_name, rule.name, "name")):
                if key in index:
                    raise RuleError(
                        f"{rule.source}: key '{label}': duplicate rule {label} {key!r} "
                        f"(also in {index[key].source})")
                index[key] = rule
            rules.append(rule)
    return rules


def _display(path: Path, directory: Path, builtin: bool = True) -> str:
    """Built-in rules as `rules/gha/GHA001-....yaml`; a user's as the path they can open."""
    if not builtin:
        return str(path)
    try:
        return str(path.relative_to(directory.parent)).replace(os.sep, "/")
    except ValueError:  # pragma: no cover - rule_files only yields paths under directory
        return str(path)


def _fail(source: str, root: nodes.Node | None, keys: Sequence[Any], message: str) -> RuleError:
    return RuleError(yamlconf.located(source, root, keys, message))


def load_rule_file(path: Path, builtin: bool = False, display: str | None = None,
                   trusted: Validated | None = None, library: Library | None = None) -> Rule:
    source = display or str(path)
    raw, text = yamlconf.read_input(path, source, RuleError, "rule file")
    validated = trusted is not None and hashlib.sha256(raw).hexdigest() == trusted.sha256
    if validated and trusted is not None and isinstance(trusted.data, dict):
        data, root = trusted.data, None  # these exact bytes parsed and passed before
    else:
        data, root = yamlconf.load(text, source, RuleError)
    if not isinstance(data, dict):
        raise RuleError(f"{source}: a rule file must be a mapping")
    try:
        return build_rule(data, source, root, builtin, validated, library or Library())
    except RecursionError:
        raise RuleError(f"{source}: conditions nested too deeply") from None


def _schema_error(data: Mapping[str, Any], source: str, root: nodes.Node | None) -> RuleError | None:
    problem = yamlconf.schema_problem(_validator(), data)
    if problem is None:
        return None
    keys, message, error = problem
    if error.validator == "oneOf" and not keys:
        message = ("a rule has either `match` or `detector`, not both"
                   if "match" in data and "detector" in data
                   else "a rule needs a `match` block or a `detector`")
    return _fail(source, root, keys, message)


def build_rule(data: Mapping[str, Any], source: str, root: nodes.Node | None, builtin: bool,
               validated: bool = False, library: Library | None = None) -> Rule:
    """Validate one rule's data (schema, catalog, target, detector, match) and build the Rule.

    `validated`: the schema check already passed for these exact bytes (see validated_files).
    """
    from soc2lint.detectors import DETECTORS
    from soc2lint.formats.targets import TARGETS
    from soc2lint.language.match import MatchError, compile_matches

    error = None if validated else _schema_error(data, source, root)
    if error:
        raise error
    catalog = load_catalog()
    for i, control in enumerate(data["controls"]):
        if control not in catalog.criteria:
            hint = ""
            if control in catalog.aliases:
                hint = f"; {catalog.aliases[control].note}"
            raise _fail(source, root, ["controls", i], f"unknown control {control!r}{hint}")
    library = library or Library()
    targets = data["target"] if isinstance(data["target"], list) else [data["target"]]
    for i, target in enumerate(targets):
        if target not in TARGETS:
            keys = ["target", i] if isinstance(data["target"], list) else ["target"]
            raise _fail(source, root, keys,
                        f"unknown target {target!r}; known: {', '.join(sorted(TARGETS))}")
    own = data.get("parameters", {})
    used = _uses(data.get("match"), library)
    needed = set().union(*(_params_in(library.conditions[u]) for u in used)) if used else set()
    # a rule that uses a named condition inherits the library parameters it refers to
    parameters = {**{n: library.parameters[n] for n in sorted(needed) if n in library.parameters},
                  **own}
    fields = set(BASE_FIELDS) | {f"param.{p}" for p in parameters}
    matchers: tuple[Any, ...] = ()
    templates = [("message", data["message"])]
    if "detector" in data:
        spec = DETECTORS.get(data["detector"])
        if spec is None:
            raise _fail(source, root, ["detector"],
                        f"unknown detector {data['detector']!r}; known: {', '.join(sorted(DETECTORS))}")
        fields |= set(spec.fields)
    elif not validated:
        try:
            matchers = compile_matches(data["match"], parameters, library.conditions)
        except MatchError as exc:
            raise _fail(source, root, [int(k) if k.isdigit() else k for k in exc.key.split(".")],
                        str(exc)) from exc
        if isinstance(data["match"], list):
            templates += [(f"match.{i}.message", b["message"])
                          for i, b in enumerate(data["match"]) if "message" in b]
    if "match" in data:
        fields.add("count")
    for template_key, template in templates:
        for placeholder in _PLACEHOLDER.findall(template):
            if placeholder not in fields and not (
                    "match" in data and re.fullmatch(r"candidate\.[^.]+", placeholder)):
                raise _fail(source, root, template_key.split("."),
                            f"unknown placeholder {{{placeholder}}}; known: {', '.join(sorted(fields))}")
    for name, decl in parameters.items():
        if "schema" in decl and not validated:
            problem = _param_problem(decl["schema"], decl["default"])
            if problem:
                raise _fail(source, root, ["parameters", name, "default"], problem)
    prefilter = None
    if "prefilter" in data:
        try:
            prefilter = re.compile(data["prefilter"])
        except re.error as exc:
            raise _fail(source, root, ["prefilter"], f"invalid regex: {exc}") from exc
    examples = data["examples"]
    return Rule(
        id=data["id"],
        name=data["name"],
        title=data["title"],
        controls=tuple(data["controls"]),
        severity=Severity.parse(data["severity"]),
        targets=tuple(targets),
        message=data["message"],
        rationale=data["rationale"],
        remediation=data["remediation"],
        help=data["help"],
        status=data["status"],
        source=source,
        match=data.get("match"),
        detector=data.get("detector"),
        with_=data.get("with", {}),
        parameters=parameters,
        references=tuple(data.get("references", ())),
        precision=data.get("precision", "high"),
        help_uri=data.get("help_uri") or (f"{DOCS_BASE}{data['id']}.md" if builtin else None),
        fail_examples=tuple(_example(e) for e in examples["fail"]),
        pass_examples=tuple(_example(e) for e in examples["pass"]),
        builtin=builtin,
        params={name: decl["default"] for name, decl in parameters.items()},
        matchers=matchers,
        conditions=library.conditions,
        prefilter=prefilter,
    )


def _param_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    import jsonschema

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        return str(exc.message)
    except jsonschema.SchemaError as exc:
        return f"invalid parameter schema: {exc.message}"
    return None


def _example(raw: Mapping[str, Any]) -> Example:
    expect = []
    for item in raw.get("expect", ()):
        path, _, position = item.rpartition(":")
        path, _, line = path.rpartition(":")
        expect.append((path or None, int(line), int(position)))
    files = tuple((str(k), str(v)) for k, v in raw.get("files", {}).items())
    history = tuple((str(c.get("message", "commit")),
                     tuple((str(k), None if v is None else str(v)) for k, v in c["files"].items()))
                    for c in raw.get("history", ()))
    return Example(raw.get("code", ""), raw.get("path"), tuple(expect), files, history)


# id(match spec) -> (the spec itself, kept alive so its id cannot be reused; its matchers)
_COMPILED: dict[int, tuple[Any, tuple[Any, ...]]] = {}


def matchers_of(rule: Rule) -> tuple[Any, ...]:
    """The compiled `match` blocks of a rule. Rules whose bytes the test suite validated
    (validated.json) are compiled on first use: `soc2lint rules` never pays for it."""
    if rule.matchers or rule.match is None:
        return rule.matchers
    key = id(rule.match)  # shared by the copies select_rules makes (params, severity)
    entry = _COMPILED.get(key)
    if entry is None or entry[0] is not rule.match:
        from soc2lint.language.match import compile_matches

        entry = _COMPILED[key] = (rule.match, compile_matches(rule.match, rule.parameters,
                                                              rule.conditions))
    return entry[1]


# --------------------------------------------------------------------------- selection

_FAMILY = re.compile(r"[A-Z]+")


def _matches(rule: Rule, code: str) -> int:
    """How specifically `code` (an id prefix or a rule name) names `rule`: 0 not at all.

    A prefix names whole families: `GH` and `GH0` are the GH rules, never GHA's."""
    if code == rule.name or code == rule.id:
        return 100
    family = _FAMILY.match(code)
    if (family is not None and rule.id.startswith(code)
            and rule.id[family.end():family.end() + 1].isdigit()):
        return len(code)
    return 0


def unknown_codes(rules: Sequence[Rule], codes: Iterable[str]) -> list[tuple[str, str | None]]:
    """(code, suggestion or None) for each of `codes` that names no rule: a typo in --select
    would otherwise disable a CI gate without a word."""
    import difflib

    out: list[tuple[str, str | None]] = []
    for code in codes:
        if any(_matches(rule, code) for rule in rules):
            continue
        names = sorted({r.id for r in rules} | {r.name for r in rules}
                       | {r.id.rstrip("0123456789") for r in rules})
        cleaned = re.sub(r"[^A-Za-z0-9]", "", code).upper()
        if any(_matches(rule, cleaned) for rule in rules):
            out.append((code, cleaned))
            continue
        close = difflib.get_close_matches(code, names, n=1, cutoff=0.6)
        out.append((code, close[0] if close else None))
    return out


def check_codes(rules: Sequence[Rule], codes: Iterable[str], where: str) -> None:
    """Raise a ConfigError for the first of `codes` that names no rule, with a suggestion."""
    from soc2lint.errors import ConfigError

    for code, suggestion in unknown_codes(rules, codes):
        hint = f"; did you mean {suggestion!r}?" if suggestion else "; see `soc2lint rules`"
        raise ConfigError(f"{where}: {code!r} is no rule id, id prefix or rule name{hint}")


def is_selected(rule: Rule, select: Iterable[str], ignore: Iterable[str], default: bool) -> bool:
    """flake8-style: the longest matching prefix between select and ignore wins."""
    best_select = max((_matches(rule, c) for c in select), default=0)
    best_ignore = max((_matches(rule, c) for c in ignore), default=0)
    if best_select == 0 and best_ignore == 0:
        return default
    return best_select > best_ignore


def select_rules(
    rules: Sequence[Rule],
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    severities: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    rule_parameters: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = False,
) -> list[Rule]:
    """The rules that run, with the configured severities and parameter values applied."""
    from soc2lint.errors import ConfigError

    chosen = []
    for rule in rules:
        if not is_selected(rule, select, ignore, default=not select):
            continue
        exact = any(_matches(rule, c) >= 100 for c in select)
        if rule.status == "preview" and not (preview or exact):
            continue
        if rule.status == "deprecated" and not exact:
            continue
        changes: dict[str, Any] = {}
        for code, level in (severities or {}).items():
            if code in (rule.id, rule.name):
                changes["severity"] = Severity.parse(level)
        params = dict(rule.params)
        overrides = dict(parameters or {})
        for code, values in (rule_parameters or {}).items():
            if code in (rule.id, rule.name):
                overrides.update(values)
                # a detector's `with:` settings are its parameters too, typed by their default
                for name, value in values.items():
                    if name in rule.with_ and name not in rule.parameters:
                        default = rule.with_[name]
                        if default is not None and type(value) is not type(default):
                            raise ConfigError(f"parameter {name!r} for {rule.id}: expected a "
                                              f"{type(default).__name__}, got {value!r}")
                        params[name] = value
        for name, value in overrides.items():
            if name in rule.parameters:
                schema = rule.parameters[name].get("schema")
                problem = _param_problem(schema, value) if schema else None
                if problem:
                    raise ConfigError(f"parameter {name!r} for {rule.id}: {problem}")
                params[name] = value
        if params != rule.params:
            changes["params"] = params
        chosen.append(replace(rule, **changes) if changes else rule)
    return chosen
