"""`soc2lint scan --staged`: what the next commit records, read from git's index (for git
hooks that, unlike pre-commit, do not stash unstaged changes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git

Run = Callable[..., tuple[int, str, str]]
AWS = "AKIAZ7XQ4MNB2LKJ5PRE"
GH = "ghp_R8mZq2Lx7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2"


def _repo(root: Path) -> git.Repo:
    repo = git.Repo.init(root, initial_branch="main")
    (root / "app.py").write_text("import os\n", encoding="utf-8")
    repo.index.add(["app.py"])
    repo.index.commit("init", author=git.Actor("A", "a@example.com"))
    return repo


def _findings(run: Run, root: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run("scan", "--staged", "--format", "json", *extra, cwd=root)
    assert "Traceback" not in err
    return code, json.loads(out)["findings"]


def test_the_staged_version_is_checked_not_the_work_tree(run: Run, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "keys.py").write_text(f'import os\n\nKEY = "{AWS}"\n', encoding="utf-8")
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2" + AWS.encode())
    repo.index.add(["svc/keys.py", "blob.bin"])
    # edited out after staging: the commit would still record it
    (tmp_path / "svc" / "keys.py").write_text(
        'import os\nKEY = os.environ["KEY"]\n', encoding="utf-8"
    )
    # in the work tree only: not part of the commit
    (tmp_path / "app.py").write_text(f'TOKEN = "{GH}"\n', encoding="utf-8")
    (tmp_path / "scratch.py").write_text(f'TOKEN = "{GH}"\n', encoding="utf-8")

    code, found = _findings(run, tmp_path)
    assert code == 1
    assert [(f["rule_id"], f["path"], f["line"], f["message"].split(" in ")[0]) for f in found] == [
        ("SEC001", "svc/keys.py", 3, "AWS Access Key")
    ]
    code, found = _findings(run, tmp_path, "--no-history")
    assert len(found) == 1


def test_settings_apply_and_nothing_staged_is_clean(run: Run, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, found = _findings(run, tmp_path)
    assert (code, found) == (0, [])
    (tmp_path / "keys.py").write_text(f'KEY = "{AWS}"\n', encoding="utf-8")
    repo.index.add(["keys.py"])
    # the work tree's config (not staged) still decides: here an exception with its reason
    (tmp_path / ".soc2lint.yaml").write_text(
        "exceptions:\n  - rule: SEC001\n    path: keys.py\n    reason: test key, revoked\n"
        "    expires: 2999-01-01\n",
        encoding="utf-8",
    )
    code, found = _findings(run, tmp_path)
    assert code == 0 and [(f["path"], f["suppressed"]["reason"]) for f in found] == [
        ("keys.py", "test key, revoked")
    ]


def test_bad_uses_are_one_line_errors(run: Run, tmp_path: Path) -> None:
    code, _, err = run("scan", "--staged", cwd=tmp_path)
    assert (
        code == 2
        and "staged" in err
        and "Traceback" not in err
        and len(err.strip().splitlines()) == 1
    )
    _repo(tmp_path / "r")
    code, _, err = run("scan", "--staged", "app.py", cwd=tmp_path / "r")
    assert code == 2 and "--staged" in err and "Traceback" not in err


def test_the_first_commit_of_a_new_repository(run: Run, tmp_path: Path) -> None:
    git.Repo.init(tmp_path, initial_branch="main")
    (tmp_path / "keys.py").write_text(f'KEY = "{AWS}"\n', encoding="utf-8")
    git.Repo(tmp_path).index.add(["keys.py"])
    code, found = _findings(run, tmp_path)
    assert (code, [(f["path"], f["line"]) for f in found]) == (1, [("keys.py", 1)])
