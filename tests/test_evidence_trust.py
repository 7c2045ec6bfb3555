"""Missing evidence never passes: organisation rulesets judged by their repository conditions,
both shapes of the protection booleans, failed endpoints reported, GH rules asked for explicitly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]
NOT_PROTECTED = (
    '{"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest"}\n'
)


def scan(run: Run, root: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run("--format", "json", "--no-history", str(root), *extra)
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def unprotected_repository(write: Write, name: str, repo_id: int) -> None:
    base = f".soc2/github/acme/{name}"
    write(
        f"{base}/repo.json",
        json.dumps(
            {
                "id": repo_id,
                "name": name,
                "full_name": f"acme/{name}",
                "default_branch": "main",
                "owner": {"login": "acme", "type": "Organization"},
            }
        ),
    )
    write(f"{base}/branches/main/protection.json", NOT_PROTECTED)
    write(f"{base}/rulesets.json", "[]")


def org_ruleset(write: Write, conditions: dict[str, Any]) -> None:
    """`gh api orgs/acme/rulesets/9`, an active ruleset protecting the default branch."""
    write(
        ".soc2/github/acme/rulesets/9.json",
        json.dumps(
            {
                "id": 9,
                "name": "org baseline",
                "target": "branch",
                "source_type": "Organization",
                "source": "acme",
                "enforcement": "active",
                "conditions": {
                    "ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []},
                    **conditions,
                },
                "rules": [
                    {"type": "pull_request", "parameters": {"required_approving_review_count": 1}},
                    {"type": "non_fast_forward"},
                    {"type": "deletion"},
                ],
                "bypass_actors": [],
            },
            indent=2,
        ),
    )


# --- 1. organisation rulesets apply only to the repositories their conditions take in -----------


@pytest.mark.parametrize(
    ("conditions", "unprotected"),
    [
        ({"repository_name": {"include": ["~ALL"], "exclude": ["shop"]}}, ["shop"]),
        ({"repository_name": {"include": ["blog"], "exclude": [], "protected": True}}, ["shop"]),
        ({"repository_name": {"include": ["SH*"], "exclude": []}}, ["blog"]),  # names: case-blind
        ({"repository_id": {"repository_ids": [2]}}, ["shop"]),
        ({"repository_name": {"include": ["~ALL"], "exclude": []}}, []),
    ],
    ids=["all-but-shop", "only-blog", "pattern", "by-id", "all"],
)
def test_org_ruleset_conditions_decide_which_repositories_it_protects(
    write: Write, run: Run, tmp_path: Path, conditions: dict[str, Any], unprotected: list[str]
) -> None:
    unprotected_repository(write, "shop", 1)
    unprotected_repository(write, "blog", 2)
    org_ruleset(write, conditions)
    _, findings = scan(run, tmp_path, "--select", "GH001")
    assert [(f["rule_id"], f["path"], f["line"], f["column"]) for f in findings] == [
        ("GH001", f".soc2/github/acme/{name}/branches/main/protection.json", 1, 1)
        for name in unprotected
    ]


def test_an_org_ruleset_excluding_the_only_repository_does_not_protect_it(
    write: Write, run: Run, tmp_path: Path
) -> None:
    unprotected_repository(write, "shop", 1)
    org_ruleset(write, {"repository_name": {"include": ["~ALL"], "exclude": ["shop"]}})
    _, findings = scan(run, tmp_path, "--select", "GH001,GH002")
    assert [(f["rule_id"], f["path"]) for f in findings] == [
        ("GH001", ".soc2/github/acme/shop/branches/main/protection.json")
    ]


def test_a_custom_property_ruleset_is_unknown_never_protection(
    write: Write, run: Run, tmp_path: Path
) -> None:
    unprotected_repository(write, "shop", 1)
    org_ruleset(
        write,
        {
            "repository_property": {
                "include": [{"name": "tier", "property_values": ["production"]}],
                "exclude": [],
            }
        },
    )
    _, findings = scan(run, tmp_path, "--select", "GH001,GH002,GH023")
    got = [
        (f["rule_id"], f["path"], f["line"], f["message"])
        for f in findings
        if f["message"].startswith("An active organization ruleset")
    ]
    assert got == [
        (
            "GH023",
            ".soc2/github/acme/rulesets/9.json",
            1,
            "An active organization ruleset on the default branch selects repositories by "
            "custom property (`repository_property`) or by id, which the export does not "
            "show for this repository: whether it protects the branch is unknown, so "
            "branch protection was not evaluated; not passing (export GET /repos/O/R/rules/"
            "branches/B: GitHub's list of the rules in effect settles it)",
        )
    ]
    assert not [f for f in findings if f["rule_id"] in ("GH001", "GH002")]


def test_the_effective_branch_rules_settle_a_custom_property_ruleset(
    write: Write, run: Run, tmp_path: Path
) -> None:
    """rules.json is GitHub's own verdict: ruleset 9 is not among the rules in effect."""
    unprotected_repository(write, "shop", 1)
    write(".soc2/github/acme/shop/branches/main/rules.json", "[]")
    org_ruleset(
        write,
        {
            "repository_property": {
                "include": [{"name": "tier", "property_values": ["production"]}],
                "exclude": [],
            }
        },
    )
    _, findings = scan(run, tmp_path, "--select", "GH001")
    assert [(f["rule_id"], f["path"]) for f in findings] == [
        ("GH001", ".soc2/github/acme/shop/branches/main/protection.json")
    ]


