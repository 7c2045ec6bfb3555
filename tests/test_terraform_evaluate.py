"""The Terraform evaluator: expressions, functions, unknown propagation, instances, modules."""

from __future__ import annotations

from typing import Any

import pytest

from soc2lint.terraform.config import Body, Configuration, Resource
from soc2lint.terraform.parse import parse_hcl
from soc2lint.terraform.values import UNKNOWN


def resources(files: dict[str, str], var_files: dict[str, str] | None = None) -> list[Resource]:
    parsed = [parse_hcl(path, text) for path, text in files.items()]
    extra = [parse_hcl(path, text) for path, text in (var_files or {}).items()]
    return list(Configuration(parsed, extra).resources())


def value(expr: str, prelude: str = "") -> Any:
    text = prelude + f'resource "x" "y" {{\n  v = {expr}\n}}\n'
    (found,) = [r for r in resources({"main.tf": text}) if r.mode == "resource"]
    return found.body.attributes["v"].value


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("10 / 4", 2.5),
        ("7 % 3", 1),
        ('"a" == "a" && !false', True),
        ('1 == "1"', False),
        ('upper("ab")', "AB"),
        ('lookup({a = 1}, "b", 2)', 2),
        ("merge({a = 1}, {a = 2, b = 3})", {"a": 2, "b": 3}),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ('length("abc")', 3),
        ('contains(["a", "b"], "b")', True),
        ('tobool("true")', True),
        ('tonumber("12")', 12),
        ("tostring(5)", "5"),
        ("jsonencode({b = [1, true], a = null})", '{"a":null,"b":[1,true]}'),
        ('jsondecode("{\\"a\\": 1}")', {"a": 1}),
        ('format("%s-%d", "a", 3)', "a-3"),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({b = 1, a = 2})", [2, 1]),
        ("flatten([[1], [2, [3]]])", [1, 2, 3]),
        ('coalesce(null, "", "x")', "x"),
        ('try({a = 1}.b, "fallback")', "fallback"),
        ("can({a = 1}.b)", False),
        ("[for x in [1, 2, 3] : x * 2 if x > 1]", [4, 6]),
        ("{for k, v in {a = 1, b = 2} : v => k}", {"1": "a", "2": "b"}),
        ('{for v in ["a", "b", "a"] : v => v...}', {"a": ["a", "a"], "b": ["b"]}),
        ("[{id = 1}, {id = 2}][*].id", [1, 2]),
        ('"x-${1 + 1}-%{if true}y%{else}n%{endif}"', "x-2-y"),
        ("{a = [10, 20]}.a[1]", 20),
        ("path.module", "."),
    ],
)
def test_expressions(expr: str, expected: Any) -> None:
    assert value(expr) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "var.nothing",
        "var.nothing == 1",
        "var.nothing + 1",
        '"a-${var.nothing}"',
        "data.aws_caller_identity.current.account_id",
        "aws_s3_bucket.logs.arn",
        "module.remote.id",
        "timestamp()",
        "try(var.nothing, 5)",
        "coalesce(var.nothing, 1)",
        "merge({a = 1}, var.nothing)",
        "var.nothing ? 1 : 2",
        "[for x in var.nothing : x]",
        "jsonencode({a = var.nothing})",
        "terraform.workspace",
    ],
)
def test_unknown_propagates(expr: str) -> None:
    assert value(expr, 'variable "nothing" {}\n') is UNKNOWN


def test_known_operands_decide_despite_unknown_ones() -> None:
    prelude = 'variable "nothing" {}\n'
    assert value("false && var.nothing", prelude) is False
    assert value("var.nothing || true", prelude) is True
    assert value("var.nothing ? 1 : 1", prelude) == 1
    assert value("[1, var.nothing]", prelude) == [1, UNKNOWN]
    assert value('contains([var.nothing, "a"], "a")', prelude) is True
    assert value('contains([var.nothing, "a"], "b")', prelude) is UNKNOWN


def test_heredoc_with_interpolation_is_dedented() -> None:
    text = 'locals {\n  n = "x"\n}\n'
    assert value('<<-EOT\n    {"a": "${local.n}"}\n      b\n  EOT\n', text) == '{"a": "x"}\n  b\n'


def test_local_cycles_and_deep_nesting_are_unknown_not_a_crash() -> None:
    assert value("local.a", "locals {\n  a = local.b\n  b = local.a\n}\n") is UNKNOWN
    value("[" * 200 + "1" + "]" * 200)  # parsed or not, no exception


def test_count_and_for_each_instances() -> None:
    found = resources(
        {
            "main.tf": (
                'resource "aws_x" "same" {\n  count = 3\n  v = "a"\n}\n'
                'resource "aws_x" "each" {\n  for_each = toset(["b", "a"])\n  v = each.key\n}\n'
                'resource "aws_x" "none" {\n  for_each = {}\n}\n'
                'variable "n" {}\n'
                'resource "aws_x" "unknown" {\n  count = var.n\n  v = count.index\n}\n'
            )
        }
    )
    addresses = [r.address for r in found if r.mode == "resource"]
    assert addresses == ["aws_x.same", 'aws_x.each["a"]', 'aws_x.each["b"]', "aws_x.unknown"]
    unknown = next(r for r in found if r.address == "aws_x.unknown")
    assert unknown.body.attributes["v"].value is UNKNOWN


