"""bench/gen_changes.py: the synthetic population is what its flags say, in the exact shape of
the answers to soc2lint/changes/query.py, consistent between its inputs (gh dump, GraphQL
pages, git repository), deterministic; and bench/check_changes.py finds soc2lint agreeing
with its truth on both inputs."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CHANGES = Path(".soc2/github/acme/shop/changes")
FLAGS = ("--git", "--graphql", "--code-owners")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git on PATH")


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load("bench_gen_changes", REPO / "bench" / "gen_changes.py")
check = _load("bench_check_changes", REPO / "bench" / "check_changes.py")
query = _load("bench_changes_query", REPO / "soc2lint" / "changes" / "query.py")


def generate(out: Path, *argv: str, prs: int = 300, seed: int = 3) -> Path:
    assert gen.main(["--prs", str(prs), "--seed", str(seed), "--out", str(out), *argv]) == 0
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One population with every output (dump, pages, history, activity, git, CODEOWNERS)."""
    return generate(tmp_path_factory.mktemp("world") / "out", *FLAGS)


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the default


def test_without_new_flags_the_output_is_what_it_was(tmp_path: Path) -> None:
    """The files of the generator before the extended model, for these arguments."""
    assert files(generate(tmp_path, prs=150, seed=5)) == {
        ".soc2/github/acme/shop/branches/main/protection.json": (
            "9816ea047ea6b40df35efd217083460f14917e5cfd4825940574242de924cc5c"
        ),
        ".soc2/github/acme/shop/changes/gh-pr-list.json": (
            "d2d77f85aaa76c729d76e3e7318f9a450d6152a73ecc4cdb2ecc8f5757c9d058"
        ),
        ".soc2/github/acme/shop/repo.json": (
            "2e85493fb1881522ebfd65eedbb2ba06e356982c6e6b1b645d44d0c2ded0965c"
        ),
        "near_misses.json": "8ced3300aad6692cfa7037d2775ff5cb9ff4e29a3ec2bc78c84bf429fdd9ca05",
        "planted.json": "ac049d30ce4458a68190e7a4241655882a6c3ee8ce3c3bd415d74d4b875a5766",
        "truth.json": "76c423854c5ba9b7f1af67b5d3151e38466db5f3c7bc4cfde4416266b734da2f",
    }


def test_same_arguments_same_files_and_commits(tmp_path: Path, world: Path) -> None:
    again = generate(tmp_path / "again", *FLAGS)
    assert files(again) == files(world)
    assert git(again, "for-each-ref") == git(world, "for-each-ref")


def test_a_rerun_replaces_what_an_earlier_run_wrote(tmp_path: Path) -> None:
    out = generate(tmp_path / "out", *FLAGS, prs=120)
    generate(out, prs=120)
    assert not (out / ".git").exists()
    assert not (out / "truth-graphql.json").exists()
    assert sorted(p.name for p in (out / CHANGES).iterdir()) == ["gh-pr-list.json"]


