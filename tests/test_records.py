"""Audit records (issue 15, part 2): access reviews, incidents, rollback drills, rollback paths
and secret rotation, each through the real CLI on real files in tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from soc2lint.records import dates
from soc2lint.records.read import schema

Run = Callable[..., tuple[int, str, str]]
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "records"
AS_OF = "parameters: {as_of: '2026-06-01', audit_period: '2026-01-01..2026-06-01'}\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def findings(run: Run, root: Path, *args: str) -> tuple[int, list[tuple[str, str, int, int]], dict]:
    code, out, err = run(str(root), "--format", "json", *args)
    assert code in (0, 1), err
    data = json.loads(out)
    found = sorted((f["rule_id"], f["path"], f["line"], f["column"]) for f in data["findings"])
    return code, found, data


def messages(data: dict, rule: str) -> list[str]:
    return [f["message"] for f in data["findings"] if f["rule_id"] == rule]


def test_example_records_give_the_documented_findings(run: Run) -> None:
    _, found, data = findings(run, EXAMPLE, "--select", "AR,IR,RB,SEC004", "--preview")
    assert found == [
        ("AR001", ".soc2/records/access-reviews/2026-Q2.yaml", 4, 11),
        ("AR002", ".soc2/records/access-reviews/2026-Q3.yaml", 20, 15),
        ("IR001", ".soc2/records/incidents/INC-2026-004.yaml", 13, 1),
        ("IR002", ".soc2/records/incidents/INC-2026-004.yaml", 10, 15),
        ("RB001", ".github/workflows/deploy.yml", 16, 3),
        ("RB002", ".soc2/records/rollback-drills/2026-11-15.md", 2, 1),
        ("SEC004", ".soc2lint-baseline.yaml", 10, 3),
    ]
    (ar001,) = messages(data, "AR001")
    assert "the approver is the reviewer (alice)" in ar001 and "undecided (dave)" in ar001
    (ar002,) = messages(data, "AR002")
    assert "contractor-zed" in ar002 and "collaborators-outside.json" in ar002
    (ir001,) = messages(data, "IR001")
    assert "missing root_cause" in ir001 and "verified by the owner (alice)" in ir001
    (sec,) = messages(data, "SEC004")
    assert "a0d4e9c7b1f25c68" in sec


def test_no_evidence_directory_is_not_evaluated_unless_required(run: Run, tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "print('hello')\n"})
    code, found, data = findings(run, tmp_path, "--select", "AR,IR,RB002")
    assert code == 0 and found == []
    not_evaluated = data["summary"]["controls"]["rules_not_evaluated"]
    assert {r for rules in not_evaluated.values() for r in rules} >= {"AR001", "IR001", "RB002"}
    write(tmp_path, {".soc2lint.yaml": "parameters: {require_records: true}\n"})
    code, found, data = findings(run, tmp_path, "--select", "AR001,IR001,RB002")
    assert code == 1
    assert found == [
        ("AR001", ".soc2/records/access-reviews", 1, 1),
        ("IR001", ".soc2/records/incidents", 1, 1),
        ("RB002", ".soc2/records/rollback-drills", 1, 1),
    ]


def test_malformed_records_are_one_finding_each_and_the_rest_is_read(
    run: Run, tmp_path: Path
) -> None:
    good = (
        "id: INC-9\nseverity: sev1\ndetected_at: 2026-03-01T10:00:00Z\n"
        "declared_at: 2026-03-01T10:01:00Z\nowner: a\nescalated_to: b\n"
        "escalated_at: 2026-03-01T11:00:00Z\n"
    )
    write(
        tmp_path,
        {
            ".soc2lint.yaml": AS_OF,
            ".soc2/records/incidents/good.yaml": good,
            # a key that is no field of the schema
            ".soc2/records/incidents/typo.yaml": "id: INC-1\nseverity: sev2\nverifed_by: bob\n",
            # a value of the wrong type
            ".soc2/records/incidents/type.yaml": "id: INC-2\nowner: [a, b]\n",
            # no front matter
            ".soc2/records/incidents/notes.md": "# just notes\n",
            # not YAML
            ".soc2/records/incidents/broken.yaml": "id: INC-3\nowner: [a\n",
            # not a time
            ".soc2/records/rollback-drills/d.yaml": "date: last tuesday\n",
            ".soc2/records/access-reviews/2026-Q1.yaml": "quarter: 2026-Q1\nentries: nobody\n",
        },
    )
    code, found, data = findings(run, tmp_path, "--select", "AR001,IR001,IR002,RB002,SL001")
    assert code == 1
    assert found == [
        ("AR001", ".soc2/records/access-reviews/2026-Q1.yaml", 2, 10),
        ("IR001", ".soc2/records/incidents/good.yaml", 1, 1),  # open for more than 30 days
        ("IR001", ".soc2/records/incidents/type.yaml", 2, 8),
        ("IR001", ".soc2/records/incidents/typo.yaml", 3, 1),
        ("IR002", ".soc2/records/incidents/good.yaml", 7, 15),  # the good one is still read
        ("RB002", ".soc2/records/rollback-drills/d.yaml", 1, 7),
        ("SL001", ".soc2/records/incidents/broken.yaml", 3, 1),
        ("SL001", ".soc2/records/incidents/notes.md", 1, 1),
    ]
    text = " | ".join(f["message"] for f in data["findings"])
    assert "unknown key 'verifed_by'" in text
    assert (
        'malformed record: date: "last tuesday" is not valid (expected a date, YYYY-MM-DD, or an RFC 3339 time'
        in text
    )
    assert 'entries: "nobody" is not valid (expected a list)' in text
    assert 'owner: ["a", "b"] is not valid (expected a string)' in text
    assert "front matter" in text


def _collected(root: Path) -> None:
    """A collection as `collect github` leaves it, plus hand exports of members and teams."""
    payloads = {
        "github/acme/members-admin.json": [{"login": "alice", "id": 1}],
        "github/acme/members.json": [{"login": "alice", "id": 1}, {"login": "bob", "id": 2}],
        "github/acme/teams.json": [{"slug": "platform", "permission": "pull"}],
        "github/acme/shop/collaborators-all.json": [
            {"login": "alice", "permissions": {"admin": True}, "role_name": "admin"},
            {"login": "bob", "permissions": {"admin": False, "push": True}, "role_name": "write"},
        ],
        "github/acme/shop/collaborators-outside.json": [
            {"login": "zed", "permissions": {"push": True}, "role_name": "write"}
        ],
    }
    files = []
    for rel, body in payloads.items():
        raw = json.dumps(body, indent=2).encode()
        (root / ".soc2" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / ".soc2" / rel).write_bytes(raw)
        files.append(
            {
                "path": rel,
                "status": 200,
                "collected_at": "2026-07-03T08:00:00Z",
                "sha256": hashlib.sha256(raw).hexdigest(),
            }
        )
    manifest = {"tool": "soc2lint", "collected_at": "2026-07-03T08:00:00Z", "files": files}
    (root / ".soc2" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_access_review_new_lists_every_identity_with_the_exports(run: Run, tmp_path: Path) -> None:
    import yaml

    _collected(tmp_path)
    code, out, err = run("access-review", "new", str(tmp_path), "--quarter", "2026Q2")
    assert code == 0, err
    target = tmp_path / ".soc2/records/access-reviews/2026-Q2.yaml"
    assert "4 identities from 5 export(s)" in out
    review = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert review["quarter"] == "2026-Q2"
    assert (review["reviewer"], review["approver"], review["reviewed_at"]) == ("", "", "")
    raw = (tmp_path / ".soc2/github/acme/teams.json").read_bytes()
    assert {
        "path": ".soc2/github/acme/teams.json",
        "kind": "team",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "collected_at": "2026-07-03T08:00:00Z",
    } in review["exports"]
    entries = {e["identity"]: e for e in review["entries"]}
    assert list(entries) == ["alice", "zed", "acme/platform", "bob"]  # most privileged first
    assert entries["alice"]["access"] == (
        "org-admin acme (admin); repo-admin acme/shop (admin); org-member acme (member)"
    )
    assert entries["zed"]["kind"] == "outside-collaborator"
    assert all(e["decision"] == "" and e["reason"] == "" for e in entries.values())
    assert dates.parse_moment(review["generated_at"]) is not None

    # never overwritten
    before = target.read_bytes()
    code, _, err = run("access-review", "new", str(tmp_path), "--quarter", "2026-Q2")
    assert code == 2 and "already exists; not overwritten" in err and err[-1] == "\n"
    assert target.read_bytes() == before
    code, _, err = run("access-review", "new", str(tmp_path), "--quarter", "2026Q5")
    assert code == 2 and "no quarter" in err

    # the new review fails AR001 until decided and signed, then passes
    write(tmp_path, {".soc2lint.yaml": "parameters: {as_of: '2026-09-01'}\n"})
    _, found, data = findings(run, tmp_path, "--select", "AR001")
    assert ("AR001", ".soc2/records/access-reviews/2026-Q2.yaml", 7, 11) in found
    text = target.read_text(encoding="utf-8")
    text = text.replace('reviewer: ""', "reviewer: bob").replace('approver: ""', "approver: carol")
    text = text.replace('reviewed_at: ""', "reviewed_at: 2026-07-10")
    text = text.replace('decision: ""', "decision: keep")
    target.write_text(text, encoding="utf-8")
    _, found, data = findings(run, tmp_path, "--select", "AR001")
    # bob decided on bob: their own access
    assert [m for m in messages(data, "AR001") if "2026-Q2" in m] == [
        "Access review 2026-Q2: the access review of 2026-Q2 is not complete and signed: bob "
        "decided on their own access (set `decided_by` to someone else)"
    ]
    target.write_text(
        text.replace('identity: "bob"', 'identity: "bob"\n    decided_by: carol'), encoding="utf-8"
    )
    _, found, _ = findings(run, tmp_path, "--select", "AR001")
    assert not [f for f in found if f[1].endswith("2026-Q2.yaml")]


def test_revocation_is_judged_only_by_exports_collected_after_the_due_date(
    run: Run, tmp_path: Path
) -> None:
    _collected(tmp_path)  # collected 2026-07-03
    review = (
        "quarter: 2026-Q2\nreviewer: alice\napprover: carol\nreviewed_at: 2026-06-20\n"
        "entries:\n  - {identity: zed, scope: acme/shop, decision: revoke, reason: left, due: DUE}\n"
    )
    config = {".soc2lint.yaml": "parameters: {as_of: '2026-08-01'}\n"}
    path = ".soc2/records/access-reviews/2026-Q2.yaml"
    write(tmp_path, {**config, path: review.replace("DUE", "2026-07-10")})
    assert findings(run, tmp_path, "--select", "AR002")[1] == []  # collected before the due date
    write(tmp_path, {path: review.replace("DUE", "2026-07-01")})
    assert findings(run, tmp_path, "--select", "AR002")[1] == [("AR002", path, 6, 49)]
    write(tmp_path, {path: review.replace("DUE", "2026-07-01").replace("acme/shop", "other/repo")})
    assert findings(run, tmp_path, "--select", "AR002")[1] == []  # another scope
    (tmp_path / ".soc2/manifest.json").unlink()  # when collected is unknown: no verdict
    write(tmp_path, {path: review.replace("DUE", "2026-07-01")})
    assert findings(run, tmp_path, "--select", "AR002")[1] == []


def test_incident_new_writes_every_field_and_the_filled_record_passes(
    run: Run, tmp_path: Path
) -> None:
    import yaml

    code, out, err = run("incident", "new", str(tmp_path), "--id", "INC-2026-001")
    assert code == 0, err
    target = tmp_path / ".soc2/records/incidents/INC-2026-001.yaml"
    record = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert set(record) == set(schema("incidents")["properties"]) - {"summary"}
    code, _, err = run("incident", "new", str(tmp_path), "--id", "INC-2026-001")
    assert code == 2 and "not overwritten" in err
    code, _, err = run("incident", "new", str(tmp_path), "--id", "../escape")
    assert code == 2 and not (tmp_path / ".soc2/records/escape.yaml").exists()

    write(tmp_path, {".soc2lint.yaml": AS_OF})
    _, found, _ = findings(run, tmp_path, "--select", "IR")
    assert found == [("IR001", ".soc2/records/incidents/INC-2026-001.yaml", 5, 1)]
    filled = {
        **record,
        "title": "t",
        "severity": "sev1",
        "detected_at": "2026-03-01T10:00:00Z",
        "declared_at": "2026-03-01T10:05:00+01:00",  # 09:05Z: before detection
        "owner": "alice",
        "escalated_to": "bob",
        "escalated_at": "2026-03-01T10:15:00Z",
        "communications": [{"at": "2026-03-01T10:30:00Z", "audience": "staff", "summary": "x"}],
        "root_cause": "r",
        "corrective_actions": [
            {"action": "a", "owner": "bob", "ticket": "T-1", "due": "2026-03-09"}
        ],
        "verified_by": "carol",
        "verified_at": "2026-03-10T10:00:00Z",
        "verification_evidence": "https://example.com/T-1",
        "closed_at": "2026-03-11T10:00:00Z",
    }
    target.write_text(yaml.safe_dump(filled), encoding="utf-8")
    _, found, data = findings(run, tmp_path, "--select", "IR")
    assert messages(data, "IR001") == [
        "Incident INC-2026-001: declared_at (2026-03-01T10:05:00+01:00) is before detected_at"
    ]
    assert len(messages(data, "IR002")) == 1  # measured from declared_at: 70 minutes
    filled["declared_at"] = "2026-03-01T10:01:00Z"
    target.write_text(yaml.safe_dump(filled), encoding="utf-8")
    assert findings(run, tmp_path, "--select", "IR")[1] == []
    # a stricter SLA from the config
    write(
        tmp_path,
        {
            ".soc2lint.yaml": "parameters: {as_of: '2026-06-01', "
            "escalation_sla_minutes: {sev1: 5, sev2: 30}}\n"
        },
    )
    _, found, data = findings(run, tmp_path, "--select", "IR002")
    assert messages(data, "IR002") == [
        "Incident INC-2026-001: sev1 escalated 14 minutes after declared_at "
        "(2026-03-01T10:01:00Z -> 2026-03-01T10:15:00Z); the SLA is 5 minutes"
    ]


def test_open_incident_is_given_time_until_close_within_days(run: Run, tmp_path: Path) -> None:
    record = (
        "id: INC-5\nseverity: sev3\ndetected_at: 2026-05-20T10:00:00Z\n"
        "declared_at: 2026-05-20T10:00:00Z\nowner: alice\n"
    )
    write(tmp_path, {".soc2lint.yaml": AS_OF, ".soc2/records/incidents/INC-5.yaml": record})
    assert findings(run, tmp_path, "--select", "IR001")[1] == []
    write(tmp_path, {".soc2lint.yaml": "parameters: {as_of: '2026-07-01'}\n"})
    assert findings(run, tmp_path, "--select", "IR001")[1] == [
        ("IR001", ".soc2/records/incidents/INC-5.yaml", 1, 1)
    ]


WORKFLOW = """\
on: {push: {branches: [main]}}
jobs:
  build:
    runs-on: ubuntu-24.04
    steps: [{run: make}]
  deploy:
    needs: build
    runs-on: ubuntu-24.04
    environment: production
    steps:
      - run: kubectl apply -f k8s/
