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
