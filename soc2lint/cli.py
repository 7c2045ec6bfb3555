"""Command line: the `soc2lint` group, `soc2lint [scan] [PATHS]`, and `main`, which routes to
`scan` by default and maps errors to exit codes. The other commands are in soc2lint.commands:
`rules`, `explain`, `controls` (commands/rules.py), `collect` (commands/collect.py) and
`baseline` (commands/baseline.py).

Heavy modules (jsonschema, the engine, reporters) are imported inside command bodies so that
`soc2lint --version` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from soc2lint import __version__
from soc2lint.commands.baseline import baseline_cmd
from soc2lint.commands.collect import collect
from soc2lint.commands.load import load_config_and_rules, split_ids
from soc2lint.commands.records import access_review, incident
from soc2lint.commands.report import report_cmd
from soc2lint.commands.rules import controls, explain, rules_cmd
from soc2lint.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE, Soc2lintError

SEVERITIES = ["critical", "high", "medium", "low", "info"]
COMMANDS = (
    "scan",
    "rules",
    "explain",
    "controls",
    "collect",
    "baseline",
    "report",
    "access-review",
    "incident",
)


def _write_output(path: Path, text: str) -> None:
    """Write a report, creating its directory (`-o reports/soc2lint.sarif` in a fresh CI job)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Soc2lintError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


class _DefaultGroup(click.Group):
    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("soc2lint", "[scan] [OPTIONS] [PATHS]... | COMMAND [ARGS]...")


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="soc2lint")
def cli() -> None:
    """Find where a repository fails SOC 2 controls, before the auditor does.

    `soc2lint .` scans the current directory with every built-in rule.
    """


for _command in (
    rules_cmd,
    explain,
    controls,
    collect,
    baseline_cmd,
    report_cmd,
    access_review,
    incident,
):
    cli.add_command(_command)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default=None,
    help="Exit 1 when a finding at or above this severity remains. [default: low]",
)
@click.option(
    "--select", multiple=True, metavar="IDS", help="Only these rule ids, prefixes or names."
)
@click.option(
    "--ignore", multiple=True, metavar="IDS", help="Skip these rule ids, prefixes or names."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Config file. [default: .soc2lint.yaml in the scan root]",
)
@click.option("--no-config", is_flag=True, help="Ignore .soc2lint.yaml.")
@click.option(
    "--rules",
    "extra_rules",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="An extra directory of rule files (repeatable).",
)
@click.option("--preview", is_flag=True, default=None, help="Also run preview rules.")
@click.option(
    "--category",
    default="soc2lint",
    show_default=True,
    help="SARIF runAutomationDetails category (one code-scanning analysis per category).",
)
@click.option("--no-color", is_flag=True, help="No ANSI colors (also: NO_COLOR).")
@click.option(
    "-q", "--quiet", is_flag=True, help="Findings only: no explanations, summary or notes."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large scans. [default: the available CPUs]",
)
@click.option("--no-history", is_flag=True, help="Do not scan the git history for secrets.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read the whole history again, without reading or writing .git/soc2lint/.",
)
@click.option("--since", metavar="REV", help="Read only the history after REV (REV..HEAD).")
@click.option(
    "--unreachable",
    is_flag=True,
    help="Also read commits no ref reaches (amended, reset, dangling); no cache.",
)
@click.option(
    "--staged",
    is_flag=True,
    help="Check the staged version of the files the next commit changes (for git hooks).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Terraform .tfvars(.json) file for the root modules scanned (repeatable; later wins).",
)
def scan(
    paths: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_path: Path | None,
    no_config: bool,
    extra_rules: tuple[Path, ...],
    preview: bool | None,
    category: str,
    no_color: bool,
    quiet: bool,
    jobs: int | None,
    no_history: bool,
    no_cache: bool,
    since: str | None,
    unreachable: bool,
    staged: bool,
    var_files: tuple[Path, ...],
) -> int:
    """Scan PATHS (default: the current directory) and report findings."""
    from soc2lint.language.select import select_rules
    from soc2lint.model import Severity
    from soc2lint.scan.engine import scan as run_scan

    if len(paths) == 1 and paths[0].is_dir() and not paths[0].is_symlink():
        root, targets = paths[0], None
    else:
        root, targets = Path.cwd(), (list(paths) or None)
    config, rules = load_config_and_rules(root, config_path, extra_rules, no_config)
    from soc2lint.language.select import check_codes

    check_codes(rules, split_ids(select), "--select")
    check_codes(rules, split_ids(ignore), "--ignore")
    active = select_rules(
        rules,
        select=split_ids(select) or config.select,
        ignore=config.ignore + split_ids(ignore),
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
        reads_evidence(r) and explicitly_selected(split_ids(select) or config.select, r)
        for r in active
    )
    missing = next((r for r in rules if r.name == EVIDENCE_MISSING), None)
    scope = None
    if (
        evidence_required
        and missing is not None
        and missing.id not in {r.id for r in active}
        and not explicitly_selected(config.ignore + split_ids(ignore), missing)
    ):
        # the rule that says the evidence is missing runs whenever evidence is asked for: about
        # the evidence the selected rules need (all of it with `evidence: required`)
        if config.evidence != "required":
            scope = frozenset().union(*(evidence_needed(r) for r in active if reads_evidence(r)))
        active = [
            *active,
            *select_rules(rules, select=(missing.id,), severities=config.severity, preview=True),
        ]
    if staged:
        from soc2lint.scan.staged import staged_tree

        if targets is not None:
            raise click.UsageError("--staged reads the files from git's index: give no file paths")
        from dataclasses import replace

        from soc2lint.gitrun import repository_prefix

        with staged_tree(root) as (top, files):
            result = run_scan(
                top,
                active,
                config,
                files or None,
                readers=rules,
                jobs=jobs,
                history=False,
                evidence_required=evidence_required,
                evidence_scope=scope,
            )
        result = replace(result, base=repository_prefix(root))
    else:
        result = run_scan(
            root,
            active,
            config,
            targets,
            readers=rules,
            jobs=jobs,
            history=config.history and not no_history,
            history_cache=not no_cache,
            since=since,
            progress=sys.stderr.isatty() and not quiet,
            unreachable=unreachable,
            evidence_required=evidence_required,
            evidence_scope=scope,
            var_files=[str(p) for p in var_files],
        )
    if fmt == "sarif":
        from soc2lint.report import sarif

        text = sarif.render(result, category)
    elif fmt == "json":
        from soc2lint.report import jsonout

        text = jsonout.render(result)
    else:
        from soc2lint.report import text as textout

        use_color = (
            output is None and not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
        )
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
        click.echo(
            f"soc2lint: internal error: {name}: {' '.join(str(exc).split())[:300]} "
            "(set SOC2LINT_DEBUG=1 for a traceback and please report it)",
            err=True,
        )
        return EXIT_INTERNAL
