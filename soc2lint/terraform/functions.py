"""The Terraform functions the evaluator models, on evaluated values (values.py).

Each takes the evaluated arguments and returns a value, UNKNOWN when an argument it needs is
unknown, or raises EvalError for a definite error. `try`, `can` and `coalesce` are special forms
(they look at their arguments one by one) and live in evaluate.py. A function not listed here
evaluates to UNKNOWN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from soc2lint.terraform.values import (
    UNKNOWN,
    EvalError,
    has_unknown,
    to_bool,
    to_number,
    to_string,
    type_name,
)

MAX_ITEMS = 100_000  # a function building more than this is not evaluated


def _known(*args: Any) -> bool:
    return not any(a is UNKNOWN for a in args)


def _lookup(args: list[Any]) -> Any:
    if len(args) not in (2, 3):
        raise EvalError("lookup takes 2 or 3 arguments")
    table, key = args[0], args[1]
    if table is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if not isinstance(table, dict):
        raise EvalError("lookup needs a map")
    key = to_string(key)
    if key in table:
        return table[key]
    if len(args) == 3:
        return args[2]
    raise EvalError(f"lookup: no key {key!r}")


def _merge(args: list[Any]) -> Any:
    out: dict[str, Any] = {}
    for arg in args:
        if arg is UNKNOWN:
            return UNKNOWN
        if arg is None:
            continue
        if not isinstance(arg, dict):
            raise EvalError("merge takes maps or objects")
        out.update(arg)
    return out


def _concat(args: list[Any]) -> Any:
    out: list[Any] = []
    for arg in args:
        if arg is UNKNOWN:
            return UNKNOWN
        if not isinstance(arg, list):
            raise EvalError("concat takes lists")
        out.extend(arg)
    return out


def _length(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise EvalError(f"length of {type_name(value)}")


def _contains(args: list[Any]) -> Any:
    items, value = _n(args, 2)
    if items is UNKNOWN or value is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list):
        raise EvalError("contains needs a list")
    if value in items:
        return True
    return UNKNOWN if any(i is UNKNOWN for i in items) else False


def _n(args: list[Any], count: int) -> list[Any]:
    if len(args) != count:
        raise EvalError(f"expected {count} arguments")
    return args


def _unary(fn: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        (value,) = _n(args, 1)
        if value is UNKNOWN:
            return UNKNOWN
        if value is None:
            return None
        return fn(value)

    return call


def _jsonencode(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if has_unknown(value):
        return UNKNOWN
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _jsondecode(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, str):
        raise EvalError("jsondecode needs a string")
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise EvalError("invalid JSON") from exc


def _format(args: list[Any]) -> Any:
    if not args:
        raise EvalError("format needs a format string")
    if has_unknown(args):
        return UNKNOWN
    spec, rest = args[0], list(args[1:])
    if not isinstance(spec, str):
        raise EvalError("format needs a string")

    def one(m: re.Match[str]) -> str:
        verb = m.group(1)
        if verb == "%":
            return "%"
        if not rest:
            raise EvalError("format: too few arguments")
        value = rest.pop(0)
        if verb == "q":
            return json.dumps(to_string(value))
        if verb == "d":
            return str(int(to_number(value)))
        if verb in ("s", "v"):
            return to_string(value) if not isinstance(value, (list, dict)) else json.dumps(value)
        raise EvalError(f"format verb %{verb} not modelled")

    try:
        return re.sub(r"%([%a-z])", one, spec)
    except EvalError:
        return UNKNOWN


def _toset(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, list):
        raise EvalError("toset needs a list")
    out: list[Any] = []
    for item in value:
        if item not in out:
            out.append(item)
    if all(isinstance(i, str) for i in out):
        out.sort()
    return out


def _tolist(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN or isinstance(value, list):
        return value
    raise EvalError("tolist needs a list")


def _tomap(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN or isinstance(value, dict):
        return value
    raise EvalError("tomap needs a map")


def _keys(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise EvalError("keys needs a map")
    return sorted(value)


def _values(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise EvalError("values needs a map")
    return [value[k] for k in sorted(value)]


def _flatten(args: list[Any]) -> Any:
    (value,) = _n(args, 1)
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, list):
        raise EvalError("flatten needs a list")
    out: list[Any] = []
    stack = [iter(value)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif item is UNKNOWN:
            return UNKNOWN
        elif isinstance(item, list):
            if len(stack) > 100:
                raise EvalError("flatten: nested too deep")
            stack.append(iter(item))
        else:
            out.append(item)
            if len(out) > MAX_ITEMS:
                return UNKNOWN
    return out


_END = object()


def _element(args: list[Any]) -> Any:
    items, index = _n(args, 2)
    if items is UNKNOWN or index is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list) or not items:
        raise EvalError("element needs a non-empty list")
    return items[int(to_number(index)) % len(items)]


def _join(args: list[Any]) -> Any:
    sep, items = _n(args, 2)
    if sep is UNKNOWN or items is UNKNOWN or (isinstance(items, list) and UNKNOWN in items):
        return UNKNOWN
    if not isinstance(items, list):
        raise EvalError("join needs a list")
    return to_string(sep).join(to_string(i) for i in items)


def _split(args: list[Any]) -> Any:
    sep, text = _n(args, 2)
    if not _known(sep, text):
        return UNKNOWN
    return to_string(text).split(to_string(sep))


def _replace(args: list[Any]) -> Any:
    text, old, new = _n(args, 3)
    if not _known(text, old, new):
        return UNKNOWN
    old = to_string(old)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        return UNKNOWN  # a regular expression: not modelled
    return to_string(text).replace(old, to_string(new))


def _minmax(pick: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        if not args:
            raise EvalError("needs arguments")
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        return pick(to_number(a) for a in args)

    return call


def _compact(args: list[Any]) -> Any:
    (items,) = _n(args, 1)
    if items is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list):
        raise EvalError("compact needs a list")
    if UNKNOWN in items:
        return UNKNOWN
    return [i for i in items if i not in (None, "")]


def _distinct(args: list[Any]) -> Any:
    (items,) = _n(args, 1)
    if items is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list):
        raise EvalError("distinct needs a list")
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _one(args: list[Any]) -> Any:
    (items,) = _n(args, 1)
    if items is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list) or len(items) > 1:
        raise EvalError("one needs a list of at most one item")
    return items[0] if items else None


def _zipmap(args: list[Any]) -> Any:
    keys, values = _n(args, 2)
    if keys is UNKNOWN or values is UNKNOWN or UNKNOWN in keys:
        return UNKNOWN
    if not isinstance(keys, list) or not isinstance(values, list) or len(keys) != len(values):
        raise EvalError("zipmap needs two lists of the same length")
    return {to_string(k): v for k, v in zip(keys, values, strict=False)}


def _tostring(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        raise EvalError("tostring of a collection")
    return to_string(value)


def _tobool(value: Any) -> Any:
    return to_bool(value)


def _tonumber(value: Any) -> Any:
    return to_number(value)


def _text(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda value: fn(to_string(value))


def _prefix(args: list[Any], ends: bool) -> Any:
    text, part = _n(args, 2)
    if not _known(text, part):
        return UNKNOWN
    text, part = to_string(text), to_string(part)
    return text.endswith(part) if ends else text.startswith(part)


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "lookup": _lookup,
    "merge": _merge,
    "concat": _concat,
    "length": _length,
    "contains": _contains,
    "tobool": _unary(_tobool),
    "tostring": _unary(_tostring),
    "tonumber": _unary(_tonumber),
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "lower": _unary(_text(str.lower)),
    "upper": _unary(_text(str.upper)),
    "trimspace": _unary(_text(str.strip)),
    "format": _format,
    "toset": _toset,
    "tolist": _tolist,
    "tomap": _tomap,
    "keys": _keys,
    "values": _values,
    "flatten": _flatten,
    "element": _element,
    "join": _join,
    "split": _split,
    "replace": _replace,
    "min": _minmax(min),
    "max": _minmax(max),
    "abs": _unary(lambda v: abs(to_number(v))),
    "compact": _compact,
    "distinct": _distinct,
    "one": _one,
    "zipmap": _zipmap,
    "startswith": lambda args: _prefix(args, False),
    "endswith": lambda args: _prefix(args, True),
}
