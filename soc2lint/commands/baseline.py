"""`soc2lint baseline`: record the secrets found now, by fingerprint, in the baseline file."""

from __future__ import annotations

from pathlib import Path

import click

from soc2lint.commands.load import load_config_and_rules
from soc2lint.errors import EXIT_CLEAN, Soc2lintError


@click.command("baseline")
@click.argument(
    "path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Baseline file. [default: the config's `baseline`, .soc2lint-baseline.yaml]",
)
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
    config, rules = load_config_and_rules(root, None, ())
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
