"""Meta-tests over the shipped rules: unique stable ids, names, controls, docs in sync."""

from __future__ import annotations

import re

from soc2lint.catalog import load_catalog
from soc2lint.docgen import expected_pages
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.validated import rule_files
from tests.conftest import REPO

RULES = load_rules([builtin_rules_dir()])


def test_ids_and_names_are_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for r in RULES:
        assert re.fullmatch(r"[A-Z]{2,4}[0-9]{3}", r.id)
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", r.name)


def test_rule_files_are_named_id_dash_name_in_their_family() -> None:
    families = {
        "SL": "core",
        "GHA": "gha",
        "KUB": "k8s",
        "GH": "github",
        "SEC": "secrets",
        "CM": "changes",
        "ARGO": "argo",
        "FLUX": "flux",
        "POL": "policy",
        "AR": "records",
        "IR": "records",
        "RB": "records",
        "TFA": "terraform",
        "PD": "pagerduty",
    }
    for path in rule_files(builtin_rules_dir()):
        if path.name.startswith("_"):  # a library of named conditions, not a rule
            continue
        rule = next(r for r in RULES if r.source.endswith("/" + path.name))
        assert path.name == f"{rule.id}-{rule.name}.yaml"
        prefix = re.match(r"[A-Z]+", rule.id).group(0)  # type: ignore[union-attr]
        assert path.parent.name == families[prefix]


def test_every_control_cited_exists_and_ids_never_encode_controls() -> None:
    catalog = load_catalog()
    for r in RULES:
        assert r.controls and all(c in catalog.criteria for c in r.controls)
        assert not any(c.replace(".", "") in r.id for c in r.controls)


def test_catalog_is_complete() -> None:
    catalog = load_catalog()
    expected = (
        [f"CC1.{i}" for i in range(1, 6)]
        + [f"CC2.{i}" for i in range(1, 4)]
        + [f"CC3.{i}" for i in range(1, 5)]
        + ["CC4.1", "CC4.2"]
        + [f"CC5.{i}" for i in range(1, 4)]
        + [f"CC6.{i}" for i in range(1, 9)]
        + [f"CC7.{i}" for i in range(1, 6)]
        + ["CC8.1", "CC9.1", "CC9.2"]
        + ["A1.1", "A1.2", "A1.3", "C1.1", "C1.2"]
        + [f"PI1.{i}" for i in range(1, 6)]
        + ["P1.1", "P2.1", "P3.1", "P3.2", "P4.1", "P4.2", "P4.3", "P5.1", "P5.2"]
        + [f"P6.{i}" for i in range(1, 8)]
        + ["P7.1", "P8.1"]
    )
    assert list(catalog.criteria) == expected
    assert all(c.title and c.text for c in catalog.criteria.values())
    assert "A2.1" not in catalog.criteria and catalog.aliases["A2.1"].see == ("A1.2",)


def test_every_rule_has_failing_and_passing_examples() -> None:
    for r in RULES:
        assert r.fail_examples and r.pass_examples, r.id
        assert all(e.expect for e in r.fail_examples), r.id


def test_rule_docs_are_up_to_date() -> None:
    docs = REPO / "docs" / "rules"
    pages = expected_pages(RULES)
    stale = [
        name
        for name, text in pages.items()
        if not (docs / name).is_file() or (docs / name).read_text(encoding="utf-8") != text
    ]
    extra = sorted(p.name for p in docs.glob("*.md") if p.name not in pages)
    assert not stale and not extra, (
        f"stale {stale}, extra {extra}: run `python -m soc2lint.docgen docs/rules`"
    )


def test_validated_digests_match_and_every_file_passes_the_schema() -> None:
    from soc2lint.language.validated import VALIDATED_FILE, validated_text

    directory = builtin_rules_dir()
    assert (directory / VALIDATED_FILE).read_text(encoding="utf-8") == validated_text(directory), (
        "run `python -m soc2lint.docgen docs/rules`"
    )
    # loaded as user rules: full JSON Schema validation of every file, no digest shortcut
    assert [r.id for r in load_rules([directory], builtin_count=0)] == [r.id for r in RULES]


def test_rules_read_from_validated_json_equal_rules_parsed_from_yaml() -> None:
    from dataclasses import fields

    parsed = load_rules([builtin_rules_dir()], trust_validated=False)
    assert len(parsed) == len(RULES)
    for fast, slow in zip(RULES, parsed, strict=True):
        for f in fields(fast):
            if f.name != "matchers":  # compiled on first use for trusted files, at load otherwise
                assert getattr(fast, f.name) == getattr(slow, f.name), (fast.id, f.name)


def test_a_modified_builtin_rule_is_validated_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    import pytest

    from soc2lint.errors import RuleError

    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy)
    target = copy / "gha" / "GHA002-write-all-permissions.yaml"
    target.write_text(target.read_text().replace("severity: high", "severity: severe"))
    with pytest.raises(RuleError, match=r"GHA002-write-all-permissions.yaml:\d+: key 'severity'"):
        load_rules([copy])


def test_rule_language_tables_are_generated_from_the_code() -> None:
    from soc2lint.docgen import LANGUAGE_DOC, language_tables, with_tables

    text = (REPO / "docs" / LANGUAGE_DOC).read_text(encoding="utf-8")
    tables = language_tables(RULES)
    for name in ("operators", "targets", "detectors", "families"):
        assert f"<!-- generated: {name} -->\n{tables[name]}<!-- end -->" in text, (
            f"{LANGUAGE_DOC}: table {name!r} is stale: run `python -m soc2lint.docgen docs/rules`"
        )
    assert with_tables(text, tables) == text
