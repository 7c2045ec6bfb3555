"""Terraform on the format seam: `*.tf`, `*.tf.json` and `*.tfvars(.json)` files, parsed one by
one (`terraform.parse`), then assembled: every module instance evaluated (`terraform.config`)
into one document per resource, data source, module call and provider (and per variable and
output of a root module: a module instance's inputs are its call's `module.NAME` document).

A document's root is `{mode: {type: {name: body}}}` for resources and data sources
(`resource.aws_db_instance.orders`, `data.aws_iam_policy_document.x`) and `{mode: {name: body}}`
for the others (`module.vol`, `variable.env`, `provider.aws`, `output.arn`), so a rule walks
`resource.aws_db_instance.*` and reads `storage_encrypted`. The body's attributes hold the
*evaluated* values, each node at the attribute's value (or at the call argument that decided it,
in the caller's file); nested blocks are lists of mappings (`ingress[*].from_port`); an unknown
value is a scalar tagged `nodes.UNKNOWN_TAG`, which no condition decides on. The document's
identity is the resource address (`module.vol.aws_ebs_volume.v`), which messages quote as
`{object}`, and its `data` the `terraform.config.Resource`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from soc2lint import model
from soc2lint.formats import nodes
from soc2lint.formats.registry import (
    AssembledDocument,
    Assembly,
    Candidate,
    Conclusion,
    Format,
    Target,
)
from soc2lint.model import Artifact, Document, Finding, ParsedArtifact

SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
UNKNOWN_TEXT = "(unknown)"
MAX_VAR_FILE = 10 << 20


def _is_terraform(candidate: Candidate) -> bool:
    return candidate.name.endswith(SUFFIXES) and ".terraform" not in candidate.parts[:-1]


def parse_file(path: str, text: str) -> Any:
    """A `terraform.syntax.File` from a file's text, by its name."""
    from soc2lint.terraform.parse import parse_hcl, parse_json

    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".json"):
        return parse_json(path, text, tfvars=name.endswith(".tfvars.json"))
    return parse_hcl(path, text)


def _parse(artifact: Artifact, text: str) -> ParsedArtifact:
    parsed = parse_file(artifact.path, text)
    document = Document(0, nodes.mapping([], nodes.mark(0, 0), nodes.mark(0, 0)), "", text, parsed)
    if parsed.issues:
        issue = parsed.issues[0]
        more = f" (and {len(parsed.issues) - 1} more)" if len(parsed.issues) > 1 else ""
        return ParsedArtifact(
            artifact,
            text,
            (document,),
            error=issue.message + more,
            error_line=issue.line,
            error_column=issue.column,
        )
    return ParsedArtifact(artifact, text, (document,))


def _var_files(options: Mapping[str, Any]) -> list[Any]:
    """The `--var-file` files, parsed (unreadable ones are left out: the CLI checked they
    exist; a file that is not UTF-8 or too large gives no values)."""
    out = []
    for path in options.get("var_files", ()):
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_VAR_FILE + 1)
            if len(data) > MAX_VAR_FILE:
                continue
            text = data.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        parsed = parse_file(str(path), text)
        if path.endswith(".json") and not parsed.attributes and not parsed.issues:
            from soc2lint.terraform.parse import parse_json

            parsed = parse_json(str(path), text, tfvars=True)
        out.append(parsed)
    return out


def _assemble(
    files: Sequence[ParsedArtifact],
    _inputs: Mapping[str, Sequence[ParsedArtifact]],
    options: Mapping[str, Any],
) -> Assembly:
    from soc2lint.terraform.config import Configuration

    parsed = [doc.data for item in files for doc in item.documents if doc.data is not None]
    texts = {item.artifact.path: item.text for item in files}
    config = Configuration(parsed, _var_files(options))
    documents = []
    for resource in config.resources():
        sources: dict[int, str] = {}
        root = _document_root(resource, sources)
        document = Document(0, root, resource.address, "", TerraformData(resource, texts))
        documents.append(AssembledDocument(document, "terraform", sources))
    return Assembly(documents)


class TerraformData:
    """A document's `data`: the evaluated resource, and the texts of the scan's Terraform files
    (for inline suppressions, applied when concluding)."""

    __slots__ = ("resource", "texts")

    def __init__(self, resource: Any, texts: Mapping[str, str]) -> None:
        self.resource = resource
        self.texts = texts


_MARKS: dict[Any, model.Mark] = {}


def _mark(where: Any) -> model.Mark:
    mark = _MARKS.get(where)
    if mark is None:
        if len(_MARKS) > 200_000:
            _MARKS.clear()
        mark = _MARKS[where] = nodes.mark(where.line, where.column)
    return mark


