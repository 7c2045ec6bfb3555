"""Rule libraries: `rules/<family>/_*.yaml` files of named conditions (`use: NAME` in a
condition), named paths (`for_each: {use: NAME}`) and the parameters they use, shared by the
rules of every rules directory."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soc2lint import yamlconf
from soc2lint.errors import RuleError
from soc2lint.language.conditions import params_in
from soc2lint.language.paths import PathError, named_path_texts, parse_path
from soc2lint.language.validated import Validated, library_validator


@dataclass(frozen=True)
class Library:
    conditions: Mapping[str, Any] = field(default_factory=dict)  # name -> raw condition
    parameters: Mapping[str, Any] = field(default_factory=dict)  # name -> declaration
    sources: Mapping[str, str] = field(default_factory=dict)  # condition -> file
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name -> path texts


def is_library(path: Path) -> bool:
    return path.name.startswith("_")


def load_library(paths: Sequence[tuple[Path, str]], trusted: Mapping[str, Validated]) -> Library:
    conditions: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    sources: dict[str, str] = {}
    named_paths: dict[str, tuple[str, ...]] = {}
    path_sources: dict[str, str] = {}
    for path, source in paths:
        raw, text = yamlconf.read_input(path, source, RuleError, "rule library")
        known = trusted.get(source)
        if (
            known is not None
            and known.sha256 == hashlib.sha256(raw).hexdigest()
            and isinstance(known.data, dict)
        ):
            data, root = known.data, None
        else:
            data, root = yamlconf.load(text, source, RuleError)
        if known is None or known.sha256 != hashlib.sha256(raw).hexdigest():
            problem = yamlconf.schema_problem(library_validator(), data)
            if problem is not None:
                raise _fail(source, root, problem[0], problem[1])
        for name, entry in data.get("conditions", {}).items():
            if name in conditions:
                raise _fail(
                    source,
                    root,
                    ["conditions", name],
                    f"named condition {name!r} also defined in {sources[name]}",
                )
            conditions[name] = entry["condition"]
            sources[name] = source
        for name, entry in data.get("paths", {}).items():
            if name in named_paths:
                raise _fail(
                    source,
                    root,
                    ["paths", name],
                    f"named path {name!r} also defined in {path_sources[name]}",
                )
            texts = named_path_texts(entry)
            for i, path_text in enumerate(texts):
                try:
                    parse_path(path_text)
                except PathError as exc:
                    keys = ["paths", name, i] if isinstance(entry, list) else ["paths", name]
                    raise _fail(source, root, keys, str(exc)) from exc
            named_paths[name] = texts
            path_sources[name] = source
        for name, decl in data.get("parameters", {}).items():
            if name in parameters and parameters[name] != decl:
                raise _fail(
                    source,
                    root,
                    ["parameters", name],
                    f"parameter {name!r} declared differently in another library",
                )
            parameters[name] = decl
    return Library(conditions, parameters, sources, named_paths)


def inherited_parameters(match: Any, library: Library) -> set[str]:
    """The library parameters that the named conditions a `match` uses refer to."""
    used = _uses(match, library)
    return set().union(*(params_in(library.conditions[u], {}) for u in used)) if used else set()


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


def _fail(source: str, root: Any, keys: Sequence[Any], message: str) -> RuleError:
    return RuleError(yamlconf.located(source, root, keys, message))
