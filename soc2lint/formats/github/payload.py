"""A recognised evidence file, the collector's manifest entry for it, and the node readers the
recogniser and the assembler share."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from soc2lint.formats import nodes
from soc2lint.formats.github.schema import ENDPOINTS

# the kinds whose 404 answer is evidence too (`404 Branch not protected`)
_NOT_FOUND_IS_EVIDENCE = frozenset(e.kind for e in ENDPOINTS if e.not_found)


@dataclass(frozen=True)
class ManifestEntry:
    endpoint: str
    status: int
    # the collector's verdict (`evidence: false`), or, in a manifest without one, any status but
    # 200 (and the `404 Branch not protected` answer of the protection endpoint)
    failed: bool | None = None
    node: nodes.Node | None = field(default=None, compare=False)  # the entry in manifest.json

    def is_failure(self, kind: str) -> bool:
        if self.failed is not None:
            return self.failed
        return self.status != 200 and not (self.status == 404 and kind in _NOT_FOUND_IS_EVIDENCE)


@dataclass
class Payload:
    """One recognised evidence file."""

    path: str  # relative to the scan root
    kind: str
    root: nodes.Node
    status: int = 200
    endpoint: str = ""
    owner: str = ""
    repo: str = ""  # "owner/name" where it belongs to a repository
    branch: str = ""


def text(node: nodes.Node | None) -> str:
    return node.value if isinstance(node, nodes.ScalarNode) else ""


def field_of(node: nodes.Node, key: str) -> nodes.Node | None:
    hit = nodes.get(node, key)
    return hit[1] if hit else None


def strings(node: nodes.Node | None) -> list[str]:
    if isinstance(node, nodes.SequenceNode):
        return [c.value for c in node.value if isinstance(c, nodes.ScalarNode)]
    return []


def items(node: nodes.Node | None) -> list[nodes.Node]:
    return list(node.value) if isinstance(node, nodes.SequenceNode) else []


def manifest_entries(root: nodes.Node, base: str) -> dict[str, ManifestEntry]:
    """The files a collector's manifest.json lists (paths relative to the scan root)."""
    out = {}
    files = field_of(root, "files")
    for item in files.value if isinstance(files, nodes.SequenceNode) else []:
        path = text(field_of(item, "path"))
        status = text(field_of(item, "status"))
        flag = field_of(item, "evidence")
        said = nodes.scalar_value(flag) if isinstance(flag, nodes.ScalarNode) else None
        failed = (not said) if isinstance(said, bool) else None
        if path:
            out[posixpath.normpath(posixpath.join(base, path))] = ManifestEntry(
                text(field_of(item, "endpoint")),
                int(status) if status.isdigit() else 200,
                failed,
                item,
            )
    return out
