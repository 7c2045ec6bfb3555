"""Scanning never runs the scanned repository's code: every program a repository (or the
environment soc2lint inherits) can name for git to run is planted in a real repository, each
writing a marker file, and the real CLI (`soc2lint <repo>` with its history, and
`scan --staged`) must leave no marker behind.

Before soc2lint.gitrun, `core.fsmonitor` ran on every scan (`--no-history` and `--staged`
included), and the history scan ran a committed `.gitattributes`' textconv driver, `gpg.program`
(with `log.showSignature`) and, through a partial clone's lazy fetch, `core.sshCommand`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import git
import pytest

from soc2lint import gitrun

Run = Callable[..., tuple[int, str, str]]
AWS = "AKIAZ7XQ4MNB2LKJ5PRE"
GH = "ghp_R8mZq2Lx7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2"
ACTOR = git.Actor("Dana Dev", "dana@example.com")
VECTORS = ("fsmonitor", "textconv", "external-diff", "filter", "gpg", "hooks", "pager", "ssh")
HOOKS = (
    "pre-commit",
    "post-checkout",
    "post-index-change",
    "reference-transaction",
    "pre-auto-gc",
    "post-rewrite",
    "post-merge",
    "pre-push",
    "fsmonitor-watchman",
)


def _program(path: Path, marks: Path, name: str, then: str = "exit 1") -> str:
    """A shell script that leaves `marks/name` behind, then does `then`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch '{marks / name}'\n{then}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def plant(root: Path, marks: Path, vectors: Iterable[str]) -> git.Repo:
    """A repository whose history added (then removed) an AWS key in app.py, with a file
    staged, and the given vectors planted; `marks` is empty when it returns."""
    vectors = set(vectors)
    marks.mkdir(parents=True, exist_ok=True)
    tools = root.parent / f"{root.name}-programs"
    repo = git.Repo.init(root, initial_branch="main")
    attributes = []
    with repo.config_writer() as config:
        config.set_value("user", "name", ACTOR.name)
        config.set_value("user", "email", ACTOR.email)
        if "fsmonitor" in vectors:
            config.set_value("core", "fsmonitor", _program(tools / "fsmonitor", marks, "fsmonitor"))
        if "textconv" in vectors:
            attributes.append("*.txt diff=conv")
            config.set_value(
                'diff "conv"',
                "textconv",
                _program(tools / "textconv", marks, "textconv", 'cat "$1"'),
            )
        if "external-diff" in vectors:
            attributes.append("*.md diff=ext")
            config.set_value(
                'diff "ext"', "command", _program(tools / "driver", marks, "diff-driver")
            )
            config.set_value(
                "diff", "external", _program(tools / "external", marks, "diff-external")
            )
        if "filter" in vectors:
            attributes.append("*.dat filter=evil")
        if "gpg" in vectors:
            config.set_value("log", "showSignature", "true")
            for section in ("gpg", 'gpg "openpgp"', 'gpg "ssh"', 'gpg "x509"'):
                config.set_value(section, "program", _program(tools / "gpg", marks, "gpg"))
        if "pager" in vectors:
            config.set_value("core", "pager", _program(tools / "pager", marks, "pager", "cat"))
            for command in ("log", "diff", "ls-files", "cat-file", "rev-parse"):
                config.set_value("pager", command, _program(tools / "pager", marks, "pager", "cat"))
    if attributes:
        (root / ".gitattributes").write_text("\n".join(attributes) + "\n", encoding="utf-8")
    files = {"a.txt": "one\n", "b.md": "one\n", "c.dat": "one\n", "app.py": f'KEY = "{AWS}"\n'}
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    repo.git.add(A=True)
    repo.git.commit(m="add")
    for name in files:
        (root / name).write_text("KEY = None\n" if name == "app.py" else "two\n", encoding="utf-8")
    repo.git.add(A=True)
    repo.git.commit(m="change")
    if "gpg" in vectors:  # a signed-looking head commit: log.showSignature would verify it
        raw = repo.git.cat_file("commit", "HEAD").split("\n")
        at = next(i for i, line in enumerate(raw) if line.startswith("committer ")) + 1
        raw[at:at] = [
            "gpgsig -----BEGIN PGP SIGNATURE-----",
            " ",
            " iQEzBAABCAAdFiEE",
            " -----END PGP SIGNATURE-----",
        ]
        repo.git.update_ref("refs/heads/main", _hash_commit(root, raw))
    if "hooks" in vectors:
        for name in HOOKS:
            _program(root / ".git" / "hooks" / name, marks, f"hook-{name}")
            _program(tools / "hooks" / name, marks, f"hooks-path-{name}")
        with repo.config_writer() as config:
            config.set_value("core", "hooksPath", str(tools / "hooks"))
    if "ssh" in vectors:  # a partial clone missing a blob: reading it would fetch it over ssh
        with repo.config_writer() as config:
            config.set_value("core", "repositoryformatversion", "1")
            config.set_value("extensions", "partialClone", "origin")
            config.set_value('remote "origin"', "url", "ssh://git@example.invalid/repo.git")
            config.set_value('remote "origin"', "promisor", "true")
            config.set_value("core", "sshCommand", _program(tools / "ssh", marks, "ssh"))
        blob = repo.git.rev_parse("HEAD~1:a.txt")
        (root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    (root / "staged.py").write_text(f'TOKEN = "{GH}"\n', encoding="utf-8")
    repo.git.add("staged.py")
    if "filter" in vectors:  # last: a failing process filter stops `git add`
        (root / "c.dat").write_text("three\n", encoding="utf-8")  # a work-tree change to clean
        with repo.config_writer() as config:
            config.set_value(
                'filter "evil"', "clean", _program(tools / "clean", marks, "clean", "cat")
            )
            config.set_value(
                'filter "evil"', "smudge", _program(tools / "smudge", marks, "smudge", "cat")
            )
            config.set_value(
                'filter "evil"', "process", _program(tools / "process", marks, "process")
            )
    shutil.rmtree(marks)
    marks.mkdir()
    return repo


def _hash_commit(root: Path, raw: list[str]) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), "hash-object", "-t", "commit", "-w", "--stdin"],
        input="\n".join(raw).encode(),
        capture_output=True,
        check=True,
    )
    return proc.stdout.decode().strip()


