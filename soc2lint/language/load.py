"""Load rule files: parse, validate against the rule schema and the catalog, build Rules."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from soc2lint import yamlconf
from soc2lint.catalog import load_catalog
from soc2lint.errors import RuleError
from soc2lint.formats import nodes
from soc2lint.language.library import Library, inherited_parameters, is_library, load_library
from soc2lint.language.validated import Validated, rule_files, rule_validator, validated_files
from soc2lint.model import Example, Rule, Severity

DOCS_BASE = "https://github.com/soc2lint/soc2lint/blob/main/docs/rules/"
BASE_FIELDS = ("value", "key", "candidate", "route", "path", "object")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def builtin_rules_dir() -> Path:
    """Rules ship inside the wheel as `soc2lint/rules`; a source checkout keeps them at `rules/`."""
    here = Path(__file__).parent.parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


def load_rules(
    directories: Sequence[Path], builtin_count: int = 1, trust_validated: bool = True
) -> list[Rule]:
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
    digests = [
        validated_files(d) if i < builtin_count and trust_validated else {}
        for i, d in enumerate(directories)
    ]
    files = [rule_files(d) for d in directories]  # each tree walked once
    library_files, trusted_libraries = [], {}
    for i, directory in enumerate(directories):
        for path in files[i]:
            if is_library(path):
                display = _display(path, directory, i < builtin_count)
                library_files.append((path, display))
                known = digests[i].get(path.relative_to(directory).as_posix())
                if known:
                    trusted_libraries[display] = known
    library = load_library(library_files, trusted_libraries)
    for i, directory in enumerate(directories):
        trusted = digests[i]
        for path in files[i]:
            if is_library(path):
                continue
            rule = load_rule_file(
                path,
                builtin=i < builtin_count,
                display=_display(path, directory, i < builtin_count),
                trusted=trusted.get(path.relative_to(directory).as_posix()),
                library=library,
            )
            for index, key, label in ((by_id, rule.id, "id"), (by_name, rule.name, "name")):
                if key in index:
                    raise RuleError(
                        f"{rule.source}: key '{label}': duplicate rule {label} {key!r} "
                        f"(also in {index[key].source})"
                    )
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


def load_rule_file(
    path: Path,
    builtin: bool = False,
    display: str | None = None,
    trusted: Validated | None = None,
    library: Library | None = None,
) -> Rule:
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


def _schema_error(
    data: Mapping[str, Any], source: str, root: nodes.Node | None
) -> RuleError | None:
    problem = yamlconf.schema_problem(rule_validator(), data)
    if problem is None:
        return None
    keys, message, error = problem
    if error.validator == "oneOf" and not keys:
        message = (
            "a rule has either `match` or `detector`, not both"
            if "match" in data and "detector" in data
            else "a rule needs a `match` block or a `detector`"
        )
    return _fail(source, root, keys, message)


def build_rule(
    data: Mapping[str, Any],
    source: str,
    root: nodes.Node | None,
    builtin: bool,
    validated: bool = False,
    library: Library | None = None,
) -> Rule:
    """Validate one rule's data (schema, catalog, target, detector, match) and build the Rule.

    `validated`: the schema check already passed for these exact bytes (see validated_files).
    """
    from soc2lint.detectors import DETECTORS
    from soc2lint.formats.targets import TARGETS
    from soc2lint.language.match import compile_matches, compile_refinement, with_named_paths
    from soc2lint.language.paths import MatchError

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
            raise _fail(
                source,
                root,
                keys,
                f"unknown target {target!r}; known: {', '.join(sorted(TARGETS))}",
            )
    match = data.get("match")
    if match is not None:
        try:  # `for_each: {use: NAME}`: the library's named paths, spelled out once here
            match = with_named_paths(match, library.paths)
        except MatchError as exc:
            raise _fail(
                source, root, [int(k) if k.isdigit() else k for k in exc.key.split(".")], str(exc)
            ) from exc
    own = data.get("parameters", {})
    needed = inherited_parameters([match, data.get("exclude")], library)
    # a rule that uses a named condition inherits the library parameters it refers to
    parameters = {
        **{n: library.parameters[n] for n in sorted(needed) if n in library.parameters},
        **own,
    }
    fields = set(BASE_FIELDS) | {f"param.{p}" for p in parameters}
    matchers: tuple[Any, ...] = ()
    templates = [("message", data["message"])]
    detector_fields: set[str] = set()
    if "detector" in data:
        spec = DETECTORS.get(data["detector"])
        if spec is None:
            raise _fail(
                source,
                root,
                ["detector"],
                f"unknown detector {data['detector']!r}; known: {', '.join(sorted(DETECTORS))}",
            )
        detector_fields = set(spec.fields) | {"key", "value"}
        fields |= set(spec.fields)
    # a detector rule's `exclude` blocks and `labels`: checked here, compiled on first use
    refinement = {k: data[k] for k in ("exclude", "labels") if k in data} or None
    if refinement is not None and not validated:
        try:
            compile_refinement(data, parameters, library.conditions, detector_fields)
        except MatchError as exc:
            raise _fail(
                source, root, [int(k) if k.isdigit() else k for k in exc.key.split(".")], str(exc)
            ) from exc
    if "detector" not in data and not validated:
        try:
            matchers = compile_matches(match, parameters, library.conditions)
        except MatchError as exc:
            raise _fail(
                source, root, [int(k) if k.isdigit() else k for k in exc.key.split(".")], str(exc)
            ) from exc
        if isinstance(data["match"], list):
            templates += [
                (f"match.{i}.message", b["message"])
                for i, b in enumerate(data["match"])
                if "message" in b
            ]
    if "match" in data:
        fields.add("count")
    for template_key, template in templates:
        for placeholder in _PLACEHOLDER.findall(template):
            if placeholder not in fields and not (
                "match" in data and re.fullmatch(r"candidate\.[^.]+", placeholder)
            ):
                raise _fail(
                    source,
                    root,
                    template_key.split("."),
                    f"unknown placeholder {{{placeholder}}}; known: {', '.join(sorted(fields))}",
                )
    for name, decl in parameters.items():
        if "schema" in decl and not validated:
            problem = param_problem(decl["schema"], decl["default"])
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
        match=match,
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
        refinement=refinement,
    )


def param_problem(schema: Mapping[str, Any], value: Any) -> str | None:
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
    history = tuple(
        (
            str(c.get("message", "commit")),
            tuple((str(k), None if v is None else str(v)) for k, v in c["files"].items()),
        )
        for c in raw.get("history", ())
    )
    parameters = tuple((str(k), v) for k, v in raw.get("parameters", {}).items())
    return Example(raw.get("code", ""), raw.get("path"), tuple(expect), files, history, parameters)


# id(match spec) -> (the spec itself, kept alive so its id cannot be reused; its matchers)
_COMPILED: dict[int, tuple[Any, tuple[Any, ...]]] = {}
