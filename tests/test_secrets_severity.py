"""Severity by the strength of the evidence (issue 12): a provider's key format, a private key's
body or a JWT keeps SEC001/SEC002's severity anywhere but tests and docs; a password-named
value, randomness or a URL password is high only in configuration and deployment files and
medium elsewhere, with a message that says why. And the general shapes of false findings seen
on repositories nobody tuned on: translation catalogues under `languages/`, asset manifests
mapping files to hex digests, placeholder words, API spec examples, each next to a real secret
that must still be found. Values are synthetic (a fixed seed) and never asserted on."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from pathlib import Path

import git
import pytest
from snippets import secret_findings

from soc2lint.secrets.lines import application_code, deployment_config, lowered

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

_RNG = random.Random(20261204)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _token(n: int) -> str:
    return "".join(_RNG.choice(_ALNUM) for _ in range(n))


def _hex(n: int) -> str:
    return "".join(_RNG.choice("0123456789abcdef") for _ in range(n))


def _aws() -> str:
    return "AKIA" + "".join(_RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def _pem() -> str:
    body = "\n".join(_token(64) for _ in range(6))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"


def _jwt() -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"sub": _token(12), "iat": 1733300000, "role": "service"}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{_token(43)}"


_findings = secret_findings


def _judged(findings: list[dict]) -> dict[tuple[str, int], tuple[str, str | None]]:
    return {
        (f["path"], f["line"]): (f["severity"], f["properties"].get("code_scope")) for f in findings
    }


def _commit(repo: git.Repo, message: str) -> None:
    actor = git.Actor("Dev", "dev@example.com")
    repo.index.commit(message, author=actor, committer=actor)


# --- 1. the judgement itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        "deploy/prod.tfvars",
        "infra/main.tf",
        "src/main/resources/application.properties",
        "setup.cfg",
        "conf/app.ini",
        "nginx/site.conf",
        "docker-compose.yml",
        "charts/web/values.yaml",
        "k8s/deployment.yaml",
        "project/settings.py",
        "project/local_settings.py",
        "src/config.ts",
        "wp-config.php",
        "appsettings.Production.json",
        "config/database.js",
        "pyproject.toml",
        "Dockerfile",
    ],
)
def test_configuration_and_deployment_files_are_config(path: str) -> None:
    assert deployment_config(path)
    assert lowered(path, "Secret Keyword") is None


@pytest.mark.parametrize(
    "path",
    ["app/views.py", "src/server/login.js", "src/components/Login.vue", "main.go", "web/a.html"],
)
def test_application_code_lowers_weak_evidence_only(path: str) -> None:
    assert application_code(path) and not deployment_config(path)
    for kind in (
        "Secret Keyword",
        "Base64 High Entropy String",
        "Hex High Entropy String",
        "Basic Auth Credentials",
    ):
        judged = lowered(path, kind)
        assert judged is not None and judged.scope == "application code" and judged.evidence
    for kind in ("AWS Access Key", "GitHub Token", "Private Key", "JSON Web Token"):
        assert lowered(path, kind) is None


@pytest.mark.parametrize(
    "path",
    ["cloud/heroku.json", ".idea/WebServers.xml", "data/logins.json", "scripts/deploy.sh", "run"],
)
def test_data_files_and_scripts_keep_the_rule_severity(path: str) -> None:
    """Credential stores, IDE and tool settings, deploy scripts: not application code."""
    assert not application_code(path)
    assert lowered(path, "Secret Keyword") is None
    assert lowered(path, "Base64 High Entropy String") is None


def test_tests_and_docs_lower_all_but_provider_keys() -> None:
    for kind in ("Secret Keyword", "Private Key", "JSON Web Token"):
        judged = lowered("tests/test_login.py", kind)
        assert judged is not None and judged.scope == "test code" and not judged.evidence
    assert lowered("tests/test_login.py", "AWS Access Key") is None
    assert lowered("docs/setup.md", "Stripe Access Key") is None


# --- 2. SEC001 and SEC002 through the CLI ---------------------------------------------------


def test_sec001_weak_evidence_is_medium_in_application_code_high_in_config(
    run: Run, write: Write, tmp_path: Path
) -> None:
    value = _token(24)
    write("app/views.py", f'password = "{value}"\n')
    write("app/settings.py", f'password = "{value}"\n')
    write(".env", f"DB_PASSWORD={_token(24)}\n")
    write(
        "docker-compose.yml", f"services:\n  db:\n    environment:\n      PASSWORD: {_token(24)}\n"
    )
    write("app/client.py", f'KEY = "{_aws()}"\nTOKEN = "{_jwt()}"\n')
    write("app/keys.py", 'KEY = """\n' + _pem() + '"""\n')
    write("cloud/heroku.json", f'{{"api_key": "{_token(24)}"}}\n')  # data, not code
    found = _findings(run, tmp_path)
    assert _judged(found) == {
        ("app/views.py", 1): ("medium", "application code"),
        ("app/settings.py", 1): ("critical", None),
        (".env", 1): ("critical", None),
        ("docker-compose.yml", 4): ("critical", None),
        ("app/client.py", 1): ("critical", None),  # a provider's format
        ("app/client.py", 2): ("critical", None),  # a JWT with a signature
        ("app/keys.py", 2): ("critical", None),  # a private key's body
        ("cloud/heroku.json", 1): ("critical", None),
    }
    weak = next(f for f in found if f["path"] == "app/views.py")
    assert weak["properties"]["evidence"] == "weak"
    assert weak["properties"]["scope_severity"] == "medium"
    assert " in application code (" in weak["message"]
    assert "not a provider's key format; check whether it is a real credential" in weak["message"]
    # the judgement changes severity and message, never the identity
    config = next(f for f in found if f["path"] == "app/settings.py")
    assert weak["properties"]["secret_fingerprint"] == config["properties"]["secret_fingerprint"]


def test_sec001_sarif_security_severity_follows_the_judgement(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write("app/views.py", f'password = "{_token(24)}"\n')
    write("config/prod.py", f'password = "{_token(24)}"\n')
    argv = [str(tmp_path), "--select", "SEC001", "--format", "sarif", "--fail-on", "never"]
    code, out, err = run(*argv, "--no-history")
    assert code == 0, err
    run_ = json.loads(out)["runs"][0]
    rule = run_["tool"]["driver"]["rules"][0]
    assert rule["properties"]["precision"] == "low"
    results = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run_["results"]
    }
    weak, config = results["app/views.py"], results["config/prod.py"]
    assert weak["properties"]["severity"] == "medium"
    assert float(weak["properties"]["security-severity"]) < 7.0
    assert config["properties"]["severity"] == "critical"
    assert "security-severity" not in config["properties"]  # the rule's own, 9.x
    assert float(rule["properties"]["security-severity"]) >= 9.0


def test_sec002_uses_the_same_judgement_by_the_path_a_secret_entered_at(
    run: Run, write: Write, tmp_path: Path
) -> None:
    repo = git.Repo.init(tmp_path)
    write("app/views.py", f'password = "{_token(24)}"\n')
    write("deploy/prod.tfvars", f'db_password = "{_token(24)}"\n')
    write("app/client.py", f'KEY = "{_aws()}"\n')
    write("tests/fixtures/server.key", _pem())
    paths = ["app/views.py", "deploy/prod.tfvars", "app/client.py", "tests/fixtures/server.key"]
    repo.index.add(paths)
    _commit(repo, "add")
    repo.index.remove(paths, working_tree=True)
    _commit(repo, "remove")
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert _judged(found) == {
        ("app/views.py", 1): ("medium", "application code"),
        ("deploy/prod.tfvars", 1): ("high", None),
        ("app/client.py", 1): ("high", None),
        ("tests/fixtures/server.key", 1): ("medium", "test code"),
    }
    weak = next(f for f in found if f["path"] == "app/views.py")
    assert weak["properties"]["evidence"] == "weak"
    assert " in application code: a " in weak["message"]
    assert "committed in " in weak["message"]


# --- 3. shapes of false findings, each next to a real secret ---------------------------------


def test_translation_catalogues_under_languages_are_labels(
    run: Run, write: Write, tmp_path: Path
) -> None:
    key = _aws()
    write(
        "src/languages/de-DE.js",
        f"""\
        export default {{
            password: "Passwort",
            resetPassword: "Zuruecksetzen",
            apiKey: "Schluessel",
            awsKey: "{key}",
        }};
        """,
    )
    write("web/lang/fr.json", '{"passwordHint": "MotDePasseOublie"}\n')
    found = _findings(run, tmp_path)
    assert [(f["path"], f["line"], f["properties"]["secret_type"]) for f in found] == [
        ("src/languages/de-DE.js", 5, "AWS Access Key")
    ]


def test_asset_manifests_map_files_to_digests(run: Run, write: Write, tmp_path: Path) -> None:
    digest, other, real = _hex(12), _hex(32), _hex(40)
    write(
        "static/CACHE/manifest.json",
        f"""\
        {{
          "{_hex(32)}": "<script src=\\"/static/CACHE/js/output.{digest}.js\\"></script>",
          "css/app.css": "{other}",
          "client_secret": "{real}"
        }}
        """,
    )
    found = _findings(run, tmp_path)
    # the secret-named key keeps its value a secret
    assert [(f["path"], f["line"]) for f in found] == [("static/CACHE/manifest.json", 4)]


def test_placeholder_words_are_no_credentials(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "docker/docker-compose.yml",
        f"""\
        services:
          db:
            environment:
              POSTGRES_PASSWORD: fixme
              SECRET_KEY: CHANGE-ME
              ADMIN_PASSWORD: changethis
              API_TOKEN: todo
              SMTP_PASSWORD: {_token(20)}
              REDIS_PASSWORD: Changeme!2024
        """,
    )
    write("app/settings.py", f'SECRET_KEY = "<changeme>"\nAPI_SECRET = "{_token(16)}"\n')
    found = _findings(run, tmp_path)
    # a placeholder word with digits or symbols added is a password someone chose: reported
    assert sorted((f["path"], f["line"]) for f in found) == [
        ("app/settings.py", 2),
        ("docker/docker-compose.yml", 8),
        ("docker/docker-compose.yml", 9),
    ]


def test_api_spec_examples_are_samples(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "api/openapi.yaml",
        f"""\
        openapi: 3.0.0
        components:
          schemas:
            Login:
              type: object
              properties:
                password: {{type: string, example: {_token(16)}}}
              example:
                username: alice
                password: {_token(16)}
              x-examples:
                admin:
                  password: {_token(16)}
        servers:
          - url: https://api.internal
        security_password: {_token(16)}
        """,
    )
    write(
        "api/spec.json",
        f'{{"examples": {{"login": {{"value": {{"password": "{_token(16)}"}}}}}}}}\n',
    )
    found = _findings(run, tmp_path)
    assert [(f["path"], f["line"]) for f in found] == [("api/openapi.yaml", 16)]


def test_api_spec_examples_in_history_on_their_own_line(
    run: Run, write: Write, tmp_path: Path
) -> None:
    repo = git.Repo.init(tmp_path)
    write(
        "api/spec.json",
        f'{{"examples": {{"login": {{"value": {{"password": "{_token(16)}"}}}}}}}}\n'
        f'{{"password": "{_token(16)}"}}\n',
    )
    repo.index.add(["api/spec.json"])
    _commit(repo, "spec")
    repo.index.remove(["api/spec.json"], working_tree=True)
    _commit(repo, "no spec")
    found = _findings(run, tmp_path, "SEC002", history=True)
    assert [(f["path"], f["line"]) for f in found] == [("api/spec.json", 2)]
