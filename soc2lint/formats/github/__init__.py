"""GitHub settings evidence: REST API payloads, recognised by content, bundled per repository
and organisation into one document each that rules read as a whole.

Payloads are kept exactly as the API returned them (`gh api ... > file.json` or
`soc2lint collect github`). Each is recognised by its shape, helped by the collector's
`manifest.json` (which knows the endpoint and HTTP status) and, last, by the collector's file
names. The bundle document is built from the payloads' own nodes, so a finding about
`required_approving_review_count` points at that key in protection.json; `sources` maps each
payload's root node to its file, for the engine to resolve positions in the right file.

    schema.py     the endpoints table (request, file, payload kind, document key, evidence
                  status), read by the collector too, and the payload shapes
    payload.py    a recognised payload, a manifest entry, node readers
    recognition.py  an evidence file's kind, and the repository or organisation it belongs to
    rulesets.py   whether a ruleset covers a branch and takes in a repository
    assemble.py   the github-repository and github-organization documents
    bundle.py     evidence files -> those documents (`bundle_documents`)
    required.py   which rules read the evidence, and which reached a verdict
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names for the type checker; at run time, __getattr__ below
    from soc2lint.formats.github.assemble import Bundle, build_organization, build_repository
    from soc2lint.formats.github.bundle import EvidenceDocument, bundle_documents
    from soc2lint.formats.github.payload import ManifestEntry, Payload
    from soc2lint.formats.github.recognition import recognise
    from soc2lint.formats.github.required import (
        EVIDENCE_MISSING,
        EVIDENCE_TARGETS,
        evidence_keys,
        evidence_needed,
        evidence_of,
        evidence_statuses,
        explicitly_selected,
        not_evaluated,
        reads_evidence,
    )
    from soc2lint.formats.github.rulesets import UNKNOWN, ruleset_applies, ruleset_targets
    from soc2lint.formats.github.schema import (
        BRANCH_RULES,
        COLLABORATORS,
        ENVIRONMENTS,
        ERROR,
        MANIFEST,
        MEMBERS,
        MEMBERS_2FA_DISABLED,
        MEMBERS_ADMIN,
        NOT_PROTECTED,
        ORG,
        OUTSIDE_COLLABORATORS,
        PROTECTION,
        REPO,
        RULESET,
        RULESETS,
        WORKFLOW_PERMISSIONS,
    )

# Loaded on first use (PEP 562): every scan asks which rules read evidence (required.py), and
# only a scan with evidence needs the endpoints table and the assembler.
_WHERE = {
    "BRANCH_RULES": "schema",
    "Bundle": "assemble",
    "COLLABORATORS": "schema",
    "ENVIRONMENTS": "schema",
    "ERROR": "schema",
    "EVIDENCE_MISSING": "required",
    "EVIDENCE_TARGETS": "required",
    "EvidenceDocument": "bundle",
    "MANIFEST": "schema",
    "MEMBERS": "schema",
    "MEMBERS_2FA_DISABLED": "schema",
    "MEMBERS_ADMIN": "schema",
    "ManifestEntry": "payload",
    "NOT_PROTECTED": "schema",
    "ORG": "schema",
    "OUTSIDE_COLLABORATORS": "schema",
    "PROTECTION": "schema",
    "Payload": "payload",
    "REPO": "schema",
    "RULESET": "schema",
    "RULESETS": "schema",
    "UNKNOWN": "rulesets",
    "WORKFLOW_PERMISSIONS": "schema",
    "build_organization": "assemble",
    "build_repository": "assemble",
    "bundle_documents": "bundle",
    "evidence_keys": "required",
    "evidence_needed": "required",
    "evidence_of": "required",
    "evidence_statuses": "required",
    "explicitly_selected": "required",
    "not_evaluated": "required",
    "reads_evidence": "required",
    "recognise": "recognition",
    "ruleset_applies": "rulesets",
    "ruleset_targets": "rulesets",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "BRANCH_RULES",
    "COLLABORATORS",
    "ENVIRONMENTS",
    "ERROR",
    "EVIDENCE_MISSING",
    "EVIDENCE_TARGETS",
    "MANIFEST",
    "MEMBERS",
    "MEMBERS_2FA_DISABLED",
    "MEMBERS_ADMIN",
    "NOT_PROTECTED",
    "ORG",
    "OUTSIDE_COLLABORATORS",
    "PROTECTION",
    "REPO",
    "RULESET",
    "RULESETS",
    "UNKNOWN",
    "WORKFLOW_PERMISSIONS",
    "Bundle",
    "EvidenceDocument",
    "ManifestEntry",
    "Payload",
    "build_organization",
    "build_repository",
    "bundle_documents",
    "evidence_keys",
    "evidence_needed",
    "evidence_of",
    "evidence_statuses",
    "explicitly_selected",
    "not_evaluated",
    "reads_evidence",
    "recognise",
    "ruleset_applies",
    "ruleset_targets",
]
