"""Bad input in the scanned tree: never a traceback, always a finding (or a note) that names the
file and the position, and the rest of the scan still runs.

Every test goes through the real CLI entry point (`soc2lint.cli.main`) on a real tree in
tmp_path. Each tree also holds a good workflow with `permissions: write-all`, and each test checks
that its GHA002 finding is still reported: bad input must not stop the scan.

Exit codes: 0 clean, 1 findings, 2 usage/config/rule error, 3 internal error (a bug).
"""

from __future__ import annotations

import json
import resource
import sys
import textwrap
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from snippets import WRITE_ALL_WORKFLOW as GOOD_WORKFLOW

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

# Where GHA002 reports the good workflow: line 2, the `write-all` value.
GOOD_FINDING = (".github/workflows/good.yml", 2, 14, "GHA002")

MB = 1024 * 1024


# --------------------------------------------------------------------------- helpers


def scan(run: Run, root: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Scan `root` with `--format json`; (exit code, parsed report, stderr)."""
    code, out, err = run(str(root), "--format", "json", *extra)
    assert code in (0, 1), f"exit {code}; stderr: {err}"
    assert "internal error" not in err and "Traceback" not in err, err
    return code, json.loads(out), err


def positions(report: dict[str, Any]) -> set[tuple[str, int, int, str]]:
    return {(f["path"], f["line"], f["column"], f["rule_id"]) for f in report["findings"]}


def only(report: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["path"] == path]


def good_tree(write: Write, root: Path | None = None) -> None:
    if root is None:
        write(".github/workflows/good.yml", GOOD_WORKFLOW)
    else:
        write(".github/workflows/good.yml", GOOD_WORKFLOW, root)


def error_line(err: str) -> str:
    """stderr of a usage error: exactly one line, starting `soc2lint: error:`."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("soc2lint: error: "), lines[0]
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


# --------------------------------------------------------------------------- malformed files


def test_malformed_workflow_yaml_is_sl001_at_the_error_position(
    run: Run, write: Write, tmp_path: Path
) -> None:
    good_tree(write)
    # Line 4: the second `:` (column 20) makes `ubuntu: latest` an illegal nested mapping.
    write(
        ".github/workflows/bad.yml",
        """\
        on: push
        jobs:
          test:
            runs-on: ubuntu: latest
            steps:
              - run: make test
        """,
    )
    code, report, _ = scan(run, tmp_path)
    assert code == 1
    assert positions(report) == {(".github/workflows/bad.yml", 4, 20, "SL001"), GOOD_FINDING}
    (bad,) = only(report, ".github/workflows/bad.yml")
    assert bad["message"] == (
        "Cannot evaluate .github/workflows/bad.yml: invalid YAML: "
        "mapping values are not allowed in this context"
    )
    assert bad["rule_name"] == "parse-error"


def test_malformed_kubernetes_yaml_is_sl001(run: Run, write: Write, tmp_path: Path) -> None:
    good_tree(write)
    write(
        "k8s/deploy.yaml",
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web: api
        spec: {}
        """,
    )
    _, report, _ = scan(run, tmp_path)
    assert positions(report) == {("k8s/deploy.yaml", 4, 12, "SL001"), GOOD_FINDING}
    assert "invalid YAML" in only(report, "k8s/deploy.yaml")[0]["message"]


MALFORMED_JSON = '{\n  "debug": true\n  "port": 80\n}\n'  # missing `,` after line 2


def test_malformed_json_is_not_parsed_when_no_rule_reads_json(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """No built-in rule reads the structure of JSON, so a JSON file is never parsed: the engine
    parses a file only for the document rules that target its kind (SL001 is an engine rule and
    does not cause parsing by itself). The secrets rule reads it as text, which needs no parse:
    no SL001."""
    good_tree(write)
    write("config/app.json", MALFORMED_JSON)
    _, report, _ = scan(run, tmp_path)
    assert positions(report) == {GOOD_FINDING}
    _, report, _ = scan(run, tmp_path, "--ignore", "SEC")
    assert report["files_scanned"] == 1  # only the workflow, without the text rules


JSON_RULE = """\
    id: ORG001
    name: debug-enabled
    title: Debug mode enabled in an application config
    controls: [CC8.1]
    severity: low
    target: json
    status: stable
    match:
      for_each: debug
      where:
        equals: true
    message: "debug is enabled in {path}"
    rationale: Debug mode exposes internals that production must not expose.
    remediation: Set debug to false.
    help: Debug mode prints stack traces and internal state to whoever triggers an error.
    examples:
      fail:
        - code: '{"debug": true}'
          expect: ["1:11"]
      pass:
        - code: '{"debug": false}'
    """


def test_malformed_json_is_sl001_when_a_rule_reads_json(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rules = tmp_path_factory.mktemp("org-rules")
    write("ORG001-debug.yaml", JSON_RULE, rules)
    good_tree(write)
    write("config/app.json", MALFORMED_JSON)
    write("config/ok.json", '{\n  "debug": true\n}\n')
    _, report, _ = scan(run, tmp_path, "--rules", str(rules))
    # JSON is checked strictly: the missing comma is reported where "port" starts (line 3,
    # column 3); the valid JSON file next to it is still evaluated by the same rule.
    assert positions(report) == {
        ("config/app.json", 3, 3, "SL001"),
        ("config/ok.json", 2, 12, "ORG001"),
        GOOD_FINDING,
    }


def test_json_that_only_yaml_would_accept_is_sl001(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rules = tmp_path_factory.mktemp("org-rules")
    write("ORG001-debug.yaml", JSON_RULE, rules)
    good_tree(write)
    write("config/trailing.json", '{\n  "debug": true,\n}\n')  # a trailing comma: valid YAML
    _, report, _ = scan(run, tmp_path, "--rules", str(rules))
    assert positions(report) == {("config/trailing.json", 3, 1, "SL001"), GOOD_FINDING}


def test_non_utf8_column_counts_characters(run: Run, write: Write, tmp_path: Path) -> None:
    good_tree(write)
    # "é" is two bytes in UTF-8 but one column; the bad latin-1 byte follows it
    write(".github/workflows/mixed.yml", b"on: push\nname: caf\xc3\xa9 \xe9\n")
    _, report, _ = scan(run, tmp_path)
    assert (".github/workflows/mixed.yml", 2, 12, "SL001") in positions(report)


# --------------------------------------------------------------------------- resource exhaustion


def _warm_up(run: Run, tmp_path_factory: pytest.TempPathFactory, write: Write) -> None:
    """Run one scan first so that lazy imports are not counted in the measured peak."""
    warm = tmp_path_factory.mktemp("warm")
    write("k8s/a.yaml", "apiVersion: v1\nkind: ConfigMap\n", warm)
    good_tree(write, warm)
    run(str(warm), "--format", "json")


def _alias_bomb(levels: int = 9) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"{letters[0]}: &{letters[0]} [" + ", ".join(['"lol"'] * 9) + "]"]
    for prev, cur in zip(letters[: levels - 1], letters[1:levels], strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return (
        "\n".join(["apiVersion: v1", "kind: ConfigMap", "data:", *("  " + x for x in lines)]) + "\n"
    )


def test_alias_bomb_is_sl003_in_bounded_memory(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    good_tree(write)
    write("k8s/bomb.yaml", _alias_bomb(9))  # 9**9 = 387,420,489 nodes if expanded
    _warm_up(run, tmp_path_factory, write)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        _, report, _ = scan(run, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * rss_unit

    # The document starts at line 1; the alias bomb is reported there, not evaluated further.
    assert positions(report) == {("k8s/bomb.yaml", 1, 1, "SL003"), GOOD_FINDING}
    (bomb,) = only(report, "k8s/bomb.yaml")
    assert bomb["rule_name"] == "excessive-yaml-aliases"
    assert "alias bomb" in bomb["message"]
    assert peak < 200 * MB, f"tracemalloc peak {peak / MB:.0f} MB"
    assert rss_growth < 200 * MB, f"max RSS grew by {rss_growth / MB:.0f} MB"


def _traced_scan(run: Run, root: Path) -> tuple[dict[str, Any], int]:
    tracemalloc.start()
    try:
        _, report, _ = scan(run, root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report, peak


def test_oversized_file_is_sl001_and_never_read_whole(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    good_tree(write)
    _warm_up(run, tmp_path_factory, write)
    # Baseline: the same tree without the big file. (Its peak is already ~max_file_size, because
    # read_text() calls read(max_file_size + 1), which preallocates that much for any file.)
    _, baseline = _traced_scan(run, tmp_path)

    big = tmp_path / "k8s" / "huge.yaml"
    big.parent.mkdir(parents=True)
    line = b"  key: value-value-value-value-value-value-value-value\n"
    chunk = line * (MB // len(line))
    with open(big, "wb") as handle:
        handle.write(b"apiVersion: v1\nkind: ConfigMap\ndata:\n")
        while handle.tell() < 50 * MB:
            handle.write(chunk)
    size = big.stat().st_size
    del chunk

    report, peak = _traced_scan(run, tmp_path)

    assert positions(report) == {("k8s/huge.yaml", 1, 1, "SL001"), GOOD_FINDING}
    (huge,) = only(report, "k8s/huge.yaml")
    assert "max_file_size" in huge["message"]
    assert "over the max_file_size of 10.0 MiB" in huge["message"]
    # Not a byte of the 50 MB file was held in memory: the peak is the baseline's, give or take.
    assert peak - baseline < 1 * MB, f"peak {peak / MB:.1f} MB vs {baseline / MB:.1f} MB without it"
    assert peak < size // 4, f"peak {peak / MB:.1f} MB for a {size / MB:.0f} MB file"


# --------------------------------------------------------------------------- undecodable files


def test_binary_workflow_is_sl001(run: Run, write: Write, tmp_path: Path) -> None:
    good_tree(write)
    write(
        ".github/workflows/x.yml",
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00",
    )
    _, report, _ = scan(run, tmp_path)
    assert positions(report) == {(".github/workflows/x.yml", 1, 1, "SL001"), GOOD_FINDING}
    assert "binary" in only(report, ".github/workflows/x.yml")[0]["message"]


def test_non_utf8_workflow_points_at_the_bad_byte(run: Run, write: Write, tmp_path: Path) -> None:
    good_tree(write)
    # latin-1 "café" as a job id: the 0xe9 byte is on line 3, column 6.
    write(
        ".github/workflows/latin1.yml", b"on: push\njobs:\n  caf\xe9:\n    runs-on: ubuntu-latest\n"
    )
    _, report, _ = scan(run, tmp_path)
    assert positions(report) == {(".github/workflows/latin1.yml", 3, 6, "SL001"), GOOD_FINDING}
    message = only(report, ".github/workflows/latin1.yml")[0]["message"]
    assert "not UTF-8" in message and "0xe9" in message


def test_unreadable_yaml_is_reported_only_where_a_rule_would_read_it(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """Plain `.yaml` files are read only by Kubernetes rules, which want `apiVersion` and `kind`.
    An unreadable one (binary, not UTF-8, too large) is reported as SL001 when its first bytes
    look like a manifest, and skipped silently otherwise: it is not configuration any rule checks."""
    good_tree(write)
    write("k8s/secret.yaml", b"apiVersion: v1\nkind: Secret\ndata:\n  key: \x00\x01\x02\n")
    write("k8s/config.yaml", b"apiVersion: v1\nkind: ConfigMap\ndata:\n  greeting: caf\xe9\n")
    write("assets/blob.yaml", b"\x00\x01binary" * 100)
    write("assets/latin1.yaml", b"name: caf\xe9\n")
    write("data/dump.yaml", b"rows:\n" + b"  - x\n" * (2 * MB))  # 12 MiB > max_file_size
    _, report, _ = scan(run, tmp_path)
    assert positions(report) == {
        ("k8s/secret.yaml", 1, 1, "SL001"),
        ("k8s/config.yaml", 4, 16, "SL001"),
        GOOD_FINDING,
    }
    assert "binary" in only(report, "k8s/secret.yaml")[0]["message"]
    assert "not UTF-8" in only(report, "k8s/config.yaml")[0]["message"]


# --------------------------------------------------------------------------- symlinks

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


def test_symlinks_out_of_the_root_and_loops_are_not_followed_but_noted(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    evil = write("evil.yml", GOOD_WORKFLOW, outside)  # would be a GHA002 if it were scanned
    good_tree(write)
    (tmp_path / ".github/workflows/evil.yml").symlink_to(evil)
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    write("k8s/pod.yaml", PRIVILEGED_POD)
    (tmp_path / "pod-link.yaml").symlink_to("k8s/pod.yaml")  # inside the root: scanned

    code, out, err = run(str(tmp_path), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert positions(report) == {
        GOOD_FINDING,
        ("k8s/pod.yaml", 10, 21, "KUB001"),
        ("pod-link.yaml", 10, 21, "KUB001"),
    }
    notes = [line for line in err.splitlines() if line and "change-management" not in line]
    assert sorted(notes) == sorted(
        [
            "soc2lint: note: .github/workflows/evil.yml: symlink points outside the scan root; not followed",
            "soc2lint: note: a.yaml: broken or looping symlink (Too many levels of symbolic links); skipped",
            "soc2lint: note: b.yaml: broken or looping symlink (Too many levels of symbolic links); skipped",
        ]
    )
    own = [n for n in report["notes"] if "change-management" not in n]
    assert sorted(own) == sorted(n.removeprefix("soc2lint: note: ") for n in notes)

    # The text report prints the same notes on stderr, and never the outside file's finding.
    code, out, err = run(str(tmp_path))
    assert code == 1
    assert "evil.yml: symlink points outside the scan root; not followed" in err
    assert "a.yaml: broken or looping symlink" in err
    assert "write-all" in out and ".github/workflows/evil.yml" not in out


def test_directory_symlink_out_of_the_root_is_noted(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("shared-workflows")
    write("evil.yml", GOOD_WORKFLOW, outside)
    write("k8s/pod.yaml", PRIVILEGED_POD)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/workflows").symlink_to(outside, target_is_directory=True)

    code, out, err = run(str(tmp_path), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert positions(report) == {("k8s/pod.yaml", 10, 21, "KUB001")}  # not followed: holds
    assert ".github/workflows" in err and "outside the scan root" in err  # no note: fails


# --------------------------------------------------------------------------- hostile YAML


def test_control_character_is_sl001_not_a_crash(run: Run, write: Write, tmp_path: Path) -> None:
    good_tree(write)
    write(".github/workflows/ctrl.yml", b"on: push\njobs:\n  a\x07b:\n    runs-on: ubuntu-latest\n")
    code, out, err = run(str(tmp_path), "--format", "json")
    assert code == 1
    assert "internal error" not in err and "Traceback" not in err
    report = json.loads(out)
    ctrl = only(report, ".github/workflows/ctrl.yml")
    assert [f["rule_id"] for f in ctrl] == ["SL001"]
    assert "control characters are not allowed" in ctrl[0]["message"]
    assert GOOD_FINDING in positions(report)


def test_control_character_is_reported_at_its_position(
    run: Run, write: Write, tmp_path: Path
) -> None:
    good_tree(write)
    write(".github/workflows/ctrl.yml", b"on: push\njobs:\n  a\x07b:\n    runs-on: ubuntu-latest\n")
    _, report, _ = scan(run, tmp_path)
    assert positions(report) == {(".github/workflows/ctrl.yml", 3, 4, "SL001"), GOOD_FINDING}


def test_deeply_nested_flow_sequences_are_sl001(run: Run, write: Write, tmp_path: Path) -> None:
    good_tree(write)
    write(".github/workflows/deep.yml", "on: push\njobs: " + "[" * 100_000 + "\n")
    write(
        "k8s/deep.yaml",
        "apiVersion: v1\nkind: List\nitems: " + "[" * 100_000 + "]" * 100_000 + "\n",
    )
    code, out, err = run(str(tmp_path), "--format", "json")
    assert code == 1
    assert "internal error" not in err and "Traceback" not in err
    report = json.loads(out)
    for path, line in ((".github/workflows/deep.yml", 2), ("k8s/deep.yaml", 3)):
        (finding,) = only(report, path)
        assert (finding["rule_id"], finding["line"]) == ("SL001", line)
        assert "nesting" in finding["message"]
    assert GOOD_FINDING in positions(report)


def test_deep_but_parseable_nesting_is_not_called_an_alias_bomb(
    run: Run, write: Write, tmp_path: Path
) -> None:
    good_tree(write)
    depth = 990  # under libyaml's nesting limit of 1000, so it parses
    write("k8s/deep.yaml", "apiVersion: v1\nkind: List\nitems: " + "[" * depth + "]" * depth + "\n")
    _, report, _ = scan(run, tmp_path)
    assert GOOD_FINDING in positions(report)
    assert [f["rule_id"] for f in only(report, "k8s/deep.yaml")] in ([], ["SL001"])


@pytest.mark.parametrize(
    ("name", "content", "structural"),
    [
        (
            "jobs-is-a-string",
            """\
        on: push
        jobs: "build and deploy"
        """,
            {(2, 7)},
        ),
        (
            "job-is-a-string",
            """\
        on: push
        jobs:
          deploy: "kubectl apply -f k8s/"
          number: 3
          list: [1, 2]
          empty:
        """,
            {(3, 3), (4, 3), (5, 3), (6, 3)},
        ),
        (
            "steps-is-a-mapping",
            """\
        on: pull_request_target
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: production
            steps:
              run: echo "${{ github.head_ref }}"
              uses: tj-actions/changed-files@v45
          odd:
            runs-on: ubuntu-latest
            steps: [1, "x", [], {run: 5}, {run: [a]}, {uses: 7},
                    {uses: actions/github-script@v7, with: 3},
                    {uses: actions/github-script@v7, with: {script: [1]}}]
        """,
            {(6, 5)},
        ),
        ("top-level-is-a-list", "- on: push\n- jobs: {}\n", {(1, 1)}),
        ("empty-file", "", set()),
    ],
)
def test_workflow_with_unexpected_shapes_does_not_crash(
    run: Run,
    write: Write,
    tmp_path: Path,
    name: str,
    content: str,
    structural: set[tuple[int, int]],
) -> None:
    good_tree(write)
    write(f".github/workflows/{name}.yml", content)
    code, out, err = run(str(tmp_path), "--format", "json")
    assert code in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err
    report = json.loads(out)
    # Each wrong shape is one GHA025 invalid-workflow finding, at the offending node; the rules
    # that read strings (GHA003 `uses:`, GHA004 `run:`, GHA012 values) do not trip over them.
    path = f".github/workflows/{name}.yml"
    found = positions(report) - {GOOD_FINDING}
    assert {f for f in found if f[3] == "GHA025"} == {
        (path, line, col, "GHA025") for line, col in structural
    }
    assert not {f for f in found if f[3] in ("GHA003", "GHA004", "GHA012", "SL001")}


# --------------------------------------------------------------------------- broken rule files

RULE = """\
    id: ORG002
    name: latest-runner
    title: Job runs on a moving runner image
    controls: [CC8.1]
    severity: low
    target: github-workflow
    status: stable
    match:
      for_each: jobs.*
      where:
        path: runs-on
        equals: ubuntu-latest
    message: "Job '{candidate}' runs on a runner image that changes without review"
    rationale: A moving runner image changes the build environment without review.
    remediation: Pin the runner image, e.g. ubuntu-24.04.
    help: The ubuntu-latest label moves to a new image version without notice.
    examples:
      fail:
        - code: |
            on: push
            jobs:
              a:
                runs-on: ubuntu-latest
          expect: ["4:14"]
      pass:
        - code: |
            on: push
            jobs:
              a:
                runs-on: ubuntu-24.04
    """


def test_valid_extra_rule_file_loads(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The baseline for the broken variants below: the unmodified rule loads and runs."""
    rules = tmp_path_factory.mktemp("rules")
    write("ORG002.yaml", RULE, rules)
    good_tree(write)
    _, report, _ = scan(run, tmp_path, "--rules", str(rules))
    assert positions(report) == {GOOD_FINDING, (".github/workflows/good.yml", 5, 14, "ORG002")}


@pytest.mark.parametrize(
    ("case", "old", "new", "line", "expected"),
    [
        (
            "unknown-match-key",
            "  for_each: jobs.*\n",
            "  for_each: jobs.*\n  foreach: jobs\n",
            10,
            "key 'match.foreach': unknown key 'foreach'",
        ),
        (
            "bad-regex",
            "    equals: ubuntu-latest\n",
            '    regex: "ubuntu-(latest"\n',
            12,
            "key 'match.where.regex': invalid regex 'ubuntu-(latest'",
        ),
        (
            "unknown-control",
            "controls: [CC8.1]\n",
            "controls: [CC8.1, A2.1]\n",
            4,
            "key 'controls.1': unknown control 'A2.1'",
        ),
        (
            "yaml-syntax-error",
            "title: Job runs on a moving runner image\n",
            "title: Job runs on: a moving runner image\n",
            3,
            "invalid YAML: mapping values are not allowed",
        ),
    ],
)
def test_broken_rule_file_is_one_line_exit_2(
    run: Run,
    write: Write,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    case: str,
    old: str,
    new: str,
    line: int,
    expected: str,
) -> None:
    rules = tmp_path_factory.mktemp("rules")
    text = textwrap.dedent(RULE)
    assert old in text
    write("ORG002.yaml", text.replace(old, new), rules)
    good_tree(write)
    code, out, err = run(str(tmp_path), "--format", "json", "--rules", str(rules))
    assert code == 2
    assert out == ""
    message = error_line(err)
    assert message.startswith(f"soc2lint: error: {rules}/ORG002.yaml:{line}: "), message
    assert expected in message


def test_pathologically_nested_rule_condition_is_exit_2(
    run: Run, write: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rules = tmp_path_factory.mktemp("rules")
    condition = "{path: runs-on, equals: ubuntu-latest}"
    for _ in range(400):
        condition = "{not: " + condition + "}"
    text = textwrap.dedent(RULE).replace(
        "  where:\n    path: runs-on\n    equals: ubuntu-latest\n", f"  where: {condition}\n"
    )
    write("ORG002.yaml", text, rules)
    good_tree(write)
    code, _, err = run(str(tmp_path), "--rules", str(rules))
    assert code == 2, err
    assert f"{rules.name}/ORG002.yaml" in error_line(err)


# --------------------------------------------------------------------------- broken config


@pytest.mark.parametrize(
    ("case", "config", "line", "expected"),
    [
        (
            "unknown-key",
            "select: [GHA]\nexclud:\n  - vendor/**\n",
            2,
            "key 'exclud': unknown key 'exclud'",
        ),
        (
            "exception-without-reason",
            "exceptions:\n  - rule: GHA002\n    path: .github/workflows/good.yml\n    expires: 2030-01-01\n",
            2,
            "key 'exceptions.0': 'reason' is required",
        ),
        (
            "unknown-key-in-exception",
            "exceptions:\n  - rule: GHA002\n    reason: legacy workflow, SEC-1\n    reson: typo\n",
            4,
            "key 'exceptions.0.reson': unknown key 'reson'",
        ),
        (
            "yaml-syntax-error",
            "select: [GHA]\nexclude: vendor: x\n",
            2,
            "invalid YAML: mapping values are not allowed",
        ),
    ],
)
def test_broken_config_is_one_line_exit_2(
    run: Run, write: Write, tmp_path: Path, case: str, config: str, line: int, expected: str
) -> None:
    good_tree(write)
    path = write(".soc2lint.yaml", config)
    code, out, err = run(str(tmp_path), "--format", "json")
    assert code == 2
    assert out == ""
    message = error_line(err)
    assert message.startswith(f"soc2lint: error: {path}:{line}: "), message
    assert expected in message


def test_config_exception_for_unknown_rule_names_line_and_key(
    run: Run, write: Write, tmp_path: Path
) -> None:
    good_tree(write)
    path = write(
        ".soc2lint.yaml",
        """\
        exceptions:
          - rule: GHA002
            reason: legacy workflow, tracked in SEC-1
          - rule: GHA999
            reason: typo in the rule id
        """,
    )
    code, _, err = run(str(tmp_path))
    assert code == 2
    message = error_line(err)
    assert message.startswith(f"soc2lint: error: {path}:4: key 'exceptions.1.rule': "), message
    assert "GHA999" in message


def test_deeply_nested_config_is_not_an_internal_error(
    run: Run, write: Write, tmp_path: Path
) -> None:
    good_tree(write)
    write(".soc2lint.yaml", "parameters: " + "{a: " * 600 + "1" + "}" * 600 + "\n")
    code, _, err = run(str(tmp_path))
    assert "internal error" not in err
    assert code in (0, 1, 2)


def test_selecting_only_parse_error_still_reads_the_files(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(".github/workflows/bad.yml", "on: push\njobs:\n  a: [\n")
    write("k8s/pod.yaml", "apiVersion: v1\nkind: Pod\nspec: {containers: [\n")
    for select in ("SL001", "parse-error"):
        code, report, _ = scan(run, tmp_path, "--select", select)
        assert code == 1
        assert {(f[0], f[3]) for f in positions(report)} == {
            (".github/workflows/bad.yml", "SL001"),
            ("k8s/pod.yaml", "SL001"),
        }
