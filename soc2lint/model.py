"""The data soc2lint passes around: rules, findings, locations, artifacts. Data only, no logic."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that `a >= b` means "a is at least as severe as b"."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


# SARIF `level` and GitHub's `security-severity` score (a string) for each severity.
SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a file, 0-based like PyYAML's marks (whose `.line`, `.column` and `.index`
    it shares): reports add 1."""

    line: int
    column: int
    index: int = 0  # the character offset in the file, where the parser knows it


class Node:
    """A node of the parser-neutral tree that rules match: a mapping (`value` is a list of
    (key node, value node) pairs), a sequence (a list of nodes) or a scalar (its text).

    PyYAML's composed nodes have the same attributes and count as the same node kinds (see
    `formats.nodes`), so YAML and JSON are matched as the C parser builds them, with no copy;
    other formats (CODEOWNERS, assembled GitHub evidence, HCL) build these."""

    __slots__ = ("tag", "value", "start_mark", "end_mark", "style")

    def __init__(
        self, tag: str, value: Any, start_mark: Mark, end_mark: Mark, style: str | None = None
    ) -> None:
        self.tag = tag
        self.value = value
        self.start_mark = start_mark
        self.end_mark = end_mark
        self.style = style  # a scalar's quoting: None plain, '"' or "'" quoted (typed as text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.tag!r}, {self.value!r})"


class MappingNode(Node):
    __slots__ = ()


class SequenceNode(Node):
    __slots__ = ()


class ScalarNode(Node):
    __slots__ = ()


@dataclass(frozen=True)
class Example:
    """A rule example: a file snippet (or several `files`, for rules reading many payloads) and,
    for failing ones, the expected positions, `line:col` or `path:line:col`."""

    code: str
    path: str | None = None
    expect: tuple[tuple[str | None, int, int], ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    # commits to make, oldest first, for rules about git history: (message, ((path, content or
    # None to delete), ...))
    history: tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...] = ()
    # parameter values the example is scanned with (a rule that is off by default)
    parameters: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    title: str
    controls: tuple[str, ...]
    severity: Severity
    targets: tuple[str, ...]
    message: str
    rationale: str
    remediation: str
    help: str
    status: str
    source: str  # the rule file, for error messages
    match: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    detector: str | None = None
    with_: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    parameters: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    references: tuple[str, ...] = ()
    precision: str = "high"
    help_uri: str | None = None
    fail_examples: tuple[Example, ...] = ()
    pass_examples: tuple[Example, ...] = ()
    builtin: bool = True
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    matchers: tuple[Any, ...] = field(default=(), hash=False, compare=False, repr=False)
    # named conditions the match may use; kept so that a built-in rule, already proven by the
    # test suite, is compiled only when it first runs (see language.match.matchers_of)
    conditions: Mapping[str, Any] = field(
        default_factory=dict, hash=False, compare=False, repr=False
    )
    prefilter: Any = field(default=None, hash=False, compare=False, repr=False)  # re.Pattern
    # a detector rule's `exclude` blocks and field `labels`, as written (compiled on first use by
    # language.match.refinement_of)
    refinement: Any = field(default=None, hash=False, compare=False, repr=False)

    @property
    def target(self) -> str:
        """The first target: where examples go by default."""
        return self.targets[0]


@dataclass(frozen=True)
class Location:
    """A span in a file. `path` is relative to the scan root with `/` separators; 1-based."""

    path: str
    start_line: int = 1
    start_column: int = 1
    end_line: int = 1
    end_column: int = 1


@dataclass(frozen=True)
class Suppression:
    kind: str  # "inline" or "config"
    reason: str
    expires: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: Rule
    severity: Severity
    location: Location
    message: str
    identity: str  # the logical identity of what is flagged: never a line number
    fingerprint: str
    suppression: Suppression | None = None
    properties: tuple[tuple[str, str], ...] = ()
    # a join rule's per-document fact, pending until the whole scan is seen (scan.joins): never
    # in a result
    fact: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Artifact:
    """A file discovery found: where it is and what kind it is (parsed later, at most once)."""

    path: str  # relative to the scan root, `/`-separated
    abspath: str
    kind: str  # the format that recognised it (formats.registry)
    size: int


@dataclass(frozen=True)
class Document:
    """One parsed document of an artifact: a node tree in which every node keeps its position.

    `root` is a PyYAML node (`yaml.MappingNode`, `SequenceNode` or `ScalarNode`); `identity` names
    the document logically (a Kubernetes `Kind/namespace/name`, or `#2` in a multi-document file)
    so that fingerprints do not depend on line numbers.
    """

    index: int
    root: Any = field(hash=False, compare=False)
    identity: str = ""
    text: str = field(default="", repr=False, hash=False, compare=False)  # the whole file's text
    # a format's typed model, for the named detectors that read it instead of nodes (thousands
    # of pull requests are not worth a node tree)
    data: Any = field(default=None, repr=False, hash=False, compare=False)


@dataclass(frozen=True)
class ParsedArtifact:
    """An artifact with its text and documents, or the reason it could not be parsed."""

    artifact: Artifact
    text: str = ""
    documents: tuple[Document, ...] = ()
    error: str | None = None
    error_line: int = 1
    error_column: int = 1
    error_rule: str = "parse-error"


@dataclass(frozen=True)
class Hit:
    """One place a rule fires: a route in a document, and the fields its message may quote."""

    route: tuple[str | int, ...]
    focus: str
    fields: Mapping[str, str]
    span: tuple[int, int] | None = None  # character offsets in the file, to point inside a scalar
    message: str | None = None  # the match block's own message, if it has one
    # what tools reading JSON/SARIF get besides the message (a secret's type and fingerprint:
    # never the value itself)
    properties: tuple[tuple[str, str], ...] = ()
    # a join rule's fact about this document (plain, picklable data), for its detector's `join`
    # over the whole scan (scan.joins)
    fact: Any = None


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]  # suppressed ones included, marked
    rules: tuple[Rule, ...]  # the rules that ran
    files: int  # artifacts parsed
    notes: tuple[str, ...] = ()
    expired: tuple[str, ...] = field(default=())  # expired exceptions that matched findings
    base: str = ""  # the scan root below the git work tree's top (`services/api/`), or ""
    # rules that reached no verdict for lack of evidence (settings exports, the history): their
    # controls cannot pass
    not_evaluated: tuple[str, ...] = ()
    # rules that had no file of their kind to read (no workflows, no manifests): nothing to judge
    not_applicable: tuple[str, ...] = ()
