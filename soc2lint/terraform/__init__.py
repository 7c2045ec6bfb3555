"""Terraform: parse, evaluate, and the value model the rules and detectors read.

Modules: `syntax` (blocks, attributes, expression trees with 0-based positions), `parse`
(tree-sitter-hcl for `*.tf`/`*.tfvars`, the JSON syntax for `*.tf.json`/`*.tfvars.json`),
`values` (the value model), `functions` (the modelled Terraform functions), `evaluate` (one
module instance's scope), `config` (module directories, calls, instances -> `Resource`s), and
`iam` (IAM policy statements from evaluated values). `soc2lint.formats.terraform` puts the
result on the format seam.

The value model
---------------
An evaluated value is plain Python: `dict` (objects and maps), `list` (tuples, lists, sets),
`str`, `int`, `float`, `bool`, `None` (null), or `values.UNKNOWN`, the one sentinel for anything
that cannot be known statically (a variable without a value, `data.*`, a resource attribute the
provider computes, a registry module's output, a function not modelled). UNKNOWN may be the
whole value or sit anywhere inside a container (`values.has_unknown`); test it with `is`.

Positions: `config.Resource.body` is a `config.Body`: `attributes` maps a name to a
`config.Value(value, where, key, encoded)`, where `where` is the `evaluate.Where(path, line,
column)` (0-based) of the value's expression, or of the call argument that decided it (in the
caller's file), `key` is the attribute name's, and `encoded`, for `attr = jsonencode(X)`, is X's
value before encoding (known in part where the JSON string is UNKNOWN as a whole: read IAM
policies from it); `blocks` maps a nested block type to a tuple of
`Body` (a `dynamic` block's expansions carry the dynamic block's position) or of a bare `Where`
for a block an unknown `for_each` makes. `Body.where` is the block's header.

Getting every resource of a scan
--------------------------------
Rules see one document per `Resource` (target `terraform`); `Document.identity` is the address
(`module.db.aws_db_instance.this`) and `Document.data` a `formats.terraform.TerraformData`
whose `.resource` is the `config.Resource` itself
(mode, type, name, module_path, directory, body, `references` per attribute: the traversals the
expression makes as written, e.g. `("aws_s3_bucket", "logs", "id")`, for joins by reference,
`source` of a module call, `call` where the root calls the instance). A named detector reading
it works like the Kubernetes joins (`soc2lint/scan/joins.py`, `detectors/k8s_joins.py`): per
document it returns hits with a picklable `fact` (address, type, the references it needs, the
evaluated values it judges); assembled documents keep their facts (scan.documents
`run_assembled`), and the detector's `join` decides over every fact of the scan once all were
read. Variables and outputs are documents of root modules only; a detector that leaves a
resource without a verdict for an unknown value should say so (a rule skipping a candidate
for an unknown value is listed as not evaluated, `language.match.UNKNOWN_SKIPS`). Outside the engine, `config.Configuration(files, var_files).resources()` with `files`
from `formats.terraform.parse_file(path, text)` yields the same resources.
"""
