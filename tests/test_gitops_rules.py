"""Argo CD, Flux and admission-policy rules on shapes their examples do not show: pinned
(path, line, column, rule) through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


def findings(run: Run, root: Path, *args: str) -> list[tuple[str, int, int, str, str]]:
    code, out, err = run(
        str(root), "--format", "json", "--fail-on", "never", "--no-history", "--preview", *args
    )
    assert code == 0, err
    return [
        (f["path"], f["line"], f["column"], f["rule_id"], f["message"])
        for f in json.loads(out)["findings"]
    ]


def test_applicationset_template_values_filled_by_generators_are_unknown(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "appset.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: apps, namespace: argocd}
        spec:
          goTemplate: true
          syncPolicy: {preserveResourcesOnDeletion: true}
          generators: [{list: {elements: [{name: a, heal: "true"}]}}]
          template:
            metadata: {name: "{{ .name }}"}
            spec:
              project: "{{ .name }}"
              destination: {server: "https://kubernetes.default.svc", namespace: "{{ .name }}"}
              syncPolicy:
                automated: {selfHeal: "{{ .heal }}", prune: true}
        """,
    )
    assert findings(run, tmp_path, "--select", "ARGO") == []


def test_application_without_project_and_list_of_applications(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "apps.yaml",
        """\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: shop, namespace: argocd}
            spec:
              destination: {server: "https://kubernetes.default.svc", namespace: shop}
              syncPolicy:
                automated: {selfHeal: true, prune: true, enabled: false}
        """,
    )
    assert findings(run, tmp_path, "--select", "ARGO") == [
        (
            "apps.yaml",
            7,
            5,
            "ARGO003",
            "Application/argocd/shop: no `spec.project`: it falls into the default AppProject, "
            "which lets it deploy any repository to any cluster and namespace",
        ),
        (
            "apps.yaml",
            10,
            59,
            "ARGO001",
            "Application/argocd/shop: `syncPolicy.automated.enabled: false` turns automated "
            "sync off: changes made directly in the cluster stay live",
        ),
    ]


def test_kustomize_kustomization_is_not_flux(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "kustomization.yaml",
        """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        prune: false
        suspend: true
        spec: {prune: false, suspend: true}
        """,
    )
    assert findings(run, tmp_path, "--select", "FLUX") == []


def test_helmrelease_remediation_absent_is_reported_only_on_request(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "hr.yaml",
        """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: podinfo, namespace: apps}
        spec:
          interval: 10m
          chartRef: {kind: OCIRepository, name: podinfo}
        """,
    )
    assert findings(run, tmp_path, "--select", "FLUX004") == []
    write(".soc2lint.yaml", "rule_parameters:\n  FLUX004: {require_release_remediation: true}\n")
    got = findings(run, tmp_path, "--select", "FLUX004")
    assert [g[:4] for g in got] == [("hr.yaml", 4, 1, "FLUX004")]


def test_kyverno_default_audit_and_namespace_overrides(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "policies.yaml",
        """\
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: no-action}
        spec:
          rules:
            - name: r
              validate: {pattern: {metadata: {labels: {team: "?*"}}}}
        ---
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: enforced-in-prod}
        spec:
          validationFailureAction: Audit
          validationFailureActionOverrides:
            - {action: Enforce, namespaces: [prod]}
          rules:
            - name: r
              validate: {pattern: {metadata: {labels: {team: "?*"}}}}
        ---
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: mutate-only}
        spec:
          validationFailureAction: Audit
          rules:
            - name: m
              mutate: {patchStrategicMerge: {metadata: {labels: {team: x}}}}
        """,
    )
    got = findings(run, tmp_path, "--select", "POL")
    assert [g[:4] for g in got] == [("policies.yaml", 4, 1, "POL001")]


def test_gatekeeper_warn_and_default_deny(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "constraints.yaml",
        """\
        apiVersion: constraints.gatekeeper.sh/v1beta1
        kind: K8sAllowedRepos
        metadata: {name: repos}
        spec:
          enforcementAction: warn
        ---
        apiVersion: constraints.gatekeeper.sh/v1beta1
        kind: K8sAllowedRepos
        metadata: {name: repos-deny}
        spec: {}
        ---
        apiVersion: templates.gatekeeper.sh/v1
        kind: ConstraintTemplate
        metadata: {name: k8sallowedrepos}
        spec: {enforcementAction: dryrun}
        """,
    )
    got = findings(run, tmp_path, "--select", "POL002")
    assert [g[:4] for g in got] == [("constraints.yaml", 5, 22, "POL002")]
