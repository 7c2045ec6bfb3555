"""The text report on many history secrets (issue 12): grouped by rule and secret type, why and
fix once per rule, a count per secret type, and a summary line that counts tree files against
the files scanned and the history's paths apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import git

Run = Callable[..., tuple[int, str, str]]
ACTOR = git.Actor("Dana Dev", "dana@example.com")
# fake keys of two types, never real
AWS = ["AKIAZ7XQ4MNB2LKJ5PR" + c for c in "ABCDEFGHIJ"]
SLACK = [f"xoxb-884422771199-55667788990{i}-QwErTyUiOpAsDfGhJkLzXcVb" for i in range(3)]


def _history(root: Path) -> None:
    repo = git.Repo.init(root, initial_branch="main")
    files = {f"svc{i}/keys.py": f'KEY = "{key}"\n' for i, key in enumerate(AWS)}
    files |= {f"chat/bot{i}.py": f'TOKEN = "{tok}"\n' for i, tok in enumerate(SLACK)}
    files["app/settings.py"] = f'AWS = "{AWS[0]}"\n'  # the first key is still in the files
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    repo.index.add(list(files))
    repo.index.commit("add", author=ACTOR, committer=ACTOR)
    repo.index.remove([r for r in files if r != "app/settings.py"], working_tree=True)
    repo.index.commit("remove", author=ACTOR, committer=ACTOR)


def test_history_secrets_are_grouped_with_why_and_fix_once_per_rule(
    run: Run, tmp_path: Path
) -> None:
    _history(tmp_path)
    code, out, _ = run("--no-color", "--select", "SEC", "--no-cache", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert [line for line in lines if line.strip().startswith("why:")] == [
        line for line in lines if line.startswith("      why: ") or line.startswith("    why: ")
    ]
    assert sum(line.strip().startswith("why: ") for line in lines) == 2  # SEC001, SEC002
    assert sum(line.strip().startswith("fix: ") for line in lines) == 2
    start = lines.index("git history: SEC002 secret-in-history, 12 secrets [CC6.1, CC6.6]")
    assert lines[start + 1].startswith("    why: ") and lines[start + 2].startswith("    fix: ")
    assert lines[start + 3] == "  AWS Access Key (9)"
    assert lines[start + 4].startswith("    svc1/keys.py:1:8: SEC002 [CC6.1, CC6.6] high: ")
    assert lines[start + 13] == "  Slack Token (3)"
    assert lines[start + 14].startswith("    chat/bot0.py:1:10: SEC002 ")
    assert lines[0] == "app/settings.py"
    assert lines[1].startswith("  app/settings.py:1:8: SEC001 ")
    assert "Secrets by type:" in lines
    by_type = lines[lines.index("Secrets by type:") + 1 : lines.index("Secrets by type:") + 3]
    assert [" ".join(line.split()) for line in by_type] == [
        "AWS Access Key 10 (SEC001 x1, SEC002 x9)",
        "Slack Token 3 (SEC002 x3)",
    ]
    # one tree file of the files scanned; the history's 12 paths apart
    assert lines[-1].startswith(
        "13 findings (1 critical, 12 high): 1 in 1 of 1 files scanned, "
        "12 in the git history at 12 paths, with "
    )
    assert len(lines) < 45  # not 13 findings x (line, why, fix) and a heading per file


def test_quiet_lists_one_line_per_finding_and_without_history_the_summary_is_unchanged(
    run: Run, tmp_path: Path
) -> None:
    _history(tmp_path)
    code, out, _ = run("-q", "--no-color", "--select", "SEC", "--no-cache", str(tmp_path))
    lines = out.splitlines()
    assert len(lines) == 13 and all(": SEC00" in line for line in lines)
    assert lines[0].startswith("app/settings.py:1:8: SEC001 ")
    code, out, _ = run("--no-color", "--select", "SEC", "--no-history", str(tmp_path))
    assert out.splitlines()[-1].startswith("1 finding (1 critical) in 1 of 1 files scanned with ")


def test_sarif_is_byte_identical_for_the_same_input(run: Run, tmp_path: Path) -> None:
    _history(tmp_path)
    args = ("--format", "sarif", "--select", "SEC", str(tmp_path))
    first = run(*args, "--no-cache")[1]
    assert run(*args)[1] == first  # written the cache
    assert run(*args)[1] == first  # read from it
