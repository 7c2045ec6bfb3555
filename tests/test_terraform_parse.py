"""Terraform parsing: blocks, attributes and expression trees with positions, HCL and JSON."""

from __future__ import annotations

from soc2lint.terraform.parse import parse_hcl, parse_json
from soc2lint.terraform.syntax import (
    BinOp,
    Call,
    Cond,
    ForExpr,
    GetAttr,
    Index,
    Lit,
    ObjectExpr,
    Pos,
    Splat,
    Template,
    TupleExpr,
    Var,
    references,
    traversal,
)

SOURCE = """\
variable "e" {
  default = true
}
resource "aws_db_instance" "orders" {
  storage_encrypted = var.e
  tags = { Name = "x", (var.k) = 1 }
  list = [1, 2.5, null, "s"]
  cond = var.env == "prod" && !var.off ? 1 : -2
  s    = "a-${var.x}-b"
  one  = "${var.x}"
  i    = var.m["k"].x[0]
  sp   = var.l[*].id
  f    = [for k, v in var.m : upper(v) if k != "x"]
  g    = {for v in var.l : v.name => v...}
  h = <<-EOT
    {"a": 1}
  EOT
  ingress {
    from_port = 22
  }
}
"""


def test_blocks_attributes_positions() -> None:
    parsed = parse_hcl("main.tf", SOURCE)
    assert parsed.issues == ()
    variable, db = parsed.blocks
    assert (variable.type, variable.labels, variable.pos) == ("variable", ("e",), Pos(0, 0))
    assert (db.type, db.labels, db.pos) == ("resource", ("aws_db_instance", "orders"), Pos(3, 0))
    enc = db.attribute("storage_encrypted")
    assert enc is not None and enc.pos == Pos(4, 2)
    assert enc.expr == GetAttr(Var("var", Pos(4, 22)), "e", Pos(4, 22))
    (ingress,) = db.blocks
    assert (ingress.type, ingress.pos, ingress.path) == ("ingress", Pos(17, 2), "main.tf")
    assert ingress.attributes[0].expr == Lit(22, Pos(18, 16))


def test_expressions() -> None:
    db = parse_hcl("main.tf", SOURCE).blocks[1]

    def expr(name: str) -> object:
        attr = db.attribute(name)
        assert attr is not None
        return attr.expr

    tags = expr("tags")
    assert isinstance(tags, ObjectExpr)
    assert tags.items[0][0] == Lit("Name", Pos(5, 11))  # a bare key is its text
    assert isinstance(tags.items[1][0], GetAttr)
    assert [i.value for i in expr("list").items] == [1, 2.5, None, "s"]  # type: ignore[attr-defined]
    cond = expr("cond")
    assert isinstance(cond, Cond) and isinstance(cond.test, BinOp) and cond.test.op == "&&"
    assert isinstance(cond.test.left, BinOp) and cond.test.left.op == "=="
    s = expr("s")
    assert isinstance(s, Template) and s.parts[0] == "a-" and s.parts[2] == "-b"
    one = expr("one")
    assert isinstance(one, Template) and len(one.parts) == 1
    assert isinstance(expr("i"), Index)
    assert traversal(expr("i")) == ("var", "m", "k", "x", "0")  # type: ignore[arg-type]
    assert isinstance(expr("sp"), Splat)
    f = expr("f")
    assert isinstance(f, ForExpr) and (f.key_var, f.value_var) == ("k", "v")
    assert isinstance(f.value, Call) and f.value.name == "upper" and f.cond is not None
    g = expr("g")
    assert isinstance(g, ForExpr) and g.group and g.key is not None
    assert expr("h") == Lit('{"a": 1}\n', Pos(14, 6))  # <<- strips the indentation
    assert isinstance(expr("list"), TupleExpr)


def test_references_in_source_order() -> None:
    db = parse_hcl("main.tf", SOURCE).blocks[1]
    attr = db.attribute("cond")
    assert attr is not None
    assert references(attr.expr) == [("var", "env"), ("var", "off")]


def test_a_broken_block_is_an_issue_and_the_others_are_kept() -> None:
    text = (
        'resource "aws_x" "ok" {\n  a = 1\n}\n'
        'resource "aws_x" "bad" {\n  a = = 2\n}\n'
        'resource "aws_x" "after" {\n  b = "x"\n}\n'
    )
    parsed = parse_hcl("main.tf", text)
    assert [b.labels[1] for b in parsed.blocks] == ["ok", "after"]
    (issue,) = parsed.issues
    assert issue.line == 5 and issue.message.startswith("invalid HCL")
    assert parsed.blocks[1].pos == Pos(6, 0)  # positions survive the re-parse


def test_tfvars_attributes() -> None:
    parsed = parse_hcl("terraform.tfvars", "encrypted = false\nrules = [{ port = 22 }]\n")
    assert [a.name for a in parsed.attributes] == ["encrypted", "rules"]
    assert parsed.attributes[0].expr == Lit(False, Pos(0, 12))


def test_json_syntax() -> None:
    text = (
        '{"resource": {"aws_x": {"n": {\n'
        '  "a": "${var.q}",\n'
        '  "lit": "plain",\n'
        '  "ingress": [{"from_port": 22}],\n'
        '  "tags": {"k": "v"}\n'
        "}}},\n"
        ' "variable": {"q": {"default": true}}}\n'
    )
    parsed = parse_json("main.tf.json", text)
    resource, variable = parsed.blocks
    assert (resource.labels, variable.labels) == (("aws_x", "n"), ("q",))
    a = resource.attribute("a")
    assert a is not None and isinstance(a.expr, Template)
    assert traversal(a.expr.parts[0]) == ("var", "q")  # type: ignore[arg-type]
    assert a.expr.pos == Pos(1, 7)
    lit = resource.attribute("lit")
    assert lit is not None and lit.expr == Lit("plain", Pos(2, 9))
    assert [b.type for b in resource.blocks] == ["ingress"]  # an array of objects: blocks
    assert resource.attribute("tags") is not None  # a map attribute stays an attribute


def test_invalid_json_is_an_issue() -> None:
    parsed = parse_json("main.tf.json", '{"resource": ')
    assert parsed.blocks == () and parsed.issues[0].message.startswith("invalid JSON")


def test_deep_nesting_is_no_crash() -> None:
    deep = "x = " + "[" * 3000 + "]" * 3000 + "\n"
    parsed = parse_hcl("deep.tfvars", deep)
    assert len(parsed.attributes) <= 1  # opaque or an issue, never a RecursionError
