"""Secret values found in workflows never reach any output or file soc2lint writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# Real-looking credentials of several detect-secrets types (all fake). Each must be reported,
# and no output may contain the value or any 8-character piece of it beyond the preview.
PLANTED = {
    "AWS_ACCESS_KEY_ID": "AKIAZ7XQ4MNB2LKJ5PRE",
    "SLACK_TOKEN": "xoxb-884422771199-5566778899001-QwErTyUiOpAsDfGhJkLzXcVb",
    "STRIPE_KEY": "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ9Wl3kTn",
    "GH_PAT": "ghp_R8mZq2Lx7Vb4Nc9Kd1Fs6Hj3Wp5Ty0Ue8Gi2",
    "DB_PASSWORD": "Tr0ub4dor-and-3-horses",
    "DATABASE_URL": "postgres://app:n0t-a-real-passw0rd@db.internal:5432/prod",
}


def _workflow() -> str:
    env = "\n".join(f"      {k}: {v!r}".replace("'", '"') for k, v in PLANTED.items())
    return (
        f"on: push\npermissions: {{contents: read}}\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        f"    env:\n{env}\n    steps:\n      - run: make\n"
    )


def _pieces(secret: str) -> list[str]:
    # everything after the 4-character preview, in 8-character windows (all-lowercase words
    # like "internal" also occur in the rules' own help text, so they prove nothing)
    windows = [secret[i : i + 8] for i in range(4, len(secret) - 7)]
    return [w for w in windows if not w.isalpha() or not w.islower()]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_output_format_contains_a_secret(
    fmt: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    write("repo/.github/workflows/build.yml", _workflow())
    out_file = tmp_path / f"report.{fmt}"
    code, out, err = run("--format", fmt, str(tmp_path / "repo"))
    assert code == 1
    code, _, err2 = run("--format", fmt, "--output", str(out_file), str(tmp_path / "repo"))
    written = out_file.read_text(encoding="utf-8")
    assert "GHA012" in out and "GHA012" in written
    for blob in (out, err, err2, written):
        for secret in PLANTED.values():
            assert secret not in blob
            for piece in _pieces(secret):
                assert piece not in blob, f"{piece!r} of a secret leaked in {fmt} output"


def test_every_planted_type_is_reported_with_a_preview(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    import json

    write(".github/workflows/build.yml", _workflow())
    findings = [
        f
        for f in json.loads(run("--format", "json", str(tmp_path))[1])["findings"]
        if f["rule_id"] == "GHA012"
    ]
    by_key = {f["message"].split("`")[1]: f for f in findings}
    assert set(by_key) == set(PLANTED)
    assert by_key["AWS_ACCESS_KEY_ID"]["message"].startswith("AWS Access Key written literally")
    assert "(AKIA…(20 chars))" in by_key["AWS_ACCESS_KEY_ID"]["message"]
    assert by_key["GH_PAT"]["message"].startswith("GitHub Token")
    # one line per value, in order, each at the value (column 26 of `      KEY: "value"`)
    assert [(f["line"]) for f in findings] == list(range(7, 7 + len(PLANTED)))


def test_prefilter_never_drops_a_line_the_plugins_flag() -> None:
    """The prefilter is built from the plugins' own patterns; whatever they flag, it passes."""
    import random
    import string

    from soc2lint.secrets.lines import _candidates, engine, run_plugins

    process, could_flag = engine()
    candidates = _candidates()
    assert could_flag is not None and candidates is not None
    samples = [f"{k}: {v}" for k, v in PLANTED.items()] + [
        "token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "key: -----BEGIN RSA PRIVATE KEY-----",
        "NPM: //registry.npmjs.org/:_authToken=npm_0123456789abcdefghijklmnopqrstuvwxyz",
        "pypi: pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACJXsicGVybWlzc2lvbnMiOiAidXNlciIsICJ2ZXJzaW9uIjogMX0AAAYg",
        "sendgrid: 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",
        "twilio: SK0123456789abcdef0123456789abcdef",
        "discord: MTA0NjI1MjM5ODc2MjAxMTY0Mw.GqZ7bQ.abcdefghijklmnopqrstuvwxyz0123456789AB",
        "gitlab: glpat-0123456789abcdefghij",
        "url: https://admin:s3cr3tP4ssw0rd@db.example.com/app",
    ]
    rnd = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "_-/+=:.@ "
    samples += [
        "".join(rnd.choice(alphabet) for _ in range(rnd.randint(8, 80))) for _ in range(3000)
    ]
    flagged = 0
    for line in samples:
        everything = {
            (s.type, s.secret_value) for s in process([(1, line)], filename="workflow.yml")
        }
        # only the plugins the prefilter picks for the line run: they must find the same
        picked = {
            (s.type, s.secret_value) for s in run_plugins(line, "workflow.yml", 1, candidates(line))
        }
        assert picked == everything, line
        if everything:
            flagged += 1
            assert could_flag(line), line
    assert flagged >= len(PLANTED)


