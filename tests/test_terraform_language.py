"""The rule language's two additions for evaluated formats: `default:` (an absent attribute takes
the provider's default) and unknown values (nodes.UNKNOWN_TAG), which decide nothing."""

from __future__ import annotations

from typing import Any

import pytest

from soc2lint import model
from soc2lint.formats import nodes
from soc2lint.language.match import compile_match
from soc2lint.language.paths import MatchError

AT = nodes.mark(0, 0)
UNKNOWN = object()


def node(value: Any) -> nodes.Node:
    """A node tree from a Python value; UNKNOWN becomes an unknown scalar."""
    if value is UNKNOWN:
        return model.ScalarNode(nodes.UNKNOWN_TAG, "(unknown)", AT, AT, None)
    if isinstance(value, dict):
        return nodes.mapping([(nodes.scalar(k, AT, AT), node(v)) for k, v in value.items()], AT, AT)
    if isinstance(value, list):
        return nodes.sequence([node(v) for v in value], AT, AT)
    if isinstance(value, bool):
        return model.ScalarNode(nodes.BOOL_TAG, "true" if value else "false", AT, AT, None)
    if isinstance(value, int):
        return model.ScalarNode(nodes.INT_TAG, str(value), AT, AT, None)
    return nodes.scalar(str(value), AT, AT)


def hits(spec: dict[str, Any], doc: dict[str, Any], conditions: Any = None) -> list[str]:
    matcher = compile_match(spec, {}, conditions)
    return [".".join(str(s) for s in hit.route) for hit in matcher.run(node(doc), {})]


ENCRYPTED = {
    "for_each": "resource.aws_ebs_volume.*",
    "assert": {"path": "encrypted", "equals": True, "default": False},
}


def volume(body: dict[str, Any]) -> dict[str, Any]:
    return {"resource": {"aws_ebs_volume": {"v": body}}}


def test_default_is_tested_when_absent_and_points_at_the_candidate() -> None:
    assert hits(ENCRYPTED, volume({"size": 1})) == ["resource.aws_ebs_volume.v"]
    assert hits(ENCRYPTED, volume({"encrypted": False})) == ["resource.aws_ebs_volume.v.encrypted"]
    assert hits(ENCRYPTED, volume({"encrypted": True})) == []
    passing_default = {
        **ENCRYPTED,
        "assert": {"path": "encrypted", "equals": True, "default": True},
    }
    assert hits(passing_default, volume({})) == []


def test_default_with_a_negated_operator() -> None:
    spec = {
        "for_each": "resource.aws_ebs_volume.*",
        "where": {"path": "mode", "not_equals": "serverless", "default": "provisioned"},
    }
    assert hits(spec, volume({})) == ["resource.aws_ebs_volume.v"]
    assert hits(spec, volume({"mode": "serverless"})) == []


def test_default_needs_a_path_and_a_value_operator() -> None:
    with pytest.raises(MatchError):
        compile_match({"where": {"exists": True, "default": 1}}, {})
    with pytest.raises(MatchError):
        compile_match({"where": {"path": "a", "all": [{"exists": True}], "default": 1}}, {})


def test_an_unknown_value_decides_nothing() -> None:
    assert hits(ENCRYPTED, volume({"encrypted": UNKNOWN})) == []
    negated = {**ENCRYPTED, "assert": {"path": "encrypted", "not_equals": False}}
    assert hits(negated, volume({"encrypted": UNKNOWN})) == []
    where = {
        "for_each": "resource.aws_ebs_volume.*",
        "where": {"path": "encrypted", "equals": False},
    }
    assert hits(where, volume({"encrypted": UNKNOWN})) == []


def test_paths_below_an_unknown_value_are_unknown() -> None:
    spec = {
        "for_each": "resource.aws_ebs_volume.*",
        "where": {"path": "settings.encryption.enabled", "equals": False, "default": False},
    }
    assert hits(spec, volume({"settings": UNKNOWN})) == []
    assert hits(spec, volume({"settings": {}})) == ["resource.aws_ebs_volume.v"]


def test_an_unknown_candidate_and_an_unknown_item() -> None:
    blocks = {
        "for_each": "resource.aws_ebs_volume.*.ingress[*]",
        "where": {"path": "from_port", "equals": 22},
    }
    assert hits(blocks, volume({"ingress": [UNKNOWN, {"from_port": 22}]})) == [
        "resource.aws_ebs_volume.v.ingress.1.from_port"
    ]
    logs = {
        "for_each": "resource.aws_ebs_volume.*",
        "assert": {"path": "log_types", "has": "audit", "default": []},
    }
    assert hits(logs, volume({"log_types": ["api", UNKNOWN]})) == []
    assert hits(logs, volume({"log_types": ["api"]})) == ["resource.aws_ebs_volume.v.log_types"]
    assert hits(logs, volume({})) == ["resource.aws_ebs_volume.v"]


def test_a_named_condition_remembers_that_it_read_an_unknown_value() -> None:
    library = {"off": {"path": "encrypted", "equals": False}}
    spec = {"for_each": "resource.aws_ebs_volume.*", "where": {"use": "off"}}
    matcher = compile_match(spec, {}, library)
    memo: dict[Any, Any] = {}
    root = node(volume({"encrypted": UNKNOWN}))
    assert list(matcher.run(root, {}, memo)) == []
    assert list(matcher.run(root, {}, memo)) == []  # the memoised result, still unknown


def test_exists_on_an_unknown_value_is_known_but_not_below_it() -> None:
    spec = {"for_each": "resource.aws_ebs_volume.*", "where": {"path": "user", "exists": True}}
    assert hits(spec, volume({"user": UNKNOWN})) == ["resource.aws_ebs_volume.v.user"]
    below = {
        "for_each": "resource.aws_ebs_volume.*",
        "where": {"path": "user.name", "exists": True},
    }
    assert hits(below, volume({"user": UNKNOWN})) == []
