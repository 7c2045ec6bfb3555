"""What every match of a regular expression must contain, read off its syntax tree.

The secrets prefilter runs a detect-secrets pattern only on lines that hold one of its
necessary literals, and the transformer gate asks whether a pattern needs a quote.
"""

from __future__ import annotations

import re
from typing import Any


def necessary_literals(pattern: re.Pattern[str]) -> set[str] | None:
    """Strings one of which every match of `pattern` contains (lowercased when the pattern
    ignores case), or None when no such set can be read off its syntax tree."""
    try:
        from re import _parser as sre  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_parse as sre
    try:
        tree = sre.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an unusual pattern: no shortcut, it always runs
        return None
    found = _sequence(list(tree), bool(pattern.flags & re.IGNORECASE))
    if not found or any(len(lit) < 2 for lit in found):
        return None
    return found


def _sequence(items: list[Any], nocase: bool) -> set[str] | None:
    """The most selective requirement of a sequence: a run of literals, or one element's."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_constants as c

    best: set[str] | None = None
    run = ""

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if (
            candidate
            and all(len(x) >= 2 for x in candidate)
            and (best is None or min(map(len, candidate)) > min(map(len, best)))
        ):
            best = candidate

    for op, arg in items:
        if op is c.LITERAL:
            run += chr(arg).lower() if nocase else chr(arg)
            continue
        consider({run} if run else None)
        run = ""
        if op is c.SUBPATTERN:
            consider(_sequence(list(arg[-1]), nocase))
        elif op is c.BRANCH:
            alternatives = [_sequence(list(b), nocase) for b in arg[1]]
            if all(alternatives):
                consider(set().union(*alternatives))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            consider(_sequence(list(arg[2]), nocase))
    consider({run} if run else None)
    return best


def requires_quote(pattern: re.Pattern[str]) -> bool:
    """Whether every match of `pattern` holds a quote character (read off its syntax tree):
    only such a pattern can match a rendered `key: "value"` where it missed `key: value`."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as sre  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_constants as c
        import sre_parse as sre
    quotes = {ord('"'), ord("'")}

    def required(items: list[Any]) -> bool:
        for op, arg in items:
            if op is c.LITERAL and arg in quotes:
                return True
            if op is c.IN and arg and all(o is c.LITERAL and a in quotes for o, a in arg):
                return True
            if op is c.SUBPATTERN and required(list(arg[-1])):
                return True
            if op is c.BRANCH and all(required(list(b)) for b in arg[1]):
                return True
            if op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1 and required(list(arg[2])):
                return True
        return False

    try:
        return required(list(sre.parse(pattern.pattern, pattern.flags)))
    except Exception:  # noqa: BLE001 - unreadable: assume it may need quotes
        return True
