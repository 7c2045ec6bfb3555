"""Literal credentials in workflow `env:`, `with:` and `secrets:` values, found by detect-secrets'
own plugins and filters. Values are never returned: only the type, a redacted preview and a
fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from soc2lint.formats import nodes
from soc2lint.language.routes import Route, line_starts
from soc2lint.model import Document, Hit
from soc2lint.redact import fingerprint, preview
from soc2lint.secrets.baseline import hashed, is_own_file
from soc2lint.secrets.lines import (
    NOT_CREDENTIALS,
    engine,
    flag_line,
    in_example_block,
    is_config,
    lowered,
    scan_text,
    scan_transformed,
)

# Where literal values live in workflows and composite actions.
_PARENTS: tuple[tuple[str, ...], ...] = (
    ("env",),
    ("jobs", "*", "env"),
    ("jobs", "*", "with"),
    ("jobs", "*", "secrets"),
    ("jobs", "*", "container", "env"),
    ("jobs", "*", "services", "*", "env"),
    ("jobs", "*", "steps", "*", "env"),
    ("jobs", "*", "steps", "*", "with"),
    ("runs", "steps", "*", "env"),
    ("runs", "steps", "*", "with"),
)
# Types whose only evidence is randomness: kept only under a key that names a credential
# (a commit SHA in `with: ref:` is random too, and is no secret).
_ENTROPY_ONLY = {"Base64 High Entropy String", "Hex High Entropy String"}
_SECRET_KEY = re.compile(
    r"(?i)(secret|token|passw|pwd|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|credential|auth|signing|webhook)"
)
# Most specific first, when several plugins report the same value.
_GENERIC = ("Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String")


# Generic findings (a password-named key, a URL with a password, randomness) in CI are mostly
# throwaway credentials for service containers that live as long as the job. They are kept only
# when the value does not look like one; provider-format keys (AWS, GitHub, Slack...) always stay.
_GENERIC_TYPES = {"Secret Keyword", "Basic Auth Credentials", *_ENTROPY_ONLY}
_PLACEHOLDER = re.compile(
    r"(?i)(postgres|mysql|maria|mongo|redis|rabbit|minio|password|passwd|secret|test|example|"
    r"dummy|fake|sample|changeme|admin|root|guest|local|dev|ci\b|default|insecure|foobar|"
    r"placeholder|xxx|123)"
)
_NAMES_ONLY = re.compile(r"^[A-Z][A-Z0-9_]*([,; ]+[A-Z][A-Z0-9_]*)*$")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:([^@/\s]+)@([^:/?#\s]+)", re.I)
_EPHEMERAL_HOST = re.compile(
    r"^(localhost|127\.0\.0\.1|0\.0\.0\.0|\[?::1\]?|[a-z][a-z0-9_-]*)$", re.I
)


def throwaway(kind: str, value: str, siblings: list[str]) -> bool:
    """A generic finding whose value is evidently a CI test credential or not a credential."""
    if kind not in _GENERIC_TYPES:
        return False
    if _NAMES_ONLY.match(value):  # a list of secret *names*, e.g. "NPM_TOKEN,PYPI_TOKEN"
        return True
    secret = value
    url = _URL_PASSWORD.match(value)
    if url:
        secret = url.group(1)
        if _EPHEMERAL_HOST.match(url.group(2)):  # a database in a service container
            return True
    if _PLACEHOLDER.search(secret):
        return True
    # the password repeats the user name or another value next to it ("polar" / "polarpolar")
    return any(len(v) >= 4 and v.lower() in secret.lower() for v in siblings)


def _walk(
    node: nodes.Node, steps: tuple[str, ...], route: Route
) -> Iterator[tuple[Route, nodes.Node]]:
    if not steps:
        yield route, node
        return
    head, rest = steps[0], steps[1:]
    if head == "*":
        for key, _k, child in nodes.children(node):
            yield from _walk(child, rest, route + (key,))
    else:
        hit = nodes.get(node, head)
        if hit is not None:
            yield from _walk(hit[1], rest, route + (head,))


_ALLOWLIST = re.compile(r"pragma:\s*allowlist[ -]secret")


def literal_values(root: nodes.Node, text: str = "") -> Iterator[tuple[Route, str, str, list[str]]]:
    """(route, key, value, sibling values) of every literal scalar in an env/with/secrets mapping,
    except those on a line carrying detect-secrets' `pragma: allowlist secret`."""
    lines = text.splitlines() if "allowlist" in text else []
    seen: set[int] = set()
    for steps in _PARENTS:
        for route, mapping in _walk(root, steps, ()):
            scalars = [
                (k, v.value)
                for k, _kn, v in nodes.items(mapping)
                if isinstance(v, nodes.ScalarNode)
            ]
            for key, _knode, value in nodes.items(mapping):
                siblings = [v for k, v in scalars if k != key]
                if not isinstance(value, nodes.ScalarNode) or id(value) in seen:
                    continue
                seen.add(id(value))
                literal = value.value
                if len(literal) < 6 or "${{" in literal:
                    continue
                line = value.start_mark.line
                if lines and line < len(lines) and _ALLOWLIST.search(lines[line]):
                    continue
                yield route + (key,), key, literal, siblings


