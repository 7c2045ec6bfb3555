"""Whether detect-secrets' YAML/INI transformers could find in a config file a secret that
its lines do not show, so that they (a pure-Python YAML load per file) run only where they can.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from soc2lint.secrets.lines import NOT_CREDENTIALS, engine
from soc2lint.secrets.patterns import necessary_literals, requires_quote

# Files whose keyword scan (detect-secrets' file type) accepts unquoted values: for them the
# transformers cannot reveal a keyword secret that the lines do not show.
_UNQUOTED_KEYWORDS = (".yaml", ".yml", ".ini", ".cfg", ".conf", ".cnf", ".properties", ".toml")
# A line as the transformers render it: `key: value  # note` as `key: "value"`, a list item
# or a block scalar's line as `"value"`.
_RENDERED = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?:([^\s:=#\"'][^:=#\n]*?)[ \t]*(?::[ \t]+|=[ \t]*))?"
    r"([\"']?)([^\n]*?)\2(?:[ \t]+#[^\n]*)?[ \t]*$"
)
# What surrounds a whole scalar value on its line: a line's start, `key: `, `key=`, `- `, a
# flow collection's punctuation, and an optional quote; after it, a comment or the line's end.
_VALUE_BEFORE = re.compile(r"(?m)(?:^|:\s|[=,\[{]|(?:^|\s)-\s|^\s)\s*[\"']?$")
# outside YAML the INI transformers split `key:value` too
_VALUE_BEFORE_INI = re.compile(r"(?m)(?:^|[:=,\[{]|(?:^|\s)-\s|^\s)\s*[\"']?$")
_VALUE_AFTER = re.compile(r"[\"']?\s*(?:[,\]}].*|#.*)?$")


def could_reveal(text: str, filename: str) -> bool:
    """Whether detect-secrets' transformers could find in `text` a secret that its lines do not
    show. They render `key: value` as `key: "value"` (block scalars joined), which lets the
    entropy plugins see a bare value and a pattern that needs quotes match. So: does a whole
    scalar value (a maximal run of a plugin's charset, or what follows `=` in one, standing
    where a value stands) pass an entropy plugin's own test, and does a quote-needing pattern
    match more often on rendered lines? Running the transformers is the costly part of a
    config file's scan (a pure-Python YAML load); most manifests hold no value that passes."""
    checks = _reveal_checks()
    if checks is None:
        return True
    keywords, quoting, entropies = checks
    lowered = text.lower()
    # the denylist is case-blind: run on lowered text (when offsets stay the same) as a
    # case-sensitive pattern, which is ten times faster than re.I
    haystack = lowered
    if keywords is not None and len(lowered) != len(text):
        keywords, haystack = re.compile(keywords.pattern, re.I), text
    if keywords is not None and keywords.search(haystack):
        if not filename.lower().endswith(_UNQUOTED_KEYWORDS):
            return True  # eager parsing quotes `KEY=value`, which a keyword pattern may need
        for m in keywords.finditer(haystack):
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            end = len(text) if end < 0 else end
            if _VALUELESS.match(text, m.end(), end) and _value_below(text, start, end):
                return True  # a block scalar or continued value the transformers join into one
    before = _VALUE_BEFORE if filename.lower().endswith((".yaml", ".yml")) else _VALUE_BEFORE_INI
    for run, shortest, plugin in entropies:
        for m in run.finditer(text):
            # n distinct symbols carry at most log2(n) bits: a cheap bound before the rest
            if len(set(m.group())) < shortest:
                continue
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            if not _VALUE_AFTER.match(text, m.end(), end if end >= 0 else len(text)):
                continue
            value = m.group()
            for cut in [-1] + [i for i, ch in enumerate(value) if ch == "="]:
                candidate = value[cut + 1 :]
                if (
                    len(set(candidate)) >= shortest
                    and before.search(text, start, m.start() + cut + 1)
                    and plugin.calculate_shannon_entropy(candidate) > plugin.entropy_limit
                ):
                    return True
    for pattern, literals in quoting:
        # only the lines holding one of the pattern's necessary literals can match it
        nocase = bool(pattern.flags & re.IGNORECASE)
        if literals and not any(lit in (lowered if nocase else text) for lit in literals):
            continue
        haystack = lowered if nocase else text
        for line in _lines_holding(text, haystack, literals) if literals else text.splitlines():
            shown = _RENDERED.match(line)
            if not shown:
                continue
            key, value = shown.group(1), shown.group(3)
            view = f'{key}: "{value}"' if key else f'"{value}"'
            if len(pattern.findall(view)) > len(pattern.findall(line)):
                return True
    return False


