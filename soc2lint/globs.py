"""Path globs as users write them in config: `*` within a segment, `**` across segments."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """`vendor/**`, `**/*.lock`, `.github/workflows/legacy-*.yml`; a pattern without `/` matches
    a name at any depth (like .gitignore), and a directory pattern matches everything below it."""
    pat = pattern.strip().lstrip("/") if pattern.strip() != "/" else ""
    anchored = "/" in pat.rstrip("/")
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out).rstrip("/")
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}(?:/.*)?$")


def matches(path: str, pattern: str) -> bool:
    return compile_glob(pattern).match(path) is not None
