"""Configuration, selection, severity overrides, parameters, exceptions and inline suppressions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WRITE_ALL = """\
on: push
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/lint@v1
"""


def findings(
    run: Callable[..., tuple[int, str, str]], root: Path, *extra: str
) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run("--format", "json", str(root), *extra)
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def active(items: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return [(f["rule_id"], f["line"], f["column"]) for f in items if f["suppressed"] is None]


def test_zero_config(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    code, items = findings(run, tmp_path)
    assert code == 1
    assert active(items) == [("GHA002", 2, 14), ("GHA003", 7, 15)]


def test_select_ignore_by_id_prefix_and_name(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    assert active(findings(run, tmp_path, "--select", "GHA002")[1]) == [("GHA002", 2, 14)]
    assert active(findings(run, tmp_path, "--ignore", "unpinned-action")[1]) == [("GHA002", 2, 14)]
    # the longer prefix wins: select the family, ignore one rule of it
    assert active(findings(run, tmp_path, "--select", "GHA", "--ignore", "GHA003")[1]) == [
        ("GHA002", 2, 14)
    ]
    assert active(findings(run, tmp_path, "--select", "KUB")[1]) == []


def test_config_severity_override_and_fail_on(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    write(
        ".soc2lint.yaml",
        """\
        severity:
          GHA002: low
          unpinned-action: info
    """,
    )
    code, items = findings(run, tmp_path, "--fail-on", "medium")
    assert code == 0
    assert {f["rule_id"]: f["severity"] for f in items} == {"GHA002": "low", "GHA003": "info"}
    assert findings(run, tmp_path)[0] == 1  # default --fail-on low
    assert findings(run, tmp_path, "--fail-on", "never")[0] == 0


def test_parameters_are_the_team_policy(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    write(
        ".soc2lint.yaml",
        """\
        parameters:
          trusted_actions: ["actions/*", "acme/*"]
    """,
    )
    assert active(findings(run, tmp_path)[1]) == [("GHA002", 2, 14)]


def test_bad_parameter_value_is_a_config_error(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    write(".soc2lint.yaml", "rule_parameters:\n  GHA003:\n    trusted_actions: 7\n")
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert "trusted_actions" in err and "GHA003" in err and len(err.strip().splitlines()) == 1


def test_exceptions_with_reason_and_expiry(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    write(".github/workflows/other.yml", WRITE_ALL)
    write(
        ".soc2lint.yaml",
        """\
        exceptions:
          - rule: GHA002
            path: .github/workflows/ci.yml
            reason: Sandbox workflow with no secrets; reviewed by security (SEC-101)
            expires: 2999-12-31
          - rule: unpinned-action
            reason: Pinned by our internal mirror; exception approved in SEC-7
            expires: 2020-01-01
    """,
    )
    code, items = findings(run, tmp_path)
    assert code == 1
    by = {(f["path"], f["rule_id"]): f for f in items}
    ok = by[(".github/workflows/ci.yml", "GHA002")]["suppressed"]
    assert ok == {
        "kind": "config",
        "reason": "Sandbox workflow with no secrets; reviewed by security (SEC-101)",
        "expires": "2999-12-31",
    }
    assert by[(".github/workflows/other.yml", "GHA002")]["suppressed"] is None
    # expired: the finding comes back, and says so
    expired = by[(".github/workflows/ci.yml", "GHA003")]
    assert expired["suppressed"] is None and expired["properties"] == {
        "exception_expired": "2020-01-01"
    }
    code, out, err = run(str(tmp_path))
    assert "expired on 2020-01-01" in err


def test_exception_without_reason_is_rejected(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "exceptions:\n  - rule: GHA002\n    path: '**'\n")
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert err.strip() == (
        "soc2lint: error: "
        + str(tmp_path / ".soc2lint.yaml")
        + ":2: key 'exceptions.0': 'reason' is required"
    )


def test_unknown_config_key_names_key_and_line(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "select: [GHA]\nexlude: [vendor]\n")
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert ".soc2lint.yaml:2: key 'exlude': unknown key 'exlude'" in err


def test_exception_for_unknown_rule_is_an_error(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "exceptions:\n  - rule: GHA999\n    reason: a typo in the rule id\n")
    code, _, err = run(str(tmp_path))
    assert code == 2 and "unknown rule 'GHA999'" in err


def test_inline_suppression_same_line_and_line_above(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(
        ".github/workflows/ci.yml",
        """\
        on: push
        permissions: write-all  # soc2lint: ignore[GHA002] sandbox repository, approved SEC-9
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              # soc2lint: ignore[unpinned-action] vendored fork we own (SEC-10)
              - uses: acme/lint@v1
              - uses: acme/other@v1
    """,
    )
    code, items = findings(run, tmp_path)
    assert active(items) == [("GHA003", 9, 15)]
    reasons = sorted(f["suppressed"]["reason"] for f in items if f["suppressed"])
    assert reasons == ["sandbox repository, approved SEC-9", "vendored fork we own (SEC-10)"]


def test_suppression_without_reason_is_not_honoured(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(
        ".github/workflows/ci.yml",
        """\
        on: push
        permissions: write-all  # soc2lint: ignore[GHA002]
        jobs: {}
    """,
    )
    code, items = findings(run, tmp_path)
    assert active(items) == [("GHA002", 2, 14), ("SL002", 2, 25)]


def test_suppression_of_another_rule_does_not_apply(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(
        ".github/workflows/ci.yml",
        """\
        on: push
        permissions: write-all  # soc2lint: ignore[GHA003] wrong rule named here
        jobs: {}
    """,
    )
    assert active(findings(run, tmp_path)[1]) == [("GHA002", 2, 14)]


def test_user_rules_directory(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    rules = tmp_path / "policy"
    write(
        "policy/ACME001-runner-must-be-pinned.yaml",
        """\
        id: ACME001
        name: ubuntu-latest-runner
        title: Jobs must run on a pinned runner image
        controls: [CC8.1]
        severity: low
        target: github-workflow
        status: stable
        match:
          for_each: jobs.*.runs-on
          where: {equals: ubuntu-latest}
        message: "Job runs on the moving image '{value}'"
        rationale: Moving runner images change the build environment without review.
        remediation: Use ubuntu-24.04.
        help: Runner images labelled latest change when GitHub moves the label.
        examples:
          fail: [{code: "jobs: {a: {runs-on: ubuntu-latest}}\\n", expect: ["1:24"]}]
          pass: [{code: "jobs: {a: {runs-on: ubuntu-24.04}}\\n"}]
    """,
    )
    repo = tmp_path / "repo"
    write(".github/workflows/ci.yml", WRITE_ALL, root=repo)
    code, items = findings(run, repo, "--rules", str(rules), "--select", "ACME001")
    assert active(items) == [("ACME001", 5, 14)]
    assert items[0]["message"] == "Job runs on the moving image 'ubuntu-latest'"
    # and from config, relative to the config file
    write(".soc2lint.yaml", "rule_dirs: [../policy]\nselect: [ACME]\n", root=repo)
    assert active(findings(run, repo)[1]) == [("ACME001", 5, 14)]


def test_user_rule_uses_a_builtin_named_condition_and_its_parameters(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(
        "policy/ACME002-deploy-needs-owner.yaml",
        """\
        id: ACME002
        name: deploy-without-owner-label
        title: Deploy jobs must name an owning team
        controls: [CC8.1]
        severity: low
        target: github-workflow
        status: stable
        match:
          for_each: jobs.*
          where: {use: deploy-job}
          assert: {path: env.OWNER, exists: true}
        message: "Deploy job '{candidate}' names no OWNER"
        rationale: Every production change needs an accountable owner.
        remediation: Set env.OWNER on the job.
        help: Auditors ask who owns each deployment pipeline.
        examples:
          fail: [{code: "jobs: {ship: {steps: [{run: flyctl deploy}]}}\\n", expect: ["1:8"]}]
          pass: [{code: "jobs: {ship: {env: {OWNER: sre}, steps: [{run: flyctl deploy}]}}\\n"}]
    """,
    )
    repo = tmp_path / "repo"
    write(
        ".github/workflows/ship.yml",
        "on: push\njobs:\n  ship:\n    steps:\n      - run: ./publish.sh\n",
        root=repo,
    )
    code, items = findings(run, repo, "--rules", str(tmp_path / "policy"), "--select", "ACME002")
    assert active(items) == []  # ./publish.sh is no deploy command by default
    # the shared parameter, set once in the policy, changes what every deploy rule sees
    write(".soc2lint.yaml", "parameters:\n  deploy_commands: ['publish\\.sh']\n", root=repo)
    code, items = findings(
        run, repo, "--rules", str(tmp_path / "policy"), "--select", "ACME002,GHA001"
    )
    assert active(items) == [("ACME002", 3, 3), ("GHA001", 3, 3)]


def test_broken_condition_library_is_one_line(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(
        "policy/_conditions.yaml",
        "conditions:\n  deploy-job:\n    description: dup\n"
        "    condition: {path: x, exists: true}\n",
    )
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2
    assert (
        "_conditions.yaml:2: key 'conditions.deploy-job': named condition 'deploy-job' also defined in rules/gha/_conditions.yaml"
        in err
    )
    write(
        "policy/_conditions.yaml",
        "conditions:\n  my-cond:\n    condition: {path: x, exists: true}\n",
    )
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2 and "key 'conditions.my-cond': 'description' is required" in err


def test_messages_quote_the_candidates_own_values_and_size(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    rule = """\
        id: ACME003
        name: too-many-steps
        title: A job has too many steps
        controls: [CC8.1]
        severity: low
        target: github-workflow
        status: stable
        match:
          for_each: jobs.*
          where: {path: steps, length: {gt: 1}}
          message: "Job on {candidate.runs-on} ({candidate.name}) has {count} keys"
        message: "{PLACEHOLDER}"
        rationale: Long jobs are hard to review.
        remediation: Split the job.
        help: Every step of a job is one more thing a reviewer has to read and approve.
        examples:
          fail: [{code: "jobs: {a: {runs-on: x, steps: [{run: a}, {run: b}]}}\\n", expect: ["1:9"]}]
          pass: [{code: "jobs: {a: {runs-on: x, steps: [{run: a}]}}\\n"}]
    """
    write(
        "policy/ACME003-too-many-steps.yaml", rule.replace("{PLACEHOLDER}", "{candidate.runs-on}")
    )
    repo = tmp_path / "repo"
    write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps: [{run: a}, {run: b}]\n",
        root=repo,
    )
    _, items = findings(run, repo, "--rules", str(tmp_path / "policy"), "--select", "ACME003")
    # a key the candidate lacks reads "(not set)"
    assert [i["message"] for i in items] == ["Job on ubuntu-24.04 ((not set)) has 2 keys"]
    # a nested path is not a placeholder: a load error naming the key
    write("policy/ACME003-too-many-steps.yaml", rule.replace("{PLACEHOLDER}", "{candidate.a.b}"))
    code, _, err = run("--rules", str(tmp_path / "policy"), str(repo))
    assert code == 2 and "unknown placeholder {candidate.a.b}" in err


def test_config_schema_check_is_cached_in_the_git_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config beside `.git` that passed the schema is not checked again (no jsonschema import
    on a pre-commit run); changed bytes are checked again, and a bad config is never cached."""
    from soc2lint import config
    from soc2lint.errors import ConfigError

    (tmp_path / ".git").mkdir()
    path = tmp_path / ".soc2lint.yaml"
    path.write_text("select: [GHA]\n")
    checked: list[Any] = []
    real = config._schema_check

    def spy(data: Any, source: str, root: Any) -> None:
        checked.append(data)
        real(data, source, root)

    monkeypatch.setattr(config, "_schema_check", spy)
    assert config.load_config(path).select == ("GHA",)
    assert config.load_config(path).select == ("GHA",)
    assert len(checked) == 1  # the second load trusted the cache
    assert (tmp_path / ".git" / "soc2lint" / "config.json").is_file()
    path.write_text("select: [GHA]\nbogus: 1\n")
    with pytest.raises(ConfigError, match="bogus"):
        config.load_config(path)
    with pytest.raises(ConfigError, match="bogus"):
        config.load_config(path)
    assert len(checked) == 3  # a failing config is checked every time
    path.write_text("select: [GHA]\n")
    assert config.load_config(path).select == ("GHA",)
    assert len(checked) == 3  # the old bytes are known again