def _document_root(resource: Any, sources: dict[int, str]) -> nodes.Node:
    header = resource.body.where
    at = _mark(header)

    def key(text: str) -> nodes.Node:
        node = nodes.scalar(text, at, at)
        sources[id(node)] = header.path
        return node

    body = _body(resource.body, sources)
    names = [resource.mode] + ([resource.type] if resource.type else []) + [resource.name]
    node: nodes.Node = body
    for name in reversed(names):
        node = nodes.mapping([(key(name), node)], at, at)
        sources[id(node)] = header.path
    return node


def _body(body: Any, sources: dict[int, str]) -> nodes.Node:
    from soc2lint.terraform.config import Body

    at = _mark(body.where)
    pairs: list[tuple[nodes.Node, nodes.Node]] = []
    for name, value in body.attributes.items():
        key_node = nodes.scalar(name, _mark(value.key), _mark(value.key))
        sources[id(key_node)] = value.key.path
        pairs.append((key_node, _value(value.value, value.where, sources, 0)))
    for kind, blocks in body.blocks.items():
        if not blocks:  # a dynamic block over an empty collection makes none
            continue
        first = blocks[0].where if isinstance(blocks[0], Body) else blocks[0]
        key_node = nodes.scalar(kind, _mark(first), _mark(first))
        sources[id(key_node)] = first.path
        items: list[nodes.Node] = []
        for block in blocks:
            if isinstance(block, Body):
                items.append(_body(block, sources))
            else:
                items.append(_unknown(block, sources))
        seq = nodes.sequence(items, _mark(first), _mark(first))
        sources[id(seq)] = first.path
        pairs.append((key_node, seq))
    node = nodes.mapping(pairs, at, at)
    sources[id(node)] = body.where.path
    return node


def _unknown(where: Any, sources: dict[int, str]) -> nodes.Node:
    at = _mark(where)
    node = model.ScalarNode(nodes.UNKNOWN_TAG, UNKNOWN_TEXT, at, at, None)
    sources[id(node)] = where.path
    return node


def _value(value: Any, where: Any, sources: dict[int, str], depth: int) -> nodes.Node:
    from soc2lint.terraform.values import UNKNOWN

    at = _mark(where)
    node: nodes.Node
    if value is UNKNOWN or depth > 64:
        return _unknown(where, sources)
    if isinstance(value, dict):
        pairs: list[tuple[nodes.Node, nodes.Node]] = []
        for k, v in value.items():
            knode = nodes.scalar(str(k), at, at)
            sources[id(knode)] = where.path
            pairs.append((knode, _value(v, where, sources, depth + 1)))
        node = nodes.mapping(pairs, at, at)
    elif isinstance(value, list):
        node = nodes.sequence([_value(v, where, sources, depth + 1) for v in value], at, at)
    elif isinstance(value, bool):
        node = model.ScalarNode(nodes.BOOL_TAG, "true" if value else "false", at, at, None)
    elif isinstance(value, int):
        node = model.ScalarNode(nodes.INT_TAG, str(value), at, at, None)
    elif isinstance(value, float):
        node = model.ScalarNode(nodes.FLOAT_TAG, repr(value), at, at, None)
    elif value is None:
        node = model.ScalarNode(nodes.NULL_TAG, "null", at, at, None)
    else:
        node = nodes.scalar(str(value), at, at)
    sources[id(node)] = where.path
    return node


def _conclude(c: Conclusion) -> tuple[list[Finding], list[str]]:
    """Inline suppressions (`# soc2lint: ignore[TFA001] reason`) in the Terraform files, where
    the findings are."""
    from soc2lint.scan.suppress import inline_for, parse_inline

    texts: Mapping[str, str] = {}
    for assembled in c.documents:
        data = assembled.document.data
        if isinstance(data, TerraformData):
            texts = data.texts
            break
    if not texts:
        return c.findings, []
    parsed: dict[str, Any] = {}
    out = []
    for finding in c.findings:
        path = finding.location.path
        if path in texts and finding.suppression is None:
            if path not in parsed:
                parsed[path] = parse_inline(texts[path])
            if parsed[path]:
                finding = replace(finding, suppression=inline_for(finding, parsed[path]))
        out.append(finding)
    return out, []


def value_text(value: Any) -> str:
    """An evaluated value as a message shows it (JSON; unknown as `(unknown)`)."""
    from soc2lint.terraform.values import UNKNOWN, has_unknown

    if value is UNKNOWN or has_unknown(value):
        return UNKNOWN_TEXT
    return json.dumps(value)


FORMATS = (
    Format(
        "terraform",
        "Terraform configuration (*.tf, *.tf.json) and variable files (*.tfvars, *.tfvars.json)",
        _is_terraform,
        _parse,
        assemble=_assemble,
        assemble_options=True,
        conclude=_conclude,
        text_pass=True,
    ),
)

TARGETS = {
    "terraform": Target(
        "Terraform resources, data sources, module calls, providers, variables and outputs, "
        "evaluated per module instance (variables, tfvars, locals, module arguments, count, "
        "for_each, dynamic blocks); unknown values decide nothing",
        frozenset({"terraform"}),
        "main.tf",
    ),
}
