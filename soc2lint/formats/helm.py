"""Helm charts: a chart is recognised by its `Chart.yaml`; the files under its `templates/` are Go
templates, not YAML, so nothing parses them (no parse errors, no rule reads them). A scan that
meets a chart says once, per chart, that it was not evaluated and how to scan what it renders:
rendered output (`helm template NAME CHART > rendered.yaml`) is plain manifests, scanned like any.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from soc2lint.formats.registry import Candidate, Format
from soc2lint.model import Artifact, ParsedArtifact

YAML_SUFFIXES = (".yml", ".yaml")
CHART_FILES = ("Chart.yaml", "Chart.yml")


def is_chart(candidate: Candidate) -> bool:
    """A chart's `Chart.yaml` (metadata: name, version, dependencies)."""
    return candidate.parts[-1] in CHART_FILES


def is_template(candidate: Candidate) -> bool:
    """A YAML file under `templates/` of a directory holding a Chart.yaml."""
    parts = candidate.parts
    if not candidate.name.endswith(YAML_SUFFIXES) or "templates" not in parts[:-1]:
        return False
    return _has_chart(chart_of(candidate.path), candidate)


def chart_of(path: str) -> str:
    """The chart directory of a template path: what precedes its last `templates/`."""
    parts = path.split("/")
    index = len(parts) - 2 - parts[-2::-1].index("templates")
    return "/".join(parts[:index])


def _has_chart(chart_dir: str, candidate: Candidate) -> bool:
    charts = candidate.memo.setdefault("helm-charts", {})
    if chart_dir not in charts:
        base = os.path.join(candidate.root, chart_dir) if chart_dir else str(candidate.root)
        charts[chart_dir] = any(os.path.isfile(os.path.join(base, n)) for n in CHART_FILES)
    return bool(charts[chart_dir])


def chart_notes(charts: Sequence[Artifact]) -> list[str]:
    """One note per chart found: its templates were not evaluated, and how to evaluate them."""
    notes = []
    for artifact in charts:
        directory = artifact.path.rsplit("/", 1)[0] if "/" in artifact.path else "."
        notes.append(
            f"{directory}: Helm chart not evaluated (its templates/ are Go templates, not "
            f"manifests); scan the rendered output: `helm template NAME {directory} "
            f"> rendered.yaml && soc2lint rendered.yaml`"
        )
    return notes


def _parse(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats.yamldoc import parse_yaml

    return parse_yaml(artifact, text)


FORMATS = (
    Format(
        "helm-template",
        "Helm chart templates (Go-templated YAML, never parsed)",
        is_template,
        None,
        as_text=False,
    ),
    Format(
        "helm-chart",
        "Helm chart metadata (Chart.yaml): the chart is reported once as not evaluated",
        is_chart,
        _parse,
        present=chart_notes,
    ),
)
