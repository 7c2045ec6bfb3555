"""Terraform rules that join a resource to its companion resources across the scan (the rule's
`with: {check: ...}` says which): S3 bucket versioning (TFA006), Secrets Manager rotation
(TFA017), VPC flow logs (TFA024), and EBS encryption by default (TFA022).

A companion joins its parent by reference expression only (`bucket = aws_s3_bucket.logs.id`,
`secret_id = aws_secretsmanager_secret.db.id`, `vpc_id = aws_vpc.main.id`) within the same
module instance, never by a literal name. A companion whose join attribute is anything else (a
variable, a local, a module output, a data source, a literal) is *opaque*: it may be any
parent's, so a parent no companion covers gets no verdict while the scan holds one. So does
every parent when the scan holds no companion of that type at all (it may be managed in another
repository or module), unless the rule's `assume_complete: true` says the scan is complete, and
in scans of explicit paths (pre-commit). Unknown values decide nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from soc2lint.detectors import Verdict
from soc2lint.model import Document, Hit

Fact = dict[str, Any]
Route = tuple[str | int, ...]

# check -> (parent type, companion type, the companion's attribute naming the parent)
COMPANIONS: dict[str, tuple[str, str, str]] = {
    "versioning": ("aws_s3_bucket", "aws_s3_bucket_versioning", "bucket"),
    "rotation": ("aws_secretsmanager_secret", "aws_secretsmanager_secret_rotation", "secret_id"),
    "flow-logs": ("aws_vpc", "aws_flow_log", "vpc_id"),
}
# traversal roots that name no object (iterators, paths): no join either way
_NEUTRAL = frozenset({"count", "each", "path", "terraform", "self"})


def _resource(doc: Document) -> Any:
    resource = getattr(doc.data, "resource", None)
    return resource if resource is not None and resource.mode == "resource" else None


def _unknown(value: Any) -> bool:
    from soc2lint.terraform.values import UNKNOWN, has_unknown

    return value is UNKNOWN or has_unknown(value)


def _attr(body: Any, name: str) -> Any:
    """(present, value) of an attribute."""
    value = body.attributes.get(name)
    return (False, None) if value is None else (True, value.value)


def _blocks(body: Any, kind: str) -> list[Any]:
    """A nested block type's bodies; UNKNOWN in place of one a `dynamic` over an unknown
    collection makes."""
    from soc2lint.terraform.config import Body
    from soc2lint.terraform.values import UNKNOWN

    return [b if isinstance(b, Body) else UNKNOWN for b in body.blocks.get(kind, ())]


def _hit(route: Route, fact: Fact, focus: str = "value") -> Hit:
    return Hit(route, focus, {}, fact=fact)


def _targets(resource: Any, attr: str, parent_type: str) -> tuple[list[str], bool, list[str]]:
    """(the parents of the same module instance the attribute references, whether it names
    something that may be any parent: a variable, local, data source or literal, the module
    calls whose output it names: it may be any parent inside them)."""
    refs = resource.references.get(attr, ())
    targets = []
    scopes = []
    opaque = False
    for trav in refs:
        if not trav or trav[0] in _NEUTRAL:
            continue
        if trav[0] == parent_type and len(trav) >= 2 and isinstance(trav[1], str):
            targets.append(f"{resource.module_path}|{trav[1]}")
        elif trav[0] == "module" and len(trav) >= 2 and isinstance(trav[1], str):
            prefix = f"{resource.module_path}." if resource.module_path else ""
            scopes.append(f"{prefix}module.{trav[1]}")
        else:
            opaque = True
    if not targets and not refs and attr in resource.body.attributes:
        opaque = True  # a literal (or a value from a call argument): never joined by name
    return targets, opaque, scopes


def _inside(module_path: str, scopes: Sequence[str]) -> bool:
    """Whether a module instance is one of the calls (or below one)."""
    return any(module_path == s or module_path.startswith((s + "[", s + ".")) for s in scopes)


def _key(resource: Any) -> str:
    return f"{resource.module_path}|{resource.name.split('[', 1)[0]}"


def _truthy(value: Any) -> bool | None:
    """True / "true" -> True, False / "false" -> False, unknown (or anything else) -> None."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    return None


