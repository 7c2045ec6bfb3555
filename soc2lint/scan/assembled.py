"""The assembled pass, after the per-file one: formats whose documents are built from several
files (GitHub settings per repository) parse their files, assemble, get checked, and conclude
(which rules reached no verdict for lack of evidence)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from soc2lint.formats.registry import Conclusion, assemblers, format_of
from soc2lint.model import Artifact, Finding, Location, ParsedArtifact
from soc2lint.scan.documents import DocumentScanner, text_only
from soc2lint.scan.findings import make_finding


@dataclass
class AssembledPass:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0  # artifacts parsed
    not_evaluated: list[str] = field(default_factory=list)  # rule ids without a verdict


def run(
    scanner: DocumentScanner, artifacts: Sequence[Artifact], options: Mapping[str, Any]
) -> AssembledPass:
    """`artifacts`: those of the deferred kinds (formats.registry.deferred_kinds)."""
    out = AssembledPass()
    by_kind: dict[str, list[Artifact]] = {}
    for artifact in artifacts:
        by_kind.setdefault(artifact.kind, []).append(artifact)
    for kind, group in by_kind.items():
        if format_of(kind).first_only:
            by_kind[kind] = group[:1]
    # the files assemblers read besides their own (CODEOWNERS): checked once as themselves
    used: dict[str, list[ParsedArtifact]] = {}
    for fmt in assemblers():
        for kind in fmt.uses:
            if kind in used:
                continue
            used[kind] = []
            for artifact in by_kind.get(kind, ()):
                produced, parsed = scanner.parse_and_run(artifact)
                out.findings.extend(produced)
                used[kind].append(parsed)
                out.files += 1
    for fmt in assemblers():
        assert fmt.assemble is not None
        own = by_kind.get(fmt.kind, [])
        # the rules reading its structure (those reading any file's text had it per file)
        wanted = [
            r
            for r, _ in scanner.rules_for(fmt.kind, readers=not scanner.doc_rules)
            if not text_only(r)
        ]
        documents: Sequence[Any] = ()
        findings: list[Finding] = []
        if own and wanted:
            parsed_files = []
            for artifact in own:
                item = scanner.parse(artifact)
                if item.error is not None:
                    findings.extend(scanner.error_finding(item))
                    if item.documents:  # a file partly read (one bad Terraform block)
                        parsed_files.append(item)
                elif not item.documents:
                    findings.extend(scanner.error_finding(replace(item, error="empty file")))
                else:
                    parsed_files.append(item)
            out.files += len(own)
            inputs = {k: used.get(k, []) for k in fmt.uses}
            assembly = (
                fmt.assemble(parsed_files, inputs, options)
                if fmt.assemble_options
                else fmt.assemble(parsed_files, inputs)
            )
            unrecognised = scanner.engine_rules.get("unrecognised-evidence")
            for item, detail in assembly.unrecognised if unrecognised is not None else ():
                assert unrecognised is not None
                location = Location(item.artifact.path, 1, 1, 1, 1)
                findings.append(
                    make_finding(unrecognised, location, {"detail": detail}, "unrecognised")
                )
            documents = assembly.documents
            scanner.run_assembled(documents, fmt.kind, findings)
        if fmt.conclude is not None:
            findings, skipped = fmt.conclude(
                Conclusion(
                    documents,
                    findings,
                    scanner.doc_rules,
                    scanner.config.severity,
                    scanner.config.evidence_dir,
                    options,
                    make_finding,
                )
            )
            out.not_evaluated.extend(skipped)
        out.findings.extend(findings)
    # a candidate left without a verdict for an unknown value: the rule's controls cannot pass
    out.not_evaluated.extend(sorted(scanner.unknown_rules))
    return out