def test_a_foreign_repository_is_left_alone(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert gen.main(["--prs", "50", "--out", str(tmp_path), "--git"]) == 2
    assert not (tmp_path / ".soc2").exists()


# --------------------------------------------------------------------------- the query's shape


def _balanced(text: str, i: int, open_: str, close: str) -> int:
    depth = 0
    while True:
        if text[i] == open_:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def selection(text: str) -> dict[str, Any]:
    """The selection set of a GraphQL query: {response key: sub-selection or None}, with the
    fields of `... on Type` fragments under ("on", Type)."""
    out = []
    i = 0
    while i < len(text):  # drop arguments and variable definitions
        if text[i] == "(":
            i = _balanced(text, i, "(", ")")
            continue
        out.append(text[i])
        i += 1
    tokens = re.findall(r"\.\.\.|[A-Za-z_][A-Za-z0-9_]*|[{}:]", "".join(out))
    pos = tokens.index("{") + 1

    def parse() -> dict[str, Any]:
        nonlocal pos
        fields: dict[str, Any] = {}
        while tokens[pos] != "}":
            if tokens[pos] == "...":
                assert tokens[pos + 1] == "on"
                typename = tokens[pos + 2]
                pos += 4
                fields[("on", typename)] = parse()
                continue
            key = tokens[pos]  # the response key: the alias when there is one
            pos += 1
            if tokens[pos] == ":":
                pos += 2
            sub = None
            if tokens[pos] == "{":
                pos += 1
                sub = parse()
            fields[key] = sub
        pos += 1
        return fields

    return parse()


def conforms(value: Any, sel: dict[str, Any] | None, where: str) -> None:
    """`value` has exactly the selected keys, in the order selected (as GitHub answers)."""
    if value is None:
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            conforms(item, sel, f"{where}[{i}]")
        return
    if sel is None:
        assert not isinstance(value, dict), f"{where}: an object where a scalar is selected"
        return
    assert isinstance(value, dict), f"{where}: {value!r} where an object is selected"
    expected = [k for k in sel if isinstance(k, str)]
    fragments = [k for k in sel if not isinstance(k, str)]
    if "__typename" in value:
        fragment = sel.get(("on", value["__typename"]))
    else:  # no __typename selected: the one type a fragment names (`target { ... on Commit }`)
        assert len(fragments) <= 1, where
        fragment = sel[fragments[0]] if fragments else None
    if fragment:
        expected += [k for k in fragment if k not in expected]
    assert list(value) == expected, f"{where}: keys {list(value)} != selected {expected}"
    for key in expected:
        sub = sel.get(key, fragment.get(key) if fragment else None)
        conforms(value[key], sub, f"{where}.{key}")


def test_the_parser_reads_the_query() -> None:
    sel = selection(query.PULL_REQUESTS)
    node = sel["repository"]["pullRequests"]["nodes"]
    assert list(node)[:3] == ["number", "url", "title"]
    assert "head" in node and "contexts" in str(node["head"])
    timeline = node["timelineItems"]["nodes"]
    assert ("on", "ReviewDismissedEvent") in timeline


def test_every_answer_has_exactly_the_fields_the_query_selects(world: Path) -> None:
    graphql = world / CHANGES / "graphql"
    assert (graphql / "query.graphql").read_text(encoding="utf-8") == query.PULL_REQUESTS
    pages = selection(query.PULL_REQUESTS)
    history = selection(query.HISTORY)
    follow = {f: selection(q) for f, q in query.FOLLOW_UP.items()}
    seen = {"page": 0, "follow-up": 0, "history": 0}
    for path in sorted(graphql.glob("*.json")):
        data = load(path)
        if query.PAGE_FILE.match(path.name):
            sel, kind = pages, "page"
        elif m := query.FOLLOW_UP_FILE.match(path.name):
            sel, kind = follow[m.group(2)], "follow-up"
        else:
            assert query.HISTORY_FILE.match(path.name), path.name
            sel, kind = history, "history"
        conforms(data, {"data": sel}, path.name)
        seen[kind] += 1
    assert seen["page"] == 6  # 300 pull requests, 50 a page
    assert seen["follow-up"] and seen["history"]


# --------------------------------------------------------------------------- the pages vs the dump


def pull_requests(root: Path) -> dict[int, dict[str, Any]]:
    """Every node of the pages, its nested lists completed from the follow-up answers."""
    graphql = root / CHANGES / "graphql"
    out: dict[int, dict[str, Any]] = {}
    previous = None
    pages = sorted(p for p in graphql.iterdir() if query.PAGE_FILE.match(p.name))
    for i, path in enumerate(pages):
        answer = load(path)["data"]
        assert answer["rateLimit"]["cost"] == 4
        conn = answer["repository"]["pullRequests"]
        assert conn["pageInfo"]["hasNextPage"] == (i < len(pages) - 1)
        assert len(conn["nodes"]) <= query.PAGE_SIZE
        for node in conn["nodes"]:
            key = (node["updatedAt"], node["number"])
            assert previous is None or key < previous, "not ordered by updatedAt, newest first"
            previous = key
            for field, cap in query.NESTED.items():
                lst = node[field]
                items = list(lst["nodes"])
                assert len(items) <= cap
                k = 2
                cursor = lst["pageInfo"]
                while cursor["hasNextPage"]:
                    name = query.follow_up_file(node["number"], field, k)
                    nxt = load(graphql / name)["data"]["repository"]["pullRequest"][field]
                    items += nxt["nodes"]
                    cursor = nxt["pageInfo"]
                    k += 1
                assert not (graphql / query.follow_up_file(node["number"], field, k)).exists()
                assert lst["totalCount"] == len(items), (node["number"], field)
                node[field] = items
            out[node["number"]] = node
    return out


def test_the_pages_hold_the_dumps_pull_requests(world: Path) -> None:
    dump = {pr["number"]: pr for pr in load(world / CHANGES / "gh-pr-list.json")}
    nodes = pull_requests(world)
    assert set(nodes) == set(dump)
    for number, pr in dump.items():
        node = nodes[number]
        assert "baseRefOid" not in pr  # gh pr list cannot export it
        for key in ("title", "body", "createdAt", "mergedAt", "headRefOid"):
            assert node[key] == pr[key], (number, key)
        assert node["mergeCommit"] == pr["mergeCommit"]
        assert node["mergedBy"] == {"__typename": "User", "login": pr["mergedBy"]["login"]}
        login = pr["author"]["login"]
        if login == "app/":
            assert node["author"] is None  # a deleted user
        elif login.startswith("app/"):
            assert node["author"] == {"__typename": "Bot", "login": login[4:]}
        else:
            assert node["author"] == {"__typename": "User", "login": login}
        assert [n["name"] for n in node["labels"]["nodes"]] == [x["name"] for x in pr["labels"]]
        assert [(r["state"], r["submittedAt"], r["commit"]["oid"]) for r in node["reviews"]] == [
            (r["state"], r["submittedAt"], r["commit"]["oid"]) for r in pr["reviews"]
        ]
        # gh lists the first 100 commits and files; the pages all of them
        oids = [c["commit"]["oid"] for c in node["commits"]]
        assert oids[:100] == [c["oid"] for c in pr["commits"]]
        assert oids[-1] == pr["headRefOid"] == node["head"]["nodes"][0]["commit"]["oid"]
        paths = [(f["path"], f["additions"], f["deletions"]) for f in node["files"]]
        assert paths[:100] == [(f["path"], f["additions"], f["deletions"]) for f in pr["files"]]
        assert len(paths) == node["changedFiles"] == pr["changedFiles"]
        assert sum(f[1] for f in paths) == pr["additions"]
        assert sum(f[2] for f in paths) == pr["deletions"]
        rollup = node["head"]["nodes"][0]["commit"]["statusCheckRollup"]
        contexts = rollup["contexts"]["nodes"] if rollup else []
        assert len(contexts) == len(pr["statusCheckRollup"])
        for event in node["timelineItems"]:
            assert event["createdAt"] >= node["createdAt"]
        labelled = {e["label"]["name"] for e in node["timelineItems"] if "label" in e}
        assert labelled == {x["name"] for x in pr["labels"]}
        assert node["updatedAt"] >= node["mergedAt"]


# --------------------------------------------------------------------------- git vs the evidence


def test_the_clone_holds_every_commit_the_evidence_names(world: Path) -> None:
    dump = load(world / CHANGES / "gh-pr-list.json")
    nodes = pull_requests(world)
    wanted = set()
    for pr in dump:
        base = nodes[pr["number"]]["baseRefOid"]
        wanted |= {pr["mergeCommit"]["oid"], base, pr["headRefOid"]}
        wanted |= {c["oid"] for c in pr["commits"]}
    answer = git(world, "cat-file", "--batch-check", stdin="".join(o + "\n" for o in wanted))
    assert "missing" not in answer
    assert answer.count(" commit ") == len(wanted)
    # the first-parent chain: every merged pull request's merge commit, and the direct pushes
    chain = git(world, "log", "--first-parent", "--format=%H %P", "main").splitlines()
    parents = {line.split()[0]: line.split()[1:] for line in chain}
    truth = load(world / "truth.json")
    direct = {c.split(":")[1] for c, rules in truth.items() if c.startswith("commit:")}
    assert direct and direct <= set(parents)
    for sha in direct:
        assert len(parents[sha]) == 1
    # the history pages: the same first-parent chain, direct pushes with no pull request
    graphql = world / CHANGES / "graphql"
    by_oid = {}
    for path in sorted(graphql.glob("history-*.json")):
        target = load(path)["data"]["repository"]["ref"]["target"]
        assert target["oid"] == chain[0].split()[0]
        for node in target["history"]["nodes"]:
            by_oid[node["oid"]] = node
    in_period = [line.split()[0] for line in chain if line.split()[0] in by_oid]
    assert len(in_period) == len(chain) - 1  # all but the initial commit, made before the period

    def pulls(sha: str) -> list[int]:
        node = by_oid.get(sha)  # None: the initial commit, before the period
        return [n["number"] for n in node["associatedPullRequests"]["nodes"]] if node else []

    for sha in in_period:
        assert (not pulls(sha)) == (sha in direct), sha
    for pr in dump:
        merge = pr["mergeCommit"]["oid"]
        assert merge in parents and pulls(merge) == [pr["number"]]
        if len(parents[merge]) == 2:  # a merge commit: the head branch is its second parent
            assert parents[merge][1] == pr["headRefOid"]
        first = merge  # back over the commits a rebase merge recreated
        while pulls(parents[first][0]) == [pr["number"]]:
            first = parents[first][0]
        assert parents[first][0] == nodes[pr["number"]]["baseRefOid"]


def test_codeowners_change_mid_period(world: Path) -> None:
    before = git(world, "show", "main~0:.github/CODEOWNERS")
    first = git(world, "rev-list", "--max-parents=0", "main").strip()
    initial = git(world, "show", f"{first}:.github/CODEOWNERS")
    assert before != initial and before.startswith(initial)
    protection = load(world / ".soc2/github/acme/shop/branches/main/protection.json")
    assert protection["required_pull_request_reviews"]["require_code_owner_reviews"] is True


# --------------------------------------------------------------------------- the collection


def test_manifest_lists_every_file_with_its_digest(world: Path) -> None:
    base = world / ".soc2"
    manifest = load(base / "github/acme/shop/changes/manifest.json")
    assert manifest["query_sha256"] == hashlib.sha256(query.PULL_REQUESTS.encode()).hexdigest()
    for entry in manifest["files"]:
        data = (base / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        assert entry["status"] == 200 and entry["evidence"] is True
    days = sorted(p.stem for p in (world / CHANGES / "rule-suites").glob("*.json"))
    assert manifest["rule_suite_days"] == days
    assert len({d[:7] for d in days}) == 11  # one month missing: planted
    assert load(world / "truth-graphql.json")["collection:rule-suites"] == ["CM012"]


def test_activity_and_rule_suites(world: Path) -> None:
    activity = load(world / CHANGES / "activity.json")
    ids = [a["id"] for a in activity]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    kinds = {a["activity_type"] for a in activity}
    assert kinds == {"push", "force_push", "pr_merge", "merge_queue_merge"}
    truth = load(world / "truth.json")
    near = load(world / "near_misses.json")
    forced = {
        f"event:activity:{a['id']}": a for a in activity if a["activity_type"] == "force_push"
    }
    for cid, a in forced.items():
        planted = truth.get(cid) == ["CM007"]
        on_main = a["ref"] == "refs/heads/main" and a["timestamp"] >= "2026"
        assert planted == on_main, cid
        assert planted or near[cid]["kind"] in (
            "force-push-other-branch",
            "force-push-before-period",
        )
    for path in (world / CHANGES / "rule-suites").glob("*.json"):
        for suite in load(path):
            cid = f"event:rule-suite:{suite['id']}"
            # each file holds its half month: up to the 15th, or after it
            assert suite["pushed_at"][:7] == path.stem[:7]
            day, collected = int(suite["pushed_at"][8:10]), int(path.stem[8:10])
            assert day <= 15 if collected == 15 else 15 < day <= collected
            assert (truth.get(cid) == ["CM007"]) == (suite["result"] == "bypass")
            if suite["result"] == "fail":
                assert near[cid]["kind"] == "rule-suite-fail"


# --------------------------------------------------------------------------- soc2lint agrees


def test_soc2lint_finds_what_was_planted_on_both_inputs(
    world: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The end-to-end measurement at a small size: no planted rule missed, no unexpected
    finding, no near-miss reported, for the gh dump and for the pages (each in its own view)."""
    monkeypatch.setenv("SOC2LINT", f"{sys.executable} -m soc2lint")
    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    report = world.parent / "check.json"
    assert check.main([str(world), "--json", str(report)]) == 0
    shown = capsys.readouterr().out
    results = load(report)
    assert set(results) == {"dump", "graphql"}, shown
    for name, result in results.items():
        assert result["source"].startswith("`"), shown  # soc2lint ran
        for row in result["rules"]:
            assert (row["missed"], row["unexpected"]) == (0, 0), (name, row, shown)
        assert result["near_miss_findings"] == {}, (name, shown)
    assert not list(world.parent.glob(".out.check-*"))  # the views were removed