# -- per document -----------------------------------------------------------------------------


def companion_facts(doc: Document, params: Mapping[str, Any], context: Any) -> Iterator[Hit]:
    resource = _resource(doc)
    if resource is None:
        return
    check = str(params.get("check", ""))
    base: Route = ("resource", resource.type, resource.name)
    if check == "ebs":
        yield from _ebs_facts(resource, base)
        return
    if check not in COMPANIONS:
        return
    parent_type, companion_type, attr = COMPANIONS[check]
    if resource.type == parent_type:
        yield from _parent_fact(check, resource, base)
    elif resource.type == companion_type:
        targets, opaque, scopes = _targets(resource, attr, parent_type)
        fact: Fact = {
            "kind": "companion",
            "address": resource.address,
            "targets": targets,
            "opaque": opaque,
            "scopes": scopes,
        }
        fact.update(_companion_state(check, resource, params))
        route = fact.pop("route", None)
        yield _hit(route or base, fact, "value" if route else "key")


def _parent_fact(check: str, resource: Any, base: Route) -> Iterator[Hit]:
    fact: Fact = {
        "kind": "parent",
        "address": resource.address,
        "key": _key(resource),
        "module_path": resource.module_path,
        "inline": None,
    }
    route, focus = base, "key"
    body = resource.body
    if check == "versioning":  # the legacy inline `versioning { enabled = ... }`
        blocks = _blocks(body, "versioning")
        present, locked = _attr(body, "object_lock_enabled")
        if present and _truthy(locked):
            fact["inline"] = "on"  # S3 enables versioning on a bucket created with Object Lock
        elif blocks:
            block = blocks[0]
            if _unknown(block):
                fact["inline"] = "unknown"
            else:
                present, enabled = _attr(block, "enabled")
                state = _truthy(enabled) if present else False
                fact["inline"] = {True: "on", False: "off", None: "unknown"}[state]
                if present and state is False:
                    route, focus = (*base, "versioning", 0, "enabled"), "value"
    elif check == "rotation":  # the legacy inline rotation of the secret itself
        present, lam = _attr(body, "rotation_lambda_arn")
        if body.blocks.get("rotation_rules") or (present and lam not in (None, "")):
            fact["inline"] = "on"
    yield _hit(route, fact, focus)


def _companion_state(check: str, resource: Any, params: Mapping[str, Any]) -> Fact:
    """{"state": on | off | unknown, "detail", "route"} of a companion."""
    body = resource.body
    if check == "versioning":
        configs = _blocks(body, "versioning_configuration")
        if not configs or _unknown(configs[0]):
            return {"state": "unknown"}
        present, status = _attr(configs[0], "status")
        if not present or _unknown(status):
            return {"state": "unknown"}
        if status == "Enabled":
            return {"state": "on"}
        return {
            "state": "off",
            "detail": f"sets versioning to `{status}`: overwritten or deleted objects are lost",
            "route": ("resource", resource.type, resource.name, "versioning_configuration", 0),
        }
    if check == "rotation":
        limit = params.get("max_rotation_days", 90)
        rules = _blocks(body, "rotation_rules")
        if not rules or _unknown(rules[0]):
            return {"state": "on"}
        present, days = _attr(rules[0], "automatically_after_days")
        if (
            present
            and isinstance(days, int | float)
            and not isinstance(days, bool)
            and isinstance(limit, int | float)
            and days > limit
        ):
            route = ("resource", resource.type, resource.name, "rotation_rules", 0)
            return {
                "state": "off",
                "detail": f"rotates the secret every {days:g} days, more than {limit:g}",
                "route": (*route, "automatically_after_days"),
            }
        return {"state": "on"}
    return {"state": "on"}


# -- TFA022: EBS volumes, instance and launch-template disks ---------------------------------