def _scans(run: Run, root: Path) -> dict[str, list[dict[str, Any]]]:
    """Findings of the history scan, the tree-only scan and `scan --staged`."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, argv in (
        ("history", ("--no-cache", str(root))),
        ("tree", ("--no-history", str(root))),
        ("staged", ("scan", "--staged")),
    ):
        _, stdout, err = run(*argv, "--format", "json", cwd=root)
        assert "Traceback" not in err
        out[name] = json.loads(stdout)["findings"]
    return out


def _ids(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((f["rule_id"], f["path"]) for f in findings if f["rule_id"].startswith("SEC"))


def test_every_vector_at_once_runs_nothing(run: Run, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    plant(tmp_path / "repo", marks, VECTORS)
    found = _scans(run, tmp_path / "repo")
    assert sorted(p.name for p in marks.iterdir()) == []
    assert ("SEC001", "staged.py") in _ids(found["staged"])


@pytest.mark.parametrize("vector", VECTORS)
def test_one_vector_runs_nothing(run: Run, tmp_path: Path, vector: str) -> None:
    marks = tmp_path / "marks"
    plant(tmp_path / "repo", marks, [vector])
    found = _scans(run, tmp_path / "repo")
    assert sorted(p.name for p in marks.iterdir()) == []
    # and the scan still did its work
    assert _ids(found["staged"]) == [("SEC001", "staged.py")]
    assert ("SEC001", "staged.py") in _ids(found["tree"])
    if vector != "ssh":  # (there a blob the history needs is missing: SL005 says so)
        assert _ids(found["history"]) == [("SEC001", "staged.py"), ("SEC002", "app.py")]


def test_programs_named_by_the_environment_are_not_run(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = tmp_path / "marks"
    plant(tmp_path / "repo", marks, ["ssh"])
    tools = tmp_path / "env-programs"
    monkeypatch.setenv("GIT_SSH_COMMAND", _program(tools / "ssh", marks, "GIT_SSH_COMMAND"))
    monkeypatch.setenv("GIT_SSH", _program(tools / "ssh2", marks, "GIT_SSH"))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", _program(tools / "diff", marks, "GIT_EXTERNAL_DIFF"))
    monkeypatch.setenv("GIT_PAGER", _program(tools / "pager", marks, "GIT_PAGER", "cat"))
    monkeypatch.setenv("GIT_ASKPASS", _program(tools / "askpass", marks, "GIT_ASKPASS"))
    monkeypatch.setenv(
        "GIT_CONFIG_PARAMETERS",
        f"'core.fsmonitor={_program(tools / 'fsm1', marks, 'GIT_CONFIG_PARAMETERS')}'",
    )
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.fsmonitor")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", _program(tools / "fsm2", marks, "GIT_CONFIG_COUNT"))
    _scans(run, tmp_path / "repo")
    assert sorted(p.name for p in marks.iterdir()) == []


def test_the_runner_refuses_commands_that_run_programs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="read-only"):
        gitrun.command(tmp_path, "status")
    with pytest.raises(ValueError, match="--filters"):
        gitrun.command(tmp_path, "cat-file", "--filters", "HEAD:a")
    argv = gitrun.command(tmp_path, "log", "-p")
    assert argv[argv.index("log") :] == [
        "log",
        "--no-show-signature",
        "--no-textconv",
        "--no-ext-diff",
        "-p",
    ]
    assert "core.fsmonitor=false" in argv and "protocol.allow=never" in argv
    env = gitrun.environment({"GIT_PAGER": "x", "GIT_DIR": "/r/.git", "PAGER": "y", "HOME": "/h"})
    assert env["GIT_DIR"] == "/r/.git" and env["HOME"] == "/h" and "PAGER" not in env
    assert env["GIT_PAGER"] == "cat" and env["GIT_CONFIG_NOSYSTEM"] == "1"


def test_no_git_call_bypasses_the_runner() -> None:
    """Every module runs git through soc2lint.gitrun, nothing else starts a process."""
    package = Path(gitrun.__file__).parent
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name != "gitrun.py"
        and (
            "subprocess.run(" in p.read_text(encoding="utf-8")
            or "subprocess.Popen(" in p.read_text(encoding="utf-8")
            or "git.Repo(" in p.read_text(encoding="utf-8")
        )
    ]
    assert offenders == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="making a repository another user's takes root",
)
def test_a_repository_owned_by_another_user_is_still_read(run: Run, tmp_path: Path) -> None:
    """git refuses a repository another user owns ("dubious ownership", as in CI containers):
    soc2lint still reads its history and its .gitignore, which it can do safely."""
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    (root / ".gitignore").write_text("local.py\n", encoding="utf-8")
    (root / "app.py").write_text(f'KEY = "{AWS}"\n', encoding="utf-8")
    repo.index.add([".gitignore", "app.py"])
    sha = repo.index.commit("add", author=ACTOR, committer=ACTOR).hexsha
    (root / "app.py").write_text("KEY = None\n", encoding="utf-8")
    repo.index.add(["app.py"])
    repo.index.commit("remove", author=ACTOR, committer=ACTOR)
    (root / "local.py").write_text(f'TOKEN = "{GH}"\n', encoding="utf-8")  # ignored
    for path in [root, *root.rglob("*")]:
        os.chown(path, 4242, 4242, follow_symlinks=False)
    assert subprocess.run(["git", "-C", str(root), "log"], capture_output=True).returncode != 0
    code, out, err = run("--format", "json", "--no-cache", str(root))
    assert "Traceback" not in err
    found = [
        (f["rule_id"], f["path"], f["properties"].get("introduced_in"))
        for f in json.loads(out)["findings"]
    ]
    assert found == [("SEC002", "app.py", sha)]
