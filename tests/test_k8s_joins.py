"""Rules joining Kubernetes objects across the scan (KUB015, KUB016, KUB019, POL003): the same
answer with worker processes as without, no verdict where the counterpart may live outside the
scan (a partial scan, no object of that kind) unless `assume_complete`, namespaces from
kustomization.yaml, and selectors with expressions. Pinned by (file, line, column, rule id)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from soc2lint.config import Config
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.model import ScanResult
from soc2lint.scan import parallel
from soc2lint.scan.engine import scan

RULES = load_rules([builtin_rules_dir()])
JOINS = ["KUB015", "KUB016", "KUB019", "POL003"]


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _run(
    root: Path, jobs: int = 1, paths: list[Path] | None = None, **parameters: Any
) -> ScanResult:
    rules = select_rules(RULES, select=JOINS, parameters=parameters)
    return scan(
        root, rules, Config(), paths=paths, today=dt.date(2026, 1, 1), jobs=jobs, history=False
    )


def _where(result: ScanResult) -> list[tuple[str, int, int, str]]:
    return [
        (f.location.path, f.location.start_line, f.location.start_column, f.rule.id)
        for f in result.findings
    ]


def _deployment(name: str, namespace: str | None, replicas: int, labels: str = "") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}
spec:
  replicas: {replicas}
  template:
    metadata:
      labels: {{app: {name}{labels}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
"""


PDB_EXPRESSIONS = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: front
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchExpressions:
      - {key: tier, operator: In, values: [front, edge]}
      - {key: canary, operator: DoesNotExist}
"""

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: shop
spec:
  podSelector: {}
"""


def _tree(root: Path) -> None:
    files = {
        "k8s/web.yaml": _deployment("web", "shop", 3, ", tier: front"),
        "k8s/api.yaml": _deployment("api", "shop", 2, ", tier: back"),
        "k8s/cart.yaml": _deployment("cart", "billing", 1),
        "k8s/pdb.yaml": PDB_EXPRESSIONS,
        "k8s/policy.yaml": POLICY,
    }
    # enough files for the worker pool to be worth it once MIN_FILES is lowered
    files.update(
        {
            f"k8s/other/cm{i}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"
            for i in range(8)
        }
    )
    _write(root, files)


def test_joins_decide_across_files(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _run(tmp_path)
    assert _where(result) == [
        ("k8s/api.yaml", 7, 13, "KUB015"),
        ("k8s/cart.yaml", 4, 9, "KUB016"),
        ("k8s/cart.yaml", 7, 13, "KUB015"),
    ]
    messages = [f.message for f in result.findings]
    assert messages[0] == (
        "Deployment/shop/api runs 2 replicas and no PodDisruptionBudget selects its pods: a node "
        "drain or cluster upgrade may evict them all at once"
    )
    assert messages[1] == (
        "Namespace 'billing' holds 1 workload (Deployment/billing/cart) and no NetworkPolicy: "
        "every pod accepts traffic from any pod of the cluster"
    )
    assert result.not_evaluated == ("POL003",)  # off unless require_policy_engine
    # the namespace's finding is named by the namespace, not by the workload it points at
    assert result.findings[1].identity == "namespace/billing"


def test_worker_processes_give_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    alone = _run(tmp_path, jobs=1)
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    forked = _run(tmp_path, jobs=2)
    assert [(f.location, f.rule.id, f.message, f.fingerprint) for f in forked.findings] == [
        (f.location, f.rule.id, f.message, f.fingerprint) for f in alone.findings
    ]
    assert len(forked.findings) == 3
    assert all(f.fact is None for f in forked.findings)


def test_explicit_paths_reach_no_verdict(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _run(tmp_path, paths=[tmp_path / "k8s/api.yaml", tmp_path / "k8s/cart.yaml"])
    assert result.findings == ()
    assert set(result.not_evaluated) == {"KUB015", "KUB016", "POL003"}


def test_no_budget_or_policy_in_the_scan_is_no_verdict_unless_complete(tmp_path: Path) -> None:
    _write(tmp_path, {"k8s/web.yaml": _deployment("web", "shop", 3)})
    result = _run(tmp_path)
    assert result.findings == ()
    assert {"KUB015", "KUB016"} <= set(result.not_evaluated)
    complete = _run(tmp_path, assume_complete=True)
    assert _where(complete) == [
        ("k8s/web.yaml", 4, 9, "KUB016"),
        ("k8s/web.yaml", 7, 13, "KUB015"),
    ]


def test_kustomization_namespace_and_unknown_namespaces(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "apps/shop/kustomization.yaml": "namespace: shop\nresources: [web.yaml]\n",
            "apps/shop/web.yaml": _deployment("web", None, 2),
            "apps/media/kustomization.yaml": "namespace: media\nresources: [app/plex.yaml]\n",
            "apps/media/app/plex.yaml": _deployment("plex", None, 1),
            # no namespace anywhere: may go to any namespace, covered by any policy
            "loose/tool.yaml": _deployment("tool", None, 2),
            "policies/shop.yaml": POLICY,
        },
    )
    result = _run(tmp_path, assume_complete=True)
    assert _where(result) == [
        ("apps/media/app/plex.yaml", 4, 9, "KUB016"),
        ("apps/media/app/plex.yaml", 6, 13, "KUB015"),
        ("apps/shop/web.yaml", 6, 13, "KUB015"),
        ("loose/tool.yaml", 6, 13, "KUB015"),
    ]
    assert result.findings[0].message.startswith("Namespace 'media' holds 1 workload")


def test_cluster_wide_policy_is_no_verdict(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "k8s/web.yaml": _deployment("web", "shop", 1),
            "k8s/ccnp.yaml": (
                "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n"
                "metadata:\n  name: default-deny\nspec:\n  endpointSelector: {}\n"
            ),
        },
    )
    result = _run(tmp_path)
    assert _where(result) == [("k8s/web.yaml", 7, 13, "KUB015")]
    assert "KUB016" in result.not_evaluated


