"""The record rules: access reviews (AR001, AR002), incident records (IR001, IR002), rollback
drills (RB002), a rollback path for repositories that deploy (RB001, a join over workflows and
GitOps objects) and rotation records of baselined secrets (SEC004).

The record detectors read an assembled document per kind (formats/records.py): `doc.data` is the
tuple of `records.read.Record`s and `doc.root` maps each file's path to its nodes, so a hit's
route starts with the file's path. Time comes from the rules' `as_of` and `audit_period`
parameters (records/dates.py), never from the clock alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from soc2lint.detectors import Verdict
from soc2lint.formats import nodes
from soc2lint.model import Document, Hit
from soc2lint.records import dates

Route = tuple[str | int, ...]
MAX_LISTED = 3


def _hit(route: Route, subject: str, detail: str, identity: str, focus: str = "value") -> Hit:
    return Hit(route, focus, {"subject": subject, "detail": detail, "identity": identity})


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _records(doc: Document) -> Sequence[Any]:
    data = doc.data
    return data if isinstance(data, tuple) else ()


def _partial(doc: Document, context: Any) -> bool:
    """Whether the scan saw only some of the kind's records (explicit paths, as pre-commit
    gives them, or `exclude`): then nothing is concluded from a record's absence."""
    from soc2lint.records.read import kind_of

    root = getattr(context, "root", None)
    if root is None:
        return False
    evidence = doc.identity.rsplit("/records/", 1)[0]
    try:
        names = [p.name for p in (Path(root) / doc.identity).iterdir() if p.is_file()]
    except OSError:
        return False
    on_disk = {f"{doc.identity}/{n}" for n in names if kind_of(f"{doc.identity}/{n}", evidence)}
    return bool(on_disk - {r.path for r in _records(doc)})


def _malformed(record: Any) -> Hit:
    from soc2lint.records.read import node_at

    inner = node_at(record.root, record.problem_route)
    return _hit(
        (record.path, *inner),
        record.path,
        f"malformed record: {record.problem}",
        "malformed",
        "key" if record.problem_at_key and inner == record.problem_route else "value",
    )


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


# ---- access reviews ------------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return bool(a) and a.lstrip("@").lower() == b.lstrip("@").lower()


def review_problems(record: Any, quarter: dates.Quarter, grace: int) -> list[tuple[Route, str]]:
    """Why a (well-formed) review is not a complete, signed review of its quarter."""
    data = record.data
    problems: list[tuple[Route, str]] = []
    reviewer, approver = _text(data.get("reviewer")), _text(data.get("approver"))
    if not reviewer:
        problems.append((("reviewer",), "no reviewer"))
    if not approver:
        problems.append((("approver",), "no approver"))
    elif _same(approver, reviewer):
        problems.append((("approver",), f"the approver is the reviewer ({approver})"))
    at = dates.parse_moment(_text(data.get("reviewed_at")))
    latest = quarter.end + dt.timedelta(days=grace)
    if at is None:
        problems.append((("reviewed_at",), "no reviewed_at"))
    elif not quarter.start <= at.date() <= latest:
        problems.append(
            (
                ("reviewed_at",),
                f"reviewed on {at.date()}, outside {quarter.start}..{latest} (the quarter and "
                f"{grace} days of grace)",
            )
        )
    entries = data.get("entries") or []
    if not entries:
        problems.append((("entries",), "no entries: a review of nobody"))
    undecided: list[tuple[int, str]] = []
    unexplained: list[tuple[int, str]] = []
    own: list[tuple[int, str]] = []
    for i, entry in enumerate(entries):
        identity = _text(entry.get("identity"))
        decision = _text(entry.get("decision"))
        if not decision:
            undecided.append((i, identity))
        elif decision in ("revoke", "change") and not _text(entry.get("reason")):
            unexplained.append((i, identity))
        decider = _text(entry.get("decided_by")) or reviewer
        if decision and "/" not in identity and _same(identity, decider):
            own.append((i, identity))
    if undecided:
        problems.append(
            (
                ("entries", undecided[0][0], "decision"),
                f"{len(undecided)} of {len(entries)} identities undecided "
                f"({_listed([n for _, n in undecided])})",
            )
        )
    if unexplained:
        problems.append(
            (
                ("entries", unexplained[0][0], "reason"),
                f"revoke/change without a reason for {_listed([n for _, n in unexplained])}",
            )
        )
    if own:
        problems.append(
            (
                ("entries", own[0][0], "decision"),
                f"{_listed([n for _, n in own])} decided on their own access (set `decided_by` "
                "to someone else)",
            )
        )
    return problems


