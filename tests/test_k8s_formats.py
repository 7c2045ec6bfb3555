"""The Kubernetes format seam: what the `kubernetes` target reads, for every rule at once.

Kustomize patches are partial objects (never a manifest), a `List`'s items are objects, Helm
chart templates are never parsed and each chart is noted once, unknown kinds pass quietly.
Positions are pinned through the real CLI (KUB001 stands for any Kubernetes rule)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from soc2lint.formats.registry import Candidate, classify

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

PRIVILEGED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
          securityContext:
            privileged: true
"""


def findings(run: Run, root: Path, *args: str) -> tuple[list[tuple[str, int, int, str]], dict]:
    code, out, err = run(str(root), "--format", "json", "--fail-on", "never", "--no-history", *args)
    assert code == 0, err
    data = json.loads(out)
    return [(f["path"], f["line"], f["column"], f["rule_id"]) for f in data["findings"]], data


def test_kustomize_patches_are_partial_objects_bases_are_scanned(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("base/deployment.yaml", PRIVILEGED)
    write("base/kustomization.yaml", "resources: [deployment.yaml]\n")
    write(
        "overlays/prod/kustomization.yaml",
        """\
        resources: [../../base]
        patches:
          - path: patches/web.yaml
          - patch: |-
              - op: replace
                path: /spec/replicas
                value: 3
            target: {kind: Deployment}
        patchesStrategicMerge:
          - strategic.yaml
        patchesJson6902:
          - path: json6902.yaml
            target: {kind: Deployment, name: web}
        """,
    )
    for name in ("patches/web.yaml", "strategic.yaml", "json6902.yaml"):
        write(f"overlays/prod/{name}", PRIVILEGED)
    write("overlays/prod/extra.yaml", PRIVILEGED)  # a resource of its own, not a patch
    got, _ = findings(run, tmp_path, "--select", "KUB001")
    assert got == [
        ("base/deployment.yaml", 12, 25, "KUB001"),
        ("overlays/prod/extra.yaml", 12, 25, "KUB001"),
    ]


def test_a_patch_is_its_own_kind_still_yaml_and_text(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Kustomization").write_text("patchesStrategicMerge: [p.yml]\n")
    (tmp_path / "app/p.yml").write_text(PRIVILEGED)
    (tmp_path / "app/q.yml").write_text(PRIVILEGED)
    memo: dict[str, object] = {}
    assert classify(Candidate("app/p.yml", tmp_path, memo=memo)) == "kustomize-patch"
    assert classify(Candidate("app/q.yml", tmp_path, memo=memo)) == "yaml"
    from soc2lint.formats.registry import targets

    assert "kustomize-patch" in targets()["yaml"].kinds
    assert "kustomize-patch" in targets()["files"].kinds
    assert "kustomize-patch" not in targets()["kubernetes"].kinds


def test_a_broken_kustomization_patches_nothing(run: Run, write: Write, tmp_path: Path) -> None:
    write("app/kustomization.yaml", "patches: [unclosed\n")
    write("app/deployment.yaml", PRIVILEGED)
    got, _ = findings(run, tmp_path, "--select", "KUB001")
    assert got == [("app/deployment.yaml", 12, 25, "KUB001")]


def test_list_items_are_objects(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "list.yaml",
        """\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Pod
            metadata: {name: one, namespace: shop}
            spec:
              containers:
                - {name: a, image: x, securityContext: {privileged: true}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: two}
            spec:
              template:
                spec:
                  containers:
                    - {name: b, image: x, securityContext: {privileged: true}}
        """,
    )
    got, data = findings(run, tmp_path, "--select", "KUB001")
    assert got == [("list.yaml", 9, 61, "KUB001"), ("list.yaml", 17, 65, "KUB001")]
    idents = [f["identity"].split(":")[0] for f in data["findings"]]
    assert idents == ["Pod/shop/one", "Deployment/two"]


def test_helm_chart_noted_once_templates_never_parsed(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("charts/shop/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n")
    write("charts/shop/values.yaml", "replicas: 2\n")
    write(
        "charts/shop/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "{{- if .Values.x }}\nspec: {{ .Values.spec | toYaml }}\n{{- end }}\n",
    )
    write("charts/shop/templates/service.yaml", '{{ include "svc" . }}\n')
    write("rendered.yaml", PRIVILEGED)  # `helm template` output: plain manifests
    got, data = findings(run, tmp_path)
    assert [g for g in got if g[0].startswith("charts/")] == []  # no SL001, nothing else
    assert ("rendered.yaml", 12, 25, "KUB001") in got
    notes = [n for n in data["notes"] if "Helm chart" in n]
    assert notes == [
        "charts/shop: Helm chart not evaluated (its templates/ are Go templates, not "
        "manifests); scan the rendered output: `helm template NAME charts/shop > "
        "rendered.yaml && soc2lint rendered.yaml`"
    ]


def test_unknown_kinds_and_odd_documents_pass_quietly(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "odd.yaml",
        """\
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w}
        spec: {containers: 3, template: [1, 2]}
        ---
        apiVersion: v1
        kind: [not, a, scalar]
        ---
        - just
        - a list
        ---
        plain scalar
        ---
        apiVersion: v1
        kind: List
        items: {not: a list}
        ---
        apiVersion: v1
        kind: ConfigMapList
        items: [1, "two", null]
        ---
        """,
    )
    got, _ = findings(run, tmp_path, "--select", "KUB,ARGO,FLUX,POL", "--preview")
    assert got == []


def test_an_alias_bomb_kustomization_is_not_read(tmp_path: Path) -> None:
    """The kustomization is the scanned repository's: one that would grow past the alias limit
    is not read (no patches, no namespace), and reading it stays bounded."""
    from soc2lint.formats.kubernetes import read_kustomization

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 12):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
    bomb += "patches: *l\nnamespace: shop\n"
    (tmp_path / "kustomization.yaml").write_text(bomb, encoding="utf-8")
    assert read_kustomization(str(tmp_path)) is None
    (tmp_path / "kustomization.yaml").write_text("namespace: shop\npatches: [{path: p.yaml}]\n")
    assert read_kustomization(str(tmp_path)) == {
        "namespace": "shop",
        "patches": [{"path": "p.yaml"}],
    }


def test_a_sibling_overlay_patch_is_a_patch(
    run: Run, write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the kustomization names the patch through `../`: not in the patch's directory or above it
    write(
        "apps/web/overlays/prod/kustomization.yaml",
        """\
        resources: [../../base]
        patches:
          - path: ../../patches/privileged.yaml
        """,
    )
    write("apps/web/base/kustomization.yaml", "resources: [deployment.yaml]\n")
    write("apps/web/base/deployment.yaml", PRIVILEGED)
    write("apps/web/patches/privileged.yaml", PRIVILEGED)
    got, _ = findings(run, tmp_path, "--select", "KUB001")
    assert got == [("apps/web/base/deployment.yaml", 12, 25, "KUB001")]
    # given on its own (pre-commit), no kustomization above it lists it: scanned as an object
    monkeypatch.chdir(tmp_path)
    got, _ = findings(run, Path("apps/web/patches/privileged.yaml"), "--select", "KUB001")
    assert got == [("apps/web/patches/privileged.yaml", 12, 25, "KUB001")]


def test_documentation_examples_are_not_manifests(run: Run, write: Write, tmp_path: Path) -> None:
    write("website/docs/k8s/unifi/01-deployment.yaml", PRIVILEGED)
    write("docs/examples/pod.json", '{"apiVersion": "v1", "kind": "Pod"}\n')
    write("apps/website/deployment.yaml", PRIVILEGED)  # an app named website: deployed
    got, _ = findings(run, tmp_path, "--select", "KUB001")
    assert got == [("apps/website/deployment.yaml", 12, 25, "KUB001")]
    assert classify(Candidate("website/docs/a.yaml", tmp_path)) == "kubernetes-docs"
    assert classify(Candidate("doc/a.json", tmp_path)) == "kubernetes-docs-json"
    from soc2lint.formats.registry import targets

    assert "kubernetes-docs" in targets()["yaml"].kinds
    assert "kubernetes-docs" in targets()["files"].kinds
    assert "kubernetes-docs" not in targets()["kubernetes"].kinds


def test_json_manifests_are_read_like_yaml(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "k8s/pod.json",
        """\
        {
          "apiVersion": "v1",
          "kind": "Pod",
          "metadata": {"name": "web"},
          "spec": {
            "containers": [
              {"name": "web", "image": "nginx", "securityContext": {"privileged": true}}
            ]
          }
        }
        """,
    )
    write("package.json", '{"name": "x", "version": "1.0.0"}\n')  # no object: not read
    write("k8s/broken.json", '{"apiVersion": "v1", "kind": "Pod",,}\n')
    got, data = findings(run, tmp_path, "--select", "KUB001,KUB012,SL001")
    assert ("k8s/pod.json", 7, 75, "KUB001") in got
    assert ("k8s/pod.json", 7, 32, "KUB012") in got
    assert [g for g in got if g[3] == "SL001"] == [("k8s/broken.json", 1, 36, "SL001")]
    assert {f["identity"].split(":")[0] for f in data["findings"] if f["rule_id"] != "SL001"} == {
        "Pod/web"
    }
