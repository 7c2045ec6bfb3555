"""Terraform files -> `syntax.File`: `*.tf` and `*.tfvars` through tree-sitter-hcl, `*.tf.json`
and `*.tfvars.json` through the JSON syntax (strings holding `${...}` parsed as HCL templates).

A block the grammar could not read (an ERROR or MISSING node inside it) is left out and named in
`File.issues` (path:line:col, one line); the file's other blocks are kept. tree-sitter is
imported on first use, not when soc2lint starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache, partial
from typing import Any

from soc2lint.terraform.syntax import (
    Attribute,
    BinOp,
    Block,
    Call,
    Cond,
    Expr,
    File,
    ForExpr,
    GetAttr,
    Index,
    Lit,
    ObjectExpr,
    Opaque,
    ParseIssue,
    Pos,
    Splat,
    Template,
    TupleExpr,
    UnOp,
    Var,
)

MAX_DEPTH = 200  # expression nesting read; deeper is opaque (unknown), never a crash

_VARIABLE_KEEP = frozenset({"default", "sensitive", "nullable", "ephemeral"})
_BINARY = frozenset({"==", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


_HEADER = re.compile(r'^[A-Za-z_][\w-]*(?:[ \t]+(?:"[^"\n]*"|[A-Za-z_][\w-]*))*[ \t]*\{', re.M)


def parse_hcl(path: str, text: str) -> File:
    """A `.tf` or `.tfvars` file. When the file has a syntax error, each top-level block (a
    line starting at column 1 with `type "label" {`) is parsed on its own, so that one broken
    block does not take the blocks after it with it."""
    source = text.encode("utf-8", "surrogatepass")
    tree = _parser().parse(source)
    if not tree.root_node.has_error:
        return _read(path, source, tree.root_node)
    starts = [m.start() for m in _HEADER.finditer(text)]
    if len(starts) < 2:
        return _read(path, source, tree.root_node)
    blocks: list[Block] = []
    attributes: list[Attribute] = []
    issues: list[ParseIssue] = []
    bounds = [0, *starts[1:], len(text)] if starts[0] > 0 else [*starts, len(text)]
    for begin, end in zip(bounds, bounds[1:], strict=False):
        # the chunk keeps its place: the text before it is blank lines
        chunk = "\n" * text.count("\n", 0, begin) + text[begin:end]
        part_source = chunk.encode("utf-8", "surrogatepass")
        part = _read(path, part_source, _parser().parse(part_source).root_node)
        blocks.extend(part.blocks)
        attributes.extend(part.attributes)
        issues.extend(part.issues)
    return File(path, tuple(blocks), tuple(attributes), tuple(issues))


def _read(path: str, source: bytes, root: Any) -> File:
    reader = _Reader(source, path)
    blocks: list[Block] = []
    attributes: list[Attribute] = []
    issues: list[ParseIssue] = []
    bodies = [c for c in root.named_children if c.type == "body"]
    tops = [c for body in bodies for c in body.named_children] + [
        c for c in root.named_children if c.type != "body"
    ]
    for node in tops:
        if node.type == "comment":
            continue
        if node.has_error or node.type == "ERROR":
            issues.append(_issue(node))
            continue
        if node.type == "block":
            blocks.append(reader.block(node))
        elif node.type == "attribute":
            attributes.append(reader.attribute(node))
    if root.has_error and not issues:
        issues.append(_issue(root))
    return File(path, tuple(blocks), tuple(attributes), tuple(issues))


def _first_error(node: Any) -> Any:
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "ERROR" or cur.is_missing:
            return cur
        if cur.has_error:
            stack.extend(reversed(cur.children))
    return node


def _issue(node: Any) -> ParseIssue:
    bad = _first_error(node)
    line, column = bad.start_point[0] + 1, bad.start_point[1] + 1
    if bad.is_missing:
        return ParseIssue(line, column, "invalid HCL: syntax error; block not evaluated")
    snippet = bad.text.decode("utf-8", "replace").strip().splitlines()
    near = snippet[0][:40] if snippet else ""
    what = f"unexpected `{near}`" if near else "syntax error"
    return ParseIssue(line, column, f"invalid HCL: {what}; block not evaluated")


def _pos(node: Any) -> Pos:
    return Pos(node.start_point[0], node.start_point[1])


def _unescape(raw: str) -> str:
    if "\\" not in raw and "$${" not in raw and "%%{" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "uU":
                width = 4 if nxt == "u" else 8
                digits = raw[i + 2 : i + 2 + width]
                try:
                    out.append(chr(int(digits, 16)))
                    i += 2 + width
                    continue
                except ValueError:
                    pass
        if raw.startswith("$${", i) or raw.startswith("%%{", i):
            out.append(raw[i + 1 : i + 3])
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class _Reader:
    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path

    def text(self, node: Any) -> str:
        return str(self.source[node.start_byte : node.end_byte].decode("utf-8", "replace"))

    # --- structure ------------------------------------------------------------------------

    def block(self, node: Any) -> Block:
        kind = ""
        labels: list[str] = []
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        for child in node.named_children:
            if child.type == "identifier" and not kind:
                kind = self.text(child)
            elif child.type == "identifier":
                labels.append(self.text(child))
            elif child.type == "string_lit":
                labels.append(self.string(child))
            elif child.type == "body":
                # a variable's type, description and validation blocks are never evaluated:
                # not read (a module's variables.tf is often its largest file)
                keep = _VARIABLE_KEEP if kind == "variable" else None
                for item in child.named_children:
                    if item.type == "attribute":
                        attributes.append(self.attribute(item, keep))
                    elif item.type == "block" and keep is None:
                        blocks.append(self.block(item))
        return Block(kind, tuple(labels), tuple(attributes), tuple(blocks), _pos(node), self.path)

    def attribute(self, node: Any, keep: frozenset[str] | None = None) -> Attribute:
        name = ""
        expr: Expr = Opaque("", _pos(node))
        for child in node.named_children:
            if child.type == "identifier" and not name:
                name = self.text(child)
                if keep is not None and name not in keep:
                    return Attribute(name, expr, _pos(node))
            elif child.type == "expression":
                # built when first evaluated
                return Attribute(name, None, _pos(node), partial(self.expr, child, 0))
        return Attribute(name, expr, _pos(node))

    def string(self, node: Any) -> str:
        return "".join(
            _unescape(self.text(c)) for c in node.named_children if c.type == "template_literal"
        )

    # --- expressions ----------------------------------------------------------------------

    def expr(self, node: Any, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            return Opaque("expression nested too deep", _pos(node))
        depth += 1
        kind = node.type
        if kind == "expression":
            kids = [c for c in node.children if c.type != "comment"]
            if not kids:
                return Opaque("", _pos(node))
            if kids[0].type == "(":
                inner = next((c for c in kids if c.type == "expression"), None)
                base = self.expr(inner, depth) if inner is not None else Opaque("", _pos(node))
                rest = kids[3:] if len(kids) > 3 else []
            else:
                base = self.expr(kids[0], depth)
                rest = kids[1:]
            return self.postfix(base, rest, depth)
        if kind == "literal_value":
            return self.literal(node.named_children[0])
        if kind == "variable_expr":
            return Var(self.text(node.named_children[0]), _pos(node))
        if kind == "collection_value":
            return self.expr(node.named_children[0], depth)
        if kind == "tuple":
            items = [self.expr(c, depth) for c in node.named_children if c.type == "expression"]
            return TupleExpr(tuple(items), _pos(node))
        if kind == "object":
            pairs: list[tuple[Expr, Expr]] = []
            for elem in node.named_children:
                if elem.type != "object_elem":
                    continue
                key_node = elem.child_by_field_name("key")
                val_node = elem.child_by_field_name("val")
                if key_node is None or val_node is None:
                    continue
                key = self.expr(key_node, depth)
                if isinstance(key, Var):  # `{ a = 1 }`: a bare name is the key's text
                    key = Lit(key.name, key.pos)
                pairs.append((key, self.expr(val_node, depth)))
            return ObjectExpr(tuple(pairs), _pos(node))
        if kind == "template_expr":
            return self.expr(node.named_children[0], depth)
        if kind in ("quoted_template", "heredoc_template"):
            return self.template(node, depth)
        if kind == "function_call":
            return self.call(node, depth)
        if kind == "operation":
            return self.expr(node.named_children[0], depth)
        if kind == "unary_operation":
            kids = [c for c in node.children if c.type != "comment"]
            return UnOp(kids[0].type, self.seq(kids[1:], depth), _pos(node))
        if kind == "binary_operation":
            kids = [c for c in node.children if c.type != "comment"]
            at = next((i for i, c in enumerate(kids) if i and c.type in _BINARY), None)
            if at is None:
                return Opaque(self.text(node)[:80], _pos(node))
            left, right = self.seq(kids[:at], depth), self.seq(kids[at + 1 :], depth)
            return BinOp(kids[at].type, left, right, _pos(node))
        if kind == "conditional":
            parts = [c for c in node.named_children if c.type == "expression"]
            if len(parts) == 3:
                a, b, c = (self.expr(p, depth) for p in parts)
                return Cond(a, b, c, _pos(node))
        if kind == "for_expr":
            return self.for_expr(node.named_children[0], depth)
        return Opaque(self.text(node)[:80], _pos(node))

    def seq(self, kids: list[Any], depth: int) -> Expr:
        """An operand the grammar leaves as siblings: a primary and its postfix steps."""
        if not kids:
            return Opaque("", Pos(0, 0))
        return self.postfix(self.expr(kids[0], depth), kids[1:], depth)

    def literal(self, node: Any) -> Expr:
        kind, text = node.type, self.text(node)
        if kind == "numeric_lit":
            try:
                value: Any = int(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    return Opaque(text, _pos(node))
            return Lit(value, _pos(node))
        if kind == "bool_lit":
            return Lit(text == "true", _pos(node))
        if kind == "null_lit":
            return Lit(None, _pos(node))
        if kind == "string_lit":
            return Lit(self.string(node), _pos(node))
        return Opaque(text, _pos(node))

    def postfix(self, base: Expr, rest: list[Any], depth: int) -> Expr:
        expr = base
        for node in rest:
            if node.type == "get_attr":
                ident = next((c for c in node.named_children if c.type == "identifier"), None)
                expr = GetAttr(expr, self.text(ident) if ident else "", base.pos)
            elif node.type == "index":
                expr = self.index(expr, node.named_children[0], depth, base.pos)
            elif node.type == "splat":
                inner = node.named_children[0]
                each: Expr = Var("", _pos(inner))
                for step in inner.named_children:
                    if step.type == "get_attr":
                        ident = next(
                            (c for c in step.named_children if c.type == "identifier"), None
                        )
                        each = GetAttr(each, self.text(ident) if ident else "", _pos(step))
                    elif step.type == "index":
                        each = self.index(each, step.named_children[0], depth)
                expr = Splat(expr, each, base.pos)
            else:
                return Opaque(self.text(node)[:80], _pos(node))
        return expr

    def index(self, obj: Expr, node: Any, depth: int, start: Pos | None = None) -> Expr:
        at = start or _pos(node)
        if node.type == "legacy_index":  # `.0`
            digits = "".join(self.text(c) for c in node.children if c.type != ".")
            try:
                return Index(obj, Lit(int(digits), _pos(node)), at)
            except ValueError:
                return Opaque(self.text(node), _pos(node))
        key = next((c for c in node.named_children if c.type == "expression"), None)
        if key is None:
            return Opaque(self.text(node), _pos(node))
        return Index(obj, self.expr(key, depth), at)

    def call(self, node: Any, depth: int) -> Expr:
        name = ""
        args: list[Expr] = []
        expand = False
        for child in node.named_children:
            if child.type == "identifier":
                name = self.text(child)
            elif child.type == "function_arguments":
                for arg in child.named_children:
                    if arg.type == "expression":
                        args.append(self.expr(arg, depth))
                    elif arg.type == "ellipsis":
                        expand = True
        # provider-defined functions (`provider::aws::arn_parse`) keep their full name
        if "::" in self.text(node).split("(", 1)[0]:
            name = self.text(node).split("(", 1)[0].strip()
        return Call(name, tuple(args), _pos(node), expand)

    def for_expr(self, node: Any, depth: int) -> Expr:
        intro = next((c for c in node.named_children if c.type == "for_intro"), None)
        if intro is None:
            return Opaque(self.text(node)[:80], _pos(node))
        names = [self.text(c) for c in intro.named_children if c.type == "identifier"]
        coll_node = next((c for c in intro.named_children if c.type == "expression"), None)
        if coll_node is None or not names:
            return Opaque(self.text(node)[:80], _pos(node))
        exprs = [c for c in node.named_children if c.type == "expression"]
        cond_node = next((c for c in node.named_children if c.type == "for_cond"), None)
        cond = None
        if cond_node is not None:
            inner = next((c for c in cond_node.named_children if c.type == "expression"), None)
            cond = self.expr(inner, depth) if inner is not None else None
        group = any(c.type == "ellipsis" for c in node.named_children)
        key_var, value_var = (names[0], names[1]) if len(names) > 1 else (None, names[0])
        collection = self.expr(coll_node, depth)
        if node.type == "for_object_expr" and len(exprs) >= 2:
            key, value = self.expr(exprs[0], depth), self.expr(exprs[1], depth)
            return ForExpr(key_var, value_var, collection, key, value, cond, group, _pos(node))
        if exprs:
            value = self.expr(exprs[0], depth)
            return ForExpr(key_var, value_var, collection, None, value, cond, False, _pos(node))
        return Opaque(self.text(node)[:80], _pos(node))

    def template(self, node: Any, depth: int) -> Expr:
        heredoc = node.type == "heredoc_template"
        strip = False
        if heredoc:
            start = next((c for c in node.named_children if c.type == "heredoc_start"), None)
            strip = start is not None and self.text(start).startswith("<<-")
        parts = list(self.template_parts(node, depth, heredoc))
        if heredoc:
            # the body starts on the line after the opening marker and ends before the closing one
            parts = _heredoc_trim(parts)
        if all(isinstance(p, str) for p in parts):
            text = "".join(p for p in parts if isinstance(p, str))
            if strip:
                text = _dedent(text)
            return Lit(text, _pos(node))
        return Template(tuple(parts), _pos(node), strip)

    def template_parts(self, node: Any, depth: int, raw: bool) -> Iterator[str | Expr]:
        """Literal text and interpolated expressions, in order. Heredoc literal text is taken
        from the source between the parts (the grammar leaves out some whitespace)."""
        kids = [
            c
            for c in node.named_children
            if c.type not in ("quoted_template_start", "quoted_template_end", "heredoc_start")
        ]
        if raw:
            idents = [c for c in kids if c.type == "heredoc_identifier"]
            if len(idents) < 2:
                return
            cursor = idents[0].end_byte
            end = idents[-1].start_byte
            for child in kids:
                if child.type in ("heredoc_identifier", "template_literal"):
                    continue
                if child.start_byte > cursor:
                    yield _unescape_heredoc(self.source[cursor : child.start_byte])
                yield from self.template_piece(child, depth)
                cursor = child.end_byte
            if end > cursor:
                yield _unescape_heredoc(self.source[cursor:end])
            return
        for child in kids:
            if child.type == "template_literal":
                yield _unescape(self.text(child))
            else:
                yield from self.template_piece(child, depth)

    def template_piece(self, child: Any, depth: int) -> Iterator[str | Expr]:
        if child.type == "template_interpolation":
            inner = next((c for c in child.named_children if c.type == "expression"), None)
            yield self.expr(inner, depth) if inner is not None else Opaque("", _pos(child))
        elif child.type == "template_directive":
            directive = child.named_children[0] if child.named_children else None
            if directive is not None and directive.type == "template_if":
                yield self.template_if(directive, depth)
            else:  # %{ for } directives: not modelled
                yield Opaque(self.text(child)[:80], _pos(child))
        else:
            yield Opaque(self.text(child)[:80], _pos(child))

    def template_if(self, node: Any, depth: int) -> Expr:
        intro = next((c for c in node.named_children if c.type == "template_if_intro"), None)
        test_node = (
            next((c for c in intro.named_children if c.type == "expression"), None)
            if intro is not None
            else None
        )
        if test_node is None:
            return Opaque(self.text(node)[:80], _pos(node))
        then: list[str | Expr] = []
        other: list[str | Expr] = []
        target = then
        for child in node.named_children:
            if child.type in ("template_if_intro", "template_if_end"):
                continue
            if child.type == "template_else_intro":
                target = other
                continue
            if child.type == "template_literal":
                target.append(_unescape(self.text(child)))
            else:
                target.extend(self.template_piece(child, depth))
        pos = _pos(node)
        return Cond(
            self.expr(test_node, depth),
            Template(tuple(then), pos),
            Template(tuple(other), pos),
            pos,
        )


def _unescape_heredoc(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return text.replace("$${", "${").replace("%%{", "%{")


def _heredoc_trim(parts: list[str | Expr]) -> list[str | Expr]:
    """Drop the rest of the opening marker's line and the closing marker's indentation."""
    if parts and isinstance(parts[0], str):
        first = parts[0]
        newline = first.find("\n")
        parts[0] = first[newline + 1 :] if newline >= 0 else ""
    if parts and isinstance(parts[-1], str):
        last = parts[-1]
        cut = last.rfind("\n")
        parts[-1] = last[: cut + 1] if cut >= 0 else last
    return [p for p in parts if p != ""]


def _dedent(text: str) -> str:
    lines = text.split("\n")
    widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] for line in lines)


# --- JSON syntax ---------------------------------------------------------------------------

# Keys whose JSON object is a map attribute, not a nested block (the JSON syntax cannot tell
# them apart without the provider's schema).
MAP_ATTRIBUTES = frozenset(
    {
        "tags",
        "tags_all",
        "default_tags",
        "labels",
        "variables",
        "environment",
        "parameters",
        "triggers",
        "metadata",
        "options",
        "settings",
        "policy",
        "assume_role_policy",
        "default",
        "values",
        "inputs",
    }
)
# Top-level blocks, and how many labels each has in the JSON nesting.
_LABELS = {
    "resource": 2,
    "data": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "locals": 0,
    "terraform": 0,
}


def parse_json(path: str, text: str, tfvars: bool = False) -> File:
    """A `.tf.json` or `.tfvars.json` file; invalid JSON is one issue and no blocks."""
    from soc2lint.formats import nodes

    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return File(path, (), (), (ParseIssue(exc.lineno, exc.colno, f"invalid JSON: {exc.msg}"),))
    except RecursionError:
        return File(path, (), (), (ParseIssue(1, 1, "invalid JSON: nesting too deep"),))
    import yaml

    from soc2lint.formats.yamldoc import _Loader

    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError) as exc:
        return File(path, (), (), (ParseIssue(1, 1, f"invalid JSON: {exc}"[:200]),))
    reader = _JsonReader(path)
    if not isinstance(root, nodes.MappingNode):
        return File(path, (), ())
    if tfvars:
        attrs = tuple(
            Attribute(k, reader.expr(v, 0, literal=True), reader.pos(kn))
            for k, kn, v in nodes.items(root)
        )
        return File(path, (), attrs)
    blocks: list[Block] = []
    for kind, knode, value in nodes.items(root):
        depth = _LABELS.get(kind)
        if depth is None:
            continue
        blocks.extend(reader.top(kind, knode, value, depth))
    return File(path, tuple(blocks), ())


class _JsonReader:
    def __init__(self, path: str) -> None:
        self.path = path

    @staticmethod
    def pos(node: Any) -> Pos:
        return Pos(node.start_mark.line, node.start_mark.column)

    def top(self, kind: str, knode: Any, value: Any, depth: int) -> Iterator[Block]:
        from soc2lint.formats import nodes

        def walk(node: Any, labels: tuple[str, ...], header: Any) -> Iterator[Block]:
            if len(labels) == depth:
                bodies = node.value if isinstance(node, nodes.SequenceNode) else [node]
                for body in bodies:
                    yield self.body(kind, labels, body, header)
                return
            for label, lnode, child in nodes.items(node):
                yield from walk(child, (*labels, label), lnode)

        if isinstance(value, nodes.SequenceNode) and depth == 0:  # "locals": [{...}]
            for item in value.value:
                yield self.body(kind, (), item, knode)
            return
        yield from walk(value, (), knode)

    def body(self, kind: str, labels: tuple[str, ...], node: Any, header: Any) -> Block:
        from soc2lint.formats import nodes

        attributes: list[Attribute] = []
        blocks: list[Block] = []
        plain = kind in ("locals", "variable", "output") or kind == "module"
        for key, knode, value in nodes.items(node):
            if not plain and key not in MAP_ATTRIBUTES and key != "dynamic":
                items = self._block_bodies(value)
                if items is not None:
                    for item in items:
                        blocks.append(self.body(key, (), item, knode))
                    continue
            if key == "dynamic" and isinstance(value, nodes.MappingNode):
                for name, nknode, spec in nodes.items(value):
                    inner = self.body("dynamic", (name,), spec, nknode)
                    blocks.append(inner)
                continue
            attributes.append(Attribute(key, self.expr(value, 0), self.pos(knode)))
        return Block(kind, labels, tuple(attributes), tuple(blocks), self.pos(header), self.path)

    @staticmethod
    def _block_bodies(value: Any) -> list[Any] | None:
        from soc2lint.formats import nodes

        if isinstance(value, nodes.MappingNode):
            return [value]
        if (
            isinstance(value, nodes.SequenceNode)
            and value.value
            and all(isinstance(v, nodes.MappingNode) for v in value.value)
        ):
            return list(value.value)
        return None

    def expr(self, node: Any, depth: int, literal: bool = False) -> Expr:
        from soc2lint.formats import nodes

        pos = self.pos(node)
        if depth > MAX_DEPTH:
            return Opaque("nested too deep", pos)
        if isinstance(node, nodes.MappingNode):
            pairs = tuple(
                (Lit(k, self.pos(kn)), self.expr(v, depth + 1, literal))
                for k, kn, v in nodes.items(node)
            )
            return ObjectExpr(pairs, pos)
        if isinstance(node, nodes.SequenceNode):
            return TupleExpr(tuple(self.expr(v, depth + 1, literal) for v in node.value), pos)
        value = nodes.scalar_value(node) if not node.style else node.value
        if isinstance(value, str) and not literal and ("${" in value or "%{" in value):
            return template_from_string(value, pos)
        return Lit(value, pos)


def template_from_string(value: str, pos: Pos) -> Expr:
    """A JSON string holding `${...}`: parsed as an HCL template, positioned at the string."""
    quoted = json.dumps(value)
    parsed = parse_hcl("", f"x = {quoted}\n")
    if parsed.issues or not parsed.attributes:
        return Opaque(value[:80], pos)
    return _moved(parsed.attributes[0].expr, pos)


def _moved(expr: Expr, pos: Pos) -> Expr:
    """The expression with every position set to `pos` (the JSON string's)."""
    import dataclasses

    changes: dict[str, Any] = {"pos": pos}
    for field in dataclasses.fields(expr):  # type: ignore[arg-type]
        value = getattr(expr, field.name)
        if isinstance(value, Expr):
            changes[field.name] = _moved(value, pos)
        elif isinstance(value, tuple):
            changes[field.name] = tuple(_moved_item(v, pos) for v in value)
    return dataclasses.replace(expr, **changes)  # type: ignore[type-var]


def _moved_item(value: Any, pos: Pos) -> Any:
    if isinstance(value, Expr):
        return _moved(value, pos)
    if isinstance(value, tuple):
        return tuple(_moved_item(v, pos) for v in value)
    return value
