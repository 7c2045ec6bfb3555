"""Select the rules that run (flake8-style: the longest matching id prefix or name wins between
`select` and `ignore`) and apply the configured severities and parameter values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from soc2lint.language.load import param_problem
from soc2lint.model import Rule, Severity

_FAMILY = re.compile(r"[A-Z]+")


def _matches(rule: Rule, code: str) -> int:
    """How specifically `code` (an id prefix or a rule name) names `rule`: 0 not at all.

    A prefix names whole families: `GH` and `GH0` are the GH rules, never GHA's."""
    if code == rule.name or code == rule.id:
        return 100
    family = _FAMILY.match(code)
    if (
        family is not None
        and rule.id.startswith(code)
        and rule.id[family.end() : family.end() + 1].isdigit()
    ):
        return len(code)
    return 0


def unknown_codes(rules: Sequence[Rule], codes: Iterable[str]) -> list[tuple[str, str | None]]:
    """(code, suggestion or None) for each of `codes` that names no rule: a typo in --select
    would otherwise disable a CI gate without a word."""
    out: list[tuple[str, str | None]] = []
    for code in codes:
        if any(_matches(rule, code) for rule in rules):
            continue
        import difflib  # only for a code that names no rule

        names = sorted(
            {r.id for r in rules}
            | {r.name for r in rules}
            | {r.id.rstrip("0123456789") for r in rules}
        )
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
                            raise ConfigError(
                                f"parameter {name!r} for {rule.id}: expected a "
                                f"{type(default).__name__}, got {value!r}"
                            )
                        params[name] = value
        for name, value in overrides.items():
            if name in rule.parameters:
                schema = rule.parameters[name].get("schema")
                problem = param_problem(schema, value) if schema else None
                if problem:
                    raise ConfigError(f"parameter {name!r} for {rule.id}: {problem}")
                params[name] = value
        if params != rule.params:
            changes["params"] = params
        chosen.append(replace(rule, **changes) if changes else rule)
    return chosen