def test_production_namespaces_limit_the_disruption_rule(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _run(tmp_path, production_namespaces=["shop"])
    assert [w for w in _where(result) if w[3] == "KUB015"] == [("k8s/api.yaml", 7, 13, "KUB015")]


def test_cluster_admin_service_account_and_policy_engine(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "k8s/rbac.yaml": (
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
                "  name: admin\n  namespace: shop\nroleRef: {apiGroup: rbac.authorization.k8s.io, "
                "kind: ClusterRole, name: cluster-admin}\nsubjects:\n"
                "  - {kind: ServiceAccount, name: default}\n"
            ),
            "k8s/web.yaml": _deployment("web", "shop", 2),
        },
    )
    result = _run(tmp_path, require_policy_engine=True)
    assert _where(result) == [("k8s/web.yaml", 4, 9, "KUB019"), ("k8s/web.yaml", 4, 9, "POL003")]
    assert result.findings[0].message == (
        "Deployment/shop/web runs as ServiceAccount 'shop/default', which RoleBinding/shop/admin "
        "binds to cluster-admin: code in this pod controls the whole cluster"
    )
    _write(
        tmp_path,
        {
            "policy/vap.yaml": (
                "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
                "metadata:\n  name: no-privileged\nspec: {}\n"
            )
        },
    )
    assert [w[3] for w in _where(_run(tmp_path, require_policy_engine=True))] == ["KUB019"]


SKAFFOLD = """\
apiVersion: skaffold/v3
kind: Config
build:
  artifacts:
    - image: frontend
      context: src/frontend
profiles:
  - name: debug
    build:
      artifacts:
        - {image: cartservice, context: src/cart}
manifests:
  rawYaml: [k8s/*.yaml]
"""

IMAGES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  template:
    spec:
      initContainers:
        - {name: cart-init, image: cartservice}
      containers:
        - {name: frontend, image: frontend}
        - {name: cache, image: redis}
        - {name: proxy, image: "envoyproxy/envoy:latest"}
        - {name: pinned, image: "nginx:1.27.1"}
"""


def test_images_a_skaffold_build_replaces_are_not_mutable(tmp_path: Path) -> None:
    _write(tmp_path, {"k8s/shop.yaml": IMAGES})
    rules = select_rules(RULES, select=["KUB012"])
    alone = scan(tmp_path, rules, Config(), today=dt.date(2026, 1, 1), jobs=1, history=False)
    assert [(w[1], w[2]) for w in _where(alone)] == [(8, 36), (10, 35), (11, 32), (12, 32)]
    assert alone.findings[2].message.startswith("Container 'cache' of Deployment/shop runs `redis`")
    _write(tmp_path, {"skaffold.yaml": SKAFFOLD})
    built = scan(tmp_path, rules, Config(), today=dt.date(2026, 1, 1), jobs=1, history=False)
    # frontend (build) and cartservice (a profile's build) are Skaffold's: replaced when deployed
    assert [(w[1], w[2]) for w in _where(built)] == [(11, 32), (12, 32)]
    assert [f.fingerprint for f in built.findings] == [f.fingerprint for f in alone.findings[2:]]
