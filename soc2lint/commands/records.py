"""`soc2lint access-review new` and `soc2lint incident new`: start a record under the evidence
directory (`.soc2/records/`), never overwriting one. The record rules (AR, IR) read them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from soc2lint.errors import EXIT_CLEAN, Soc2lintError


def _evidence(root: Path, evidence: Path | None) -> Path:
    """The evidence directory: `--evidence`, else the config's `evidence_dir` under the root."""
    if evidence is not None:
        return evidence if evidence.is_absolute() else root / evidence
    from soc2lint.config import find_config, load_config

    found = find_config(root)
    return root / (load_config(found).evidence_dir if found else ".soc2")


def _write_new(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise Soc2lintError(f"{path}: already exists; not overwritten") from None
    except OSError as exc:
        raise Soc2lintError(f"{path}: cannot write the record: {exc.strerror or exc}") from None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@click.group("access-review")
def access_review() -> None:
    """Quarterly access reviews (.soc2/records/access-reviews/), checked by AR001 and AR002."""


@access_review.command("new")
@click.argument(
    "path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.option("--quarter", help="The quarter reviewed, e.g. 2026Q3. [default: the current one]")
@click.option(
    "--evidence",
    type=click.Path(file_okay=False, path_type=Path),
    help="The evidence directory. [default: the config's evidence_dir, .soc2]",
)
def access_review_new(path: Path | None, quarter: str | None, evidence: Path | None) -> int:
    """Write the quarter's review, one entry per identity of the latest collected exports.

    Org members and admins, teams, outside collaborators and repository admins are read from
    the evidence directory (with each export's sha256 and collection time); every entry starts
    with an empty decision (keep, revoke or change) and reason. An existing review is never
    overwritten.
    """
    from soc2lint.records import dates, exports, generate

    root = path or Path.cwd()
    now = _now()
    chosen = dates.parse_quarter(quarter) if quarter else dates.quarter_of(now.date())
    if chosen is None:
        raise click.BadParameter(f"{quarter!r} is no quarter (e.g. 2026Q3)", param_hint="--quarter")
    directory = _evidence(root, evidence)
    # export paths are named relative to the scan root when the directory is inside it
    base = root if directory.resolve().is_relative_to(root.resolve()) else directory.parent
    found = exports.latest(base, directory.resolve().relative_to(base.resolve()).as_posix())
    target = directory / "records" / "access-reviews" / f"{chosen.name}.yaml"
    text = generate.access_review(chosen, found, dates.moment_text(now))
    _write_new(target, text)
    identities = text.count("\n  - identity: ")
    click.echo(
        f"{target}: {identities} identities from {len(found)} export(s) to decide for {chosen.name}"
    )
    if not found:
        click.echo(
            f"soc2lint: note: no member, team or collaborator export under {directory}/github/: "
            "the review lists nobody (collect them with `soc2lint collect github OWNER/REPO`; "
            "see docs/records.md for members.json and teams.json)",
            err=True,
        )
    return EXIT_CLEAN


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@click.group("incident")
def incident() -> None:
    """Incident records (.soc2/records/incidents/), checked by IR001 and IR002."""


@incident.command("new")
@click.argument(
    "path", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.option("--id", "incident_id", help="The incident's id. [default: INC-YYYYMMDD-N]")
@click.option(
    "--evidence",
    type=click.Path(file_okay=False, path_type=Path),
    help="The evidence directory. [default: the config's evidence_dir, .soc2]",
)
def incident_new(path: Path | None, incident_id: str | None, evidence: Path | None) -> int:
    """Write an incident record template with every field of the schema, to fill in during the
    response. An existing record is never overwritten."""
    from soc2lint.records import generate

    root = path or Path.cwd()
    directory = _evidence(root, evidence)
    folder = directory / "records" / "incidents"
    if incident_id is None:
        stem = f"INC-{_now():%Y%m%d}-"
        taken = {p.stem for p in folder.glob(f"{stem}*")} if folder.is_dir() else set()
        number = 1
        while f"{stem}{number}" in taken:
            number += 1
        incident_id = f"{stem}{number}"
    if not _ID.match(incident_id):
        raise click.BadParameter(
            f"{incident_id!r}: letters, digits, '.', '_' and '-' only", param_hint="--id"
        )
    target = folder / f"{incident_id}.yaml"
    _write_new(target, generate.incident(incident_id))
    click.echo(f"{target}: incident {incident_id}; fill it in during the response")
    return EXIT_CLEAN
