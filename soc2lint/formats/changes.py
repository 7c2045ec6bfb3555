"""Merged pull requests as change evidence: a `gh pr list --state merged --json ...` dump (a
JSON array) anywhere under the evidence directory, recognised by content, and the pages of
`collect github --changes` (`changes/graphql/prs-NNNN.json`, completed by their follow-up
answers). Their documents carry a typed population (`Document.data`) that the
change-management detector reads; no node tree. The collection's other files (its manifest,
the branch's activity, rule-suite bypasses) are the `change-collection` kind.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
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


def _head(candidate: Candidate) -> str:
    try:
        with open(os.path.join(candidate.root, candidate.path), "rb") as handle:
            return handle.read(_SNIFF).decode("utf-8", "replace")
    except OSError:
        return ""


def _is_page(candidate: Candidate) -> bool:
    from soc2lint.changes.graphql import looks_like_page
    from soc2lint.changes.query import PAGE_FILE

    return (
        candidate.path.startswith(candidate.evidence_dir + "/")
        and bool(PAGE_FILE.match(candidate.name))
        and looks_like_page(_head(candidate))
    )


def _is_pull_requests(candidate: Candidate) -> bool:
    return _is_dump(candidate) or _is_page(candidate)


def _document(artifact: Artifact, text: str, data: Any) -> ParsedArtifact:
    start = nodes.mark(0, 0, 0)
    document = Document(0, nodes.mapping([], start, start), "", text, data=data)
    return ParsedArtifact(artifact, text, (document,))


def parse_pull_requests(artifact: Artifact, text: str) -> ParsedArtifact:
    if text.lstrip().startswith("{"):
        return parse_page(artifact, text)
    return parse_dump(artifact, text)


def parse_page(artifact: Artifact, text: str) -> ParsedArtifact:
    """One page of `collect github --changes`: its merged pull requests in the collection's
    period and branch (all of them when its manifest is missing)."""
    from soc2lint.changes.collection import period_beside
    from soc2lint.changes.graphql import read_page
    from soc2lint.changes.model import Population

    directory = Path(artifact.abspath).parent
    period = period_beside(directory.parent)
    try:
        changes = read_page(
            text,
            _follow_ups(directory),
            (lambda at, base: period.holds(at) and (not period.branch or base == period.branch))
            if period is not None
            else (lambda at, base: True),
        )
    except (ValueError, RecursionError) as exc:
        return ParsedArtifact(artifact, text, error=f"invalid page: {exc}")
    population = Population(
        changes,
        _protection(Path(artifact.abspath)),
        True,
        source="graphql",
        github=str(_repository_dir(Path(artifact.abspath)).parent.parent),
    )
    return _document(artifact, text, population)


@lru_cache(maxsize=4)
def _follow_up_files(
    directory: str, mtime_ns: int
) -> dict[tuple[int, str], list[tuple[int, Path]]]:
    """(pull request, list) -> its follow-up answers: listed once for all pages of a directory
    (the key changes when the directory does)."""
    from soc2lint.changes.query import FOLLOW_UP_FILE

    found: dict[tuple[int, str], list[tuple[int, Path]]] = {}
    try:
        names = os.listdir(directory)
    except OSError:
        names = []
    for name in names:
        m = FOLLOW_UP_FILE.match(name)
        if m:
            found.setdefault((int(m.group(1)), m.group(2)), []).append(
                (int(m.group(3)), Path(directory, name))
            )
    return found


def _follow_ups(directory: Path) -> Any:
    """Reads the follow-up answers of a pull request's nested list beside its page."""
    from soc2lint.changes.graphql import follow_up_nodes

    try:
        stamp = directory.stat().st_mtime_ns
    except OSError:
        stamp = 0
    found = _follow_up_files(str(directory), stamp)

    def read(number: int, field: str) -> tuple[list[Any], bool] | None:
        pages = sorted(found.get((number, field), ()))
        if not pages:
            return None
        answers = []
        for expected, (index, path) in enumerate(pages, 2):
            if index != expected:
                break  # a page missing in between: the list stays unfinished
            try:
                answers.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, UnicodeDecodeError):
                answers.append(None)
        items, more = follow_up_nodes(answers, field)
        return items, more or len(answers) < len(pages)

    return read


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
    population = Population(
        changes,
        _protection(Path(artifact.abspath)),
        with_commits,
        github=str(_repository_dir(Path(artifact.abspath)).parent.parent),
    )
    return _document(artifact, text, population)


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


