"""Evidence files -> one document per repository and per organisation (`bundle_documents`)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from soc2lint.formats.github.assemble import Bundle, build_organization, build_repository
from soc2lint.formats.github.payload import ManifestEntry, Payload, manifest_entries
from soc2lint.formats.github.recognition import owner_repo, recognise
from soc2lint.formats.github.schema import (
    ERROR,
    MANIFEST,
    ORG,
    ORGANIZATION_DOCUMENT,
    ORGANIZATION_KINDS,
    REPO,
    REPOSITORY_DOCUMENT,
    RULESET,
    RULESETS,
    endpoint_of,
)
from soc2lint.model import Document, ParsedArtifact


@dataclass(frozen=True)
class EvidenceDocument:
    document: Document
    sources: Mapping[int, str]  # payload root node id -> file
    texts: Mapping[str, str]  # file -> text (for suppression comments and spans)
    target: str  # "github-repository" or "github-organization"


def bundle_documents(
    parsed: Sequence[ParsedArtifact],
    codeowners: ParsedArtifact | None = None,
) -> tuple[list[EvidenceDocument], list[ParsedArtifact]]:
    """(the bundle documents, the parsed files whose shape is unknown). `codeowners`: the
    CODEOWNERS file of the scanned tree, which every repository document refers to."""
    manifest, manifest_of = _manifests(parsed)
    payloads, unknown = _recognised(parsed, manifest)
    payloads += _failures_without_body(manifest, manifest_of, {p.path for p in payloads})
    repos = sorted({p.repo for p in payloads if p.kind == REPO and p.repo})
    bundles, org_payloads = _grouped(payloads, repos)
    texts = {art.artifact.path: art.text for art in parsed}
    out: list[EvidenceDocument] = []
    for name in repos:
        owner = name.split("/")[0]
        root, sources = build_repository(bundles[name], org_payloads.get(owner, []), codeowners)
        out.append(
            EvidenceDocument(Document(0, root, name, ""), sources, texts, REPOSITORY_DOCUMENT)
        )
    for owner in sorted(org_payloads):
        built = build_organization(owner, org_payloads[owner])
        if built is not None:
            root, sources = built
            out.append(
                EvidenceDocument(
                    Document(0, root, f"org:{owner}", ""), sources, texts, ORGANIZATION_DOCUMENT
                )
            )
    return out, unknown


def _manifests(parsed: Sequence[ParsedArtifact]) -> tuple[dict[str, ManifestEntry], dict[str, str]]:
    """(evidence file -> its manifest entry, evidence file -> the manifest listing it)."""
    manifest: dict[str, ManifestEntry] = {}
    manifest_of: dict[str, str] = {}
    for art in parsed:
        for doc in art.documents:
            if recognise(doc.root, art.artifact.path, None) == MANIFEST:
                entries = manifest_entries(doc.root, posixpath.dirname(art.artifact.path))
                manifest.update(entries)
                manifest_of.update(dict.fromkeys(entries, art.artifact.path))
    return manifest, manifest_of


def _recognised(
    parsed: Sequence[ParsedArtifact],
    manifest: Mapping[str, ManifestEntry],
) -> tuple[list[Payload], list[ParsedArtifact]]:
    """(the payloads, the parsed files whose shape is unknown); manifests are neither."""
    payloads: list[Payload] = []
    unknown: list[ParsedArtifact] = []
    for art in parsed:
        if not art.documents:
            continue
        root = art.documents[0].root
        entry = manifest.get(art.artifact.path)
        kind = recognise(root, art.artifact.path, entry)
        if kind is None:
            unknown.append(art)
        elif kind != MANIFEST:
            payload = Payload(
                art.artifact.path,
                kind,
                root,
                entry.status if entry else 200,
                entry.endpoint if entry else "",
            )
            owner_repo(payload, payload.endpoint)
            payloads.append(payload)
    return payloads, unknown


def _failures_without_body(
    manifest: Mapping[str, ManifestEntry], manifest_of: Mapping[str, str], have: set[str]
) -> list[Payload]:
    """A failed endpoint whose body is absent, empty or unparsable is still a failure the rules
    must hear of: its manifest entry stands in for it."""
    out = []
    for path, entry in manifest.items():
        row = endpoint_of(entry.endpoint)
        if path in have or row is None or entry.node is None or not entry.is_failure(row.kind):
            continue
        payload = Payload(manifest_of[path], ERROR, entry.node, entry.status, entry.endpoint)
        owner_repo(payload, payload.endpoint)
        out.append(payload)
    return out


def _grouped(
    payloads: Sequence[Payload],
    repos: Sequence[str],
) -> tuple[dict[str, Bundle], dict[str, list[Payload]]]:
    """(repository -> its bundle, owner -> the organisation's payloads)."""
    bundles = {r: Bundle(r) for r in repos}
    org_payloads: dict[str, list[Payload]] = {}
    org_owners = [q.owner for q in payloads if q.kind == ORG]
    for p in payloads:
        if _organisations(p):
            if p.owner or len(set(org_owners)) <= 1:
                owner = p.owner or next(iter(org_owners), "")
                org_payloads.setdefault(owner, []).append(p)
            if p.kind not in (ERROR, RULESETS, RULESET):
                continue
        if p.kind == RULESET and not p.repo:
            # an organisation's ruleset: every repository of the organisation is a candidate,
            # its conditions decide (see rulesets.ruleset_targets)
            for name in repos:
                if not p.owner or name.split("/")[0] == p.owner:
                    bundles[name].payloads.append(p)
            continue
        target = p.repo if p.repo in bundles else (repos[0] if len(repos) == 1 else "")
        if target:
            bundles[target].payloads.append(p)
    return bundles, org_payloads


def _organisations(p: Payload) -> bool:
    """An organisation's own payload, or an organisation endpoint's (rulesets, failures)."""
    return p.kind in ORGANIZATION_KINDS or (
        p.kind in (ERROR, RULESETS, RULESET)
        and bool(p.owner)
        and not p.repo
        and "/orgs/" in (p.endpoint or "/orgs/")
    )