def test_a_count_given_as_a_string_is_converted_like_terraform_does() -> None:
    """`count = var.n` with a string default "0" makes no instance (seen on a held-out repository:
    a resource that does not exist was reported); "2" makes two; a word is unknown."""
    found = resources(
        {
            "main.tf": (
                'variable "zero" {\n  default = "0"\n}\n'
                'variable "two" {\n  default = "2"\n}\n'
                'resource "aws_x" "none" {\n  count = var.zero\n}\n'
                'resource "aws_x" "pair" {\n  count = var.two\n}\n'
                'resource "aws_x" "word" {\n  count = "many"\n}\n'
            )
        }
    )
    addresses = [r.address for r in found if r.mode == "resource"]
    assert addresses == ["aws_x.pair", "aws_x.word"]  # equal instances are one document


def test_dynamic_blocks_with_an_iterator_and_unknown_collections() -> None:
    found = resources(
        {
            "main.tf": (
                'variable "ports" {\n  default = [22, 443]\n}\n'
                'variable "unknown" {}\n'
                'resource "aws_security_group" "s" {\n'
                '  dynamic "ingress" {\n    for_each = var.ports\n    iterator = p\n'
                "    content {\n      from_port = p.value\n    }\n  }\n"
                '  dynamic "egress" {\n    for_each = var.unknown\n'
                "    content {\n      to_port = 1\n    }\n  }\n}\n"
            )
        }
    )
    sg = next(r for r in found if r.mode == "resource")
    ingress = sg.body.blocks["ingress"]
    assert [b.attributes["from_port"].value for b in ingress if isinstance(b, Body)] == [22, 443]
    assert all(b.where.line == 5 for b in ingress if isinstance(b, Body))  # the dynamic block's
    (egress,) = sg.body.blocks["egress"]
    assert not isinstance(egress, Body)  # an unknown block


def test_module_outputs_and_nested_calls() -> None:
    found = resources(
        {
            "main.tf": (
                'module "a" {\n  source = "./a"\n  name = "n1"\n}\n'
                'resource "aws_x" "uses" {\n  v = module.a.out\n}\n'
            ),
            "a/main.tf": (
                'variable "name" {}\n'
                'module "b" {\n  source = "../b"\n  inner = "${var.name}-b"\n}\n'
                'output "out" {\n  value = upper(var.name)\n}\n'
            ),
            "b/main.tf": 'variable "inner" {}\nresource "aws_y" "z" {\n  v = var.inner\n}\n',
        }
    )
    by_address = {r.address: r for r in found}
    assert by_address["aws_x.uses"].body.attributes["v"].value == "N1"
    deep = by_address["module.a.module.b.aws_y.z"]
    assert deep.body.attributes["v"].value == "n1-b"
    # decided by the root's argument: reported in the root file, at `name = "n1"`
    assert (deep.body.attributes["v"].where.path, deep.body.attributes["v"].where.line) == (
        "main.tf",
        2,
    )
    assert deep.call is not None and deep.call.path == "main.tf"
    assert "a/main.tf" not in {r.directory for r in found if r.module_path == ""}


def test_var_files_are_applied_last() -> None:
    found = resources(
        {
            "main.tf": 'variable "v" {\n  default = 1\n}\n',
            "terraform.tfvars": "v = 2\n",
            "a.auto.tfvars": "v = 3\n",
        },
        {"prod.tfvars": "v = 4\n"},
    )
    (variable,) = [r for r in found if r.mode == "variable"]
    assert variable.body.attributes["value"].value == 4


def test_references_are_kept_for_joins() -> None:
    found = resources(
        {
            "main.tf": (
                'resource "aws_s3_bucket_versioning" "v" {\n  bucket = aws_s3_bucket.logs.id\n}\n'
            )
        }
    )
    (versioning,) = found
    assert versioning.references["bucket"] == (("aws_s3_bucket", "logs", "id"),)
    assert versioning.body.attributes["bucket"].value is UNKNOWN


def test_the_evaluation_budget_makes_values_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    from soc2lint.terraform import evaluate

    monkeypatch.setattr(evaluate, "MAX_STEPS", 50)
    text = 'resource "x" "y" {\n  a = 1\n  b = [for i in [1, 2, 3, 4, 5, 6, 7, 8, 9] : i * i]\n}\n'
    (found,) = resources({"main.tf": text * 1})
    assert found.body.attributes["a"].value == 1
    many = "".join(
        f'resource "x" "y{i}" {{\n  b = [for i in [1, 2, 3, 4, 5] : i * i]\n}}\n' for i in range(20)
    )
    values = [r.body.attributes["b"].value for r in resources({"main.tf": many})]
    assert values[0] == [1, 4, 9, 16, 25] and values[-1] is UNKNOWN


def test_jsonencode_keeps_the_structure_known_in_part() -> None:
    text = (
        'resource "aws_iam_policy" "p" {\n'
        "  policy = jsonencode({\n"
        '    Statement = [{ Effect = "Allow", Action = "*", Resource = aws_s3_bucket.b.arn }]\n'
        "  })\n}\n"
    )
    (policy,) = resources({"main.tf": text})
    attr = policy.body.attributes["policy"]
    assert attr.value is UNKNOWN
    assert attr.encoded == {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": UNKNOWN}]}