# --- 2. bare booleans are read like the object form ----------------------------------------------


def test_bare_boolean_protection_settings_are_judged(
    write: Write, run: Run, tmp_path: Path
) -> None:
    """`"enforce_admins": false` and `"allow_force_pushes": true`, as older GHES versions give
    them: before, GH010 and GH008 saw no `.enabled` and said nothing."""
    base = ".soc2/github/acme/shop"
    write(f"{base}/repo.json", '{"full_name": "acme/shop", "default_branch": "main"}')
    write(f"{base}/rulesets.json", "[]")
    write(
        f"{base}/branches/main/protection.json",
        (
            "{\n"
            '  "url": "https://ghe.example.com/api/v3/repos/acme/shop/branches/main/protection",\n'
            '  "enforce_admins": false,\n'
            '  "allow_force_pushes": true,\n'
            '  "allow_deletions": false\n'
            "}\n"
        ),
    )
    _, findings = scan(run, tmp_path, "--select", "GH008,GH009,GH010")
    assert [(f["rule_id"], f["path"], f["line"], f["column"]) for f in findings] == [
        ("GH010", f"{base}/branches/main/protection.json", 3, 21),
        ("GH008", f"{base}/branches/main/protection.json", 4, 25),
    ]


# --- 4. a failed ruleset listing is not hidden by the effective branch rules ---------------------


def test_a_failed_ruleset_listing_is_reported_even_with_rules_json(
    write: Write, run: Run, tmp_path: Path
) -> None:
    base = ".soc2/github/acme/shop"
    write(
        ".soc2/manifest.json",
        json.dumps(
            {
                "tool": "soc2lint",
                "repository": "acme/shop",
                "files": [
                    {
                        "path": "github/acme/shop/repo.json",
                        "endpoint": "GET /repos/acme/shop",
                        "status": 200,
                    },
                    {
                        "path": "github/acme/shop/branches/main/rules.json",
                        "endpoint": "GET /repos/acme/shop/rules/branches/main",
                        "status": 200,
                    },
                    {
                        "path": "github/acme/shop/rulesets.json",
                        "endpoint": "GET /repos/acme/shop/rulesets?includes_parents=true",
                        "status": 500,
                        "evidence": False,
                    },
                ],
            }
        ),
    )
    write(f"{base}/repo.json", '{"full_name": "acme/shop", "default_branch": "main"}')
    write(
        f"{base}/branches/main/rules.json",
        json.dumps(
            [
                {
                    "type": "pull_request",
                    "ruleset_source_type": "Organization",
                    "ruleset_source": "acme",
                    "ruleset_id": 9,
                    "parameters": {"required_approving_review_count": 1},
                }
            ]
        ),
    )
    write(f"{base}/rulesets.json", '{"message": "Server Error"}')
    _, findings = scan(run, tmp_path, "--select", "GH011,GH023")
    got = [
        (f["rule_id"], f["path"], f["message"].split(":")[0])
        for f in findings
        if f["message"].startswith("Rulesets")
    ]
    assert got == [
        (
            "GH023",
            f"{base}/rulesets.json",
            "Rulesets of the default branch (GET "
            "/repos/O/R/rulesets, /rules/branches/B) are error 500",
        )
    ]


