"""The declarative match language: paths, operators, combinators and where findings point."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from soc2lint.language.match import compile_match
from soc2lint.language.paths import MatchError, parse_path
from soc2lint.language.routes import locate, render

WORKFLOW = """\
on:
  push:
    branches: [main]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: make test
  deploy:
    name: Deploy to prod
    runs-on: [self-hosted, linux]
    needs: [build]
    continue-on-error: true
    steps:
      - id: ship
        uses: acme/deploy@v1
      - run: kubectl apply -f k8s/
"""


def hits(
    match: dict[str, Any],
    text: str = WORKFLOW,
    params: dict[str, Any] | None = None,
    declared: dict[str, Any] | None = None,
) -> list[tuple[str, int, int]]:
    root = yaml.compose(text, Loader=yaml.CSafeLoader)
    matcher = compile_match(match, declared or {k: {} for k in (params or {})})
    out = []
    for hit in matcher.run(root, params or {}):
        loc = locate("w.yml", root, hit.route, hit.focus)
        out.append((render(hit.route), loc.start_line, loc.start_column))
    return out


def test_path_syntax() -> None:
    p = parse_path('jobs.*.steps[*].with["persist-credentials"]')
    assert not p.absolute and len(p.steps) == 6
    assert parse_path("$.on").absolute
    assert parse_path("steps[-1]").steps == ("steps", -1)


@pytest.mark.parametrize("bad", ["jobs..x", "jobs.", "a[b", "[*]x"])
def test_bad_paths_are_rejected(bad: str) -> None:
    with pytest.raises(MatchError):
        compile_match({"for_each": bad, "where": {"exists": True, "path": "x"}}, {})


def test_where_reports_the_value_that_matched() -> None:
    assert hits({"for_each": "permissions", "where": {"equals": "write-all"}}) == [
        ("permissions", 4, 14)
    ]


def test_assert_exists_reports_the_candidate_key() -> None:
    # deploy has no environment: the finding points at the job's key, not line 1
    got = hits({"for_each": "jobs.*", "assert": {"path": "environment", "exists": True}})
    assert got == [("jobs.build", 6, 3), ("jobs.deploy", 14, 3)]


def test_absent_reports_the_present_key() -> None:
    got = hits({"for_each": "jobs.*", "assert": {"path": "continue-on-error", "absent": True}})
    assert got == [("jobs.deploy.continue-on-error", 18, 5)]


def test_wildcards_and_regex_per_item() -> None:
    got = hits({"for_each": "jobs.*.steps[*].uses", "assert": {"regex": "@[0-9a-f]{40}$"}})
    assert got == [("jobs.build.steps[0].uses", 10, 15), ("jobs.deploy.steps[0].uses", 21, 15)]


def test_not_regex_and_glob() -> None:
    got = hits(
        {
            "for_each": "jobs.*.steps[*].uses",
            "where": {"not_glob": ["actions/*"]},
            "assert": {"regex": "@[0-9a-f]{40}$"},
        }
    )
    assert got == [("jobs.deploy.steps[0].uses", 21, 15)]


def test_equals_is_type_strict() -> None:
    # `true` (bool) never equals 1, nor the string "true"
    assert hits({"for_each": "jobs.*", "where": {"path": "continue-on-error", "equals": 1}}) == []
    assert (
        hits({"for_each": "jobs.*", "where": {"path": "continue-on-error", "equals": "true"}}) == []
    )
    assert hits({"for_each": "jobs.*", "where": {"path": "continue-on-error", "equals": True}}) == [
        ("jobs.deploy.continue-on-error", 18, 24)
    ]


def test_in_and_not_in() -> None:
    got = hits({"for_each": "jobs.*", "where": {"path": "runs-on", "in": ["ubuntu-latest"]}})
    assert got == [("jobs.build.runs-on", 7, 14)]
    got = hits({"for_each": "jobs.*", "where": {"path": "runs-on", "not_in": ["ubuntu-latest"]}})
    assert got == [("jobs.deploy.runs-on", 16, 5)]


def test_numeric_comparison_and_params() -> None:
    declared = {"max_minutes": {"default": 5}}
    match = {
        "for_each": "jobs.*",
        "where": {"path": "timeout-minutes", "exists": True},
        "assert": {"path": "timeout-minutes", "le": {"param": "max_minutes"}},
    }
    assert hits(match, params={"max_minutes": 5}, declared=declared) == [
        ("jobs.build.timeout-minutes", 8, 22)
    ]
    assert hits(match, params={"max_minutes": 30}, declared=declared) == []


def test_length() -> None:
    got = hits({"for_each": "jobs.*", "where": {"path": "steps", "length": {"ge": 2}}})
    assert got == [("jobs.build.steps", 9, 5), ("jobs.deploy.steps", 19, 5)]
    assert hits({"for_each": "jobs.*", "where": {"path": "steps", "length": {"gt": 2}}}) == []


def test_contains_on_sequence_mapping_and_string() -> None:
    assert hits(
        {"for_each": "jobs.*", "where": {"path": "runs-on", "contains": "self-hosted"}}
    ) == [("jobs.deploy.runs-on", 16, 5)]
    assert hits({"for_each": "$", "where": {"path": "on", "contains": "push"}}) == [("on", 1, 1)]
    assert hits({"for_each": "jobs.*", "where": {"path": "name", "contains": "prod"}}) == [
        ("jobs.deploy.name", 15, 11)
    ]


def test_type_operator() -> None:
    assert hits({"for_each": "jobs.*", "where": {"path": "runs-on", "type": "sequence"}}) == [
        ("jobs.deploy.runs-on", 16, 5)
    ]
    assert hits({"for_each": "jobs.*", "where": {"path": "timeout-minutes", "type": "number"}}) == [
        ("jobs.build.timeout-minutes", 8, 22)
    ]


def test_path_scoped_any_binds_one_item() -> None:
    # the same step must both be a checkout and lack persist-credentials: false
    match = {
        "for_each": "jobs.*",
        "where": {
            "path": "steps[*]",
            "all": [
                {"path": "uses", "regex": "^actions/checkout@"},
                {"path": "with.persist-credentials", "not_equals": False},
            ],
        },
    }
    assert hits(match) == []
    text = WORKFLOW.replace("persist-credentials: false", "fetch-depth: 0")
    # the missing key's nearest existing ancestor: the step itself
    assert hits(match, text) == [("jobs.build.steps[0]", 10, 9)]


def test_quantifier_all() -> None:
    got = hits(
        {
            "for_each": "jobs.*",
            "where": {
                "path": "steps[*]",
                "quantifier": "all",
                "all": [{"path": "run", "exists": True}],
            },
        }
    )
    assert got == []
    got = hits(
        {
            "for_each": "jobs.*",
            "where": {"path": "steps[*].uses", "quantifier": "all", "regex": "^actions/"},
        }
    )
    assert got == [("jobs.build.steps[0].uses", 10, 15)]


def test_any_all_not_combinators() -> None:
    match = {
        "for_each": "jobs.*",
        "where": {
            "any": [
                {"path": "name", "regex": "(?i)deploy"},
                {"path": "steps[*].run", "regex": "kubectl apply"},
            ]
        },
    }
    assert hits(match) == [("jobs.deploy.name", 15, 11)]
    match = {"for_each": "jobs.*", "where": {"not": {"path": "needs", "exists": True}}}
    assert hits(match) == [("jobs.build", 6, 3)]


def test_key_path_matches_the_candidate_id() -> None:
    assert hits({"for_each": "jobs.*", "where": {"path": "@key", "regex": "^dep"}}) == [
        ("jobs.deploy", 14, 3)
    ]


def test_absolute_path_from_candidate() -> None:
    match = {
        "for_each": "jobs.*",
        "where": {
            "all": [
                {"path": "$.permissions", "equals": "write-all"},
                {"path": "needs", "exists": True},
            ]
        },
    }
    assert hits(match) == [("jobs.deploy.needs", 17, 5)]


def test_report_overrides_location() -> None:
    match = {
        "for_each": "jobs.*",
        "where": {"path": "continue-on-error", "equals": True},
        "report": "runs-on",
    }
    assert hits(match) == [("jobs.deploy.runs-on", 16, 5)]


def test_merge_keys_and_anchors_are_followed_not_expanded() -> None:
    text = """\
