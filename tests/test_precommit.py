"""The pre-commit hook, end to end: the real `pre-commit` installs this checkout from
`.pre-commit-hooks.yaml` into its own virtualenv and runs it on a throwaway git repository.

pre-commit clones a hook repository at a commit, and this checkout may have uncommitted work, so
the hook is installed from a snapshot: the checkout's tracked and untracked (not ignored) files,
committed into a fresh repository.

Two ways in, both real:
- `pre-commit try-repo SNAPSHOT soc2lint`, the command a hook author uses. try-repo always
  builds the hook environment in a temporary store of its own (it ignores PRE_COMMIT_HOME's
  cache), so each call pip-installs the project again (~10 s): only two tests use it.
- `pre-commit run` with a `.pre-commit-config.yaml` made from examples/ci/pre-commit-config.yaml,
  pointed at the snapshot: the way users run it. These share one PRE_COMMIT_HOME for the module,
  so the environment is built once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import git
import pytest
import yaml
from snippets import WRITE_ALL_WORKFLOW as WRITE_ALL

try:  # the test extra is what CI installs: without it these tests fail, they are not skipped
    import pre_commit  # noqa: F401
except ImportError as e:  # pragma: no cover
    raise ImportError(
        f"{__name__} needs pre-commit, from the test extra: pip install '.[test]'"
    ) from e

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "examples" / "ci" / "pre-commit-config.yaml"
HOOK_ID = "soc2lint"
HOOK_NAME = "soc2lint (SOC 2 controls)"
ACTOR = git.Actor("soc2lint tests", "tests@soc2lint.invalid")

CLEAN = """\
    on: pull_request
    permissions:
      contents: read
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              persist-credentials: false
          - run: make test
    """
PRIVILEGED = """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: debug
    spec:
      containers:
        - name: shell
          image: registry.example.com/debug@sha256:4c1e
          securityContext:
            privileged: true
    """


def _checkout_files() -> list[str]:
    """The checkout's tracked and untracked-but-not-ignored files, as git sees the work tree."""
    proc = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return sorted({n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n})


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(path, commit) of a committed snapshot of the checkout, as pre-commit would clone it."""
    dest = tmp_path_factory.mktemp("hook-repo")
    for name in _checkout_files():
        src = REPO / name
        if not src.is_file():  # listed by git but deleted from the work tree since
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    assert (dest / ".pre-commit-hooks.yaml").is_file(), "the checkout has no .pre-commit-hooks.yaml"
    repo = git.Repo.init(dest)
    repo.git.add("--all")
    commit = repo.index.commit("snapshot of the checkout under test", author=ACTOR, committer=ACTOR)
    assert not repo.is_dirty(untracked_files=True)
    return dest, commit.hexsha


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: `pre-commit run` builds the hook's virtualenv once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def user_config(hook_repo: tuple[Path, str]) -> str:
    """examples/ci/pre-commit-config.yaml, with its GitHub repo and tag swapped for the snapshot."""
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    (entry,) = config["repos"]
    assert entry["repo"] == "https://github.com/soc2lint/soc2lint"
    assert entry["hooks"] == [{"id": HOOK_ID}]
    entry["repo"], entry["rev"] = str(hook_repo[0]), hook_repo[1]
    return yaml.safe_dump(config, sort_keys=False)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, git.Repo]:
    """A user's repository: empty; tests add files to it and stage them."""
    root = tmp_path / "project"
    root.mkdir()
    return root, git.Repo.init(root)


def _add(project: tuple[Path, git.Repo], files: dict[str, str | bytes]) -> None:
    root, repo = project
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    repo.index.add(list(files))
    repo.index.write()


