"""GitHub settings evidence as a format: the REST API payloads under the evidence directory
(`.soc2/`), each parsed as JSON, then assembled per repository and organisation (with the
CODEOWNERS file) into the documents the github-* rules read; missing evidence concluded on.

What the payloads mean lives in `formats.github`; this module is its seam with the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from soc2lint.formats.registry import (
    AssembledDocument,
    Assembly,
    Candidate,
    Conclusion,
    Format,
    Target,
)
from soc2lint.model import Artifact, Finding, Location, ParsedArtifact, Severity

if TYPE_CHECKING:
    from soc2lint.formats.github import EvidenceDocument

UNRECOGNISED = "not a GitHub API payload soc2lint recognises; its settings were not evaluated"


def _is_payload(candidate: Candidate) -> bool:
    return candidate.name.endswith(".json") and candidate.path.startswith(
        candidate.evidence_dir + "/"
    )


def _parse(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats.yamldoc import parse_json

    return parse_json(artifact, text)


def _assemble(
    payloads: Sequence[ParsedArtifact], inputs: Mapping[str, Sequence[ParsedArtifact]]
) -> Assembly:
    from soc2lint.formats.github import bundle_documents

    owners = inputs.get("codeowners") or ()
    documents, unknown = bundle_documents(list(payloads), owners[0] if owners else None)
    return Assembly(
        [AssembledDocument(d.document, d.target, d.sources) for d in documents],
        [(item, UNRECOGNISED) for item in unknown],
    )


def _conclude(c: Conclusion) -> tuple[list[Finding], list[str]]:
    """Which rules reached no verdict for lack of evidence; when evidence is required (the
    config says so, or a GitHub rule was selected by name), evidence-missing is medium and an
    evidence directory without any repository export is reported."""
    from soc2lint.formats.github import (
        EVIDENCE_MISSING,
        evidence_of,
        not_evaluated,
    )

    # the documents are those `_assemble` built, from formats.github's own
    skipped = not_evaluated(c.rules, cast("Sequence[EvidenceDocument]", c.documents))
    rule = next((r for r in c.rules if r.name == EVIDENCE_MISSING), None)
    if rule is None or not c.options.get("evidence_required"):
        return c.findings, skipped
    overridden = rule.id in c.severity_overrides or rule.name in c.severity_overrides
    raised = Severity.MEDIUM if not overridden and rule.severity < Severity.MEDIUM else None
    scope = c.options.get("evidence_scope")
    out = [
        replace(f, severity=raised) if raised and f.rule.id == rule.id else f
        for f in c.findings
        if f.rule.id != rule.id or scope is None or evidence_of(f.identity) in scope
    ]
    if not any(d.target == "github-repository" for d in c.documents):
        where = c.evidence_dir
        message = (
            f"No GitHub settings export under {where}/ (no GET /repos/O/R payload): "
            "branch protection, rulesets, environments, collaborators and the other "
            "GitHub settings controls were not evaluated; not passing (run `soc2lint "
            "collect github OWNER/REPO`)"
        )
        finding = c.make_finding(rule, Location(where, 1, 1, 1, 1), {}, "no-evidence", message)
        out.append(replace(finding, severity=raised) if raised else finding)
    return out, skipped


FORMATS = (
    Format(
        "github-evidence",
        "GitHub REST API payloads under the evidence directory",
        _is_payload,
        _parse,
        as_text=False,
        assemble=_assemble,
        uses=("codeowners",),
        conclude=_conclude,
    ),
)

TARGETS = {
    "github-repository": Target(
        "GitHub settings of a repository: the REST API payloads exported under the evidence "
        "directory (.soc2/), assembled per repository",
        frozenset({"github-evidence"}),
        ".soc2/github/acme/shop/repo.json",
        accepts=lambda doc: not doc.identity.startswith("org:"),
    ),
    "github-organization": Target(
        "GitHub settings of an organisation: org, members and admins payloads under the "
        "evidence directory",
        frozenset({"github-evidence"}),
        ".soc2/github/acme/org.json",
        accepts=lambda doc: doc.identity.startswith("org:"),
    ),
}
