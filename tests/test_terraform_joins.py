"""Terraform companion joins (TFA006, TFA017, TFA022, TFA024) through the whole engine: joined by
reference expression within a module instance (never by a literal name), no verdict where the
companion may be elsewhere (none of that type in the scan, an opaque reference, explicit paths)
unless `assume_complete`, the same answer with worker processes. Pinned by (file, line, column,
rule id)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from soc2lint.config import Config
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.model import ScanResult
from soc2lint.scan import parallel
from soc2lint.scan.engine import scan

RULES = load_rules([builtin_rules_dir()])
JOINS = ["TFA006", "TFA017", "TFA022", "TFA024"]


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _run(
    root: Path, jobs: int = 1, paths: list[Path] | None = None, **parameters: Any
) -> ScanResult:
    rules = select_rules(RULES, select=JOINS, preview=True, parameters=parameters)
    return scan(
        root, rules, Config(), paths=paths, today=dt.date(2026, 1, 1), jobs=jobs, history=False
    )


def _where(result: ScanResult) -> list[tuple[str, int, int, str]]:
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_column, f.rule.id)
        for f in result.findings
    )


MODULE = """\
variable "rotate" {
  default = true
}
resource "aws_secretsmanager_secret" "this" {
  name = "db"
}
resource "aws_secretsmanager_secret_rotation" "this" {
  count               = var.rotate ? 1 : 0
  secret_id           = aws_secretsmanager_secret.this.id
  rotation_lambda_arn = "arn:aws:lambda:eu-west-1:111122223333:function:rotate"
}
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_flow_log" "this" {
  vpc_id       = aws_vpc.this.id
  traffic_type = "ALL"
}
resource "aws_s3_bucket" "this" {
  bucket = "b"
}
resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}
"""

ROOT = """\
module "on" {
  source = "./mod"
}
module "off" {
  source = "./mod"
  rotate = false
}
resource "aws_ebs_volume" "scratch" {
  availability_zone = "eu-west-1a"
  size              = 10
  encrypted         = false
}
"""


def _tree(root: Path) -> None:
    _write(root, {"main.tf": ROOT, "mod/main.tf": MODULE})


def test_companions_join_within_each_module_instance(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _run(tmp_path)
    # the "off" instance has no rotation (count = 0); the companions of the other types cover
    assert _where(result) == [("main.tf", 11, 23, "TFA022"), ("mod/main.tf", 4, 1, "TFA017")]
    messages = sorted(f.message for f in result.findings)
    assert messages[1].startswith("module.off.aws_secretsmanager_secret.this has no")
    assert messages[0].startswith("aws_ebs_volume.scratch leaves the volume unencrypted")


def test_worker_processes_give_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    alone = _run(tmp_path, jobs=1)
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    forked = _run(tmp_path, jobs=2)
    assert [(f.location, f.rule.id, f.message) for f in forked.findings] == [
        (f.location, f.rule.id, f.message) for f in alone.findings
    ]
    assert all(f.fact is None for f in forked.findings)


def test_explicit_paths_reach_no_verdict(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _run(tmp_path, paths=[tmp_path / "main.tf", tmp_path / "mod/main.tf"])
    assert result.findings == ()
    assert {"TFA017", "TFA022"} <= set(result.not_evaluated)


def test_a_literal_name_never_joins_and_makes_the_rest_unknown(tmp_path: Path) -> None:
    text = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_flow_log" "main" {
  vpc_id = "vpc-0123456789abcdef0"
}
"""
    _write(tmp_path, {"main.tf": text})
    result = _run(tmp_path)
    assert result.findings == ()
    assert "TFA024" in result.not_evaluated


def test_no_companion_in_the_scan_is_no_verdict_unless_complete(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "main.tf": 'resource "aws_secretsmanager_secret" "s" {\n  name = "s"\n}\n'
            'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
        },
    )
    result = _run(tmp_path)
    assert result.findings == ()
    assert {"TFA006", "TFA017"} <= set(result.not_evaluated)
    complete = _run(tmp_path, assume_complete=True)
    assert _where(complete) == [("main.tf", 1, 1, "TFA017"), ("main.tf", 4, 1, "TFA006")]


def test_inline_legacy_versioning_and_rotation(tmp_path: Path) -> None:
    text = """\
resource "aws_s3_bucket" "on" {
  bucket = "on"
  versioning {
    enabled = true
  }
}
resource "aws_s3_bucket" "off" {
  bucket = "off"
  versioning {
    enabled = false
  }
}
resource "aws_secretsmanager_secret" "s" {
  rotation_lambda_arn = "arn:aws:lambda:eu-west-1:111122223333:function:rotate"
  rotation_rules {
    automatically_after_days = 30
  }
}
"""
    _write(tmp_path, {"main.tf": text})
    assert _where(_run(tmp_path, assume_complete=True)) == [("main.tf", 10, 15, "TFA006")]


def test_ebs_default_encryption_disabled_does_not_suppress(tmp_path: Path) -> None:
    text = """\
resource "aws_ebs_encryption_by_default" "this" {
  enabled = false
}
resource "aws_launch_template" "web" {
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 20
      encrypted   = "false"
    }
  }
  block_device_mappings {
    device_name = "/dev/xvdb"
    ebs {
      snapshot_id = "snap-0123456789abcdef0"
    }
  }
}
"""
    _write(tmp_path, {"main.tf": text})
    assert _where(_run(tmp_path)) == [("main.tf", 9, 21, "TFA022")]


def test_a_module_output_leaves_only_the_parents_inside_that_call_without_verdict(
    tmp_path: Path,
) -> None:
    files = {
        "main.tf": """\
module "logs" {
  source = "./bucket"
}
resource "aws_s3_bucket_versioning" "logs" {
  bucket = module.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_s3_bucket" "data" {
  bucket = "data"
}
""",
        "bucket/main.tf": """\
resource "aws_s3_bucket" "this" {
  bucket = "logs"
}
output "id" {
  value = aws_s3_bucket.this.id
}
""",
    }
    _write(tmp_path, files)
    result = _run(tmp_path)
    assert _where(result) == [("main.tf", 10, 1, "TFA006")]
    assert "TFA006" not in result.not_evaluated


def test_a_bucket_created_with_object_lock_is_versioned(tmp_path: Path) -> None:
    text = """\
variable "lock" {
  default = true
}
resource "aws_s3_bucket" "locked" {
  bucket              = "locked"
  object_lock_enabled = var.lock
}
resource "aws_s3_bucket" "plain" {
  bucket = "plain"
}
"""
    _write(tmp_path, {"main.tf": text})
    assert _where(_run(tmp_path, assume_complete=True)) == [("main.tf", 8, 1, "TFA006")]