defaults: &d
  runs-on: ubuntu-latest
  permissions: write-all
jobs:
  a:
    <<: *d
    steps: []
  b: *d
"""
    got = hits({"for_each": "jobs.*.permissions", "where": {"equals": "write-all"}}, text)
    # both resolve to the anchored node: one position, reported for each job's route
    assert got == [("jobs.a.permissions", 3, 16), ("jobs.b.permissions", 3, 16)]


@pytest.mark.parametrize(
    "spec,key",
    [
        ({"for_each": "x", "where": {"regex": "("}}, "match.where.regex"),
        ({"for_each": "x", "where": {"equals": 1, "regex": "a"}}, "match.where"),
        ({"for_each": "x", "where": {"frobnicate": 1}}, "match.where.frobnicate"),
        ({"for_each": "x", "where": {"gt": {"param": "nope"}}}, "match.where.gt"),
        ({"for_each": "x"}, "match"),
        ({"for_each": "x", "where": {"path": "a", "exists": True}, "bogus": 1}, "match.bogus"),
    ],
)
def test_compile_errors_name_the_key(spec: dict[str, Any], key: str) -> None:
    with pytest.raises(MatchError) as info:
        compile_match(spec, {})
    assert info.value.key == key


def test_param_regexes_keep_their_own_inline_flags() -> None:
    declared = {"names": {"default": []}}
    match = {"for_each": "jobs.*", "where": {"path": "@key", "regex": {"param": "names"}}}
    # each pattern's leading (?i) must stay global to that pattern (Python 3.11 rejects it mid-way)
    got = hits(match, params={"names": ["(?i)^BUILD$", "(?i)^DEPLOY$"]}, declared=declared)
    assert got == [("jobs.build", 6, 3), ("jobs.deploy", 14, 3)]


def test_param_globs_match_the_whole_value() -> None:
    declared = {"trusted": {"default": []}}
    match = {"for_each": "jobs.*.steps[*].uses", "where": {"glob": {"param": "trusted"}}}
    assert hits(match, params={"trusted": ["acme/*"]}, declared=declared) == [
        ("jobs.deploy.steps[0].uses", 21, 15)
    ]
    assert hits(match, params={"trusted": ["deploy*"]}, declared=declared) == []


def test_invalid_param_regex_is_a_config_error() -> None:
    from soc2lint.errors import ConfigError

    declared = {"names": {"default": []}}
    match = {"for_each": "jobs.*", "where": {"path": "@key", "regex": {"param": "names"}}}
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        hits(match, params={"names": ["(unclosed"]}, declared=declared)


def test_deep_wildcard_visits_each_node_once() -> None:
    got = hits({"for_each": "jobs.*", "where": {"path": "**", "regex": "kubectl"}})
    assert got == [("jobs.deploy.steps[1].run", 22, 14)]
    # an alias bomb stays cheap: every distinct node once, whatever the expansion
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert hits({"for_each": "$", "where": {"path": "**", "equals": "y"}}, bomb) == []


def test_named_conditions_from_a_library() -> None:
    library = {
        "deploy-job": {
            "any": [
                {"path": "@key", "regex": "deploy"},
                {"path": "steps[*].run", "regex": {"param": "cmds"}},
            ]
        }
    }
    root = yaml.compose(WORKFLOW, Loader=yaml.CSafeLoader)
    matcher = compile_match(
        {"for_each": "jobs.*", "where": {"use": "deploy-job"}}, {"cmds": {}}, library
    )
    assert [render(h.route) for h in matcher.run(root, {"cmds": ["make test"]})] == [
        "jobs.build.steps[1].run",
        "jobs.deploy",
    ]
    with pytest.raises(MatchError, match="unknown named condition 'nope'"):
        compile_match({"for_each": "jobs.*", "where": {"use": "nope"}}, {}, library)
    with pytest.raises(MatchError, match="uses itself"):
        compile_match(
            {"for_each": "jobs.*", "where": {"use": "loop"}}, {}, {"loop": {"use": "loop"}}
        )


def test_references_follow_needs_transitively() -> None:
    text = """\
