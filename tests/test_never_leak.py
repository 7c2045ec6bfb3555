"""Secrets of every kind soc2lint's detectors know, planted in files and in history: no output
format and no file soc2lint writes (baseline, cache, reports) contains a value."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import git

Run = Callable[..., tuple[int, str, str]]

# fake credentials in the formats of detect-secrets' plugins, each one detected (tested below)
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
    # above detect-secrets' Base64 limit of 4.5 bits per symbol (it needs more than the limit)
    "entropy": "Zm9yZ2V0LXRoZS1rZXktOTc0MzEyODA1Ng+Q/xW7",
    "basic": "s3cr3tP4ssw0rd",
    "key": "BEGIN RSA PRIVATE KEY",
}
# the same formats with other values: secrets only the history holds. Each differs within the
# part its plugin reports (the Stripe plugin reads 24 characters after `sk_live_`, the JWT one
# header and payload), so none is the tree's secret again.
OLD = {
    "aws": "AKIAQ3WERT7YUIOP9ASD",
    "github": "ghp_T4nBv8Xc2Mz6Lq1Wr9Ks5Dh7Fj3Gp0Ya6Ei4",
    "slack": "xoxb-113355779911-2244668800224-PoIuYtReWqLkJhGfDsAzMxNcBv",
    "stripe": "sk_live_9Xw2Rt5Yb8Nm1Kq4Lz7Hd3Jf6Gc0Vs2Pe",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI5ODc2NTQzMjEwIn0.Qk9mXr2Lw7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2AaB3cD",
    "npm": "npm_zyxwvutsrqponmlkjihgfedcba9876543210",
    "sendgrid": "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",
    "gitlab": "glpat-jihgfedcba9876543210",
    "twilio": "SKfedcba9876543210fedcba9876543210",
    "password": "C0rrect-h0rse-battery",
    "entropy": "Qm9yZ2V0LXRoZS1vbGQta2V5LTUyODE5MzcwNA/+Zk3",
    "basic": "0ldP4ssw0rdX9q",
    "key": "BEGIN OPENSSH PRIVATE KEY",
}
# a private key is its body (a header alone is no key): fake base64, never printed
KEY_BODY = (
    "8isSwBv9j6dAS4vUraHZJrzLCHcL24O2RoUGVKz189xDKYhtuxnOgequvWDw3EDc",
    "2FxaNcWJjE3j/sG6vark689eV7uXYcAirWeBFfOuTDpjPd9+th4U5lFjq4bkgDAD",
)
FILE = (
    "\n".join(
        [
            f'AWS = "{SECRETS["aws"]}"',
            f'GH = "{SECRETS["github"]}"',
            f'SLACK = "{SECRETS["slack"]}"',
            f'STRIPE = "{SECRETS["stripe"]}"',
            f'JWT = "{SECRETS["jwt"]}"',
            f'NPMRC = "//registry.npmjs.org/:_authToken={SECRETS["npm"]}"',
            f'SENDGRID = "{SECRETS["sendgrid"]}"',
            f'GITLAB = "{SECRETS["gitlab"]}"',
            f'TWILIO = "{SECRETS["twilio"]}"',
            f'password = "{SECRETS["password"]}"',
            f'blob = "{SECRETS["entropy"]}"',
            # not an example.com host: soc2lint rightly ignores credentials for reserved hosts
            f'URL = "https://admin:{SECRETS["basic"]}@db.prod.internal/app"',
            f"-----{SECRETS['key']}-----",
            *KEY_BODY,
            "-----END RSA PRIVATE KEY-----",
        ]
    )
    + "\n"
)
OLD_FILE = FILE
for _name, _value in SECRETS.items():
    OLD_FILE = OLD_FILE.replace(_value, OLD[_name])
# (line, column, type detect-secrets gives it) of each value, the same in both files
PLANTED = [
    (1, 8, "AWS Access Key"),
    (2, 7, "GitHub Token"),
    (3, 10, "Slack Token"),
    (4, 11, "Stripe Access Key"),
    (5, 8, "JSON Web Token"),
    (6, 43, "NPM tokens"),
    (7, 13, "SendGrid API Key"),
    (8, 11, "GitLab Token"),
    (9, 11, "Twilio API Key"),
    (10, 13, "Secret Keyword"),
    (11, 9, "Base64 High Entropy String"),
    (12, 22, "Basic Auth Credentials"),
    (13, 6, "Private Key"),
]


def _leaks(text: str) -> list[str]:
    return [
        name
        for values in (SECRETS, OLD, {f"key body {i}": v for i, v in enumerate(KEY_BODY)})
        for name, value in values.items()
        if value in text or value[4:16] in text or value[-12:] in text
    ]


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
    assert rules == {"SEC001", "SEC002", "SEC003"}
    # every planted secret is found: in the tree (SEC001) and, the old values, in the history
    # (SEC002), each at its value's position, with the type of the plugin that knows its format
    found = sorted(
        (
            f["rule_id"],
            f["path"],
            f["line"],
            f["column"],
            dict(f.get("properties", {})).get("secret_type", ""),
        )
        for f in report["findings"]
    )
    assert found == sorted(
        [("SEC003", ".env", 1, 1, ""), ("SEC001", ".env", 1, 19, "Secret Keyword")]
        + [("SEC001", "settings.py", *planted) for planted in PLANTED]
        # a private key's body is on the lines below its header: the history, read line by
        # line, does not see it in a source file (it reads key and config files whole)
        + [("SEC002", "old.py", *planted) for planted in PLANTED if planted[2] != "Private Key"]
    )
    assert any(name.startswith("cache") for name in outputs)
    for name, blob in outputs.items():
        assert _leaks(blob) == [], f"{name} leaks {_leaks(blob)}"