def prepare() -> None:
    """Import and configure detect-secrets now (before worker processes are forked)."""
    engine()


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    candidates = list(literal_values(doc.root, doc.text))
    if not candidates:
        return
    for route, key, value, siblings in candidates:
        found = list(flag_line(f"{key}: {value}", "workflow.yml"))
        types = {s.type: s.secret_value or "" for s in found if s.type not in NOT_CREDENTIALS}
        if not _SECRET_KEY.search(key):
            for kind in _ENTROPY_ONLY:
                types.pop(kind, None)
        types = {k: v for k, v in types.items() if not throwaway(k, value, siblings)}
        if not types:
            continue
        kind = min(
            types, key=lambda t: (t in _GENERIC, _GENERIC.index(t) if t in _GENERIC else 0, t)
        )
        # some plugins report only a prefix (GitHub tokens: "ghp"): fall back to the value
        secret = types[kind] if len(types[kind]) >= 8 and types[kind] in value else value
        digest = fingerprint(kind, secret)
        yield Hit(
            route,
            "value",
            {
                "secret_type": kind,
                "preview": preview(secret),
                "key": key,
                "identity": digest,
            },
            properties=(("secret_type", kind), ("secret_fingerprint", digest)),
        )


def detect_file(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    """Every secret detect-secrets finds in a file's lines (`secret-in-file`)."""
    text = doc.text
    if not text or is_own_file(str(params.get("_path", ""))):
        return  # baselines and exceptions hold fingerprints and hashes, random by design
    starts = line_starts(text)
    skip: frozenset[str] = getattr(context, "false_positives", frozenset())
    path = str(params.get("_path", "file"))
    found = list(scan_text(text, path))
    if is_config(path):  # what detect-secrets' YAML/INI transformers reveal, once per file
        # a value the lines showed already is the same secret, whatever type the transformed
        # line gives it (`key: value` is a keyword secret; quoted, it is an entropy string)
        known = {secret.value for _, secret in found}
        lines = text.splitlines()
        yaml = path.lower().endswith((".yaml", ".yml"))
        for number, secret in scan_transformed(text, path):
            if (
                yaml
                and secret.kind in ("Secret Keyword", "Basic Auth Credentials")
                and 0 < number <= len(lines)
                and in_example_block(lines, number - 1)
            ):
                continue  # an API spec's sample, as scan_text leaves it
            if secret.value not in known:
                known.add(secret.value)
                line = text.splitlines()[number - 1] if number <= text.count("\n") + 1 else ""
                start = line.find(secret.value.split("\n", 1)[0])
                found.append((number, replace(secret, start=start)))
    allowed = [re.compile(p) for p in params.get("allowed_secrets", ()) or ()]
    from soc2lint.secrets.manifests import left_to_others

    others = left_to_others(text, path)  # encrypted secrets; plain Secret values are KUB006's
    for number, secret in found:
        if number in others:
            continue
        if skip and hashed(secret.value) in skip:
            continue  # audited as no secret in detect-secrets' own baseline
        if any(p.fullmatch(secret.value) for p in allowed):
            continue
        column = max(secret.start, 0)
        begin = starts[number - 1] + column
        properties = [("secret_type", secret.kind), ("secret_fingerprint", secret.fingerprint)]
        fields = {
            "secret_type": secret.kind,
            "preview": secret.preview,
            "identity": secret.fingerprint,
        }
        message = None
        judged = lowered(path, secret.kind)
        if judged is not None and params.get("scoped_severity"):
            # tests, docs, vendored code; or weak evidence (a keyword, randomness, a URL
            # password) outside configuration: reported at the lower severity, saying why
            fields["scope"] = judged.scope
            properties.append(("code_scope", judged.scope))
            if judged.evidence:
                fields["evidence"] = judged.evidence
                properties.append(("evidence", "weak"))
            template = params.get("weak_message" if judged.evidence else "scoped_message")
            message = str(template) if template else None
            properties.append(("scope_severity", str(params["scoped_severity"])))
        yield Hit(
            (),
            "value",
            fields,
            span=(begin, begin + (secret.width if secret.start >= 0 else 0)),
            message=message,
            properties=tuple(properties),
        )


# Files that hold credentials by their nature: (what, path glob, content regex that must also
# match, or None when the file alone is the finding).
_SENSITIVE: tuple[tuple[str, str, str | None], ...] = (
    ("dotenv file", "**/.env", r"(?m)^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S"),
    ("dotenv file", "**/.env.*", r"(?m)^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S"),
    ("private key", "**/*.pem", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("private key", "**/*.key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("SSH private key", "**/id_rsa", None),
    ("SSH private key", "**/id_dsa", None),
    ("SSH private key", "**/id_ecdsa", None),
    ("SSH private key", "**/id_ed25519", None),
    ("PKCS#12 keystore", "**/*.p12", None),
    ("PKCS#12 keystore", "**/*.pfx", None),
    ("npm credentials", "**/.npmrc", r"(_authToken|_auth|_password)\s*="),
    ("PyPI credentials", "**/.pypirc", r"(?m)^\s*password\s*[=:]"),
    (
        "kubeconfig with credentials",
        "**/kubeconfig*",
        r"(?m)^\s*(token|client-key-data|password)\s*:\s*\S",
    ),
    (
        "kubeconfig with credentials",
        "**/.kube/config",
        r"(?m)^\s*(token|client-key-data|password)\s*:\s*\S",
    ),
    ("Terraform state", "**/*.tfstate", None),
    ("Terraform state", "**/*.tfstate.backup", None),
    ("Docker registry credentials", "**/.docker/config.json", r'"auth"\s*:\s*"[^"]+'),
    ("Git credentials", "**/.git-credentials", r"://[^:\s]+:[^@\s]+@"),
    ("AWS credentials", "**/.aws/credentials", r"aws_secret_access_key\s*="),
)
# templates that document the variables a file needs, without values
_TEMPLATES = re.compile(
    r"(?i)\.(example|sample|template|dist|defaults?|tmpl|tpl)$|\.env\.(example|sample|template)"
)


def detect_sensitive(
    doc: Document, params: Mapping[str, Any], context: Any = None
) -> Iterator[Hit]:
    """Files that are credentials by nature (`sensitive-file`), even where no line plugin fires."""
    from soc2lint.globs import matches

    path = str(params.get("_path", ""))
    if not path or _TEMPLATES.search(path):
        return
    for what, glob, content in _SENSITIVE:
        if matches(path, glob) and (content is None or re.search(content, doc.text)):
            yield Hit((), "key", {"what": what, "identity": what})
            return
