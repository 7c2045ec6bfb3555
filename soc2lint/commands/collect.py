"""`soc2lint collect github`: export a platform's settings into an evidence directory."""

from __future__ import annotations

import os
from pathlib import Path

import click

from soc2lint.errors import EXIT_CLEAN, EXIT_FINDINGS


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
def collect_github(
    repository: str, out: Path, api_url: str, branch: str | None, org: bool | None, timeout: float
) -> int:
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
    if settings_read(manifest) == 0:
        click.echo(
            f"soc2lint: error: none of the {len(files) - 1} settings endpoints of "
            f"{manifest['repository']} could be read: the evidence in {out} proves nothing",
            err=True,
        )
        return EXIT_FINDINGS
    return EXIT_CLEAN
