"""Issue 9, sections 2 and 3: soc2lint's own inputs get the limits scanned files get, and an
unknown (a typo, a skipped file, an unreadable history) is never a silent pass.

Every test goes through the real CLI entry point on a real tree in tmp_path.
"""

from __future__ import annotations

import json
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from snippets import WRITE_ALL_WORKFLOW

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]
MB = 1024 * 1024
SECRET_LINE = 'AWS_KEY = "AKIAZ7XQ4MNB2LKJ5PRE"\n'


def _one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("soc2lint: error: "), lines[0]
    return lines[0]


def _alias_bomb(levels: int = 9) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"{letters[0]}: &{letters[0]} [" + ", ".join(['"lol"'] * 9) + "]"]
    for prev, cur in zip(letters[: levels - 1], letters[1:levels], strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _json(run: Run, *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(*argv, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


# --------------------------------------------------------------------------- 2. own inputs


@pytest.mark.parametrize("where", ["config", "rules"])
def test_alias_bomb_in_own_input_is_exit_2_in_bounded_memory(
    run: Run, write: Write, tmp_path: Path, where: str
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    if where == "config":
        write(".soc2lint.yaml", _alias_bomb())
        argv = [str(tmp_path)]
        source = ".soc2lint.yaml:1"
    else:
        write("policy/ACME001.yaml", _alias_bomb())
        argv = [str(tmp_path), "--rules", str(tmp_path / "policy")]
        source = "ACME001.yaml:1"
    before = _rss()
    code, _, err = run(*argv)
    assert code == 2
    line = _one_error(err)
    assert source in line and "alias bomb" in line
    assert _rss() - before < 200 * MB


def test_oversized_config_is_refused_without_reading_it(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "# padding\n" * (MB + 1))
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert "more than the 10,485,760 bytes" in _one_error(err)


def test_non_utf8_config_names_the_line(run: Run, write: Write, tmp_path: Path) -> None:
    write(".soc2lint.yaml", b"select: [GHA]\nignore: [\xff]\n")
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert ".soc2lint.yaml:2: cannot read config: not UTF-8" in _one_error(err)


def test_unknown_global_parameter_is_an_error_listing_the_valid_ones(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        ".soc2lint.yaml",
        """\
        parameters:
          trusted_actions: ["actions/*"]
          trusted_actoins: ["acme/*"]
        """,
    )
    code, _, err = run(str(tmp_path))
    assert code == 2
    line = _one_error(err)
    assert (
        ".soc2lint.yaml:3: key 'parameters.trusted_actoins': unknown parameter 'trusted_actoins'"
        in line
    )
    assert "trusted_actions" in line.split("known:")[1]


def test_unknown_rule_parameter_is_an_error_listing_that_rules_parameters(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        ".soc2lint.yaml",
        """\
        rule_parameters:
          GHA004:
            include_inputs: false
            include_imputs: false
        """,
    )
    code, _, err = run(str(tmp_path))
    assert code == 2
    line = _one_error(err)
    assert ".soc2lint.yaml:4: key 'rule_parameters.GHA004.include_imputs'" in line
    assert (
        "unknown parameter 'include_imputs' for GHA004 (known: include_events, include_inputs)"
        in line
    )


def test_parameter_for_a_rule_without_parameters_says_so(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "rule_parameters:\n  GHA002: {anything: 1}\n")
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert "GHA002 takes no parameters" in _one_error(err)


def test_known_parameters_still_load(run: Run, write: Write, tmp_path: Path) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    write(
        ".soc2lint.yaml",
        """\
        parameters: {trusted_actions: ["actions/*"]}
        rule_parameters: {GHA004: {include_inputs: false}}
        """,
    )
    code, _, err = run(str(tmp_path), "--no-history")
    assert code == 1, err


def test_output_into_a_missing_directory_creates_it(run: Run, write: Write, tmp_path: Path) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    target = tmp_path / "reports" / "ci" / "soc2lint.sarif"
    code, out, err = run(str(tmp_path), "--no-history", "--format", "sarif", "-o", str(target))
    assert code == 1, err
    assert out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_output_that_cannot_be_written_is_a_usage_error(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    blocker = write("reports", "a file where a directory should be")
    code, _, err = run(str(tmp_path), "--no-history", "-o", str(blocker / "x.sarif"))
    assert code == 2
    assert "cannot write the report" in _one_error(err)


# --------------------------------------------------------------------------- 3. selection


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["--select", "GHA-003"], "did you mean 'GHA003'?"),
        (["--select", "gha"], "did you mean 'GHA'?"),
        (["--select", "unpined-action"], "did you mean 'unpinned-action'?"),
        (["--ignore", "GHA0003"], "did you mean"),
        (["--select", "GHA002,NOPE"], "'NOPE' is no rule id"),
    ],
)
def test_select_or_ignore_naming_no_rule_is_exit_2(
    run: Run, write: Write, tmp_path: Path, argv: list[str], suggestion: str
) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    code, out, err = run(str(tmp_path), *argv)
    assert code == 2
    assert out == ""
    assert suggestion in _one_error(err)


def test_config_select_naming_no_rule_names_the_line(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "select:\n  - GHA\n  - NOPE\n")
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert ".soc2lint.yaml:3: key 'select.1': 'NOPE' is no rule id" in _one_error(err)


def test_family_prefix_matches_whole_families_only(run: Run, write: Write, tmp_path: Path) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    _, report = _json(run, str(tmp_path), "--no-history", "--select", "GH")
    assert report["rules_run"] == 26  # GH001..GH026, none of the 26 GHA rules
    assert not [f for f in report["findings"] if f["rule_id"].startswith("GHA")]
    _, report = _json(run, str(tmp_path), "--no-history", "--select", "GHA00")
    assert report["rules_run"] == 9
    assert [f["rule_id"] for f in report["findings"]] == ["GHA002"]


def test_select_by_id_name_and_prefix_still_works(run: Run, write: Write, tmp_path: Path) -> None:
    write(".github/workflows/ci.yml", WRITE_ALL_WORKFLOW)
    for code in ("GHA002", "write-all-permissions", "GHA"):
        _, report = _json(run, str(tmp_path), "--no-history", "--select", code)
        assert [f["rule_id"] for f in report["findings"]] == ["GHA002"], code


# --------------------------------------------------------------------------- 3. skipped files


def test_file_over_max_file_size_with_a_secret_is_sl001_not_silence(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "max_file_size: 2048\n")
    write("data/dump.txt", "x" * 3000 + "\n" + SECRET_LINE)
    code, report = _json(run, str(tmp_path), "--no-history")
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["path"], finding["line"], finding["rule_id"]) == ("data/dump.txt", 1, "SL001")
    assert "file is 3,034 bytes, over the max_file_size of 2,048 bytes" in finding["message"]


def test_binary_files_stay_quiet(run: Run, write: Write, tmp_path: Path) -> None:
    write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 64)
    code, report = _json(run, str(tmp_path), "--no-history")
    assert code == 0
    assert report["findings"] == []


