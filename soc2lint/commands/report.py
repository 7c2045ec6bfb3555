"""`soc2lint report`: the auditor's change-management evidence for a period (population,
reproducible sample, summary, manifest), from the change evidence under the scanned directory."""

from __future__ import annotations

import hashlib
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from soc2lint.commands.load import load_config_and_rules
from soc2lint.errors import EXIT_CLEAN, Soc2lintError
from soc2lint.progress import Progress

_PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@click.command("report")
@click.argument(
    "path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the report into.",
)
@click.option(
    "--period", metavar="START..END", help="UTC dates, inclusive (2026-01-01..2026-12-31)."
)
@click.option(
    "--seed", default="", help="The auditor's seed for the sample [default: the population digest]."
)
@click.option("--sample", "sample", default="auto", show_default=True, metavar="N|auto")
@click.option(
    "--reliance",
    type=click.Choice(["low", "moderate", "high"]),
    default="moderate",
    show_default=True,
    help="Reliance on the control: sets the auto sample size.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Report on the repository as it was at the last commit at or before this date (end "
    "of day UTC), read from git objects; the period ends on it.",
)
@click.option(
    "--ref",
    default="HEAD",
    show_default=True,
    help="With --as-of: the branch whose commits hold the evidence (an evidence branch).",
)
def report_cmd(
    path: Path | None,
    out: Path,
    period: str | None,
    seed: str,
    sample: str,
    reliance: str,
    as_of: str | None,
    ref: str,
) -> int:
    """Write the control matrix (controls.csv, evidence.csv, exceptions.csv), population.csv,
    sample.csv, summary.md/html and manifest.json for the auditor."""
    import datetime as dt

    root = path or Path.cwd()
    bounds = None
    if period:
        m = _PERIOD.match(period)
        if not m or m.group(1) > m.group(2):
            raise click.BadParameter(
                "expected START..END as YYYY-MM-DD..YYYY-MM-DD", param_hint="--period"
            )
        bounds = (m.group(1), m.group(2))
    if sample != "auto" and not sample.isdigit():
        raise click.BadParameter("a number or auto", param_hint="--sample")
    command = shlex.join(
        [
            "soc2lint",
            "report",
            str(path or "."),
            "--out",
            str(out),
            *(["--period", period] if period else []),
            *(["--as-of", as_of] if as_of else []),
            *(["--ref", ref] if as_of and ref != "HEAD" else []),
            *(["--seed", seed] if seed else []),
            "--sample",
            sample,
            "--reliance",
            reliance,
        ]
    )
    if not as_of:
        return _report(root, out, bounds, seed, sample, reliance, command, None)
    import tempfile

    from soc2lint import asof

    day = asof.parse_date(as_of)
    if bounds is None:
        bounds = ((day - dt.timedelta(days=364)).isoformat(), day.isoformat())
    elif bounds[1] > day.isoformat():
        bounds = (min(bounds[0], day.isoformat()), day.isoformat())
    with tempfile.TemporaryDirectory(prefix="soc2lint-as-of-") as tmp:
        tree = Path(tmp) / "tree"
        snapshot = asof.materialise(root, day, tree, ref)
        return _report(tree, out, bounds, seed, sample, reliance, command, snapshot)