"""


def test_rollback_path_from_gitops_or_a_rollback_job(run: Run, tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/deploy.yml": WORKFLOW})
    assert findings(run, tmp_path, "--select", "RB001", "--preview")[1] == [
        ("RB001", ".github/workflows/deploy.yml", 6, 3)
    ]
    # a scan of explicit paths (pre-commit) reaches no verdict
    code, out, err = run("--select", "RB001", "--preview", "--format", "json", cwd=tmp_path)
    assert json.loads(out)["findings"]
    code, out, _ = run(
        ".github/workflows/deploy.yml", "--select", "RB001", "--preview", "--format", "json"
    )
    assert json.loads(out)["findings"] == []
    rollout = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: shop}\n"
        "spec: {strategy: {canary: {steps: [{setWeight: 20}]}}}\n"
    )
    write(tmp_path, {"k8s/rollout.yaml": rollout})
    assert findings(run, tmp_path, "--select", "RB001", "--preview")[1] == []
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: shop}\n"
        "spec: {upgrade: {remediation: {retries: RETRIES}}}\n"
    )
    write(tmp_path, {"k8s/rollout.yaml": release.replace("RETRIES", "3")})
    assert findings(run, tmp_path, "--select", "RB001", "--preview")[1] == []
    write(tmp_path, {"k8s/rollout.yaml": release.replace("RETRIES", "0")})
    assert len(findings(run, tmp_path, "--select", "RB001", "--preview")[1]) == 1
    (tmp_path / "k8s/rollout.yaml").unlink()
    job = (
        "  undo:\n    runs-on: ubuntu-24.04\n    steps: [{run: kubectl rollout undo deploy/shop}]\n"
    )
    write(tmp_path, {".github/workflows/deploy.yml": WORKFLOW + job})
    assert findings(run, tmp_path, "--select", "RB001", "--preview")[1] == []
    # a repository that does not deploy needs no rollback path
    write(tmp_path, {".github/workflows/deploy.yml": WORKFLOW.split("  deploy:")[0]})
    shutil.rmtree(tmp_path / "k8s", ignore_errors=True)
    assert findings(run, tmp_path, "--select", "RB001", "--preview")[1] == []


def test_secret_rotation_names_the_fingerprint_never_a_value(run: Run, tmp_path: Path) -> None:
    baseline = (
        "version: 1\nsecrets:\n"
        "  1111aaaa2222bbbb:\n    type: AWS Access Key\n    preview: AKIA…(20 chars)\n"
        "    rotated_on: 2026-05-01\n"
        "  3333cccc4444dddd:\n    type: Private Key\n    rotated_on: 2025-01-01\n    reason: rotated\n"
    )
    write(tmp_path, {".soc2lint-baseline.yaml": baseline, ".soc2lint.yaml": AS_OF})
    _, found, data = findings(run, tmp_path, "--select", "SEC004")
    assert found == [
        ("SEC004", ".soc2lint-baseline.yaml", 6, 17),
        ("SEC004", ".soc2lint-baseline.yaml", 9, 17),
    ]
    assert messages(data, "SEC004") == [
        "Secret 1111aaaa2222bbbb (AWS Access Key) was rotated on 2026-05-01 by the record, but "
        "it names no `ticket` or `reason`",
        "Secret 3333cccc4444dddd (Private Key) was last rotated on 2025-01-01, more than 365 "
        "days before 2026-06-01 (the rotation policy)",
    ]
    assert "AKIA" not in json.dumps(data["findings"])


def test_the_window_defaults_to_a_year_up_to_today() -> None:
    today = dt.date(2026, 12, 4)
    window = dates.window({}, today)
    assert window == dates.Window(dt.date(2025, 12, 5), today, today)
    assert [q.name for q in window.quarters()] == [
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    fixed = dates.window({"as_of": "2026-06-01", "audit_period": "2026-01-01..2026-12-31"})
    assert fixed == dates.Window(dt.date(2026, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    assert dates.parse_moment("2026-03-01T10:05:00+01:00") == dt.datetime(
        2026, 3, 1, 9, 5, tzinfo=dt.timezone.utc
    )
    assert dates.parse_moment("2026-02-30") is None
    assert dates.parse_quarter("2026q3") == dates.Quarter(2026, 3)


@pytest.mark.parametrize("name", ["access-reviews", "incidents", "rollback-drills"])
def test_schemas_are_valid_json_schemas(name: str) -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_a_scan_of_some_records_concludes_nothing_from_the_others_absence(
    run: Run, tmp_path: Path
) -> None:
    """pre-commit passes the changed files only: the quarters and drills in files it did not
    pass are not missing."""
    shutil.copytree(EXAMPLE, tmp_path / "repo")
    root = tmp_path / "repo"
    write(
        root,
        {
            ".soc2/records/access-reviews/2026-Q2.yaml": (
                "quarter: 2026-Q2\nreviewer: a\napprover: b\nreviewed_at: 2026-06-30\n"
                "entries: [{identity: c, decision: keep}]\n"
            )
        },
    )
    code, out, err = run(
        ".soc2/records/access-reviews/2026-Q3.yaml",
        ".soc2/records/rollback-drills/2026-11-15.md",
        "--select",
        "AR001,RB002",
        "--format",
        "json",
        cwd=root,
    )
    assert code == 0, err
    assert json.loads(out)["findings"] == []
    (root / ".soc2/records/access-reviews/2026-Q2.yaml").unlink()
    (root / ".soc2/records/rollback-drills/2026-06-10.yaml").unlink()
    code, found, _ = findings(run, root, "--select", "AR001,RB002")
    assert found == [
        ("AR001", ".soc2/records/access-reviews", 1, 1),
        ("RB002", ".soc2/records/rollback-drills/2026-11-15.md", 2, 1),
    ]


def test_incident_new_numbers_the_day_s_incidents_and_skips_readme_and_templates(
    run: Run, tmp_path: Path
) -> None:
    stem = f"INC-{dt.datetime.now(dt.timezone.utc):%Y%m%d}-"
    assert run("incident", "new", str(tmp_path))[0] == 0
    assert run("incident", "new", str(tmp_path))[0] == 0
    folder = tmp_path / ".soc2/records/incidents"
    assert sorted(p.name for p in folder.iterdir()) == [f"{stem}1.yaml", f"{stem}2.yaml"]
    for p in folder.iterdir():
        p.unlink()
    write(
        tmp_path,
        {
            ".soc2lint.yaml": AS_OF,
            ".soc2/records/incidents/README.md": "# How we write incident records\n",
            ".soc2/records/incidents/_template.yaml": "id: ''\nowner: ''\n",
        },
    )
    code, found, data = findings(run, tmp_path, "--select", "IR,SL001")
    assert (code, found) == (0, [])
