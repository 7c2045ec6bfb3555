"""CODEOWNERS: parsing (positions, comments, escapes, errors), GitHub's pattern matching and
ownership rules, and the `codeowners-coverage` detector over a real tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest

from soc2lint.config import Config
from soc2lint.detectors import DETECTORS, load
from soc2lint.detectors.codeowners import DEFAULT_PROTECTED, detect, entries_of, last_match
from soc2lint.formats import nodes
from soc2lint.formats.codeowners import owners_of, parse_codeowners, pattern_matches
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.routes import locate
from soc2lint.model import Artifact, Document
from soc2lint.scan.engine import scan

Write = Callable[..., Path]


def parse(text: str, path: str = ".github/CODEOWNERS") -> Document:
    artifact = Artifact(path, "/nowhere/" + path, "codeowners", len(text))
    parsed = parse_codeowners(artifact, text)
    assert parsed.error is None and len(parsed.documents) == 1
    return parsed.documents[0]


def entries(doc: Document) -> list[tuple[str, list[str], int, int]]:
    """(pattern, owners, 1-based line, 1-based column of the pattern) of every entry."""
    out = []
    for item in nodes.get(doc.root, "entries")[1].value:  # type: ignore[index]
        pattern = nodes.get(item, "pattern")[1]  # type: ignore[index]
        owners = [o.value for o in nodes.get(item, "owners")[1].value]  # type: ignore[index]
        out.append(
            (pattern.value, owners, pattern.start_mark.line + 1, pattern.start_mark.column + 1)
        )
    return out


def errors(doc: Document) -> list[tuple[str, int, int]]:
    out = []
    for item in nodes.get(doc.root, "errors")[1].value:  # type: ignore[index]
        at = nodes.get(item, "at")[1]  # type: ignore[index]
        problem = nodes.get(item, "problem")[1].value  # type: ignore[index]
        out.append((problem, at.start_mark.line + 1, at.start_mark.column + 1))
    return out


# --------------------------------------------------------------------------- parsing


def test_entries_keep_their_line_and_column_past_comments_and_blank_lines() -> None:
    doc = parse(
        "# Owners of acme/shop\n"
        "\n"
        "*            @acme/engineering\n"
        "   /docs/    @acme/docs   docs@acme.example\n"
        "\t*.tf\t@acme/platform\n"
    )
    assert entries(doc) == [
        ("*", ["@acme/engineering"], 3, 1),
        ("/docs/", ["@acme/docs", "docs@acme.example"], 4, 4),
        ("*.tf", ["@acme/platform"], 5, 2),
    ]
    assert errors(doc) == []


def test_owner_nodes_point_at_the_owner_text() -> None:
    doc = parse("# c\n/terraform/   @acme/platform  @octocat\n")
    item = nodes.get(doc.root, "entries")[1].value[0]  # type: ignore[index]
    owners = nodes.get(item, "owners")[1].value  # type: ignore[index]
    assert [(o.value, o.start_mark.line + 1, o.start_mark.column + 1) for o in owners] == [
        ("@acme/platform", 2, 15),
        ("@octocat", 2, 31),
    ]
    # the engine's locate() turns the nodes into file positions
    loc = locate(".github/CODEOWNERS", doc.root, ("entries", 0, "owners", 1), "value")
    assert (loc.start_line, loc.start_column) == (2, 31)


def test_crlf_line_endings_keep_positions() -> None:
    doc = parse("# c\r\n*  @a\r\n/x/  @b\r\n")
    assert entries(doc) == [("*", ["@a"], 2, 1), ("/x/", ["@b"], 3, 1)]
    assert nodes.get(doc.root, "entries")[1].value[1].value[0][1].start_mark.index == len(
        "# c\r\n*  @a\r\n"
    )  # type: ignore[index]


def test_comments_whole_line_and_after_the_owners() -> None:
    doc = parse(
        "# a comment\n"
        "    # an indented comment\n"
        "*.js  @acme/frontend  # the web team\n"
        "/api/ @acme/backend #no space needed\n"
    )
    assert entries(doc) == [("*.js", ["@acme/frontend"], 3, 1), ("/api/", ["@acme/backend"], 4, 1)]


def test_escaped_hash_is_a_pattern_not_a_comment() -> None:
    doc = parse("\\#notes.md  @acme/docs\n#notes.md  @acme/other\n")
    assert entries(doc) == [("\\#notes.md", ["@acme/docs"], 1, 1)]
    assert pattern_matches("\\#notes.md", "#notes.md")
    assert pattern_matches("\\#notes.md", "docs/#notes.md")
    assert not pattern_matches("\\#notes.md", "notes.md")


def test_escaped_space_stays_in_the_pattern() -> None:
    doc = parse("/path\\ with\\ spaces/  @acme/docs\n")
    assert entries(doc) == [("/path\\ with\\ spaces/", ["@acme/docs"], 1, 1)]


def test_entry_without_owners_is_kept_with_an_empty_owner_list() -> None:
    doc = parse("/apps/ @octocat\n/apps/github\n")
    assert entries(doc) == [("/apps/", ["@octocat"], 1, 1), ("/apps/github", [], 2, 1)]


def test_syntax_errors_point_at_the_offending_token() -> None:
    doc = parse(
        "*  @acme/eng\n"
        "/infra/   acme-platform  @ok\n"
        "!/infra/docs/  @acme/docs\n"
        "/src/[ab]/  @acme/backend\n"
        "/x/  not@an@email\n"
    )
    assert errors(doc) == [
        ("owner 'acme-platform' is not @user, @org/team or an email", 2, 11),
        ("negated pattern '!/infra/docs/' is not supported by CODEOWNERS", 3, 1),
        ("character range in '/src/[ab]/' is not supported by CODEOWNERS", 4, 1),
        ("owner 'not@an@email' is not @user, @org/team or an email", 5, 6),
    ]
    assert len(entries(doc)) == 5  # erroneous lines are still entries; coverage skips them


def test_valid_owner_forms() -> None:
    doc = parse(
        "* @octocat @octo-cat @acme/team.name_x user@example.com first.last@sub.example.org\n"
    )
    assert errors(doc) == []


def test_empty_file_is_a_document_with_no_entries() -> None:
    doc = parse("")
    assert entries(doc) == [] and errors(doc) == []


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # everything
        ("*", "README.md", True),
        ("*", "a/b/c.txt", True),
        ("**", "a/b/c.txt", True),
        # an extension, at any depth
        ("*.js", "app.js", True),
        ("*.js", "src/web/app.js", True),
        ("*.js", "app.jsx", False),
        # an unanchored directory: at any depth
        ("apps/", "apps/main.go", True),
        ("apps/", "src/apps/main.go", True),
        ("apps/", "apps", False),  # a file named apps: not the directory the pattern names
        ("apps/", "myapps/main.go", False),
        # an unanchored name without slash: a file or directory of that name anywhere
        ("Makefile", "Makefile", True),
        ("Makefile", "tools/Makefile", True),
        ("logs", "build/logs/x.log", True),
        # anchored at the root by a leading slash
        ("/docs/", "docs/index.md", True),
        ("/docs/", "src/docs/index.md", False),
        ("/build/logs/", "build/logs/x.log", True),
        ("/build/logs/", "src/build/logs/x.log", False),
        # a slash in the middle anchors too
        (".github/workflows/", ".github/workflows/ci.yml", True),
        ("docs/getting-started.md", "docs/getting-started.md", True),
        ("docs/getting-started.md", "x/docs/getting-started.md", False),
        # one-segment wildcards
        ("/.github/workflows/*.yml", ".github/workflows/ci.yml", True),
        ("/.github/workflows/*.yml", ".github/workflows/ci.yaml", False),
        ("/src/?.py", "src/a.py", True),
        ("/src/?.py", "src/ab.py", False),
        # ** across directories
        ("**/logs", "logs/x.log", True),
        ("**/logs", "deep/er/logs/x.log", True),
        ("/apps/**/config.yml", "apps/config.yml", True),
        ("/apps/**/config.yml", "apps/a/b/config.yml", True),
        ("/scripts/**", "scripts/a/b.sh", True),
        ("/scripts/**", "scripts", False),
        # a file path names exactly that file
        ("/.github/CODEOWNERS", ".github/CODEOWNERS", True),
        ("/.github/CODEOWNERS", "CODEOWNERS", False),
        ("CODEOWNERS", "docs/CODEOWNERS", True),
        # case-sensitive, as on GitHub
        ("/Docs/", "docs/index.md", False),
    ],
)
def test_pattern_matches(pattern: str, path: str, expected: bool) -> None:
    assert pattern_matches(pattern, path) is expected


def test_single_star_does_not_match_nested_files() -> None:
    # GitHub documents that `docs/*` owns docs/getting-started.md but not nested files
    assert pattern_matches("docs/*", "docs/getting-started.md")
    assert not pattern_matches("docs/*", "docs/build-app/troubleshooting.md")


def test_owners_of_last_match_wins_and_empty_owners_unassign() -> None:
    table = [
        ("*", ["@acme/everyone"]),
        ("/apps/", ["@octocat"]),
        ("/apps/github", []),
        ("*.md", ["@acme/docs"]),
    ]
    assert owners_of(table, "src/main.go") == ["@acme/everyone"]
    assert owners_of(table, "apps/web/index.js") == ["@octocat"]
    assert owners_of(table, "apps/github/index.js") == []  # matched, but un-assigned
    assert owners_of(table, "apps/README.md") == ["@acme/docs"]  # a later entry wins
    assert owners_of([("/apps/", ["@octocat"])], "README.md") is None  # no entry matched


# --------------------------------------------------------------------------- the detector


@dataclass(frozen=True)
class Ctx:
    root: Path


def run_detector(
    root: Path, text: str, **params: Any
) -> list[tuple[tuple[Any, ...], str, dict[str, str]]]:
    doc = parse(text)
    return [(hit.route, hit.focus, dict(hit.fields)) for hit in detect(doc, params, Ctx(root))]


def tree(write: Write, *paths: str) -> None:
    for path in paths:
        write(path, "x\n")


def test_detector_is_registered() -> None:
    assert DETECTORS["codeowners-coverage"].fields == ("protected", "detail")
    assert load("codeowners-coverage") is detect


def test_uncovered_protected_directory_is_reported_at_the_top(tmp_path: Path, write: Write) -> None:
    tree(write, ".github/workflows/ci.yml", ".github/workflows/release.yml", "src/app.py")
    hits = run_detector(tmp_path, "*.py @acme/backend\n", protected_paths=[".github/workflows/"])
    assert hits == [
        (
            (),
            "key",
            {
                "protected": ".github/workflows/",
                "detail": "2 of its 2 files (.github/workflows/ci.yml, .github/workflows/release.yml) match no entry",
                "identity": ".github/workflows",
            },
        )
    ]


def test_only_existing_protected_paths_are_checked(tmp_path: Path, write: Write) -> None:
    tree(write, "src/app.py")
    assert run_detector(tmp_path, "*.py @acme/backend\n") == []


def test_default_protected_paths_cover_delivery_and_access() -> None:
    assert {".github/workflows/", "terraform/", "k8s/", ".github/CODEOWNERS", "CODEOWNERS"} <= set(
        DEFAULT_PROTECTED
    )


def test_catch_all_owner_covers_everything(tmp_path: Path, write: Write) -> None:
    tree(
        write,
        ".github/workflows/ci.yml",
        "terraform/main.tf",
        "k8s/app/deploy.yaml",
        ".github/CODEOWNERS",
    )
    assert run_detector(tmp_path, "* @acme/engineering\n") == []


def test_file_patterns_cover_a_directory_without_naming_it(tmp_path: Path, write: Write) -> None:
    tree(write, ".github/workflows/ci.yml", ".github/workflows/release.yml")
    assert (
        run_detector(
            tmp_path,
            "/.github/workflows/*.yml @acme/platform\n",
            protected_paths=[".github/workflows/"],
        )
        == []
    )


def test_partially_covered_directory_names_the_uncovered_files(
    tmp_path: Path, write: Write
) -> None:
    tree(write, "deploy/a.yml", "deploy/b.sh", "deploy/c.sh", "deploy/d.sh")
    hits = run_detector(tmp_path, "*.yml @acme/platform\n", protected_paths=["deploy/"])
    assert [h[2]["detail"] for h in hits] == [
        "3 of its 4 files (deploy/b.sh, deploy/c.sh, ...) match no entry"
    ]


def test_unassigning_entry_is_reported_where_it_is(tmp_path: Path, write: Write) -> None:
    tree(write, "terraform/main.tf", "terraform/modules/vpc/main.tf")
    text = "*  @acme/engineering\n/terraform/  @acme/platform\n/terraform/modules/\n"
    hits = run_detector(tmp_path, text, protected_paths=["terraform/"])
    assert hits == [
        (
            ("entries", 2, "pattern"),
            "value",
            {
                "protected": "terraform/",
                "detail": "1 of its 2 files (terraform/modules/vpc/main.tf) is un-assigned by the entry "
                "`/terraform/modules/` on line 3, which names no owner",
                "identity": "terraform",
            },
        )
    ]


def test_a_later_owner_overrides_an_unassigning_entry(tmp_path: Path, write: Write) -> None:
    tree(write, "terraform/modules/vpc/main.tf")
    text = "/terraform/modules/\n*.tf  @acme/platform\n"
    assert run_detector(tmp_path, text, protected_paths=["terraform/"]) == []


def test_protected_file(tmp_path: Path, write: Write) -> None:
    tree(write, ".github/CODEOWNERS")
    hits = run_detector(
        tmp_path, "/.github/workflows/ @acme/platform\n", protected_paths=[".github/CODEOWNERS"]
    )
    assert [h[2]["detail"] for h in hits] == ["it matches no entry"]
    assert (
        run_detector(tmp_path, "/.github/ @acme/platform\n", protected_paths=[".github/CODEOWNERS"])
        == []
    )


def test_lines_with_syntax_errors_give_no_owner(tmp_path: Path, write: Write) -> None:
    tree(write, "infra/main.tf")
    # GitHub skips the line with an invalid owner, so infra/ has no owner at all
    hits = run_detector(
        tmp_path, "/infra/  @acme/platform  acme-security\n", protected_paths=["infra/"]
    )
    assert [h[2]["detail"] for h in hits] == ["infra/main.tf matches no entry"]
    assert [e.pattern for e in entries_of(parse("/infra/ @a bad\n* @b\n").root)] == ["*"]


def test_last_match_returns_the_deciding_entry() -> None:
    found = entries_of(parse("* @a\n/x/ @b\n/x/y/\n").root)
    assert last_match(found, "x/y/z") == found[2] and found[2].owners == () and found[2].line == 3
    assert last_match(found, "x/z") == found[1]
    assert last_match([], "x") is None


def test_protected_paths_outside_the_root_are_ignored(tmp_path: Path, write: Write) -> None:
    tree(write, "inner/deploy/run.sh")
    assert (
        run_detector(tmp_path / "inner", "/src/ @a\n", protected_paths=["../inner/deploy/"]) == []
    )


def test_git_ignored_files_are_not_judged(tmp_path: Path, write: Write) -> None:
    git.Repo.init(tmp_path)
    write(".gitignore", "terraform/.terraform/\n*.tfstate\n")
    tree(
        write, "terraform/main.tf", "terraform/.terraform/providers/x.bin", "terraform/prod.tfstate"
    )
    assert run_detector(tmp_path, "*.tf @acme/platform\n", protected_paths=["terraform/"]) == []
    tree(write, "terraform/run.sh")  # untracked, not ignored: part of the change
    hits = run_detector(tmp_path, "*.tf @acme/platform\n", protected_paths=["terraform/"])
    assert [h[2]["detail"] for h in hits] == [
        "1 of its 2 files (terraform/run.sh) matches no entry"
    ]


def test_end_to_end_positions_and_distinct_fingerprints(tmp_path: Path, write: Write) -> None:
    write(".github/CODEOWNERS", "# owners\n*.py @acme/backend\n")
    tree(write, ".github/workflows/ci.yml", "terraform/main.tf")
    rules = [r for r in load_rules([builtin_rules_dir()]) if r.detector == "codeowners-coverage"]
    assert rules, "no built-in rule uses the codeowners-coverage detector"
    result = scan(tmp_path, rules, Config(), today=dt.date(2026, 1, 1), jobs=1)
    found = [
        (f.location.path, f.location.start_line, f.location.start_column) for f in result.findings
    ]
    assert found == [(".github/CODEOWNERS", 1, 1)] * 3
    assert len({f.fingerprint for f in result.findings}) == 3
    assert sorted(f.message.split("`")[1] for f in result.findings) == [
        ".github/CODEOWNERS",
        ".github/workflows/",
        "terraform/",
    ]
