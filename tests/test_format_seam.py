"""The format seam: a format defined here, in the test module, with no edit under soc2lint/,
is recognised, parsed into neutral nodes, and matched by a declarative rule from a --rules
directory, with exact positions in text and SARIF."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest

from soc2lint.formats import nodes
from soc2lint.formats.registry import Candidate, Format, Target, register
from soc2lint.model import Artifact, Document, ParsedArtifact
from tests.conftest import SARIF_SCHEMA

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

_LINE = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")
_SECTION = re.compile(r"^\s*\[(?P<name>[A-Za-z_][A-Za-z0-9_]*)\]\s*$")


def parse_conf(artifact: Artifact, text: str) -> ParsedArtifact:
    """`key = value` lines under optional `[section]` headers (`#` comments) -> a mapping of
    string scalars and one mapping per section, each node at its text."""

    def scalar(value: str, number: int, column: int, offset: int, style: str | None) -> nodes.Node:
        return nodes.scalar(
            value,
            nodes.mark(number, column, offset + column),
            nodes.mark(number, column + len(value), offset + column + len(value)),
            style=style,
        )

    start = nodes.mark(0, 0, 0)
    top: list[tuple[nodes.Node, nodes.Node]] = []
    pairs = top
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        body = line.rstrip("\r\n")
        setting, section = _LINE.match(body), _SECTION.match(body)
        if setting:
            pairs.append(
                (
                    scalar(setting["key"], number, setting.start("key"), offset, None),
                    scalar(setting["value"], number, setting.start("value"), offset, '"'),
                )
            )
        elif section:
            key = scalar(section["name"], number, section.start("name"), offset, None)
            pairs = []
            top.append((key, nodes.mapping(pairs, key.start_mark, key.end_mark)))
        elif body.strip() and not body.lstrip().startswith("#"):
            return ParsedArtifact(
                artifact,
                text,
                error="not a `key = value` line",
                error_line=number + 1,
                error_column=1,
            )
        offset += len(line)
    return ParsedArtifact(
        artifact, text, (Document(0, nodes.mapping(top, start, start), "", text),)
    )


def _is_conf(candidate: Candidate) -> bool:
    return candidate.name.endswith(".conf")


CONF = Format("acme-conf", "ACME service settings (`key = value`)", _is_conf, parse_conf)
CONF_TARGETS = {
    "acme-conf": Target(
        "ACME service settings files (*.conf)", frozenset({"acme-conf"}), "service.conf"
    )
}

RULE = """\
id: ACME101
name: conf-tls-verification-off
title: Service settings turn TLS verification off
controls: [CC6.7]
severity: high
target: acme-conf
status: stable
match:
  for_each: [tls_verify, "*.verify_tls"]
  where: {equals: "false"}
message: "`{route} = false` sends credentials over unverified TLS"
rationale: Without certificate verification anyone on the path can read the traffic.
remediation: Set it to true and install the internal CA instead.
help: The ACME services read `*.conf` settings at start-up.
examples:
  fail:
    - path: svc/api.conf
      code: |
        # api settings
        [upstream]
        verify_tls = false
      expect: ["3:14"]
  pass:
    - path: svc/api.conf
      code: |
        [upstream]
        verify_tls = true
"""


@pytest.fixture
def conf_format() -> Iterator[None]:
    undo = register(CONF, CONF_TARGETS)
    try:
        yield
    finally:
        undo()


def test_a_format_from_the_test_module_runs_a_declarative_rule(
    conf_format: None, run: Run, write: Write, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    write(
        "svc/api.conf",
        """\
        # settings of the api service
        listen = 0.0.0.0:8443
          tls_verify   =   false

        [upstream]
        verify_tls = false
        timeout = 30
        """,
        root=repo,
    )
    write("svc/worker.conf", "tls_verify = true\n", root=repo)
    write("svc/broken.conf", "listen = 1\nthis line is no setting\n", root=repo)
    write("ACME101.yaml", RULE, root=tmp_path / "policy")
    argv = [
        str(repo),
        "--rules",
        str(tmp_path / "policy"),
        "--select",
        "ACME101,SL001",
        "--no-history",
    ]

    code, out, err = run(*argv, "-q")
    assert code == 1, err
    assert out.splitlines() == [
        "svc/api.conf:3:20: ACME101 [CC6.7] high: `tls_verify = false` sends credentials over "
        "unverified TLS",
        "svc/api.conf:6:14: ACME101 [CC6.7] high: `upstream.verify_tls = false` sends "
        "credentials over unverified TLS",
        "svc/broken.conf:2:1: SL001 [CC2.1] medium: Cannot evaluate svc/broken.conf: not a "
        "`key = value` line",
    ]

    code, out, err = run(*argv, "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(sarif)
    regions = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"],
        )
        for r in sarif["runs"][0]["results"]
    ]
    assert regions == [
        (
            "ACME101",
            "svc/api.conf",
            {"startLine": 3, "startColumn": 20, "endLine": 3, "endColumn": 25},
        ),
        (
            "ACME101",
            "svc/api.conf",
            {"startLine": 6, "startColumn": 14, "endLine": 6, "endColumn": 19},
        ),
        ("SL001", "svc/broken.conf", {"startLine": 2, "startColumn": 1}),
    ]


def test_the_rules_own_examples_run_on_the_registered_format(
    conf_format: None,
    tmp_path: Path,
) -> None:
    """A rule on a new format is tested by its examples like any built-in one."""
    import datetime as dt

    from soc2lint.config import Config
    from soc2lint.language.load import load_rule_file
    from soc2lint.scan.engine import scan

    path = tmp_path / "policy" / "ACME101.yaml"
    path.parent.mkdir()
    path.write_text(RULE, encoding="utf-8")
    rule = load_rule_file(path)
    (fail,), (good,) = rule.fail_examples, rule.pass_examples
    for i, example in enumerate((fail, good)):
        root = tmp_path / f"example-{i}"
        target = root / (example.path or "service.conf")
        target.parent.mkdir(parents=True)
        target.write_text(example.code, encoding="utf-8")
        result = scan(root, [rule], Config(), today=dt.date(2026, 1, 1), jobs=1)
        assert [(f.location.start_line, f.location.start_column) for f in result.findings] == [
            (line, col) for _, line, col in example.expect
        ]


def test_without_the_format_its_files_are_text_and_its_target_unknown(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("repo/svc/api.conf", "upstream.verify_tls = false\n")
    write("policy/ACME101.yaml", RULE)
    code, _, err = run(str(tmp_path / "repo"), "--rules", str(tmp_path / "policy"))
    assert code == 2
    assert "unknown target 'acme-conf'" in err
