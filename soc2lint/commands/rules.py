"""`soc2lint rules`, `explain` and `controls`: the rules and the SOC 2 criteria they cover."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from soc2lint.commands.load import load_config_and_rules, rule_sources
from soc2lint.errors import EXIT_CLEAN, Soc2lintError

if TYPE_CHECKING:
    from soc2lint.model import Rule


@click.command("rules")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@rule_sources
def rules_cmd(fmt: str, config_path: Path | None, extra_rules: tuple[Path, ...]) -> int:
    """List every rule: id, name, severity, controls, status and title."""
    _, rules = load_config_and_rules(Path.cwd(), config_path, extra_rules)
    rules = sorted(rules, key=lambda r: r.id)
    if fmt == "json":
        import json

        click.echo(json.dumps([_rule_summary(r) for r in rules], indent=2))
        return EXIT_CLEAN
    for r in rules:
        status = "" if r.status == "stable" else f" ({r.status})"
        click.echo(
            f"{r.id:<7} {r.name:<36} {r.severity.label:<8} {','.join(r.controls):<18} "
            f"{r.title}{status}"
        )
    return EXIT_CLEAN


def _rule_summary(r: Rule) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "severity": r.severity.label,
        "controls": list(r.controls),
        "title": r.title,
        "targets": list(r.targets),
        "status": r.status,
        "source": r.source,
        "help_uri": r.help_uri,
    }


@click.command()
@click.argument("term")
@rule_sources
def explain(term: str, config_path: Path | None, extra_rules: tuple[Path, ...]) -> int:
    """Explain a rule (by id or name), or list the rules citing a control (e.g. CC6.1)."""
    from soc2lint.catalog import load_catalog
    from soc2lint.docgen import rule_page

    _, rules = load_config_and_rules(Path.cwd(), config_path, extra_rules)
    catalog = load_catalog()
    wanted = term.strip()
    for r in rules:
        if wanted.upper() == r.id or wanted.lower() == r.name:
            click.echo(rule_page(r), nl=False)
            return EXIT_CLEAN
    control = wanted.upper()
    if control in catalog.aliases:
        alias = catalog.aliases[control]
        click.echo(f"{control}: {alias.note}")
        for see in alias.see:
            click.echo()
            _explain_control(catalog, see, rules)
        return EXIT_CLEAN
    if control in catalog.criteria:
        _explain_control(catalog, control, rules)
        return EXIT_CLEAN
    raise Soc2lintError(
        f"{term!r} is neither a rule id, a rule name nor a SOC 2 criterion "
        "(see `soc2lint rules` and `soc2lint controls`)"
    )


def _explain_control(catalog: Any, control: str, rules: Sequence[Rule]) -> None:
    criterion = catalog.criteria[control]
    click.echo(f"{control} {criterion.title}")
    click.echo(f"  {criterion.text}")
    citing = sorted((r for r in rules if control in r.controls), key=lambda r: r.id)
    if citing:
        click.echo("Rules that test it:")
        for r in citing:
            click.echo(f"  {r.id:<7} {r.name:<36} {r.severity.label:<8} {r.title}")
    else:
        click.echo("No soc2lint rule tests it: gather evidence for it outside the repository.")


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@rule_sources
def controls(fmt: str, config_path: Path | None, extra_rules: tuple[Path, ...]) -> int:
    """The Trust Services Criteria catalog, with the rules covering each criterion."""
    from soc2lint.catalog import load_catalog

    _, rules = load_config_and_rules(Path.cwd(), config_path, extra_rules)
    catalog = load_catalog()
    coverage = {cid: sorted(r.id for r in rules if cid in r.controls) for cid in catalog.criteria}
    if fmt == "json":
        import json

        data = [
            {
                "id": c.id,
                "category": c.category,
                "title": c.title,
                "text": c.text,
                "rules": coverage[c.id],
            }
            for c in catalog.criteria.values()
        ]
        click.echo(json.dumps({"version": catalog.version, "criteria": data}, indent=2))
        return EXIT_CLEAN
    click.echo(f"SOC 2 Trust Services Criteria {catalog.version}")
    category = None
    for c in catalog.criteria.values():
        if c.category != category:
            category = c.category
            click.echo(f"\n{category} {catalog.categories[category]}")
        covered = ", ".join(coverage[c.id]) or "-"
        click.echo(f"  {c.id:<6} {c.title[:52]:<52} {covered}")
    n = sum(1 for v in coverage.values() if v)
    click.echo(f"\n{n} of {len(catalog.criteria)} criteria have at least one rule.")
    return EXIT_CLEAN
