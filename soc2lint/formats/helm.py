"""Helm chart templates: Go templates, not YAML. Recognised so that nothing parses them."""

from __future__ import annotations

import os

from soc2lint.formats.registry import Candidate, Format

YAML_SUFFIXES = (".yml", ".yaml")


def is_template(candidate: Candidate) -> bool:
    """A YAML file under `templates/` of a directory holding a Chart.yaml."""
    parts = candidate.parts
    if not candidate.name.endswith(YAML_SUFFIXES) or "templates" not in parts[:-1]:
        return False
    index = len(parts) - 2 - parts[-2::-1].index("templates")
    chart_dir = "/".join(parts[:index])
    charts = candidate.memo.setdefault("helm-charts", {})
    if chart_dir not in charts:
        base = os.path.join(candidate.root, chart_dir) if chart_dir else str(candidate.root)
        charts[chart_dir] = any(
            os.path.isfile(os.path.join(base, n)) for n in ("Chart.yaml", "Chart.yml")
        )
    return bool(charts[chart_dir])


FORMATS = (
    Format(
        "helm-template",
        "Helm chart templates (Go-templated YAML, never parsed)",
        is_template,
        None,
        as_text=False,
    ),
)