def _repository_dir(dump: Path) -> Path:
    """`.soc2/github/O/R/` of a dump or page under its `changes/` directory (else beside it)."""
    for parent in (dump.parent, dump.parent.parent):
        if parent.name == "changes":
            return parent.parent
    return dump.parent


def _protection(dump: Path) -> dict[str, Any]:
    """Required checks, approvals and code-owner review per branch, from the settings exports
    of the repository the dump sits in (`.soc2/github/O/R/changes/gh-pr-list.json` or
    `.soc2/github/O/R/changes/graphql/prs-0001.json` -> `.soc2/github/O/R/`): the branch
    protection and the ruleset rules that apply to the branch (`branches/B/rules.json`),
    whichever asks more."""
    from soc2lint.changes.model import Protection

    repo = _repository_dir(dump)
    found: dict[str, list[Protection]] = {}
    for name, read in (("protection.json", _from_protection), ("rules.json", _from_rules)):
        for path in sorted(repo.glob(f"branches/**/{name}")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            got = read(data)
            if got is not None:
                branch = path.parent.relative_to(repo / "branches").as_posix()
                found.setdefault(branch, []).append(got)
    out: dict[str, Any] = {}
    for branch, parts in found.items():
        checks = [p.required_checks for p in parts if p.required_checks is not None]
        approvals = [p.required_approvals for p in parts if p.required_approvals is not None]
        out[branch] = Protection(
            tuple(sorted({c for names in checks for c in names})) if checks else None,
            max(approvals) if approvals else None,
            any(p.code_owner_reviews for p in parts),
        )
    return out


def _from_protection(data: Any) -> Any:
    from soc2lint.changes.model import Protection

    if not isinstance(data, dict) or "url" not in data and "required_status_checks" not in data:
        return None  # `404 Branch not protected`, or no protection payload
    checks = data.get("required_status_checks")
    names: tuple[str, ...] = ()
    if isinstance(checks, dict):
        found = [str(c) for c in checks.get("contexts") or ()]
        found += [str(c.get("context")) for c in checks.get("checks") or () if isinstance(c, dict)]
        names = tuple(sorted(set(found)))
    reviews = data.get("required_pull_request_reviews")
    approvals = (
        reviews.get("required_approving_review_count") if isinstance(reviews, dict) else None
    )
    return Protection(
        names,
        approvals if isinstance(approvals, int) else None,
        isinstance(reviews, dict) and reviews.get("require_code_owner_reviews") is True,
    )


def _from_rules(data: Any) -> Any:
    """`GET /repos/O/R/rules/branches/B`: the active rules of every ruleset on the branch."""
    from soc2lint.changes.model import Protection

    if not isinstance(data, list):
        return None
    names: list[str] = []
    approvals: int | None = None
    owners = False
    for rule in data:
        params = rule.get("parameters") if isinstance(rule, dict) else None
        if not isinstance(params, dict):
            continue
        if rule.get("type") == "required_status_checks":
            names += [
                str(c.get("context"))
                for c in params.get("required_status_checks") or ()
                if isinstance(c, dict) and c.get("context")
            ]
        elif rule.get("type") == "pull_request":
            count = params.get("required_approving_review_count")
            if isinstance(count, int) and not isinstance(count, bool):
                approvals = max(approvals or 0, count)
            owners = owners or params.get("require_code_owner_review") is True
    return Protection(tuple(sorted(set(names))), approvals, owners)


def _is_commits_file(candidate: Candidate) -> bool:
    from soc2lint.changes.query import FOLLOW_UP_FILE

    return candidate.path.startswith(candidate.evidence_dir + "/") and bool(
        COMMITS_FILE.match(candidate.name) or FOLLOW_UP_FILE.match(candidate.name)
    )


def _collection_file(candidate: Candidate) -> str:
    """Which file of a changes collection this is: "manifest", "activity", "rule-suites",
    "history", or ""."""
    from soc2lint.changes.query import HISTORY_FILE, RULE_SUITE_FILE

    if not candidate.path.startswith(candidate.evidence_dir + "/"):
        return ""
    parts = candidate.path.split("/")
    if len(parts) >= 2 and parts[-2] == "changes":
        return {"manifest.json": "manifest", "activity.json": "activity"}.get(parts[-1], "")
    if len(parts) >= 3 and parts[-3] == "changes":
        if parts[-2] == "rule-suites" and RULE_SUITE_FILE.match(parts[-1]):
            return "rule-suites"
        if parts[-2] == "graphql" and HISTORY_FILE.match(parts[-1]):
            return "history"
    return ""


def _is_collection_file(candidate: Candidate) -> bool:
    return bool(_collection_file(candidate))


def _parse_collection_file(artifact: Artifact, text: str) -> ParsedArtifact:
    """The manifest (with the branch's first-parent history read from the history pages), the
    activity or one month of rule suites; history pages have no document of their own."""
    from soc2lint.changes import collection

    path = Path(artifact.abspath)
    name = path.name
    try:
        if name == collection.MANIFEST:
            period, entries = collection.read_manifest(text)
            history, problem = collection.first_parent_history(path.parent / "graphql", period)
            uncovered = collection.uncovered_months(period, path.parent / "rule-suites")
            data: Any = collection.Collection(
                period, artifact.path, history, problem, entries, tuple(uncovered)
            )
        elif name == "activity.json":
            data = collection.EventLog(
                tuple(collection.events_of(text, "activity")),
                collection.period_beside(path.parent),
            )
        elif path.parent.name == "rule-suites":
            # collections less than 30 days apart overlap: a rule suite is reported from the
            # first file (by name: the day collected) that holds it
            earlier = collection.ids_before(path)
            data = collection.EventLog(
                tuple(e for e in collection.events_of(text, "rule-suite") if e.id not in earlier),
                collection.period_beside(path.parent.parent),
            )
        else:
            return ParsedArtifact(artifact, text)  # a history page: read with the manifest
    except (ValueError, RecursionError) as exc:
        return ParsedArtifact(artifact, text, error=f"invalid JSON: {exc}")
    return _document(artifact, text, data)


def _parse_commits_file(artifact: Artifact, text: str) -> ParsedArtifact:
    """Read with the dump it completes (see _with_commit_files): no document of its own."""
    return ParsedArtifact(artifact, text)


FORMATS = (
    Format(
        "change-collection",
        "The manifest, branch history, activity and rule-suite bypasses of "
        "`collect github --changes`",
        _is_collection_file,
        _parse_collection_file,
        as_text=False,
        max_size=1 << 28,
    ),
    Format(
        "pull-request-commits",
        "Commits of one pull request (`gh pr view N --json commits`) beside a gh pr list dump, "
        "or the follow-up pages of a pull request's nested list beside a page of "
        "`collect github --changes`",
        _is_commits_file,
        _parse_commits_file,
        as_text=False,
    ),
    Format(
        "pull-requests",
        "Merged pull requests exported with gh pr list (a JSON array) or collected with "
        "`collect github --changes` (pages of GraphQL answers)",
        _is_pull_requests,
        parse_pull_requests,
        as_text=False,
        max_size=1 << 30,  # 10,000 pull requests export to about 30 MB
        absent=(
            "change-management controls (CM rules) not evaluated: no merged pull requests under "
            "the evidence directory; collect them with `soc2lint collect github OWNER/REPO "
            "--changes`, or export them with `gh pr list --state merged --limit 100000 "
            "--json number,url,title,body,author,mergedBy,mergedAt,createdAt,baseRefName,"
            "headRefName,headRefOid,mergeCommit,additions,deletions,labels,reviews,"
            "statusCheckRollup,closingIssuesReferences "
            "> .soc2/github/OWNER/REPO/changes/gh-pr-list.json`"
        ),
    ),
)

TARGETS = {
    "pull-requests": Target(
        "Merged pull requests: a `gh pr list --state merged --json ...` dump or the pages of "
        "`collect github --changes` under the evidence directory, with that collection's "
        "manifest, branch history, activity and rule-suite bypasses",
        frozenset({"pull-requests", "change-collection"}),
        ".soc2/github/acme/shop/changes/gh-pr-list.json",
    ),
}
