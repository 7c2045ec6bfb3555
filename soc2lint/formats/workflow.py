"""GitHub Actions: workflow files and action metadata, both YAML."""

from __future__ import annotations

from soc2lint.formats.registry import Candidate, Format, Target
from soc2lint.model import Artifact, ParsedArtifact

YAML_SUFFIXES = (".yml", ".yaml")


def _parse(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats.yamldoc import parse_yaml

    return parse_yaml(artifact, text)


def is_workflow(candidate: Candidate) -> bool:
    """Directly inside a `.github/workflows/` directory, at any depth: a monorepo's templates
    and vendored repositories hold real workflows too (GitHub ignores subdirectories)."""
    parts = candidate.parts
    return (
        candidate.name.endswith(YAML_SUFFIXES)
        and len(parts) >= 3
        and parts[-3] == ".github"
        and parts[-2] == "workflows"
    )


def is_action(candidate: Candidate) -> bool:
    return candidate.name in ("action.yml", "action.yaml")


# Their literals are GHA012's, so the rules over every file's text (secrets) leave them alone.
FORMATS = (
    Format("github-workflow", "GitHub Actions workflow files", is_workflow, _parse, as_text=False),
    Format("github-action", "GitHub Actions action metadata", is_action, _parse, as_text=False),
)

TARGETS = {
    "github-workflow": Target(
        "GitHub Actions workflow files (.github/workflows/*.yml, *.yaml)",
        frozenset({"github-workflow"}),
        ".github/workflows/example.yml",
    ),
    "github-action": Target(
        "GitHub Actions action metadata (action.yml, action.yaml)",
        frozenset({"github-action"}),
        "action.yml",
    ),
}
