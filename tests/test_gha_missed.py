"""GitHub Actions problems a peer found that soc2lint missed (issue 12), and the GHA004/GHA026
false findings on expressions that yield a boolean or a constant: (file, line, column, rule)."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from soc2lint.config import Config
from soc2lint.detectors.injection import value_contexts
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.scan.engine import scan

RULES = select_rules(load_rules([builtin_rules_dir()]), preview=True)


def findings(root: Path, files: dict[str, str], *ids: str) -> list[tuple[str, int, int, str]]:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    rules = [r for r in RULES if r.id in ids]
    result = scan(root, rules, Config(), today=dt.date(2026, 1, 1), jobs=1)
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_column, f.rule.id)
        for f in result.findings
    )


@pytest.mark.parametrize(
    ("expression", "contexts"),
    [
        ("github.event.pull_request.title == 'foo'", []),
        ("contains(github.event.issue.body, 'x')", []),
        ("github.event.pull_request.title && 'a' || 'b'", []),
        ("!github.event.issue.title", []),
        ("startsWith(github.head_ref, 'fix/') && 'fix' || 'other'", []),
        ("github.event.pull_request.title || 'untitled'", ["github.event.pull_request.title"]),
        ("'x' && github.head_ref", ["github.head_ref"]),
        ("format('{0}!', github.event.issue.title)", ["github.event.issue.title"]),
        ("toJSON(github.event.issue)", ["github.event.issue"]),
        ("fromJSON(steps.meta.outputs.json).tags", ["steps.meta.outputs.json"]),
        ("(github.event.issue.title)", ["github.event.issue.title"]),
        # not GitHub's grammar: every named context counts, as before
        ("github.event.issue.title + 1", ["github.event.issue.title"]),
    ],
)
def test_value_contexts(expression: str, contexts: list[str]) -> None:
    assert value_contexts(f" {expression} ") == contexts


def test_boolean_and_constant_expressions_are_not_injection(tmp_path: Path) -> None:
    wf = """\
        on:
          pull_request_target:
          workflow_dispatch:
            inputs:
              version: {type: string}
        jobs:
          label:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "${{ github.event.pull_request.title == 'foo' }}"
                  echo "${{ contains(github.event.pull_request.body, 'x') }}"
                  echo "${{ github.event.pull_request.title && 'a' || 'b' }}"
                  echo "${{ inputs.version == 'latest' }}"
                  echo "${{ github.event.pull_request.title || 'none' }}"
                  echo "${{ inputs.version || 'latest' }}"
        """
    assert findings(tmp_path, {".github/workflows/l.yml": wf}, "GHA004", "GHA026") == [
        (".github/workflows/l.yml", 15, 17, "GHA004"),
        (".github/workflows/l.yml", 16, 17, "GHA026"),
    ]


KYVERNO_CALLER = """\
    name: Cherry pick
    permissions: {}
    on:
      issue_comment:
        types: [created, edited]
    jobs:
      execute:
        if: github.event.issue.pull_request && startsWith(github.event.comment.body, '/cherry-pick')
        permissions: {issues: write, pull-requests: write, contents: write}
        runs-on: ubuntu-latest
        steps:
          - id: app-token
            uses: actions/create-github-app-token@v2
            with:
              client-id: ${{ secrets.APP_CLIENT_ID }}
              private-key: ${{ secrets.APP_PRIVATE_KEY }}
          - uses: actions/checkout@v4
          - name: Cherry Pick
            uses: ./.github/actions/git/cherry-pick
            with:
              github-token: ${{ steps.app-token.outputs.token }}
              source-pr: ${{ github.event.issue.number }}
              source-pr-title: ${{ github.event.issue.title }}
              target-branches: ${{ steps.extract-branch.outputs.branch }}
    """
KYVERNO_ACTION = """\
    name: Cherry Pick Action
    inputs:
      source-pr-title: {required: true}
      source-pr: {required: true}
    runs:
      using: composite
      steps:
        - shell: bash
          run: |
            gh pr create \\
              --title "${{ inputs.source-pr-title }} (Cherry-pick #${{ inputs.source-pr }})"
    """


def test_composite_action_input_injection_kyverno(tmp_path: Path) -> None:
    files = {
        ".github/workflows/comment-cherry-pick.yaml": KYVERNO_CALLER,
        ".github/actions/git/cherry-pick/action.yaml": KYVERNO_ACTION,
    }
    assert findings(tmp_path, files, "GHA027", "GHA029", "GHA004") == [
        (".github/workflows/comment-cherry-pick.yaml", 13, 15, "GHA029"),
        (".github/workflows/comment-cherry-pick.yaml", 23, 28, "GHA027"),
    ]


def test_local_call_message_names_the_sink(tmp_path: Path) -> None:
    files = {
        ".github/workflows/comment-cherry-pick.yaml": KYVERNO_CALLER,
        ".github/actions/git/cherry-pick/action.yaml": KYVERNO_ACTION,
    }
    for rel, content in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(content), encoding="utf-8")
    rules = [r for r in RULES if r.id == "GHA027"]
    (finding,) = scan(tmp_path, rules, Config(), jobs=1).findings
    assert finding.message == (
        "`${{ github.event.issue.title }}` passes `github.event.issue.title`, which an outside"
        " contributor controls, to input `source-pr-title` of `./.github/actions/git/cherry-pick`,"
        " which expands it into a script at .github/actions/git/cherry-pick/action.yaml:9"
    )


def test_local_call_safe_callee_missing_callee_and_escape(tmp_path: Path) -> None:
    caller = """\
        on: pull_request_target
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: ./.github/actions/safe
                with: {title: "${{ github.event.pull_request.title }}"}
              - uses: ./.github/actions/missing
                with: {title: "${{ github.event.pull_request.title }}"}
              - uses: ./../outside
                with: {title: "${{ github.event.pull_request.title }}"}
          b:
            uses: ./.github/workflows/called.yml
            with:
              draft: ${{ github.event.pull_request.title }}
              title: ${{ github.event.pull_request.title }}
        """
    safe = """\
        runs:
          using: composite
          steps:
            - shell: bash
              env: {TITLE: "${{ inputs.title }}"}
              run: echo "$TITLE ${{ inputs.title == 'x' }}"
        """
    called = """\
        on:
          workflow_call:
            inputs:
              draft: {type: boolean}
              title: {type: string}
        jobs:
          c:
            runs-on: ubuntu-latest
            steps:
              - run: echo ${{ inputs.draft }} ${{ inputs.title }}
        """
    outside = "runs: {using: composite, steps: [{shell: bash, run: 'echo ${{ inputs.title }}'}]}\n"
    root = tmp_path / "repo"
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "action.yml").write_text(outside, encoding="utf-8")
    files = {
        ".github/workflows/pr.yml": caller,
        ".github/actions/safe/action.yml": safe,
        ".github/workflows/called.yml": called,
    }
    assert findings(root, files, "GHA027") == [(".github/workflows/pr.yml", 16, 14, "GHA027")]


def test_always_true_condition_dapr(tmp_path: Path) -> None:
    wf = """\
        on: push
        jobs:
          publish:
            runs-on: ubuntu-latest
            steps:
              - name: publish binaries to github
                if: startswith(github.ref, 'refs/tags/v') && ${{ env.ALPHA_RELEASE }} != "true"
                run: ./publish.sh
              - if: ${{ env.ALPHA_RELEASE != 'true' }}
                run: ./publish.sh
              - if: "${{ env.A }}"
                run: ./publish.sh
        """
    assert findings(tmp_path, {".github/workflows/dapr.yml": wf}, "GHA028") == [
        (".github/workflows/dapr.yml", 7, 13, "GHA028")
    ]


def test_app_token_only_in_outsider_triggered_workflows(tmp_path: Path) -> None:
    token = """\
        on: {TRIGGER}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/create-github-app-token@v2
                with: {app-id: "1", private-key: "${{ secrets.K }}", permission-issues: write}
              - uses: actions/create-github-app-token@v2
                with: {app-id: "1", private-key: "${{ secrets.K }}"}
        """
    for trigger, expected in (("workflow_run", [9]), ("[push, pull_request]", [])):
        root = tmp_path / trigger.strip("[]").replace(", ", "-")
        files = {".github/workflows/t.yml": token.replace("{TRIGGER}", trigger)}
        assert [f[1] for f in findings(root, files, "GHA029")] == [x - 1 for x in expected]


def test_unused_write_permission(tmp_path: Path) -> None:
    wf = """\
        on: pull_request
        jobs:
          test:
            permissions: {contents: write, pull-requests: read}
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: go test ./...
          comment:
            permissions: {pull-requests: write}
            runs-on: ubuntu-latest
            steps:
              - uses: actions/github-script@v7
                with: {script: "github.rest.issues.createComment({})"}
          docs:
            permissions: {contents: write}
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: mkdocs gh-deploy --force
          sign:
            permissions: {id-token: write}
            runs-on: ubuntu-latest
            steps:
              - run: ./sign.sh
                env: {URL: "${{ env.ACTIONS_ID_TOKEN_REQUEST_URL }}"}
        """
    assert findings(tmp_path, {".github/workflows/ci.yml": wf}, "GHA031") == [
        (".github/workflows/ci.yml", 4, 19, "GHA031")
    ]
