"""Baselines in the history, `--select SEC002` and the history walk in several processes (issue
12): real repositories built with gitpython, the real CLI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest

Run = Callable[..., tuple[int, str, str]]
AWS = "AKIAZ7XQ4MNB2LKJ5PRE"
SLACK = "xoxb-884422771199-5566778899001-QwErTyUiOpAsDfGhJkLzXcVb"
ACTOR = git.Actor("Dana Dev", "dana@example.com")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")

    def commit(self, message: str, **files: str | None) -> str:
        for rel, content in files.items():
            rel = rel.replace("__", "/")
            if content is None:
                self.repo.index.remove([rel], working_tree=True)
                continue
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            self.repo.index.add([rel])
        return str(self.repo.index.commit(message, author=ACTOR, committer=ACTOR).hexsha)

    def add(self, *paths: str) -> str:
        self.repo.index.add(list(paths))
        return str(self.repo.index.commit("add", author=ACTOR, committer=ACTOR).hexsha)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def findings(run: Run, root: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = run("--format", "json", str(root), *args)
    assert code in (0, 1), err
    assert "Traceback" not in err
    return json.loads(out)["findings"]  # type: ignore[no-any-return]


def places(items: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(f["rule_id"], f["path"], f["line"]) for f in items]


def _detect_secrets_baseline(*hashes: str) -> str:
    results = {
        "app/settings.py": [
            {
                "type": "Secret Keyword",
                "filename": "app/settings.py",
                "hashed_secret": h,
                "is_verified": False,
                "line_number": n,
            }
            for n, h in enumerate(hashes, start=1)
        ]
    }
    return json.dumps({"version": "1.5.0", "results": results}, indent=2) + "\n"


def test_hashes_of_a_committed_detect_secrets_baseline_are_no_history_secrets(
    run: Run, repo: Repo
) -> None:
    """A `.secrets.baseline` kept in a subproject (and later removed) holds sha1 hashes: none
    is a SEC002 finding; a real secret committed next to it still is."""
    hashes = [hashlib.sha1(f"value {i}".encode()).hexdigest() for i in range(3)]
    repo.commit(
        "detect-secrets baseline of the api",
        **{
            "api__.secrets.baseline": _detect_secrets_baseline(*hashes),
            "api__k.py": f'K = "{AWS}"\n',
        },
    )
    repo.commit("drop it", **{"api__.secrets.baseline": None, "api__k.py": None})
    assert places(findings(run, repo.root, "--select", "SEC002", "--no-cache")) == [
        ("SEC002", "api/k.py", 1)
    ]


def test_a_detect_secrets_baseline_that_is_not_json_is_one_finding(run: Run, repo: Repo) -> None:
    """It aborted the whole scan (exit 2, even with --no-config): now one parse-error finding
    at its line, with a one-line reason, and the rest of the scan as usual."""
    repo.commit("settings", **{"app.py": f'K = "{AWS}"\n'})
    (repo.root / ".secrets.baseline").write_text('{\n  "results": {\n    oops\n', encoding="utf-8")
    items = findings(run, repo.root, "--no-config", "--select", "SL001,SEC")
    assert places(items) == [("SL001", ".secrets.baseline", 3), ("SEC001", "app.py", 1)]
    (message,) = [f["message"] for f in items if f["rule_id"] == "SL001"]
    assert "\n" not in message and "not JSON" in message and "line 3, column 5" in message
    # without the parse-error rule: a note on stderr, and still no abort
    code, out, err = run("--format", "json", "--select", "SEC", str(repo.root))
    assert code == 1 and ".secrets.baseline:3: the detect-secrets baseline is not JSON" in err
    assert places(json.loads(out)["findings"]) == [("SEC001", "app.py", 1)]


def test_rebaselining_reaches_a_fixed_point(run: Run, repo: Repo) -> None:
    """A baseline written where the config does not name it (`-o`) reported its own commit ids
    as new secrets once committed, so every re-baseline added entries (1, 2, 3...): baseline,
    commit it, scan (nothing but the secret), baseline again (the same file)."""
    repo.commit("add", **{"a.py": f'A = "{AWS}"\n'})
    repo.commit("remove", **{"a.py": None})
    target = repo.root / "ci" / "known.yaml"
    assert run("baseline", "-o", str(target), str(repo.root))[0] == 0
    first = target.read_text(encoding="utf-8")
    assert first.count("introduced_in:") == 1
    for _ in range(2):
        repo.add("ci/known.yaml")
        assert places(findings(run, repo.root, "--select", "SEC")) == [("SEC002", "a.py", 1)]
        assert run("baseline", "-o", str(target), str(repo.root))[0] == 0
        assert target.read_text(encoding="utf-8") == first
    # the configured baseline: every finding known, the file unchanged
    repo.commit("config", **{".soc2lint.yaml": "baseline: ci/known.yaml\n"})
    items = findings(run, repo.root, "--select", "SEC")
    assert [(f["path"], f["properties"]["baseline"]) for f in items] == [("a.py", "known")]
    assert run("baseline", str(repo.root))[0] == 0
    assert target.read_text(encoding="utf-8") == first


def test_select_sec002_reports_only_secrets_no_longer_in_the_files(run: Run, repo: Repo) -> None:
    """With only SEC002 selected, a secret still in the files (in the file it entered, or
    copied elsewhere) is SEC001's, not reported here; cached runs agree."""
    repo.commit("add", **{"a.py": f'A = "{AWS}"\n', "b.py": f'S = "{SLACK}"\n'})
    repo.commit("copy", **{"lib__c.py": f'X = 1\nA = "{AWS}"\n'})
    repo.commit("remove", **{"a.py": None, "b.py": None})
    expected = [("SEC002", "b.py", 1)]
    assert places(findings(run, repo.root, "--select", "SEC002", "--no-cache")) == expected
    assert places(findings(run, repo.root, "--select", "SEC002")) == expected  # writes the cache
    assert places(findings(run, repo.root, "--select", "SEC002")) == expected  # from the cache
    both = findings(run, repo.root, "--select", "SEC")
    assert places(both) == [("SEC002", "b.py", 1), ("SEC001", "lib/c.py", 2)]
    # the copy goes too: now only in the history
    repo.commit("remove the copy", **{"lib__c.py": None})
    assert places(findings(run, repo.root, "--select", "SEC002")) == [
        ("SEC002", "a.py", 1),
        ("SEC002", "b.py", 1),
    ]


