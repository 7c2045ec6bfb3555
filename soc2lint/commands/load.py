"""What every command reads first: the config file and the rules, checked against each other
(every rule, parameter and selector the config names must exist)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from soc2lint.config import Config
    from soc2lint.model import Rule


def split_ids(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def load_config_and_rules(
    root: Path,
    config_path: Path | None,
    extra_rules: Sequence[Path],
    no_config: bool = False,
) -> tuple[Config, list[Rule]]:
    from soc2lint.config import Config, find_config, load_config
    from soc2lint.language.load import builtin_rules_dir, load_rules

    if config_path is not None:
        config = load_config(config_path)
    else:
        found = None if no_config else find_config(root)
        config = load_config(found) if found else Config()
    dirs = [builtin_rules_dir(), *config.rule_dirs, *(p.resolve() for p in extra_rules)]
    rules = load_rules(dirs)
    check_config_names(config, rules)
    return config, rules


def check_config_names(config: Config, rules: Sequence[Rule]) -> None:
    from soc2lint.errors import ConfigError

    known = {r.id for r in rules} | {r.name for r in rules}
    named = (
        [(f"severity.{k}", k) for k in config.severity]
        + [(f"rule_parameters.{k}", k) for k in config.rule_parameters]
        + [(f"exceptions.{i}.rule", e.rule) for i, e in enumerate(config.exceptions)]
    )
    for key, code in named:
        if code not in known:
            raise ConfigError(f"{config.where(key)}: unknown rule {code!r}")
    from soc2lint.language.select import check_codes

    for section in ("select", "ignore"):
        for i, code in enumerate(getattr(config, section)):
            check_codes(rules, [code], config.where(f"{section}.{i}"))
    declared = {name for r in rules for name in r.parameters}
    for name in config.parameters:
        if name not in declared:
            raise ConfigError(
                f"{config.where(f'parameters.{name}')}: unknown parameter {name!r}"
                f" (known: {', '.join(sorted(declared))})"
            )
    for code, values in config.rule_parameters.items():
        own = {n for r in rules if code in (r.id, r.name) for n in (*r.parameters, *r.with_)}
        for name in values:
            if name not in own:
                known_here = ", ".join(sorted(own)) or f"none: {code} takes no parameters"
                raise ConfigError(
                    f"{config.where(f'rule_parameters.{code}.{name}')}: "
                    f"unknown parameter {name!r} for {code} (known: {known_here})"
                )


def rule_sources(fn: Any) -> Any:
    """`--config FILE` and `--rules DIR` for the commands that only read rules."""
    fn = click.option(
        "--rules",
        "extra_rules",
        multiple=True,
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="An extra directory of rule files (repeatable).",
    )(fn)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Config file. [default: .soc2lint.yaml here]",
    )(fn)
