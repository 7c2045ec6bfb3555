"""Command line: `soc2lint [scan] [PATHS]`, `rules`, `explain`, `controls`.

Heavy modules (jsonschema, the engine, reporters) are imported inside command bodies so that
`soc2lint --version` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from soc2lint import __version__
from soc2lint.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE, Soc2lintError

if TYPE_CHECKING:
    from soc2lint.config import Config
    from soc2lint.model import Rule

SEVERITIES = ["critical", "high", "medium", "low", "info"]
COMMANDS = ("scan", "rules", "explain", "controls", "collect", "baseline")


def _split(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _load(root: Path, config_path: Path | None, extra_rules: Sequence[Path], no_config: bool = False,
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
    _check_config_names(config, rules)
    return config, rules


def _check_config_names(config: Config, rules: Sequence[Rule]) -> None:
    from soc2lint.errors import ConfigError

    known = {r.id for r in rules} | {r.name for r in rules}
    named = [(f"severity.{k}", k) for k in config.severity] + [
        (f"rule_parameters.{k}", k) for k in config.rule_parameters] + [
        (f"exceptions.{i}.rule", e.rule) for i, e in enumerate(config.exceptions)]
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
            raise ConfigError(f"{config.where(f'parameters.{name}')}: unknown parameter {name!r}"
                              f" (known: {', '.join(sorted(declared))})")
    for code, values in config.rule_parameters.items():
        own = {n for r in rules if code in (r.id, r.name) for n in (*r.parameters, *r.with_)}
        for name in values:
            if name not in own:
                known_here = ", ".join(sorted(own)) or f"none: {code} takes no parameters"
                raise ConfigError(f"{config.where(f'rule_parameters.{code}.{name}')}: "
                                  f"unknown parameter {name!r} for {code} (known: {known_here})")


def _write_output(path: Path, text: str) -> None:
    """Write a report, creating its directory (`-o reports/soc2lint.sarif` in a fresh CI job)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Soc2lintError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def _rule_sources(fn: Any) -> Any:
    """`--config FILE` and `--rules DIR` for the commands that only read rules."""
    fn = click.option("--rules", "extra_rules", multiple=True,
                      type=click.Path(file_okay=False, exists=True, path_type=Path),
                      help="An extra directory of rule files (repeatable).")(fn)
    return click.option("--config", "config_path",
                        type=click.Path(dir_okay=False, exists=True, path_type=Path),
                        help="Config file. [default: .soc2lint.yaml here]")(fn)


