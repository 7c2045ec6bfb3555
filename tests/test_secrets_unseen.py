"""Precision on repositories nobody tuned on (issue 12, the held-out faults): UI text under
password-named keys, tutorial JWTs, tutorial source trees, AWS ids glued into longer words, the
user repeated as the password, and the history's findings judged by the same code scope as the
tree's. Each false positive has a real secret beside it that must still be found. Values are
synthetic (a fixed seed) and never asserted on; findings are compared by place and type."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from pathlib import Path

import git
from snippets import secret_findings

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

_RNG = random.Random(20261204)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _token(n: int) -> str:
    return "".join(_RNG.choice(_ALNUM) for _ in range(n))


def _aws() -> str:
    return "AKIA" + "".join(_RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{_token(43)}"


_findings = secret_findings


def _where(findings: list[dict]) -> list[tuple[str, int, int, str, str]]:
    return sorted(
        (f["path"], f["line"], f["column"], f["properties"]["secret_type"], f["severity"])
        for f in findings
    )


def _commit(repo: git.Repo, message: str) -> None:
    actor = git.Actor("Dev", "dev@example.com")
    repo.index.commit(message, author=actor, committer=actor)


# --- 1. text for people under password-named keys ----------------------------------------------


def test_ui_text_under_password_keys_is_no_credential(
    run: Run, write: Write, tmp_path: Path
) -> None:
    secret = _token(18)
    write(
        "web/src/i18n/en.json",
        """\
        {
          "password": "Enter your password",
          "resetPassword": "Reset Password",
          "passwordMismatch": "The passwords don't match.",
          "newPassword": "New password:",
          "apiToken": "API token"
        }
        """,
    )
    write("web/src/i18n/ja.json", '{"password": "\u30d1\u30b9\u30ef\u30fc\u30c9"}\n')
    write(
        "web/src/config.json",
        f"""\
        {{
          "password": "{secret}",
          "admin_password": "orange tractor winter lamp"
        }}
        """,
    )
    # a random value and an all-lowercase passphrase are credentials; sentences are not
    assert _where(_findings(run, tmp_path)) == [
        ("web/src/config.json", 2, 16, "Secret Keyword", "critical"),
        ("web/src/config.json", 3, 22, "Secret Keyword", "critical"),
    ]


def test_translation_catalogues_and_ui_messages_hold_no_passwords(
    run: Run, write: Write, tmp_path: Path
) -> None:
    secret = _token(18)
    write(
        "frontend/src/locales/en.json",
        """\
        {
          "passwordStrengthLow": "Low",
          "passwordMinLength": "Password must be at least 8 characters",
          "passwordAttempts": "{{count}} attempts left."
        }
        """,
    )
    write("po/de.po", 'msgid "Password"\nmsgstr "Passwort"\n')
    write(
        "frontend/src/settings.json",
        f"""\
        {{
          "passwordHint": "Low",
          "admin_password": "Summer 2024",
          "password": "{secret}"
        }}
        """,
    )
    # outside a catalogue a single word or a word and a number is not prose
    assert [(p, line) for p, line, *_ in _where(_findings(run, tmp_path))] == [
        ("frontend/src/settings.json", 2),
        ("frontend/src/settings.json", 3),
        ("frontend/src/settings.json", 4),
    ]


def test_ci_values_encrypted_for_the_ci_service_are_no_secrets(
    run: Run, write: Write, tmp_path: Path
) -> None:
    cipher, token = _token(172), _token(40)
    write(
        ".travis.yml",
        f"""\
        env:
          global:
          - secure: "{cipher}"
          - secure: {_token(172)}
        deploy:
          api_key: "{token}"
        """,
    )
    assert [(p, line) for p, line, *_ in _where(_findings(run, tmp_path))] == [(".travis.yml", 6)]


def test_a_key_naming_the_variable_a_password_is_bound_to_holds_none(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "Jenkinsfile",
        """\
        withCredentials([usernamePassword(credentialsId: 'hub', usernameVariable: 'USER',
                                          passwordVariable: 'PASS')]) {
            sh 'echo "$PASS" | docker login -u "$USER" --password-stdin'
        }
        """,
    )
    write("ci/deploy.groovy", f"def registryPassword = '{_token(20)}'\n")
    assert [(p, line) for p, line, *_ in _where(_findings(run, tmp_path))] == [
        ("ci/deploy.groovy", 1)
    ]


# --- 2. JWTs in tutorials -------------------------------------------------------------------------


def test_the_well_known_sample_jwt_is_quiet_other_jwts_in_docs_are_lowered(
    run: Run, write: Write, tmp_path: Path
) -> None:
    sample = _jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022})
    issued = _jwt({"sub": "svc-billing", "exp": 1900000000})
    lookalike = _jwt({"sub": "1234567890", "role": "admin"})  # one sample claim: no sample
    write("docs/security/tokens.md", f"A token looks like `{sample}`.\n\nOurs: `{issued}`\n")
    write(
        "app/client.py",
        f'SERVICE = "{sample}"\nBILLING = "{issued}"\nADMIN = "{lookalike}"\n',
    )
    found = _findings(run, tmp_path)
    assert _where(found) == [
        ("app/client.py", 2, 12, "JSON Web Token", "critical"),
        ("app/client.py", 3, 10, "JSON Web Token", "critical"),
        ("docs/security/tokens.md", 3, 8, "JSON Web Token", "medium"),
    ]
    docs = next(f for f in found if f["path"].startswith("docs/"))
    assert docs["properties"]["code_scope"] == "documentation"


def test_tutorial_source_trees_are_documentation(run: Run, write: Write, tmp_path: Path) -> None:
    secret = _token(24)
    for path in (
        "docs_src/security/tutorial003.py",
        "site/tutorial/step2/app.py",
        "guide/tutorials/auth.js",
    ):
        write(path, f'SECRET_KEY = "{secret}"\n')
    write("service/settings.py", f'SECRET_KEY = "{secret}"\n')
    found = {f["path"]: f for f in _findings(run, tmp_path)}
    assert {p: (f["severity"], f["properties"].get("code_scope")) for p, f in found.items()} == {
        "docs_src/security/tutorial003.py": ("medium", "documentation"),
        "guide/tutorials/auth.js": ("medium", "documentation"),
        "service/settings.py": ("critical", None),  # a config module
        "site/tutorial/step2/app.py": ("medium", "documentation"),
    }


# --- 3. AWS ids are words of their own ---------------------------------------------------------


def test_an_aws_id_inside_a_longer_run_is_no_key(run: Run, write: Write, tmp_path: Path) -> None:
    letters = "".join(_RNG.choice("ACGT") for _ in range(300))
    inside = f"{letters[:150]}{_aws()}{letters[150:]}"  # letters glued on both sides
    tail = f"{letters[:40]}{_aws()}"  # glued on one side only
    key = _aws()
    write(
        "exercises/count.py",
        f"""\
        SEQUENCE = "{inside}"
        OTHER = "{tail}"
        """,
    )
    write(
        "deploy/creds.py",
        f"""\
        KEY = "{key}"
        ESCAPED = "[default]\\naws_access_key_id=\\n{_aws()}\\n"
        """,
    )
    assert _where(_findings(run, tmp_path)) == [
        ("deploy/creds.py", 1, 8, "AWS Access Key", "critical"),
        ("deploy/creds.py", 2, 43, "AWS Access Key", "critical"),
    ]


# --- 4. the user repeated as the password ------------------------------------------------------


def test_user_as_password_is_quiet_only_in_tests_and_docs(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("tests/test_proxy.py", 'PROXY = "socks5://admin:admin@proxy.local:1080"\n')
    write("docs/proxy.md", "Use `http://guest:guest@broker.local:5672/`.\n")
    write("app/settings.py", 'BROKER_URL = "amqp://admin:admin@rabbitmq.internal:5672/"\n')
    assert _where(_findings(run, tmp_path)) == [
        ("app/settings.py", 1, 28, "Basic Auth Credentials", "critical")
    ]


def test_user_as_password_in_history_is_judged_where_each_line_was_added(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """The history scans a repeated line once; a line that tests may hold quietly is scanned
    again when application code adds it."""
    repo = git.Repo.init(tmp_path)
    line = 'URL = "amqp://admin:admin@rabbitmq.internal:5672/"\n'
    write("tests/test_queue.py", line)
    repo.index.add(["tests/test_queue.py"])
    _commit(repo, "test the queue")
    write("app/config.py", line)
    repo.index.add(["app/config.py"])
    _commit(repo, "connect the queue")
    repo.index.remove(["app/config.py", "tests/test_queue.py"], working_tree=True)
    _commit(repo, "read the url from the environment")
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [("app/config.py", 1, "high")]


# --- 5. SEC002: the same code scope as SEC001 ---------------------------------------------------


def test_history_findings_carry_the_scope_of_the_path_they_entered_at(
    run: Run, write: Write, tmp_path: Path
) -> None:
    repo = git.Repo.init(tmp_path)
    test_value, doc_value, app_value = _token(32), _token(32), _token(32)
    key = _aws()
    write("tests/test_login.py", f'password = "{test_value}"\nKEY = "{key}"\n')
    write("docs/setup.rst", f'password = "{doc_value}"\n')
    write("vendor/lib/client.py", f'password = "{_token(32)}"\n')
    write("app/login.py", f'password = "{app_value}"\n')
    paths = ["tests/test_login.py", "docs/setup.rst", "vendor/lib/client.py", "app/login.py"]
    repo.index.add(paths)
    _commit(repo, "add")
    repo.index.remove(paths, working_tree=True)
    _commit(repo, "remove")
    found = {(f["path"], f["line"]): f for f in _findings(run, tmp_path, "SEC002", history=True)}
    assert {k: (f["severity"], f["properties"].get("code_scope")) for k, f in found.items()} == {
        ("app/login.py", 1): ("medium", "application code"),  # weak evidence, not config
        ("docs/setup.rst", 1): ("medium", "documentation"),
        ("tests/test_login.py", 1): ("medium", "test code"),
        ("tests/test_login.py", 2): ("high", None),  # a provider's key stays high anywhere
        ("vendor/lib/client.py", 1): ("medium", "vendored code"),
    }
    scoped = found[("tests/test_login.py", 1)]
    assert scoped["properties"]["scope_severity"] == "medium"
    assert scoped["message"].startswith(scoped["properties"]["secret_type"] + " (")
    assert " in test code, committed in " in scoped["message"]
    app = found[("app/login.py", 1)]
    assert "committed in" in app["message"]
    assert "test code" not in app["message"]
    assert " in application code: a " in app["message"]  # what the detection rests on
    assert "not a provider's key format" in app["message"]
    assert app["properties"]["evidence"] == "weak"


# --- 6. the history reads every config file version whole, each with its own bytes ------------


def test_a_submodule_commit_among_config_versions_does_not_shift_later_ones(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """A gitlink (a submodule at a path without an extension, which is config-like) names a
    commit; when that commit is in the repository, `git cat-file --batch` prints it with its
    content, which must be skipped, or every config version read after it gets the bytes of
    the one before (seen on a public repository: 1,206 of 5,082 versions)."""
    repo = git.Repo.init(tmp_path)
    write("README.md", "hello\n")
    repo.index.add(["README.md"])
    _commit(repo, "start")
    first = repo.head.commit.hexsha
    repo.git.update_index("--add", "--cacheinfo", f"160000,{first},vendorlib")
    _commit(repo, "add a submodule")
    # a bare YAML value under a neutral name: only the whole file, through detect-secrets'
    # YAML transformer, shows it (its lines alone do not)
    write("config/app.yml", f"service:\n  upstream_value: {_token(40)}\n")
    repo.index.add(["config/app.yml"])
    _commit(repo, "configure")
    repo.index.remove(["config/app.yml"], working_tree=True)
    _commit(repo, "unconfigure")
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert [(f["path"], f["line"]) for f in found] == [("config/app.yml", 2)]


def test_an_added_line_that_reads_like_a_file_header_is_content(
    run: Run, write: Write, tmp_path: Path
) -> None:
    """`git log -p` shows an added line `++ x` as `+++ x`, which is a file header only before
    a file's first hunk: read as one, it moved every later line of the file to a path named
    after the text (seen on a public repository's history)."""
    repo = git.Repo.init(tmp_path)
    write("app/settings.py", f'NOTES = """\n++ Due. (04/18/2022)\n"""\npassword = "{_token(24)}"\n')
    repo.index.add(["app/settings.py"])
    _commit(repo, "notes")
    repo.index.remove(["app/settings.py"], working_tree=True)
    _commit(repo, "no notes")
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [
        ("app/settings.py", 4, "high")
    ]
