"""The evaluated value model: plain Python values and one sentinel.

A Terraform value is `dict` (objects and maps), `list` (tuples, lists and sets), `str`, `int`,
`float`, `bool`, `None` (null) or `UNKNOWN`, which stands for anything soc2lint cannot know
statically (a variable without a value, `data.*`, an attribute the provider computes, a
registry module's output, a function it does not model). A container may hold UNKNOWN inside.
"""

from __future__ import annotations

from typing import Any


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value: test `value is UNKNOWN`")

    def __reduce__(self) -> str:
        return "UNKNOWN"  # pickles as the module-level singleton


UNKNOWN: Any = _Unknown()


class EvalError(Exception):
    """A definite error (a missing key of a known object, a type error between known values):
    `try()` moves on to its next argument; elsewhere the value is unknown."""


def has_unknown(value: Any, limit: int = 100_000) -> bool:
    """Whether UNKNOWN is the value or anywhere inside it."""
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if item is UNKNOWN or seen > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def type_name(value: Any) -> str:
    if value is UNKNOWN:
        return "unknown"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def to_string(value: Any) -> str:
    """How a primitive is interpolated into a string; raises EvalError for the others."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    raise EvalError(f"cannot convert {type_name(value)} to string")


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("cannot convert bool to number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError as exc:
                raise EvalError(f"cannot convert {value!r} to number") from exc
    raise EvalError(f"cannot convert {type_name(value)} to number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise EvalError(f"cannot convert {type_name(value)} to bool")


def equal(a: Any, b: Any) -> bool:
    """Terraform's `==`: type-strict (1 is not "1"), numbers by value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)