class _DefaultGroup(click.Group):
    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("soc2lint", "[scan] [OPTIONS] [PATHS]... | COMMAND [ARGS]...")


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="soc2lint")
def cli() -> None:
    """Find where a repository fails SOC 2 controls, before the auditor does.

    `soc2lint .` scans the current directory with every built-in rule.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice([*SEVERITIES, "never"]), default=None,
              help="Exit 1 when a finding at or above this severity remains. [default: low]")
@click.option("--select", multiple=True, metavar="IDS", help="Only these rule ids, prefixes or names.")
@click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rule ids, prefixes or names.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Config file. [default: .soc2lint.yaml in the scan root]")
@click.option("--no-config", is_flag=True, help="Ignore .soc2lint.yaml.")
@click.option("--rules", "extra_rules", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="An extra directory of rule files (repeatable).")
@click.option("--preview", is_flag=True, default=None, help="Also run preview rules.")
@click.option("--category", default="soc2lint", show_default=True,
              help="SARIF runAutomationDetails category (one code-scanning analysis per category).")
@click.option("--no-color", is_flag=True, help="No ANSI colors (also: NO_COLOR).")
@click.option("-q", "--quiet", is_flag=True, help="Findings only: no explanations, summary or notes.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for large scans. [default: the available CPUs]")
@click.option("--no-history", is_flag=True, help="Do not scan the git history for secrets.")
@click.option("--no-cache", is_flag=True,
              help="Read the whole history again, without reading or writing .git/soc2lint/.")
@click.option("--since", metavar="REV", help="Read only the history after REV (REV..HEAD).")
@click.option("--unreachable", is_flag=True,
              help="Also read commits no ref reaches (amended, reset, dangling); no cache.")
@click.option("--staged", is_flag=True,
              help="Check the staged version of the files the next commit changes (for git hooks).")
def scan(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str | None,
         select: tuple[str, ...], ignore: tuple[str, ...], config_path: Path | None, no_config: bool,
         extra_rules: tuple[Path, ...], preview: bool | None, category: str, no_color: bool,
         quiet: bool, jobs: int | None, no_history: bool, no_cache: bool,
         since: str | None, unreachable: bool, staged: bool) -> int:
    """Scan PATHS (default: the current directory) and report findings."""
    from soc2lint.language.select import select_rules
    from soc2lint.model import Severity
    from soc2lint.scan.engine import scan as run_scan

    if len(paths) == 1 and paths[0].is_dir() and not paths[0].is_symlink():
        root, targets = paths[0], None
    else:
        root, targets = Path.cwd(), (list(paths) or None)
    config, rules = _load(root, config_path, extra_rules, no_config)
    from soc2lint.language.select import check_codes

    check_codes(rules, _split(select), "--select")
    check_codes(rules, _split(ignore), "--ignore")
    active = select_rules(
        rules,
        select=_split(select) or config.select,
        ignore=config.ignore + _split(ignore),
        severities=config.severity,
        parameters=config.parameters,
        rule_parameters=config.rule_parameters,
        preview=config.preview if preview is None else preview,
    )
    from soc2lint.formats.github import (
        EVIDENCE_MISSING,
        evidence_needed,
        explicitly_selected,
        reads_evidence,
    )

    # GH rules asked for by id, name or the GH prefix, or `evidence: required`: missing GitHub
    # settings evidence is a medium finding, not an info note
    evidence_required = config.evidence == "required" or any(
        reads_evidence(r) and explicitly_selected(_split(select) or config.select, r) for r in active)
    missing = next((r for r in rules if r.name == EVIDENCE_MISSING), None)
    scope = None
    if (evidence_required and missing is not None and missing.id not in {r.id for r in active}
            and not explicitly_selected(config.ignore + _split(ignore), missing)):
        # the rule that says the evidence is missing runs whenever evidence is asked for: about
        # the evidence the selected rules need (all of it with `evidence: required`)
        if config.evidence != "required":
            scope = frozenset().union(*(evidence_needed(r) for r in active if reads_evidence(r)))
        active = [*active, *select_rules(rules, select=(missing.id,), severities=config.severity,
                                         preview=True)]
    if staged:
        from soc2lint.scan.staged import staged_tree

        if targets is not None:
            raise click.UsageError("--staged reads the files from git's index: give no file paths")
        from dataclasses import replace

        from soc2lint.scan.engine import repository_prefix

        with staged_tree(root) as (top, files):
            result = run_scan(top, active, config, files or None, readers=rules, jobs=jobs,
                              history=False, evidence_required=evidence_required,
                              evidence_scope=scope)
        result = replace(result, base=repository_prefix(root))
    else:
        result = run_scan(root, active, config, targets, readers=rules, jobs=jobs,
                          history=config.history and not no_history, history_cache=not no_cache,
                          since=since, progress=sys.stderr.isatty() and not quiet,
                          unreachable=unreachable, evidence_required=evidence_required,
                          evidence_scope=scope)
    if fmt == "sarif":
        from soc2lint.report import sarif

        text = sarif.render(result, category)
    elif fmt == "json":
        from soc2lint.report import jsonout

        text = jsonout.render(result)
    else:
        from soc2lint.report import text as textout

        use_color = (output is None and not no_color and "NO_COLOR" not in os.environ
                     and sys.stdout.isatty())
        text = textout.render(result, color=use_color, quiet=quiet)
    if output is not None:
        _write_output(output, text)
    else:
        click.echo(text, nl=False)
    if not quiet:
        for note in (*result.notes, *result.expired):
            click.echo(f"soc2lint: note: {note}", err=True)
    threshold = fail_on or config.fail_on or "low"
    if threshold == "never":
        return EXIT_CLEAN
    bar = Severity.parse(threshold)
    failing = any(f.suppression is None and f.severity >= bar for f in result.findings)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_rule_sources
def rules_cmd(fmt: str, config_path: Path | None, extra_rules: tuple[Path, ...]) -> int:
    """List every rule: id, name, severity, controls, status and title."""
    _, rules = _load(Path.cwd(), config_path, extra_rules)
    rules = sorted(rules, key=lambda r: r.id)
    if fmt == "json":
        import json

        click.echo(json.dumps([_rule_summary(r) for r in rules], indent=2))
        return EXIT_CLEAN
    for r in rules:
        status = "" if r.status == "stable" else f" ({r.status})"
        click.echo(f"{r.id:<7} {r.name:<36} {r.severity.label:<8} {','.join(r.controls):<18} "
                   f"{r.title}{status}")
    return EXIT_CLEAN


def _rule_summary(r: Rule) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "severity": r.severity.label, "controls": list(r.controls),
            "title": r.title, "targets": list(r.targets), "status": r.status, "source": r.source,
            "help_uri": r.help_uri}


@cli.command()
@click.argument("term")
@_rule_sources
def explain(term: str, config_path: Path | None, extra_rules: tuple[Path, ...]) -> int:
    """Explain a rule (by id or name), or list the rules citing a control (e.g. CC6.1)."""
    from soc2lint.catalog import load_catalog
    from soc2lint.docgen import rule_page

    _, rules = _load(Path.cwd(), config_path, extra_rules)
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
    raise Soc2lintError(f"{term!r} is neither a rule id, a rule name nor a SOC 2 criterion "
                        "(see `soc2lint rules` and `soc2lint controls`)")


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


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_rule_sources
def controls(fmt: str, config_path: Path | None, extra_rules: tuple[Path, ...]) -> int:
    """The Trust Services Criteria catalog, with the rules covering each criterion."""
    from soc2lint.catalog import load_catalog

    _, rules = _load(Path.cwd(), config_path, extra_rules)
    catalog = load_catalog()
    coverage = {cid: sorted(r.id for r in rules if cid in r.controls) for cid in catalog.criteria}
    if fmt == "json":
        import json

        data = [{"id": c.id, "category": c.category, "title": c.title, "text": c.text,
                 "rules": coverage[c.id]} for c in catalog.criteria.values()]
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


@cli.group()
def collect() -> None:
    """Export evidence from a platform's API into an evidence directory."""


