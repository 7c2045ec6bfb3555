"""Precision of the secrets rules (issue 12): false positives that must stay quiet, real secrets
that must still be found next to them, through the real CLI on real files (and real git
repositories for the history). Values are synthetic, generated from a fixed seed, and never
asserted on: findings are compared by (rule, path, line, column, type) and fingerprint."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import git
from snippets import secret_findings

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

_RNG = random.Random(20261203)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _hex(n: int) -> str:
    return "".join(_RNG.choice("0123456789abcdef") for _ in range(n))


def _b64(n: int) -> str:
    return "".join(_RNG.choice(_B64) for _ in range(n))


def _aws() -> str:
    return "AKIA" + "".join(_RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def _pem(kind: str = "RSA") -> str:
    body = "\n".join(_b64(64) for _ in range(6))
    return f"-----BEGIN {kind} PRIVATE KEY-----\n{body}\n-----END {kind} PRIVATE KEY-----\n"


_findings = secret_findings


def _where(findings: list[dict]) -> list[tuple[str, str, int, int, str]]:
    return sorted(
        (f["rule_id"], f["path"], f["line"], f["column"], f["properties"]["secret_type"])
        for f in findings
    )


# --- 1. false positives ----------------------------------------------------------------------


def test_url_vectors_and_dummy_passwords_are_quiet_a_real_url_password_is_not(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "tests/test_urls.py",
        """\
        VECTORS = [
            ("http://user:pass@host/path", "pass"),
            ("https://user:password@host:8080/", "password"),
            ("ftp://anonymous:anonymous@ftp.host/", "anonymous"),
        ]
        payload = {"password": "pass"}
        """,
    )
    write("docs/usage.md", "Connect with `mysql://user:secret@localhost/db`.\n")
    write("app/db.py", 'DSN = "postgres://app:Zq8vR2mKp4Lx@db.internal/app"\n')
    assert _where(_findings(run, tmp_path)) == [
        ("SEC001", "app/db.py", 1, 23, "Basic Auth Credentials")
    ]


def test_http_digest_vectors_are_quiet(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "tests/test_digest.py",
        f"""\
        nonce="{_hex(32)}"
        opaque = "{_hex(32)}"
        CHALLENGE = {{"nonce": "{_hex(32)}", "cnonce": "{_hex(32)}"}}
        expected = dict(response="{_hex(32)}")
        """,
    )
    assert _findings(run, tmp_path) == []


def test_digests_pkgbuild_sri_and_lock_files_are_quiet(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "pkg/PKGBUILD",
        f"""\
        pkgname=tool
        sha256sums=('{_hex(64)}'
                    '{_hex(64)}')
        md5sums=('{_hex(32)}')
        """,
    )
    write(
        "web/index.html",
        f'<script src="a.js" integrity="sha384-{_b64(64)}" crossorigin="anonymous"></script>\n',
    )
    write("web/package.json", f'{{"integrity": "sha512-{_b64(86)}=="}}\n')
    # detect-secrets' own filename filters: lock files and extensions it never reads
    lock = f'"x": {{"integrity": "sha1-{_b64(27)}=", "token": "{_b64(40)}"}}\n'
    for name in ("package-lock.json", "yarn.lock", "poetry.lock", "Cargo.lock", "go.sum"):
        write(f"deps/{name}", lock)
    write("fonts/icons.woff2", f'"{_b64(60)}"\n')
    assert _findings(run, tmp_path) == []


def test_actions_conditions_and_alphabets_are_quiet(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "ci/pipeline.yml",
        """\
        steps:
          - name: publish
            if: env.HAS_SECRETS == 'true'
          - if: needs.check.outputs.has_secrets == 'true'
            run: make
        """,
    )
    write(
        "lib/encoding.py",
        """\
        BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
        """,
    )
    assert _findings(run, tmp_path) == []


def test_minified_js_keeps_only_provider_keys(run: Run, write: Write, tmp_path: Path) -> None:
    filler = ";".join(f'var v{i}="{_b64(40)}"' for i in range(20))
    write("static/app.min.js", f'{filler};var k="{_aws()}";\n')
    write("static/vendor.js", f"{filler};\n")  # a bundle: one very long line
    assert _where(_findings(run, tmp_path)) == [
        ("SEC001", "static/app.min.js", 1, len(filler) + 9, "AWS Access Key")
    ]


def test_tests_and_docs_are_reported_with_their_scope_provider_keys_are_not_lowered(
    run: Run, write: Write, tmp_path: Path
) -> None:
    secret = _b64(40)
    write("tests/test_api.py", f'password = "{secret}"\nKEY = "{_aws()}"\n')
    write("docs/setup.md", f'password = "{secret}"\n')
    write("app/settings.py", f'password = "{secret}"\n')
    found = {(f["path"], f["line"]): f for f in _findings(run, tmp_path)}
    assert sorted(found) == [
        ("app/settings.py", 1),
        ("docs/setup.md", 1),
        ("tests/test_api.py", 1),
        ("tests/test_api.py", 2),
    ]
    test_value = found[("tests/test_api.py", 1)]
    assert test_value["properties"]["code_scope"] == "test code"
    assert test_value["properties"]["scope_severity"] == "medium"
    kind = test_value["properties"]["secret_type"]
    assert test_value["message"].startswith(f"{kind} in test code (")
    assert found[("docs/setup.md", 1)]["properties"]["code_scope"] == "documentation"
    # reported at the lower severity, not silenced
    assert test_value["severity"] == found[("docs/setup.md", 1)]["severity"] == "medium"
    config = found[("app/settings.py", 1)]
    assert config["severity"] == found[("tests/test_api.py", 2)]["severity"] == "critical"
    # the same value in a config module, and a provider's key in a test, are not lowered
    for app in (config, found[("tests/test_api.py", 2)]):
        assert "code_scope" not in app["properties"]
        assert "in this file" in app["message"]
    # the scope changes the message, never the identity (baselines and suppressions hold)
    fps = {found[k]["properties"]["secret_fingerprint"] for k in found if k[1] == 1}
    assert len(fps) == 1


# --- 2. detect-secrets' filters everywhere: the history too -----------------------------------


def test_lock_files_are_filtered_in_history_too(run: Run, write: Write, tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path)
    actor = git.Actor("Dev", "dev@example.com")
    write("package-lock.json", f'{{"token": "{_b64(40)}", "integrity": "sha512-{_b64(86)}"}}\n')
    write("app.py", f'token = "{_b64(40)}"\n')
    repo.index.add(["package-lock.json", "app.py"])
    repo.index.commit("add", author=actor, committer=actor)
    repo.index.remove(["package-lock.json", "app.py"], working_tree=True)
    repo.index.commit("remove", author=actor, committer=actor)
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert [(f["path"], f["line"]) for f in found] == [("app.py", 1)]


# --- 3. private keys ---------------------------------------------------------------------------


def test_private_keys_are_fingerprinted_by_body_and_a_header_alone_is_no_key(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("certs/a.key", _pem())
    write("certs/b.key", _pem())
    write("certs/c.pem", "-----BEGIN EC PRIVATE KEY-----\n...\n-----END EC PRIVATE KEY-----\n")
    write("README.md", "Paste the key that starts with `-----BEGIN RSA PRIVATE KEY-----`.\n")
    write("app/keys.py", 'KEY = "' + _pem().replace("\n", "\\n") + '"\n')
    found = _findings(run, tmp_path)
    assert _where(found) == [
        ("SEC001", "app/keys.py", 1, 13, "Private Key"),
        ("SEC001", "certs/a.key", 1, 6, "Private Key"),
        ("SEC001", "certs/b.key", 1, 6, "Private Key"),
    ]
    assert len({f["properties"]["secret_fingerprint"] for f in found}) == 3
    assert {f["end_column"] - f["column"] for f in found} == {len("BEGIN RSA PRIVATE KEY")}


def test_each_private_key_in_history_is_its_own_secret(
    run: Run, write: Write, tmp_path: Path
) -> None:
    repo = git.Repo.init(tmp_path)
    actor = git.Actor("Dev", "dev@example.com")
    write("README.md", "Keys start with -----BEGIN RSA PRIVATE KEY-----\n")
    write("deploy/one.pem", _pem())
    write("deploy/two.pem", _pem())
    repo.index.add(["README.md", "deploy/one.pem", "deploy/two.pem"])
    repo.index.commit("add", author=actor, committer=actor)
    repo.index.remove(["deploy/one.pem", "deploy/two.pem"], working_tree=True)
    repo.index.commit("remove", author=actor, committer=actor)
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert sorted((f["path"], f["properties"]["secret_type"]) for f in found) == [
        ("deploy/one.pem", "Private Key"),
        ("deploy/two.pem", "Private Key"),
    ]


# --- 4. a name that says secret beats a neighbouring word that says digest ---------------------


def test_secret_names_beat_digest_words(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "app/settings.py",
        f"""\
        OAUTH = {{"client_id": "myapp", "client_secret": "{_hex(40)}"}}
        api_key = "{_hex(32)}"  # prod version
        api_secret = "{_hex(40)}"  # ops@corp.io
        """,
    )
    write("web/settings.php", f"<?php\n$drupal_hash_salt = '{_hex(64)}';\n")
    # digests stay quiet: their own name or the line says so
    write(
        "app/pins.py",
        f"""\
        user_id = "{_hex(32)}"
        commit = "{_hex(40)}"
        ACTION = "actions/checkout@{_hex(40)}"
        TARBALL = "{_hex(64)}"  # sha256 of the release tarball
        """,
    )
    assert _where(_findings(run, tmp_path)) == [
        ("SEC001", "app/settings.py", 1, 50, "Hex High Entropy String"),
        ("SEC001", "app/settings.py", 2, 12, "Hex High Entropy String"),
        ("SEC001", "app/settings.py", 3, 15, "Hex High Entropy String"),
        ("SEC001", "web/settings.php", 2, 22, "Hex High Entropy String"),
    ]


# --- 5. provider keys as call arguments ---------------------------------------------------------


def test_provider_keys_in_call_arguments_are_found(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "app/storage.py",
        f"""\
        import boto3
        s3 = boto3.client("s3", aws_access_key_id="{_aws()}")
        token = os.environ.get("TOKEN")
        value = config["password"]
        """,
    )
    assert _where(_findings(run, tmp_path)) == [
        ("SEC001", "app/storage.py", 2, 44, "AWS Access Key")
    ]


def test_weak_passwords_in_application_config_stay_findings(
    run: Run, write: Write, tmp_path: Path
) -> None:
    # `pass123` is a dummy in a URL-parser test, a weak credential in an application's config;
    # a value naming the field (`"passwordField": "password"`) or `null` is neither
    write("web/config.php", "<?php\n$dbpasswd = 'pass123';\n")
    write("tests/test_parse.py", 'URL = "mysql://root:pass123@db/app"\n')
    write("app/logins.json", '{"passwordField": "password", "redis_password": null}\n')
    assert _where(_findings(run, tmp_path)) == [
        ("SEC001", "web/config.php", 2, 14, "Secret Keyword")
    ]


def test_putty_keys_are_identified_by_their_private_lines(
    run: Run, write: Write, tmp_path: Path
) -> None:
    def ppk() -> str:
        public = "\n".join(_b64(64) for _ in range(2))
        private = "\n".join(_b64(64) for _ in range(3))
        return (
            "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: k\n"
            f"Public-Lines: 2\n{public}\nPrivate-Lines: 3\n{private}\nPrivate-MAC: {_hex(40)}\n"
        )

    write("keys/a.ppk", ppk())
    write("keys/b.ppk", ppk())
    write("docs/putty.md", "A key file starts with `PuTTY-User-Key-File-2: ssh-rsa`.\n")
    found = _findings(run, tmp_path)
    assert _where(found) == [
        ("SEC001", "keys/a.ppk", 1, 1, "Private Key"),
        ("SEC001", "keys/b.ppk", 1, 1, "Private Key"),
    ]
    assert len({f["properties"]["secret_fingerprint"] for f in found}) == 2


def test_hex_test_data_etags_and_names_repeated_as_values_are_quiet(
    run: Run, write: Write, tmp_path: Path
) -> None:
    text = "".join(f"{b:02x}" for b in b'{"user":"tobi","active":true}')
    write(
        "spec/body.js",
        f"""\
        req.write(Buffer.from('{text}', 'hex'))
        req.write(Buffer.from('1f8b{_hex(52)}', 'hex'))
        res.expect('ETag', 'W/"3e7-{_b64(27)}"')
        """,
    )
    write("lib/app.py", 'app.secret_key = "secret_key"\n')
    write("vendor/lib/venv/site-packages/mod/tests.py", f'nonce="{_hex(34)}"\n')
    write("app/keys.py", f'signing_key = "{_hex(64)}"\n')
    assert _where(_findings(run, tmp_path)) == [
        ("SEC001", "app/keys.py", 1, 16, "Hex High Entropy String")
    ]


def test_hex_that_encodes_text_under_a_secret_name_is_still_a_secret(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """Hex that decodes to text is test data in a buffer, but under a key that names a secret it
    is a hex-encoded credential: the name wins, as it wins over digest words."""
    text = "".join(f"{b:02x}" for b in b"Zq8#mP2vL9xR4tW7kJ3n")
    write("app/settings.py", f'client_secret = "{text}"\n')
    write("spec/body.js", f"req.write(Buffer.from('{text}', 'hex'))\n")
    assert [(p, line) for _, p, line, _, _ in _where(_findings(run, tmp_path))] == [
        ("app/settings.py", 1)
    ]
