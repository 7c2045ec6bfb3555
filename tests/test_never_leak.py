"""Secrets of every kind soc2lint's detectors know, planted in files and in history: no output
format and no file soc2lint writes (baseline, cache, reports) contains a value."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import git

Run = Callable[..., tuple[int, str, str]]

# fake credentials in the formats of detect-secrets' plugins
SECRETS = {
    "aws": "AKIAZ7XQ4MNB2LKJ5PRE",
    "github": "ghp_R8mZq2Lx7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2",
    "slack": "xoxb-884422771199-5566778899001-QwErTyUiOpAsDfGhJkLzXcVb",
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ9Wl3kTn",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "npm": "npm_0123456789abcdefghijklmnopqrstuvwxyz",
    "sendgrid": "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",
    "gitlab": "glpat-0123456789abcdefghij",
    "twilio": "SK0123456789abcdef0123456789abcdef",
    "password": "Tr0ub4dor-and-3-horses",
    "entropy": "c2VjcmV0LWtleS1mb3ItdGhlLWFwaS12MQ",
    "basic": "s3cr3tP4ssw0rd",
}
FILE = "\n".join([
    f'AWS = "{SECRETS["aws"]}"', f'GH = "{SECRETS["github"]}"', f'SLACK = "{SECRETS["slack"]}"',
    f'STRIPE = "{SECRETS["stripe"]}"', f'JWT = "{SECRETS["jwt"]}"',
    f'NPMRC = "//registry.npmjs.org/:_authToken={SECRETS["npm"]}"',
    f'SENDGRID = "{SECRETS["sendgrid"]}"', f'GITLAB = "{SECRETS["gitlab"]}"',
    f'TWILIO = "{SECRETS["twilio"]}"', f'password = "{SECRETS["password"]}"',
    f'blob = "{SECRETS["entropy"]}"', f'URL = "https://admin:{SECRETS["basic"]}@db.example.com/app"',
    "-----BEGIN RSA PRIVATE KEY-----",
]) + "\n"


# the same formats with other values: secrets only the history holds
OLD = {name: value[:-2] + ("QZ" if value[-2:] != "QZ" else "XY") for name, value in SECRETS.items()}
OLD_FILE = FILE
for _name, _value in SECRETS.items():
    OLD_FILE = OLD_FILE.replace(_value, OLD[_name])


def _leaks(text: str) -> list[str]:
    return [name for values in (SECRETS, OLD) for name, value in values.items()
            if value in text or value[4:16] in text or value[-12:] in text]


def test_no_value_in_any_output_or_file_soc2lint_writes(run: Run, tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    repo = git.Repo.init(repo_dir)
    actor = git.Actor("Dev", "dev@example.com")
    (repo_dir / "old.py").write_text(OLD_FILE)  # in history only
    repo.index.add(["old.py"])
    repo.index.commit("add", author=actor, committer=actor)
    repo.index.remove(["old.py"], working_tree=True)
    repo.index.commit("remove", author=actor, committer=actor)
    (repo_dir / "settings.py").write_text(FILE)  # in the tree
    (repo_dir / ".env").write_text(f"DATABASE_PASSWORD={SECRETS['password']}\n")
    outputs = {}
    json_out = ""
    for fmt in ("text", "json", "sarif"):
        code, out, err = run("--format", fmt, str(repo_dir))
        assert code == 1
        outputs[fmt] = out + err
        json_out = out if fmt == "json" else json_out
        run("--format", fmt, "--output", str(tmp_path / f"report.{fmt}"), str(repo_dir))
        outputs[f"file.{fmt}"] = (tmp_path / f"report.{fmt}").read_text()
    code, out, err = run("baseline", str(repo_dir))
    outputs["baseline"] = out + err + (repo_dir / ".soc2lint-baseline.yaml").read_text()
    for cache in (repo_dir / ".git" / "soc2lint").glob("*"):
        outputs[f"cache {cache.name}"] = cache.read_text()
    report = json.loads(json_out)
    rules = {f["rule_id"] for f in report["findings"]}
    assert {"SEC001", "SEC002", "SEC003"} <= rules
    assert len([f for f in report["findings"] if f["rule_id"] == "SEC002"]) >= 6
    assert any(name.startswith("cache") for name in outputs)
    for name, blob in outputs.items():
        assert _leaks(blob) == [], f"{name} leaks {_leaks(blob)}"