# --------------------------------------------------------------------------- 3. history


def _broken_repo(root: Path) -> None:
    """A work tree whose .git points at a directory that does not exist."""
    (root / ".git").write_text("gitdir: /nonexistent/soc2lint-test/.git\n", encoding="utf-8")
    (root / "app.py").write_text("print('hello')\n", encoding="utf-8")


def _corrupt_repo(root: Path) -> None:
    """A real repository whose objects are gone: git log fails."""
    import git

    repo = git.Repo.init(root)
    (root / "app.py").write_text("print('hello')\n", encoding="utf-8")
    repo.index.add(["app.py"])
    actor = git.Actor("A", "a@example.com")
    repo.index.commit("one", author=actor, committer=actor)
    for pack in (root / ".git" / "objects").iterdir():
        if pack.name not in ("info", "pack"):
            for obj in pack.iterdir():
                obj.unlink()


@pytest.mark.parametrize(
    "make", [_broken_repo, _corrupt_repo], ids=["gitdir-missing", "objects-missing"]
)
def test_unreadable_history_is_sl005_in_every_format_and_the_exit_code(
    run: Run, tmp_path: Path, make: Callable[[Path], None]
) -> None:
    make(tmp_path)
    code, report = _json(run, str(tmp_path), "-q")
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["path"], finding["line"], finding["rule_id"]) == (".git", 1, "SL005")
    assert finding["severity"] == "medium"
    assert "the git history was not read for secrets" in finding["message"]
    assert str(tmp_path) not in finding["message"]
    code, out, _ = run(str(tmp_path), "--format", "sarif", "-q")
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["ruleId"] == "SL005"
    code, out, _ = run(str(tmp_path), "-q")
    assert code == 1 and "SL005" in out