def _ebs_facts(resource: Any, base: Route) -> Iterator[Hit]:
    body = resource.body
    if resource.type == "aws_ebs_encryption_by_default":
        present, enabled = _attr(body, "enabled")
        state = True if not present else _truthy(enabled)  # the provider's default: true
        fact = {"kind": "default", "address": resource.address, "enabled": state}
        yield _hit(base, fact, "key")
    elif resource.type == "aws_ebs_volume":
        yield from _disk(resource, body, base, "the volume")
    elif resource.type == "aws_instance":
        for kind, label in (("root_block_device", "its root volume"), ("ebs_block_device", "")):
            for i, block in enumerate(_blocks(body, kind)):
                if not _unknown(block):
                    what = label or "an attached EBS volume"
                    yield from _disk(resource, block, (*base, kind, i), what)
    elif resource.type == "aws_launch_template":
        for i, mapping in enumerate(_blocks(body, "block_device_mappings")):
            if _unknown(mapping):
                continue
            for j, ebs in enumerate(_blocks(mapping, "ebs")):
                if not _unknown(ebs):
                    route = (*base, "block_device_mappings", i, "ebs", j)
                    yield from _disk(resource, ebs, route, "a volume it launches")


def _disk(resource: Any, body: Any, route: Route, what: str) -> Iterator[Hit]:
    present, encrypted = _attr(body, "encrypted")
    if present:
        state = _truthy(encrypted)
        if state is not False:
            return  # encrypted, or unknown
        route, focus = (*route, "encrypted"), "value"
        detail = f"leaves {what} unencrypted (`encrypted = false`)"
    else:
        snapshot, _ = _attr(body, "snapshot_id")
        if snapshot:
            return  # a volume made from a snapshot inherits the snapshot's encryption
        focus = "key" if len(route) == 3 else "value"
        detail = f"leaves {what} unencrypted (`encrypted` is not set; the default is false)"
    yield _hit(route, {"kind": "disk", "address": resource.address, "detail": detail}, focus)


# -- the join ---------------------------------------------------------------------------------

_MISSING = {
    "versioning": (
        "has no aws_s3_bucket_versioning referencing it (nor inline versioning): overwritten "
        "or deleted objects cannot be recovered"
    ),
    "rotation": (
        "has no aws_secretsmanager_secret_rotation referencing it: the secret is never rotated"
    ),
    "flow-logs": (
        "has no aws_flow_log referencing it: traffic to and from the VPC is not recorded"
    ),
}


def companion_join(facts: Sequence[Fact], params: Mapping[str, Any]) -> Verdict:
    check = str(params.get("check", ""))
    if check == "ebs":
        return _ebs_join(facts, bool(params.get("_complete", True)))
    hits: list[tuple[int, dict[str, str]]] = []
    companions = [f for f in facts if f["kind"] == "companion"]
    for index, fact in enumerate(facts):
        if fact["kind"] == "companion" and fact["state"] == "off":
            hits.append((index, {"object": fact["address"], "detail": fact["detail"]}))
    if not params.get("_complete", True):
        return Verdict(hits, evaluated=bool(hits))
    complete = bool(params.get("assume_complete")) or bool(companions)
    opaque = any(c["opaque"] for c in companions)
    scopes = [s for c in companions for s in c["scopes"]]
    undecided = False
    for index, fact in enumerate(facts):
        if fact["kind"] != "parent":
            continue
        if any(fact["key"] in c["targets"] for c in companions):
            continue  # covered (a companion that turns it off is reported itself)
        inline = fact["inline"]
        if inline == "on":
            continue
        reached = _inside(fact["module_path"], scopes)  # a module output may name it
        if inline == "unknown" or opaque or reached or (inline is None and not complete):
            undecided = True
            continue
        detail = _MISSING[check]
        if inline == "off":
            detail = "disables versioning inline (`versioning { enabled = false }`)"
        hits.append((index, {"object": fact["address"], "detail": detail}))
    return Verdict(hits, evaluated=not (undecided and not hits))


def _ebs_join(facts: Sequence[Fact], complete: bool) -> Verdict:
    if not complete:
        return Verdict([], evaluated=False)  # the default may be set in a file not scanned
    defaults = [f["enabled"] for f in facts if f["kind"] == "default"]
    if any(d is True for d in defaults):
        return Verdict([])  # every new volume of the region is encrypted
    if any(d is None for d in defaults):
        return Verdict([], evaluated=False)
    hits = [
        (i, {"object": f["address"], "detail": f["detail"]})
        for i, f in enumerate(facts)
        if f["kind"] == "disk"
    ]
    return Verdict(hits)
