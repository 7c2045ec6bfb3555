"""Secrets in git history: real repositories built with gitpython, every shape the history can
take, and the value never in any output."""

from __future__ import annotations

import contextlib
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
GH = "ghp_R8mZq2Lx7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2"
ACTOR = git.Actor("Dana Dev", "dana@example.com")


class History:
    """A repository in tmp_path and helpers to commit to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")
        with self.repo.config_writer() as config:  # for the commits git itself makes (merges)
            config.set_value("user", "name", ACTOR.name)
            config.set_value("user", "email", ACTOR.email)

    def commit(self, message: str, **files: str | bytes | None) -> str:
        for rel, content in files.items():
            rel = rel.replace("__", "/")
            path = self.root / rel
            if content is None:
                self.repo.index.remove([rel], working_tree=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            self.repo.index.add([rel])
        return str(self.repo.index.commit(message, author=ACTOR, committer=ACTOR).hexsha)


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "repo")


def scan(run: Run, root: Path, *extra: str) -> list[dict[str, Any]]:
    code, out, err = run("--format", "json", "--select", "SEC", str(root), *extra)
    assert code in (0, 1), err
    assert "Traceback" not in err
    return json.loads(out)["findings"]  # type: ignore[no-any-return]


def test_removed_secret_is_reported_where_and_when_it_entered(run: Run, history: History) -> None:
    history.commit("setup", **{"app.py": "import os\n"})
    sha = history.commit("add key", **{"app.py": f'import os\nKEY = "{AWS}"\n'})
    history.commit("remove key", **{"app.py": 'import os\nKEY = os.environ["KEY"]\n'})
    (finding,) = scan(run, history.root)
    assert (
        finding["rule_id"],
        finding["severity"],
        finding["path"],
        finding["line"],
        finding["column"],
    ) == ("SEC002", "high", "app.py", 2, 8)
    assert finding["properties"]["introduced_in"] == sha
    assert finding["properties"]["introduced_by"] == "Dana Dev"
    assert sha[:12] in finding["message"] and "AWS Access Key" in finding["message"]


def test_secret_still_in_the_tree_is_critical_and_knows_its_commit(
    run: Run, history: History
) -> None:
    sha = history.commit("add", **{"cfg/settings.py": f'SLACK = "{SLACK}"\n'})
    history.commit("unrelated", **{"README.md": "hello\n"})
    (finding,) = scan(run, history.root)
    assert (finding["rule_id"], finding["severity"], finding["path"], finding["line"]) == (
        "SEC001",
        "critical",
        "cfg/settings.py",
        1,
    )
    assert finding["properties"]["introduced_in"] == sha
    assert scan(run, history.root, "--no-history")[0]["rule_id"] == "SEC001"


def test_one_finding_per_secret_however_often_it_was_committed(run: Run, history: History) -> None:
    first = history.commit("a", **{"a.py": f'K = "{AWS}"\n'})
    history.commit("b", **{"b.py": f'OTHER = "{AWS}"\n', "a.py": None})
    history.commit("c", **{"b.py": None})
    (finding,) = scan(run, history.root)
    assert finding["properties"]["introduced_in"] == first
    assert finding["properties"]["occurrences"] == "2"


def test_side_branches_tags_and_merges(run: Run, history: History) -> None:
    history.commit("base", **{"f.txt": "a\n"})
    main = history.repo.active_branch
    side = history.repo.create_head("side")
    side.checkout()
    history.commit("on side", **{"side.py": f'T = "{GH}"\n'})
    history.commit("cleanup side", **{"side.py": None})
    main.checkout()
    # a tag on a commit no branch contains any more
    history.repo.create_head("tmp").checkout()
    history.commit("tagged only", **{"tag.py": f'S = "{SLACK}"\n'})
    history.repo.create_tag("v0-leak")
    main.checkout()
    history.repo.delete_head("tmp", force=True)
    paths = sorted((f["rule_id"], f["path"]) for f in scan(run, history.root))
    assert paths == [("SEC002", "side.py"), ("SEC002", "tag.py")]


def test_a_secret_added_by_a_merge_resolution(run: Run, history: History) -> None:
    history.commit("base", **{"conf.py": "A = 1\n"})
    main = history.repo.active_branch
    other = history.repo.create_head("other")
    history.commit("main change", **{"conf.py": "A = 2\n"})
    other.checkout()
    history.commit("other change", **{"conf.py": "A = 3\n"})
    main.checkout()
    # the conflict is resolved by hand below, with a line neither parent had
    with contextlib.suppress(git.GitCommandError):
        history.repo.git.merge("other")
    (history.root / "conf.py").write_text(f'A = 4\nTOKEN = "{GH}"\n', encoding="utf-8")
    history.repo.git.add("conf.py")
    history.repo.git.commit("-m", "merge", "--no-edit")
    history.commit("drop token", **{"conf.py": "A = 4\n"})
    (finding,) = scan(run, history.root)
    assert (finding["rule_id"], finding["path"], finding["line"]) == ("SEC002", "conf.py", 2)


def test_renamed_file_keeps_the_first_commit(run: Run, history: History) -> None:
    first = history.commit("add", **{"old.py": f'K = "{AWS}"\n'})
    history.repo.git.mv("old.py", "new.py")
    history.repo.index.commit("rename", author=ACTOR, committer=ACTOR)
    history.commit("remove", **{"new.py": None})
    (finding,) = scan(run, history.root)
    assert (finding["path"], finding["properties"]["introduced_in"]) == ("old.py", first)


def test_binary_huge_and_non_utf8_files(
    run: Run, history: History, write: Callable[..., Path]
) -> None:
    history.commit("binary", **{"blob.bin": b"\x00\x01" + AWS.encode() + b"\x00"})
    history.commit("latin-1", **{"legacy.py": b'# caf\xe9\nK = "' + AWS.encode() + b'"\n'})
    big = b"x = 1\n" * (21 * 1024 * 1024 // 6) + f'K = "{SLACK}"\n'.encode()
    history.commit("huge", **{"huge.py": big})
    history.commit("cleanup", **{"blob.bin": None, "legacy.py": None, "huge.py": None})
    code, out, err = run("--format", "json", "--select", "SEC", str(history.root))
    findings = json.loads(out)["findings"]
    assert [(f["path"], f["line"]) for f in findings] == [("legacy.py", 2)]
    assert "binary or oversized file versions were not scanned" in " ".join(
        json.loads(out)["notes"]
    )


def test_not_a_repository_empty_repository_and_shallow_clone(
    run: Run, tmp_path: Path, history: History
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text(f'K = "{AWS}"\n')
    assert [f["rule_id"] for f in scan(run, plain)] == ["SEC001"]  # the tree only
    empty = tmp_path / "empty"
    git.Repo.init(empty)
    assert scan(run, empty) == []
    history.commit("one", **{"a.py": f'K = "{AWS}"\n'})
    history.commit("two", **{"a.py": "K = None\n"})
    history.commit("three", **{"b.py": "x = 1\n"})
    clone = tmp_path / "shallow"
    git.Repo.clone_from(f"file://{history.root}", clone, depth=1)
    assert scan(run, clone) == []  # only the last commit is there to read


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_history_findings_never_print_the_value(
    run: Run, history: History, fmt: str, tmp_path: Path
) -> None:
    history.commit("add", **{"a.py": f'A = "{AWS}"\nS = "{SLACK}"\nG = "{GH}"\n'})
    history.commit("remove", **{"a.py": "A = None\n"})
    out_file = tmp_path / f"out.{fmt}"
    code, out, err = run("--format", fmt, "--select", "SEC", str(history.root))
    run("--format", fmt, "--select", "SEC", "--output", str(out_file), str(history.root))
    assert code == 1
    for blob in (out, err, out_file.read_text()):
        for secret in (AWS, SLACK, GH):
            assert secret not in blob and secret[6:18] not in blob


def test_incremental_cache_reads_only_new_commits(run: Run, history: History) -> None:
    from soc2lint.secrets.history_cache import cache_path

    history.commit("add", **{"a.py": f'A = "{AWS}"\n'})
    history.commit("remove", **{"a.py": None})
    first = scan(run, history.root)
    path = cache_path(history.root)
    assert path is not None and path.is_file() and ".git" in path.parts
    cached = path.read_text()
    assert AWS not in cached and AWS[4:12] not in cached  # fingerprints, never values
    # nothing new: the same findings, from the cache
    code, out, err = run("--format", "json", "--select", "SEC", str(history.root))
    assert json.loads(out)["findings"] == first and "no new commits" in err
    # one new commit: its secret is added, the old first sighting kept
    history.commit("again", **{"b.py": f'S = "{SLACK}"\n'})
    history.commit("gone", **{"b.py": None})
    both = scan(run, history.root)
    assert sorted(f["path"] for f in both) == ["a.py", "b.py"]
    assert both == scan(run, history.root, "--no-cache")
    # a rewritten history is read again in full
    history.repo.git.reset("--hard", "HEAD~2")
    history.repo.git.reflog("expire", "--expire=now", "--all")
    history.repo.git.gc("--prune=now", "--quiet")
    assert [f["path"] for f in scan(run, history.root)] == ["a.py"]


def test_since_limits_the_walk(run: Run, history: History) -> None:
    history.commit("add", **{"a.py": f'A = "{AWS}"\n'})
    base = history.commit("remove", **{"a.py": None})
    history.commit("later", **{"b.py": f'S = "{SLACK}"\n'})
    history.commit("gone", **{"b.py": None})
    assert [f["path"] for f in scan(run, history.root, "--since", base)] == ["b.py"]


def test_config_file_versions_go_through_the_transformers(run: Run, history: History) -> None:
    key = (
        "c2VjcmV0LWtleS1mb3ItdGhlLWFwaS12MQ"  # bare (unquoted) in YAML: only a transformer sees it
    )
    sha = history.commit("config", **{"deploy/values.yaml": f"db:\n  host: db\n  api_key: {key}\n"})
    history.commit("moved to the vault", **{"deploy/values.yaml": "db:\n  host: db\n"})
    (finding,) = scan(run, history.root)
    assert (finding["rule_id"], finding["path"], finding["line"], finding["column"]) == (
        "SEC002",
        "deploy/values.yaml",
        3,
        12,
    )
    assert finding["properties"]["introduced_in"] == sha


def test_detached_head_and_a_repository_with_a_missing_object(run: Run, history: History) -> None:
    first = history.commit("add", **{"a.py": f'A = "{AWS}"\n'})
    history.commit("remove", **{"a.py": None})
    history.repo.git.checkout(first)  # detached HEAD
    assert [f["rule_id"] for f in scan(run, history.root)] == ["SEC001"]
    # delete a blob the history needs: one note, the tree is still scanned, no traceback
    blob = history.repo.git.rev_parse(f"{first}:a.py")
    obj = history.root / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.unlink()
    (history.root / "a.py").write_text("A = None\n")
    code, out, err = run("--format", "json", "--select", "SEC", "--no-cache", str(history.root))
    assert code in (0, 1) and "Traceback" not in err
    assert (
        "history was not read for secrets: " in err
        and len([ln for ln in err.splitlines() if "history" in ln]) == 1
    )
    assert json.loads(out)["findings"] == []


def test_allowlisting_by_regex_and_by_fingerprint_with_a_reason(run: Run, history: History) -> None:
    history.commit("add", **{"a.py": f'A = "{AWS}"\nS = "{SLACK}"\nG = "{GH}"\n'})
    history.commit("remove", **{"a.py": None})
    findings = scan(run, history.root)
    assert len(findings) == 3
    slack = next(f for f in findings if "Slack" in f["message"])
    fingerprint = slack["properties"]["secret_fingerprint"]
    (history.root / ".soc2lint.yaml").write_text(
        "parameters:\n  allowed_secrets: ['AKIA[A-Z0-9]{16}']\n"
        "exceptions:\n"
        f"  - rule: SEC002\n    fingerprint: {fingerprint}\n"
        "    reason: Revoked in 2024 and the workspace deleted (SEC-77)\n"
    )
    findings = scan(run, history.root)
    active = [f for f in findings if f["suppressed"] is None]
    assert [f["message"].split(" (")[0] for f in active] == ["GitHub Token"]
    (suppressed,) = [f for f in findings if f["suppressed"]]
    assert suppressed["suppressed"]["reason"].startswith("Revoked in 2024")


def test_stashes_by_default_and_unreachable_commits_with_a_flag(run: Run, history: History) -> None:
    """A stash is a ref (read by default); a commit on a deleted branch whose reflog expired
    is dangling, and one reset away is reachable only from the reflog: `--unreachable` reads
    both."""
    history.commit("base", **{"app.py": "import os\n"})
    main = history.repo.active_branch
    history.repo.create_head("spike").checkout()
    dangling = history.commit("spike", **{"spike.py": f'T = "{GH}"\n'})
    main.checkout()
    history.repo.git.branch("-D", "spike")
    history.repo.git.reflog("expire", "--expire=now", "--all")
    (history.root / "app.py").write_text(f'import os\nSTASHED = "{SLACK}"\n', encoding="utf-8")
    history.repo.git.stash("push")
    lost = history.commit("oops", **{"cfg.py": f'KEY = "{AWS}"\n'})
    history.repo.git.reset("--hard", "HEAD~1")
    assert "unreachable commit " + dangling in history.repo.git.fsck(
        "--unreachable", "--no-reflogs"
    )

    found = scan(run, history.root, "--no-cache")
    assert [(f["rule_id"], f["properties"]["secret_type"]) for f in found] == [
        ("SEC002", "Slack Token")
    ]

    found = scan(run, history.root, "--unreachable")
    got = {f["properties"]["secret_type"]: f for f in found}
    assert set(got) == {"Slack Token", "AWS Access Key", "GitHub Token"}
    assert (
        got["AWS Access Key"]["path"],
        got["AWS Access Key"]["properties"]["introduced_in"],
    ) == ("cfg.py", lost)
    assert (got["GitHub Token"]["path"], got["GitHub Token"]["properties"]["introduced_in"]) == (
        "spike.py",
        dangling,
    )


def test_a_value_seen_by_two_types_is_one_history_finding(run: Run, history: History) -> None:
    value = "eElGMXpKYm5ub2pGTE1Ta0JwNTBteDAyckhzTUsyc2pVN2xKQXJQa0JyUWlWbWU4TkF2K1BjWE1uYXhyKzY="
    history.commit(
        "add", **{"k8s__secret.yaml": f"kind: Secret\ndata:\n  storageaccountkey: {value}\n"}
    )
    history.commit("remove", **{"k8s__secret.yaml": None})
    found = scan(run, history.root, "--no-cache")
    assert [(f["rule_id"], f["path"], f["line"]) for f in found] == [
        ("SEC002", "k8s/secret.yaml", 3)
    ]


def test_a_corrupt_pack_is_one_note_and_the_tree_is_still_scanned(
    run: Run, history: History
) -> None:
    for i in range(5):
        history.commit(f"c{i}", **{f"f{i}.py": f'X = {i}\nA = "{AWS}"\n'})
    history.repo.git.gc("-q")
    (pack,) = (history.root / ".git" / "objects" / "pack").glob("*.pack")
    pack.chmod(0o644)
    data = bytearray(pack.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 40):  # inside the compressed objects
        data[i] ^= 0xFF
    pack.write_bytes(bytes(data))
    code, out, err = run("--format", "json", "--select", "SEC", "--no-cache", str(history.root))
    assert code in (0, 1) and "Traceback" not in err
    notes = [ln for ln in err.splitlines() if "history" in ln]
    assert (
        len(notes) == 1
        and "history was not read for secrets: " in notes[0]
        and "cannot read the git history" in notes[0]
    )
    assert sorted(f["path"] for f in json.loads(out)["findings"]) == [f"f{i}.py" for i in range(5)]


def test_the_cache_sees_commits_only_an_annotated_tag_reaches(run: Run, history: History) -> None:
    history.commit("base", **{"README.md": "hello\n"})
    main = history.repo.active_branch
    assert scan(run, history.root) == []  # writes the cache
    history.repo.git.checkout("--detach")
    tagged = history.commit("release", **{"deploy.py": f'KEY = "{AWS}"\n'})
    history.repo.create_tag("v1.0", ref=tagged, message="release 1.0")  # annotated
    main.checkout()
    found = scan(run, history.root)
    assert [(f["rule_id"], f["properties"]["introduced_in"]) for f in found] == [("SEC002", tagged)]


@pytest.mark.parametrize("attribute", ["*.py -diff", "*.py binary", "*.py diff=opaque"])
def test_gitattributes_cannot_hide_a_secret_from_the_history(
    run: Run, history: History, attribute: str
) -> None:
    """A committed `.gitattributes` makes git print "Binary files differ" for text: the same
    history is read as without it, and true binaries stay skipped."""
    with history.repo.config_writer() as config:
        config.set_value('diff "opaque"', "binary", "true")
    history.commit("attributes", **{".gitattributes": f"{attribute}\n*.bin binary\n"})
    history.commit("setup", **{"app.py": "import os\n", "data.bin": b"\x00\x01"})
    sha = history.commit(
        "add key",
        **{
            "app.py": f'import os\nKEY = "{AWS}"\n',
            "data.bin": b"\x00\x01" + f'K = "{SLACK}"\n'.encode(),
        },
    )
    history.commit("remove key", **{"app.py": 'import os\nKEY = os.environ["KEY"]\n'})
    code, out, err = run("--format", "json", "--select", "SEC", "--no-cache", str(history.root))
    found = [
        (f["rule_id"], f["path"], f["line"], f["column"], f["properties"]["introduced_in"])
        for f in json.loads(out)["findings"]
    ]
    assert found == [("SEC002", "app.py", 2, 8, sha)]
    # the NUL-holding file stays a binary, skipped and said so
    assert "binary or oversized file versions were not scanned" in " ".join(
        json.loads(out)["notes"]
    )


def test_the_cache_keeps_no_plain_hash_of_a_secret(run: Run, history: History) -> None:
    history.commit("add", **{"a.py": f'A = "{AWS}"\nS = "{SLACK}"\n'})
    history.commit("remove", **{"a.py": None})
    first = scan(run, history.root)
    assert len(first) == 2
    folder = history.root / ".git" / "soc2lint"
    stored = "".join(p.read_text(encoding="latin-1") for p in folder.iterdir())
    for value in (AWS, SLACK):
        for digest in (hashlib.sha1, hashlib.sha256, hashlib.md5):
            assert digest(value.encode()).hexdigest() not in stored
    salt = folder / "salt"
    assert len(bytes.fromhex(salt.read_text())) == 32 and salt.stat().st_mode & 0o777 == 0o600
    assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())
    assert scan(run, history.root) == first  # from the cache
    # detect-secrets' audit still applies to what the cache holds
    (history.root / ".secrets.baseline").write_text(
        json.dumps(
            {
                "results": {
                    "a.py": [
                        {
                            "type": "AWS Access Key",
                            "hashed_secret": hashlib.sha1(AWS.encode()).hexdigest(),
                            "is_secret": False,
                        }
                    ]
                }
            }
        )
    )
    code, out, err = run("--format", "json", "--select", "SEC", str(history.root))
    assert "no new commits" in err
    assert [f["message"].split(" (")[0] for f in json.loads(out)["findings"]] == ["Slack Token"]


def test_soc2lint_own_files_in_the_history_are_no_secrets(run: Run, history: History) -> None:
    """Baselines hold commit ids and hashes: random, and no secrets, wherever they are kept."""
    sha = history.commit("add", **{"a.py": f'A = "{AWS}"\n'})
    history.commit("remove", **{"a.py": None})
    code, out, err = run("baseline", str(history.root))
    assert code == 0
    text = (history.root / ".soc2lint-baseline.yaml").read_text()
    assert sha in text
    audit = json.dumps(
        {
            "results": {
                "a.py": [
                    {
                        "type": "Hex High Entropy String",
                        "hashed_secret": hashlib.sha1(b"x").hexdigest(),
                        "is_secret": True,
                    }
                ]
            }
        }
    )
    history.commit(
        "baselines",
        **{
            ".soc2lint-baseline.yaml": text,
            ".secrets.baseline": audit,
            "ci__known-secrets.yaml": text,
        },
    )
    history.commit(
        "moved",
        **{
            ".soc2lint-baseline.yaml": None,
            ".secrets.baseline": None,
            "ci__known-secrets.yaml": None,
        },
    )
    # a copy of the baseline elsewhere: its commit ids are records, no secrets (issue 12)
    assert [(f["rule_id"], f["path"]) for f in scan(run, history.root, "--no-cache")] == [
        ("SEC002", "a.py"),
    ]
    # a baseline kept at a configured path: the engine passes it as exclude_paths
    from soc2lint.secrets.history import scan_history

    result = scan_history(
        history.root, 10_000_000, use_cache=False, exclude_paths=("ci/known-secrets.yaml",)
    )
    assert sorted(s.path for s in result.sightings.values()) == ["a.py"]


def test_versions_hidden_by_attributes_are_read_in_bounded_batches(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soc2lint.secrets import gitlog
    from soc2lint.secrets.history import scan_history

    monkeypatch.setattr(gitlog, "HIDDEN_BATCH", 1)  # one version per batch
    history.commit("attributes", **{".gitattributes": "*.py -diff\n*.png binary\n"})
    first = history.commit("one", **{"a.py": f'A = "{AWS}"\n', "logo.png": b"\x89PNG\x00\x01"})
    second = history.commit(
        "two", **{"a.py": f'A = "{AWS}"\nS = "{SLACK}"\n', "logo.png": b"\x89PNG\x00\x02"}
    )
    history.commit("three", **{"a.py": None})
    result = scan_history(history.root, 10_000_000, use_cache=False)
    assert sorted((s.path, s.line, s.commit.sha) for s in result.sightings.values()) == [
        ("a.py", 1, first),
        ("a.py", 2, second),
    ]
    assert result.skipped_binary == 2  # the two PNG versions