def _report(
    root: Path,
    out: Path,
    bounds: tuple[str, str] | None,
    seed: str,
    sample: str,
    reliance: str,
    command: str,
    snapshot: Any,
) -> int:
    import datetime as dt
    from dataclasses import replace

    from soc2lint.detectors.change_management import _policy, evaluated
    from soc2lint.formats.registry import format_of
    from soc2lint.language.select import select_rules
    from soc2lint.report import changes as report
    from soc2lint.report import controls
    from soc2lint.scan.discover import discover
    from soc2lint.scan.engine import scan as run_scan

    config, rules = load_config_and_rules(root, None, ())
    # the records rules judge as of the report's date, over its period
    fixed: dict[str, Any] = {}
    if snapshot is not None:
        fixed["as_of"] = snapshot.date
    if bounds is not None:
        fixed["audit_period"] = f"{bounds[0]}..{bounds[1]}"
    if fixed:
        config = replace(config, parameters={**config.parameters, **fixed})
    today = dt.date.fromisoformat(snapshot.date) if snapshot is not None else None
    active = select_rules(
        rules,
        select=("CM",),
        parameters=config.parameters,
        rule_parameters=config.rule_parameters,
        severities=config.severity,
    )
    if not active:
        raise Soc2lintError("no change-management (CM) rule is available")
    # every rule the configuration selects, for the control matrix; the CM rules besides
    chosen = select_rules(
        rules,
        select=config.select,
        ignore=config.ignore,
        severities=config.severity,
        parameters=config.parameters,
        rule_parameters=config.rule_parameters,
        preview=config.preview,
    )
    ids = {r.id for r in chosen}
    chosen += [r for r in active if r.id not in ids]
    # the findings, for what the team documented (exceptions, suppressions): exempt
    result = run_scan(root, chosen, config, readers=rules, history=False, today=today)
    exempt = {
        (f.rule.id, dict(f.properties).get("change_id", ""))
        for f in result.findings
        if f.suppression is not None
    }
    found = discover(root, None, config.exclude, config.evidence_dir)
    dumps = [a for a in found.artifacts if a.kind == "pull-requests"]
    population, inputs, notes = [], [], []
    if not dumps:
        # the controls are still reported; the change population is empty and says why, and
        # the CM rules are "not evaluated" in the matrix (never a pass)
        notes.append(
            f"no merged pull requests under {config.evidence_dir}/: the change population is "
            "empty and change management (CM rules) is not evaluated; collect them with "
            "`soc2lint collect github OWNER/REPO --changes`, or export them with "
            "`gh pr list --state merged --json ...`"
        )
    parser = format_of("pull-requests").parse
    assert parser is not None
    policy = _policy(active[0].params)
    progress = Progress(sys.stderr)
    for number, artifact in enumerate(dumps, 1):
        progress.show(f"evaluating {artifact.path} ({number} of {len(dumps)})")
        data = Path(artifact.abspath).read_bytes()
        inputs.append(report.Input(artifact.path, hashlib.sha256(data).hexdigest()))
        parsed = parser(artifact, data.decode("utf-8", "replace"))
        if parsed.error is not None or not parsed.documents:
            progress.clear()
            raise Soc2lintError(f"{artifact.path}: {parsed.error or 'no pull requests'}")
        pop = parsed.documents[0].data
        if not pop.commits_exported:
            notes.append(f"{artifact.path} has no commits: CM003, CM004 and CM009 not evaluated")
        done = evaluated(pop, policy, root)
        population += report.rows(done, exempt, artifact.path, bounds)
        # why CM011 was not evaluated (no clone, no `files`, unexported teams...): one example
        skipped = [
            ev.results["CM011"].reason
            for ev in done
            if ev.results["CM011"].result == "inconclusive"
            and (bounds is None or bounds[0] <= ev.change.merged_at[:10] <= bounds[1])
        ]
        if skipped:
            notes.append(
                f"{artifact.path}: code-owner approval (CM011) not evaluated for "
                f"{len(skipped)} change{'s' if len(skipped) > 1 else ''}, e.g. {skipped[0]}"
            )
    progress.clear()
    # the rest of the change evidence the rows rest on: follow-up pages, the collection's
    # manifest, history, activity and rule suites
    for artifact in found.artifacts:
        if artifact.kind in ("change-collection", "pull-request-commits"):
            digest = hashlib.sha256(Path(artifact.abspath).read_bytes()).hexdigest()
            inputs.append(report.Input(artifact.path, digest))
    inputs.sort(key=lambda i: i.path)
    population += report.commit_rows(result.findings, bounds)
    # what the collection could not show (CM012 at the collection), as completeness notes
    notes += sorted(
        f"{f.location.path}: {f.message}"
        for f in result.findings
        if f.rule.id == "CM012"
        and dict(f.properties).get("change_id", "").startswith("collection:")
    )
    notes += _reconciliation(found.artifacts)
    from soc2lint.secrets.history import is_work_tree

    collected_history = any(
        a.kind == "change-collection" and a.path.rsplit("/", 1)[-1].startswith("history-")
        for a in found.artifacts
    )
    if not is_work_tree(root) and not collected_history:
        notes.append(
            "no git clone here and no collected branch history: commits that reached the "
            "branch without a pull request (CM001) were not looked for; the population holds "
            "pull requests only"
        )
    population.sort(key=lambda r: (r["merged_at_utc"], r["change_id"]))
    facts: dict[str, Any] = {}
    if snapshot is not None:
        commit, as_of = (
            snapshot.commit,
            (
                f"{snapshot.date} (end of day UTC): commit `{snapshot.commit}` committed "
                f"{snapshot.committed_at} ({snapshot.subject}); {snapshot.files} files read from git "
                "objects"
                + (f", {snapshot.skipped} links or submodules left out" if snapshot.skipped else "")
            ),
        )
        facts["as_of"] = {
            "date": snapshot.date,
            "commit": snapshot.commit,
            "committed_at": snapshot.committed_at,
        }
    else:
        commit, as_of = _head(root), ""
    matrix = controls.build(
        result,
        rules,
        found.artifacts,
        root,
        config,
        today or dt.datetime.now(dt.timezone.utc).date(),
        commit,
        as_of,
        unrun={
            r.id: "not run by the report (the git history: run `soc2lint .`)"
            for r in chosen
            if r.detector == "secrets-history"
        },
    )
    if matrix.collections:
        facts["collections"] = {c.manifest: c.collected_at for c in matrix.collections}
    options = report.Options(out, bounds, seed, sample, reliance, command)
    try:
        report.write(
            options,
            population,
            inputs,
            notes,
            controls.files(matrix),
            controls.summary(matrix, 6),
            facts,
        )
    except OSError as exc:
        raise Soc2lintError(f"{out}: cannot write the report: {exc.strerror or exc}") from None
    failing = sum(1 for c in matrix.controls if c.status == controls.FAIL)
    click.echo(
        f"{len(population)} changes, {len(matrix.controls)} controls ({failing} failing)"
        + (f" as of {snapshot.date} (commit {snapshot.commit[:12]})" if snapshot else "")
        + f"; report in {out} (summary.md, summary.html, controls.csv, evidence.csv, "
        "exceptions.csv, changes/population.csv, changes/sample.csv, manifest.json)"
    )
    return EXIT_CLEAN


