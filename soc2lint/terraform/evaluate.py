"""Expressions -> values, in the scope of one module instance.

`Scope` is one instance of a module directory: its variables' values (call arguments, tfvars,
defaults), its locals (evaluated on first use), and the names a block binds (`count.index`,
`each.key`/`each.value`, a `dynamic` block's iterator, a for-expression's variables). Anything
unresolved is UNKNOWN, and UNKNOWN propagates: an operator, a template or a function with an
unknown operand is unknown, except where the known operands decide (`false && x`, `true || x`,
a conditional whose branches agree). Definite errors (a missing key of a known object) raise
EvalError, which `try()` catches and which is UNKNOWN anywhere else.

Work is bounded: expressions deeper than MAX_DEPTH, locals referring to themselves and more than
MAX_STEPS evaluation steps per scope are unknown, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from soc2lint.terraform.functions import FUNCTIONS, MAX_ITEMS
from soc2lint.terraform.syntax import (
    Attribute,
    BinOp,
    Call,
    Cond,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Lit,
    ObjectExpr,
    Opaque,
    Pos,
    Splat,
    Template,
    TupleExpr,
    UnOp,
    Var,
    strict_traversal,
)
from soc2lint.terraform.values import (
    UNKNOWN,
    EvalError,
    equal,
    has_unknown,
    to_bool,
    to_number,
    to_string,
)

MAX_DEPTH = 64
MAX_STEPS = 10_000_000  # per configuration: beyond, every further value is unknown


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a file: relative path and 0-based line and column."""

    path: str
    line: int
    column: int

    @staticmethod
    def of(path: str, pos: Pos) -> Where:
        return Where(path, pos.line, pos.column)


