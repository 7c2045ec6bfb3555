"""`soc2lint collect github OWNER/REPO`: GitHub REST payloads into an evidence directory.

The endpoints and the layout are the rows of the evidence schema (`ENDPOINTS` in
soc2lint/formats/github/schema.py), which the recogniser reads too: adding an endpoint is adding a
row. Every payload is written as the API returned it (a list fetched in several pages: its items
concatenated, `json.dumps(items, indent=2)`):

    OUT/manifest.json
    OUT/github/OWNER/REPO/repo.json                          GET /repos/O/R
    OUT/github/OWNER/REPO/branches/BRANCH/protection.json    GET /repos/O/R/branches/B/protection
    OUT/github/OWNER/REPO/branches/BRANCH/rules.json         GET /repos/O/R/rules/branches/B
    OUT/github/OWNER/REPO/rulesets.json                      GET /repos/O/R/rulesets?includes_parents=true
    OUT/github/OWNER/REPO/rulesets/ID.json                   GET /repos/O/R/rulesets/ID
    OUT/github/OWNER/REPO/environments.json                  GET /repos/O/R/environments
    OUT/github/OWNER/REPO/actions-permissions-workflow.json  GET /repos/O/R/actions/permissions/workflow
    OUT/github/OWNER/REPO/collaborators-all.json             GET /repos/O/R/collaborators?affiliation=all
    OUT/github/OWNER/REPO/collaborators-outside.json         GET /repos/O/R/collaborators?affiliation=outside
    OUT/github/OWNER/org.json                                GET /orgs/O
    OUT/github/OWNER/members-2fa-disabled.json               GET /orgs/O/members?filter=2fa_disabled
    OUT/github/OWNER/members-admin.json                      GET /orgs/O/members?role=admin

Every endpoint is listed in the manifest in the order collected, with its status, also when it
answered 403 or 404 (its body is written too), and `evidence`: true only for a 200 answer whose
body is the JSON the endpoint returns (an object, or a list) and for `404 Branch not protected`;
anything else (a redirect, an error page, a 200 that is not that JSON) is a failure the rules
report as evidence missing.

A collection is written into a directory beside OUT and moved in only when it completes: an
interrupted or failed run leaves the previous evidence as it was. The manifest is written last:
an evidence directory without one is an unfinished collection.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import quote

from soc2lint import __version__
from soc2lint.collect.http import API_VERSION, PER_PAGE, Client, CollectError, Response
from soc2lint.formats.github.schema import (
    BY_NAME,
    ENDPOINTS,
    ORGANIZATION_DOCUMENT,
    REPOSITORY_DOCUMENT,
    Endpoint,
)

MANIFEST = "manifest.json"
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")
_REPO = re.compile(r"[A-Za-z0-9._-]+")

Clock = Callable[[], datetime]


class Fetch(NamedTuple):
    """One request of a collection: a row of the evidence schema, its placeholders filled in."""

    path: str  # the file, relative to OUT, `/`-separated
    request: str  # the API path and query as the manifest names it
    row: Endpoint  # what it is: who may read it, paging, the JSON a 200 answer must be


# read first, alone: it names the default branch and says whether the owner is an organisation
_REPOSITORY = BY_NAME["repository"]
# rows fetched once for each `id` in the list another row (`lists`) answered
_PER_ID = frozenset(e.lists for e in ENDPOINTS if e.lists)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_from_env(environ: Mapping[str, str]) -> str:
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = environ.get(name, "").strip()
        if value:
            return value
    raise CollectError(
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the repository"
    )


def parse_repository(text: str) -> tuple[str, str]:
    """`OWNER/REPO` -> (owner, repo), each safe as a directory name."""
    owner, _, repo = text.strip().partition("/")
    if not _OWNER.fullmatch(owner) or not _REPO.fullmatch(repo) or repo in (".", ".."):
        raise CollectError(f"{text!r} is not OWNER/REPO, e.g. octocat/hello-world")
    return owner, repo


def branch_dir(branch: str) -> str:
    """A branch name as nested directories (`release/1.x`), refusing what could escape OUT."""
    parts = branch.split("/")
    if any(p in ("", ".", "..") or "\\" in p or "\0" in p or p != p.strip() for p in parts):
        raise CollectError(f"branch {branch!r} cannot be used as a directory name")
    return branch


def fetch_of(row: Endpoint, owner: str, repo: str, branch: str = "", ruleset_id: int = 0) -> Fetch:
    """A schema row's request and file for this repository (and branch, and listed id)."""
    return Fetch(
        row.file.format(
            owner=owner, repo=repo, branch=branch_dir(branch) if branch else "", id=ruleset_id
        ),
        row.request.format(owner=owner, repo=repo, branch=quote(branch, safe=""), id=ruleset_id),
        row,
    )


