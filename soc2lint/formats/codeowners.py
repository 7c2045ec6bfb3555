"""CODEOWNERS -> a document of its entries, each node placed at its text in the file.

    entries: [{pattern: "/.github/workflows/", owners: ["@acme/platform"]}, ...]
    errors:  [{problem: "owner 'acme' is not @user, @org/team or an email", at: "acme"}, ...]

GitHub's syntax: `pattern owner...` per line, `#` comments, gitignore-style patterns (no `!`,
no `[...]` ranges, `\\#` for a literal leading `#`); owners are `@user`, `@org/team` or an email.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from soc2lint.formats import nodes
from soc2lint.formats.registry import Candidate, Format, Target
from soc2lint.model import Artifact, Document, ParsedArtifact

NAMES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
_OWNER = re.compile(
    r"^(@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$"
)
_TOKEN = re.compile(r"(?:\\.|\S)+")


def _scalar(text: str, line: int, column: int, index: int) -> nodes.ScalarNode:
    start = nodes.mark(line, column, index)
    end = nodes.mark(line, column + len(text), index + len(text))
    return nodes.scalar(text, start, end)


def _mapping(pairs: list[tuple[str, nodes.Node]], at: nodes.Node) -> nodes.MappingNode:
    value: list[tuple[nodes.Node, nodes.Node]] = [
        (nodes.scalar(k, v.start_mark, v.end_mark, style=None), v) for k, v in pairs
    ]
    return nodes.mapping(value, at.start_mark, at.end_mark)


def _sequence(items: Sequence[nodes.Node], at: nodes.Mark) -> nodes.SequenceNode:
    return nodes.sequence(list(items), at, at)


def parse_codeowners(artifact: Artifact, text: str) -> ParsedArtifact:
    entries: list[nodes.Node] = []
    errors: list[nodes.Node] = []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        body = line.rstrip("\r\n")
        tokens = []
        for m in _TOKEN.finditer(body):
            if m.group(0).startswith("#"):
                break  # the rest of the line is a comment
            tokens.append((m.group(0), m.start()))
        if tokens:
            (pattern, col), owners = tokens[0], tokens[1:]
            node = _scalar(pattern, number, col, offset + col)
            owner_nodes = [_scalar(o, number, c, offset + c) for o, c in owners]
            entries.append(
                _mapping(
                    [("pattern", node), ("owners", _sequence(owner_nodes, node.start_mark))], node
                )
            )
            problems = []
            if pattern.startswith("!"):
                problems.append(
                    (node, f"negated pattern '{pattern}' is not supported by CODEOWNERS")
                )
            if "[" in pattern and "]" in pattern:
                problems.append(
                    (node, f"character range in '{pattern}' is not supported by CODEOWNERS")
                )
            for owner in owner_nodes:
                if not _OWNER.match(owner.value):
                    problems.append(
                        (owner, f"owner '{owner.value}' is not @user, @org/team or an email")
                    )
            for at, problem in problems:
                errors.append(
                    _mapping(
                        [
                            (
                                "problem",
                                _scalar(
                                    problem,
                                    at.start_mark.line,
                                    at.start_mark.column,
                                    at.start_mark.index,
                                ),
                            ),
                            ("at", at),
                        ],
                        at,
                    )
                )
        offset += len(line)
    start = nodes.mark(0, 0, 0)
    anchor = _scalar("", 0, 0, 0)
    root = _mapping(
        [("entries", _sequence(entries, start)), ("errors", _sequence(errors, start))], anchor
    )
    return ParsedArtifact(artifact, text, (Document(0, root, "", text),))


def owners_of(entries: list[tuple[str, list[str]]], path: str) -> list[str] | None:
    """The owners of `path` (`/`-separated, relative to the root): the last matching entry wins;
    None when no entry matches."""
    result = None
    for pattern, owners in entries:
        if pattern_matches(pattern, path):
            result = owners
    return result


def pattern_matches(pattern: str, path: str) -> bool:
    """gitignore-style matching as CODEOWNERS applies it, for a file or directory path."""
    pat = pattern.replace("\\#", "#")
    anchored = pat.startswith("/") or "/" in pat.rstrip("/")
    directory = pat.endswith("/")
    pat = pat.strip("/")
    if pat in ("*", "**"):
        return True
    out = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("/**", i) and i + 3 == len(pat):
            out.append("/.*")
            i += 3
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # a pattern names a file or a directory (then everything below it); unlike .gitignore, a
    # wildcard last segment matches one level only (`docs/*` owns docs/a.md, not docs/x/b.md)
    last = pat.rsplit("/", 1)[-1]
    suffix = "/.*" if directory else "" if ("*" in last or "?" in last) else "(?:/.*)?"
    return re.match(f"^{prefix}{body}{suffix}$", path.strip("/")) is not None


def _is_codeowners(candidate: Candidate) -> bool:
    return candidate.path in NAMES


# GitHub reads the first of .github/, the root and docs/ (which is their path order): the others
# are no CODEOWNERS at all. Read with the GitHub settings, whose repository document refers to it.
FORMATS = (
    Format("codeowners", "The CODEOWNERS file", _is_codeowners, parse_codeowners, first_only=True),
)

TARGETS = {
    "codeowners": Target(
        "The CODEOWNERS file (root, .github/ or docs/), as entries of pattern and owners",
        frozenset({"codeowners"}),
        ".github/CODEOWNERS",
    ),
}
