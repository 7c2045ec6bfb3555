"""`soc2lint collect github`: export a platform's settings (and, with `--changes`, its change
evidence) into an evidence directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from soc2lint.errors import EXIT_CLEAN, EXIT_FINDINGS

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from soc2lint.collect.http import Client


@click.group()
def collect() -> None:
    """Export evidence from a platform's API into an evidence directory."""


@collect.command("github")
@click.argument("repository", metavar="OWNER/REPO")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".soc2"),
    show_default=True,
    metavar="DIR",
    help="Evidence directory.",
)
@click.option(
    "--api-url",
    default="https://api.github.com",
    show_default=True,
    metavar="URL",
    help="REST API root; GitHub Enterprise Server: https://HOST/api/v3.",
)
@click.option(
    "--branch",
    metavar="NAME",
    help="Branch whose protection and rules to export. [default: the repository's default branch]",
)
@click.option(
    "--org/--no-org",
    default=None,
    help="Export the organization's settings and members. "
    "[default: when the owner is an organization]",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds to wait for each response, body included.",
)
@click.option(
    "--changes",
    is_flag=True,
    help="Also collect the change evidence of the branch: merged pull requests (GraphQL), "
    "its commits, activity and rule-suite bypasses, into github/OWNER/REPO/changes/.",
)
@click.option(
    "--since",
    metavar="DATE",
    help="With --changes: start of the period, YYYY-MM-DD or RFC 3339. "
    "[default: 365 days before --until]",
)
@click.option(
    "--until",
    metavar="DATE",
    help="With --changes: end of the period (a date: its end), YYYY-MM-DD or RFC 3339. "
    "[default: now]",
)
def collect_github(
    repository: str,
    out: Path,
    api_url: str,
    branch: str | None,
    org: bool | None,
    timeout: float,
    changes: bool,
    since: str | None,
    until: str | None,
) -> int:
    """Export GitHub REST API payloads of OWNER/REPO, unchanged, with a manifest.

    Reads the token from GITHUB_TOKEN, else GH_TOKEN. Endpoints the token may not read (403, 404)
    are recorded in the manifest with their status and a note; collection goes on. Exits 1 when
    no settings endpoint could be read, or when the change evidence (--changes) is incomplete;
    an interrupted or failed run keeps the previous evidence.
    """
    from soc2lint.collect.github import (
        MANIFEST,
        parse_repository,
        settings_read,
        token_from_env,
        utc_now,
    )
    from soc2lint.collect.github import collect as run_collect
    from soc2lint.collect.http import Client, CollectError

    owner, repo = parse_repository(repository)
    window = None
    if changes:
        from soc2lint.collect.changes import period

        window = period(since, until, utc_now())
    elif since or until:
        raise CollectError(f"--{'since' if since else 'until'} needs --changes")
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
            click.echo(
                f"soc2lint: note: {entry['endpoint']} answered {entry['status']}: {entry['note']}",
                err=True,
            )
    ok = sum(1 for entry in files if entry["status"] == 200)
    click.echo(
        f"Collected {len(files)} endpoints of {manifest['repository']} (branch "
        f"{manifest['branch']}) into {out}: {ok} answered 200, {len(files) - ok} did not; "
        f"manifest: {out / MANIFEST}"
    )
    code = EXIT_CLEAN
    if settings_read(manifest) == 0:
        click.echo(
            f"soc2lint: error: none of the {len(files) - 1} settings endpoints of "
            f"{manifest['repository']} could be read: the evidence in {out} proves nothing",
            err=True,
        )
        code = EXIT_FINDINGS
    if window is not None:
        complete = _collect_changes(client, owner, repo, out, manifest["branch"], window, utc_now)
        if complete is None:
            return 130
        if not complete:
            code = EXIT_FINDINGS
    return code


def _collect_changes(
    client: Client,
    owner: str,
    repo: str,
    out: Path,
    branch: str,
    window: tuple[datetime, datetime],
    clock: Callable[[], datetime],
) -> bool | None:
    """The change collection after the settings: True when complete, None when interrupted."""
    from soc2lint.collect.changes import collect_changes
    from soc2lint.collect.http import CollectError

    where = out / "github" / owner / repo / "changes"
    try:
        manifest = collect_changes(
            client,
            owner,
            repo,
            out,
            branch=branch,
            since=window[0],
            until=window[1],
            clock=clock,
            progress=sys.stderr,
        )
    except OSError as exc:
        raise CollectError(f"cannot write under {where}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        click.echo(
            f"soc2lint: interrupted: the change evidence in {where} was left as it was", err=True
        )
        return None
    for entry in manifest["files"]:
        if entry.get("note"):
            status = entry["status"] if entry["status"] is not None else "nothing"
            click.echo(
                f"soc2lint: note: {entry['endpoint']} answered {status}: {entry['note']}",
                err=True,
            )
    for note in manifest["notes"]:
        click.echo(f"soc2lint: note: {note}", err=True)
    totals = manifest["totals"]
    state = "complete" if manifest["complete"] else "INCOMPLETE"
    click.echo(
        f"Collected the changes of {manifest['repository']} (branch {branch}, "
        f"{manifest['since']} to {manifest['until']}): {totals['pull_requests']} merged pull "
        f"requests, {totals['pages']} pages, {totals['requests']} requests, "
        f"{totals['points']} rate-limit points; {state}; written to {where}"
    )
    if not manifest["complete"]:
        click.echo(
            f"soc2lint: error: the change evidence of {manifest['repository']} is incomplete "
            "(see the notes above): the change-management rules will report it (CM012)",
            err=True,
        )
    return bool(manifest["complete"])