def _pre_commit(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real pre-commit CLI in `cwd`; stdout and stderr together."""
    # No GIT_* from an enclosing hook, and no SKIP (SKIP=soc2lint would skip the hook).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "SKIP"
    }
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )


def _try_repo(
    hook_repo: tuple[Path, str], home: Path, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return _pre_commit(home, cwd, "try-repo", str(hook_repo[0]), HOOK_ID, "--color", "never", *args)


def _run(
    user_config: str, home: Path, project: tuple[Path, git.Repo], *args: str
) -> subprocess.CompletedProcess[str]:
    _add(project, {".pre-commit-config.yaml": user_config})
    return _pre_commit(home, project[0], "run", HOOK_ID, "--color", "never", *args)


def test_try_repo_write_all_workflow_fails_the_hook(
    hook_repo: tuple[Path, str], pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    _add(project, {".github/workflows/ci.yml": WRITE_ALL})
    proc = _try_repo(hook_repo, pre_commit_home, project[0], "--files", ".github/workflows/ci.yml")
    out = proc.stdout
    assert proc.returncode == 1, out
    assert HOOK_NAME in out and "Failed" in out, out
    assert "- exit code: 1" in out, out  # soc2lint's own "findings" exit code, not a crash
    assert ".github/workflows/ci.yml:2:14: GHA002" in out, out
    assert "Traceback" not in out and "internal error" not in out, out


def test_try_repo_clean_workflow_passes_the_hook(
    hook_repo: tuple[Path, str], pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    _add(project, {".github/workflows/ci.yml": CLEAN})
    proc = _try_repo(hook_repo, pre_commit_home, project[0], "--all-files")
    assert proc.returncode == 0, proc.stdout
    assert HOOK_NAME in proc.stdout and "Passed" in proc.stdout, proc.stdout
    assert "GHA0" not in proc.stdout, proc.stdout


def test_run_write_all_fails_and_clean_passes(
    user_config: str, pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    _add(project, {".github/workflows/release.yml": WRITE_ALL, ".github/workflows/ci.yml": CLEAN})
    bad = _run(user_config, pre_commit_home, project, "--files", ".github/workflows/release.yml")
    assert bad.returncode == 1, bad.stdout
    assert "Failed" in bad.stdout, bad.stdout
    assert ".github/workflows/release.yml:2:14: GHA002" in bad.stdout, bad.stdout
    good = _run(user_config, pre_commit_home, project, "--files", ".github/workflows/ci.yml")
    assert good.returncode == 0, good.stdout
    assert "Passed" in good.stdout, good.stdout


def test_run_all_files_reports_each_failing_file_and_only_those(
    user_config: str, pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    _add(
        project,
        {
            ".github/workflows/release.yml": WRITE_ALL,
            ".github/workflows/ci.yml": CLEAN,
            "k8s/debug-pod.yaml": PRIVILEGED,
            "notes.md": "permissions: write-all\n",
        },
    )
    proc = _run(user_config, pre_commit_home, project, "--all-files", "--verbose")
    out = proc.stdout
    assert proc.returncode == 1, out
    assert ".github/workflows/release.yml:2:14: GHA002" in out, out
    assert "k8s/debug-pod.yaml:10:21: KUB001" in out, out
    assert ".github/workflows/ci.yml" not in out, out
    # One invocation (require_serial) got every text file: the two workflows, the manifest,
    # notes.md and .pre-commit-config.yaml; the secrets rule read them all, nothing in them.
    assert re.search(r"2 findings \(2 high\) in 2 of \d+ files scanned", out), out


def test_run_honours_the_repository_config(
    user_config: str, pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    """The hook runs from the repository root, so the root's .soc2lint.yaml applies."""
    _add(
        project,
        {
            ".github/workflows/ci.yml": WRITE_ALL,
            ".soc2lint.yaml": """\
            exceptions:
              - rule: GHA002
                path: .github/workflows/ci.yml
                reason: sandbox repository without secrets or deploy rights
                expires: "2099-12-31"
            """,
        },
    )
    proc = _run(
        user_config, pre_commit_home, project, "--verbose", "--files", ".github/workflows/ci.yml"
    )
    assert proc.returncode == 0, proc.stdout
    assert "Passed" in proc.stdout, proc.stdout
    assert "0 findings in 0 of 1 files scanned" in proc.stdout, proc.stdout
    assert "1 suppressed with a documented reason" in proc.stdout, proc.stdout


def test_run_skips_files_of_other_types(
    user_config: str, pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    # the hook reads text files (types: [text]); a binary one is never passed
    _add(project, {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)})
    proc = _run(user_config, pre_commit_home, project, "--files", "logo.png")
    assert proc.returncode == 0, proc.stdout
    assert "(no files to check)" in proc.stdout and "Skipped" in proc.stdout, proc.stdout


def test_run_blocks_a_commit_that_adds_a_secret(
    user_config: str, pre_commit_home: Path, project: tuple[Path, git.Repo]
) -> None:
    secret = "xoxb-884422771199-5566778899001-QwErTyUiOpAsDfGhJkLzXcVb"
    _add(project, {"app/notify.py": f'SLACK_TOKEN = "{secret}"\n'})
    proc = _run(user_config, pre_commit_home, project, "--files", "app/notify.py")
    assert proc.returncode == 1, proc.stdout
    assert "app/notify.py:1:16: SEC001" in proc.stdout, proc.stdout
    assert secret not in proc.stdout and secret[8:20] not in proc.stdout
