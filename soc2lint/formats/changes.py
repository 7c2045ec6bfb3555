"""Merged pull requests as change evidence: a `gh pr list --state merged --json ...` dump (a
JSON array), anywhere under the evidence directory, recognised by content. Its documents carry
a typed population (`Document.data`) that the change-management detector reads; no node tree.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from soc2lint.formats import nodes
from soc2lint.formats.registry import Candidate, Format, Target
from soc2lint.model import Artifact, Document, ParsedArtifact

_SNIFF = 4096
COMMITS_FILE = re.compile(r"^pr-(\d+)-commits\.json$")


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
    if not with_commits:
        changes = _with_commit_files(Path(artifact.abspath).parent, changes)
        with_commits = bool(changes) and all(c.commits is not None for c in changes)
    population = Population(changes, _protection(Path(artifact.abspath)), with_commits)
    start = nodes.mark(0, 0, 0)
    document = Document(0, nodes.mapping([], start, start), "", text, data=population)
    return ParsedArtifact(artifact, text, (document,))


def _with_commit_files(directory: Path, changes: list[Any]) -> list[Any]:
    """Commits from `gh pr view N --json commits > pr-N-commits.json` files beside the dump
    (gh pr list cannot include commits for more than about 49 pull requests per call)."""
    from dataclasses import replace

    from soc2lint.changes.ghdump import NESTED_LIMIT, commits_of

    found: dict[int, Any] = {}
    for path in directory.glob("pr-*-commits.json"):
        m = COMMITS_FILE.match(path.name)
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if m else None
        except (OSError, ValueError):
            continue
        if m and isinstance(data, dict) and isinstance(data.get("commits"), list):
            found[int(m.group(1))] = data["commits"]
    if not found:
        return changes
    out = []
    for change in changes:
        raw = found.get(change.number)
        if change.commits is None and raw is not None:
            truncated = change.truncated + (("commits",) if len(raw) >= NESTED_LIMIT else ())
            change = replace(change, commits=commits_of(raw), truncated=truncated)
        out.append(change)
    return out


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
            names if names is not None else (),
            approvals if isinstance(approvals, int) else None,
            isinstance(reviews, dict) and reviews.get("require_code_owner_reviews") is True,
        )
    return out


def _is_commits_file(candidate: Candidate) -> bool:
    return candidate.path.startswith(candidate.evidence_dir + "/") and bool(
        COMMITS_FILE.match(candidate.name)
    )


def _parse_commits_file(artifact: Artifact, text: str) -> ParsedArtifact:
    """Read with the dump it completes (see _with_commit_files): no document of its own."""
    return ParsedArtifact(artifact, text)


FORMATS = (
    Format(
        "pull-request-commits",
        "Commits of one pull request (`gh pr view N --json commits`), beside a gh pr list dump",
        _is_commits_file,
        _parse_commits_file,
        as_text=False,
    ),
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
