"""Rules x documents -> findings: parse each artifact once, match, locate, suppress, sort."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from soc2lint.config import Config
from soc2lint.errors import Soc2lintError
from soc2lint.formats.targets import TARGETS, Target
from soc2lint.language.routes import identity as route_identity
from soc2lint.language.routes import locate, span_location
from soc2lint.model import (
    ArtifactKind,
    Document,
    Finding,
    Hit,
    Location,
    ParsedArtifact,
    Rule,
    ScanResult,
    Severity,
)
from soc2lint.scan.discover import discover
from soc2lint.scan.suppress import MIN_REASON, exception_for, inline_for, parse_inline

ENGINE_DETECTORS = ("parse-error", "excessive-yaml-aliases", "suppression-without-reason",
                    "unrecognised-evidence", "secrets-history", "scan-incomplete")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


@dataclass(frozen=True)
class DetectorContext:
    """What a detector may know besides its document: the scan root (files around it), and the
    sha1 hashes of values detect-secrets' audit marked as no secret."""

    root: Path
    false_positives: frozenset[str] = frozenset()


def format_message(template: str, fields: Mapping[str, Any]) -> str:
    def field(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in fields:
            return str(fields[name])
        return "(not set)" if name.startswith("candidate.") else m.group(0)
    return _PLACEHOLDER.sub(field, template)


@cache
def _caseless(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
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


def fingerprint(rule: Rule, path: str, identity: str) -> str:
    """Stable across unrelated edits: rule id, file and the logical identity, never a line."""
    digest = hashlib.sha256(f"{rule.id}\0{path}\0{identity}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def _finding(rule: Rule, location: Location, fields: Mapping[str, Any], identity: str,
             template: str | None = None) -> Finding:
    values = {**{f"param.{k}": _param_text(v) for k, v in rule.params.items()}, **fields,
              "path": location.path}
    message = format_message(template or rule.message, values)
    return Finding(rule, rule.severity, location, message, identity,
                   fingerprint(rule, location.path, identity))


def _param_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _text_only(rule: Rule) -> bool:
    """A rule reading any file as lines (target `files`), not a format's structure."""
    return rule.targets == ("files",)


def _targets_for(rules: Sequence[Rule], kind: Any) -> list[tuple[Rule, list[Target]]]:
    """The document rules reading artifacts of `kind`, each with its targets covering the kind."""
    out = []
    for rule in rules:
        if rule.detector in ENGINE_DETECTORS:
            continue
        targets = [TARGETS[t] for t in rule.targets if kind in TARGETS[t].kinds]
        if targets:
            out.append((rule, targets))
    return out


class _Scanner:
    def __init__(self, rules: Sequence[Rule], config: Config, readers: Sequence[Rule],
                 root: Path) -> None:
        self.config = config
        from soc2lint.secrets.baseline import DETECT_SECRETS_NAME, detect_secrets_false_positives

        self.context = DetectorContext(root, detect_secrets_false_positives(root / DETECT_SECRETS_NAME))
        self.engine_rules = {r.detector: r for r in rules if r.detector in ENGINE_DETECTORS}
        self.doc_rules = [r for r in rules if r.detector not in ENGINE_DETECTORS]
        # which files get read: those the document rules read, or, when only engine rules run
        # (`--select parse-error`), those the whole rule set would read
        self.readers = self.doc_rules if self.doc_rules else list(readers)
        self.detectors: dict[str, Any] = {}
        self.evidence_required = False  # GitHub settings evidence must be there (GH023 medium)
        # the evidence the explicitly selected rules need, when GH023 runs only on their behalf
        self.evidence_scope: frozenset[str] | None = None
        self.kinds_found: frozenset[ArtifactKind] = frozenset()
        self.not_evaluated: list[str] = []
        self.not_applicable: list[str] = []

    def scan_artifact(self, artifact: Any) -> tuple[list[Finding], bool]:
        """Read an artifact once; parse it for the rules reading its structure (once) and give
        its text to the rules reading any file's lines (secrets), even when it does not parse."""
        from soc2lint.formats.read import BINARY_ERROR, PARSERS, read_text

        applicable = _targets_for(self.doc_rules, artifact.kind)
        readers = applicable if self.doc_rules else _targets_for(self.readers, artifact.kind)
        structural = [(r, t) for r, t in applicable if not _text_only(r)]
        textual = [(r, t) for r, t in applicable if _text_only(r)]
        struct_readers = [(r, t) for r, t in readers if not _text_only(r)]
        parser = PARSERS.get(artifact.kind)
        if not readers or parser is None:
            return [], False
        raw = read_text(artifact, self.config.max_file_size)
        if raw.error is not None and not struct_readers:
            # only text rules want it: a binary file is no text, but one too large or unreadable
            # is text nobody checked, and says so
            if raw.error == BINARY_ERROR:
                return [], False
            return self._error_finding(raw), True
        prefilters = [t.prefilter for _, targets in struct_readers for t in targets]
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
                findings.extend(self._error_finding(parsed))
            self._run(structural, parsed, parsed.documents, artifact.path, findings)
        if textual and raw.error is None:
            text = PARSERS[ArtifactKind.TEXT](artifact, raw.text)
            self._run(textual, text, text.documents, artifact.path, findings)
            parsed = parsed if parsed.text else text
        findings = self._inline(parsed, findings)
        return findings, True

    def _run(self, rules: Sequence[tuple[Rule, list[Target]]], parsed: ParsedArtifact,
             documents: Sequence[Document], path: str, findings: list[Finding]) -> None:
        for doc in documents:
            memo: dict[Any, Any] = {}  # shared by the rules evaluated on this document
            lowered: str | None = None
            for rule, targets in rules:
                if not any(t.accepts is None or t.accepts(doc) for t in targets):
                    continue
                if rule.prefilter is not None:
                    caseless = _caseless(rule.prefilter)
                    if caseless is None:
                        if not rule.prefilter.search(doc.text):
                            continue
                    else:
                        lowered = doc.text.lower() if lowered is None else lowered
                        if not caseless.search(lowered):
                            continue
                for hit in self._hits(rule, doc, memo, path):
                    findings.append(self._hit_finding(rule, parsed, doc, hit))

    def _hits(self, rule: Rule, doc: Document, memo: dict[Any, Any], path: str = "") -> Iterable[Hit]:
        if rule.match is not None:
            from soc2lint.language.match import matchers_of

            return (hit for m in matchers_of(rule) for hit in m.run(doc.root, rule.params, memo))
        from soc2lint import detectors

        assert rule.detector is not None
        fn = self.detectors.get(rule.detector)
        if fn is None:
            fn = self.detectors[rule.detector] = detectors.load(rule.detector)
        return fn(doc, {**rule.with_, **rule.params, "_path": path}, self.context)

    def scan_evidence(self, artifacts: Sequence[Any]) -> tuple[list[Finding], int]:
        """GitHub settings payloads, parsed each, then assembled per repository and organisation
        into one document that the github-* rules read as a whole; and CODEOWNERS, which the
        codeowners rules read alone and the repository document refers to."""
        from soc2lint.formats.github import bundle_documents

        findings: list[Finding] = []
        owners_files = [a for a in artifacts if a.kind is ArtifactKind.CODEOWNERS]
        payloads = [a for a in artifacts if a.kind is ArtifactKind.GITHUB_EVIDENCE]
        codeowners = None
        for artifact in owners_files[:1]:  # GitHub reads the first of .github/, root, docs/
            produced, parsed = self._parse_and_run(artifact)
            findings.extend(produced)
            codeowners = parsed
        wanted = _targets_for(self.doc_rules or self.readers, ArtifactKind.GITHUB_EVIDENCE)
        if not payloads or not wanted:
            findings.extend(self._evidence_verdicts([], []))
            return findings, len(owners_files[:1])
        parsed_payloads = []
        for artifact in payloads:
            item = self._parse(artifact)
            if item.error is not None:
                findings.extend(self._error_finding(item))
            elif not item.documents:
                findings.extend(self._error_finding(replace(item, error="empty file")))
            else:
                parsed_payloads.append(item)
        documents, unknown = bundle_documents(parsed_payloads, codeowners)
        unrecognised = self.engine_rules.get("unrecognised-evidence")
        for item in unknown if unrecognised is not None else ():
            assert unrecognised is not None
            location = Location(item.artifact.path, 1, 1, 1, 1)
            detail = "not a GitHub API payload soc2lint recognises; its settings were not evaluated"
            findings.append(_finding(unrecognised, location, {"detail": detail}, "unrecognised"))
        applicable = [rule for rule, _ in _targets_for(self.doc_rules, ArtifactKind.GITHUB_EVIDENCE)]
        for evidence in documents:
            doc = evidence.document
            memo: dict[Any, Any] = {}
            for rule in applicable:
                if evidence.target not in rule.targets:
                    continue
                for hit in self._hits(rule, doc, memo):
                    location = locate(doc.identity, doc.root, hit.route, hit.focus, evidence.sources)
                    ident = f"{doc.identity}:{route_identity(doc.root, hit.route)}"
                    if hit.fields.get("identity"):
                        ident += "#" + hit.fields["identity"]
                    findings.append(_finding(rule, location, hit.fields, ident, hit.message))
        findings[:] = self._evidence_verdicts(documents, findings)
        return findings, len(payloads) + len(owners_files[:1])

    def _evidence_verdicts(self, documents: Sequence[Any], findings: list[Finding]) -> list[Finding]:
        """Record which rules reached no verdict; when evidence is required, raise evidence-missing
        to medium and report an evidence directory without any repository export."""
        from soc2lint.formats.github import (
            EVIDENCE_MISSING,
            evidence_of,
            not_evaluated,
            reads_evidence,
        )

        self.not_evaluated += not_evaluated(self.doc_rules, documents)
        self.not_applicable = [
            r.id for r in self.doc_rules if not reads_evidence(r)
            and not any(k in self.kinds_found for t in r.targets for k in TARGETS[t].kinds)]
        if not self.kinds_found:  # not a file: parse errors and the like had nothing to look at
            self.not_applicable += [r.id for r in self.engine_rules.values()]
        rule = next((r for r in self.doc_rules if r.name == EVIDENCE_MISSING), None)
        if rule is None or not self.evidence_required:
            return findings
        overridden = rule.id in self.config.severity or rule.name in self.config.severity
        raised = Severity.MEDIUM if not overridden and rule.severity < Severity.MEDIUM else None
        scope = self.evidence_scope
        out = [replace(f, severity=raised) if raised and f.rule.id == rule.id else f
               for f in findings if f.rule.id != rule.id or scope is None
               or evidence_of(f.identity) in scope]
        if not any(d.target == "github-repository" for d in documents):
            where = self.config.evidence_dir
            message = (f"No GitHub settings export under {where}/ (no GET /repos/O/R payload): "
                       "branch protection, rulesets, environments, collaborators and the other "
                       "GitHub settings controls were not evaluated; not passing (run `soc2lint "
                       "collect github OWNER/REPO`)")
            finding = _finding(rule, Location(where, 1, 1, 1, 1), {}, "no-evidence", message)
            out.append(replace(finding, severity=raised) if raised else finding)
        return out

    def _parse(self, artifact: Any) -> ParsedArtifact:
        from soc2lint.formats.read import PARSERS, read_text

        raw = read_text(artifact, self.config.max_file_size)
        return PARSERS[artifact.kind](artifact, raw.text) if raw.error is None else raw

    def _parse_and_run(self, artifact: Any) -> tuple[list[Finding], ParsedArtifact]:
        """Parse one artifact and run the document rules reading its kind on it."""
        parsed = self._parse(artifact)
        findings: list[Finding] = []
        if parsed.error is not None:
            findings.extend(self._error_finding(parsed))
        for doc in parsed.documents:
            memo: dict[Any, Any] = {}
            for rule, _targets in _targets_for(self.doc_rules, artifact.kind):
                for hit in self._hits(rule, doc, memo):
                    findings.append(self._hit_finding(rule, parsed, doc, hit))
        return self._inline(parsed, findings), parsed

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
        finding = _finding(rule, location, hit.fields, ident, hit.message)
        if "secret_type" in hit.fields:  # for tools reading JSON/SARIF: never the value itself
            finding = replace(finding, properties=(
                ("secret_type", str(hit.fields["secret_type"])),
                ("secret_fingerprint", str(hit.fields.get("identity", ""))),
            ))
        return finding

    def _error_finding(self, parsed: ParsedArtifact) -> list[Finding]:
        rule = self.engine_rules.get(parsed.error_rule)
        if rule is None:
            return []
        line, col = parsed.error_line, parsed.error_column
        location = Location(parsed.artifact.path, line, col, line, col)
        return [_finding(rule, location, {"detail": parsed.error}, parsed.error_rule)]

    def _inline(self, parsed: ParsedArtifact, findings: list[Finding]) -> list[Finding]:
        suppressions = parse_inline(parsed.text)
        if not suppressions:
            return findings
        out = [replace(f, suppression=inline_for(f, suppressions)) for f in findings]
        rule = self.engine_rules.get("suppression-without-reason")
        if rule is not None:
            for s in suppressions:
                if len(s.reason) >= MIN_REASON and s.codes:
                    continue
                detail = ("names no rule: write ignore[RULE-ID]" if not s.codes
                          else f"gives no reason for ignoring {', '.join(s.codes)}")
                location = Location(parsed.artifact.path, s.comment_line, s.column, s.comment_line,
                                    s.column)
                out.append(_finding(rule, location, {"detail": detail}, f"line-{s.comment_line}"))
        return out


def _head(path: str, size: int = 65536) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(size).decode("utf-8", "replace")
    except OSError:
        return ""


def scan(
    root: Path,
    rules: Sequence[Rule],
    config: Config,
    paths: Sequence[Path] | None = None,
    today: dt.date | None = None,
    readers: Sequence[Rule] = (),
    jobs: int | None = None,
    history: bool = True,
    history_cache: bool = True,
    since: str | None = None,
    progress: bool = False,
    unreachable: bool = False,
    evidence_required: bool = False,
    evidence_scope: frozenset[str] | None = None,
) -> ScanResult:
    """Scan `root` (or `paths` under it) with `rules`; returns every finding, suppressed ones marked.

    `readers`: every loaded rule, deciding which files are parsed when only engine rules (such
    as parse-error) were selected. `jobs`: worker processes for large scans (default: the CPUs).
    `history`: scan the git history for secrets when a rule asks for it (not for explicit paths,
    as pre-commit gives them); `unreachable`: also the commits no ref reaches.
    `evidence_required`: GitHub settings evidence must be there (GH023 medium, and reported
    when absent); `evidence_scope`: report only the evidence-missing findings about these
    statuses (GH023 run on behalf of the selected rules), None for all.
    """
    from soc2lint.scan.parallel import MIN_FILES, default_jobs, scan_all

    today = today or dt.date.today()
    found = discover(root, paths, config.exclude, config.evidence_dir)
    scanner = _Scanner(rules, config, readers, root.resolve())
    scanner.evidence_required = evidence_required
    scanner.evidence_scope = evidence_scope
    scanner.kinds_found = frozenset(a.kind for a in found.artifacts)
    # GitHub settings payloads and CODEOWNERS are read together, after the per-file pass
    together = (ArtifactKind.GITHUB_EVIDENCE, ArtifactKind.CODEOWNERS)
    evidence = [a for a in found.artifacts if a.kind in together]
    others = [a for a in found.artifacts if a.kind not in together]
    jobs = default_jobs() if jobs is None else jobs
    if jobs > 1 and len(others) >= MIN_FILES:
        _prepare(rules)  # once here, not once per forked worker
    findings, files = scan_all(others, scanner.scan_artifact, rules, jobs)
    produced, read = scanner.scan_evidence(evidence)
    findings += produced
    files += read
    notes = list(found.notes)
    if history and not paths:
        findings = _history(root.resolve(), scanner, findings, notes, history_cache, since,
                            progress, unreachable)
    from soc2lint.secrets import baseline

    # the baseline lists fingerprints and commit ids, never secrets, wherever the config keeps it
    findings = [f for f in findings if not (f.rule.detector == "secret-in-file"
                                            and baseline.is_own_file(f.location.path, config.baseline))]
    findings = baseline.apply(findings, baseline.load(root / config.baseline))
    findings, expired = _apply_exceptions(findings, config, today)
    return ScanResult(tuple(_unique(sorted(findings, key=sort_key))), tuple(rules), files,
                      tuple(notes), tuple(expired), repository_prefix(root),
                      not_evaluated=tuple(sorted(set(scanner.not_evaluated))),
                      not_applicable=tuple(scanner.not_applicable))


def _is_shallow(root: Path) -> bool:
    import subprocess

    from soc2lint import gitrun

    try:
        proc = gitrun.run(root, "rev-parse", "--is-shallow-repository", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


def repository_prefix(root: Path) -> str:
    """Where `root` lies below the top of its git work tree (`services/api/`), "" at the top or
    outside one: SARIF paths start at the repository's root, where code scanning resolves them."""
    import subprocess

    from soc2lint import gitrun

    try:
        proc = gitrun.run(root, "rev-parse", "--show-prefix", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    prefix = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return prefix if proc.returncode == 0 and prefix.endswith("/") else ""


def _history(root: Path, scanner: _Scanner, findings: list[Finding], notes: list[str],
             use_cache: bool = True, since: str | None = None,
             progress: bool = False, unreachable: bool = False) -> list[Finding]:
    """Secrets anywhere in the git history: those still in the tree are SEC001's findings (now
    told which commit introduced them); the others are reported once each, where they entered."""
    from soc2lint.secrets.history import is_work_tree, scan_history

    rule = scanner.engine_rules.get("secrets-history")
    if rule is None:
        return findings
    if not is_work_tree(root):
        if os.path.lexists(root / ".git"):  # a repository git cannot read is no plain directory
            _incomplete(scanner, findings, notes, "the git history was not read for secrets: "
                        "git does not recognise the repository at .git")
        return findings
    try:
        allowed = tuple(rule.params.get("allowed_secrets", ()) or ())
        result = scan_history(root, scanner.config.max_file_size, since, use_cache, progress,
                              allowed, unreachable, exclude_paths=(scanner.config.baseline,))
    except Soc2lintError as exc:  # a corrupt or partial repository: say so, keep the tree scan
        _incomplete(scanner, findings, notes, f"the git history was not read for secrets: {exc}")
        return findings
    notes.extend(result.notes)
    if _is_shallow(root):
        _incomplete(scanner, findings, notes, "the clone is shallow: the commits before its "
                    "oldest one were not read for secrets")
    if result.skipped_binary:
        notes.append(f"history: {result.skipped_binary} binary or oversized file versions were "
                     "not scanned for secrets")
    in_tree: dict[str, int] = {}
    out = []
    for f in findings:
        if f.rule.detector == "secret-in-file":
            fp = f.identity.rsplit("#", 1)[-1]
            sighting = result.sightings.get(fp)
            if sighting is not None:
                f = replace(f, properties=tuple(
                    {**dict(f.properties), **dict(_commit_properties(sighting, result))}.items()))
            in_tree[fp] = 1
        out.append(f)
    from soc2lint.globs import matches

    for fp, s in sorted(result.sightings.items(), key=lambda kv: (kv[1].path, kv[1].line)):
        if fp in in_tree or any(matches(s.path, pattern) for pattern in scanner.config.exclude):
            continue
        location = Location(s.path, s.line, s.column, s.line, s.column + s.length)
        fields = {"secret_type": s.kind, "preview": s.preview,
                  "commit": s.commit.sha[:12], "author": s.commit.author,
                  "date": s.commit.date[:10], "occurrences": str(result.occurrences[fp])}
        finding = _finding(rule, location, fields, fp)
        out.append(replace(finding, properties=_commit_properties(s, result)))
    return out


def _incomplete(scanner: _Scanner, findings: list[Finding], notes: list[str], detail: str) -> None:
    """A part of the scan that could not run: a finding (SARIF, JSON, exit code) when
    scan-incomplete is selected, else at least a note."""
    history = scanner.engine_rules.get("secrets-history")
    if history is not None:  # its controls cannot pass on a history it did not read
        scanner.not_evaluated.append(history.id)
    rule = scanner.engine_rules.get("scan-incomplete")
    if rule is None:
        notes.append(detail)
        return
    top = str(scanner.context.root)
    detail = detail.replace(f"{top}: ", "").replace(top + os.sep, "")
    location = Location(".git", 1, 1, 1, 1)
    findings.append(_finding(rule, location, {"detail": detail}, "history"))


def _commit_properties(s: Any, result: Any) -> tuple[tuple[str, str], ...]:
    fp = s.fingerprint
    return (("secret_type", s.kind), ("introduced_in", s.commit.sha), ("introduced_by", s.commit.author),
            ("introduced_at", s.commit.date), ("introduced_path", s.path),
            ("occurrences", str(result.occurrences.get(fp, 1))), ("secret_fingerprint", fp))


def _prepare(rules: Sequence[Rule]) -> None:
    """Compile the rules' matches and warm their detectors in this process."""
    from soc2lint import detectors
    from soc2lint.language.match import matchers_of

    for rule in rules:
        matchers_of(rule)
        if rule.detector and rule.detector not in ENGINE_DETECTORS:
            detectors.warm(rule.detector)


def _apply_exceptions(findings: list[Finding], config: Config, today: dt.date) -> tuple[list[Finding], list[str]]:
    if not config.exceptions:
        return findings, []
    out, expired = [], set()
    for f in findings:
        if f.suppression is None:
            suppression, gone = exception_for(f, config.exceptions, today)
            if suppression is not None:
                f = replace(f, suppression=suppression)
            elif gone is not None:
                expired.add(f"exception for {gone.rule} on {gone.path} expired on {gone.expires}")
                f = replace(f, properties=f.properties + (("exception_expired", str(gone.expires)),))
        out.append(f)
    return out, sorted(expired)


def sort_key(f: Finding) -> tuple[Any, ...]:
    loc = f.location
    return (loc.path, loc.start_line, loc.start_column, f.rule.id, f.message, f.identity)


def _unique(findings: list[Finding]) -> list[Finding]:
    """Drop exact duplicates; number fingerprints that still collide (`hash:2`)."""
    seen: set[tuple[Any, ...]] = set()
    counts: Counter[str] = Counter()
    out = []
    for f in findings:
        key = (f.rule.id, f.location, f.message)
        if key in seen:
            continue
        seen.add(key)
        counts[f.fingerprint] += 1
        out.append(replace(f, fingerprint=f"{f.fingerprint}:{counts[f.fingerprint]}"))
    return out
