"""The secrets baseline: known secrets by fingerprint, rotation evidence, detect-secrets' audit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]
AWS = "AKIAZ7XQ4MNB2LKJ5PRE"
SLACK = "xoxb-884422771199-5566778899001-QwErTyUiOpAsDfGhJkLzXcVb"
GH = "ghp_R8mZq2Lx7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2"


def findings(run: Run, root: Path) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run("--format", "json", "--select", "SEC", str(root))
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def test_baseline_then_rotation_evidence_then_a_new_secret(
    write: Write, run: Run, tmp_path: Path
) -> None:
    write("app/settings.py", f'AWS = "{AWS}"\nSLACK = "{SLACK}"\n')
    code, out, _ = run("baseline", str(tmp_path))
    assert code == 0 and out.startswith("2 secret(s) in ")
    baseline = (tmp_path / ".soc2lint-baseline.yaml").read_text()
    assert AWS not in baseline and SLACK not in baseline and SLACK[4:20] not in baseline
    assert baseline.startswith("# soc2lint secrets baseline")
    # the team records one rotation, by hand, with a comment
    slack_fp = next(f for f in findings(run, tmp_path)[1] if "Slack" in f["message"])[
        "identity"
    ].rsplit("#")[-1]
    text = baseline.replace(
        f"  {slack_fp}:\n",
        f"  {slack_fp}:  # revoked in the Slack admin console\n"
        f"    rotated_on: 2026-01-05\n    ticket: SEC-123\n",
    )
    (tmp_path / ".soc2lint-baseline.yaml").write_text(text)
    code, items = findings(run, tmp_path)
    by_type = {f["message"].split(" in this file")[0]: f for f in items}
    assert by_type["Slack Token"]["severity"] == "info"
    assert by_type["Slack Token"]["message"].endswith("rotated on 2026-01-05 (SEC-123)")
    assert by_type["AWS Access Key"]["severity"] == "critical"  # known, not rotated: still fails
    assert by_type["AWS Access Key"]["properties"]["baseline"] == "known"
    assert code == 1
    # a new secret is new; rewriting the baseline keeps the rotation record and the comment
    write("app/notify.py", f'TOKEN = "{GH}"\n')
    new = [f for f in findings(run, tmp_path)[1] if f["path"] == "app/notify.py"]
    assert [f["properties"]["baseline"] for f in new] == ["new"]
    run("baseline", str(tmp_path))
    rewritten = (tmp_path / ".soc2lint-baseline.yaml").read_text()
    assert "# revoked in the Slack admin console" in rewritten and "ticket: SEC-123" in rewritten
    assert rewritten.count("rule: SEC001") == 3


def test_detect_secrets_audit_false_positives_are_honoured(
    write: Write, run: Run, tmp_path: Path
) -> None:
    write("app/settings.py", f'AWS = "{AWS}"\nSLACK = "{SLACK}"\n')
    write(
        ".secrets.baseline",
        json.dumps(
            {
                "version": "1.5.0",
                "results": {
                    "app/settings.py": [
                        {
                            "type": "AWS Access Key",
                            "filename": "app/settings.py",
                            "line_number": 1,
                            "hashed_secret": hashlib.sha1(AWS.encode()).hexdigest(),
                            "is_secret": False,
                        }
                    ]
                },
            }
        ),
    )
    _, items = findings(run, tmp_path)
    assert [f["message"].split(" in this file")[0] for f in items] == ["Slack Token"]


def test_a_broken_baseline_is_one_line(write: Write, run: Run, tmp_path: Path) -> None:
    write(".soc2lint-baseline.yaml", "secrets: [1, 2]\n")
    code, _, err = run(str(tmp_path))
    assert code == 2 and "key 'secrets'" in err and len(err.strip().splitlines()) == 1


def test_an_entry_takes_path_and_line_from_the_same_occurrence(run: Run, tmp_path: Path) -> None:
    """A secret committed at old.py:1 and now at new.py:3: the entry says new.py, line 3 (and
    the commit that introduced it), never old.py with new.py's line."""
    import git

    repo = git.Repo.init(tmp_path, initial_branch="main")
    actor = git.Actor("Dana Dev", "dana@example.com")
    (tmp_path / "old.py").write_text(f'KEY = "{AWS}"\n', encoding="utf-8")
    repo.index.add(["old.py"])
    sha = repo.index.commit("add", author=actor, committer=actor).hexsha
    (tmp_path / "new.py").write_text(f'import os\n\nKEY = "{AWS}"\n', encoding="utf-8")
    repo.index.remove(["old.py"], working_tree=True)
    repo.index.add(["new.py"])
    repo.index.commit("move", author=actor, committer=actor)
    code, _, err = run("baseline", str(tmp_path))
    assert code == 0, err
    from ruamel.yaml import YAML

    (entry,) = (
        YAML(typ="safe")
        .load((tmp_path / ".soc2lint-baseline.yaml").read_text())["secrets"]
        .values()
    )
    assert (entry["path"], entry["line"], entry["introduced_in"]) == ("new.py", 3, sha)


def test_an_alias_bomb_in_the_baseline_is_one_line_and_bounded(
    write: Write, tmp_path: Path
) -> None:
    """Nine levels of nine aliases (387 million strings once expanded) under a field the
    baseline prints: refused before it is constructed, in bounded memory and time."""
    import resource
    import subprocess
    import sys
    import time

    levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghi"
    for prev, name in zip(names, names[1:], strict=False):
        levels.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    bomb = (
        "\n".join(levels)
        + "\nsecrets:\n  91b83ff4c140c591:\n    rotated_on: 2026-01-05\n    ticket: *i\n"
    )
    write(".soc2lint-baseline.yaml", bomb)
    write("app.py", "x = 1\n")

    def limit() -> None:  # 1 GiB of address space: the expansion would need hundreds
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    for argv in (["--no-history", str(tmp_path)], ["baseline", "--no-history", str(tmp_path)]):
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "soc2lint", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,
            check=False,
        )
        assert time.monotonic() - start < 30
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert ".soc2lint-baseline.yaml" in line and "alias" in line


def test_a_baseline_at_a_custom_path_is_no_secret_in_the_tree_or_the_history(
    write: Write, run: Run, tmp_path: Path
) -> None:
    """The baseline lists fingerprints, commit ids and authors: at the path the config names it
    is soc2lint's own file, not a secret (it was SEC001 critical and SEC002 before)."""
    import git

    repo = git.Repo.init(tmp_path)
    actor = git.Actor("A", "a@example.com")
    write(".soc2lint.yaml", "baseline: compliance/known-secrets.yaml\n")
    write("app/settings.py", f'AWS = "{AWS}"\n')
    repo.index.add([".soc2lint.yaml", "app/settings.py"])
    repo.index.commit("add settings", author=actor, committer=actor)
    code, out, err = run("baseline", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "compliance" / "known-secrets.yaml").is_file()
    repo.index.add(["compliance/known-secrets.yaml"])
    repo.index.commit("record the known secrets", author=actor, committer=actor)
    _, items = findings(run, tmp_path)
    assert [(f["path"], f["rule_id"]) for f in items] == [("app/settings.py", "SEC001")]
    assert items[0]["properties"]["baseline"] == "known"
