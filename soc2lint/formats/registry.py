"""The formats soc2lint reads: a literal list of modules, each declaring its formats and targets.

A format module exports `FORMATS` (a tuple of `Format`) and/or `TARGETS` (target name ->
`Target`); the registry reads them the first time it is asked, in the order below, which is also
the order of recognition: the first format that recognises a path owns it, and `text` owns what
nobody else does. Discovery, reading, rule targets and the engine read this registry; nothing
else names a kind. Adding a format is one module here (or `register()` at run time).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soc2lint.model import Artifact, Document, Finding, ParsedArtifact, Rule

FORMAT_MODULES = (
    "soc2lint.formats.changes",  # merged pull requests (gh pr list dumps) under the evidence dir
    "soc2lint.formats.evidence",  # GitHub settings payloads under the evidence directory
    "soc2lint.formats.records",  # access reviews, incidents, rollback drills; secrets baseline
    "soc2lint.formats.codeowners",  # CODEOWNERS
    "soc2lint.formats.workflow",  # GitHub Actions workflows and action metadata
    "soc2lint.formats.helm",  # Helm charts: Chart.yaml noted, templates never parsed
    "soc2lint.formats.kubernetes",  # Kustomize patches; the kubernetes target over YAML documents
    "soc2lint.formats.terraform",  # *.tf, *.tf.json, *.tfvars: evaluated per module instance
    "soc2lint.formats.yamldoc",  # any other YAML, any other JSON
    "soc2lint.formats.text",  # every other file, as text
)


@dataclass(frozen=True)
class Candidate:
    """A path discovery asks about: `/`-separated, relative to the scan root."""

    path: str
    root: Path
    evidence_dir: str = ".soc2"
    memo: dict[str, Any] = field(default_factory=dict, compare=False)  # per discovery

    @property
    def parts(self) -> list[str]:
        return self.path.split("/")

    @property
    def name(self) -> str:
        """The file name, lower-cased."""
        return self.path.rsplit("/", 1)[-1].lower()


@dataclass(frozen=True)
class Target:
    """What a rule's `target:` names: which kinds it reads, which of their documents it accepts,
    and where its examples go. `prefilter` looks at raw text so that files that cannot hold an
    accepted document are never parsed for it."""

    description: str
    kinds: frozenset[str]
    example_path: str
    accepts: Callable[[Document], bool] | None = None
    prefilter: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class AssembledDocument:
    """A document built from several files; `sources` places its nodes (by id) in their files."""

    document: Document
    target: str
    sources: Mapping[int, str]


@dataclass(frozen=True)
class Assembly:
    documents: Sequence[AssembledDocument]
    unrecognised: Sequence[tuple[ParsedArtifact, str]] = ()  # (file, why no document took it)


@dataclass(frozen=True)
class Conclusion:
    """What a format's `conclude` step sees after its assembled documents were checked."""

    documents: Sequence[AssembledDocument]
    findings: list[Finding]
    rules: Sequence[Rule]  # the document rules that ran
    severity_overrides: Mapping[str, str]
    evidence_dir: str
    options: Mapping[str, Any]  # the scan's options for formats (e.g. evidence_required)
    make_finding: Callable[..., Finding]


@dataclass(frozen=True)
class Format:
    kind: str
    description: str
    recognise: Callable[[Candidate], bool]
    # None: recognised so that no other format takes it, never parsed (Helm templates)
    parse: Callable[[Artifact, str], ParsedArtifact] | None = None
    as_text: bool = True  # read as text by the rules over every file (target `files`)
    # documents built from all the files of this kind (GitHub settings per repository), with
    # the files of the kinds it `uses` (and, when `assemble_options`, the scan's options for
    # formats as a third argument: Terraform's var_files)
    assemble: Callable[..., Assembly] | None = None
    uses: tuple[str, ...] = ()  # kinds the assembler reads too: read with it, after the files
    # verdicts once the assembled documents were checked: (findings, rule ids not evaluated)
    conclude: Callable[[Conclusion], tuple[list[Finding], list[str]]] | None = None
    first_only: bool = False  # only the first file of this kind in path order counts
    lenient: bool = False  # not UTF-8: read what is readable (text), rather than refuse it
    # said once when rules reading this kind were selected and no such file exists
    absent: str = ""
    # notes about the files of this kind a scan found (a Helm chart: not evaluated, and how to)
    present: Callable[[Sequence[Artifact]], Sequence[str]] | None = None
    # files of this kind are read up to this size instead of `max_file_size` (data exports)
    max_size: int | None = None
    # an assembled kind whose files the rules reading any file (secrets) still read as text in
    # the per-file pass (Terraform); otherwise an assembled kind is read only when assembled
    text_pass: bool = False
    assemble_options: bool = False


