"""TFA012, TFA013, TFA014 and TFA016 through the whole engine: a policy given by reference to a
policy document is judged once (at the data source), full admin is not also a wildcard action, a
policy of the wrong shape is one line on stderr and the scan goes on, partly unknown policies
are judged on what is known. Pinned by (file, line, column, rule id)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from soc2lint.config import Config
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.scan.engine import scan

RULES = load_rules([builtin_rules_dir()])
IAM = ["TFA012", "TFA013", "TFA014", "TFA016"]


def _findings(root: Path, files: dict[str, str]) -> list[tuple[str, int, int, str]]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    rules = select_rules(RULES, select=IAM)
    result = scan(root, rules, Config(), today=dt.date(2026, 1, 1), jobs=1, history=False)
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_column, f.rule.id)
        for f in result.findings
    )


DOCUMENT = """\
data "aws_iam_policy_document" "admin" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
  statement {
    sid       = "Buckets"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "admin" {
  policy = data.aws_iam_policy_document.admin.json
}
resource "aws_iam_role_policy" "inline" {
  role   = "r"
  policy = data.aws_iam_policy_document.admin.json
}
"""


def test_a_document_used_by_two_policies_is_judged_once_at_its_statements(tmp_path: Path) -> None:
    assert _findings(tmp_path, {"main.tf": DOCUMENT}) == [
        ("main.tf", 2, 3, "TFA012"),
        ("main.tf", 6, 3, "TFA013"),
    ]


def test_message_names_the_address_and_the_statement(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(DOCUMENT, encoding="utf-8")
    rules = select_rules(RULES, select=["TFA013"])
    result = scan(tmp_path, rules, Config(), today=dt.date(2026, 1, 1), jobs=1, history=False)
    [finding] = result.findings
    assert finding.message.startswith(
        "data.aws_iam_policy_document.admin: statement 'Buckets' of the policy document"
    )


def test_a_known_admin_statement_is_found_beside_a_computed_resource(tmp_path: Path) -> None:
    text = """\
resource "aws_iam_user_policy" "u" {
  user = "u"
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = "s3:GetObject", Resource = aws_s3_bucket.b.arn },
      { Effect = "Allow", Action = "*", Resource = "*" },
    ]
  })
}
"""
    assert _findings(tmp_path, {"main.tf": text}) == [("main.tf", 3, 12, "TFA012")]


def test_a_policy_that_is_no_json_is_one_line_on_stderr_and_the_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "bad.tf": 'resource "aws_iam_policy" "bad" {\n  policy = "{not json"\n}\n',
        "good.tf": 'resource "aws_iam_role_policy_attachment" "a" {\n'
        '  role       = "r"\n'
        '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n',
    }
    assert _findings(tmp_path, files) == [("good.tf", 3, 16, "TFA014")]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("bad.tf:2:12: policy: policy is not valid JSON")


def test_deny_and_resource_policies_are_not_reported(tmp_path: Path) -> None:
    text = """\
resource "aws_iam_group_policy" "g" {
  group = "g"
  policy = jsonencode({
    Statement = [
      { Effect = "Deny", Action = "*", Resource = "*" },
      { Effect = "Allow", Action = "kms:*", Resource = "*", Principal = { AWS = "arn:aws:iam::1:root" } },
    ]
  })
}
"""
    assert _findings(tmp_path, {"main.tf": text}) == []


def test_trust_from_a_module_argument_is_reported_at_the_call(tmp_path: Path) -> None:
    files = {
        "main.tf": 'module "role" {\n  source  = "./role"\n  trusted = "*"\n}\n',
        "role/main.tf": """\
variable "trusted" {
  default = "arn:aws:iam::111122223333:root"
}
resource "aws_iam_role" "this" {
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.trusted } }]
  })
}
""",
    }
    found = _findings(tmp_path, files)
    assert [f[3] for f in found] == ["TFA016"]
    assert found[0][0] in ("main.tf", "role/main.tf")


def test_a_policy_with_an_unknown_part_leaves_the_rule_not_evaluated(tmp_path: Path) -> None:
    """An IAM rule that could not decide a statement (its actions come from a variable without a
    value) has no finding and is listed as not evaluated, so CC6.3 cannot read as passed; a
    policy that is known and clean leaves it evaluated."""
    rules = select_rules(RULES, select=["TFA012"])

    def not_evaluated(text: str) -> tuple[str, ...]:
        (tmp_path / "main.tf").write_text(text, encoding="utf-8")
        result = scan(tmp_path, rules, Config(), today=dt.date(2026, 1, 1), jobs=1, history=False)
        assert result.findings == ()
        return result.not_evaluated

    unknown = (
        'variable "actions" {}\n'
        'data "aws_iam_policy_document" "p" {\n'
        '  statement {\n    actions   = var.actions\n    resources = ["*"]\n  }\n}\n'
    )
    assert not_evaluated(unknown) == ("TFA012",)
    known = unknown.replace("var.actions", '["s3:GetObject"]')
    assert not_evaluated(known) == ()