def test_the_history_walked_in_several_processes_is_the_one_walk(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slices of the walk in forked processes: the same first sightings (commit, path, line),
    counts and places as one process, whatever process walks which slice."""
    from soc2lint.secrets import history

    shas = [repo.commit(f"c{i}", **{f"f{i % 3}.py": f"x = {i}\n"}) for i in range(6)]
    first = repo.commit("aws", **{"f0.py": f'A = "{AWS}"\n'})
    repo.commit("again", **{"g.py": f'A = "{AWS}"\n', "f0.py": "x = 0\n"})
    side = repo.repo.create_head("side", shas[2])
    side.checkout()
    slack = repo.commit("slack on a branch", **{"s.py": f'S = "{SLACK}"\n'})
    repo.repo.heads.main.checkout()
    repo.commit("later", **{"s.py": f'S = "{SLACK}"\n'})
    monkeypatch.setattr(history, "PARALLEL_MIN", 1)
    one = history._scan(repo.root, 10_000_000, None, key=b"k", jobs=1)
    for jobs in (2, 3):
        many = history._scan(repo.root, 10_000_000, None, key=b"k", jobs=jobs)
        assert many.sightings == one.sightings
        assert (many.occurrences, many.places, many.secret_lines) == (
            one.occurrences,
            one.places,
            one.secret_lines,
        )
        assert (many.commits, many.lines) == (one.commits, one.lines)
    assert sorted((s.commit.sha, s.path) for s in one.sightings.values()) == sorted(
        [(first, "f0.py"), (slack, "s.py")]
    )
