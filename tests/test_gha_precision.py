"""False findings of the GitHub Actions rules seen on real workflows (issue 12), pinned by position
and message, and the language's `exclude:` / `labels:` for detector rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]
Finding = tuple[str, int, int, str]


def _scan(run: Run, root: Path, *extra: str) -> list[Finding]:
    code, out, err = run("--format", "json", "--no-config", "--fail-on", "never", str(root), *extra)
    assert code == 0, err
    return sorted(
        (f["rule_id"], f["line"], f["column"], f["message"]) for f in json.loads(out)["findings"]
    )


def _workflow(write: Callable[..., Path], tmp_path: Path, text: str, name: str = "ci.yml") -> Path:
    write(f".github/workflows/{name}", text)
    return tmp_path


# --- GHA012: references to a secret store, a service container's password, the kind's words ---

VAULT = """\
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          postgres:
            image: postgres:16
            env:
              POSTGRES_PASSWORD: sentry
              AWS_SECRET_ACCESS_KEY: AKIAIOSFODNN7EXAMPLE
        steps:
          - uses: hashicorp/vault-action@v3
            with:
              secrets: |
                kv/data/prod/stripe apikey | STRIPE_KEY ;
                kv/data/prod/npm publish | NPM_TOKEN
          - uses: ./.github/actions/read-vault
            with:
              repo_secrets: |
                STRIPE_KEY=kv/prod/stripe:apikey
              common_secrets: kv/prod/slack#webhook
              secret_name: prodkeyvault1
              api_password: hunter2horsebattery
"""


def test_gha012_skips_secret_store_references_and_service_passwords(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    root = _workflow(write, tmp_path, VAULT)
    assert _scan(run, root, "--select", "GHA012") == [
        (
            "GHA012",
            10,
            34,
            "AWS Access Key written literally in `AWS_SECRET_ACCESS_KEY` (AKIA…(20 chars)): "
            "anyone who can read the repository has it",
        ),
        (
            "GHA012",
            23,
            25,
            "A password or token written literally in `api_password` (hunt…(19 chars)): "
            "anyone who can read the repository has it",
        ),
    ]


def test_gha012_reports_a_vault_action_token_that_is_no_path(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    """Only vault-action's `secrets:` input is a list of paths: its `password:` is a credential."""
    root = _workflow(
        write,
        tmp_path,
        """\
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: hashicorp/vault-action@v3
                with:
                  password: hunter2horsebattery
                  secrets: kv/data/prod/db password | DB_PASSWORD
        """,
    )
    found = _scan(run, root, "--select", "GHA012")
    assert [(r, line, col) for r, line, col, _ in found] == [("GHA012", 8, 21)]
    assert found[0][3].startswith("A password or token written literally in `password`")


# --- the rule language: `exclude:` and `labels:` belong to detector rules ---

DETECTOR_RULE = """\
id: ACME012
name: acme-literal-secret
title: A title of some length
controls: [CC6.1]
severity: high
target: github-workflow
status: stable
{body}
message: "{{secret_type}} in `{{key}}`"
rationale: Why an auditor cares about it.
remediation: What to do about it.
help: How it goes wrong, and what the auditor asks for.
examples:
  fail:
    - code: "on: push\\njobs:\\n  a:\\n    runs-on: x\\n    env: {{DB_PASSWORD: hunter2horsebattery}}\\n"
      expect: ["5:27"]
  pass: [{{code: "on: push\\njobs: {{}}\\n"}}]
"""


