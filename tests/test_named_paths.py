"""Named paths: a library's `paths:` section, `for_each: {use: NAME}`, and their load errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]

MANIFESTS = """\
apiVersion: v1
kind: Service
metadata: {name: bastion}
spec:
  ports:
    - {name: https, port: 443}
    - {name: ssh, port: 22}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - name: fetch
              image: busybox
          containers:
            - name: report
              image: busybox
              resources: {limits: {memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers:
    - name: app
      image: app
      resources: {limits: {memory: 64Mi}}
  ephemeralContainers:
    - name: shell
      image: busybox
      securityContext: {privileged: true}
"""

RULE = """\
id: {id}
name: {name}
title: A title of some length
controls: [CC6.1]
severity: low
target: kubernetes
status: stable
match:
  for_each: {for_each}
  {condition}
message: "{message}"
rationale: Why an auditor cares about it.
remediation: What to do about it.
help: How it goes wrong, and what the auditor asks for.
examples:
  fail: [{{code: "{fail}", expect: ["{expect}"]}}]
  pass: [{{code: "kind: Pod\\n"}}]
"""


def _rule(
    write: Callable[..., Path],
    id: str,
    name: str,
    for_each: str,
    condition: str,
    message: str,
    fail: str = "kind: Pod\\nspec: {containers: [{name: a}]}\\n",
    expect: str = "2:21",
) -> Path:
    return write(
        f"policy/{id}-{name}.yaml",
        RULE.format(
            id=id,
            name=name,
            for_each=for_each,
            condition=condition,
            message=message,
            fail=fail,
            expect=expect,
        ),
    )


def _findings(run: Run, root: Path, *extra: str) -> list[tuple[str, int, int, str]]:
    code, out, err = run("--format", "json", str(root), *extra)
    assert code in (0, 1), err
    return [
        (f["rule_id"], f["line"], f["column"], f["message"]) for f in json.loads(out)["findings"]
    ]


def test_a_user_rule_uses_its_own_library_path_and_a_builtin_one(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write(
        "policy/_paths.yaml", 'description: Our paths.\npaths:\n  service-ports: "spec.ports[*]"\n'
    )
    _rule(
        write,
        "ACME010",
        "ssh-port-exposed",
        "{use: service-ports}",
        "where: {path: port, equals: 22}",
        "Service port '{candidate}' exposes SSH",
        fail="kind: Service\\nspec: {ports: [{port: 22}]}\\n",
        expect="2:28",
    )
    # a list mixes named paths and plain ones; a candidate reached twice is reported once
    _rule(
        write,
        "ACME011",
        "container-without-limits",
        '[{use: pod-containers}, "spec.jobTemplate.spec.template.spec.initContainers[*]"]',
        "assert: {path: resources.limits, exists: true}",
        "Container '{candidate}' sets no resource limits",
    )
    write("k8s/all.yaml", MANIFESTS, root=tmp_path / "repo")
    found = _findings(
        run,
        tmp_path / "repo",
        "--rules",
        str(tmp_path / "policy"),
        "--select",
        "ACME010,ACME011,KUB001",
    )
    assert sorted(found) == [
        ("ACME010", 7, 25, "Service port 'ssh' exposes SSH"),
        ("ACME011", 18, 15, "Container 'fetch' sets no resource limits"),  # a CronJob's init
        ("ACME011", 34, 7, "Container 'shell' sets no resource limits"),  # a Pod's ephemeral
        (
            "KUB001",
            36,
            37,
            "Container 'shell' sets `privileged: true`: it has every capability "
            "and the host's devices",
        ),
    ]


def test_an_unknown_named_path_is_a_load_error_naming_file_line_key_and_known_names(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    write("policy/_paths.yaml", 'paths:\n  service-ports: "spec.ports[*]"\n')
    rule = _rule(
        write,
        "ACME012",
        "typo",
        "{use: pod-container}",
        "where: {path: image, exists: true}",
        "Container '{candidate}'",
    )
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2
    head, _, known = err.strip().partition(" (known: ")
    assert head.endswith(
        f"{rule}:9: key 'match.for_each.use': unknown named path 'pod-container'"
    ), err
    assert "pod-containers" in known.rstrip(")").split(", "), err
    # in a list, the key names the item
    _rule(
        write,
        "ACME012",
        "typo",
        '["spec.containers[*]", {use: nope}]',
        "where: {path: image, exists: true}",
        "Container '{candidate}'",
    )
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2 and f"{rule}:9: key 'match.for_each.1.use': unknown named path 'nope'" in err


def test_library_paths_are_checked_when_loaded(
    write: Callable[..., Path], run: Run, tmp_path: Path
) -> None:
    library = write("policy/_paths.yaml", "paths:\n  pod-containers: spec.containers[*]\n")
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2
    assert (
        f"{library}:2: key 'paths.pod-containers': named path 'pod-containers' also defined "
        "in rules/k8s/_paths.yaml"
    ) in err
    write("policy/_paths.yaml", "paths:\n  ports:\n    - spec.ports[*]\n    - spec..ports\n")
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2 and f"{library}:4: key 'paths.ports.1': empty key in path 'spec..ports'" in err
    write("policy/_paths.yaml", "paths:\n  Ports: spec.ports[*]\n")
    code, _, err = run("rules", "--rules", str(tmp_path / "policy"), cwd=tmp_path)
    assert code == 2 and f"{library}:1: key 'paths': 'Ports' does not match" in err