@collect.command("github")
@click.argument("repository", metavar="OWNER/REPO")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path(".soc2"),
              show_default=True, metavar="DIR", help="Evidence directory.")
@click.option("--api-url", default="https://api.github.com", show_default=True, metavar="URL",
              help="REST API root; GitHub Enterprise Server: https://HOST/api/v3.")
@click.option("--branch", metavar="NAME", help="Branch whose protection and rules to export. "
              "[default: the repository's default branch]")
@click.option("--org/--no-org", default=None,
              help="Export the organization's settings and members. "
                   "[default: when the owner is an organization]")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, metavar="SECONDS",
              help="Seconds to wait for each response, body included.")
def collect_github(repository: str, out: Path, api_url: str, branch: str | None, org: bool | None,
                   timeout: float) -> int:
    """Export GitHub REST API payloads of OWNER/REPO, unchanged, with a manifest.

    Reads the token from GITHUB_TOKEN, else GH_TOKEN. Endpoints the token may not read (403, 404)
    are recorded in the manifest with their status and a note; collection goes on. Exits 1 when
    no settings endpoint could be read; an interrupted or failed run keeps the previous evidence.
    """
    from soc2lint.collect.github import MANIFEST, parse_repository, settings_read, token_from_env
    from soc2lint.collect.github import collect as run_collect
    from soc2lint.collect.http import Client, CollectError

    owner, repo = parse_repository(repository)
    client = Client(api_url, token_from_env(os.environ), timeout=timeout)
    try:
        manifest = run_collect(client, owner, repo, out, branch=branch, org=org)
    except OSError as exc:
        raise CollectError(f"cannot write under {out}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        click.echo(f"soc2lint: interrupted: the evidence in {out} was left as it was", err=True)
        return 130
    files = manifest["files"]
    for entry in files:
        if entry.get("note"):
            click.echo(f"soc2lint: note: {entry['endpoint']} answered {entry['status']}: "
                       f"{entry['note']}", err=True)
    ok = sum(1 for entry in files if entry["status"] == 200)
    click.echo(f"Collected {len(files)} endpoints of {manifest['repository']} (branch "
               f"{manifest['branch']}) into {out}: {ok} answered 200, {len(files) - ok} did not; "
               f"manifest: {out / MANIFEST}")
    if settings_read(manifest) == 0:
        click.echo(f"soc2lint: error: none of the {len(files) - 1} settings endpoints of "
                   f"{manifest['repository']} could be read: the evidence in {out} proves nothing",
                   err=True)
        return EXIT_FINDINGS
    return EXIT_CLEAN


@cli.command("baseline")
@click.argument("path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Baseline file. [default: the config's `baseline`, .soc2lint-baseline.yaml]")
@click.option("--no-history", is_flag=True, help="Only the secrets in the files, not the history.")
def baseline_cmd(path: Path | None, output: Path | None, no_history: bool) -> int:
    """Record the secrets found now (files and history) in the baseline, by fingerprint.

    Existing entries keep their rotation records (rotated_on, ticket, reason) and comments. A
    later scan marks each secret finding new, known, or rotated (info-level evidence).
    """
    from soc2lint.language.select import select_rules
    from soc2lint.scan.engine import scan as run_scan
    from soc2lint.secrets import baseline

    root = path or Path.cwd()
    config, rules = _load(root, None, ())
    active = select_rules(rules, select=("SEC001", "SEC002"), parameters=config.parameters)
    result = run_scan(root, active, config, readers=rules, history=not no_history)
    target = output or root / config.baseline
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Soc2lintError(f"{target}: cannot write the baseline: {exc.strerror or exc}") from None
    count = baseline.write(target, [f for f in result.findings if f.suppression is None])
    click.echo(f"{count} secret(s) in {target}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: route to `scan` by default, map errors to exit codes, never a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-V", "--version", "-h", "--help")):
        args.insert(0, "scan")
    try:
        rv = cli.main(args, prog_name="soc2lint", standalone_mode=False)
        return int(rv or 0)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.Abort:
        click.echo("soc2lint: aborted", err=True)
        return 130
    except Soc2lintError as exc:
        click.echo(f"soc2lint: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("soc2lint: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:
        if os.environ.get("SOC2LINT_DEBUG"):
            raise
        name = type(exc).__name__
        click.echo(f"soc2lint: internal error: {name}: {' '.join(str(exc).split())[:300]} "
                   "(set SOC2LINT_DEBUG=1 for a traceback and please report it)", err=True)
        return EXIT_INTERNAL
