"""Every rule's `examples` are its fixtures: failing snippets must produce findings at exactly the
expected positions, passing snippets none, each through the whole engine (discovery, parsing,
matching, location, suppression)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from soc2lint.config import Config
from soc2lint.formats.targets import TARGETS
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.model import Example, Rule
from soc2lint.scan.engine import scan

RULES = load_rules([builtin_rules_dir()])
ALL_ACTIVE = select_rules(RULES, preview=True)
EXAMPLE_DATE = "2024-03-01T12:00:00 +0000"  # every commit of an example's history


def _cases(kind: str) -> list[tuple[Rule, int, Example]]:
    out = []
    for rule in RULES:
        examples = rule.fail_examples if kind == "fail" else rule.pass_examples
        out.extend((rule, i, e) for i, e in enumerate(examples))
    return out


def write_example(rule: Rule, example: Example, root: Path) -> None:
    if example.history:  # a real repository with these commits (gitpython)
        import git

        repo = git.Repo.init(root)
        repo.git.symbolic_ref("HEAD", "refs/heads/main")  # whatever init.defaultBranch says
        actor = git.Actor("Example Author", "author@example.com")
        for message, changes in example.history:
            for rel, content in changes:
                path = root / rel
                if content is None:
                    repo.index.remove([rel], working_tree=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
                repo.index.add([rel])
            # fixed dates and branch: the same commit ids on every machine, so that an example
            # can name them (CM001's pull-request export)
            repo.index.commit(
                message,
                author=actor,
                committer=actor,
                author_date=EXAMPLE_DATE,
                commit_date=EXAMPLE_DATE,
            )
        return
    files = example.files or ((example.path or TARGETS[rule.target].example_path, example.code),)
    for rel, content in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _positions(rule: Rule, example: Example, tmp_path: Path) -> list[tuple[str | None, int, int]]:
    write_example(rule, example, tmp_path)
    if example.parameters:  # a rule that is off unless a parameter turns it on
        assert {k for k, _ in example.parameters} <= set(rule.parameters), rule.source
        rule = replace(rule, params={**rule.params, **dict(example.parameters)})
    rules = [r for r in ALL_ACTIVE if r.id != rule.id] + [rule]
    result = scan(tmp_path, rules, Config(), today=dt.date(2026, 1, 1), jobs=1)
    # positions name their file when the example has several
    return [
        (
            f.location.path if example.files or example.history else None,
            f.location.start_line,
            f.location.start_column,
        )
        for f in result.findings
        if f.rule.id == rule.id and f.suppression is None
    ]


@pytest.mark.parametrize(
    ("rule", "index", "example"),
    _cases("fail"),
    ids=lambda v: v.id if isinstance(v, Rule) else str(v) if isinstance(v, int) else "",
)
def test_failing_example_is_reported_at_expected_positions(
    rule: Rule, index: int, example: Example, tmp_path: Path
) -> None:
    assert example.expect, f"{rule.source}: failing example {index} has no `expect` positions"
    assert sorted(_positions(rule, example, tmp_path), key=str) == sorted(example.expect, key=str)


@pytest.mark.parametrize(
    ("rule", "index", "example"),
    _cases("pass"),
    ids=lambda v: v.id if isinstance(v, Rule) else str(v) if isinstance(v, int) else "",
)
def test_passing_example_is_clean(rule: Rule, index: int, example: Example, tmp_path: Path) -> None:
    assert _positions(rule, example, tmp_path) == []
