"""Merged pull requests as change evidence: a `gh pr list --state merged --json ...` dump (a
JSON array), anywhere under the evidence directory, recognised by content. Its documents carry
a typed population (`Document.data`) that the change-management detector reads; no node tree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.registry import Candidate, Format, Target
from soc2lint.model import Artifact, Document, ParsedArtifact

_SNIFF = 4096


def _is_dump(candidate: Candidate) -> bool:
    if not (
        candidate.name.endswith(".json") and candidate.path.startswith(candidate.evidence_dir + "/")
    ):
        return False
    from soc2lint.changes.ghdump import looks_like_dump

    try:
        with open(os.path.join(candidate.root, candidate.path), "rb") as handle:
            head = handle.read(_SNIFF).decode("utf-8", "replace")
    except OSError:
        return False
    return looks_like_dump(head)


def parse_dump(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.changes.ghdump import read_dump
    from soc2lint.changes.model import Population

    try:
        changes, with_commits = read_dump(text)
    except (ValueError, RecursionError) as exc:
        return ParsedArtifact(artifact, text, error=f"invalid JSON: {exc}")
    population = Population(changes, _protection(Path(artifact.abspath)), with_commits)
    start = nodes.mark(0, 0, 0)
    document = Document(0, nodes.mapping([], start, start), "", text, data=population)
    return ParsedArtifact(artifact, text, (document,))


def _protection(dump: Path) -> dict[str, Any]:
    """Required checks and approvals per branch, from the settings exports of the repository
    the dump sits in (`.soc2/github/O/R/changes/gh-pr-list.json` -> `.soc2/github/O/R/`)."""
    from soc2lint.changes.model import Protection

    repo = dump.parent.parent if dump.parent.name == "changes" else dump.parent
    out: dict[str, Any] = {}
    for path in sorted(repo.glob("branches/**/protection.json")):
        branch = path.parent.relative_to(repo / "branches").as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or "url" not in data and "required_status_checks" not in data:
            continue  # `404 Branch not protected`, or no protection payload
        checks = data.get("required_status_checks")
        names: tuple[str, ...] | None = None
        if isinstance(checks, dict):
            found = [str(c) for c in checks.get("contexts") or ()]
            found += [
                str(c.get("context")) for c in checks.get("checks") or () if isinstance(c, dict)
            ]
            names = tuple(sorted(set(found)))
        reviews = data.get("required_pull_request_reviews")
        approvals = (
            reviews.get("required_approving_review_count") if isinstance(reviews, dict) else None
        )
        out[branch] = Protection(
            names if names is not None else (), approvals if isinstance(approvals, int) else None
        )
    return out


FORMATS = (
    Format(
        "pull-requests",
        "Merged pull requests exported with gh pr list (a JSON array)",
        _is_dump,
        parse_dump,
        as_text=False,
        max_size=1 << 30,  # 10,000 pull requests export to about 30 MB
        absent=(
            "change-management controls (CM rules) not evaluated: no merged pull requests under "
            "the evidence directory; export them with `gh pr list --state merged --limit 100000 "
            "--json number,url,title,body,author,mergedBy,mergedAt,createdAt,baseRefName,"
            "headRefName,headRefOid,mergeCommit,additions,deletions,labels,reviews,"
            "statusCheckRollup,closingIssuesReferences "
            "> .soc2/github/OWNER/REPO/changes/gh-pr-list.json`"
        ),
    ),
)

TARGETS = {
    "pull-requests": Target(
        "Merged pull requests: a `gh pr list --state merged --json ...` dump under the evidence "
        "directory",
        frozenset({"pull-requests"}),
        ".soc2/github/acme/shop/changes/gh-pr-list.json",
    ),
}