jobs:
  test: {steps: [{run: pytest}]}
  build: {needs: test, steps: [{run: make}]}
  deploy: {needs: [build], steps: [{run: ship}]}
  rogue: {needs: [build], steps: [{run: ship}]}
"""
    gate = {"path": "steps[*].run", "regex": "pytest"}
    direct = {
        "for_each": ["jobs.deploy", "jobs.rogue"],
        "assert": {"path": "needs", "references": {"in": "$.jobs", "where": gate}},
    }
    assert hits(direct, text) == [("jobs.deploy.needs[0]", 4, 20), ("jobs.rogue.needs[0]", 5, 19)]
    transitive = {
        "for_each": ["jobs.deploy", "jobs.build"],
        "assert": {
            "path": "needs",
            "references": {"in": "$.jobs", "where": gate, "transitive": True},
        },
    }
    assert hits(transitive, text) == []


def test_match_blocks_add_up_with_their_own_messages() -> None:
    from soc2lint.language.match import compile_matches

    root = yaml.compose(WORKFLOW, Loader=yaml.CSafeLoader)
    matchers = compile_matches(
        [
            {"for_each": "permissions", "where": {"equals": "write-all"}, "message": "top"},
            {"for_each": "jobs.*", "where": {"path": "continue-on-error", "equals": True}},
        ],
        {},
    )
    got = [(render(h.route), h.message) for m in matchers for h in m.run(root, {})]
    assert got == [("permissions", "top"), ("jobs.deploy.continue-on-error", None)]


@pytest.mark.parametrize(
    "on", ["pull_request", "[push, pull_request]", "{pull_request: {branches: [main]}}"]
)
def test_has_reads_on_in_all_three_shapes(on: str) -> None:
    text = f"on: {on}\njobs: {{}}\n"
    assert hits({"for_each": "$", "where": {"path": "on", "has": "pull_request"}}, text) != []
    assert (
        hits({"for_each": "$", "where": {"path": "on", "has": "pull_request_target"}}, text) == []
    )
    target = text.replace("pull_request", "pull_request_target")
    assert hits({"for_each": "$", "where": {"path": "on", "has": "pull_request"}}, target) == []


def test_count_of_matching_nodes() -> None:
    bare = {"path": "permissions", "absent": True}
    assert (
        hits({"for_each": "$", "where": {"path": "jobs.*", "count": {"ge": 2, "where": bare}}})
        != []
    )
    text = WORKFLOW.replace("  deploy:\n", "  deploy:\n    permissions: {}\n")
    assert (
        hits(
            {"for_each": "$", "where": {"path": "jobs.*", "count": {"ge": 2, "where": bare}}}, text
        )
        == []
    )
    assert hits({"for_each": "$", "where": {"path": "jobs.*", "count": {"equals": 2}}}, text) != []
    with pytest.raises(MatchError, match="one comparison"):
        compile_match(
            {"for_each": "$", "where": {"path": "jobs.*", "count": {"ge": 1, "le": 3}}}, {}
        )


def test_caseless_prefilters_find_whatever_the_case_blind_pattern_finds() -> None:
    """`(?i)` prefilters run as case-sensitive patterns on lowered text; never one miss."""
    import random
    import re

    from soc2lint.scan.documents import caseless as _caseless

    rnd = random.Random(3)
    patterns = [
        r"(?i)secrets\s*\[|tojson\s*\(\s*secrets",
        r"(?i)configure-aws-credentials|google-github-actions/|azure/login",
    ]
    words = [
        "secrets [",
        "toJSON( Secrets",
        "TOJSON(secrets)",
        "Configure-AWS-Credentials",
        "Google-GitHub-Actions/auth",
        "Azure/Login",
        "secret",
        "tojson(",
        "azure/log",
    ]
    for source in patterns:
        blind, fast = re.compile(source), _caseless(re.compile(source))
        assert fast is not None
        for _ in range(500):
            text = " ".join(
                "".join(c.upper() if rnd.random() < 0.5 else c for c in w)
                for w in rnd.sample(words, 3)
            )
            assert bool(blind.search(text)) == bool(fast.search(text.lower())), text
    assert _caseless(re.compile(r"(?i)\x41")) is None and _caseless(re.compile("Foo")) is None


def test_the_operator_table_is_exactly_the_operators_the_compiler_accepts() -> None:
    """docs/rule-language.md's operator table is generated from OPERATOR_TABLE: each operator in
    it compiles, and a key not in it is an unknown operator."""
    from soc2lint.language.conditions import OPERATOR_TABLE, OPERATORS

    samples: dict[str, Any] = {
        "exists": True,
        "absent": True,
        "equals": 1,
        "not_equals": 1,
        "in": [1],
        "not_in": [1],
        "regex": "a",
        "not_regex": "a",
        "glob": "a*",
        "not_glob": "a*",
        "gt": 1,
        "ge": 1,
        "lt": 1,
        "le": 1,
        "length": {"ge": 1},
        "contains": "a",
        "not_contains": "a",
        "has": "a",
        "not_has": "a",
        "type": "string",
        "all": [{"exists": True, "path": "a"}],
        "any": [{"exists": True, "path": "a"}],
        "not": {"exists": True, "path": "a"},
        "use": "named",
        "references": {"in": "$.jobs", "where": {"exists": True, "path": "a"}},
        "count": {"ge": 1},
    }
    assert sorted(OPERATORS) == sorted(samples)
    assert len(OPERATORS) == len(set(OPERATORS))  # each documented in one row
    assert all(row.syntax and row.holds for row in OPERATOR_TABLE)
    for op, operand in samples.items():
        compile_match(
            {"for_each": "jobs.*", "where": {"path": "steps", op: operand}},
            {},
            {"named": {"exists": True, "path": "a"}},
        )
    with pytest.raises(MatchError, match="unknown operator 'matches'"):
        compile_match({"where": {"path": "a", "matches": "x"}}, {})
