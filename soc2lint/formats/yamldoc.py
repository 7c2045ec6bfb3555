"""YAML and JSON artifacts -> documents of position-carrying nodes, or a one-line parse error."""

from __future__ import annotations

import re

import yaml

from soc2lint.formats import nodes
from soc2lint.formats.kubernetes import expand_lists, identity
from soc2lint.formats.registry import Candidate, Format, Target
from soc2lint.model import Artifact, Document, ParsedArtifact

# An expansion this large is no configuration anyone wrote by hand; refuse it (billion laughs).
ALIAS_EXPANSION_LIMIT = 1_000_000

_DEFAULT_TAGS = {
    yaml.ScalarNode: nodes.STR_TAG,
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


def _composer_class() -> type:
    """libyaml's parser composing nodes, with the per-node resolver callbacks reduced to the bare
    minimum: every scalar is tagged str (or its explicit tag) and typed lazily, only when a rule
    compares it (nodes.implicit_tag). A third faster than CSafeLoader on real workflows."""
    base = getattr(getattr(yaml, "cyaml", None), "CParser", None)
    if base is None:  # PyYAML built without libyaml
        return yaml.BaseLoader

    class Composer(base):  # type: ignore[valid-type,misc]
        def descend_resolver(self, parent: object, index: object) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

        def resolve(self, kind: type, value: object, implicit: object) -> str:
            return _DEFAULT_TAGS[kind]

    return Composer


_Loader = _composer_class()
# An anchor (`&name` after a space, `[`, `{`, `,` or at a line start): without one, no alias can
# exist and the expansion check is skipped (`&&` and `&>` in shell scripts do not count).
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s&>]", re.M)


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def parse_json(artifact: Artifact, text: str) -> ParsedArtifact:
    """JSON: validated strictly by the json module (YAML would accept `{"a": 1,}`), then composed
    like YAML so that rules see the same position-carrying node model."""
    import json

    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedArtifact(
            artifact,
            text,
            error=f"invalid JSON: {exc.msg}",
            error_line=exc.lineno,
            error_column=exc.colno,
        )
    except RecursionError:
        return ParsedArtifact(artifact, text, error="invalid JSON: nesting too deep to evaluate")
    return parse_yaml(artifact, text)


def parse_yaml(artifact: Artifact, text: str) -> ParsedArtifact:
    """Compose every document of `text`; on failure return the error with its position."""
    try:
        roots = [root for root in yaml.compose_all(text, Loader=_Loader) if root is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        return ParsedArtifact(
            artifact, text, error=f"invalid YAML: {problem}", error_line=line, error_column=column
        )
    except yaml.reader.ReaderError as exc:  # a control character: a position, not a mark
        line, column = _line_column(text, exc.position)
        return ParsedArtifact(
            artifact,
            text,
            error=(
                f"invalid YAML: control characters are not allowed (#x{exc.character:04x})"
                if isinstance(exc.character, int)
                else "invalid YAML: control characters are not allowed"
            ),
            error_line=line,
            error_column=column,
        )
    except yaml.YAMLError as exc:
        return ParsedArtifact(artifact, text, error=f"invalid YAML: {_one_line(str(exc))}")
    except RecursionError:
        return ParsedArtifact(artifact, text, error="invalid YAML: nesting too deep to evaluate")

    documents = []
    has_anchor = _ANCHOR.search(text) is not None
    for index, root in enumerate(roots):
        # Without an anchor (`&`) there is no alias to expand: skip the walk.
        if has_anchor and nodes.expanded_size(root, ALIAS_EXPANSION_LIMIT) >= ALIAS_EXPANSION_LIMIT:
            mark = root.start_mark
            return ParsedArtifact(
                artifact,
                text,
                error=(
                    f"document {index + 1} expands to more than {ALIAS_EXPANSION_LIMIT:,} "
                    "nodes through aliases (an alias bomb); not evaluated"
                ),
                error_line=mark.line + 1,
                error_column=mark.column + 1,
                error_rule="excessive-yaml-aliases",
            )
        documents.append(Document(index, root, identity(index, len(roots), root), text))
    return ParsedArtifact(artifact, text, tuple(expand_lists(documents)))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_yaml(candidate: Candidate) -> bool:
    return candidate.name.endswith((".yml", ".yaml"))


def _is_json(candidate: Candidate) -> bool:
    return candidate.name.endswith(".json")


FORMATS = (
    Format("yaml", "Any other YAML file", _is_yaml, parse_yaml),
    Format("json", "Any other JSON file", _is_json, parse_json),
)

TARGETS = {
    "yaml": Target(
        "Any YAML file",
        frozenset(
            {"github-workflow", "github-action", "yaml", "kustomize-patch", "helm-chart"}
            | {"kubernetes-docs"}
        ),
        "example.yaml",
    ),
    "json": Target("Any JSON file", frozenset({"json", "kubernetes-docs-json"}), "example.json"),
}
