"""Discovery: which files a scan reads, and as what (soc2lint/scan/discover.py).

Real git repositories (gitpython, in tmp_path), real directory walks, and the real CLI entry point
for end-to-end checks; `discover()` and `classify()` are called directly only to pin the artifact
kind that discovery decided, which no report shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest
from snippets import WRITE_ALL_WORKFLOW as WRITE_ALL

from soc2lint.scan.discover import classify, discover

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

PRIVILEGED_POD = """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: debug
    spec:
      containers:
        - name: shell
          image: busybox:1.36
          securityContext:
            privileged: true
    """
# Where each rule reports the snippets above.
GHA002_AT = (2, 14)
KUB001_AT = (10, 21)

# A Helm template: Go templating makes it invalid YAML (line 1 is a flow-mapping start that
# never closes), and it would be a privileged pod if rendered.
HELM_TEMPLATE = """\
    {{- if .Values.enabled }}
    apiVersion: v1
    kind: Pod
    metadata:
      name: {{ include "app.fullname" . }}
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
          securityContext:
            privileged: true
    {{- end }}
    """


def scan(run: Run, *argv: str, cwd: Path | None = None) -> tuple[int, dict[str, Any], str]:
    # the secrets rule reads every file as text; these tests count the files rules parse
    code, out, err = run(*argv, "--format", "json", "--ignore", "SEC", cwd=cwd)
    assert code in (0, 1), f"exit {code}; stderr: {err}"
    return code, json.loads(out), err


def found(report: dict[str, Any]) -> set[tuple[str, int, int, str]]:
    return {(f["path"], f["line"], f["column"], f["rule_id"]) for f in report["findings"]}


def paths(root: Path, **kwargs: Any) -> dict[str, str]:
    return {a.path: a.kind for a in discover(root, **kwargs).artifacts}


# --------------------------------------------------------------------------- git work trees


def test_git_gitignored_files_are_skipped_untracked_files_are_scanned(
    run: Run, write: Write, tmp_path: Path
) -> None:
    repo = git.Repo.init(tmp_path)
    write(".gitignore", "build/\n*.generated.yaml\n")
    write("k8s/tracked.yaml", PRIVILEGED_POD)
    repo.index.add(["k8s/tracked.yaml", ".gitignore"])  # tracked (staged); no commit needed
    write("k8s/untracked.yaml", PRIVILEGED_POD)  # untracked, not ignored
    write("build/k8s/rendered.yaml", PRIVILEGED_POD)  # ignored directory
    write("k8s/pod.generated.yaml", PRIVILEGED_POD)  # ignored pattern
    write(".github/workflows/ci.yml", WRITE_ALL)  # untracked workflow

    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {
        ("k8s/tracked.yaml", *KUB001_AT, "KUB001"),
        ("k8s/untracked.yaml", *KUB001_AT, "KUB001"),
        (".github/workflows/ci.yml", *GHA002_AT, "GHA002"),
    }
    assert report["files_scanned"] == 3
    # every other file is discovered too (as text, for the secrets rule), ignored ones never
    assert set(paths(tmp_path)) == {
        "k8s/tracked.yaml",
        "k8s/untracked.yaml",
        ".github/workflows/ci.yml",
        ".gitignore",
    }


def test_git_ignored_root_asked_for_explicitly_is_walked_with_a_note(
    run: Run, write: Write, tmp_path: Path
) -> None:
    git.Repo.init(tmp_path)
    write(".gitignore", "build/\n")
    write("build/k8s/rendered.yaml", PRIVILEGED_POD)
    code, out, err = run("--format", "json", str(tmp_path / "build"))
    assert code == 1
    assert found(json.loads(out)) == {("k8s/rendered.yaml", *KUB001_AT, "KUB001")}
    assert "build: ignored by git; scanned without .gitignore" in err


def test_git_tracked_file_is_scanned_even_if_it_matches_gitignore(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """A committed file is part of the repository whatever .gitignore says (`git add -f`)."""
    repo = git.Repo.init(tmp_path)
    write(".gitignore", "*.generated.yaml\n")
    write("k8s/pod.generated.yaml", PRIVILEGED_POD)
    repo.index.add(["k8s/pod.generated.yaml"])
    write("k8s/other.generated.yaml", PRIVILEGED_POD)  # same pattern, untracked: skipped
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {("k8s/pod.generated.yaml", *KUB001_AT, "KUB001")}


def test_git_dot_git_directory_is_never_scanned(run: Run, write: Write, tmp_path: Path) -> None:
    git.Repo.init(tmp_path)
    write(".git/k8s/pod.yaml", PRIVILEGED_POD)
    write(".git/.github/workflows/ci.yml", WRITE_ALL)
    write("k8s/pod.yaml", PRIVILEGED_POD)
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {("k8s/pod.yaml", *KUB001_AT, "KUB001")}
    assert not any(p.startswith(".git/") for p in paths(tmp_path))


def test_git_node_modules_is_decided_by_gitignore(run: Run, write: Write, tmp_path: Path) -> None:
    """In a work tree, .gitignore (not a built-in list) decides: an un-ignored node_modules is
    scanned, an ignored one is not."""
    git.Repo.init(tmp_path)
    write("node_modules/pkg/k8s.yaml", PRIVILEGED_POD)
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {("node_modules/pkg/k8s.yaml", *KUB001_AT, "KUB001")}

    write(".gitignore", "node_modules/\n")
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == set()


def test_git_explicit_directory_still_honours_gitignore(
    run: Run, write: Write, tmp_path: Path
) -> None:
    git.Repo.init(tmp_path)
    write(".gitignore", "k8s/generated/\n")
    write("k8s/pod.yaml", PRIVILEGED_POD)
    write("k8s/generated/pod.yaml", PRIVILEGED_POD)
    write(".github/workflows/ci.yml", WRITE_ALL)
    _, report, _ = scan(run, "k8s", ".github/workflows/ci.yml", cwd=tmp_path)
    assert found(report) == {
        ("k8s/pod.yaml", *KUB001_AT, "KUB001"),
        (".github/workflows/ci.yml", *GHA002_AT, "GHA002"),
    }


# --------------------------------------------------------------------------- plain directories


def test_outside_git_dependency_and_vcs_folders_are_skipped(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("node_modules/pkg/.github/workflows/ci.yml", WRITE_ALL)
    write("node_modules/pkg/k8s.yaml", PRIVILEGED_POD)
    write(".git/k8s.yaml", PRIVILEGED_POD)  # not a repository: git ls-files fails, the walk runs
    write(".venv/lib/k8s.yaml", PRIVILEGED_POD)
    write("vendor/k8s.yaml", PRIVILEGED_POD)  # not a dependency folder by name: scanned
    write("k8s/pod.yaml", PRIVILEGED_POD)
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {
        ("vendor/k8s.yaml", *KUB001_AT, "KUB001"),
        ("k8s/pod.yaml", *KUB001_AT, "KUB001"),
    }
    assert set(paths(tmp_path)) == {"vendor/k8s.yaml", "k8s/pod.yaml"}


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("relpath", "kind"),
    [
        (".github/workflows/ci.yml", "github-workflow"),
        (".github/workflows/ci.yaml", "github-workflow"),
        (".github/workflows/CI.YML", "github-workflow"),
        (".github/workflows/action.yml", "github-workflow"),  # the directory wins
        (".github/workflows/nested/ci.yml", "yaml"),  # GitHub ignores subdirectories
        # A .github/workflows directory at any depth (monorepo templates, vendored repositories).
        ("sub/.github/workflows/ci.yml", "github-workflow"),
        ("a/b/.github/workflows/ci.yaml", "github-workflow"),
        ("sub/.github/workflows/nested/ci.yml", "yaml"),
        ("workflows/ci.yml", "yaml"),
        (".github/ci.yml", "yaml"),
        (".github/workflows/README.md", "text"),
        ("action.yml", "github-action"),
        ("action.yaml", "github-action"),
        (".github/actions/setup/action.yml", "github-action"),
        ("tools/lint/action.yaml", "github-action"),
        ("k8s/app.yaml", "yaml"),
        ("k8s/app.yml", "yaml"),
        ("templates/app.yaml", "yaml"),  # no Chart.yaml next to it
        ("config/app.json", "json"),
        ("chart/templates/_helpers.tpl", "text"),
        ("Makefile", "text"),
    ],
)
def test_classify_by_path(tmp_path: Path, relpath: str, kind: str | None) -> None:
    assert classify(relpath, tmp_path) == kind


def test_workflow_only_directly_under_a_workflows_directory(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".github/workflows/a.yml", WRITE_ALL)
    write(".github/workflows/b.yaml", WRITE_ALL)
    write(".github/workflows/nested/c.yml", WRITE_ALL)  # not a workflow: no GHA002
    write("services/api/.github/workflows/d.yml", WRITE_ALL)  # monorepo: a workflow
    write("ci/e.yml", WRITE_ALL)  # not a workflow
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {
        (".github/workflows/a.yml", *GHA002_AT, "GHA002"),
        (".github/workflows/b.yaml", *GHA002_AT, "GHA002"),
        ("services/api/.github/workflows/d.yml", *GHA002_AT, "GHA002"),
    }


def test_yaml_and_yml_are_both_scanned(run: Run, write: Write, tmp_path: Path) -> None:
    write("k8s/a.yaml", PRIVILEGED_POD)
    write("k8s/b.yml", PRIVILEGED_POD)
    write("k8s/c.YAML", PRIVILEGED_POD)
    write("k8s/d.txt", PRIVILEGED_POD)
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {
        ("k8s/a.yaml", *KUB001_AT, "KUB001"),
        ("k8s/b.yml", *KUB001_AT, "KUB001"),
        ("k8s/c.YAML", *KUB001_AT, "KUB001"),
    }


def test_helm_templates_are_classified_and_never_parsed(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n")
    write("charts/app/values.yaml", "enabled: true\n")
    write("charts/app/templates/pod.yaml", HELM_TEMPLATE)  # invalid YAML: no SL001
    write("charts/app/templates/raw/pod.yml", PRIVILEGED_POD)  # valid YAML: still no KUB001
    write("charts/other/Chart.yml", "apiVersion: v2\nname: other\nversion: 1.0.0\n")
    write("charts/other/templates/pod.yaml", HELM_TEMPLATE)
    write("notachart/templates/pod.yaml", HELM_TEMPLATE)  # no Chart.yaml: plain YAML, parsed

    kinds = paths(tmp_path)
    assert kinds["charts/app/templates/pod.yaml"] == "helm-template"
    assert kinds["charts/app/templates/raw/pod.yml"] == "helm-template"
    assert kinds["charts/other/templates/pod.yaml"] == "helm-template"
    assert kinds["charts/app/Chart.yaml"] == "helm-chart"  # noted once, never a manifest
    assert kinds["notachart/templates/pod.yaml"] == "yaml"

    _, report, _ = scan(run, str(tmp_path))
    # Only the template outside a chart is parsed: `{{-` is a YAML error at 1:3 (the `-`).
    assert found(report) == {("notachart/templates/pod.yaml", 1, 3, "SL001")}


def test_helm_chart_detection_is_not_stale_across_scans(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("app/templates/pod.yaml", HELM_TEMPLATE)
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {("app/templates/pod.yaml", 1, 3, "SL001")}
    write("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n")
    assert paths(tmp_path)["app/templates/pod.yaml"] == "helm-template"


# --------------------------------------------------------------------------- explicit paths


def test_explicit_files_scan_only_those_files(run: Run, write: Write, tmp_path: Path) -> None:
    """pre-commit passes the changed files: only they are scanned, relative to the cwd."""
    write(".github/workflows/changed.yml", WRITE_ALL)
    write(".github/workflows/unchanged.yml", WRITE_ALL)
    write("k8s/changed.yaml", PRIVILEGED_POD)
    write("k8s/unchanged.yaml", PRIVILEGED_POD)
    write("README.md", "# not configuration\n")
    _, report, _ = scan(
        run, ".github/workflows/changed.yml", "k8s/changed.yaml", "README.md", cwd=tmp_path
    )
    assert found(report) == {
        (".github/workflows/changed.yml", *GHA002_AT, "GHA002"),
        ("k8s/changed.yaml", *KUB001_AT, "KUB001"),
    }
    assert report["files_scanned"] == 2


def test_single_explicit_file_is_classified_from_its_path_under_cwd(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    write(".github/workflows/other.yml", WRITE_ALL)
    _, report, _ = scan(run, str(tmp_path / ".github/workflows/ci.yml"), cwd=tmp_path)
    assert found(report) == {(".github/workflows/ci.yml", *GHA002_AT, "GHA002")}


def test_explicit_non_config_file_is_clean(run: Run, write: Write, tmp_path: Path) -> None:
    write("README.md", "permissions: write-all\n")
    code, report, _ = scan(run, "README.md", cwd=tmp_path)
    assert code == 0
    assert report["findings"] == [] and report["files_scanned"] == 0


def test_explicit_path_outside_the_root_is_exit_2(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")
    stray = write(".github/workflows/ci.yml", WRITE_ALL, outside)
    root = tmp_path / "repo"
    write("repo/.github/workflows/ci.yml", WRITE_ALL)

    for argv in (
        [str(stray)],
        [".github/workflows/ci.yml", f"../../{outside.name}/.github/workflows/ci.yml"],
    ):
        code, out, err = run(*argv, cwd=root)
        assert code == 2, argv
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("soc2lint: error: "), err
        assert "outside the scan root" in lines[0] and "ci.yml" in lines[0]


def test_explicit_missing_path_is_exit_2(run: Run, write: Write, tmp_path: Path) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL)
    code, out, err = run(".github/workflows/ci.yml", ".github/workflows/gone.yml", cwd=tmp_path)
    assert code == 2 and out == ""
    assert err.strip() == "soc2lint: error: .github/workflows/gone.yml: no such file or directory"


# --------------------------------------------------------------------------- config exclude


def test_config_exclude_globs(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        ".soc2lint.yaml",
        """\
        exclude:
          - legacy/**
          - .github/workflows/old-*.yml
          - "*.generated.yaml"
        """,
    )
    write("legacy/k8s/pod.yaml", PRIVILEGED_POD)
    write(".github/workflows/old-deploy.yml", WRITE_ALL)
    write(".github/workflows/deploy.yml", WRITE_ALL)
    write("k8s/deep/pod.generated.yaml", PRIVILEGED_POD)
    write("k8s/pod.yaml", PRIVILEGED_POD)
    _, report, _ = scan(run, str(tmp_path))
    assert found(report) == {
        (".github/workflows/deploy.yml", *GHA002_AT, "GHA002"),
        ("k8s/pod.yaml", *KUB001_AT, "KUB001"),
    }

    # The same globs apply to explicitly passed files (pre-commit).
    _, report, _ = scan(run, ".github/workflows/old-deploy.yml", "k8s/pod.yaml", cwd=tmp_path)
    assert found(report) == {("k8s/pod.yaml", *KUB001_AT, "KUB001")}
