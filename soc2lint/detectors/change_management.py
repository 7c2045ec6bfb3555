"""`change-management`: the CM rules over a population of merged pull requests.

Every change is evaluated once per policy (decide.py) and each rule reports the changes whose
result for it is FAIL, at the pull request's object in the export, naming it as `#N` with its
URL and saying why.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from soc2lint.model import Document, Hit


def _policy(params: Mapping[str, Any]) -> Any:
    from soc2lint.changes.decide import DEFAULT_TICKET, Policy

    def strings(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = params.get(name)
        return tuple(str(v) for v in value) if isinstance(value, list) else default

    defaults = Policy()
    return Policy(
        required_approvals=int(params.get("required_approvals", defaults.required_approvals)),
        production_branches=strings("production_branches", ()),
        required_checks=strings("required_checks", ()),
        rubber_stamp_min_lines=int(
            params.get("rubber_stamp_min_lines", defaults.rubber_stamp_min_lines)
        ),
        rubber_stamp_max_seconds=int(
            params.get("rubber_stamp_max_seconds", defaults.rubber_stamp_max_seconds)
        ),
        ticket_pattern=str(params.get("ticket_pattern") or DEFAULT_TICKET),
        emergency_labels=strings("emergency_labels", defaults.emergency_labels),
        retro_review_hours=int(params.get("retro_review_hours", defaults.retro_review_hours)),
        require_code_owner_review=params.get("require_code_owner_review") is True,
    )


def evaluated(population: Any, policy: Any, root: Path | None = None) -> list[Any]:
    """The population's changes evaluated under `policy`, once (memoised on the population);
    CM011 reads CODEOWNERS at each change's base commit from the clone at `root`."""
    from soc2lint.changes.decide import evaluate
    from soc2lint.changes.owners import decide_all

    key = ("evaluated", policy, str(root))
    if key not in population.decisions:
        branches = set(policy.production_branches)
        done = [
            evaluate(change, policy, population.protection.get(change.base))
            for change in population.changes
            if not branches or change.base in branches
        ]
        decide_all(
            done,
            population.protection,
            policy.require_code_owner_review,
            root,
            population.decisions,
            Path(population.github) if population.github else None,
        )
        population.decisions[key] = done
    result: list[Any] = population.decisions[key]
    return result


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    from soc2lint.changes.decide import FAIL
    from soc2lint.changes.model import Population

    population = doc.data
    if population is None:
        return
    if not isinstance(population, Population):  # the collection's other files (CM007, CM012)
        from soc2lint.detectors import change_activity

        yield from change_activity.detect(doc, params, context)
        return
    rule = str(params.get("decision", ""))
    if rule == "CM012" and not population.commits_exported and population.changes:
        yield Hit(
            (),
            "value",
            {
                "pr": "(export)",
                "url": "",
                "detail": (
                    "the export has no `commits`: co-authors, approvals on the final code and AI "
                    "assistance (CM003, CM004, CM009) were not evaluated; add `gh pr view N --json "
                    "commits` or collect with `soc2lint collect github --changes`"
                ),
                "identity": "export",
            },
            span=(0, 0),
            properties=(("change_id", "export"),),
        )
    if rule == "CM012":
        absent = {
            f: sum(1 for c in population.changes if f in c.missing)
            for f in ("reviews", "statusCheckRollup")
        }
        for name, count in absent.items():
            if count:
                yield Hit(
                    (),
                    "value",
                    {
                        "pr": "(export)",
                        "url": "",
                        "detail": (
                            f"{count} of {len(population.changes)} pull requests have no `{name}` in the "
                            "export: the controls that read it were not evaluated for them; export it "
                            "with `gh pr list --json ...`"
                        ),
                        "identity": f"export-{name}",
                    },
                    span=(0, 0),
                    properties=(("change_id", "export"),),
                )
    for ev in evaluated(population, _policy(params), getattr(context, "root", None)):
        decision = ev.results.get(rule)
        if decision is None or decision.result != FAIL:
            continue
        change = ev.change
        fields = {
            "pr": f"#{change.number}",
            "url": change.url,
            "subject": f"#{change.number} ({change.url})",
            "detail": decision.reason,
            "identity": change.change_id,
        }
        yield Hit(
            (),
            "value",
            fields,
            span=(change.offset, change.offset + 1),
            properties=(("change_id", change.change_id),),
        )