def test_config_values_seen_through_detect_secrets_transformers(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    """Bare YAML and INI values (no quotes) reach the entropy plugin as detect-secrets' own
    transformers present them; an alias bomb is never handed to them."""
    import json

    write("config.yaml", "db:\n  api_key: c2VjcmV0LWtleS1mb3ItdGhlLWFwaS12MQ\n")
    write("app.ini", "[auth]\ntoken = c2VjcmV0LWtleS1mb3ItdGhlLWFwaS12MQXX\n")
    write(
        "bomb.yaml",
        "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    )
    code, out, _ = run("--format", "json", "--select", "SEC001", "--no-history", str(tmp_path))
    got = {(f["path"], f["line"]) for f in json.loads(out)["findings"]}
    assert got == {("config.yaml", 2), ("app.ini", 2)}


def test_commit_ids_and_digests_are_no_secrets(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    import json

    sha = "557c2d0e7e1d5f6d6b2a5d3e4f9a0b1c2d3e4f50"
    write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: https://github.com/acme/hooks\n    rev: {sha}\n",
    )
    write("package-lock.txt", f'integrity: "sha256:{"ab12" * 16}"\n')
    # a license scanner's report: every file's digests under snake_case names
    write(
        "scan.json",
        f'{{"md5": "{sha[:32]}",\n "sha1_git": "{sha}",\n "build_hash": "{sha}",\n'
        f' "clusterId": "{sha[:32]}"}}\n',
    )
    write("settings.py", f'API_TOKEN = "{sha}"\n')  # the same shape where a secret is named
    _, out, _ = run("--format", "json", "--select", "SEC", "--no-history", str(tmp_path))
    assert [(f["path"], f["line"]) for f in json.loads(out)["findings"]] == [("settings.py", 1)]


def _config_samples() -> list[tuple[str, str]]:
    """Config files of the kinds detect-secrets transforms, built at random from values that
    do and do not pass its plugins, written the ways YAML, INI and dotenv allow."""
    import random
    import string

    rnd = random.Random(11)
    b64 = string.ascii_letters + string.digits + "+/"

    def value() -> str:
        kind = rnd.randrange(9)
        if kind == 0:
            return "".join(rnd.choice(b64) for _ in range(rnd.randint(16, 48)))
        if kind == 1:
            return "".join(
                rnd.choice("0123456789abcdef") for _ in range(rnd.choice([12, 32, 40, 64]))
            )
        if kind == 2:
            return "sha256:" + "".join(rnd.choice("0123456789abcdef") for _ in range(64))
        if kind == 3:
            return rnd.choice(["nginx:1.25", "true", "8080", "https://example.com/a/b", "info"])
        if kind == 4:
            return "AKIA" + "".join(
                rnd.choice(string.ascii_uppercase + "234567") for _ in range(16)
            )
        if kind == 5:
            return "".join(rnd.choice(b64) for _ in range(rnd.randint(20, 40))) + "=="
        if kind == 6:
            return "ghp_" + "".join(
                rnd.choice(string.ascii_letters + string.digits) for _ in range(36)
            )
        if kind == 7:
            return "image@sha256:" + "".join(rnd.choice("0123456789abcdef") for _ in range(64))
        return " ".join(rnd.choice(["plain", "words", "here", "and", "there"]) for _ in range(4))

    keys = ["name", "api_key", "password", "token", "image", "digest", "data", "value", "secret"]
    quote = lambda v: rnd.choice(["", '"', "'"]).join(["", v, ""]) if rnd.random() < 0.5 else v  # noqa: E731
    out = []
    for n in range(400):
        lines = []
        style = rnd.choice(["yaml", "ini", "env", "txt"])
        for _ in range(rnd.randint(1, 3)):
            key, v = rnd.choice(keys), value()
            form = rnd.randrange(5)
            if style == "ini":
                lines.append(f"{key} = {v}" if form else f"[{key}]")
            elif style == "env":
                lines.append(f"{key.upper()}={quote(v)}")
            elif style == "txt":  # a file of no known type, which INI parsing splits at `:`
                lines.append(f"{key.upper()}{rnd.choice([':', ': ', ' = '])}{quote(v)}")
            elif form == 0:
                lines.append(f"{key}:\n  - {quote(v)}")
            elif form == 1:
                lines.append(f"{key}: |\n  {v}\n  {value()}")
            elif form == 2:
                lines.append(f"{key}: {{a: {v}, b: {value()}}}")
            else:
                lines.append(f"{key}: {quote(v)}  # note" if form == 3 else f"{key}: {quote(v)}")
        name = {"yaml": f"c{n}.yaml", "ini": f"c{n}.ini", "env": f".env{n}", "txt": f"c{n}.txt"}[
            style
        ]
        out.append((name, "\n".join(lines) + "\n"))
    return out


def test_transformers_are_skipped_only_where_they_cannot_add_a_secret() -> None:
    """could_reveal gates detect-secrets' transformers (a pure-Python YAML load per config
    file). Where it says no, the transformers find no value the plain lines do not."""
    from soc2lint.secrets.lines import run_transformers, scan_text
    from soc2lint.secrets.reveal import could_reveal

    skipped = revealing = 0
    for name, text in _config_samples():
        lines = {s.value for _, s in scan_text(text, name)}
        extra = {s.value for _, s in run_transformers(text, name)} - lines
        revealing += bool(extra)
        if not could_reveal(text, name):
            skipped += 1
            assert not extra, (name, text)
    # the samples exercise both sides: the gate skips some files and others need the transformers
    assert skipped >= 20 and revealing >= 20, (skipped, revealing)


def test_reveal_gate_on_typical_files() -> None:
    from soc2lint.secrets.lines import run_transformers, scan_text
    from soc2lint.secrets.reveal import could_reveal

    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n"
        f"          image: ghcr.io/acme/web@sha256:{'3f9a' * 16}\n"
        "          env:\n            - name: DB_PASSWORD\n              valueFrom:\n"
        "                secretKeyRef: {name: db, key: password}\n"
    )
    assert not could_reveal(manifest, "deploy.yaml")
    # a bare high-entropy value, a block scalar under a secret's name, an INI value: the
    # lines alone miss each, the transformers find it, and the gate lets them run
    for name, text in [
        ("config.yaml", "db:\n  value: Xq8PhQ6P/UeuIoyMfaCeE3V574qP+Tz\n"),
        ("config.yaml", "password: |\n  hunter2-but-longer\n"),
        ("app.ini", "[auth]\ntoken = c2VjcmV0LWtleS1mb3ItdGhlLWFwaS12MQXX\n"),
    ]:
        assert not list(scan_text(text, name))
        assert list(run_transformers(text, name))
        assert could_reveal(text, name)


def _in_tree(run: Callable[..., tuple[int, str, str]], root: Path) -> list[dict[str, Any]]:
    """SEC001's findings in the files under `root` (no history), as the JSON report has them."""
    import json

    _, out, _ = run("--format", "json", "--select", "SEC001", "--no-history", str(root))
    return json.loads(out)["findings"]  # type: ignore[no-any-return]


# What stands where a secret would and is none, next to real values that must still be found.
NOT_SECRETS = {
    "placeholders": (
        "docs/setup.py",
        """\
        app_secret = 'YOUR_APP_SECRET'
        oauth_token_secret = "USER_OAUTH_TOKEN_SECRET"
        password = "your-password-here"
        api_key = "<example key>"
        db_password = "Tr0ub4dor-and-3-horses"
        admin_password = "DB_PASSWORD2x"
        root_password = "HUNTER_2024"
        mysql_password = "my_s3cret_pw"
        """,
        [5, 6, 7, 8],
    ),
    "keys naming where a secret is": (
        "deploy/storage.yaml",
        """\
        parameters:
          adminSecretName: ceph-secret-admin
          adminSecretNamespace: kube-system
          password_file: /run/secrets/db
          secretRef: {name: db}
          admin_password: Tr0ub4dor-and-3-horses
        volumes:
          - secret: {secretName: nginxsecret}
        """,
        [6],
    ),
    "hosts reserved for examples": (
        "tests/test_urls.py",
        """\
        A = "https://user:password@example.com/whatever.tgz"
        B = "git+http://username:s3cr3tpw@git.example.org/"
        C = "https://u:pw12345@ci.test/simple"
        D = "https://deploy:s3cr3tpw@pypi.company.com/simple"
        E = "postgres://app:s3cr3tpw@localhost:5432/db"
        F = "https://a:b12345678@example.community/"
        """,
        [4, 5, 6],
    ),
}


@pytest.mark.parametrize("case", NOT_SECRETS)
def test_what_stands_for_a_secret_is_not_one(
    case: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    path, text, found = NOT_SECRETS[case]
    write(path, text)
    assert [f["line"] for f in _in_tree(run, tmp_path)] == found


def test_a_value_is_one_finding_however_many_types_see_it(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    """`key: value` is a keyword secret on the line and an entropy string once the YAML
    transformer quotes it: one secret, one finding."""
    value = "eElGMXpKYm5ub2pGTE1Ta0JwNTBteDAyckhzTUsyc2pVN2xKQXJQa0JyUWlWbWU4TkF2K1BjWE1uYXhyKzY="
    write("k8s/secret.yaml", f"kind: Secret\ndata:\n  storageaccountkey: {value}\n")
    assert [(f["path"], f["line"]) for f in _in_tree(run, tmp_path)] == [("k8s/secret.yaml", 3)]


def test_secret_findings_carry_type_and_fingerprint_as_properties(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    """Tools reading JSON or SARIF get the type and fingerprint without parsing the message."""
    import json

    write("app.py", f'KEY = "{PLANTED["AWS_ACCESS_KEY_ID"]}"\n')
    (finding,) = _in_tree(run, tmp_path)
    assert finding["properties"]["secret_type"] == "AWS Access Key"
    assert finding["identity"].endswith("#" + finding["properties"]["secret_fingerprint"])
    _, sarif, _ = run("--format", "sarif", "--select", "SEC001", "--no-history", str(tmp_path))
    (result,) = json.loads(sarif)["runs"][0]["results"]
    assert result["properties"]["secret_type"] == "AWS Access Key"
