"""False findings of the GitHub Actions rules seen on the check-2 corpus (bench/gha-check2.txt,
issue 12), each pinned both ways with fixture text of our own: the shape that was wrongly
reported is not, and the real violation beside it still is."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]


def _found(run: Run, root: Path, *extra: str) -> list[tuple[str, str, int, int]]:
    code, out, err = run("--format", "json", "--no-config", "--fail-on", "never", str(root), *extra)
    assert code == 0, err
    return sorted(
        (f["rule_id"], f["path"], f["line"], f["column"]) for f in json.loads(out)["findings"]
    )


DEPLOY_RULES = ("--select", "GHA001,GHA018,GHA020,GHA022,GHA023")

# --- a job named "Release" that only opens the release pull request ---------------------------

RELEASE_PR = """\
    on:
      push:
        branches: [main]
    concurrency: release-${{{{ github.ref }}}}
    jobs:
      changesets:
        name: Release
        runs-on: ubuntu-latest
        permissions:
          contents: write
          pull-requests: write
        steps:
          - uses: actions/checkout@v4
          - run: |
              pnpm exec changeset status --output=status.json
              NEXT=$(jq -r '.releases[] | select(.name=="app") | .newVersion' status.json)
              cargo build --release
          - uses: changesets/action@v1
            with:
              version: pnpm run version
          {extra}
"""


def test_a_release_pr_job_is_no_deployment(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    """`.releases[]` in a jq filter and `cargo build --release` say nothing about deploying."""
    write(".github/workflows/release.yml", RELEASE_PR.format(extra=""))
    assert _found(run, tmp_path, *DEPLOY_RULES) == []


def test_a_release_job_that_publishes_is_still_a_deployment(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/release.yml", RELEASE_PR.format(extra="- run: pnpm run release"))
    path = ".github/workflows/release.yml"
    assert _found(run, tmp_path, *DEPLOY_RULES) == [
        ("GHA001", path, 6, 3),
        ("GHA018", path, 6, 3),
        ("GHA022", path, 6, 3),
    ]


def test_a_make_target_ending_in_publish_is_still_deploy_evidence(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    """Only a jq/JSON path's leading field is no evidence: `make site.publish` is."""
    write(
        ".github/workflows/site.yml",
        """\
        on:
          push:
            branches: [main]
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make site.publish
        """,
    )
    assert [r for r, *_ in _found(run, tmp_path, *DEPLOY_RULES)] == [
        "GHA001",
        "GHA018",
        "GHA022",
        "GHA023",
    ]


# --- a job named like a release that edits the release notes -----------------------------------

NOTES = """\
    on:
      release:
        types: [published]
    jobs:
      polish-release:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python tools/relman.py release {command} --tag "$TAG"
            env:
              TAG: ${{{{ github.event.release.tag_name }}}}
"""


def test_a_job_editing_release_notes_is_no_deployment(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/notes.yml", NOTES.format(command="add-release-notes"))
    assert _found(run, tmp_path, *DEPLOY_RULES) == []


def test_a_release_job_running_a_release_tool_is_still_a_deployment(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/notes.yml", NOTES.format(command="upload"))
    path = ".github/workflows/notes.yml"
    assert _found(run, tmp_path, *DEPLOY_RULES) == [
        ("GHA001", path, 5, 3),
        ("GHA018", path, 5, 3),
        ("GHA022", path, 5, 3),
        ("GHA023", path, 5, 3),
    ]


# --- a deploy command that is only printed -----------------------------------------------------

CHART = """\
    on: pull_request
    permissions:
      contents: read
    jobs:
      chart:
        name: Push chart
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: |
              {line} upgrade --install app oci://registry.example/charts/app --version 0.0.1-pr
"""


def test_an_echoed_deploy_command_deploys_nothing(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/chart.yml", CHART.format(line='echo "Try it:" && echo helm'))
    write(".github/workflows/chart2.yml", CHART.format(line="# helm"))
    assert _found(run, tmp_path, *DEPLOY_RULES) == []


def test_a_deploy_command_that_runs_is_still_a_deployment(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/chart.yml", CHART.format(line="helm"))
    write(".github/workflows/chart2.yml", CHART.format(line='echo "Deploying" && helm'))
    assert [(r, p, line) for r, p, line, _c in _found(run, tmp_path, *DEPLOY_RULES)] == [
        (rule, f".github/workflows/{name}", 5)
        for rule in ("GHA001", "GHA018", "GHA020", "GHA022", "GHA023")
        for name in ("chart.yml", "chart2.yml")
    ]


# --- GHA012: the test side of a service container's password -----------------------------------

SERVICE_CLIENT = """\
    on: pull_request
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          db:
            image: postgres:16
            env:
              POSTGRES_PASSWORD: quokka
        env:
          APP_TEST_DB_PASSWORD: quokka
          DEPLOY_PASSWORD: "Zq8vR2xWm4TnK7pLs9YbC3dF"
          ADMIN_PASSWORD: AKIAIOSFODNN7EXAMPLE
        steps:
          - run: make test
            env:
              CACHE_PASSWORD: quokka2
"""


def test_gha012_skips_the_tests_copy_of_a_service_password(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    """A plain word under a password name, in a workflow with service containers, is the test
    side of the throwaway database; a random string and a provider key there are reported."""
    write(".github/workflows/test.yml", SERVICE_CLIENT)
    path = ".github/workflows/test.yml"
    assert _found(run, tmp_path, "--select", "GHA012") == [
        ("GHA012", path, 12, 24),
        ("GHA012", path, 13, 23),
    ]


def test_gha012_reports_a_plain_password_without_service_containers(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    lines = SERVICE_CLIENT.splitlines(keepends=True)
    write(".github/workflows/test.yml", "".join(lines[:4] + lines[9:]))
    path = ".github/workflows/test.yml"
    assert _found(run, tmp_path, "--select", "GHA012") == [
        ("GHA012", path, 6, 29),
        ("GHA012", path, 7, 24),
        ("GHA012", path, 8, 23),
        ("GHA012", path, 12, 27),
    ]


# --- GHA031: an OIDC token a tool fetches because a setting tells it to --------------------------

OIDC_TOOL = """\
    on: push
    permissions:
      id-token: write
      contents: read
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: buildtool test --remote-cache
            {env}
"""


def test_gha031_trusts_a_tool_told_to_use_oidc(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", OIDC_TOOL.format(env="env: {CACHE_AUTH: oidc}"))
    assert _found(run, tmp_path, "--preview", "--select", "GHA031") == []


def test_gha031_still_reports_an_id_token_nothing_uses(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", OIDC_TOOL.format(env="env: {CACHE_AUTH: none}"))
    assert _found(run, tmp_path, "--preview", "--select", "GHA031") == [
        ("GHA031", ".github/workflows/ci.yml", 3, 3)
    ]