@dataclass
class _Registry:
    formats: list[Format]
    targets: dict[str, Target]
    all_targets: dict[str, Target] | None = None  # with `files` and `any`, built on demand
    by_kind: dict[str, Format] | None = None  # built on demand


_REGISTRY: _Registry | None = None


def _load() -> _Registry:
    global _REGISTRY
    if _REGISTRY is None:
        formats: list[Format] = []
        targets: dict[str, Target] = {}
        for name in FORMAT_MODULES:
            module = importlib.import_module(name)
            formats.extend(getattr(module, "FORMATS", ()))
            targets.update(getattr(module, "TARGETS", {}))
        _REGISTRY = _Registry(formats, targets)
    return _REGISTRY


def register(fmt: Format, targets: Mapping[str, Target] | None = None) -> Callable[[], None]:
    """Add a format (recognised before every built-in one) and its targets; returns the undo."""
    registry = _load()
    registry.formats.insert(0, fmt)
    added = dict(targets or {})
    registry.targets.update(added)
    registry.all_targets = registry.by_kind = None

    def unregister() -> None:
        registry.formats.remove(fmt)
        for name in added:
            registry.targets.pop(name, None)
        registry.all_targets = registry.by_kind = None

    return unregister


def formats() -> Sequence[Format]:
    return _load().formats


def format_of(kind: str) -> Format:
    """The format of a kind: asked several times for every file, so a dict, not a search."""
    registry = _load()
    if registry.by_kind is None:
        registry.by_kind = {}
        for fmt in reversed(registry.formats):  # the first registered wins, as in classify
            registry.by_kind[fmt.kind] = fmt
    return registry.by_kind[kind]


def classify(candidate: Candidate) -> str | None:
    """The kind of the first format recognising the path; None when none does."""
    for fmt in _load().formats:
        if fmt.recognise(candidate):
            return fmt.kind
    return None


def targets() -> Mapping[str, Target]:
    """Every target: the formats' own, plus `files` (every file read as text) and `any` (every
    file soc2lint parses, for engine rules such as parse errors)."""
    registry = _load()
    if registry.all_targets is not None:
        return registry.all_targets
    kinds = frozenset(f.kind for f in registry.formats)
    text = frozenset(f.kind for f in registry.formats if f.as_text)
    registry.all_targets = {
        **registry.targets,
        "files": Target(
            "Every file in the scanned tree, as text (GitHub workflows and actions "
            "excepted: their literals are GHA012's)",
            text,
            "config/settings.py",
        ),
        "any": Target("Any file soc2lint parses", kinds, "example.yaml"),
    }
    return registry.all_targets


def deferred_kinds() -> frozenset[str]:
    """Kinds read in the assembled pass, after the per-file pass: assembled ones and those
    their assemblers read too."""
    return frozenset(
        k for f in _load().formats if f.assemble is not None for k in (f.kind, *f.uses)
    )


def text_passed_kinds() -> frozenset[str]:
    """Assembled kinds whose files the per-file pass reads as text too (Format.text_pass)."""
    return frozenset(f.kind for f in _load().formats if f.text_pass)


def assemblers() -> Iterator[Format]:
    return (f for f in _load().formats if f.assemble is not None)