def _rows(document: str) -> list[Endpoint]:
    return [
        e
        for e in ENDPOINTS
        if e.collected and e.document == document and e is not _REPOSITORY and e.name not in _PER_ID
    ]


def repo_endpoints(owner: str, repo: str, branch: str) -> list[Fetch]:
    """The repository endpoints after repo.json, in order; rulesets/ID.json follow rulesets.json."""
    branch_dir(branch)  # validated before anything is written
    return [fetch_of(e, owner, repo, branch) for e in _rows(REPOSITORY_DOCUMENT)]


def org_endpoints(owner: str) -> list[Fetch]:
    return [fetch_of(e, owner, "") for e in _rows(ORGANIZATION_DOCUMENT)]


def collect(
    client: Client,
    owner: str,
    repo: str,
    out: Path,
    *,
    branch: str | None = None,
    org: bool | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Export every endpoint into `out`, write `out/manifest.json` last, and return the manifest.

    The payloads are collected into a directory beside `out` and moved into `out` only once every
    endpoint has answered. Raises CollectError, leaving `out` as it was, when the repository
    itself cannot be read or the collection cannot finish; an interruption (KeyboardInterrupt)
    leaves it as it was too.
    """
    started = clock()
    repository = f"{owner}/{repo}"
    first = fetch_of(_REPOSITORY, owner, repo)
    answer = client.get(first.request)
    received = clock()
    info = _repository_object(repository, first, answer)
    branch = branch or info.get("default_branch")
    if not isinstance(branch, str) or not branch:
        raise CollectError(f"{repository} has no default branch (empty repository?): pass --branch")
    owner_info = info.get("owner")
    is_org = isinstance(owner_info, dict) and owner_info.get("type") == "Organization"
    endpoints = repo_endpoints(owner, repo, branch)  # validates the branch before writing anything
    if is_org if org is None else org:
        endpoints += org_endpoints(owner)

    staging = _staging_dir(out)
    try:
        files: list[dict[str, Any]] = [_record(staging, first, answer, received)]
        for ep in endpoints:
            files += _fetch_with_listed(client, staging, ep, owner, repo, clock)
    except CollectError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CollectError(f"{exc}{_kept(out)}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    manifest = {
        "tool": "soc2lint",
        "version": __version__,
        "api_url": client.api_url,
        "api_version": API_VERSION,
        "repository": repository,
        "branch": branch,
        "collected_at": iso(started),
        "files": files,
    }
    _forget_previous(out, repository)
    _move_in(staging, out, files)
    _write_atomic(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def _repository_object(repository: str, first: Fetch, answer: Response) -> dict[str, Any]:
    """The `GET /repos/O/R` object, or CollectError: without it nothing else is collected."""
    if answer.status != 200:
        raise CollectError(
            f"cannot read {repository}: GET {first.request} answered "
            f"{answer.status}: {_repo_failure(answer)}"
        )
    info = _json(answer.body)
    if not isinstance(info, dict):
        raise CollectError(f"GET {first.request} did not answer a repository object")
    return info


def _fetch_with_listed(
    client: Client, out: Path, ep: Fetch, owner: str, repo: str, clock: Clock
) -> list[dict[str, Any]]:
    """`ep`'s manifest entry, then (a list whose row `lists` another) each listed id's."""
    files = [_fetch(client, out, ep, clock)]
    if ep.row.lists:
        row = BY_NAME[ep.row.lists]
        for ruleset_id in _ruleset_ids(out, files[0]):
            files.append(
                _fetch(client, out, fetch_of(row, owner, repo, ruleset_id=ruleset_id), clock)
            )
    return files


def _move_in(staging: Path, out: Path, files: list[dict[str, Any]]) -> None:
    """Move the written payloads from `staging` into `out`, and remove `staging`."""
    for entry in files:
        if entry["sha256"] is not None:
            parts = PurePosixPath(entry["path"]).parts
            target = out.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging.joinpath(*parts), target)
    shutil.rmtree(staging, ignore_errors=True)


def settings_read(manifest: Mapping[str, Any]) -> int:
    """How many endpoints besides the repository itself gave evidence."""
    return sum(1 for e in manifest["files"][1:] if e.get("evidence"))


def _staging_dir(out: Path) -> Path:
    """An empty directory beside `out` (same file system, so files move in by rename)."""
    out = out.absolute()
    staging = out.parent / f".{out.name or 'evidence'}.collecting"
    shutil.rmtree(staging, ignore_errors=True)  # left over by a killed run
    staging.mkdir(parents=True)
    return staging


def _kept(out: Path) -> str:
    if (out / MANIFEST).is_file():
        return f"; the previous evidence in {out} was left unchanged"
    return f"; nothing was written to {out}"


def _fetch(client: Client, out: Path, ep: Fetch, clock: Clock) -> dict[str, Any]:
    if ep.row.paged:
        sep = "&" if "?" in ep.request else "?"
        answer = client.get_all(f"{ep.request}{sep}per_page={PER_PAGE}", ep.row.items_key)
    else:
        answer = client.get(ep.request)
    return _record(out, ep, answer, clock())


def _record(out: Path, ep: Fetch, answer: Response, received: datetime) -> dict[str, Any]:
    """Write the body (when there is one) and describe it for the manifest."""
    digest = None
    if answer.body:
        target = out.joinpath(*PurePosixPath(ep.path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(answer.body)
        digest = hashlib.sha256(answer.body).hexdigest()
    entry: dict[str, Any] = {
        "path": ep.path,
        "endpoint": f"GET {ep.request}",
        "status": answer.status,
        "collected_at": iso(received),
        "sha256": digest,
        "pages": answer.pages,
        "evidence": _is_evidence(ep, answer),
    }
    note = _note(ep, answer)
    if note:
        entry["note"] = note
    return entry


def _is_evidence(ep: Fetch, answer: Response) -> bool:
    """A 200 answer with the JSON the endpoint returns, or the `404 Branch not protected` answer."""
    row = ep.row
    if answer.status == 404 and _message(answer.body) == "Branch not protected":
        return bool(row.not_found)
    if answer.status != 200 or answer.note:
        return False
    data = _json(answer.body)
    if not isinstance(data, row.shape):
        return False
    return row.items_key is None or (
        isinstance(data, dict) and isinstance(data.get(row.items_key), list)
    )


def _note(ep: Fetch, answer: Response) -> str:
    message = _message(answer.body)
    said = f" (GitHub: {message})" if message else ""
    if answer.note:
        return answer.note + said
    if answer.status == 200:
        if not answer.body:
            return "no body: not evidence"
        if not _is_evidence(ep, answer):
            what = "a list" if ep.row.shape is list else "an object"
            return f"the body is not the JSON this endpoint returns ({what}): not evidence"
        return ""
    if 200 <= answer.status < 400 and answer.status != 200:
        return f"HTTP {answer.status}, not 200: not evidence" + said
    if answer.status == 404 and message == "Branch not protected":
        return "branch not protected"
    if answer.status == 401:
        return "unauthorized: the token was rejected" + said
    if answer.status == 403:
        return f"forbidden: {ep.row.needs}" + said
    if answer.status == 404:
        return f"not found, or not visible to this token ({ep.row.needs})" + said
    return f"HTTP {answer.status}" + said


def _repo_failure(answer: Response) -> str:
    message = _message(answer.body) or "no message"
    if answer.status == 404:
        return f"{message} (no such repository, or the token cannot see it)"
    if answer.status == 401:
        return f"{message} (the token was rejected)"
    return message


def _message(body: bytes) -> str:
    data = _json(body)
    message = data.get("message") if isinstance(data, dict) else None
    return " ".join(message.split())[:200] if isinstance(message, str) else ""


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _ruleset_ids(out: Path, rulesets: dict[str, Any]) -> list[int]:
    if not rulesets["evidence"]:
        return []
    items = _json(out.joinpath(*PurePosixPath(rulesets["path"]).parts).read_bytes())
    ids: list[int] = []
    for item in items if isinstance(items, list) else []:
        rid = item.get("id") if isinstance(item, dict) else None
        if isinstance(rid, int) and not isinstance(rid, bool) and rid not in ids:
            ids.append(rid)
    return ids


def _forget_previous(out: Path, repository: str) -> None:
    """Drop the old manifest, and the files an earlier collection of this repository wrote.

    A ruleset deleted since then, or org files now skipped, must not linger as evidence. The
    change evidence (`github/O/R/changes/`) is never touched: `collect --changes` replaces it as
    a whole, and keeps its earlier months of rule suites.
    """
    manifest = out / MANIFEST
    old = _json(manifest.read_bytes()) if manifest.is_file() else None
    if (
        isinstance(old, dict)
        and old.get("tool") == "soc2lint"
        and old.get("repository") == repository
    ):
        root = (out / "github").resolve()
        for entry in old.get("files") or []:
            rel = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(rel, str):
                continue
            target = (out / rel).resolve()
            if (
                target.is_relative_to(root)
                and not _is_change_evidence(target.relative_to(root))
                and target.is_file()
            ):
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)


def _is_change_evidence(rel: Path) -> bool:
    """Whether a path below OUT/github is under some OWNER/REPO/changes/."""
    parts = rel.parts
    return len(parts) > 3 and parts[2] == "changes"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