def _head(root: Path) -> str:
    """The commit the work tree is at, "" outside git (the work tree may differ from it)."""
    import subprocess

    from soc2lint import gitrun

    if gitrun.repository_top(str(root)) is None:
        return ""
    try:
        proc = gitrun.run(root, "rev-parse", "--verify", "-q", "HEAD", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.decode("ascii", "replace").strip() if proc.returncode == 0 else ""


def _reconciliation(artifacts: Any) -> list[str]:
    """For each collection with a branch history: its first-parent commits in the period
    against those a merged pull request brought (completeness, for the auditor)."""
    from soc2lint.changes import collection

    out = []
    for artifact in artifacts:
        if artifact.kind != "change-collection" or not artifact.path.endswith("/manifest.json"):
            continue
        path = Path(artifact.abspath)
        try:
            period, _ = collection.read_manifest(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            continue
        chain, problem = collection.first_parent_history(path.parent / "graphql", period)
        if chain is None:
            continue
        brought = sum(1 for c in chain if collection.accounted(c, period.branch))
        out.append(
            f"{artifact.path}: {len(chain)} first-parent commits on {period.branch} in the "
            f"collected period, {brought} brought by merged pull requests, "
            f"{len(chain) - brought} without one (CM001)" + (f"; {problem}" if problem else "")
        )
    return out