# --- 5 and 8. evidence asked for: missing evidence is a medium finding and fails the run ---------

FORBIDDEN_WORKFLOW_PERMS = {
    ".soc2/manifest.json": json.dumps(
        {
            "tool": "soc2lint",
            "repository": "acme/shop",
            "files": [
                {
                    "path": "github/acme/shop/repo.json",
                    "endpoint": "GET /repos/acme/shop",
                    "status": 200,
                },
                {
                    "path": "github/acme/shop/actions-permissions-workflow.json",
                    "endpoint": "GET /repos/acme/shop/actions/permissions/workflow",
                    "status": 403,
                },
            ],
        }
    ),
    ".soc2/github/acme/shop/repo.json": '{"full_name": "acme/shop", "default_branch": "main"}',
    ".soc2/github/acme/shop/actions-permissions-workflow.json": '{"message": "Must have admin rights to Repository.", "documentation_url": "x"}',
}


@pytest.mark.parametrize(
    "select",
    [
        ["--select", "GH001"],
        ["--select", "default-branch-unprotected"],
        ["--select", "GH"],
        ["--select", "GH0"],
    ],
)
def test_gh_rules_selected_without_evidence_fail_the_run(
    run: Run, tmp_path: Path, select: list[str]
) -> None:
    """Before, `--select GH001` on a tree without .soc2/ exited 0 with nothing to say."""
    code, findings = scan(run, tmp_path, *select)
    assert code == 1
    assert [(f["rule_id"], f["path"], f["line"], f["severity"]) for f in findings] == [
        ("GH023", ".soc2", 1, "medium")
    ]
    assert findings[0]["message"].startswith(
        "No GitHub settings export under .soc2/ (no GET /repos/O/R payload)"
    )


def test_selecting_another_family_asks_for_no_evidence(run: Run, tmp_path: Path) -> None:
    code, findings = scan(run, tmp_path, "--select", "GHA")
    assert (code, findings) == (0, [])


def test_evidence_required_in_config(write: Write, run: Run, tmp_path: Path) -> None:
    write(".soc2lint.yaml", "evidence: required\n")
    code, findings = scan(run, tmp_path)
    assert code == 1
    assert [(f["rule_id"], f["path"], f["severity"]) for f in findings] == [
        ("GH023", ".soc2", "medium")
    ]


def test_config_select_of_the_gh_family_counts_as_explicit(
    write: Write, run: Run, tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "select: [GH]\n")
    assert [f["severity"] for f in scan(run, tmp_path)[1]] == ["medium"]


