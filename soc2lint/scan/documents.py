"""Rules x documents -> findings, file by file: read each artifact once, parse it (once) for the
rules reading its structure, give its text to the rules reading any file's lines, match, locate,
and apply the file's inline suppressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from soc2lint.config import Config
from soc2lint.formats.registry import Target, format_of, targets, text_passed_kinds
from soc2lint.language.match import UNKNOWN_SKIPS
from soc2lint.language.routes import identity as route_identity
from soc2lint.language.routes import locate, span_location
from soc2lint.model import (
    Artifact,
    Document,
    Finding,
    Hit,
    Location,
    ParsedArtifact,
    Rule,
    Severity,
)
from soc2lint.scan.findings import make_finding
from soc2lint.scan.suppress import MIN_REASON, inline_for, parse_inline

# Rules the engine produces itself rather than by matching documents.
ENGINE_DETECTORS = (
    "parse-error",
    "excessive-yaml-aliases",
    "suppression-without-reason",
    "unrecognised-evidence",
    "secrets-history",
    "scan-incomplete",
)


SECRETS_DETECTORS = "soc2lint.detectors.secrets"  # the module whose detectors read the audit


@dataclass(frozen=True)
class DetectorContext:
    """What a detector may know besides its document: the scan root (files around it), and the
    sha1 hashes of values detect-secrets' audit marked as no secret."""

    root: Path
    false_positives: frozenset[str] = frozenset()


