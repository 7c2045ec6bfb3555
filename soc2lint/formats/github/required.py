"""Which rules read GitHub settings evidence, whether it was asked for, and which of those rules
the exported evidence let reach a verdict."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from soc2lint.formats import nodes
from soc2lint.model import Rule

if TYPE_CHECKING:
    from soc2lint.formats.github.bundle import EvidenceDocument

# The targets of the documents the evidence is assembled into (schema.py uses the same names).
# Plain strings here: every scan asks which rules read evidence, and the endpoints table is a
# dozen dataclasses that a scan without evidence should not pay to import.
REPOSITORY_DOCUMENT = "github-repository"
ORGANIZATION_DOCUMENT = "github-organization"

EVIDENCE_TARGETS = (REPOSITORY_DOCUMENT, ORGANIZATION_DOCUMENT)
EVIDENCE_MISSING = "evidence-missing"  # GH023's name
_FAMILY = re.compile(r"[A-Z]+")
_EVIDENCE_KEY = re.compile(r"\bevidence\.([a-z_0-9]+)")


def reads_evidence(rule: Rule) -> bool:
    """A rule judging GitHub settings exports (not CODEOWNERS, not workflow files)."""
    return any(t in EVIDENCE_TARGETS for t in rule.targets)


def explicitly_selected(patterns: Iterable[str], rule: Rule) -> bool:
    """Whether `--select`/`select:` names `rule` itself: its id, its name, or a prefix of its id
    that holds its whole family (`GH`, `GH0`; never `G`, and `GH` is not `GHA`'s family)."""
    family = _FAMILY.match(rule.id)
    for raw in patterns:
        code = raw.strip()
        if code == rule.name or code.upper() == rule.id:
            return True
        upper = code.upper()
        if (
            family
            and rule.id.startswith(upper)
            and len(upper) >= family.end()
            and upper[: family.end()] == family.group()
        ):
            return True
    return False


def evidence_keys(rule: Rule) -> frozenset[str]:
    """The `evidence.<name>` statuses a rule's match reads (what it needs to reach a verdict)."""
    import json

    return frozenset(_EVIDENCE_KEY.findall(json.dumps(rule.match, default=str)))


def evidence_statuses(root: nodes.Node) -> dict[str, str]:
    """`evidence.<name>` -> status of a bundle document."""
    from soc2lint.formats.github.payload import field_of, text

    mapping = field_of(root, "evidence")
    if not isinstance(mapping, nodes.MappingNode):
        return {}
    return {text(k): text(v) for k, v in mapping.value}


def not_evaluated(rules: Sequence[Rule], documents: Sequence[EvidenceDocument]) -> list[str]:
    """The ids of the settings rules that reached no verdict: no document of their target, or in
    every such document an evidence status they read is neither `ok` nor `not-protected`."""
    out = []
    for rule in rules:
        if not reads_evidence(rule):
            continue
        # evidence-missing judges the statuses themselves: it needs only a document to read
        keys = frozenset() if rule.name == EVIDENCE_MISSING else evidence_keys(rule)
        judged = False
        for doc in documents:
            if doc.target not in rule.targets:
                continue
            statuses = evidence_statuses(doc.document.root)
            if all(statuses.get(k, "ok") in ("ok", "not-protected") for k in keys):
                judged = True
                break
        if not judged:
            out.append(rule.id)
    return out


def evidence_needed(rule: Rule) -> frozenset[str]:
    """The evidence a settings rule needs to reach a verdict: the `evidence.<name>` statuses it
    reads, and the organisation export itself for the organisation's rules."""
    org = frozenset({"organization"}) if ORGANIZATION_DOCUMENT in rule.targets else frozenset()
    return evidence_keys(rule) | org


def evidence_of(identity: str) -> str:
    """The evidence an evidence-missing finding is about, from its identity
    (`acme/shop:evidence.protection` -> `protection`, `org:acme:organization.x` -> `organization`)."""
    route = identity.rpartition(":")[2]
    parts = route.split(".")
    return parts[1] if parts[0] == "evidence" and len(parts) > 1 else parts[0]
