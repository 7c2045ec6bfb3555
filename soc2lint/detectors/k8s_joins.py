"""Kubernetes rules that join objects across the scan: a PodDisruptionBudget or autoscaler
covering a Deployment (KUB015), a NetworkPolicy in each namespace holding workloads (KUB016), a
workload running as a ServiceAccount bound to cluster-admin (KUB019), an admission-policy engine
for the workloads (POL003), a container image no build in the scan replaces (KUB012).

Each rule has a per-document function (run in the workers, like any detector) yielding hits
that carry a plain `fact`, and a `join` over every fact of the scan (scan/joins.py). Where the
counterpart (a budget, a policy) may live outside the scan, the join reaches no verdict: a rule
about something missing reports only when the scan manages that kind of object (it holds at
least one) or the user says the scan is complete (`assume_complete: true`).

An object's namespace is its `metadata.namespace`, else the `namespace:` of the nearest
`kustomization.yaml` above its file, else unknown; an unknown namespace is compatible with any.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from soc2lint.detectors import Verdict
from soc2lint.formats import nodes
from soc2lint.model import Document, Hit

POD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
    | {"Job", "CronJob"}
)
CORE_GROUPS = ("v1", "apps/", "extensions/", "batch/")

Fact = dict[str, Any]


# -- reading objects -----------------------------------------------------------------------


def _node(node: Any, *keys: str) -> Any:
    for key in keys:
        found = nodes.get(node, key) if node is not None else None
        if found is None:
            return None
        node = found[1]
    return node


def _text(node: Any, *keys: str) -> str | None:
    found = _node(node, *keys)
    if isinstance(found, nodes.ScalarNode) and found.value != "":
        return str(found.value)
    return None


def _labels(node: Any) -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            (key, str(value.value))
            for key, _k, value in nodes.items(node)
            if isinstance(value, nodes.ScalarNode)
        )
    )


def _strings(node: Any) -> tuple[str, ...]:
    if isinstance(node, nodes.SequenceNode):
        return tuple(str(c.value) for c in node.value if isinstance(c, nodes.ScalarNode))
    return ()


class _Object:
    """The parts of a Kubernetes object every join reads."""

    def __init__(self, doc: Document, params: Mapping[str, Any], context: Any) -> None:
        root = doc.root
        self.root = root
        self.kind = _text(root, "kind") or ""
        self.api = _text(root, "apiVersion") or ""
        self.name = _text(root, "metadata", "name") or ""
        own = _text(root, "metadata", "namespace")
        self.namespace = own
        if own is None and context is not None and params.get("_path"):
            self.namespace = _kustomize_namespace(str(context.root), str(params["_path"]))
        self.label = doc.identity or "/".join(p for p in (self.kind, self.name) if p)

    @property
    def group(self) -> str:
        return self.api.rsplit("/", 1)[0] if "/" in self.api else ""

    def runs_pods(self) -> bool:
        return self.kind in POD_KINDS and self.api.startswith(CORE_GROUPS)

    def pod_spec(self) -> Any:
        if self.kind == "Pod":
            return _node(self.root, "spec")
        if self.kind == "CronJob":
            return _node(self.root, "spec", "jobTemplate", "spec", "template", "spec")
        return _node(self.root, "spec", "template", "spec")

    def fact(self, kind: str, **data: Any) -> Fact:
        return {"kind": kind, "namespace": self.namespace, "object": self.label, **data}


@lru_cache(maxsize=4096)
def _kustomize_namespace(root: str, path: str) -> str | None:
    """The `namespace:` of the nearest kustomization.yaml in the file's directory or above it
    (within the scan root): Kustomize sets it on every object it builds there."""
    directory = os.path.dirname(path)
    while True:
        found = _directory_namespace(root, directory)
        if found is not None:
            return found or None
        if not directory:
            return None
        directory = os.path.dirname(directory)


@lru_cache(maxsize=4096)
def _directory_namespace(root: str, directory: str) -> str | None:
    """ "" when the directory has a kustomization without a namespace, None without one."""
    from soc2lint.formats.kubernetes import KUSTOMIZATION_NAMES, read_kustomization

    if not any(Path(root, directory, n).is_file() for n in KUSTOMIZATION_NAMES):
        return None
    data = read_kustomization(str(Path(root, directory)))
    if not isinstance(data, dict):
        return None  # unreadable: its namespace is unknown
    namespace = data.get("namespace")
    return namespace if isinstance(namespace, str) and namespace else ""


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _in_production(namespace: str | None, params: Mapping[str, Any]) -> bool:
    wanted = params.get("production_namespaces") or []
    if not wanted:
        return True
    return namespace is not None and any(fnmatch.fnmatchcase(namespace, g) for g in wanted)


def _hit(route: tuple[str | int, ...], fact: Fact) -> Hit:
    return Hit(route, "value", {}, fact=fact)


def _name_route(obj: _Object) -> tuple[str, ...]:
    return ("metadata", "name") if obj.name else ("kind",)


def _list(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# -- KUB015: replicas and disruption budgets ---------------------------------------------------


def disruption_facts(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    obj = _Object(doc, params, context)
    if obj.kind in ("Deployment", "StatefulSet") and obj.api.startswith(("apps/", "extensions/")):
        replicas_node = _node(obj.root, "spec", "replicas")
        replicas = (
            nodes.scalar_value(replicas_node)
            if isinstance(replicas_node, nodes.ScalarNode)
            else None
        )
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            return  # absent (an autoscaler's, or the default) or templated: no claim
        labels = _labels(_node(obj.root, "spec", "template", "metadata", "labels"))
        route = ("spec", "replicas")
        yield _hit(route, obj.fact("workload", name=obj.name, replicas=replicas, labels=labels))
    elif obj.kind == "PodDisruptionBudget" and obj.group == "policy":
        selector = _node(obj.root, "spec", "selector")
        yield _hit(_name_route(obj), obj.fact("budget", selector=_selector(selector)))
    elif obj.kind == "HorizontalPodAutoscaler" or (
        obj.kind == "ScaledObject" and obj.group == "keda.sh"
    ):
        target = _node(obj.root, "spec", "scaleTargetRef")
        kind = _text(target, "kind") or "Deployment"
        name = _text(target, "name")
        if name:
            yield _hit(_name_route(obj), obj.fact("scaler", target=(kind, name)))


def _selector(node: Any) -> Any:
    """A label selector as plain data: (matchLabels, matchExpressions); None selects nothing."""
    if node is None or (isinstance(node, nodes.ScalarNode) and node.value in ("", "null", "~")):
        return None
    match = _labels(_node(node, "matchLabels"))
    expressions = []
    exprs = _node(node, "matchExpressions")
    for item in exprs.value if isinstance(exprs, nodes.SequenceNode) else ():
        key, op = _text(item, "key"), _text(item, "operator")
        if key and op:
            expressions.append((key, op, _strings(_node(item, "values"))))
    return (match, tuple(expressions))


def _selects(selector: Any, labels: Sequence[tuple[str, str]]) -> bool:
    if selector is None:
        return False
    have = dict(labels)
    match, expressions = selector
    if any(have.get(k) != v for k, v in match):
        return False
    for key, op, values in expressions:
        ok = {
            "In": key in have and have[key] in values,
            "NotIn": key not in have or have[key] not in values,
            "Exists": key in have,
            "DoesNotExist": key not in have,
        }.get(op, False)
        if not ok:
            return False
    return True


def disruption_join(facts: Sequence[Fact], params: Mapping[str, Any]) -> Verdict:
    if not params.get("_complete", True):
        return Verdict([], evaluated=False)
    budgets = [f for f in facts if f["kind"] == "budget"]
    scalers = [f for f in facts if f["kind"] == "scaler"]
    complete = bool(params.get("assume_complete")) or bool(budgets)
    hits: list[tuple[int, dict[str, str]]] = []
    undecided = False
    for index, fact in enumerate(facts):
        if fact["kind"] != "workload" or not _in_production(fact["namespace"], params):
            continue
        workload_kind = fact["object"].split("/", 1)[0]
        if fact["replicas"] == 1:
            scaled = any(
                s["target"] == (workload_kind, fact["name"])
                and _compatible(s["namespace"], fact["namespace"])
                for s in scalers
            )
            if not scaled:
                detail = (
                    f"runs {fact['replicas']} replica and no autoscaler targets it: "
                    "a node drain, an eviction or a crash takes the service down"
                )
                hits.append((index, {"object": fact["object"], "detail": detail}))
            continue
        covered = any(
            _compatible(b["namespace"], fact["namespace"])
            and _selects(b["selector"], fact["labels"])
            for b in budgets
        )
        if covered or fact["replicas"] < 1:
            continue
        if not complete:
            undecided = True  # budgets may be managed elsewhere
            continue
        detail = (
            f"runs {fact['replicas']} replicas and no PodDisruptionBudget selects its pods: "
            "a node drain or cluster upgrade may evict them all at once"
        )
        hits.append((index, {"object": fact["object"], "detail": detail}))
    return Verdict(hits, evaluated=not (undecided and not hits))


# -- KUB016: a NetworkPolicy in every namespace holding workloads ---------------------------------

# (API group, kind) of namespaced network policies, and of cluster-wide ones
NAMESPACED_POLICIES = frozenset(
    {
        ("networking.k8s.io", "NetworkPolicy"),
        ("cilium.io", "CiliumNetworkPolicy"),
        ("crd.projectcalico.org", "NetworkPolicy"),
        ("projectcalico.org", "NetworkPolicy"),
    }
)
CLUSTER_POLICIES = frozenset(
    {
        ("cilium.io", "CiliumClusterwideNetworkPolicy"),
        ("crd.projectcalico.org", "GlobalNetworkPolicy"),
        ("projectcalico.org", "GlobalNetworkPolicy"),
        ("policy.networking.k8s.io", "AdminNetworkPolicy"),
        ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    }
)


def network_facts(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    obj = _Object(doc, params, context)
    if obj.runs_pods():
        yield _hit(_name_route(obj), obj.fact("workload"))
    elif (obj.group, obj.kind) in NAMESPACED_POLICIES:
        yield _hit(_name_route(obj), obj.fact("policy", cluster=False))
    elif (obj.group, obj.kind) in CLUSTER_POLICIES:
        yield _hit(_name_route(obj), obj.fact("policy", cluster=True))
    elif obj.kind == "Namespace" and obj.api == "v1" and obj.name:
        yield _hit(_name_route(obj), {**obj.fact("namespace"), "namespace": obj.name})


def network_join(facts: Sequence[Fact], params: Mapping[str, Any]) -> Verdict:
    if not params.get("_complete", True):
        return Verdict([], evaluated=False)
    policies = [f for f in facts if f["kind"] == "policy"]
    if any(p["cluster"] for p in policies):
        return Verdict([], evaluated=False)  # what a cluster-wide policy selects is not read here
    if not policies and not params.get("assume_complete"):
        return Verdict([], evaluated=False)  # network policies may be managed elsewhere
    namespaces = {f["namespace"]: i for i, f in enumerate(facts) if f["kind"] == "namespace"}
    groups: dict[str | None, list[int]] = {}
    for index, fact in enumerate(facts):
        if fact["kind"] == "workload":
            groups.setdefault(fact["namespace"], []).append(index)
    hits: list[tuple[int, dict[str, str]]] = []
    for namespace in sorted(groups, key=lambda n: (n is None, n or "")):
        if any(_compatible(p["namespace"], namespace) for p in policies):
            continue
        members = groups[namespace]
        where = namespaces.get(namespace, members[0]) if namespace is not None else members[0]
        named = f"Namespace '{namespace}'" if namespace else "The namespace these manifests go to"
        detail = (
            f"{named} holds {len(members)} workload{'s' if len(members) > 1 else ''} "
            f"({_list([facts[i]['object'] for i in members])}) and no NetworkPolicy"
        )
        hits.append(
            (
                where,
                {
                    "object": facts[where]["object"],
                    "namespace": namespace or "(unset)",
                    "detail": detail,
                    "identity": f"namespace/{namespace or ''}",
                },
            )
        )
    return Verdict(hits)


# -- KUB019: workloads running as a ServiceAccount bound to cluster-admin -----------------------


def admin_account_facts(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    obj = _Object(doc, params, context)
    if (
        obj.kind in ("ClusterRoleBinding", "RoleBinding")
        and obj.group == "rbac.authorization.k8s.io"
    ):
        if (
            _text(obj.root, "roleRef", "kind") != "ClusterRole"
            or _text(obj.root, "roleRef", "name") != "cluster-admin"
            or obj.name.startswith("system:")
        ):
            return
        subjects = _node(obj.root, "subjects")
        for i, subject in enumerate(
            subjects.value if isinstance(subjects, nodes.SequenceNode) else ()
        ):
            name = _text(subject, "name")
            if _text(subject, "kind") != "ServiceAccount" or not name:
                continue
            namespace = _text(subject, "namespace") or (
                obj.namespace if obj.kind == "RoleBinding" else None
            )
            if namespace is None:
                continue  # a ServiceAccount subject needs its namespace
            yield _hit(("subjects", i, "name"), obj.fact("binding", account=(namespace, name)))
    elif obj.runs_pods() and obj.namespace is not None:
        spec = obj.pod_spec()
        if _node(spec, "containers") is None:
            return
        account = _text(spec, "serviceAccountName") or _text(spec, "serviceAccount")
        route: tuple[str | int, ...] = _name_route(obj)
        if account is None:
            account = "default"
        else:
            key = "serviceAccountName" if _text(spec, "serviceAccountName") else "serviceAccount"
            prefix = {
                "Pod": ("spec",),
                "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
            }.get(obj.kind, ("spec", "template", "spec"))
            route = (*prefix, key)
        yield _hit(route, obj.fact("workload", account=(obj.namespace, account)))


def admin_account_join(facts: Sequence[Fact], params: Mapping[str, Any]) -> Verdict:
    bound: dict[tuple[str, str], str] = {}
    for fact in facts:
        if fact["kind"] == "binding":
            bound.setdefault(tuple(fact["account"]), fact["object"])
    hits = [
        (
            i,
            {
                "object": f["object"],
                "account": "/".join(f["account"]),
                "binding": bound[tuple(f["account"])],
            },
        )
        for i, f in enumerate(facts)
        if f["kind"] == "workload" and tuple(f["account"]) in bound
    ]
    return Verdict(hits)


# -- POL003: an admission-policy engine for the workloads ---------------------------------------

POLICY_GROUPS = (
    "kyverno.io",
    "templates.gatekeeper.sh",
    "constraints.gatekeeper.sh",
    "policies.kubewarden.io",
    "policy.jspolicy.com",
)
POLICY_KINDS = frozenset({"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"})


def policy_engine_facts(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    obj = _Object(doc, params, context)
    if obj.runs_pods():
        yield _hit(_name_route(obj), obj.fact("workload"))
    elif obj.group.endswith(POLICY_GROUPS) or (
        obj.kind in POLICY_KINDS and obj.group == "admissionregistration.k8s.io"
    ):
        yield _hit(_name_route(obj), obj.fact("policy"))


def policy_engine_join(facts: Sequence[Fact], params: Mapping[str, Any]) -> Verdict:
    if not params.get("require_policy_engine") or not params.get("_complete", True):
        return Verdict([], evaluated=False)
    if any(f["kind"] == "policy" for f in facts):
        return Verdict([])
    workloads = [i for i, f in enumerate(facts) if f["kind"] == "workload"]
    if not workloads:
        return Verdict([])
    detail = (
        f"{len(workloads)} workload{'s' if len(workloads) > 1 else ''} "
        f"({_list([facts[i]['object'] for i in workloads])})"
    )
    first = workloads[0]
    return Verdict(
        [(first, {"object": facts[first]["object"], "detail": detail, "identity": "scan"})]
    )


# -- KUB012: mutable images, unless a build of the scan replaces them ---------------------------

POD_API = re.compile(r"^(v1|apps/v1\w*|extensions/v1\w*|batch/v1\w*)$")
MUTABLE_IMAGE = re.compile(r"^(?:[^/@\s]+/)*[^/:@\s]+(?::latest)?$")
TEMPLATED = re.compile(r"\$\{|\$\(|\{\{")
POD_SPECS = (
    ("spec",),
    ("spec", "template", "spec"),
    ("spec", "jobTemplate", "spec", "template", "spec"),
)
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _built_images(root: Any) -> list[str]:
    """The images a Skaffold config builds (`build.artifacts[*].image`, in profiles too):
    Skaffold replaces each in the manifests it deploys with the built, tagged image."""
    builds = [_node(root, "build")]
    profiles = _node(root, "profiles")
    if isinstance(profiles, nodes.SequenceNode):
        builds += [_node(p, "build") for p in profiles.value]
    images = []
    for build in builds:
        artifacts = _node(build, "artifacts")
        for artifact in artifacts.value if isinstance(artifacts, nodes.SequenceNode) else ():
            image = _text(artifact, "image")
            if image:
                images.append(image)
    return images


def image_facts(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    root = doc.root
    kind, api = _text(root, "kind") or "", _text(root, "apiVersion") or ""
    if kind == "Config" and api.startswith("skaffold/"):
        images = _built_images(root)
        if images:
            yield _hit(("kind",), {"kind": "built", "images": tuple(images)})
        return
    if kind not in POD_KINDS or not POD_API.match(api):
        return
    label = doc.identity or str(params.get("_path", ""))
    for prefix in POD_SPECS:
        for key in CONTAINER_LISTS:
            containers = _node(root, *prefix, key)
            if not isinstance(containers, nodes.SequenceNode):
                continue
            for index, container in enumerate(containers.value):
                image = _node(container, "image")
                if not isinstance(image, nodes.ScalarNode):
                    continue
                value = nodes.scalar_value(image)
                if not isinstance(value, str) or isinstance(value, bool):
                    continue
                text = image.value
                if not MUTABLE_IMAGE.search(text) or TEMPLATED.search(text):
                    continue
                name = next(
                    (
                        str(n.value)
                        for k in ("name", "id")
                        if isinstance(n := _node(container, k), nodes.ScalarNode) and n.value
                    ),
                    str(index),
                )
                fields = {"object": label, "candidate": name, "value": _clip(text)}
                route = (*prefix, key, index, "image")
                yield _hit(route, {"kind": "image", "image": text, "fields": fields})


def image_join(facts: Sequence[Fact], params: Mapping[str, Any]) -> Verdict:
    """Every mutable image, but those a Skaffold config of the scan builds: `image: frontend`
    in a manifest Skaffold deploys is replaced by the image it built and tagged."""
    built = {image for f in facts if f["kind"] == "built" for image in f["images"]}
    return Verdict(
        [
            (i, dict(f["fields"]))
            for i, f in enumerate(facts)
            if f["kind"] == "image" and f["image"] not in built
        ]
    )
