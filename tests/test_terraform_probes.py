"""The ten evaluation probes of the design (c1..c10), each a real directory scanned through the
real CLI with a rule reading `aws_ebs_volume.encrypted` (absent = the provider's `false`) or an
ingress rule (c8); plus the unknown, wrapper and parse-error cases around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soc2lint.cli import main

EBS_RULE = """\
id: TST901
name: probe-ebs-unencrypted
title: A probe rule for unencrypted EBS volumes
controls: [CC6.1]
severity: high
target: terraform
status: stable
match:
  for_each: "resource.aws_ebs_volume.*"
  assert: {path: encrypted, equals: true, default: false}
message: "{object} is not encrypted"
rationale: The probe's rationale, long enough.
remediation: The probe's remediation, long enough.
help: The probe's help text, long enough for the schema.
examples:
  fail:
    - code: |
        resource "aws_ebs_volume" "v" {
          size = 1
        }
      expect: ["1:1"]
  pass:
    - code: |
        resource "aws_ebs_volume" "v" {
          encrypted = true
        }
"""

SSH_RULE = """\
id: TST902
name: probe-ssh-open
title: A probe rule for SSH open to the internet
controls: [CC6.6]
severity: high
target: terraform
status: stable
match:
  for_each: "resource.aws_security_group.*.ingress[*]"
  where:
    all:
      - {path: "cidr_blocks[*]", equals: 0.0.0.0/0}
      - {path: from_port, le: 22}
      - {path: to_port, ge: 22}
  report: "@key"
