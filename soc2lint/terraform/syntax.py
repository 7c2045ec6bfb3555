"""Terraform's syntax as data: blocks, attributes and expression trees, every node with its
0-based line and column. Built from tree-sitter-hcl trees (`parse.py`) and from the JSON syntax
(`*.tf.json`); evaluated by `evaluate.py`. Nothing here runs anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Pos:
    line: int  # 0-based
    column: int  # 0-based


class Expr:
    """An expression node; `pos` is where it starts."""

    __slots__ = ()
    pos: Pos


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    """A literal: str, int, float, bool or None."""

    value: Any
    pos: Pos


@dataclass(frozen=True, slots=True)
class Template(Expr):
    """A string with interpolations (and `%{ if }` directives flattened into `Cond`s): parts are
    literal text or expressions. A template that is one interpolation (`"${x}"`) is its value."""

    parts: tuple[str | Expr, ...]
    pos: Pos
    strip_indent: bool = False  # `<<-EOT`: the common leading whitespace goes


@dataclass(frozen=True, slots=True)
class Var(Expr):
    """A bare name: `var`, `local`, `each`, `aws_s3_bucket`, a for-expression's variable."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class GetAttr(Expr):
    obj: Expr
    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Index(Expr):
    obj: Expr
    key: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Splat(Expr):
    """`obj[*].a.b` (or `obj.*.a`): `each` is applied to every element, with `Var("")` as it."""

    obj: Expr
    each: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    pos: Pos
    expand: bool = False  # `f(xs...)`


@dataclass(frozen=True, slots=True)
class Cond(Expr):
    test: Expr
    then: Expr
    other: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class UnOp(Expr):
    op: str
    operand: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class ObjectExpr(Expr):
    items: tuple[tuple[Expr, Expr], ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class ForExpr(Expr):
    key_var: str | None  # `for k, v in ...`: k (None for `for v in ...`)
    value_var: str
    collection: Expr
    key: Expr | None  # object for: `k => v`; None for a tuple for
    value: Expr
    cond: Expr | None
    group: bool  # `...`
    pos: Pos


@dataclass(frozen=True, slots=True)
class Opaque(Expr):
    """Something the evaluator does not model: always unknown."""

    text: str
    pos: Pos


class Attribute:
    """`name = expr`, at `pos` (the name). The expression may be built on first use (`make`):
    most attributes of a large configuration (outputs of modules, variables' types) are never
    evaluated."""

    __slots__ = ("name", "pos", "_expr", "_make")

    def __init__(
        self,
        name: str,
        expr: Expr | None,
        pos: Pos,
        make: Callable[[], Expr] | None = None,
    ) -> None:
        self.name = name
        self.pos = pos
        self._expr = expr
        self._make = make

    @property
    def expr(self) -> Expr:
        if self._expr is None:
            assert self._make is not None
            self._expr, self._make = self._make(), None
        return self._expr

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attribute):
            return NotImplemented
        return (self.name, self.pos, self.expr) == (other.name, other.pos, other.expr)

    def __hash__(self) -> int:
        return hash((self.name, self.pos))

    def __repr__(self) -> str:
        return f"Attribute(name={self.name!r}, expr={self.expr!r}, pos={self.pos!r})"


@dataclass(frozen=True, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    blocks: tuple[Block, ...]
    pos: Pos  # the block's type keyword
    path: str  # the file, relative to the scan root

    def attribute(self, name: str) -> Attribute | None:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None


@dataclass(frozen=True, slots=True)
class ParseIssue:
    line: int  # 1-based, as reported
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class File:
    """One parsed file: its top-level blocks (configuration) or attributes (tfvars)."""

    path: str
    blocks: tuple[Block, ...]
    attributes: tuple[Attribute, ...]
    issues: tuple[ParseIssue, ...] = ()


def traversal(expr: Expr, through_splat: bool = True) -> tuple[str, ...] | None:
    """`aws_s3_bucket.logs.id` -> ("aws_s3_bucket", "logs", "id"): the names of a reference
    made of attribute steps (and literal indexes, as their text); None for anything else
    (and for a splat, unless `through_splat`)."""
    steps: list[str] = []
    while True:
        if isinstance(expr, Var):
            steps.append(expr.name)
            return tuple(reversed(steps))
        if isinstance(expr, GetAttr):
            steps.append(expr.name)
            expr = expr.obj
        elif isinstance(expr, Index) and isinstance(expr.key, Lit):
            steps.append(str(expr.key.value))
            expr = expr.obj
        elif isinstance(expr, Splat) and through_splat:
            expr = expr.obj
        else:
            return None


def references(expr: Expr, limit: int = 10_000) -> list[tuple[str, ...]]:
    """Every reference (traversal) in an expression, outermost first, in source order."""
    out: list[tuple[str, ...]] = []
    stack: list[Expr] = [expr]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        names = traversal(node)
        if names is not None:
            out.append(names)
            # indexes inside a reference may hold references of their own
            cur: Expr = node
            while isinstance(cur, (GetAttr, Index, Splat)):
                if isinstance(cur, Index):
                    stack.append(cur.key)
                cur = cur.obj
            continue
        stack.extend(reversed(list(children(node))))
    return out


_REFERENCES: dict[int, tuple[Expr, tuple[tuple[str, ...], ...]]] = {}
_TRAVERSALS: dict[int, tuple[Expr, tuple[str, ...] | None]] = {}


def strict_traversal(expr: Expr) -> tuple[str, ...] | None:
    """`traversal(expr, through_splat=False)`, computed once per expression object (the
    evaluator asks for every reference it evaluates, and again for each step of a chain)."""
    entry = _TRAVERSALS.get(id(expr))
    if entry is not None and entry[0] is expr:
        return entry[1]
    if len(_TRAVERSALS) > 500_000:
        _TRAVERSALS.clear()
    found = traversal(expr, through_splat=False)
    _TRAVERSALS[id(expr)] = (expr, found)
    return found


def cached_references(expr: Expr) -> tuple[tuple[str, ...], ...]:
    """`references(expr)`, computed once per expression object (module instances evaluate the
    same expressions many times)."""
    entry = _REFERENCES.get(id(expr))
    if entry is not None and entry[0] is expr:
        return entry[1]
    if len(_REFERENCES) > 500_000:
        _REFERENCES.clear()
    found = tuple(references(expr, 500))
    _REFERENCES[id(expr)] = (expr, found)
    return found


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Template):
        return tuple(p for p in expr.parts if isinstance(p, Expr))
    if isinstance(expr, GetAttr):
        return (expr.obj,)
    if isinstance(expr, Index):
        return (expr.obj, expr.key)
    if isinstance(expr, Splat):
        return (expr.obj, expr.each)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, Cond):
        return (expr.test, expr.then, expr.other)
    if isinstance(expr, BinOp):
        return (expr.left, expr.right)
    if isinstance(expr, UnOp):
        return (expr.operand,)
    if isinstance(expr, TupleExpr):
        return expr.items
    if isinstance(expr, ObjectExpr):
        return tuple(e for pair in expr.items for e in pair)
    if isinstance(expr, ForExpr):
        parts = [expr.collection, expr.value]
        if expr.key is not None:
            parts.append(expr.key)
        if expr.cond is not None:
            parts.append(expr.cond)
        return tuple(parts)
    return ()