@cache
def caseless(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """For a `(?i)` prefilter without capital letters, the same pattern without the flag, to
    search lowered text with: Python's case-blind matching is several times slower."""
    source = pattern.pattern
    # a capital letter, or an escape that could spell one (`\x41`), would miss the lowered text
    if not source.startswith("(?i)") or re.search(r"(?<!\\)[A-Z]|\\[xuUN0-7]", source[4:]):
        return None
    try:
        return re.compile(source[4:])
    except re.error:
        return None


def text_only(rule: Rule) -> bool:
    """A rule reading any file as lines (target `files`), not a format's structure."""
    return rule.targets == ("files",)


def targets_for(rules: Sequence[Rule], kind: str) -> list[tuple[Rule, list[Target]]]:
    """The document rules reading artifacts of `kind`, each with its targets covering the kind."""
    known = targets()
    out = []
    for rule in rules:
        if rule.detector in ENGINE_DETECTORS:
            continue
        covering = [known[t] for t in rule.targets if kind in known[t].kinds]
        if covering:
            out.append((rule, covering))
    return out


class DocumentScanner:
    """Runs the selected rules over parsed documents. One per scan; forked workers inherit it."""

    def __init__(
        self, rules: Sequence[Rule], config: Config, readers: Sequence[Rule], root: Path
    ) -> None:
        from soc2lint.detectors import DETECTORS

        self.config = config
        # ids of the targets that accepted a document (a Kubernetes object among all YAML): a
        # rule whose target accepted none had nothing to judge, which is no pass
        self.accepted_targets: set[int] = set()
        self.engine_rules = {r.detector: r for r in rules if r.detector in ENGINE_DETECTORS}
        self.doc_rules = [r for r in rules if r.detector not in ENGINE_DETECTORS]
        self.context = DetectorContext(root)
        if any(  # only the secrets detectors read detect-secrets' audit: not read otherwise
            r.detector in DETECTORS and DETECTORS[r.detector].module == SECRETS_DETECTORS
            for r in self.doc_rules
        ):
            from soc2lint.secrets.baseline import (
                DETECT_SECRETS_NAME,
                detect_secrets_false_positives,
            )

            audited = detect_secrets_false_positives(root / DETECT_SECRETS_NAME)
            self.context = DetectorContext(root, audited)
        # which files get read: those the document rules read, or, when only engine rules run
        # (`--select parse-error`), those the whole rule set would read
        self.readers = self.doc_rules if self.doc_rules else list(readers)
        self.detectors: dict[str, Any] = {}
        # rules that left a candidate without a verdict for an unknown value (Terraform)
        self.unknown_rules: set[str] = set()
        self._by_kind: dict[tuple[str, bool], list[tuple[Rule, list[Target]]]] = {}
        self._plans: dict[str, tuple[Any, ...]] = {}

    def rules_for(self, kind: str, readers: bool = False) -> list[tuple[Rule, list[Target]]]:
        key = (kind, readers)
        if key not in self._by_kind:
            self._by_kind[key] = targets_for(self.readers if readers else self.doc_rules, kind)
        return self._by_kind[key]

    def _plan(self, kind: str) -> tuple[Any, ...]:
        """For the files of `kind`, once: (readers, structural rules, text rules, structural
        readers, their targets' prefilters, each once)."""
        plan = self._plans.get(kind)
        if plan is None:
            applicable = self.rules_for(kind)
            readers = applicable if self.doc_rules else self.rules_for(kind, readers=True)
            if kind in text_passed_kinds():  # assembled later; here only read as text
                applicable = [(r, t) for r, t in applicable if text_only(r)]
                readers = [(r, t) for r, t in readers if text_only(r)]
            struct_readers = [(r, t) for r, t in readers if not text_only(r)]
            prefilters = [t.prefilter for _, covering in struct_readers for t in covering]
            plan = self._plans[kind] = (
                readers,
                [(r, t) for r, t in applicable if not text_only(r)],
                [(r, t) for r, t in applicable if text_only(r)],
                struct_readers,
                list(dict.fromkeys(prefilters)),  # the same target's, asked once
            )
        return plan

    def scan_artifact(self, artifact: Artifact) -> tuple[list[Finding], bool]:
        """Read an artifact once; parse it for the rules reading its structure (once) and give
        its text to the rules reading any file's lines (secrets), even when it does not parse."""
        from soc2lint.formats.read import BINARY_ERROR, read_text
        from soc2lint.formats.text import parse_text

        readers, structural, textual, struct_readers, prefilters = self._plan(artifact.kind)
        parser = format_of(artifact.kind).parse
        if not readers or parser is None:
            return [], False
        raw = read_text(artifact, _limit(self.config, artifact), format_of(artifact.kind).lenient)
        if raw.error is not None and not struct_readers:
            # only text rules want it: a binary file is no text, but one too large or unreadable
            # is text nobody checked, and says so
            if raw.error == BINARY_ERROR:
                return [], False
            return self.error_finding(raw), True
        if prefilters and all(p is not None for p in prefilters):
            # Every structural rule only wants some files of this kind (e.g. Kubernetes
            # manifests among all YAML): skip the others without parsing them or reporting them
            # as unparseable.
            sample = raw.text if raw.error is None else _head(artifact.abspath)
            if not any(p(sample) for p in prefilters if p is not None):
                structural = struct_readers = []
        if not struct_readers and not textual:
            return [], False
        findings: list[Finding] = []
        parsed = raw
        if struct_readers:
            parsed = parser(artifact, raw.text) if raw.error is None else raw
            if parsed.error is not None:
                findings.extend(self.error_finding(parsed))
            self._run(structural, parsed, parsed.documents, artifact.path, findings)
        if textual and raw.error is None:
            text = parse_text(artifact, raw.text)
            self._run(textual, text, text.documents, artifact.path, findings)
            parsed = parsed if parsed.text else text
        return self.inline(parsed, findings), True

    def parse(self, artifact: Artifact) -> ParsedArtifact:
        from soc2lint.formats.read import read_text

        raw = read_text(artifact, _limit(self.config, artifact), format_of(artifact.kind).lenient)
        parser = format_of(artifact.kind).parse
        if raw.error is not None or parser is None:
            return raw
        return parser(artifact, raw.text)

    def parse_and_run(self, artifact: Artifact) -> tuple[list[Finding], ParsedArtifact]:
        """Parse one artifact and run the document rules reading its kind on it."""
        parsed = self.parse(artifact)
        findings: list[Finding] = []
        if parsed.error is not None:
            findings.extend(self.error_finding(parsed))
        for doc in parsed.documents:
            memo: dict[Any, Any] = {}
            for rule, _covering in self.rules_for(artifact.kind):
                for hit in self.hits(rule, doc, memo):
                    findings.append(self._hit_finding(rule, parsed, doc, hit))
        return self.inline(parsed, findings), parsed

    def _run(
        self,
        rules: Sequence[tuple[Rule, list[Target]]],
        parsed: ParsedArtifact,
        documents: Sequence[Document],
        path: str,
        findings: list[Finding],
    ) -> None:
        from soc2lint.language.match import kinds_of

        for doc in documents:
            memo: dict[Any, Any] = {}  # shared by the rules evaluated on this document
            lowered: str | None = None
            accepted: dict[int, bool] = {}  # id(target) -> whether it reads this document
            kind = _kind(doc)
            for rule, covering in rules:
                wanted = kinds_of(rule)
                if wanted is not None and kind not in wanted:
                    continue  # its every block asks for another kind: it cannot hold here
                if not any(_accepts(t, doc, accepted) for t in covering):
                    continue
                if rule.prefilter is not None:
                    fast = caseless(rule.prefilter)
                    if fast is None:
                        if not rule.prefilter.search(doc.text):
                            continue
                    else:
                        lowered = doc.text.lower() if lowered is None else lowered
                        if not fast.search(lowered):
                            continue
                for hit in self.hits(rule, doc, memo, path):
                    findings.append(self._hit_finding(rule, parsed, doc, hit))
            self.accepted_targets.update(key for key, ok in accepted.items() if ok)

    def hits(
        self, rule: Rule, doc: Document, memo: dict[Any, Any], path: str = ""
    ) -> Iterable[Hit]:
        if rule.match is not None:
            from soc2lint.language.match import matchers_of

            return (hit for m in matchers_of(rule) for hit in m.run(doc.root, rule.params, memo))
        from soc2lint import detectors

        assert rule.detector is not None
        fn = self.detectors.get(rule.detector)
        if fn is None:
            fn = self.detectors[rule.detector] = detectors.load(rule.detector)
        # `_memo`: the memo the rules of this document share, where a detector counts the
        # candidates it left without a verdict for an unknown value (UNKNOWN_SKIPS), as matchers do
        found = fn(doc, {**rule.with_, **rule.params, "_path": path, "_memo": memo}, self.context)
        if rule.refinement is None:
            return found
        from soc2lint.language.match import refine_hits, refinement_of

        return refine_hits(refinement_of(rule), doc.root, found, rule.params, memo)

    def _hit_finding(self, rule: Rule, parsed: ParsedArtifact, doc: Document, hit: Hit) -> Finding:
        path = parsed.artifact.path
        if hit.span is not None:
            location = span_location(path, parsed.text, *hit.span)
        else:
            location = locate(path, doc.root, hit.route, hit.focus)
        ident = route_identity(doc.root, hit.route)
        if hit.fields.get("identity"):
            ident += "#" + hit.fields["identity"]
        if doc.identity:
            ident = f"{doc.identity}:{ident}"
        fields = {"object": doc.identity or path, **hit.fields}
        finding = make_finding(rule, location, fields, ident, hit.message)
        if hit.fact is not None:
            finding = replace(finding, fact=hit.fact)
        if not hit.properties:
            return finding
        finding = replace(finding, properties=hit.properties)
        lowered = dict(hit.properties).get("scope_severity", "").upper()
        if lowered in Severity.__members__ and Severity[lowered] < finding.severity:
            # a detector's judgement that this place (tests, docs) makes the finding less severe
            finding = replace(finding, severity=Severity[lowered])
        return finding

    def error_finding(self, parsed: ParsedArtifact) -> list[Finding]:
        rule = self.engine_rules.get(parsed.error_rule)
        if rule is None:
            return []
        line, col = parsed.error_line, parsed.error_column
        location = Location(parsed.artifact.path, line, col, line, col)
        return [make_finding(rule, location, {"detail": parsed.error}, parsed.error_rule)]

    def inline(self, parsed: ParsedArtifact, findings: list[Finding]) -> list[Finding]:
        suppressions = parse_inline(parsed.text)
        if not suppressions:
            return findings
        out = [replace(f, suppression=inline_for(f, suppressions)) for f in findings]
        rule = self.engine_rules.get("suppression-without-reason")
        if rule is not None:
            for s in suppressions:
                if len(s.reason) >= MIN_REASON and s.codes:
                    continue
                detail = (
                    "names no rule: write ignore[RULE-ID]"
                    if not s.codes
                    else f"gives no reason for ignoring {', '.join(s.codes)}"
                )
                location = Location(
                    parsed.artifact.path, s.comment_line, s.column, s.comment_line, s.column
                )
                out.append(
                    make_finding(rule, location, {"detail": detail}, f"line-{s.comment_line}")
                )
        return out

    def run_assembled(self, documents: Sequence[Any], kind: str, findings: list[Finding]) -> None:
        """Rules over documents built from several files, each located through its `sources`."""
        applicable = [rule for rule, _ in self.rules_for(kind)]
        for assembled in documents:
            doc = assembled.document
            memo: dict[Any, Any] = {}
            for rule in applicable:
                if assembled.target not in rule.targets:
                    continue
                skipped = memo.get(UNKNOWN_SKIPS, 0)
                for hit in self.hits(rule, doc, memo):
                    location = locate(
                        doc.identity, doc.root, hit.route, hit.focus, assembled.sources
                    )
                    ident = f"{doc.identity}:{route_identity(doc.root, hit.route)}"
                    if hit.fields.get("identity"):
                        ident += "#" + hit.fields["identity"]
                    fields = {"object": doc.identity, **hit.fields}
                    finding = make_finding(rule, location, fields, ident, hit.message)
                    if hit.fact is not None:  # a join over assembled documents (scan.joins)
                        finding = replace(finding, fact=hit.fact)
                    findings.append(finding)
                if memo.get(UNKNOWN_SKIPS, 0) > skipped:
                    self.unknown_rules.add(rule.id)


def _kind(doc: Document) -> str | None:
    """The document's `kind` as the rules compare it (a string scalar), else None."""
    from soc2lint.formats import nodes

    found = nodes.get(doc.root, "kind")
    if found is None or not isinstance(found[1], nodes.ScalarNode):
        return None
    value = nodes.scalar_value(found[1])
    return value if isinstance(value, str) else None


def _accepts(target: Target, doc: Document, seen: dict[int, bool]) -> bool:
    """Whether `target` reads `doc`, asked once per document for all the rules of the target."""
    if target.accepts is None:
        return True
    key = id(target)
    if key not in seen:
        seen[key] = bool(target.accepts(doc))
    return seen[key]


def _limit(config: Config, artifact: Artifact) -> int:
    """The size up to which a file is read: its format's own limit for data exports."""
    own = format_of(artifact.kind).max_size
    return own if own is not None else config.max_file_size


def _head(path: str, size: int = 65536) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(size).decode("utf-8", "replace")
    except OSError:
        return ""
