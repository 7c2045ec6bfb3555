"""Kubernetes manifests: YAML documents with `apiVersion` and `kind`, identified as
`Kind/namespace/name` so that fingerprints do not depend on where an object sits in a file.

What the `kubernetes` target reads, and what it leaves alone, is decided here once for every
Kubernetes rule, present and future:

- a `List` (`kind: List`, `ConfigMapList`, ...) is no object: each of its `items` is read as one
  (`expand_lists`, called by the YAML parser);
- a file a Kustomize `kustomization.yaml` lists under `patches`, `patchesStrategicMerge` or
  `patchesJson6902` is a partial object, not a workload: it is its own kind, `kustomize-patch`
  (still YAML for the rules reading any YAML file, still text for secrets), never a manifest.
  Bases and resources are scanned as themselves;
- a YAML or JSON file in a documentation tree (a top-level `docs/`, `doc/`, `documentation/`
  or `website/` directory) is an example a page shows, not a manifest a cluster runs: it is its
  own kind, `kubernetes-docs` (still YAML or JSON for the rules reading any such file, still text
  for secrets), never a manifest;
- JSON files are read like YAML ones: a `.json` document with `apiVersion` and `kind` is an
  object;
- kinds no rule knows (CRDs) are objects like any other: rules that do not name them match
  nothing there.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.registry import Candidate, Format, Target
from soc2lint.model import Artifact, Document, ParsedArtifact

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_KUSTOMIZATION = 1 << 20


def read_kustomization(directory: str) -> Any:
    """The data of `directory`'s kustomization file (the first of KUSTOMIZATION_NAMES), or
    None: absent, unreadable, over 1 MiB, not YAML, or an alias bomb (the scanned repository
    wrote it)."""
    from soc2lint.errors import Soc2lintError
    from soc2lint.yamlconf import load

    for name in KUSTOMIZATION_NAMES:
        full = os.path.join(directory, name)
        try:
            if not os.path.isfile(full) or os.path.getsize(full) > MAX_KUSTOMIZATION:
                continue
            with open(full, encoding="utf-8") as handle:
                return load(handle.read(), full, Soc2lintError)[0]
        except (OSError, UnicodeDecodeError, Soc2lintError):
            return None
    return None


PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
YAML_SUFFIXES = (".yml", ".yaml")


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


def _scalar(root: nodes.Node, key: str) -> str | None:
    hit = nodes.get(root, key)
    if hit is None or not isinstance(hit[1], nodes.ScalarNode):
        return None
    return str(hit[1].value)


def _is_list(root: nodes.Node) -> bool:
    kind = _scalar(root, "kind")
    return bool(kind and kind.endswith("List") and _scalar(root, "apiVersion"))


def expand_lists(documents: Sequence[Document]) -> list[Document]:
    """The documents, each `List`'s items following it as documents of their own (same text,
    so their nodes keep their positions in the file)."""
    out: list[Document] = []
    for doc in documents:
        out.append(doc)
        if not _is_list(doc.root):
            continue
        items = nodes.get(doc.root, "items")
        if items is None or not isinstance(items[1], nodes.SequenceNode):
            continue
        members = items[1].value
        for item in members:
            if isinstance(item, nodes.MappingNode):
                ident = identity(doc.index, 2, item)
                out.append(Document(doc.index, item, ident, doc.text))
    return out


def is_object(doc: Document) -> bool:
    """A Kubernetes object: `apiVersion` and a scalar `kind`; a `List` is not (its items are)."""
    api, kind = nodes.get(doc.root, "apiVersion"), nodes.get(doc.root, "kind")
    return bool(api and kind and isinstance(kind[1], nodes.ScalarNode)) and not _is_list(doc.root)


def may_hold_objects(text: str) -> bool:
    return "apiVersion" in text and "kind" in text


# --- Kustomize patches -------------------------------------------------------------------------


def _patch_paths(data: Any) -> list[str]:
    """The file paths a kustomization lists as patches (inline patches are no files)."""
    found: list[str] = []
    if not isinstance(data, dict):
        return found
    for key in PATCH_KEYS:
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, str) and "\n" not in entry:  # patchesStrategicMerge: a path
                found.append(entry.strip())
            elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
                found.append(entry["path"].strip())
    return [p for p in found if p]


def _kustomize_patches(directory: str, candidate: Candidate) -> frozenset[str]:
    """Root-relative paths listed as patches by the kustomization of `directory` (memoised per
    discovery); nothing when it has none, or one that does not parse."""
    memo: dict[str, frozenset[str]] = candidate.memo.setdefault("kustomize-patches", {})
    if directory in memo:
        return memo[directory]
    found: set[str] = set()
    base = os.path.join(str(candidate.root), directory) if directory else str(candidate.root)
    data = read_kustomization(base)
    for rel in _patch_paths(data) if data is not None else ():
        joined = posixpath.normpath(posixpath.join(directory, rel)) if directory else rel
        found.add(posixpath.normpath(joined))
    memo[directory] = frozenset(found)
    return memo[directory]


def _listed_patches(candidate: Candidate) -> frozenset[str]:
    """The patches of every kustomization among the files discovery lists (memoised): a
    kustomization in a sibling directory naming `../patches/p.yaml` is found too."""
    memo = candidate.memo
    if "kustomize-listed" not in memo:
        found: set[str] = set()
        for path in memo.get("candidates", ()):
            directory, _, name = path.rpartition("/")
            if name in KUSTOMIZATION_NAMES:
                found |= _kustomize_patches(directory, candidate)
        memo["kustomize-listed"] = frozenset(found)
    listed: frozenset[str] = memo["kustomize-listed"]
    return listed


def is_kustomize_patch(candidate: Candidate) -> bool:
    """A YAML file a kustomization lists as a patch (`patches: [{path: p.yaml}]`,
    `patchesStrategicMerge: [p.yaml]`, `patchesJson6902: [{path: p.yaml}]`): a kustomization
    in its directory or above it, or any kustomization of the scan (`../patches/p.yaml` from a
    sibling overlay). When only some files are scanned (explicit paths, as pre-commit gives
    them), only the kustomizations above each file are read."""
    if not candidate.name.endswith(YAML_SUFFIXES):
        return False
    parts = candidate.parts
    for depth in range(len(parts) - 1, -1, -1):
        if candidate.path in _kustomize_patches("/".join(parts[:depth]), candidate):
            return True
    return candidate.path in _listed_patches(candidate)


DOCUMENTATION_DIRS = frozenset({"docs", "doc", "documentation", "website"})


def _in_documentation(candidate: Candidate) -> bool:
    """Under a top-level documentation directory (`website/docs/x.yaml`): what a documentation
    page shows, not what a cluster runs."""
    parts = candidate.parts
    return len(parts) > 1 and parts[0].lower() in DOCUMENTATION_DIRS


def is_documentation_yaml(candidate: Candidate) -> bool:
    return candidate.name.endswith(YAML_SUFFIXES) and _in_documentation(candidate)


def is_documentation_json(candidate: Candidate) -> bool:
    return candidate.name.endswith(".json") and _in_documentation(candidate)


def _parse(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats.yamldoc import parse_json, parse_yaml

    if artifact.path.lower().endswith(".json"):
        return parse_json(artifact, text)
    return parse_yaml(artifact, text)


FORMATS = (
    Format(
        "kustomize-patch",
        "Kustomize patches (files a kustomization lists under patches): partial objects",
        is_kustomize_patch,
        _parse,
    ),
    Format(
        "kubernetes-docs",
        "YAML in a top-level docs/, doc/, documentation/ or website/ directory: examples a "
        "page shows, never judged as manifests",
        is_documentation_yaml,
        _parse,
    ),
    Format(
        "kubernetes-docs-json",
        "JSON in a top-level docs/, doc/, documentation/ or website/ directory: examples a "
        "page shows, never judged as manifests",
        is_documentation_json,
        _parse,
    ),
)

TARGETS = {
    "kubernetes": Target(
        "Kubernetes manifests: YAML and JSON documents with apiVersion and kind (a List's "
        "items each; not the patches a kustomization lists, examples in a documentation "
        "tree, nor Helm templates)",
        frozenset({"yaml", "json"}),
        "k8s/example.yaml",
        accepts=is_object,
        prefilter=may_hold_objects,
    ),
}
