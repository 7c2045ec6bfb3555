"""Rule targets: which artifact kinds a rule reads, and which documents in them it accepts.

A literal registry. `prefilter` looks at raw text before parsing so that, for example, YAML files
that cannot be Kubernetes manifests are never parsed for Kubernetes rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from soc2lint.formats import nodes
from soc2lint.model import ArtifactKind, Document

YAML_KINDS = frozenset({ArtifactKind.GITHUB_WORKFLOW, ArtifactKind.GITHUB_ACTION, ArtifactKind.YAML})


@dataclass(frozen=True)
class Target:
    description: str
    kinds: frozenset[ArtifactKind]
    example_path: str
    accepts: Callable[[Document], bool] | None = None
    prefilter: Callable[[str], bool] | None = None


def _is_kubernetes(doc: Document) -> bool:
    api, kind = nodes.get(doc.root, "apiVersion"), nodes.get(doc.root, "kind")
    return bool(api and kind and isinstance(kind[1], nodes.ScalarNode))


def _may_be_kubernetes(text: str) -> bool:
    return "apiVersion" in text and "kind" in text


TARGETS: dict[str, Target] = {
    "github-workflow": Target(
        "GitHub Actions workflow files (.github/workflows/*.yml, *.yaml)",
        frozenset({ArtifactKind.GITHUB_WORKFLOW}),
        ".github/workflows/example.yml",
    ),
    "github-action": Target(
        "GitHub Actions action metadata (action.yml, action.yaml)",
        frozenset({ArtifactKind.GITHUB_ACTION}),
        "action.yml",
    ),
    "kubernetes": Target(
        "Kubernetes manifests: YAML documents with apiVersion and kind",
        frozenset({ArtifactKind.YAML}),
        "k8s/example.yaml",
        accepts=_is_kubernetes,
        prefilter=_may_be_kubernetes,
    ),
    "yaml": Target("Any YAML file", YAML_KINDS, "example.yaml"),
    "json": Target("Any JSON file", frozenset({ArtifactKind.JSON}), "example.json"),
    "github-repository": Target(
        "GitHub settings of a repository: the REST API payloads exported under the evidence "
        "directory (.soc2/), assembled per repository",
        frozenset({ArtifactKind.GITHUB_EVIDENCE}),
        ".soc2/github/acme/shop/repo.json",
        accepts=lambda doc: not doc.identity.startswith("org:"),
    ),
    "github-organization": Target(
        "GitHub settings of an organisation: org, members and admins payloads under the "
        "evidence directory",
        frozenset({ArtifactKind.GITHUB_EVIDENCE}),
        ".soc2/github/acme/org.json",
        accepts=lambda doc: doc.identity.startswith("org:"),
    ),
    "codeowners": Target(
        "The CODEOWNERS file (root, .github/ or docs/), as entries of pattern and owners",
        frozenset({ArtifactKind.CODEOWNERS}),
        ".github/CODEOWNERS",
    ),
    "files": Target(
        "Every file in the scanned tree, as text (GitHub workflows and actions excepted: "
        "their literals are GHA012's)",
        frozenset(ArtifactKind) - {ArtifactKind.GITHUB_WORKFLOW, ArtifactKind.GITHUB_ACTION,
                                   ArtifactKind.HELM_TEMPLATE, ArtifactKind.GITHUB_EVIDENCE},
        "config/settings.py",
    ),
    # Engine-level rules (parse errors, suppression hygiene) apply to whatever was parsed.
    "any": Target("Any file soc2lint parses", frozenset(ArtifactKind), "example.yaml"),
}
