"""Who has access, from the collected GitHub exports under the evidence directory: org members
(`github/O/members.json`, a `gh api --paginate orgs/O/members` export), org admins
(`members-admin.json`, collected), teams (`github/O/teams.json`, `gh api --paginate
orgs/O/teams`), outside collaborators (`github/O/R/collaborators-outside.json`) and repository
admins (`collaborators-all.json` entries with admin permission). Each export carries its sha256
and, from the collection's manifest, when it was collected."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# file name -> (kind, whether the file sits in a repository directory)
FILES = {
    "members.json": ("org-member", False),
    "members-admin.json": ("org-admin", False),
    "teams.json": ("team", False),
    "collaborators-outside.json": ("outside-collaborator", True),
    "collaborators-all.json": ("repo-admin", True),
}
# most privileged first: an identity's entry is of its first kind
KIND_ORDER = ("org-admin", "repo-admin", "outside-collaborator", "team", "org-member")


@dataclass(frozen=True)
class Export:
    path: str  # relative to the scan root, `/`-separated
    kind: str
    scope: str  # the organisation, or OWNER/REPO
    sha256: str
    collected_at: str | None  # from the manifest; None when it does not list the file
    identities: tuple[tuple[str, str], ...]  # (identity, access)


def _identities(kind: str, owner: str, data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, list):
        return []
    out = []
    for item in data:
        if not isinstance(item, dict):
            continue
        if kind == "team":
            slug = item.get("slug")
            if isinstance(slug, str) and slug:
                out.append((f"{owner}/{slug}", str(item.get("permission") or "team")))
            continue
        login = item.get("login")
        if not isinstance(login, str) or not login:
            continue
        permissions = item.get("permissions") if isinstance(item.get("permissions"), dict) else {}
        role = item.get("role_name")
        if kind == "repo-admin":
            if role == "admin" or (permissions or {}).get("admin") is True:
                out.append((login, "admin"))
        elif kind == "outside-collaborator":
            top = next(
                (
                    p
                    for p in ("admin", "maintain", "push", "triage", "pull")
                    if (permissions or {}).get(p)
                ),
                "",
            )
            out.append((login, str(role or top or "collaborator")))
        else:
            out.append((login, "admin" if kind == "org-admin" else "member"))
    return out


def _manifest_times(evidence: Path) -> dict[str, str]:
    """Export path (relative to the evidence directory) -> collected_at, from manifest.json."""
    try:
        data = json.loads((evidence / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    out = {}
    for entry in files if isinstance(files, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            at = entry.get("collected_at")
            if isinstance(at, str) and entry.get("status") in (200, None):
                out[entry["path"]] = at
    return out


def latest(root: Path, evidence_dir: str = ".soc2") -> list[Export]:
    """The exports present now (the latest collection: the collector replaces them), in path
    order. Files that are not JSON lists are left out."""
    evidence = root / evidence_dir
    github = evidence / "github"
    if not github.is_dir():
        return []
    times = _manifest_times(evidence)
    out = []
    for path in sorted(github.rglob("*.json")):
        if path.name not in FILES or path.is_symlink():
            continue
        kind, in_repo = FILES[path.name]
        rel = path.relative_to(github).parts
        if len(rel) != (3 if in_repo else 2):
            continue
        try:
            raw = path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        scope = "/".join(rel[:-1])
        found = _identities(kind, rel[0], data)
        if not isinstance(data, list):
            continue
        inside = path.relative_to(evidence).as_posix()
        out.append(
            Export(
                path.relative_to(root).as_posix(),
                kind,
                scope,
                hashlib.sha256(raw).hexdigest(),
                times.get(inside),
                tuple(found),
            )
        )
    return out