# After a secret's name: a `key:`/`key=` line whose value is not on it (none, or a block
# scalar indicator, tag, anchor or alias)
_VALUELESS = re.compile(r"[^\n:=#]*[:=][ \t]*(?:[|>!&*][^\n]*)?(?:#[^\n]*)?$", re.M)
_KEY_OR_ITEM = re.compile(r"[ \t]*(?:-(?:[ \t]|$)|[^\s:=#][^:=#\n]*?[ \t]*(?::(?:[ \t]|$)|=))")


def _value_below(text: str, start: int, end: int) -> bool:
    """Whether a value-less keyword line (text[start:end]) holds a scalar the transformers
    would join: a block scalar, a tag, anchor or alias, or more-indented lines that are neither
    keys nor list items (a mapping below `secretKeyRef:` holds no value of its own)."""
    line = text[start:end]
    if line.split("#", 1)[0].rstrip().endswith(("|", ">", "|-", ">-", "|+", ">+")) or re.search(
        r"[:=][ \t]*[!&*]", line
    ):
        return True
    indent = len(line) - len(line.lstrip())
    for below in text[end : end + 4000].split("\n", 40)[1:40]:
        if not below.strip() or below.lstrip().startswith("#"):
            continue
        deeper = len(below) - len(below.lstrip()) > indent
        return deeper and not _KEY_OR_ITEM.match(below)
    return False


def _lines_holding(text: str, haystack: str, literals: set[str]) -> Iterator[str]:
    """The lines of `text` in which `haystack` (the text, or it lowercased) holds a literal."""
    for lit in literals:
        at = haystack.find(lit)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            yield text[start:end]
            at = haystack.find(lit, end)


@lru_cache(maxsize=1)
def _reveal_checks() -> (
    tuple[
        re.Pattern[str] | None,
        tuple[tuple[re.Pattern[str], set[str] | None], ...],
        tuple[tuple[re.Pattern[str], int, Any], ...],
    ]
    | None
):
    """(keyword denylist, case-sensitive for lowered text; the regex plugins' patterns that
    need quotes, with their necessary literals; (charset run, shortest passing length, plugin)
    per entropy plugin), or None when a plugin of unknown kind makes any text a candidate."""
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.settings import get_plugins

    if engine()[1] is None:
        return None
    entropies = []
    quoting: list[tuple[re.Pattern[str], set[str] | None]] = []
    has_keyword = False
    for plugin in get_plugins():
        if getattr(plugin, "secret_type", None) in NOT_CREDENTIALS:
            continue
        if isinstance(plugin, HighEntropyStringsPlugin):
            charset = (
                re.escape(plugin.charset) if isinstance(plugin.charset, str) else "A-Za-z0-9+/="
            )
            shortest = int(2 ** float(plugin.entropy_limit)) + 1
            entropies.append((re.compile(f"[{charset}]{{{shortest},}}"), shortest, plugin))
        elif isinstance(plugin, RegexBasedDetector):
            quoting.extend((p, necessary_literals(p)) for p in plugin.denylist if requires_quote(p))
        has_keyword = has_keyword or isinstance(plugin, keyword.KeywordDetector)
    return (
        re.compile(keyword.DENYLIST_REGEX) if has_keyword else None,
        tuple(quoting),
        tuple(entropies),
    )