def access_reviews(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    check = str(params.get("check", "AR001"))
    if check == "AR002":
        yield from _revocations(doc, params, context)
        return
    window = dates.window(params)
    grace = int(params.get("grace_days", 30))
    by_quarter: dict[dates.Quarter, list[Any]] = {}
    malformed: set[dates.Quarter] = set()
    for record in _records(doc):
        if record.data is None:
            yield _malformed(record)
            # its quarter has a record (reported as malformed), not none at all
            quarter = dates.parse_quarter(_text(_raw(record).get("quarter")))
            if quarter is not None:
                malformed.add(quarter)
            continue
        quarter = dates.parse_quarter(_text(record.data.get("quarter")))
        if quarter is not None:
            by_quarter.setdefault(quarter, []).append(record)
    partial = _partial(doc, context)
    for quarter in window.quarters():
        due = quarter.end + dt.timedelta(days=grace)
        if due >= window.as_of:
            continue  # still open: a review in progress is no failure yet
        reviews = by_quarter.get(quarter, [])
        if not reviews and (quarter in malformed or partial):
            continue
        if not reviews:
            yield _hit(
                (),
                quarter.name,
                f"no access review of {quarter.name} (due {due}): start one with `soc2lint "
                f"access-review new --quarter {quarter.year}Q{quarter.number}`",
                quarter.name,
            )
            continue
        found = [(r, review_problems(r, quarter, grace)) for r in reviews]
        if any(not problems for _, problems in found):
            continue
        for record, problems in found:
            route, _ = problems[0]
            yield _hit(
                (record.path, *_existing(record.root, route)),
                quarter.name,
                f"the access review of {quarter.name} is not complete and signed: "
                + "; ".join(p for _, p in problems),
                quarter.name,
            )


def _raw(record: Any) -> Mapping[str, Any]:
    """A malformed record's data as far as it reads (for its quarter), else {}."""
    from soc2lint.records.read import to_data

    try:
        data = to_data(record.root)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _existing(root: Any, route: Route) -> Route:
    from soc2lint.records.read import node_at

    return node_at(root, route)


def _revocations(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    """AR002: an identity decided `revoke` that a later export (collected after the due date)
    still lists. Exports whose collection time is unknown decide nothing."""
    from soc2lint.records.exports import latest

    window = dates.window(params)
    days = int(params.get("revoke_within_days", 30))
    root = getattr(context, "root", None)
    evidence = doc.identity.rsplit("/records/", 1)[0]
    exports = latest(Path(root), evidence) if root is not None else []
    for record in _records(doc):
        if record.data is None:
            continue
        reviewed = dates.parse_moment(_text(record.data.get("reviewed_at")))
        for i, entry in enumerate(record.data.get("entries") or []):
            if _text(entry.get("decision")) != "revoke":
                continue
            identity = _text(entry.get("identity"))
            due = dates.parse_day(_text(entry.get("due")))
            if due is None and reviewed is not None:
                due = reviewed.date() + dt.timedelta(days=days)
            if due is None or due >= window.as_of:
                continue
            scopes = {s.strip() for s in _text(entry.get("scope")).split(",") if s.strip()}
            for export in exports:
                at = dates.parse_moment(export.collected_at)
                if at is None or at.date() <= due:
                    continue
                if (
                    scopes
                    and export.scope not in scopes
                    and not any(export.scope.startswith(s + "/") for s in scopes)
                ):
                    continue
                if any(_same(identity, held) for held, _ in export.identities):
                    yield _hit(
                        (record.path, "entries", i, "decision"),
                        identity,
                        f"{identity} was to be revoked by {due} ({record.path}) but "
                        f"{export.path} collected {export.collected_at} still lists them "
                        f"({export.kind} of {export.scope})",
                        f"{identity}@{export.path}",
                    )
                    break


# ---- incidents -----------------------------------------------------------------------------

REQUIRED_INCIDENT = (
    "severity",
    "detected_at",
    "declared_at",
    "owner",
    "escalated_to",
    "escalated_at",
    "communications",
    "root_cause",
    "corrective_actions",
    "verified_by",
    "verified_at",
    "verification_evidence",
    "closed_at",
)
ORDER = ("detected_at", "declared_at", "escalated_at", "verified_at", "closed_at")
_SEVERITY = re.compile(r"(?i)^sev([0-9])$")


def _filled(value: Any) -> bool:
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    return bool(_text(value))


def incident_problems(data: Mapping[str, Any]) -> list[tuple[Route, str]]:
    problems: list[tuple[Route, str]] = []
    missing = [name for name in REQUIRED_INCIDENT if not _filled(data.get(name))]
    if missing:
        problems.append(((missing[0],), f"missing {', '.join(missing)}"))
    for i, action in enumerate(data.get("corrective_actions") or []):
        if not _filled(action):
            continue
        empty = [k for k in ("action", "owner", "ticket", "due") if not _text(action.get(k))]
        if empty:
            problems.append(
                (("corrective_actions", i), f"corrective action {i + 1} has no {', '.join(empty)}")
            )
    moments = {name: dates.parse_moment(_text(data.get(name))) for name in ORDER}
    previous: tuple[str, dt.datetime] | None = None
    for name in ORDER:
        at = moments[name]
        if at is None:
            continue
        if previous is not None and at < previous[1]:
            problems.append(((name,), f"{name} ({_text(data.get(name))}) is before {previous[0]}"))
        previous = (name, at) if previous is None or at >= previous[1] else previous
    owner, verifier = _text(data.get("owner")), _text(data.get("verified_by"))
    if owner and _same(owner, verifier):
        problems.append((("verified_by",), f"verified by the owner ({owner}): not independent"))
    return problems


def sla_minutes(params: Mapping[str, Any]) -> dict[str, int]:
    raw = params.get("escalation_sla_minutes") or {}
    return {str(k).lower(): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def incidents(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    check = str(params.get("check", "IR001"))
    window = dates.window(params)
    for record in _records(doc):
        if record.data is None:
            if check == "IR001":
                yield _malformed(record)
            continue
        data = record.data
        name = _text(data.get("id")) or record.path
        if check == "IR001":
            if _closed_before(data, window.first):
                continue
            problems = incident_problems(data)
            if not problems:
                continue
            if not _text(data.get("closed_at")) and not any(
                p for r, p in problems if not p.startswith("missing")
            ):
                # an open incident is incomplete by nature until the response is over: only
                # its order and independence are judged, unless it is older than allowed
                opened = dates.parse_moment(
                    _text(data.get("declared_at") or data.get("detected_at"))
                )
                days = int(params.get("close_within_days", 30))
                if opened is not None and opened.date() + dt.timedelta(days=days) >= window.as_of:
                    continue
            route = _existing(record.root, problems[0][0])
            yield _hit(
                (record.path, *route),
                name,
                "; ".join(p for _, p in problems),
                name,
                "key" if route and isinstance(route[-1], str) else "value",
            )
        else:
            yield from _escalation(record, name, params)


def _closed_before(data: Mapping[str, Any], first: dt.date) -> bool:
    closed = dates.parse_moment(_text(data.get("closed_at")))
    return closed is not None and closed.date() < first


def _escalation(record: Any, name: str, params: Mapping[str, Any]) -> Iterator[Hit]:
    data = record.data
    severity = _text(data.get("severity")).lower()
    limits = sla_minutes(params)
    if severity not in limits:
        return
    start_name = "declared_at" if _text(data.get("declared_at")) else "detected_at"
    start = dates.parse_moment(_text(data.get(start_name)))
    escalated = dates.parse_moment(_text(data.get("escalated_at")))
    if start is None:
        return  # IR001 reports the missing times
    limit = limits[severity]
    if escalated is None:
        yield _hit(
            (record.path, *_existing(record.root, ("escalated_at",))),
            name,
            f"{severity} incident with no escalated_at: escalation within {limit} minutes of "
            f"{start_name} is not evidenced",
            name,
        )
        return
    took = (escalated - start).total_seconds() / 60
    if took > limit:
        yield _hit(
            (record.path, "escalated_at"),
            name,
            f"{severity} escalated {took:.0f} minutes after {start_name} "
            f"({_text(data.get(start_name))} -> {_text(data.get('escalated_at'))}); the SLA "
            f"is {limit} minutes",
            name,
        )


# ---- rollback drills -----------------------------------------------------------------------


def drill_problems(data: Mapping[str, Any]) -> list[tuple[Route, str]]:
    problems: list[tuple[Route, str]] = []
    if not _text(data.get("rolled_back")):
        problems.append((("rolled_back",), "what was rolled back is not said (`rolled_back`)"))
    if not _text(data.get("run_url")) and not _text(data.get("log")):
        problems.append((("run_url",), "no run URL or log"))
    if not _text(data.get("result")):
        problems.append((("result",), "no result"))
    if not _filled(data.get("who")):
        problems.append((("who",), "who ran it is not said (`who`)"))
    return problems


def rollback_drills(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    window = dates.window(params)
    days = int(params.get("drill_within_days", 92))
    since = window.as_of - dt.timedelta(days=days)
    recent: list[tuple[Any, list[tuple[Route, str]]]] = []
    malformed = False
    for record in _records(doc):
        if record.data is None:
            yield _malformed(record)
            malformed = True
            continue
        at = dates.parse_moment(_text(record.data.get("date")))
        if at is None or not since <= at.date() <= window.as_of:
            continue
        recent.append((record, drill_problems(record.data)))
    if any(not problems for _, problems in recent) or _partial(doc, context):
        return  # a complete drill is recorded, or may be among the records not scanned
    if not recent and not malformed:  # a malformed record may be the recent drill
        yield _hit(
            (),
            "rollback drills",
            f"no rollback drill recorded between {since} and {window.as_of} "
            f"({days} days): rehearse a rollback and record it",
            "none-recent",
        )
        return
    for record, problems in recent:
        route = _existing(record.root, problems[0][0])
        yield _hit(
            (record.path, *route),
            record.path,
            "the only recent rollback drill records are incomplete: "
            + "; ".join(p for _, p in problems),
            "incomplete",
            "key" if route and isinstance(route[-1], str) else "value",
        )


# ---- RB001: a rollback path ----------------------------------------------------------------


def _scalar(node: Any) -> str:
    return str(node.value) if isinstance(node, nodes.ScalarNode) else ""


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, nodes.ScalarNode):
        yield str(node.value)
    elif isinstance(node, nodes.MappingNode):
        for _, _, value in nodes.items(node):
            yield from _strings(value)
    elif isinstance(node, nodes.SequenceNode):
        for item in node.value:
            yield from _strings(item)


def _version_inputs(root: Any, pattern: re.Pattern[str]) -> list[str]:
    """Names of `workflow_dispatch` / `workflow_call` inputs that choose a version to deploy."""
    on = nodes.get(root, "on") or nodes.get(root, "true")  # `on:` is YAML 1.1's true
    found: list[str] = []
    if on is None or not isinstance(on[1], nodes.MappingNode):
        return found
    for trigger in ("workflow_dispatch", "workflow_call"):
        hit = nodes.get(on[1], trigger)
        inputs = nodes.get(hit[1], "inputs") if hit else None
        if inputs is not None:
            found += [k for k, _, _ in nodes.items(inputs[1]) if pattern.search(k)]
    return found


def rollback_facts(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    """Per document: each job (the rule's `exclude` drops those that are no deploy jobs, by the
    shared `deploy-job` condition), and the rollback paths it offers."""
    root = doc.root
    path = str(params.get("_path", ""))
    rollback = re.compile(str(params.get("rollback_pattern") or r"(?i)rollback"))
    inputs = re.compile(str(params.get("version_inputs") or r"(?i)version"))
    kind = _scalar((nodes.get(root, "kind") or (None, None))[1])
    api = _scalar((nodes.get(root, "apiVersion") or (None, None))[1])
    if kind and api:
        what = _gitops_rollback(root, kind, api)
        if what:
            yield Hit((), "value", {"kind": "rollback"}, fact={"kind": "rollback", "what": what})
        return
    jobs = nodes.get(root, "jobs")
    if jobs is None or not isinstance(jobs[1], nodes.MappingNode):
        return
    chosen = _version_inputs(root, inputs)
    workflow_name = _scalar((nodes.get(root, "name") or (None, None))[1])
    for job_id, _, job in nodes.items(jobs[1]):
        name = _scalar((nodes.get(job, "name") or (None, None))[1])
        texts = [
            job_id,
            name,
            workflow_name,
            *_strings((nodes.get(job, "steps") or (None, None))[1]),
        ]
        if any(rollback.search(t) for t in texts if t):
            yield Hit(
                (),
                "value",
                {"kind": "rollback"},
                fact={"kind": "rollback", "what": f"job '{job_id}' of {path}"},
            )
        yield Hit(
            ("jobs", job_id),
            "key",
            {"kind": "deploy"},
            fact={
                "kind": "deploy",
                "job": job_id,
                "path": path,
                "redeploy": ", ".join(chosen),
            },
        )


def _gitops_rollback(root: Any, kind: str, api: str) -> str:
    """What a GitOps object offers as a way back, or ""."""
    if kind == "Rollout" and api.startswith("argoproj.io/"):
        return "Argo Rollouts Rollout"
    if kind == "Canary" and api.startswith("flagger.app/"):
        return "Flagger Canary"
    if kind == "HelmRelease" and api.startswith("helm.toolkit.fluxcd.io/"):
        spec = nodes.get(root, "spec")
        upgrade = nodes.get(spec[1], "upgrade") if spec else None
        remediation = nodes.get(upgrade[1], "remediation") if upgrade else None
        retries = nodes.get(remediation[1], "retries") if remediation else None
        strategy = nodes.get(remediation[1], "strategy") if remediation else None
        if (
            retries is not None
            and _scalar(retries[1]) not in ("", "0")
            and _scalar(strategy[1] if strategy else None) in ("", "rollback")
        ):
            return "Flux HelmRelease upgrade remediation (rollback)"
    return ""


def rollback_join(facts: Sequence[Any], params: Mapping[str, Any]) -> Verdict:
    if not params.get("_complete", True):
        return Verdict([], evaluated=False)
    deploys = [i for i, f in enumerate(facts) if f["kind"] == "deploy"]
    if not deploys:
        return Verdict([])
    if any(f["kind"] == "rollback" for f in facts) or any(facts[i]["redeploy"] for i in deploys):
        return Verdict([])
    first = deploys[0]
    jobs = [f"'{facts[i]['job']}' ({facts[i]['path']})" for i in deploys]
    detail = (
        f"the repository deploys (job {_listed(jobs)}) but has no rollback path: no workflow or "
        "job that rolls back or redeploys a chosen previous version, and no GitOps rollback "
        "(Argo Rollouts, Flagger, Flux HelmRelease remediation)"
    )
    return Verdict(
        [(first, {"subject": facts[first]["job"], "detail": detail, "identity": "repository"})]
    )


# ---- SEC004: rotation records of baselined secrets ----------------------------------------


def secret_rotation(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    window = dates.window(params)
    days = int(params.get("rotation_days", 365))
    secrets = nodes.get(doc.root, "secrets")
    if secrets is None:
        return
    for fingerprint, _, entry in nodes.items(secrets[1]):
        secret_type = _scalar((nodes.get(entry, "type") or (None, None))[1]) or "secret"
        rotated = nodes.get(entry, "rotated_on")
        when = dates.parse_moment(_scalar(rotated[1])) if rotated else None
        fields = {
            "fingerprint": fingerprint,
            "secret_type": secret_type,
            "identity": fingerprint,
        }
        if when is None:
            detail = "has no `rotated_on`" if rotated is None else "has no valid `rotated_on` date"
            yield Hit(
                ("secrets", fingerprint),
                "key",
                {**fields, "detail": detail + ": no evidence it was rotated since it was exposed"},
                properties=(("rotation_fingerprint", fingerprint),),
            )
        elif not any(
            _scalar((nodes.get(entry, k) or (None, None))[1]) for k in ("ticket", "reason")
        ):
            yield Hit(
                ("secrets", fingerprint, "rotated_on"),
                "value",
                {
                    **fields,
                    "detail": f"was rotated on {when.date()} by the record, but it names no `ticket` or `reason`",
                },
                properties=(("rotation_fingerprint", fingerprint),),
            )
        elif when.date() + dt.timedelta(days=days) < window.as_of:
            yield Hit(
                ("secrets", fingerprint, "rotated_on"),
                "value",
                {
                    **fields,
                    "detail": f"was last rotated on {when.date()}, more than {days} days before {window.as_of} (the rotation policy)",
                },
                properties=(("rotation_fingerprint", fingerprint),),
            )
