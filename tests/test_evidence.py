"""GitHub settings evidence: payloads recognised by content wherever they are under .soc2/,
assembled per repository, findings at the exact key of the right file, bad input reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git

from soc2lint.formats.github import ERROR, PROTECTION, REPO, RULESETS, ManifestEntry, recognise
from soc2lint.formats.yamldoc import parse_json
from soc2lint.model import Artifact

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "github-api"
REPO_JSON = json.dumps(
    {
        "full_name": "acme/shop",
        "default_branch": "main",
        "owner": {"login": "acme", "type": "Organization"},
    },
    indent=2,
)
NOT_PROTECTED = '{\n  "message": "Branch not protected",\n  "documentation_url": "https://docs.github.com/rest"\n}\n'


def _root(text: str, path: str = "x.json") -> Any:
    parsed = parse_json(Artifact(path, path, "github-evidence", len(text)), text)
    return parsed.documents[0].root


def scan(run: Run, root: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run("--format", "json", str(root), *extra)
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def test_recognised_by_content_with_any_file_name() -> None:
    assert recognise(_root(REPO_JSON), "a.json", None) == REPO
    assert recognise(_root(NOT_PROTECTED), "b.json", None) == "branch-not-protected"
    if SHARED.is_dir():
        protection = (SHARED / "openapi-examples" / "branch-protection.json").read_text()
        assert recognise(_root(protection), "c.json", None) == PROTECTION
        rulesets = (SHARED / "openapi-examples" / "repository-ruleset-items.json").read_text()
        assert recognise(_root(rulesets), "d.json", None) == RULESETS
    # the manifest knows better than the content (a 403 body is an error, not a payload)
    forbidden = '{"message": "Must have admin rights to Repository.", "documentation_url": "x"}'
    entry = ManifestEntry("GET /repos/acme/shop/branches/main/protection", 403)
    assert recognise(_root(forbidden), "p.json", entry) == ERROR
    # an empty list is recognised only by the collector's file name
    assert (
        recognise(_root("[]"), "github/acme/members-2fa-disabled.json", None)
        == "members-2fa-disabled"
    )
    assert recognise(_root("[]"), "whatever.json", None) is None


def test_unprotected_default_branch_from_gh_api_exports_with_free_names(
    write: Write, run: Run, tmp_path: Path
) -> None:
    write(".soc2/shop-repo.json", REPO_JSON)
    write(".soc2/main-protection.json", NOT_PROTECTED)
    write(
        ".soc2/shop-rulesets.json",
        '[{"id": 1, "name": "tags", "target": "tag", "source_type":'
        ' "Repository", "source": "acme/shop", "enforcement": "active"}]',
    )
    code, findings = scan(run, tmp_path, "--select", "GH001")
    assert code == 1
    assert [(f["rule_id"], f["path"], f["line"], f["column"]) for f in findings] == [
        ("GH001", ".soc2/main-protection.json", 1, 1)
    ]


def test_bad_evidence_files_are_findings_and_the_scan_goes_on(
    write: Write, run: Run, tmp_path: Path
) -> None:
    write(".soc2/github/acme/shop/repo.json", REPO_JSON)
    write(".soc2/github/acme/shop/branches/main/protection.json", NOT_PROTECTED)
    write(".soc2/github/acme/shop/rulesets.json", "[]")
    write(".soc2/truncated.json", '{"full_name": "acme/shop", "default_br')
    write(".soc2/error-page.json", "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n")
    write(".soc2/empty.json", "")
    write(".soc2/unknown.json", '{"hello": "world"}')
    _, findings = scan(run, tmp_path, "--select", "GH001,SL")
    got = {(f["rule_id"], f["path"], f["line"]) for f in findings}
    assert got == {
        ("SL001", ".soc2/truncated.json", 1),
        ("SL001", ".soc2/error-page.json", 1),
        ("SL001", ".soc2/empty.json", 1),
        ("SL004", ".soc2/unknown.json", 1),
        ("GH001", ".soc2/github/acme/shop/branches/main/protection.json", 1),
    }
    assert {f["severity"] for f in findings if f["rule_id"] == "SL004"} == {"info"}


def test_evidence_is_read_even_when_git_ignores_it(write: Write, run: Run, tmp_path: Path) -> None:
    git.Repo.init(tmp_path)
    write(".gitignore", ".soc2/\n")
    write(".soc2/repo.json", REPO_JSON)
    write(".soc2/protection.json", NOT_PROTECTED)
    write(".soc2/rulesets.json", "[]")
    _, findings = scan(run, tmp_path, "--select", "GH001")
    assert [f["path"] for f in findings] == [".soc2/protection.json"]


def test_evidence_dir_is_configurable(write: Write, run: Run, tmp_path: Path) -> None:
    write("compliance/github/repo.json", REPO_JSON)
    write("compliance/github/protection.json", NOT_PROTECTED)
    write("compliance/github/rulesets.json", "[]")
    write(".soc2lint.yaml", "evidence_dir: compliance/github\n")
    _, findings = scan(run, tmp_path, "--select", "GH001")
    assert [f["path"] for f in findings] == ["compliance/github/protection.json"]


def test_two_repositories_are_judged_apart(write: Write, run: Run, tmp_path: Path) -> None:
    for name, protected in (("shop", False), ("blog", True)):
        base = f".soc2/github/acme/{name}"
        write(f"{base}/repo.json", REPO_JSON.replace("acme/shop", f"acme/{name}"))
        write(f"{base}/rulesets.json", "[]")
        if protected:
            write(
                f"{base}/branches/main/protection.json",
                json.dumps(
                    {
                        "url": f"https://api.github.com/repos/acme/{name}/branches/main/protection",
                        "allow_force_pushes": {"enabled": False},
                    }
                ),
            )
        else:
            write(f"{base}/branches/main/protection.json", NOT_PROTECTED)
    _, findings = scan(run, tmp_path, "--select", "GH001")
    assert [f["path"] for f in findings] == [".soc2/github/acme/shop/branches/main/protection.json"]
    assert findings[0]["identity"].startswith("acme/shop:")


def test_bundled_examples_compliant_and_not(run: Run) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples" / "evidence"
    code, findings = scan(run, examples / "compliant")
    assert (code, findings) == (0, [])
    code, findings = scan(run, examples / "noncompliant")
    assert code == 1
    assert {f["rule_id"] for f in findings} == {
        "GH003",
        "GH004",
        "GH005",
        "GH007",
        "GH008",
        "GH010",
        "GH012",
        "GH013",
        "GH014",
        "GH015",
        "GH016",
        "GH017",
        "GH018",
        "GH019",
        "GH020",
        "GH022",
        "GH024",
    }
    assert any(
        f["message"].startswith("The organization has 5 owners, more than the policy allows")
        for f in findings
        if f["rule_id"] == "GH018"
    )


def test_bypass_and_admin_messages_name_the_actor_and_the_count(
    write: Write, run: Run, tmp_path: Path
) -> None:
    base = ".soc2/github/acme/shop"
    write(f"{base}/repo.json", REPO_JSON)
    write(
        f"{base}/rulesets/7.json",
        json.dumps(
            {
                "id": 7,
                "name": "main",
                "target": "branch",
                "source_type": "Repository",
                "source": "acme/shop",
                "enforcement": "active",
                "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
                "bypass_actors": [
                    {"actor_id": 4242, "actor_type": "Team", "bypass_mode": "always"}
                ],
                "rules": [{"type": "deletion"}],
            }
        ),
    )
    write(
        f"{base}/collaborators-all.json",
        json.dumps([{"login": f"u{i}", "permissions": {"admin": True}} for i in range(5)]),
    )
    _, findings = scan(run, tmp_path, "--select", "GH011,GH018")
    messages = {f["rule_id"]: f["message"] for f in findings}
    assert messages["GH011"].startswith("A team (actor_type Team, actor_id 4242) can bypass")
    assert messages["GH018"].startswith("More than 3 collaborators have admin rights")
