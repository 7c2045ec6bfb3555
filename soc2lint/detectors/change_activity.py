"""CM007 and the collection-level CM012 over the files of `collect github --changes` besides
the pull request pages: the branch's activity, rule-suite bypasses and the collection manifest.

CM007 reports each force push to a production branch (activity) and each push that bypassed a
ruleset (rule suites) inside the collection's period, at the event's object, naming the actor
and the commits. CM012 reports what the collection could not show: requests that failed or
answered in part, an unfinished history, and months of the period with days no rule-suite file
covers (GitHub keeps them 30 days: collect at least that often).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from soc2lint.model import Document, Hit


def _hit(
    fields: dict[str, str],
    span: tuple[int, int],
    change_id: str,
    facts: tuple[tuple[str, str], ...] = (),
) -> Hit:
    return Hit((), "value", fields, span=span, properties=(("change_id", change_id), *facts))


def production(params: Mapping[str, Any], default: str) -> set[str]:
    value = params.get("production_branches")
    if isinstance(value, list) and value:
        return {str(v) for v in value}
    return {default} if default else set()


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    from soc2lint.changes.collection import Collection, EventLog

    rule = str(params.get("decision", ""))
    data = doc.data
    if isinstance(data, Collection) and rule == "CM012":
        yield from _incomplete(data)
    elif isinstance(data, EventLog) and rule == "CM007":
        yield from _bypasses(data, params)


def _bypasses(log: Any, params: Mapping[str, Any]) -> Iterator[Hit]:
    from soc2lint.changes.collection import branch_of

    period = log.period
    branches = production(params, period.branch if period is not None else "")
    for event in log.events:
        branch = branch_of(event.ref)
        if branches and branch not in branches:
            continue
        if not branches and event.source == "activity":
            continue  # no production branch known: a force push to a topic branch is normal
        if period is not None and event.at and not period.holds(event.at):
            continue
        # `force` is the `push_type` of GitHub's documented example; `force_push` the schema's
        if event.source == "activity" and event.kind in ("force_push", "force"):
            kind, what = "force_push", f"force push to {branch}"
            detail = f"by {event.actor or 'an unknown actor'} at {event.at}, {event.before[:7]} -> {event.after[:7]}: history was rewritten"
        elif event.source == "rule-suite" and event.kind == "bypass":
            kind, what = "bypass", f"push to {branch} bypassing its rulesets"
            detail = f"by {event.actor or 'an unknown actor'} at {event.at}, {event.before[:7]} -> {event.after[:7]}"
        else:
            continue
        change_id = f"event:{event.source}:{event.id}"
        yield _hit(
            {"subject": what, "detail": detail, "identity": change_id},
            (event.offset, event.offset + 1),
            change_id,
            (
                ("kind", kind),
                ("branch", branch),
                ("date", event.at),
                ("author", event.actor),
                ("subject", f"{what}: {event.before[:7]} -> {event.after[:7]}"),
                ("before", event.before),
                ("after", event.after),
            ),
        )


def _incomplete(collection: Any) -> Iterator[Hit]:
    period = collection.period
    for failure in period.failures:
        why = failure.note or f"answered {failure.status}"
        change_id = f"collection:{failure.path}"
        yield _hit(
            {
                "pr": "(collection)",
                "detail": f"{failure.endpoint}: {why}; what it holds was not evaluated",
                "identity": change_id,
            },
            (failure.offset, failure.offset + 1),
            change_id,
        )
    if not period.complete and not period.failures:
        yield _hit(
            {
                "pr": "(collection)",
                "detail": "the collection says it is incomplete; collect again",
                "identity": "collection:incomplete",
            },
            (0, 1),
            "collection:incomplete",
        )
    if collection.history is None or collection.history_problem:
        yield _hit(
            {
                "pr": "(collection)",
                "detail": f"direct pushes (CM001) not fully evaluated: {collection.history_problem}",
                "identity": "collection:history",
            },
            (0, 1),
            "collection:history",
        )
    months = collection.uncovered
    if months:
        shown = _ranges(months)
        yield _hit(
            {
                "pr": "(collection)",
                "detail": (
                    f"no rule-suite data for all of {shown}: pushes that bypassed the rulesets "
                    "on the days no collection covered (CM007) were not looked for; GitHub keeps "
                    "rule suites 30 days, so collect at least every 30 days "
                    "(`soc2lint collect github OWNER/REPO --changes`)"
                ),
                "identity": "collection:rule-suites",
            },
            (0, 1),
            "collection:rule-suites",
        )


def _ranges(months: tuple[str, ...]) -> str:
    """`2026-01..2026-03, 2026-07` for sorted YYYY-MM strings."""

    def index(month: str) -> int:
        return int(month[:4]) * 12 + int(month[5:7])

    runs: list[list[str]] = []
    for month in months:
        if runs and index(month) == index(runs[-1][-1]) + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)
