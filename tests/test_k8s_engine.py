"""Engine shortcuts for Kubernetes scans must not change a result: the document gate (the part
of `where` that reads only `$.` paths and parameters, checked once per document before any
candidate is looked for) and the per-document cache of `for_each` paths."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from soc2lint.language.match import compile_match

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: web, image: nginx}
        - {name: side, image: "busybox:1.36", readinessProbe: {exec: {command: [true]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: one}
spec:
  containers:
    - {name: one, image: alpine}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}]
"""

CONDITIONS = {
    "controller": {"all": [{"path": "$.kind", "in": ["Deployment"]}]},
    "pod-or-controller": {"any": [{"use": "controller"}, {"path": "$.kind", "equals": "Pod"}]},
}

CASES: list[dict[str, Any]] = [
    # a gate from a named condition, and a candidate-level condition after it
    {
        "for_each": ["spec.containers[*]", "spec.template.spec.containers[*]"],
        "where": {"all": [{"use": "controller"}, {"path": "readinessProbe", "absent": True}]},
    },
    # the gate is the last conjunct: the witness (where the finding points) must not move
    {
        "for_each": ["spec.containers[*]", "spec.template.spec.containers[*]"],
        "where": {"all": [{"path": "image", "regex": "^[^:]+$"}, {"use": "pod-or-controller"}]},
    },
    # `any` mixing the document and the candidate: no gate, same result
    {
        "for_each": "spec.template.spec.containers[*]",
        "where": {"any": [{"path": "$.kind", "equals": "Pod"}, {"path": "name", "equals": "side"}]},
    },
    # a parameter in the gate
    {
        "for_each": "spec.containers[*]",
        "where": {
            "all": [{"param": "names", "length": {"equals": 0}}, {"path": "name", "exists": True}]
        },
    },
    # not / absent on an absolute path
    {
        "for_each": "spec.template.spec.containers[*]",
        "where": {"all": [{"not": {"path": "$.metadata.namespace", "equals": "kube-system"}}]},
        "assert": {"path": "readinessProbe", "exists": True},
    },
]


def _hits(matcher: Any, root: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(h.route, h.focus, sorted(h.fields.items())) for h in matcher.run(root, params, {})]


def test_document_gate_changes_no_result() -> None:
    docs = list(yaml.compose_all(MANIFESTS, Loader=yaml.CSafeLoader))
    for case in CASES:
        matcher = compile_match(case, {"names": {}}, CONDITIONS)
        ungated = replace(matcher, gate=None)
        choices: tuple[dict[str, Any], ...] = ({"names": []}, {"names": ["x"]})
        for params in choices:
            for root in docs:
                assert _hits(matcher, root, params) == _hits(ungated, root, params), case


def test_gate_only_from_whole_document_conjuncts() -> None:
    gated = compile_match(CASES[0], {}, CONDITIONS)
    mixed = compile_match(CASES[2], {}, CONDITIONS)
    assert gated.gate is not None
    assert mixed.gate is None  # `any` with a candidate path is no document-level condition
    # a Service never reaches the containers: the gate refuses it before any path is walked
    service = list(yaml.compose_all(MANIFESTS, Loader=yaml.CSafeLoader))[2]
    memo: dict[Any, Any] = {}
    assert list(gated.run(service, {}, memo)) == []
    assert not any(isinstance(k, tuple) and k[0] == "for_each" for k in memo)


def test_workers_only_when_the_work_pays_for_them() -> None:
    from soc2lint.model import Artifact
    from soc2lint.scan.parallel import MIN_FILES, MIN_WORK, TEXT_COST, worth_forking

    kub = [r for r in _builtin_rules() if r.id in ("KUB001", "KUB013")]
    secrets = [r for r in _builtin_rules() if r.id == "SEC001"]
    each = MIN_WORK // (MIN_FILES * 2) + 1  # MIN_FILES YAML files: about half the work needed

    def files(size: int, kind: str = "yaml") -> list[Artifact]:
        return [Artifact(f"k/{i}.yaml", f"/r/k/{i}.yaml", kind, size) for i in range(MIN_FILES)]

    assert not worth_forking(files(each), kub)
    assert worth_forking(files(each * 2), kub)
    assert not worth_forking(files(each * 100, "text"), kub)  # files no KUB rule reads
    assert worth_forking(files(each * 2 // TEXT_COST + 1, "text"), secrets)  # read as text
    assert not worth_forking(files(each * 100)[: MIN_FILES - 1], kub)  # few files: never


def _builtin_rules() -> list[Any]:
    from soc2lint.language.load import builtin_rules_dir, load_rules

    return load_rules([builtin_rules_dir()])


def test_rules_asking_for_other_kinds_are_skipped_not_changed() -> None:
    from soc2lint.language.match import kinds_of

    rules = {r.id: r for r in _builtin_rules()}
    assert kinds_of(rules["KUB013"]) == frozenset({"Deployment", "StatefulSet", "DaemonSet"})
    assert kinds_of(rules["FLUX002"]) == frozenset({"Kustomization"})
    assert kinds_of(rules["KUB001"]) is None  # its where says nothing of the kind
    assert kinds_of(rules["ARGO001"]) is None  # a named condition with `any`: not opened
    # every block must name its kinds: a block without one makes the rule run everywhere
    block = {"for_each": "spec.x[*]", "where": {"path": "$.kind", "equals": "Pod"}}
    other = {"for_each": "spec.y[*]", "where": {"path": "name", "equals": "a"}}
    both = replace(rules["KUB001"], match=[block, other], matchers=())
    assert kinds_of(replace(both, match=[block])) == frozenset({"Pod"})
    assert kinds_of(both) is None