def test_an_invalid_evidence_setting_is_a_config_error(
    write: Write, run: Run, tmp_path: Path
) -> None:
    write(".soc2lint.yaml", "evidence: maybe\n")
    code, out, err = run(str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith(f"soc2lint: error: {tmp_path / '.soc2lint.yaml'}:1") and "evidence" in err


def test_a_refused_export_is_info_by_default_and_medium_when_gh_is_selected(
    write: Write, run: Run, tmp_path: Path
) -> None:
    for path, text in FORBIDDEN_WORKFLOW_PERMS.items():
        write(path, text)
    where = ".soc2/github/acme/shop/actions-permissions-workflow.json"
    code, findings = scan(run, tmp_path, "--select", "GH014,GH015,GH023")  # ids: explicit
    assert code == 1
    assert [(f["path"], f["severity"]) for f in findings if f["path"] == where] == [
        (where, "medium")
    ]
    _, findings = scan(run, tmp_path)  # every rule, none asked for by name: evidence is auto
    assert [(f["path"], f["severity"]) for f in findings if f["path"] == where] == [(where, "info")]


def test_the_text_summary_tells_a_compliant_repository_from_an_empty_one(
    run: Run, tmp_path: Path
) -> None:
    """Before, both printed `0 findings ...` and nothing else."""
    compliant = Path(__file__).resolve().parent.parent / "examples" / "evidence" / "compliant"
    code, out, _ = run("--no-history", str(compliant))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("0 findings in 0 of ")
    passed = next(x for x in lines if x.startswith("Controls evaluated: "))
    assert "CC6.1" in passed.split("passed: ")[1]
    assert not any(x.startswith("Controls not evaluated: ") and "CC8.1" in x for x in lines)
    # its settings pass, but with no merged pull requests exported change management is only
    # partly evaluated: the CM rules lack their evidence, and CC8.1 is never called passed
    assert "CC8.1" not in passed.split("passed: ")[1]
    partly = next(x for x in lines if x.startswith("Controls evaluated only in part: "))
    assert "CC8.1" in partly.split(" (")[0] and "CM001" in partly
    code, out, _ = run("--no-history", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "0 findings in 0 of 0 files scanned with " + lines[0].split(" with ")[1]
    not_evaluated = next(x for x in lines if x.startswith("Controls not evaluated: "))
    assert "CC8.1" in not_evaluated.split(" (")[0] and "CM001" in not_evaluated
    assert not any(x.startswith("Controls evaluated: ") and "passed: " in x for x in lines)


@pytest.mark.parametrize("files", [1, 210])  # 210 with -j 2: the forked workers' path
def test_yaml_holding_no_kubernetes_object_judges_no_kubernetes_rule(
    run: Run, tmp_path: Path, files: int
) -> None:
    """Any YAML file made the KUB/ARGO/FLUX rules count as having judged, so a repository
    without one manifest showed CC6.7 as passed. A target that accepted no document judged
    nothing: its controls are not evaluated; one object among the files changes that."""
    for i in range(files):
        (tmp_path / f"settings-{i}.yaml").write_text(f"name: shop-{i}\nreplicas: 3\n")

    def controls() -> dict[str, Any]:
        code, out, err = run("--no-history", "-j", "2", "--format", "json", str(tmp_path))
        assert code == 0, err
        return dict(json.loads(out)["summary"]["controls"])

    before = controls()
    assert "CC6.7" not in before["passed"] and "CC6.7" in before["not_evaluated"]
    (tmp_path / "settings-0.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop\ndata:\n  mode: fast\n"
    )
    after = controls()
    assert "CC6.7" in after["passed"] and "CC6.7" not in after["not_evaluated"]


def test_explicitly_selected_is_id_name_or_whole_family_prefix() -> None:
    from soc2lint.formats.github import explicitly_selected
    from soc2lint.language.load import builtin_rules_dir, load_rules

    rules = {r.id: r for r in load_rules([builtin_rules_dir()])}
    gh001, gha001 = rules["GH001"], rules["GHA001"]
    assert [
        explicitly_selected([p], gh001)
        for p in ("GH001", "gh001", "default-branch-unprotected", "GH", "GH0", "GH00")
    ] == [True] * 6
    assert [explicitly_selected([p], gh001) for p in ("G", "GH002", "GHA", "")] == [False] * 4
    assert explicitly_selected(["GH"], gha001) is False
    assert explicitly_selected(["GHA"], gha001) is True


def test_a_default_branch_with_a_slash_keeps_its_protection(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """The API's URLs percent-encode a branch's slashes (`release%2F1.x`): the protection of a
    default branch `release/1.x` was dropped, and its settings reported as missing."""
    base = ".soc2/github/acme/shop"
    write(
        f"{base}/repo.json",
        json.dumps(
            {
                "id": 7,
                "name": "shop",
                "full_name": "acme/shop",
                "default_branch": "release/1.x",
                "owner": {"login": "acme", "type": "Organization"},
            }
        ),
    )
    write(
        f"{base}/protection.json",
        json.dumps(
            {
                "url": "https://api.github.com/repos/acme/shop/branches/release%2F1.x/protection",
                "enforce_admins": {"enabled": False},
                "allow_force_pushes": {"enabled": False},
            }
        ),
    )
    write(f"{base}/rulesets.json", "[]")
    _, findings = scan(run, tmp_path, "--select", "GH001,GH010,GH023")
    assert [(f["rule_id"], f["path"]) for f in findings if f["rule_id"] != "GH023"] == [
        ("GH010", f"{base}/protection.json")
    ]
    assert not [f for f in findings if "protection" in f["message"] and f["rule_id"] == "GH023"]