@dataclass
class Scope:
    """One instance of a module directory, and what the block being evaluated binds."""

    directory: str  # relative to the scan root ("" for the root)
    module_path: str  # "" for a root; "module.a.module.b" inside calls
    variables: Mapping[str, Any]  # name -> value (UNKNOWN when it has none)
    origins: Mapping[str, Where]  # variables whose value came from a call argument: where
    locals: Mapping[str, tuple[str, Attribute]]  # name -> (file, attribute)
    outputs: Callable[[str, str], Any] = field(default=lambda call, name: UNKNOWN)
    bound: dict[str, Any] = field(default_factory=dict)  # count, each, iterators, for vars
    _local_values: dict[str, Any] = field(default_factory=dict)
    _local_origins: dict[str, Where | None] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)
    steps: list[int] = field(default_factory=lambda: [0])  # shared with derived scopes

    def with_bound(self, **names: Any) -> Scope:
        """The same instance with more names bound (the locals' values stay shared)."""
        child = Scope(
            self.directory,
            self.module_path,
            self.variables,
            self.origins,
            self.locals,
            self.outputs,
            {**self.bound, **names},
            self._local_values,
            self._local_origins,
            self._busy,
            self.steps,
        )
        return child

    # --- values -----------------------------------------------------------------------------

    def value(self, expr: Expr) -> Any:
        """The value of an expression: UNKNOWN when it cannot be known or is an error."""
        try:
            return self.eval(expr, 0)
        except (EvalError, RecursionError, TypeError, ValueError, OverflowError, ZeroDivisionError):
            return UNKNOWN

    def local(self, name: str) -> Any:
        if name in self._local_values:
            return self._local_values[name]
        entry = self.locals.get(name)
        if entry is None or name in self._busy:
            return UNKNOWN
        self._busy.add(name)
        try:
            # locals see no block-bound names
            base = self if not self.bound else self.with_bound()
            base.bound = {}
            value = base.value(entry[1].expr)
        finally:
            self._busy.discard(name)
        self._local_values[name] = value
        return value

    def origin(
        self, expr: Expr, depth: int = 0, value: Any = UNKNOWN, name: str = ""
    ) -> Where | None:
        """Where a value came from when a call argument decided it: of the variables set by a
        call that the expression refers to (directly or through locals), the first whose value
        is the expression's `value` (`x > 0 ? coalesce(var.a, 1) : var.a` is var.a's; the one
        named like the attribute, `name`, first), else the first."""
        if depth > 16 or not self.origins:
            return None
        from soc2lint.terraform.syntax import cached_references

        found = cached_references(expr)
        if value is not UNKNOWN:
            for names in sorted(found, key=lambda names: names[1:2] != (name,)):
                if len(names) == 2 and names[0] == "var" and names[1] in self.origins:
                    own = self.variables.get(names[1], UNKNOWN)
                    if own is not UNKNOWN and not has_unknown(own) and equal(own, value):
                        return self.origins[names[1]]
        for names in found:
            if len(names) >= 2 and names[0] == "var" and names[1] in self.origins:
                return self.origins[names[1]]
            if len(names) >= 2 and names[0] == "local":
                local = names[1]
                if local not in self._local_origins:
                    self._local_origins[local] = None  # cycle guard
                    entry = self.locals.get(local)
                    self._local_origins[local] = (
                        self.origin(entry[1].expr, depth + 1) if entry else None
                    )
                where = self._local_origins[local]
                if where is not None:
                    return where
        return None

    # --- the evaluator ----------------------------------------------------------------------

    def eval(self, expr: Expr, depth: int) -> Any:
        self.steps[0] += 1
        if depth > MAX_DEPTH or self.steps[0] > MAX_STEPS:
            return UNKNOWN
        depth += 1
        if isinstance(expr, Lit):
            return expr.value
        if isinstance(expr, Template):
            return self.template(expr, depth)
        if isinstance(expr, (Var, GetAttr, Index)):
            return self.reference(expr, depth)
        if isinstance(expr, Splat):
            source = self.eval(expr.obj, depth)
            if source is UNKNOWN:
                return UNKNOWN
            if source is None:
                return []
            items = source if isinstance(source, list) else [source]
            return [self.with_bound(**{"": item}).eval(expr.each, depth) for item in items]
        if isinstance(expr, TupleExpr):
            return [self.eval(item, depth) for item in expr.items]
        if isinstance(expr, ObjectExpr):
            out: dict[str, Any] = {}
            for key_expr, val_expr in expr.items:
                key = self.eval(key_expr, depth)
                if key is UNKNOWN:
                    return UNKNOWN
                out[to_string(key)] = self.eval(val_expr, depth)
            return out
        if isinstance(expr, Cond):
            return self.conditional(expr, depth)
        if isinstance(expr, BinOp):
            return self.binary(expr, depth)
        if isinstance(expr, UnOp):
            value = self.eval(expr.operand, depth)
            if value is UNKNOWN:
                return UNKNOWN
            if expr.op == "!":
                return not to_bool(value)
            return -to_number(value)
        if isinstance(expr, Call):
            return self.call(expr, depth)
        if isinstance(expr, ForExpr):
            return self.for_expr(expr, depth)
        if isinstance(expr, Opaque):
            return UNKNOWN
        return UNKNOWN

    def template(self, expr: Template, depth: int) -> Any:
        parts = expr.parts
        if len(parts) == 1 and isinstance(parts[0], Expr) and not expr.strip_indent:
            return self.eval(parts[0], depth)  # "${x}" is x itself
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = self.eval(part, depth)
            if value is UNKNOWN:
                return UNKNOWN
            if value is None:
                raise EvalError("null in a template")
            out.append(to_string(value))
        text = "".join(out)
        if expr.strip_indent:
            from soc2lint.terraform.parse import _dedent

            text = _dedent(text)
        return text

    def conditional(self, expr: Cond, depth: int) -> Any:
        test = self.eval(expr.test, depth)
        if test is UNKNOWN:
            then = self.value(expr.then)
            other = self.value(expr.other)
            if not has_unknown(then) and not has_unknown(other) and equal(then, other):
                return then
            return UNKNOWN
        return self.eval(expr.then if to_bool(test) else expr.other, depth)

    def binary(self, expr: BinOp, depth: int) -> Any:
        op = expr.op
        left = self.eval(expr.left, depth)
        if op in ("&&", "||"):
            if left is not UNKNOWN:
                decided = to_bool(left)
                if op == "&&" and not decided:
                    return False
                if op == "||" and decided:
                    return True
            right = self.eval(expr.right, depth)
            if right is UNKNOWN:
                return UNKNOWN
            decided_right = to_bool(right)
            if left is UNKNOWN:
                # `unknown && false` is false, `unknown || true` is true
                if op == "&&" and not decided_right:
                    return False
                if op == "||" and decided_right:
                    return True
                return UNKNOWN
            return decided_right
        right = self.eval(expr.right, depth)
        if op in ("==", "!="):
            if has_unknown(left) or has_unknown(right):
                return UNKNOWN
            same = equal(left, right)
            return same if op == "==" else not same
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        a, b = to_number(left), to_number(right)
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise EvalError("division by zero")
            result = a / b
            return int(result) if result.is_integer() else result
        if op == "%":
            if b == 0:
                raise EvalError("division by zero")
            return a % b
        raise EvalError(f"operator {op} not modelled")

    def call(self, expr: Call, depth: int) -> Any:
        name = expr.name
        if name == "try":
            for arg in expr.args:
                try:
                    value = self.eval(arg, depth)
                except (EvalError, TypeError, ValueError):
                    continue
                return value  # unknown stays unknown: it may be the value or an error
            raise EvalError("try: every argument failed")
        if name == "can":
            if len(expr.args) != 1:
                raise EvalError("can takes one argument")
            try:
                value = self.eval(expr.args[0], depth)
            except (EvalError, TypeError, ValueError):
                return False
            return UNKNOWN if value is UNKNOWN else True
        args = [self.eval(arg, depth) for arg in expr.args]
        if expr.expand and args:
            last = args.pop()
            if last is UNKNOWN:
                return UNKNOWN
            if not isinstance(last, list):
                raise EvalError("... needs a list")
            args.extend(last)
        if name == "coalesce":
            for value in args:
                if value is UNKNOWN:
                    return UNKNOWN
                if value is not None and value != "":
                    return value
            raise EvalError("coalesce: no non-null argument")
        if name == "coalescelist":
            for value in args:
                if value is UNKNOWN:
                    return UNKNOWN
                if isinstance(value, list) and value:
                    return value
            return []
        fn = FUNCTIONS.get(name)
        if fn is None:
            return UNKNOWN  # not modelled (file(), timestamp(), provider functions, ...)
        return fn(args)

    def for_expr(self, expr: ForExpr, depth: int) -> Any:
        source = self.eval(expr.collection, depth)
        if source is UNKNOWN:
            return UNKNOWN
        if isinstance(source, dict):
            pairs: list[tuple[Any, Any]] = [(k, source[k]) for k in sorted(source)]
        elif isinstance(source, list):
            pairs = list(enumerate(source))
        else:
            raise EvalError("for needs a collection")
        if len(pairs) > MAX_ITEMS:
            return UNKNOWN
        items: list[Any] = []
        mapping: dict[str, Any] = {}
        for key, value in pairs:
            names = {expr.value_var: value}
            if expr.key_var is not None:
                names[expr.key_var] = key
            inner = self.with_bound(**names)
            if expr.cond is not None:
                keep = inner.eval(expr.cond, depth)
                if keep is UNKNOWN:
                    return UNKNOWN
                if not to_bool(keep):
                    continue
            result = inner.eval(expr.value, depth)
            if expr.key is None:
                items.append(result)
                continue
            name = inner.eval(expr.key, depth)
            if name is UNKNOWN:
                return UNKNOWN
            text = to_string(name)
            if expr.group:
                mapping.setdefault(text, []).append(result)
            elif text in mapping:
                raise EvalError(f"duplicate key {text!r}")
            else:
                mapping[text] = result
        return items if expr.key is None else mapping

    # --- references -------------------------------------------------------------------------

    def reference(self, expr: Expr, depth: int) -> Any:
        names = strict_traversal(expr)
        if names is not None and names and names[0] not in self.bound:
            known = self.named(names)
            if known is not None:
                return known[0]
        # the general case: evaluate the object, then step
        if isinstance(expr, Var):
            if expr.name in self.bound:
                return self.bound[expr.name]
            return UNKNOWN
        if isinstance(expr, GetAttr):
            obj = self.eval(expr.obj, depth)
            return _get(obj, expr.name)
        if isinstance(expr, Index):
            obj = self.eval(expr.obj, depth)
            key = self.eval(expr.key, depth)
            return _index(obj, key)
        return UNKNOWN

    def named(self, names: tuple[str, ...]) -> tuple[Any] | None:
        """A reference rooted at a Terraform namespace, as a 1-tuple of its value; None when
        the root is a bound name (evaluated step by step instead)."""
        head = names[0]
        if head == "var" and len(names) >= 2:
            return (_walk(self.variables.get(names[1], UNKNOWN), names[2:]),)
        if head == "local" and len(names) >= 2:
            return (_walk(self.local(names[1]), names[2:]),)
        if head == "path" and len(names) == 2:
            if names[1] == "module":
                return (self.directory or ".",)
            return (UNKNOWN,)  # path.root, path.cwd: where Terraform runs
        if head == "module" and len(names) >= 3:
            return (_walk(self.outputs(names[1], names[2]), names[3:]),)
        return (UNKNOWN,)  # data.*, resources' attributes, terraform.workspace, self


def _walk(value: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        if value is UNKNOWN:
            return UNKNOWN
        value = _index(value, step) if isinstance(value, list) else _get(value, step)
    return value


def _get(obj: Any, name: str) -> Any:
    if obj is UNKNOWN:
        return UNKNOWN
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        raise EvalError(f"no attribute {name!r}")
    raise EvalError(f"attribute {name!r} of a non-object")


def _index(obj: Any, key: Any) -> Any:
    if obj is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if isinstance(obj, list):
        try:
            i = int(to_number(key))
        except EvalError as exc:
            raise EvalError("list index is no number") from exc
        if 0 <= i < len(obj):
            return obj[i]
        raise EvalError("index out of range")
    if isinstance(obj, dict):
        text = to_string(key)
        if text in obj:
            return obj[text]
        raise EvalError(f"no key {text!r}")
    raise EvalError("index of a non-collection")
