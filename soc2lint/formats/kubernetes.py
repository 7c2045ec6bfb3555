"""Kubernetes manifests: YAML documents with `apiVersion` and `kind`, identified as
`Kind/namespace/name` so that fingerprints do not depend on where an object sits in a file."""

from __future__ import annotations

from soc2lint.formats import nodes
from soc2lint.formats.registry import Target
from soc2lint.model import Document


def identity(index: int, count: int, root: nodes.Node) -> str:
    """`Kind/namespace/name` where present, else the document's index in a multi-document file."""
    kind = nodes.get(root, "kind")
    meta = nodes.get(root, "metadata")
    if kind and meta and isinstance(kind[1], nodes.ScalarNode):
        name = nodes.get(meta[1], "name")
        namespace = nodes.get(meta[1], "namespace")
        parts = [kind[1].value]
        if namespace and isinstance(namespace[1], nodes.ScalarNode):
            parts.append(namespace[1].value)
        if name and isinstance(name[1], nodes.ScalarNode):
            parts.append(name[1].value)
            return "/".join(parts)
    return f"#{index}" if count > 1 else ""


def is_object(doc: Document) -> bool:
    api, kind = nodes.get(doc.root, "apiVersion"), nodes.get(doc.root, "kind")
    return bool(api and kind and isinstance(kind[1], nodes.ScalarNode))


def may_hold_objects(text: str) -> bool:
    return "apiVersion" in text and "kind" in text


TARGETS = {
    "kubernetes": Target(
        "Kubernetes manifests: YAML documents with apiVersion and kind",
        frozenset({"yaml"}),
        "k8s/example.yaml",
        accepts=is_object,
        prefilter=may_hold_objects,
    ),
}