def test_a_user_detector_rule_excludes_and_relabels(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(
        "policy/ACME012-acme-literal-secret.yaml",
        DETECTOR_RULE.format(
            body="""\
detector: literal-secret
exclude:
  - for_each: "jobs.*.env.*"
    where: {path: "@key", regex: '^LEGACY_'}
    fields: {secret_type: '^Secret Keyword$'}
    reason: the legacy values are test fixtures of the old pipeline
labels:
  secret_type: {Secret Keyword: A password}"""
        ),
    )
    write(
        "repo/.github/workflows/ci.yml",
        """\
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            env:
              LEGACY_PASSWORD: hunter2horsebattery
              DB_PASSWORD: Tr0ub4dorZebraQuartz
              LEGACY_AWS_KEY: AKIAIOSFODNN7EXAMPLE
        """,
    )
    assert _scan(
        run, tmp_path / "repo", "--rules", str(tmp_path / "policy"), "--select", "ACME012"
    ) == [
        ("ACME012", 7, 20, "A password in `DB_PASSWORD`"),
        ("ACME012", 8, 23, "AWS Access Key in `LEGACY_AWS_KEY`"),
    ]


def test_exclude_on_a_match_rule_and_unknown_fields_are_load_errors(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    rule = write(
        "policy/ACME012-acme-literal-secret.yaml",
        DETECTOR_RULE.format(
            body="""\
detector: literal-secret
labels:
  secret_kind: {Secret Keyword: A password}"""
        ),
    )
    code, _out, err = run("--rules", str(tmp_path / "policy"), str(tmp_path))
    assert code == 2
    assert f"{rule}:" in err and "labels" in err and "unknown field 'secret_kind'" in err
    assert "known: " in err and "secret_type" in err
    write(
        "policy/ACME012-acme-literal-secret.yaml",
        DETECTOR_RULE.format(
            body="""\
match:
  for_each: "jobs.*"
  where: {path: env, exists: true}
exclude:
  - where: {path: env, exists: true}
    reason: a match rule has no detector hits to drop"""
        ).replace("{secret_type}", "{candidate}"),
    )
    code, _out, err = run("--rules", str(tmp_path / "policy"), str(tmp_path))
    assert code == 2 and "exclude" in err and "detector rules" in err


# --- deploy jobs are decided by what they do ---

NOT_DEPLOYS = """\
    name: Production
    on:
      push:
        branches: [main]
      workflow_dispatch:
    jobs:
      prod-deploy:
        name: Prod Deploy
        runs-on: ubuntu-latest
        steps:
          - run: gh pr create --repo acme/gitops --title "Deploy ${GITHUB_SHA}" --body deploy
      release-summary:
        name: Release Summary
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo "## Release summary" >> "$GITHUB_STEP_SUMMARY"
              echo "Released ${GITHUB_SHA}" >> "$GITHUB_STEP_SUMMARY"
      deploy-previews:
        name: Deploy Previews
        runs-on: ubuntu-latest
        steps:
          - run: helm upgrade --install "pr-${PR}" ./chart
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: ./.github/actions/setup-k3d
          - run: helm upgrade --install app ./chart --wait
      e2e-deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: acme/kind-cluster@v1
          - run: kubectl apply -f k8s/
"""

DEPLOY_RULES = ("--select", "GHA001,GHA017,GHA018,GHA020,GHA022,GHA023")


def test_jobs_named_like_deployments_that_deploy_nothing_are_not_reported(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    root = _workflow(write, tmp_path, NOT_DEPLOYS)
    assert _scan(run, root, *DEPLOY_RULES) == []


def test_a_named_deploy_job_with_a_deploy_script_is_still_reported(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    root = _workflow(
        write,
        tmp_path,
        """\
        on:
          push:
            branches: [main]
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: ./scripts/deploy.sh production
        """,
    )
    assert [(r, line, col) for r, line, col, _ in _scan(run, root, *DEPLOY_RULES)] == [
        ("GHA001", 5, 3),
        ("GHA018", 5, 3),
        ("GHA022", 5, 3),
        ("GHA023", 5, 3),
    ]


def test_gha020_dispatch_honours_the_jobs_own_event_test(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    text = """\
        on:
          pull_request:
            types: [closed]
          workflow_dispatch:
        jobs:
          release:
            if: {cond}
            runs-on: ubuntu-latest
            steps:
              - run: npx semantic-release
        """
    root = _workflow(
        write,
        tmp_path,
        text.replace(
            "{cond}",
            "github.event_name == 'pull_request' && github.event.pull_request.merged == true",
        ),
    )
    assert _scan(run, root, "--select", "GHA020") == []
    root = _workflow(
        write,
        tmp_path,
        text.replace(
            "{cond}",
            "github.event_name == 'workflow_dispatch' || github.event.pull_request.merged == true",
        ),
    )
    found = _scan(run, root, "--select", "GHA020")
    assert [(r, line, col) for r, line, col, _ in found] == [("GHA020", 6, 3)]
    assert "`workflow_dispatch`" in found[0][3]


def test_gha018_honours_chart_testing_and_type_checks(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    text = """\
        on:
          push:
            branches: [main]
        jobs:
          release:
            runs-on: ubuntu-latest
            environment: npm
            steps:
              - run: {check}
              - run: pnpm publish --no-git-checks
        """
    for check in ("ct lint --config ct.yaml", "pnpm run typecheck", "npx tsc --noEmit"):
        root = _workflow(write, tmp_path, text.replace("{check}", check))
        assert _scan(run, root, "--select", "GHA018") == [], check
    root = _workflow(write, tmp_path, text.replace("{check}", "pnpm run build"))
    assert [(r, line, col) for r, line, col, _ in _scan(run, root, "--select", "GHA018")] == [
        ("GHA018", 5, 3)
    ]


# --- GHA016: fork gates behind `needs:` ---

GATED = """\
    on: pull_request
    jobs:
      check-permissions:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/github-script@v7
            with:
              script: |
                const {data} = await github.rest.repos.getCollaboratorPermissionLevel({
                  owner: context.repo.owner, repo: context.repo.repo, username: context.actor})
                if (!['admin', 'write'].includes(data.permission)) core.setFailed('not allowed')
      build:
        needs: check-permissions
        runs-on: ubuntu-latest
        steps: [{run: make}]
      gpu-tests:
        needs: build
        if: {cond}
        runs-on: [self-hosted, gpu]
        steps:
          - run: make gpu-test
"""


def test_gha016_sees_a_fork_gate_behind_needs(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    root = _workflow(write, tmp_path, GATED.replace("{cond}", "success()"))
    assert _scan(run, root, "--select", "GHA016") == []
    # `always()` runs the job even when the gate failed: reported
    root = _workflow(write, tmp_path, GATED.replace("{cond}", "always()"))
    assert [(r, line, col) for r, line, col, _ in _scan(run, root, "--select", "GHA016")] == [
        ("GHA016", 19, 15)
    ]


# --- messages that claimed what the workflow does not do ---


def test_gha022_mentions_a_concurrency_group_only_when_there_is_one(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    text = """\
        on:
          push:
            branches: [main]
        {concurrency}
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: make test && kubectl apply -f k8s/
        """
    root = _workflow(write, tmp_path, text.replace("{concurrency}", ""))
    (finding,) = _scan(run, root, "--select", "GHA022")
    assert finding[:3] == ("GHA022", 6, 3)
    assert "concurrency" not in finding[3]
    root = _workflow(write, tmp_path, text.replace("{concurrency}", "concurrency: deploy"))
    (finding,) = _scan(run, root, "--select", "GHA022")
    assert finding[:3] == ("GHA022", 6, 3)
    assert "holding its concurrency group" in finding[3]


def test_gha017_composite_action_message_claims_no_deploy(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(
        ".github/actions/setup/action.yml",
        """\
        name: setup
        runs:
          using: composite
          steps:
            - shell: bash
              run: curl -fsSL https://get.example.com/cli.sh | bash
        """,
    )
    (finding,) = _scan(run, tmp_path, "--select", "GHA017")
    assert finding[:3] == ("GHA017", 6, 12)
    assert "deploys included" not in finding[3] and "every job that uses the action" in finding[3]


def test_gha025_tells_to_move_a_step_level_workflow_call_to_a_job(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    root = _workflow(
        write,
        tmp_path,
        """\
        on: push
        jobs:
          ci:
            runs-on: ubuntu-latest
            steps:
              - uses: ./.github/workflows/test.yml
        """,
    )
    (finding,) = _scan(run, root, "--select", "GHA025")
    assert finding[:3] == ("GHA025", 6, 15)
    assert "a job with `uses: ./.github/workflows/test.yml`" in finding[3]


def test_gha005_message_says_what_runs_the_code(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    root = _workflow(
        write,
        tmp_path,
        """\
        on:
          pull_request_target:
            types: [labeled]
        jobs:
          test:
            if: contains(github.event.pull_request.labels.*.name, 'safe to test')
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  ref: ${{ github.event.pull_request.head.sha }}
                  allow-unsafe-pr-checkout: true
        """,
    )
    (finding,) = _scan(run, root, "--select", "GHA005")
    assert finding[:3] == ("GHA005", 11, 16)
    assert "any later step that builds, installs or runs it" in finding[3]
    assert "runs with the base repository's secrets" not in finding[3]