message: "{object} opens port 22 to the internet"
rationale: The probe's rationale, long enough.
remediation: The probe's remediation, long enough.
help: The probe's help text, long enough for the schema.
examples:
  fail:
    - code: |
        resource "aws_security_group" "s" {
          ingress {
            from_port   = 22
            to_port     = 22
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
      expect: ["2:3"]
  pass:
    - code: |
        resource "aws_security_group" "s" {}
"""


def scan(tmp_path: Path, files: dict[str, str], *extra: str) -> list[tuple[str, int, int, str]]:
    rules = tmp_path / "_rules"
    rules.mkdir(exist_ok=True)
    (rules / "TST901-probe-ebs-unencrypted.yaml").write_text(EBS_RULE)
    (rules / "TST902-probe-ssh-open.yaml").write_text(SSH_RULE)
    root = tmp_path / "repo"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    out = tmp_path / "out.json"
    argv = [
        "scan",
        str(root),
        "--no-config",
        "--rules",
        str(rules),
        "--select",
        "TST,SL001",
        "--format",
        "json",
        "-o",
        str(out),
        *extra,
    ]
    code = main(argv)
    assert code in (0, 1)
    report = json.loads(out.read_text())
    return [(f["path"], f["line"], f["column"], f["message"]) for f in report["findings"]]


VOLUME = 'resource "aws_ebs_volume" "v" {\n  encrypted = var.encrypted\n}\n'


def test_c1_variable_default_true_passes(tmp_path: Path) -> None:
    files = {"main.tf": 'variable "encrypted" {\n  default = true\n}\n' + VOLUME}
    assert scan(tmp_path, files) == []


def test_c2_variable_default_false_fails_at_the_attribute(tmp_path: Path) -> None:
    files = {"main.tf": 'variable "encrypted" {\n  default = false\n}\n' + VOLUME}
    assert scan(tmp_path, files) == [("main.tf", 5, 15, "aws_ebs_volume.v is not encrypted")]


def test_c3_variable_without_value_is_unknown(tmp_path: Path) -> None:
    files = {"main.tf": 'variable "encrypted" {}\n' + VOLUME}
    assert scan(tmp_path, files) == []


def test_c4_tfvars_sets_false(tmp_path: Path) -> None:
    files = {
        "main.tf": 'variable "encrypted" {}\n' + VOLUME,
        "terraform.tfvars": "encrypted = false\n",
    }
    assert scan(tmp_path, files) == [("main.tf", 3, 15, "aws_ebs_volume.v is not encrypted")]


def test_var_file_option_and_auto_tfvars_order(tmp_path: Path) -> None:
    files = {
        "main.tf": 'variable "encrypted" {}\n' + VOLUME,
        "terraform.tfvars": "encrypted = false\n",
        "b.auto.tfvars.json": '{"encrypted": true}\n',  # auto files win over terraform.tfvars
    }
    assert scan(tmp_path, files) == []
    var_file = tmp_path / "prod.tfvars"
    var_file.write_text("encrypted = false\n")
    found = scan(tmp_path, files, "--var-file", str(var_file))  # --var-file wins over all
    assert found == [("main.tf", 3, 15, "aws_ebs_volume.v is not encrypted")]


def test_c5_local_module_argument_reported_at_the_call(tmp_path: Path) -> None:
    files = {
        "main.tf": 'module "vol" {\n  source    = "./mod"\n  encrypted = false\n}\n',
        "mod/main.tf": 'variable "encrypted" {\n  default = true\n}\n' + VOLUME,
    }
    assert scan(tmp_path, files) == [
        ("main.tf", 3, 15, "module.vol.aws_ebs_volume.v is not encrypted")
    ]


def test_c6_conditional_on_a_local(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "env" {\n  default = "dev"\n}\n'
            'locals {\n  is_prod = var.env == "prod"\n}\n'
            'resource "aws_ebs_volume" "v" {\n  encrypted = local.is_prod ? true : false\n}\n'
        )
    }
    assert scan(tmp_path, files) == [("main.tf", 8, 15, "aws_ebs_volume.v is not encrypted")]


def test_c7_registry_module_is_not_read(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'module "db" {\n  source            = "terraform-aws-modules/rds/aws"\n'
            "  storage_encrypted = false\n}\n"
        )
    }
    assert scan(tmp_path, files) == []


def test_c8_dynamic_ingress_from_a_variable_default(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "rules" {\n'
            '  default = [{ port = 22, cidr = "0.0.0.0/0" }]\n'
            "}\n"
            'resource "aws_security_group" "ssh" {\n'
            '  dynamic "ingress" {\n'
            "    for_each = var.rules\n"
            "    content {\n"
            "      from_port   = ingress.value.port\n"
            "      to_port     = ingress.value.port\n"
            "      cidr_blocks = [ingress.value.cidr]\n"
            "    }\n"
            "  }\n"
            "}\n"
        )
    }
    # the expanded block keeps the dynamic block's position
    assert scan(tmp_path, files) == [
        ("main.tf", 5, 3, "aws_security_group.ssh opens port 22 to the internet")
    ]


def test_c8_dynamic_over_an_unknown_variable_is_unknown(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "rules" {}\n'
            'resource "aws_security_group" "ssh" {\n'
            '  dynamic "ingress" {\n'
            "    for_each = var.rules\n"
            "    content {\n"
            "      from_port   = ingress.value.port\n"
            "      to_port     = ingress.value.port\n"
            '      cidr_blocks = ["0.0.0.0/0"]\n'
            "    }\n"
            "  }\n"
            "}\n"
        )
    }
    assert scan(tmp_path, files) == []


def test_c9_lookup_of_merge(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "settings" {\n  default = { encrypted = false }\n}\n'
            'resource "aws_ebs_volume" "v" {\n'
            '  encrypted = lookup(merge({ encrypted = true }, var.settings), "encrypted", true)\n'
            "}\n"
        )
    }
    assert scan(tmp_path, files) == [("main.tf", 5, 15, "aws_ebs_volume.v is not encrypted")]


def test_c10_count_zero_means_no_resource(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'variable "create" {\n  default = false\n}\n'
            'resource "aws_ebs_volume" "v" {\n  count     = var.create ? 1 : 0\n'
            "  encrypted = false\n}\n"
        )
    }
    assert scan(tmp_path, files) == []


def test_absent_attribute_reported_at_the_block(tmp_path: Path) -> None:
    files = {"main.tf": 'resource "aws_ebs_volume" "v" {\n  size = 10\n}\n'}
    assert scan(tmp_path, files) == [("main.tf", 1, 1, "aws_ebs_volume.v is not encrypted")]


@pytest.mark.parametrize(
    "expr",
    ["data.aws_x.y.encrypted", "aws_kms_key.k.enabled", "timestamp()", "try(var.nothing, false)"],
)
def test_unknown_values_are_no_finding(tmp_path: Path, expr: str) -> None:
    files = {
        "main.tf": f'variable "nothing" {{}}\nresource "aws_ebs_volume" "v" {{\n  encrypted = {expr}\n}}\n'
    }
    assert scan(tmp_path, files) == []


def test_wrapper_for_each_over_an_empty_default_creates_nothing(tmp_path: Path) -> None:
    files = {
        "main.tf": 'variable "encrypted" {\n  default = false\n}\n' + VOLUME,
        "wrappers/main.tf": (
            'variable "items" {\n  default = {}\n}\n'
            'module "wrapper" {\n  source   = "../"\n  for_each = var.items\n'
            "  encrypted = try(each.value.encrypted, false)\n}\n"
        ),
    }
    # the root directory is called (by the wrapper), so it is not evaluated on its own; the
    # wrapper's for_each is empty: nothing exists
    assert scan(tmp_path, files) == []


def test_count_instances_that_differ_are_reported_each(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_ebs_volume" "v" {\n  count     = 2\n  encrypted = count.index == 0\n}\n'
        )
    }
    assert scan(tmp_path, files) == [("main.tf", 3, 15, "aws_ebs_volume.v[1] is not encrypted")]


def test_broken_block_is_a_parse_error_and_the_rest_is_checked(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_ebs_volume" "bad" {\n  encrypted = = false\n}\n'
            'resource "aws_ebs_volume" "after" {\n  encrypted = false\n}\n'
        )
    }
    found = scan(tmp_path, files)
    assert found[0][:3] == ("main.tf", 2, 15) and "invalid HCL" in found[0][3]
    assert found[1] == ("main.tf", 5, 15, "aws_ebs_volume.after is not encrypted")


def test_inline_suppression(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_ebs_volume" "v" {\n'
            "  encrypted = false  # soc2lint: ignore[TST901] scratch volume, no data (SEC-1)\n}\n"
        )
    }
    assert scan(tmp_path, files) == [
        ("main.tf", 2, 15, "aws_ebs_volume.v is not encrypted")
    ]  # listed in JSON, marked suppressed


def test_module_cycle_terminates(tmp_path: Path) -> None:
    files = {
        "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
        "b/main.tf": 'module "a" {\n  source = "../a"\n}\n' + 'resource "aws_ebs_volume" "v" {}\n',
    }
    found = scan(tmp_path, files)
    assert ("b/main.tf", 4, 1) in {f[:3] for f in found}


def test_dynamic_block_over_an_empty_collection_makes_no_block(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'resource "aws_security_group" "s" {\n'
            '  dynamic "ingress" {\n    for_each = []\n'
            "    content {\n      from_port = 22\n    }\n  }\n}\n"
        )
    }
    assert scan(tmp_path, files) == []


def test_the_argument_whose_value_decided_is_where_the_finding_points(tmp_path: Path) -> None:
    files = {
        "main.tf": (
            'module "vol" {\n  source    = "./mod"\n  mode      = "fast"\n  encrypted = false\n}\n'
        ),
        "mod/main.tf": (
            'variable "mode" {}\nvariable "encrypted" {}\n'
            'resource "aws_ebs_volume" "v" {\n'
            '  encrypted = var.mode == "fast" ? var.encrypted : true\n}\n'
        ),
    }
    assert scan(tmp_path, files) == [
        ("main.tf", 4, 15, "module.vol.aws_ebs_volume.v is not encrypted")
    ]


def test_an_unknown_value_leaves_the_rule_not_evaluated(tmp_path: Path) -> None:
    scan(tmp_path, {"main.tf": 'variable "encrypted" {}\n' + VOLUME})
    summary = json.loads((tmp_path / "out.json").read_text())["summary"]["controls"]
    assert "CC6.1" not in summary["passed"]
    assert summary["rules_not_evaluated"]["CC6.1"] == ["TST901"]
    scan(tmp_path, {"main.tf": 'variable "encrypted" {\n  default = true\n}\n' + VOLUME})
    summary = json.loads((tmp_path / "out.json").read_text())["summary"]["controls"]
    assert "CC6.1" in summary["passed"]


def test_json_syntax_is_evaluated_and_positioned(tmp_path: Path) -> None:
    files = {
        "main.tf.json": (
            '{"variable": {"enc": {"default": false}},\n'
            ' "resource": {"aws_ebs_volume": {"v": {\n'
            '   "encrypted": "${var.enc}"\n'
            "}}}}\n"
        )
    }
    assert scan(tmp_path, files) == [("main.tf.json", 3, 17, "aws_ebs_volume.v is not encrypted")]


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "bad.tf").write_bytes(b'resource "aws_ebs_volume" "x" {\n  tags = "\xff"\n}\n')
    files = {"empty.tf": "", "main.tf": 'resource "aws_ebs_volume" "v" {\n  encrypted = false\n}\n'}
    found = scan(tmp_path, files)
    assert [f[:3] for f in found] == [("bad.tf", 2, 11), ("main.tf", 2, 15)]
    assert "not UTF-8" in found[0][3]
