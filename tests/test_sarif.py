"""SARIF 2.1.0: valid against the official schema, deterministic, fingerprints that survive edits."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, SARIF_SCHEMA, SARIF_SCHEMA_SHA256

DEPLOY = """\
on:
  push:
    branches: [main]
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/ship@v2
      - run: echo "${{ github.event.pull_request.title }}" && kubectl apply -f k8s/
"""

MANIFESTS = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: prod}
spec:
  containers:
    - name: app
      image: app@sha256:00
      securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: prod}
spec:
  containers:
    - name: app
      image: app@sha256:00
      securityContext: {privileged: true}
"""


def test_the_schema_is_the_official_one() -> None:
    import hashlib

    assert hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() == SARIF_SCHEMA_SHA256
    vendored = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == SARIF_SCHEMA_SHA256


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def sarif(run: Callable[..., tuple[int, str, str]], root: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run("--format", "sarif", str(root), *extra)
    assert code in (0, 1), err
    return json.loads(out)  # type: ignore[no-any-return]


def test_sarif_validates_and_has_what_code_scanning_reads(
    write: Callable[..., Path],
    run: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    validator: jsonschema.Draft4Validator,
) -> None:
    write(".github/workflows/deploy.yml", DEPLOY)
    doc = sarif(run, tmp_path, "--select", "GHA001,GHA002,GHA003,GHA004,SL")
    validator.validate(doc)
    (run_,) = doc["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "soc2lint" and driver["semanticVersion"] and driver["informationUri"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids) and {"GHA001", "GHA002", "GHA003", "GHA004", "SL001"} <= set(ids)
    for rule in driver["rules"]:
        assert rule["helpUri"].endswith(f"docs/rules/{rule['id']}.md")
        assert rule["help"]["markdown"] and rule["fullDescription"]["text"]
        sev = float(rule["properties"]["security-severity"])
        assert isinstance(rule["properties"]["security-severity"], str) and 0 < sev <= 10
        assert any(t.startswith("CC") for t in rule["properties"]["tags"])
        assert len(rule["properties"]["tags"]) <= 20
    assert run_["automationDetails"]["id"] == "soc2lint/"
    results = {r["ruleId"]: r for r in run_["results"]}
    assert set(results) == {"GHA001", "GHA002", "GHA003", "GHA004"}
    gha002 = results["GHA002"]
    assert driver["rules"][gha002["ruleIndex"]]["id"] == "GHA002"
    loc = gha002["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {
        "uri": ".github/workflows/deploy.yml",
        "uriBaseId": "%SRCROOT%",
    }
    assert loc["region"]["startLine"] == 4 and loc["region"]["startColumn"] == 14
    assert gha002["level"] == "error"
    assert gha002["partialFingerprints"]["primaryLocationLineHash"]


def test_byte_identical_output(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/deploy.yml", DEPLOY)
    write("k8s/pods.yaml", MANIFESTS)
    first = run("--format", "sarif", str(tmp_path))[1]
    second = run("--format", "sarif", str(tmp_path))[1]
    assert first == second and first.encode() == second.encode()


def test_fingerprints_survive_unrelated_edits(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/deploy.yml", DEPLOY)
    before = {r["ruleId"]: r for r in sarif(run, tmp_path)["runs"][0]["results"]}
    # insert comment lines and an extra step above the flagged ones
    shifted = DEPLOY.replace("on:\n", "# deploys the app\n# owner: platform\non:\n").replace(
        "    steps:\n", "    steps:\n      - run: echo start\n        name: hello\n"
    )
    write(".github/workflows/deploy.yml", shifted)
    after = {r["ruleId"]: r for r in sarif(run, tmp_path)["runs"][0]["results"]}
    for rule_id in ("GHA001", "GHA002"):
        b, a = before[rule_id], after[rule_id]
        assert (
            b["locations"][0]["physicalLocation"]["region"]["startLine"]
            != a["locations"][0]["physicalLocation"]["region"]["startLine"]
        )
        assert b["partialFingerprints"] == a["partialFingerprints"]


def test_near_identical_documents_do_not_collide(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write("k8s/pods.yaml", MANIFESTS)
    results = sarif(run, tmp_path)["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["KUB001", "KUB001"]
    prints = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert len(prints) == 2
    assert [r["properties"]["identity"].split(":")[0] for r in results] == [
        "Pod/prod/a",
        "Pod/prod/b",
    ]


def test_suppressed_findings_are_left_out_and_counted(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(
        ".github/workflows/deploy.yml",
        DEPLOY.replace(
            "permissions: write-all",
            "permissions: write-all  # soc2lint: ignore[GHA002] sandbox org",
        ),
    )
    write(
        ".soc2lint.yaml",
        """\
        exceptions:
          - rule: unpinned-action
            path: .github/workflows/*.yml
            reason: acme/ship is our own action, pinned by policy in SEC-12
            expires: 2999-01-01
    """,
    )
    run_ = sarif(run, tmp_path, "--select", "GHA001,GHA002,GHA003,GHA004")["runs"][0]
    assert {r["ruleId"] for r in run_["results"]} == {"GHA001", "GHA004"}
    assert run_["properties"]["suppressedCount"] == 2
    assert run_["properties"]["suppressedByKind"] == {"config": 1, "inline": 1}


def test_category_option(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write(".github/workflows/ci.yml", "on: push\njobs: {}\n")
    assert sarif(run, tmp_path, "--category", "soc2/workflows")["runs"][0]["automationDetails"] == {
        "id": "soc2/workflows/"
    }


def test_sarif_from_every_rule_example_validates(
    tmp_path: Path, validator: jsonschema.Draft4Validator, run: Callable[..., tuple[int, str, str]]
) -> None:
    """Every single-file rule example in one tree, one SARIF run: it validates, and each
    example's own rule is reported exactly at the example's `expect` positions (none for a
    passing example), as `region.startLine`/`startColumn` of the example's file."""
    from soc2lint.detectors import DETECTORS
    from soc2lint.formats.targets import TARGETS
    from soc2lint.language.load import builtin_rules_dir, load_rules

    # every example in its own directory of one tree (workflows are recognised at any depth)
    expected: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (rule, uri) -> positions
    for rule in load_rules([builtin_rules_dir()]):
        for j, example in enumerate(rule.fail_examples + rule.pass_examples):
            path_in_repo = example.path or TARGETS[rule.target].example_path
            # evidence (.soc2/), CODEOWNERS and the history are read at the repository's root only;
            # a join's verdict depends on the whole tree, and a parameter is the example's own
            if (
                example.files
                or example.parameters
                or (rule.detector is not None and DETECTORS[rule.detector].join is not None)
                or example.history
                or path_in_repo.startswith(".soc2/")
                or posixpath.basename(path_in_repo) == "CODEOWNERS"
            ):
                continue
            rel = f"{rule.id}-{j}/{path_in_repo}"
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(example.code, encoding="utf-8")
            expected[rule.id, rel] = sorted((line, col) for _, line, col in example.expect)
    doc = sarif(run, tmp_path, "--preview")
    validator.validate(doc)
    found: dict[tuple[str, str], list[tuple[int, int]]] = {key: [] for key in expected}
    for result in doc["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        key = (result["ruleId"], location["artifactLocation"]["uri"])
        if key in found:
            found[key].append((location["region"]["startLine"], location["region"]["startColumn"]))
    assert {k: sorted(v) for k, v in found.items()} == expected


def test_examples_directory_sarif_validates(
    run: Callable[..., tuple[int, str, str]], validator: jsonschema.Draft4Validator
) -> None:
    examples = REPO / "examples"
    if not examples.is_dir():
        pytest.skip("no examples directory")
    validator.validate(sarif(run, examples))


def _uris(out: str) -> list[str]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(out)["runs"][0]["results"]
    ]


def test_paths_start_at_the_repository_root_when_a_subdirectory_is_scanned(
    write: Callable[..., Path],
    run: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    validator: jsonschema.Draft4Validator,
) -> None:
    """Scanning `services/api` of a monorepo: code scanning resolves `%SRCROOT%` at the
    repository's root, so the URIs must carry the subdirectory (text and JSON keep paths
    relative to the scanned directory)."""
    import git

    repo = git.Repo.init(tmp_path)
    workflow = write("services/api/.github/workflows/ci.yml", DEPLOY)
    repo.index.add([str(workflow.relative_to(tmp_path))])
    actor = git.Actor("A", "a@example.com")
    repo.index.commit("one", author=actor, committer=actor)
    sub = tmp_path / "services" / "api"

    code, out, err = run(str(sub), "--format", "sarif", "--no-history", "--select", "GHA002")
    assert code == 1, err
    validator.validate(json.loads(out))
    assert _uris(out) == ["services/api/.github/workflows/ci.yml"]
    # pre-commit's way: file paths, from inside the subdirectory
    code, out, err = run(
        ".github/workflows/ci.yml", "--format", "sarif", "--select", "GHA002", cwd=sub
    )
    assert _uris(out) == ["services/api/.github/workflows/ci.yml"]
    # the repository's top, and a directory outside any repository, are unchanged
    code, out, err = run(str(tmp_path), "--format", "sarif", "--no-history", "--select", "GHA002")
    assert _uris(out) == ["services/api/.github/workflows/ci.yml"]
    plain = tmp_path.parent / (tmp_path.name + "-plain")
    write(".github/workflows/ci.yml", DEPLOY, root=plain)
    code, out, err = run(str(plain), "--format", "sarif", "--select", "GHA002")
    assert _uris(out) == [".github/workflows/ci.yml"]
    code, out, err = run(str(sub), "--format", "json", "--no-history", "--select", "GHA002")
    assert [f["path"] for f in json.loads(out)["findings"]] == [".github/workflows/ci.yml"]
