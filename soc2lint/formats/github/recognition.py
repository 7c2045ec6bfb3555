"""What an evidence file is: its payload kind (from the manifest's endpoint, else its content,
last its file name), and which repository, organisation and branch it belongs to."""

from __future__ import annotations

import re
from urllib.parse import unquote

from soc2lint.formats import nodes
from soc2lint.formats.github.payload import ManifestEntry, Payload, field_of, text
from soc2lint.formats.github.schema import (
    ERROR,
    LIST_SHAPES,
    MAPPING_SHAPES,
    ORG,
    REPO,
    RULESET,
    Key,
    endpoint_of,
    named,
)


def recognise(root: nodes.Node, path: str, entry: ManifestEntry | None) -> str | None:
    """The payload kind of a parsed evidence file, or None when it is not one soc2lint knows."""
    row = endpoint_of(entry.endpoint) if entry is not None else None
    if entry is not None and row is not None:
        # only a 200 answer with the expected JSON is evidence: a redirect's or an error
        # page's body is not the settings, however it parses
        if entry.status == 404 and row.not_found and not entry.failed:
            return row.not_found
        return ERROR if entry.is_failure(row.kind) else row.kind
    if isinstance(root, nodes.MappingNode):
        return next(
            (
                s.kind
                for s in MAPPING_SHAPES
                if any(all(_holds(root, k) for k in keys) for keys in s.alternatives)
            ),
            None,
        )
    if isinstance(root, nodes.SequenceNode):
        return _list_kind(root, path)
    return None


def _holds(root: nodes.Node, key: Key) -> bool:
    if key.equals is not None:
        return text(field_of(root, key.name)) == key.equals
    if key.contains is not None:
        return key.contains in text(field_of(root, key.name))
    return bool(nodes.get(root, key.name))


def _list_kind(root: nodes.SequenceNode, path: str) -> str | None:
    row = named(path)
    if not root.value:  # an empty list says nothing by itself: only its name does
        return row.kind if row else None
    for shape in LIST_SHAPES:
        if all(
            isinstance(i, nodes.MappingNode) and all(nodes.get(i, k) for k in shape.keys)
            for i in root.value
        ):
            # lists alike (collaborators, members): the name tells which one
            return row.kind if row is not None and row.looks_like == shape.kind else shape.kind
    return None


# --------------------------------------------------------------------------- ownership

_REPO_URL = re.compile(r"/repos/([^/]+)/([^/]+)(?:/branches/([^?#]+?)/protection)?(?:/|$)")
_ORG_URL = re.compile(r"/orgs/([^/?]+)")
_LAYOUT = re.compile(r"(?:^|/)github/([^/]+)/(?:([^/]+)/)?")
_BRANCH_FILE = re.compile(r"(?:^|/)branches/(.+)/(?:protection|rules)\.json$")


def owner_repo(payload: Payload, endpoint: str) -> None:
    """Fill owner, repo and branch: from the endpoint the collector requested (authoritative),
    else from the content (URLs, `full_name`, `login`), else from the collector's layout."""
    root = payload.root
    if isinstance(root, nodes.MappingNode) and not endpoint and payload.kind in (REPO, ORG):
        if payload.kind == REPO:
            payload.repo = text(field_of(root, "full_name"))
            payload.owner = payload.repo.split("/")[0]
        else:
            payload.owner = text(field_of(root, "login"))
        return
    _from_urls(payload, _candidates(payload, endpoint))
    if not payload.repo and not payload.owner:
        _from_layout(payload)
    if payload.repo and not payload.owner:
        payload.owner = payload.repo.split("/")[0]
    if not payload.branch:
        m = _BRANCH_FILE.search(payload.path)
        if m:
            payload.branch = m.group(1)


def _candidates(payload: Payload, endpoint: str) -> list[str]:
    """The texts naming where a payload belongs, the most authoritative first (and a repository
    ruleset's `source`, which names its repository outright)."""
    root = payload.root
    candidates = [endpoint] if endpoint else []
    if isinstance(root, nodes.MappingNode):
        if payload.kind == REPO:
            candidates.append("/repos/" + text(field_of(root, "full_name")) + "/")
        candidates.append(text(field_of(root, "url")))
        if payload.kind == RULESET and text(field_of(root, "source_type")) == "Repository":
            payload.repo = text(field_of(root, "source"))
    return candidates


def _from_urls(payload: Payload, candidates: list[str]) -> None:
    for candidate in candidates:
        m = _REPO_URL.search(candidate)
        if m:
            payload.repo = payload.repo or f"{m.group(1)}/{m.group(2)}"
            # the API's URLs percent-encode a branch's slashes (`release%2F1.x`)
            payload.branch = payload.branch or unquote(m.group(3) or "")
            return
        m = _ORG_URL.search(candidate)
        if m:
            payload.owner = m.group(1)
            return


def _from_layout(payload: Payload) -> None:
    m = _LAYOUT.search(payload.path)
    if m:
        payload.owner = m.group(1)
        # github/OWNER/rulesets/ID.json: the organisation's rulesets, not a repository's
        if m.group(2) and not m.group(2).endswith(".json") and m.group(2) != "rulesets":
            payload.repo = f"{m.group(1)}/{m.group(2)}"
