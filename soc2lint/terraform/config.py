"""A scan's Terraform configuration: module directories, their instances, and every block
evaluated into a `Resource`.

Directories and instances:
- every directory holding `*.tf` / `*.tf.json` files is a module;
- a `module` block whose `source` is a local path (`./x`, `../x`) calls the directory it names,
  once per instance of the call (`count` / `for_each`), binding the call's arguments to the
  module's variables; calls to registry or git modules are not followed (their arguments are the
  `module.NAME` document);
- a directory no configuration in the scan calls is a root, evaluated once with its variables'
  defaults, `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` (in name order)
  and the `--var-file` files, later ones winning, as Terraform orders them;
- a directory that some configuration in the scan calls is evaluated only through its calls,
  never also on its own with its defaults: the caller decides its inputs (an example, a
  wrapper). A call that creates no instance (`for_each` over an empty default) evaluates
  nothing. Directories reachable only through a cycle of calls are evaluated as roots.

Blocks: `count` / `for_each` that are known make one instance each (`count.index`,
`each.key`, `each.value`); 0 or empty makes none (the resource does not exist); unknown makes
one instance with those names unknown. Instances that evaluate alike are one resource; otherwise
each is addressed with its key (`aws_x.y[0]`, `aws_x.y["a"]`). `dynamic` blocks expand when their
`for_each` is known (each expanded block at the dynamic block's position); an unknown `for_each`
is an unknown block.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from soc2lint.terraform.evaluate import Scope, Where
from soc2lint.terraform.syntax import (
    Attribute,
    Block,
    Call,
    File,
    Opaque,
    Var,
    cached_references,
)
from soc2lint.terraform.values import UNKNOWN, EvalError, to_number

MAX_MODULE_DEPTH = 16
MAX_INSTANCES = 1_000  # count / for_each beyond this: one instance with unknown keys
MAX_RESOURCES = 200_000

META = frozenset({"count", "for_each", "depends_on", "provider", "providers"})
CALL_META = frozenset({"source", "version", "count", "for_each", "depends_on", "providers"})


@dataclass(frozen=True)
class Value:
    """An attribute's evaluated value, where it is reported (the value's expression, or the
    call argument that decided it), and where its name is."""

    value: Any
    where: Where
    key: Where
    # for `attr = jsonencode(X)`: X's value before encoding, which may be known in part where
    # `value` (the string) is UNKNOWN as a whole (an IAM policy whose resource is computed)
    encoded: Any = None


@dataclass(frozen=True)
class Body:
    """An evaluated block: attributes by name, nested blocks by type (a `Where` in place of a
    block that a `dynamic` with an unknown `for_each` makes)."""

    where: Where
    attributes: Mapping[str, Value]
    blocks: Mapping[str, tuple[Body | Where, ...]]


@dataclass(frozen=True)
class Resource:
    """One evaluated block of the scan: a resource (or data source, module call, provider,
    variable, output) of one module instance."""

    address: str  # module.vol.aws_ebs_volume.v, resource.aws_s3_bucket... without "resource."
    mode: str  # resource | data | module | provider | variable | output
    type: str  # the resource or data type; "" for the others
    name: str
    module_path: str  # "" at a root; "module.vol" inside a call
    directory: str  # the module's directory, relative to the scan root ("" at the top)
    body: Body
    # the references each attribute's expression makes, as written (for joins by reference:
    # `bucket = aws_s3_bucket.logs.id` -> ("aws_s3_bucket", "logs", "id"))
    references: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    source: str = ""  # a module call's `source`
    call: Where | None = None  # inside a module instance: where the root calls it


@dataclass
class _Module:
    directory: str
    blocks: list[Block] = field(default_factory=list)
    tfvars: list[tuple[str, File]] = field(default_factory=list)


def directory_of(path: str) -> str:
    return posixpath.dirname(path)


def is_tfvars(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith((".tfvars", ".tfvars.json"))


def _tfvars_order(path: str) -> tuple[int, str]:
    name = path.rsplit("/", 1)[-1]
    if name == "terraform.tfvars":
        return (0, name)
    if name == "terraform.tfvars.json":
        return (1, name)
    if name.endswith((".auto.tfvars", ".auto.tfvars.json")):
        return (2, name)
    return (9, name)  # other .tfvars files are read only through --var-file


def local_source(directory: str, source: Any) -> str | None:
    """The directory a local `source` names, relative to the scan root; None for others."""
    if not isinstance(source, str) or not source.startswith(("./", "../")):
        return None
    joined = posixpath.normpath(posixpath.join(directory or ".", source))
    return "" if joined == "." else joined


class Configuration:
    """Every Terraform file of a scan, evaluated module instance by module instance."""

    def __init__(self, files: Sequence[File], var_files: Sequence[File] = ()) -> None:
        self.modules: dict[str, _Module] = {}
        for parsed in sorted(files, key=lambda f: f.path):
            directory = directory_of(parsed.path)
            module = self.modules.setdefault(directory, _Module(directory))
            if is_tfvars(parsed.path):
                module.tfvars.append((parsed.path, parsed))
            else:
                module.blocks.extend(parsed.blocks)
        self.var_files = list(var_files)
        self.count = 0
        self.steps = [0]  # evaluation steps of every scope (evaluate.MAX_STEPS)

    def calls(self, directory: str) -> set[str]:
        """The directories in the scan that `directory`'s local module calls name."""
        out: set[str] = set()
        for block in self.modules[directory].blocks:
            if block.type == "module" and block.labels:
                attr = block.attribute("source")
                target = local_source(directory, _literal(attr)) if attr is not None else None
                if target is not None and target != directory and target in self.modules:
                    out.add(target)
        return out

    def roots(self) -> list[str]:
        """Directories no configuration of the scan calls; then, for directories that only a
        cycle of calls reaches, the first of each cycle."""
        edges = {d: self.calls(d) for d in self.modules}
        called: set[str] = set().union(*edges.values()) if edges else set()
        roots = [d for d in sorted(self.modules) if self.modules[d].blocks and d not in called]
        reached: set[str] = set()
        pending = list(roots)
        while True:
            while pending:
                current = pending.pop()
                if current not in reached:
                    reached.add(current)
                    pending.extend(edges[current])
            rest = [d for d in sorted(self.modules) if self.modules[d].blocks and d not in reached]
            if not rest:
                return roots
            roots.append(rest[0])
            pending.append(rest[0])

    def resources(self) -> Iterator[Resource]:
        for directory in self.roots():
            yield from self._instance(directory, "", self._root_inputs(directory), {}, (), None)

    # --- inputs -------------------------------------------------------------------------------

    def _root_inputs(self, directory: str) -> dict[str, Any]:
        module = self.modules[directory]
        values: dict[str, Any] = {}
        empty = _empty_scope(directory)
        for path, parsed in sorted(module.tfvars, key=lambda item: _tfvars_order(item[0])):
            if _tfvars_order(path)[0] == 9:
                continue
            for attr in parsed.attributes:
                values[attr.name] = empty.value(attr.expr)
        for parsed in self.var_files:
            for attr in parsed.attributes:
                values[attr.name] = empty.value(attr.expr)
        return values

    # --- instances ----------------------------------------------------------------------------

    def _instance(
        self,
        directory: str,
        module_path: str,
        inputs: Mapping[str, Any],
        origins: Mapping[str, Where],
        stack: tuple[str, ...],
        call: Where | None,
    ) -> Iterator[Resource]:
        module = self.modules[directory]
        scope = self._scope(module, module_path, inputs, origins, stack, call)
        prefix = f"{module_path}." if module_path else ""
        for block in module.blocks:
            if self.count > MAX_RESOURCES:
                return
            kind = block.type
            if kind in ("resource", "data") and len(block.labels) == 2:
                yield from self._expand(block, scope, prefix, call)
            elif kind == "module" and block.labels:
                yield from self._call(block, scope, prefix, stack, call)
            elif kind == "provider" and block.labels:
                yield from self._plain(block, scope, prefix, call)
            elif kind in ("variable", "output") and block.labels and not module_path:
                # a root's inputs and outputs; a module instance's are its call's arguments
                # (the `module.NAME` document) and values only its caller reads
                yield from self._plain(block, scope, prefix, call)

    def _scope(
        self,
        module: _Module,
        module_path: str,
        inputs: Mapping[str, Any],
        origins: Mapping[str, Where],
        stack: tuple[str, ...],
        call: Where | None,
    ) -> Scope:
        empty = _empty_scope(module.directory)
        variables: dict[str, Any] = {}
        locals_: dict[str, tuple[str, Attribute]] = {}
        calls: dict[str, Block] = {}
        for block in module.blocks:
            if block.type == "variable" and block.labels:
                name = block.labels[0]
                if name in inputs:
                    variables[name] = inputs[name]
                else:
                    default = block.attribute("default")
                    variables[name] = empty.value(default.expr) if default else UNKNOWN
            elif block.type == "locals":
                for attr in block.attributes:
                    locals_[attr.name] = (block.path, attr)
            elif block.type == "module" and block.labels:
                calls[block.labels[0]] = block
        children: dict[str, Scope | None] = {}

        def outputs(name: str, output: str) -> Any:
            if name not in children:
                children[name] = None  # guards a module output referring to itself
                children[name] = self._child_scope(calls.get(name), scope, module_path, stack, call)
            child = children[name]
            if child is None:
                return UNKNOWN
            target = self.modules[child.directory]
            for block in target.blocks:
                if block.type == "output" and block.labels == (output,):
                    attr = block.attribute("value")
                    return child.value(attr.expr) if attr else UNKNOWN
            return UNKNOWN

        scope = Scope(module.directory, module_path, variables, origins, locals_, outputs)
        scope.steps = self.steps  # one budget for the whole configuration
        return scope

    def _child_scope(
        self,
        block: Block | None,
        parent: Scope,
        module_path: str,
        stack: tuple[str, ...],
        call: Where | None,
    ) -> Scope | None:
        """The scope of a local module call with one instance (for `module.x.output`)."""
        if block is None or block.attribute("count") or block.attribute("for_each"):
            return None
        source = block.attribute("source")
        target = local_source(parent.directory, _literal(source) if source else None)
        if target is None or target not in self.modules or target in stack:
            return None
        if len(stack) >= MAX_MODULE_DEPTH:
            return None
        inputs, origins = self._arguments(block, parent)
        prefix = f"{module_path}." if module_path else ""
        return self._scope(
            self.modules[target],
            f"{prefix}module.{block.labels[0]}",
            inputs,
            origins,
            (*stack, parent.directory),
            call,
        )

    def _arguments(self, block: Block, scope: Scope) -> tuple[dict[str, Any], dict[str, Where]]:
        inputs: dict[str, Any] = {}
        origins: dict[str, Where] = {}
        for attr in block.attributes:
            if attr.name in CALL_META:
                continue
            inputs[attr.name] = scope.value(attr.expr)
            origins[attr.name] = scope.origin(
                attr.expr, value=inputs[attr.name], name=attr.name
            ) or Where.of(block.path, attr.expr.pos)
        return inputs, origins

    def _call(
        self,
        block: Block,
        scope: Scope,
        prefix: str,
        stack: tuple[str, ...],
        call: Where | None,
    ) -> Iterator[Resource]:
        name = block.labels[0]
        source_attr = block.attribute("source")
        source = _literal(source_attr) if source_attr else None
        for key, bound in self._instances(block, scope):
            inner = scope.with_bound(**bound)
            body = self._body(block, inner, skip=CALL_META - {"source"})
            address = f"{prefix}module.{name}{_key(key)}"
            self.count += 1
            yield Resource(
                address,
                "module",
                "",
                name,
                prefix.rstrip("."),
                scope.directory,
                body,
                _refs(block),
                source if isinstance(source, str) else "",
                call,
            )
            target = local_source(scope.directory, source)
            if target is None or target not in self.modules:
                continue
            here = (*stack, scope.directory)
            if target in here or len(here) > MAX_MODULE_DEPTH:
                continue  # a cycle of calls, or nesting beyond any real configuration
            inputs, origins = self._arguments(block, inner)
            where = call or Where.of(block.path, block.pos)
            yield from self._instance(target, address, inputs, origins, here, where)

    def _plain(
        self, block: Block, scope: Scope, prefix: str, call: Where | None
    ) -> Iterator[Resource]:
        kind, name = block.type, block.labels[0]
        body = self._body(block, scope, skip=frozenset())
        if kind == "variable":
            # `value`: what the variable evaluates to in this instance, at its default's place
            default = block.attribute("default")
            where = Where.of(block.path, default.expr.pos if default else block.pos)
            value = Value(scope.variables.get(name, UNKNOWN), scope.origins.get(name, where), where)
            body = Body(body.where, {**body.attributes, "value": value}, body.blocks)
        alias = body.attributes.get("alias") if kind == "provider" else None
        suffix = f".{alias.value}" if alias and isinstance(alias.value, str) else ""
        self.count += 1
        yield Resource(
            f"{prefix}{kind}.{name}{suffix}",
            kind,
            "",
            name,
            prefix.rstrip("."),
            scope.directory,
            body,
            _refs(block),
            "",
            call,
        )

    def _expand(
        self, block: Block, scope: Scope, prefix: str, call: Where | None
    ) -> Iterator[Resource]:
        kind, (rtype, name) = block.type, block.labels
        bodies: list[tuple[Any, Body]] = []
        for key, bound in self._instances(block, scope):
            bodies.append((key, self._body(block, scope.with_bound(**bound), META)))
        if not bodies:
            return
        base = f"{prefix}{'data.' if kind == 'data' else ''}{rtype}.{name}"
        alike = all(b == bodies[0][1] for _, b in bodies[1:])
        chosen = [(None, bodies[0][1])] if alike else bodies
        refs = _refs(block)
        for key, body in chosen:
            self.count += 1
            yield Resource(
                f"{base}{_key(key)}",
                kind,
                rtype,
                name,
                prefix.rstrip("."),
                scope.directory,
                body,
                refs,
                "",
                call,
            )

    def _instances(self, block: Block, scope: Scope) -> list[tuple[Any, dict[str, Any]]]:
        """(key, names bound) per instance: [] when the block makes none."""
        count_attr = block.attribute("count")
        each_attr = block.attribute("for_each")
        if count_attr is not None:
            count = scope.value(count_attr.expr)
            if isinstance(count, str):  # Terraform converts "0" to 0 for count, as everywhere
                try:
                    count = to_number(count)
                except EvalError:
                    count = UNKNOWN
            if isinstance(count, bool) or not isinstance(count, (int, float)):
                return [(None, {"count": {"index": UNKNOWN}})]
            if count <= 0:
                return []
            if count > MAX_INSTANCES:
                return [(None, {"count": {"index": UNKNOWN}})]
            return [(i, {"count": {"index": i}}) for i in range(int(count))]
        if each_attr is not None:
            items = scope.value(each_attr.expr)
            if isinstance(items, dict):
                if not items:
                    return []
                if len(items) <= MAX_INSTANCES:
                    return [(k, {"each": {"key": k, "value": items[k]}}) for k in sorted(items)]
            elif isinstance(items, list) and UNKNOWN not in items:
                if not items:
                    return []
                if len(items) <= MAX_INSTANCES and all(isinstance(i, str) for i in items):
                    keys = sorted(set(items))
                    return [(k, {"each": {"key": k, "value": k}}) for k in keys]
            return [(None, {"each": {"key": UNKNOWN, "value": UNKNOWN}})]
        return [(None, {})]

    def _body(self, block: Block, scope: Scope, skip: frozenset[str], depth: int = 0) -> Body:
        attributes: dict[str, Value] = {}
        for attr in block.attributes:
            if attr.name in skip:
                continue
            value = scope.value(attr.expr)
            where = scope.origin(attr.expr, value=value, name=attr.name) or Where.of(
                block.path, attr.expr.pos
            )
            encoded = None
            expr = attr.expr
            if isinstance(expr, Call) and expr.name == "jsonencode" and len(expr.args) == 1:
                encoded = scope.value(expr.args[0])
            attributes[attr.name] = Value(value, where, Where.of(block.path, attr.pos), encoded)
        nested: dict[str, list[Body | Where]] = {}
        for child in block.blocks:
            if depth > MAX_MODULE_DEPTH * 4:
                break
            if child.type == "dynamic" and child.labels:
                nested.setdefault(child.labels[0], []).extend(self._dynamic(child, scope, depth))
            else:
                nested.setdefault(child.type, []).append(
                    self._body(child, scope, frozenset(), depth + 1)
                )
        return Body(
            Where.of(block.path, block.pos),
            attributes,
            {k: tuple(v) for k, v in nested.items()},
        )

    def _dynamic(self, block: Block, scope: Scope, depth: int) -> list[Body | Where]:
        header = Where.of(block.path, block.pos)
        content = next((b for b in block.blocks if b.type == "content"), None)
        each_attr = block.attribute("for_each")
        if content is None or each_attr is None:
            return [header]
        iterator = block.labels[0]
        named = block.attribute("iterator")
        if named is not None and isinstance(named.expr, Var):
            iterator = named.expr.name
        items = scope.value(each_attr.expr)
        if isinstance(items, dict):
            pairs: list[tuple[Any, Any]] = [(k, items[k]) for k in sorted(items)]
        elif isinstance(items, list) and len(items) <= MAX_INSTANCES:
            pairs = list(enumerate(items))
        else:
            return [header]
        out: list[Body | Where] = []
        for key, value in pairs[:MAX_INSTANCES]:
            inner = scope.with_bound(**{iterator: {"key": key, "value": value}})
            body = self._body(content, inner, frozenset(), depth + 1)
            out.append(Body(header, body.attributes, body.blocks))
        return out


def _empty_scope(directory: str) -> Scope:
    return Scope(directory, "", {}, {}, {})


def _literal(attr: Attribute | None) -> Any:
    if attr is None or isinstance(attr.expr, Opaque):
        return None
    return _empty_scope("").value(attr.expr)


def _key(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return '["' + str(key).replace('"', '\\"') + '"]'


def _refs(block: Block) -> dict[str, tuple[tuple[str, ...], ...]]:
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for attr in block.attributes:
        found = cached_references(attr.expr)
        if found:
            out[attr.name] = found
    return out
