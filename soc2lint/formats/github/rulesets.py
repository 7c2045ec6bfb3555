"""Whether a ruleset covers a branch (`conditions.ref_name`) and takes in a repository (an
organisation ruleset's repository conditions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from soc2lint.formats import nodes
from soc2lint.formats.github.payload import field_of, items, strings, text

UNKNOWN = None  # whether a ruleset targets a repository cannot be told from the evidence


def _ref_matches(patterns: Iterable[str], branch: str, default: str) -> bool:
    ref = f"refs/heads/{branch}"
    for pattern in patterns:
        if pattern in ("~ALL",) or (pattern == "~DEFAULT_BRANCH" and branch == default):
            return True
        if fnmatchcase(ref, pattern) or fnmatchcase(branch, pattern):
            return True
    return False


def ruleset_applies(ruleset: nodes.Node, branch: str, default: str) -> bool:
    """A branch ruleset whose `conditions.ref_name` covers `branch`."""
    if text(field_of(ruleset, "target")) not in ("", "branch"):
        return False
    ref_name = field_of(field_of(ruleset, "conditions") or ruleset, "ref_name")
    if ref_name is None:
        return text(field_of(ruleset, "source_type")) == "Repository"  # no condition: every branch
    include = strings(field_of(ref_name, "include"))
    exclude = strings(field_of(ref_name, "exclude"))
    return _ref_matches(include, branch, default) and not _ref_matches(exclude, branch, default)


def ruleset_targets(
    ruleset: nodes.Node, repository: nodes.Node, properties: Mapping[str, list[str]] | None = None
) -> bool | None:
    """Whether an (organisation) ruleset's repository conditions take in `repository` (the
    `GET /repos/O/R` object): True, False, or None (UNKNOWN) when they depend on something not
    exported (custom properties without `properties`, or a repository without its `id`).

    `repository_name`: `include`/`exclude` fnmatch patterns on the name, `~ALL` for every
    repository (`protected` only stops renames from escaping the ruleset: it selects nothing).
    `repository_id`: `repository_ids`. `repository_property`: `include`/`exclude` lists of
    `{name, property_values}`. A ruleset without any of them (a repository's own) takes it in.
    """
    conditions = field_of(ruleset, "conditions")
    if conditions is None:
        return True
    verdicts: list[bool | None] = []
    by_name = field_of(conditions, "repository_name")
    if by_name is not None:
        verdicts.append(_by_name(by_name, repository))
    by_id = field_of(conditions, "repository_id")
    if by_id is not None:
        repo_id = text(field_of(repository, "id"))
        ids = set(strings(field_of(by_id, "repository_ids")))
        verdicts.append(UNKNOWN if not repo_id else repo_id in ids)
    by_property = field_of(conditions, "repository_property")
    if by_property is not None:
        verdicts.append(UNKNOWN if properties is None else _by_property(by_property, properties))
    if False in verdicts:
        return False
    return UNKNOWN if UNKNOWN in verdicts else True


def _by_name(condition: nodes.Node, repository: nodes.Node) -> bool:
    name = (
        text(field_of(repository, "name"))
        or text(field_of(repository, "full_name")).rpartition("/")[2]
    ).lower()

    def matches(patterns: list[str]) -> bool:
        return any(p == "~ALL" or fnmatchcase(name, p.lower()) for p in patterns)

    return matches(strings(field_of(condition, "include"))) and not matches(
        strings(field_of(condition, "exclude"))
    )


def _by_property(condition: nodes.Node, properties: Mapping[str, list[str]]) -> bool:
    def holds(item: nodes.Node) -> bool:
        values = properties.get(text(field_of(item, "name")), [])
        return any(v in values for v in strings(field_of(item, "property_values")))

    include = items(field_of(condition, "include"))
    exclude = items(field_of(condition, "exclude"))
    return all(holds(i) for i in include) and not any(holds(e) for e in exclude)