def test_history_skipped_on_purpose_is_not_incomplete(run: Run, tmp_path: Path) -> None:
    _broken_repo(tmp_path)
    code, report = _json(run, str(tmp_path), "--no-history")
    assert code == 0
    assert report["findings"] == []


def test_plain_directory_has_no_history_to_miss(run: Run, write: Write, tmp_path: Path) -> None:
    write("app.py", "print('hello')\n")
    code, report = _json(run, str(tmp_path))
    assert code == 0
    assert report["findings"] == []


def test_detector_setting_is_a_rule_parameter_that_takes_effect(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """README's `rule_parameters: {GHA004: {include_inputs: ...}}` was accepted and ignored."""
    write(
        ".github/workflows/ci.yml",
        """\
        on:
          workflow_dispatch:
            inputs: {name: {type: string}}
        permissions: {contents: read}
        jobs:
          greet:
            runs-on: ubuntu-24.04
            steps:
              - run: echo "${{ inputs.name }}"
        """,
    )
    _, report = _json(run, str(tmp_path), "--no-history", "--select", "GHA004")
    assert report["findings"] == []
    write(".soc2lint.yaml", "rule_parameters: {GHA004: {include_inputs: true}}\n")
    _, report = _json(run, str(tmp_path), "--no-history", "--select", "GHA004")
    assert [(f["line"], f["rule_id"]) for f in report["findings"]] == [(9, "GHA004")]
    write(".soc2lint.yaml", "rule_parameters: {GHA004: {include_inputs: 'yes'}}\n")
    code, _, err = run(str(tmp_path), "--no-history")
    assert code == 2
    assert "parameter 'include_inputs' for GHA004: expected a bool" in _one_error(err)


def test_shallow_clone_is_an_incomplete_history(run: Run, tmp_path: Path) -> None:
    import subprocess

    import git

    origin = tmp_path / "origin"
    repo = git.Repo.init(origin)
    actor = git.Actor("A", "a@example.com")
    for i in range(3):
        (origin / "app.py").write_text(f"print({i})\n", encoding="utf-8")
        repo.index.add(["app.py"])
        repo.index.commit(f"commit {i}", author=actor, committer=actor)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", origin.as_uri(), str(clone)], check=True)
    code, report = _json(run, str(clone))
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["path"], finding["rule_id"]) == (".git", "SL005")
    assert "the clone is shallow" in finding["message"]
    code, report = _json(run, str(origin))
    assert (code, report["findings"]) == (0, [])


def test_controls_of_an_unread_history_do_not_pass_in_any_format(run: Run, tmp_path: Path) -> None:
    """SEC002 (CC6.1, CC6.6) could not read the history: those controls are evaluated only in
    part (SEC001 read the files), never passed, in JSON, SARIF and text alike."""
    _broken_repo(tmp_path)
    _, report = _json(run, str(tmp_path))
    controls = report["summary"]["controls"]
    assert "CC6.6" in controls["evaluated_in_part"] and "CC6.6" not in controls["passed"]
    assert controls["rules_not_evaluated"]["CC6.6"] == ["SEC002"]
    _, out, _ = run(str(tmp_path), "--format", "sarif")
    assert json.loads(out)["runs"][0]["properties"]["controls"] == controls
    _, out, _ = run(str(tmp_path))
    partly = next(x for x in out.splitlines() if x.startswith("Controls evaluated only in part:"))
    assert "CC6.6" in partly and "SEC002" in partly
    # the same files in a plain directory: nothing was missed, the control passes
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text("print('hello')\n", encoding="utf-8")
    _, report = _json(run, str(plain))
    assert "CC6.6" in report["summary"]["controls"]["passed"]


def test_own_file_names_deeper_in_the_tree_are_scanned_for_secrets(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """soc2lint reads its config and baselines at the root only: a file of the same name in a
    subdirectory is nobody's config, and a secret in it is reported."""
    write("vendor/tool/.soc2lint.yaml", SECRET_LINE)
    write("vendor/tool/.secrets.baseline", SECRET_LINE)
    code, report = _json(run, str(tmp_path), "--no-history", "--select", "SEC001")
    assert code == 1
    assert sorted((f["path"], f["line"]) for f in report["findings"]) == [
        ("vendor/tool/.secrets.baseline", 1),
        ("vendor/tool/.soc2lint.yaml", 1),
    ]
