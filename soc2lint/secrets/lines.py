"""detect-secrets' plugins and filters over single lines, behind a lossless prefilter.

The prefilter is built from the active plugins' own patterns: a regex plugin can only flag a
line its denylist matches, the keyword plugin only a line naming a denylisted keyword, and the
entropy plugins only a quoted run of their charset long enough to pass their entropy limit
(a string of n symbols has at most log2(n) bits of entropy). Only lines it passes reach the
plugins, and only the plugins whose patterns matched, which is what makes whole histories
affordable.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from soc2lint.redact import fingerprint, preview
from soc2lint.secrets.patterns import necessary_literals

# Types detect-secrets reports that are not credentials.
NOT_CREDENTIALS = frozenset({"Public IP (ipv4)"})


@dataclass(frozen=True)
class Secret:
    """A secret found on a line. `value` stays in memory: only `preview` and `fingerprint` leave."""

    kind: str
    value: str
    start: int  # column offset of the value in the line, when found there (else -1)

    @property
    def preview(self) -> str:
        return preview(self.value)

    @property
    def width(self) -> int:
        """How many characters of its line the secret spans (a private key: its header)."""
        return len(self.value.split("\n", 1)[0])

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.value)


@lru_cache(maxsize=1)
def engine() -> tuple[Any, Callable[[str], bool] | None]:
    """(detect-secrets' line processor, the prefilter), configured once per process with the
    default plugins and filters; `is_invalid_file` is off (history paths need not exist)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import _process_line_based_plugins
    from detect_secrets.settings import (
        cache_bust,
        configure_settings_from_baseline,
        get_filters,
        get_settings,
    )

    # detect-secrets logs skipped values at INFO level: never let that reach any handler
    logging.getLogger("detect-secrets").setLevel(logging.ERROR)
    cache_bust()
    plugins: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    configure_settings_from_baseline({"plugins_used": [{"name": p.__name__} for p in plugins]})
    get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
    # applied by _scan_window to the value's own `key = value` only: on the whole line it lets
    # `"client_id": ..., "client_secret": "..."` hide the secret behind its neighbour's `_id`
    get_settings().disable_filters(_ID_FILTER)
    get_filters.cache_clear()  # (cache_bust would also drop the settings just made)
    return _process_line_based_plugins, _prefilter()


def _prefilter() -> Callable[[str], bool] | None:
    """A lossless test of whether the plugins could flag a line."""
    candidates = _candidates()
    return None if candidates is None else lambda line: bool(candidates(line))


@lru_cache(maxsize=1)
def _candidates() -> Callable[[str], tuple[Any, ...]] | None:
    """The plugins that could flag a line, in detect-secrets' order (none for most lines), or
    None when a plugin of unknown kind means every line needs every plugin. Calling only these
    is what keeps a flagged line cheap: detect-secrets calls each of its ~27 plugins through
    an introspecting dispatcher."""
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.settings import get_plugins

    plugins = [p for p in get_plugins() if getattr(p, "secret_type", None) not in NOT_CREDENTIALS]
    # (pattern, index of the plugin it stands for)
    patterns: list[tuple[re.Pattern[str], int]] = []
    quoted: list[tuple[re.Pattern[str], int]] = []
    for index, plugin in enumerate(plugins):
        if isinstance(plugin, RegexBasedDetector):
            patterns.extend((p, index) for p in plugin.denylist)
        elif isinstance(plugin, HighEntropyStringsPlugin):
            # it reads quoted strings only (line scans are not eager), and a run of the charset
            # needs more than 2**limit symbols to pass the limit
            charset = (
                re.escape(plugin.charset) if isinstance(plugin.charset, str) else "A-Za-z0-9+/="
            )
            shortest = int(2 ** float(plugin.entropy_limit)) + 1
            quoted.append((re.compile(f"['\"][{charset}]{{{max(shortest, 1)},}}['\"]"), index))
        elif isinstance(plugin, keyword.KeywordDetector):
            patterns.append((re.compile(keyword.DENYLIST_REGEX, re.I), index))
        else:
            return None  # a plugin of unknown kind: scan everything
    # Each pattern runs only on lines holding one of the literals every match of it contains
    # (derived from the pattern itself); a pattern without such literals runs on every line.
    guarded: list[tuple[tuple[str, ...], bool, re.Pattern[str], int]] = [
        (("'", '"'), False, p, i) for p, i in quoted
    ]
    always: list[tuple[re.Pattern[str], int]] = []
    for p, i in patterns:
        literals = necessary_literals(p)
        if literals:
            guarded.append((tuple(sorted(literals)), bool(p.flags & re.IGNORECASE), p, i))
        else:
            always.append((p, i))

    # every literal once: which patterns each one unlocks (case-sensitive and lowercased)
    exact: dict[str, list[tuple[re.Pattern[str], int]]] = {}
    folded: dict[str, list[tuple[re.Pattern[str], int]]] = {}
    for unlocks, nocase, pattern, index in guarded:
        for lit in unlocks:
            (folded if nocase else exact).setdefault(lit, []).append((pattern, index))
    exact_items = list(exact.items())
    folded_items = list(folded.items())
    chosen = tuple(plugins)

    def candidates(line: str) -> tuple[Any, ...]:
        hit: set[int] = set()
        for lit, pats in exact_items:
            if lit in line:
                hit.update(i for p, i in pats if i not in hit and p.search(line))
        lower = line.lower()
        for lit, pats in folded_items:
            if lit in lower:
                hit.update(i for p, i in pats if i not in hit and p.search(line))
        hit.update(i for p, i in always if i not in hit and p.search(line))
        return tuple(chosen[i] for i in sorted(hit)) if hit else ()

    return candidates


def run_plugins(
    line: str, filename: str, line_number: int, plugins: tuple[Any, ...]
) -> Iterator[Any]:
    """detect-secrets' `_process_line_based_plugins` for one line, with only `plugins`: the
    same line filters first, then each plugin and the filters on what it found. One change:
    a line its indirect-reference filter drops (`f(x, key="...")`, `a = b["..."]`) is still
    read by the plugins of provider formats (AWS, GitHub, Slack...), since such a value is a
    secret wherever it stands."""
    from detect_secrets.core.scan import _is_filtered_out, _scan_line
    from detect_secrets.util.code_snippet import get_code_snippet

    snippet = get_code_snippet(lines=[line], line_number=line_number)
    line = line.rstrip()
    indirect = False
    for check in _line_filters():
        if check(line=line, filename=filename, context=snippet):
            if getattr(check, "path", "") != _INDIRECT_FILTER:
                return
            indirect = True
    if indirect:
        plugins = tuple(p for p in plugins if provider_format(getattr(p, "secret_type", "")))
    for plugin in plugins:
        for secret in _scan_line(
            plugin=plugin, filename=filename, line=line, line_number=line_number, context=snippet
        ):
            if not _is_filtered_out(
                required_filter_parameters=["context"],
                filename=secret.filename,
                secret=secret.secret_value,
                plugin=plugin,
                line=line,
                context=snippet,
            ):
                yield secret


_INDIRECT_FILTER = "detect_secrets.filters.heuristic.is_indirect_reference"
_ID_FILTER = "detect_secrets.filters.heuristic.is_likely_id_string"


@lru_cache(maxsize=1)
def _line_filters() -> tuple[Callable[..., bool], ...]:
    """detect-secrets' line filters, each called as its `_is_filtered_out` calls it."""
    from detect_secrets.core.scan import get_filters_with_parameter
    from detect_secrets.util.inject import call_function_with_arguments

    engine()

    def bind(fn: Any) -> Callable[..., bool]:
        def check(**kwargs: Any) -> bool:
            try:
                return bool(call_function_with_arguments(fn, **kwargs))
            except TypeError:  # as detect-secrets: a filter needing more is skipped
                return False

        check.path = getattr(fn, "path", "")  # type: ignore[attr-defined]
        return check

    return tuple(bind(fn) for fn in get_filters_with_parameter("line"))


@lru_cache(maxsize=4096)
def skipped_file(filename: str) -> bool:
    """Whether detect-secrets skips this file by its name (lock files, `.sum`, `.svg`, fonts,
    swagger...: its filename filters, as `scan_file` applies them), or it is a font."""
    from detect_secrets.core.scan import _is_filtered_out

    engine()
    name = filename.rsplit("/", 1)[-1].lower()
    return name.endswith(_FONTS) or _is_filtered_out(
        required_filter_parameters=["filename"], filename=filename
    )


# font formats detect-secrets' extension list does not name (it has .ttf, .woff, .eot, .svg)
_FONTS = (".woff2", ".otf", ".ttc", ".pfb", ".pfm", ".afm", ".fnt", ".bdf", ".pcf")

# Types detect-secrets finds by a provider's own format: a secret wherever it appears.
_NOT_PROVIDER = frozenset(
    {
        "Secret Keyword",
        "Base64 High Entropy String",
        "Hex High Entropy String",
        "Basic Auth Credentials",
        "Private Key",
        "JSON Web Token",
        *NOT_CREDENTIALS,
    }
)


def provider_format(kind: str) -> bool:
    """A key with a provider-specific format (AWS `AKIA...`, `ghp_...`, `xoxb-...`,
    `sk_live_...`), as opposed to a name, randomness, a URL password or a key file."""
    return bool(kind) and kind not in _NOT_PROVIDER


WINDOW = 4096
OVERLAP = 512  # longer than any token a plugin looks for


def scan_line(line: str, filename: str, line_number: int = 1) -> list[Secret]:
    """The secrets detect-secrets reports on `line` (with its filters), one per value: the most
    specific type wins when several plugins flag the same value. A private key counts only
    when the line holds its body too (a key in a string, its newlines escaped): a header
    alone is no key (`scan_text` reads a key's body from the lines below its header)."""
    out = []
    for secret in _scan_raw(line, filename, line_number):
        if secret.kind == "Private Key":
            secret = with_body(secret, [line], 0)
            if not secret.value:
                continue
        out.append(secret)
    return out


def _scan_raw(line: str, filename: str, line_number: int) -> list[Secret]:
    """scan_line, with a private key's header as its value. A very long line (minified code,
    data) is read in overlapping windows, so that the prefilter skips most of it."""
    if skipped_file(filename):
        return []
    if len(line) <= WINDOW:
        return [s for s in _scan_window(line, filename, line_number) if not _glued(s, line)]
    out: dict[str, Secret] = {}
    for start in range(0, len(line), WINDOW - OVERLAP):
        for secret in _scan_window(line[start : start + WINDOW], filename, line_number):
            if secret.value not in out:
                out[secret.value] = replace(secret, start=_column(secret.kind, secret.value, line))
        if start + WINDOW >= len(line):
            break
    return [s for s in out.values() if not _glued(s, line)]


# An access key id is 20 characters standing alone: detect-secrets' pattern has no word
# boundary, so it also matches inside any long run of capitals and digits (a DNA string, a
# base32 blob, a minified identifier).
_GLUED_KINDS = frozenset({"AWS Access Key"})


def _glued(secret: Secret, line: str) -> bool:
    """A provider key match with a letter or digit right before or after it wherever it stands
    on the line: part of a longer word, not a key. (`\\nAKIA...` in an escaped string is a
    boundary.)"""
    if secret.kind not in _GLUED_KINDS:
        return False
    value = secret.value
    at = line.find(value)
    if at < 0:
        return False
    while at >= 0:
        before = line[at - 1] if at > 0 else ""
        after = line[at + len(value) : at + len(value) + 1]
        escaped = at >= 2 and line[at - 2] == "\\"
        if not (_alnum(before) and not escaped) and not _alnum(after):
            return False  # one standalone occurrence is enough
        at = line.find(value, at + 1)
    return True


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def flag_line(line: str, filename: str, line_number: int = 1) -> Iterator[Any]:
    """detect-secrets' findings (PotentialSecret) on one line, with its filters; only the
    plugins the prefilter picks for the line run."""
    process, _ = engine()
    candidates = _candidates()
    if candidates is None:
        return iter(process([(line_number, line)], filename=filename))
    plugins = candidates(line)
    return run_plugins(line, filename, line_number, plugins) if plugins else iter(())


def _scan_window(line: str, filename: str, line_number: int) -> list[Secret]:
    found: list[tuple[str, str]] = []
    for item in flag_line(line, filename, line_number):
        if item.type in NOT_CREDENTIALS or not item.secret_value:
            continue
        value = item.secret_value
        if len(value) < 8:  # some plugins report a prefix (GitHub tokens: "ghp"): widen it
            m = re.search(re.escape(value) + r"[A-Za-z0-9_\-]{8,}", line)
            value = m.group(0) if m else value
        at = line.find(value)
        if (
            item.type == "Secret Keyword"
            and filename.lower().endswith((".yaml", ".yml"))
            and (at <= 0 or line[at - 1] not in "\"'")
        ):
            # detect-secrets' YAML keyword pattern runs to the line's end; after a bare value
            # ` #` starts a comment, which is not part of the value (nor of its fingerprint)
            value = re.split(r"[ \t]+#", value, maxsplit=1)[0]
        if not value:
            continue
        found.append((item.type, value))
    best: dict[str, str] = {}
    for kind, value in found:  # one finding per value: a provider's type beats a generic one
        if value not in best or (best[value] in _GENERIC and kind not in _GENERIC):
            best[value] = kind
    # a generic match overlapping a provider's (the entropy plugin sees the Stripe key with its
    # prefix) is the same secret
    specific = [v for v, k in best.items() if k not in _GENERIC]
    minified = _minified(filename, line)
    return [
        Secret(kind, value, _column(kind, value, line))
        for value, kind in best.items()
        if (kind not in _GENERIC or not any(v in value or value in v for v in specific))
        and not (minified and not provider_format(kind))
        and not _likely_id(kind, value, line)
        and not _identifier(kind, value, line, filename)
        and not _placeholder(kind, value, line, filename)
        and not _reference(kind, value, line)
        and not _example_host(kind, value, line)
        and not _alphabet(kind, value)
        and not _condition(kind, value, line)
        and not _prose(kind, value)
        and not (kind == "Secret Keyword" and catalogue(filename))
        and not _sample_jwt(kind, value)
        and not _ci_encrypted(kind, line, filename)
        and not _asset_digest(kind, value, line)
        and not _api_example(kind, value, line)
    ]


def _column(kind: str, value: str, line: str) -> int:
    """Where a value stands on its line: a URL's password after its user's `:` (the user
    may be the same word: `admin:admin@`)."""
    if kind == "Basic Auth Credentials":
        at = line.find(f":{value}@")
        if at >= 0:
            return at + 1
    return line.find(value)


# A `key = value`, `"key": value`, `key: value`, `key => value` just before a value: its key.
_KEY_BEFORE = re.compile(
    r"""([A-Za-z_$][\w.$-]*)["'\]]?[ \t]*(?::=|=>|==|[:=])[ \t]*[\[({]?[ \t]*[@"'`]?$"""
)


def own_key(line: str, at: int) -> tuple[int, str] | None:
    """(offset, name) of the key a value at `at` is assigned to, if the text before it ends
    with one."""
    m = _KEY_BEFORE.search(line, 0, max(at, 0))
    return (m.start(1), m.group(1)) if m else None


def _words(text: str) -> str:
    """A name's words, lowercased: `clientSecret`, `client_secret`, `client-secret` alike."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).replace("_", " ").replace("-", " ").lower()


# A name that says it holds a secret. It beats any neighbouring word that says digest or id.
_SECRET_NAME = re.compile(
    r"\b(secret|secrets|token|tokens|password|passwd|passphrase|pwd|pass|salt|"
    r"credential|credentials|apikey|private|signing|encryption|hmac|auth)\b|"
    r"\b(api|access|secret|client|master|session|cookie|app)[ .]?key\b"
)


def secret_name(name: str) -> bool:
    return _SECRET_NAME.search(_words(name)) is not None


def _likely_id(kind: str, value: str, line: str) -> bool:
    """detect-secrets' `is_likely_id_string` (an `_id` name before a generic value) on the
    value's own `key = value` only, where there is one: a neighbour's `client_id` on the same
    line does not make `client_secret`'s value an id."""
    if kind not in _GENERIC:
        return False
    from detect_secrets.filters.heuristic import is_likely_id_string

    at = line.find(value)
    key = own_key(line, at)
    if key is not None and secret_name(key[1]):
        return False
    return is_likely_id_string(value, line[key[0] :] if key else line)


# A commit id or a content digest where the line says so (`rev:`, `sha256:`, `@<sha>`): random,
# and public. detect-secrets' hex entropy plugin flags every one of them. The words are read
# in snake_case and camelCase names too (`sha1_git`, `build_hash`, `clusterId`). HTTP Digest
# authentication's nonces, opaque values and responses are hashes too (RFC 7616 vectors).
_DIGEST_WORDS = re.compile(
    r"\b(rev|revision|commit|ref|hash|digest|checksum|checksums|integrity|etag|"
    r"version|uuid|guid|id|md5|sha|sha1|sha224|sha256|sha384|sha512|"
    r"blake2b?|crc32|xxhash|fingerprint|nonce|cnonce|opaque|response|"
    r"(?:md5|sha\d*|b2|cksum)sums?)\b"
)
_DIGEST_MARKS = re.compile(r"@|sha256:|sha512-")
_DIGEST_LENGTHS = (32, 40, 56, 64, 96, 128)
# files that list digests: PKGBUILDs (`sha256sums=(...)` over several lines), checksum lists
_DIGEST_FILES = re.compile(
    r"(?i)(^|/)(pkgbuild|\.srcinfo|\.buildinfo|[a-z0-9]*sums(\.txt)?|checksums?(\.txt)?)$|"
    r"\.(sha1|sha256|sha512|md5)$"
)
# magic numbers of compressed or binary data written as hex: gzip, zlib, zip, PNG, JPEG, PDF
_HEX_MAGIC = ("1f8b", "789c", "7801", "78da", "504b0304", "89504e47", "ffd8ff", "25504446")


def _hex_data(value: str) -> bool:
    """Hex that encodes text or a known binary format (test vectors such as
    `Buffer.from('7b2275736572...', 'hex')`): data, not a key."""
    if value.lower().startswith(_HEX_MAGIC):
        return True
    if len(value) % 2:
        return False
    try:
        text = bytes.fromhex(value).decode("utf-8")
    except ValueError:
        return False
    return sum(c.isprintable() or c in "\t\r\n" for c in text) >= 0.9 * len(text)


# Subresource Integrity and npm's `integrity`: `sha384-<base64>`
_SRI = re.compile(r"(?:sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}$")


def _identifier(kind: str, value: str, line: str, filename: str = "") -> bool:
    """A digest or commit id, not a secret. Only a hex value of a digest's length qualifies,
    or a base64 SRI digest. The value's own key decides when it says secret (`api_key`,
    `client_secret`, `hash_salt`) or digest (`sha256`, `commit`); otherwise the rest of the
    line does (`# sha256 of the tarball`, `owner/action@<sha>`)."""
    if kind == "Base64 High Entropy String" and _SRI.match(value):
        return True
    at = line.find(value)
    if kind in _GENERIC and at >= 2 and line[:at].endswith(('W/"', 'W/\\"')):
        return True  # a weak ETag (`W/"3e7-<hash>"`)
    if kind != "Hex High Entropy String":
        return False
    key = own_key(line, at)
    if key is not None and secret_name(key[1]):
        return False  # `client_secret = "<hex>"`: a hex-encoded secret is still one
    if _hex_data(value):
        return True
    if key is not None and _DIGEST_WORDS.search(_words(key[1])):
        return True  # `nonce="<34 hex>"`, `sha = "..."`: the name says so, whatever the length
    if len(value) not in _DIGEST_LENGTHS:
        return False
    if at > 0 and line[at - 1] == "@" or line[max(at - 7, 0) : at].endswith("sha256:"):
        return True  # `repo@<sha>`, `sha256:<digest>`
    if _DIGEST_FILES.search(filename):
        return True
    if key is not None:
        # a neutral key: only words after the value count (a comment)
        context = line[at + len(value) :]
        return bool(_DIGEST_WORDS.search(_words(context)))
    context = line.replace(value, " ")
    return bool(_DIGEST_MARKS.search(context) or _DIGEST_WORDS.search(_words(context)))


# What documentation and sample configs put where a secret goes: `YOUR_API_KEY`,
# `your-token-here`, `<example password>`, `DB_PASSWORD` (an environment variable's name).
_PLACEHOLDER = re.compile(
    r"[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+|[<{\[(]?(?i:your)[-_ .]\S*|"
    r"(?i:.*(?:example|placeholder|redacted).*)"
)
# Values that name the field rather than fill it (`"passwordField": "password"`): nowhere a
# secret. Compared with the whole value.
_FIELD_WORDS = frozenset({"password", "passwd", "pwd", "secret", "username", "user"})
# The words URL-parser test vectors and docs use as a password (in a URL's user-info, or as a
# password key's value). Quiet in tests and docs only: in an application's config `pass123` is
# a weak password, still a credential.
_DUMMY_PASSWORDS = frozenset(
    {
        "pass",
        "pass123",
        "password123",
        "passw0rd",
        "changeme",
        "hunter2",
        "foo",
        "bar",
        "baz",
        "foobar",
        "test",
        "testing",
        "dummy",
        "fake",
        "xxx",
        "xxxx",
        "****",
    }
)


# Words that mark a value still to be filled in (`POSTGRES_PASSWORD: fixme`, `change-me`,
# `<CHANGETHIS>`), compared without case, separators and brackets: no credential anywhere.
# Digits and other characters still count: `todo1234` or `Changeme!2024` may be a password.
_PLACEHOLDER_WORDS = frozenset(
    {
        "fixme",
        "todo",
        "tbd",
        "changeme",
        "changethis",
        "changeit",
        "pleasechange",
        "pleasechangeme",
        "replaceme",
        "replacethis",
        "setme",
        "fillme",
        "updateme",
    }
)


def _placeholder(kind: str, value: str, line: str = "", filename: str = "") -> bool:
    """A keyword's or URL's value that stands for a secret rather than being one: a
    placeholder, the field's own name or its key's name again, a dummy word in tests or docs,
    or the user name again (`user:user@`) in tests or docs."""
    if kind not in ("Secret Keyword", "Basic Auth Credentials"):
        return False
    word = value.lower().strip("'\"")
    if re.sub(r"[\s_.<>()\[\]{}-]", "", word) in _PLACEHOLDER_WORDS:
        return True  # `FIXME`, `change-me`, `<changethis>`: a slot to fill, anywhere
    if word in _FIELD_WORDS or (word in _DUMMY_PASSWORDS and code_scope(filename)):
        return True
    if kind == "Basic Auth Credentials":
        if not code_scope(filename):
            return False  # `admin:admin@` in an application is a default password in use
        at = line.find(":" + value + "@")
        user = re.search(r"[^/:@\s]*$", line[: max(at, 0)]) if at > 0 else None
        return bool(user and user.group(0) and user.group(0) == value)
    key = own_key(line, line.rfind(value))
    if key is not None and _words(key[1].rsplit(".", 1)[-1]).split() == _words(value).split():
        return True  # `secret_key = "secret_key"`: the name again
    return _PLACEHOLDER.fullmatch(value) is not None


# A file path or name with an extension (`/static/css/output.3f2a.css`, `app.js`).
_PATH_TOKEN = re.compile(
    r"(?:[\w@~.-]*/)+[\w@~.-]*\.[A-Za-z0-9]{1,6}\b|\b[\w-]+\.(?:css|js|mjs|map|"
    r"html?|png|jpe?g|gif|svg|webp|ico|woff2?|ttf|json|wasm)\b"
)
_QUOTED_PAIR = re.compile(r"""^\s*(["'])(.*?)\1\s*:\s*(["'])(.*?)\3\s*,?\s*$""")


def _asset_digest(kind: str, value: str, line: str) -> bool:
    """An asset pipeline's manifest entry (webpack, Sprockets, django-compressor): a
    `"key": "value"` line whose one side is a hex digest and whose other side names a file
    (`"3f2a...": "<script src=/static/js/output.3f2a.js>"`, `"app.css": "9c1e..."`). A
    secret-named key keeps its value a secret."""
    if kind != "Hex High Entropy String":
        return False
    m = _QUOTED_PAIR.match(line)
    if m is None:
        return False
    key, val = m.group(2), m.group(4)
    if val == value and not secret_name(key):
        other = key
    elif key == value:
        other = val
    else:
        return False
    return _PATH_TOKEN.search(other.replace("\\", "")) is not None


# An API spec's or schema's sample (OpenAPI `example:` / `examples:`, `x-example`): a value
# shown to readers of the API's documentation.
_EXAMPLE_KEY = re.compile(r"""(?i)(?:^|[\s{,"'])(?:x-)?examples?["']?\s*:""")


def _api_example(kind: str, value: str, line: str) -> bool:
    """A keyword secret inside an `example:` on its own line (`example: {password: ...}`,
    `"examples": {"login": {"value": {"password": ...}}}`)."""
    if kind not in ("Secret Keyword", "Basic Auth Credentials"):
        return False
    at = line.find(value)
    return at > 0 and _EXAMPLE_KEY.search(line, 0, at) is not None


_YAML_KEY = re.compile(r"^(\s*)(?:-\s+)?([\w\"'.-]+)\s*:")


def in_example_block(lines: list[str], index: int, limit: int = 200) -> bool:
    """Whether YAML line `index` sits under an `example:` / `examples:` / `x-example:` key
    (its nearest less indented keys, up to the top level)."""
    line = lines[index]
    indent = len(line) - len(line.lstrip())
    for i in range(index - 1, max(index - limit, -1), -1):
        m = _YAML_KEY.match(lines[i])
        if m is None or len(m.group(1)) >= indent:
            continue
        indent = len(m.group(1))
        if m.group(2).strip("\"'").lower() in ("example", "examples", "x-example", "x-examples"):
            return True
        if indent == 0:
            return False
    return False


def _alphabet(kind: str, value: str) -> bool:
    """An alphabet literal (base32, base58, Crockford's, a crypt alphabet): mostly runs of
    consecutive characters, where a random string has almost none. detect-secrets' own
    `is_sequential_string` knows only a few orders."""
    if kind not in _GENERIC or len(value) < 16:
        return False
    steps = sum(1 for a, b in zip(value, value[1:], strict=False) if ord(b) - ord(a) == 1)
    return steps >= 0.7 * (len(value) - 1)


_BOOLEAN = frozenset({"true", "false", "yes", "no", "on", "off", "null", "none", "nil"})
# a YAML `if:` (GitHub Actions, GitLab rules) or any comparison: a condition, not an assignment
_CONDITION_LINE = re.compile(r"^\s*(?:-\s*)?(?:if|when|unless)\s*:")


def _condition(kind: str, value: str, line: str) -> bool:
    """A keyword "secret" that is a boolean or the other side of a condition
    (`if: env.HAS_SECRETS == 'true'`)."""
    if kind != "Secret Keyword":
        return False
    at = line.find(value)
    before = line[: max(at, 0)].rstrip("'\" \t")
    return (
        value.lower() in _BOOLEAN
        or _CONDITION_LINE.match(line) is not None
        or before.endswith(("==", "!=", "==="))
    )


# A word of prose: letters, lowercase after the first (`Enter`, `password`, `l'utilisateur`),
# or a short acronym (`API`), with closing punctuation. Random strings mix cases and digits.
_PROSE_WORD = re.compile(
    r"[(\"']?(?:[^\W\d_][^\W\dA-Z_]*(?:['\u2019-][^\W\dA-Z_]+)*|[A-Z]{2,5})[)\"']?[.,!?:;\u2026]*"
)
# a number or an interpolation among the words (`at least 8 characters`, `{{count}} left`)
_PROSE_SLOT = re.compile(r"(?:\d{1,4}|\{\{?[\w.]+\}\}?|%[sd]|%\(\w+\)[sd])[.,!?:;]*")


def _prose(kind: str, value: str) -> bool:
    """A keyword's value that is text for a person (`"password": "Enter your password"`,
    `"resetPassword": "Reset Password"`, `"Must be at least 8 characters."`: UI labels and
    messages): two or more words of prose (a number or an interpolation among three or
    more), in sentence or title case or ending with punctuation, or a label in a script
    other than Latin. An all-lowercase passphrase stays a finding."""
    if kind != "Secret Keyword":
        return False
    text = value.strip().strip("'\"`")
    words = text.split()
    prose = [w for w in words if _PROSE_WORD.fullmatch(w)]
    slots = len(words) - len(prose)
    if (
        not words
        or slots > len(prose) // 2
        or not all(_PROSE_WORD.fullmatch(w) or _PROSE_SLOT.fullmatch(w) for w in words)
    ):
        return False
    if len(words) == 1:
        return not any(c.isascii() and c.isalpha() for c in text)
    if slots and len(prose) < 2:
        return False
    return text[0].isupper() or text[-1] in ".!?:\u2026"


# Translation catalogues: every value is text for a person (`"passwordStrengthLow": "Low"`),
# so a password-named key there holds no password. Randomness and provider keys still count.
_CATALOGUE_DIRS = frozenset(
    {
        "locales",
        "locale",
        "i18n",
        "l10n",
        "lang",
        "langs",
        "language",
        "languages",
        "translations",
        "translation",
    }
)
_CATALOGUE_FILES = re.compile(r"(?i)\.(po|pot|xlf|xliff|arb|resx|strings|ftl)$")


def catalogue(path: str) -> bool:
    """A translation catalogue, by its path: a directory of translations or a catalogue
    format (gettext, XLIFF, ARB, .resx, .strings, Fluent)."""
    parts = path.replace("\\", "/").lower().split("/")
    return bool(_CATALOGUE_FILES.search(parts[-1])) or any(p in _CATALOGUE_DIRS for p in parts[:-1])


# CI configs whose `secure:` values are encrypted with the repository's public key (Travis
# CI, AppVeyor): ciphertext only the CI service can read, not a secret in the repository.
_CI_ENCRYPTED_FILES = (".travis.yml", "appveyor.yml", ".appveyor.yml")
_SECURE_KEY = re.compile(r"""^\s*(?:-\s*)?secure\s*:\s*["']?[A-Za-z0-9+/=]+["']?\s*$""")


def _ci_encrypted(kind: str, line: str, filename: str) -> bool:
    return (
        kind in _GENERIC
        and filename.replace("\\", "/").rsplit("/", 1)[-1].lower() in _CI_ENCRYPTED_FILES
        and _SECURE_KEY.match(line) is not None
    )


def _sample_jwt(kind: str, value: str) -> bool:
    """The JWT every tutorial copies (jwt.io's example: subject 1234567890, John Doe, issued
    at 1516239022; two of the three), signed with a key printed next to it: a sample,
    anywhere. Any other JWT is reported (in tests and docs at their lower severity)."""
    if kind != "JSON Web Token":
        return False
    import base64
    import binascii
    import json

    parts = value.split(".")
    if len(parts) < 2:
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return False
    if not isinstance(claims, dict):
        return False
    marks = (
        str(claims.get("sub")) == "1234567890",
        str(claims.get("name", "")).lower() in ("john doe", "jane doe"),
        bool(claims.get("iat") == 1516239022),
    )
    return sum(marks) >= 2  # two of jwt.io's three claims: one alone is a coincidence


# minified or obfuscated JavaScript/CSS: a bundle's lines are thousands of characters long
_MINIFIED_NAME = re.compile(r"(?i)[.-]min\.(?:js|mjs|cjs|css)$|\.bundle\.js$|\.chunk\.js$")
_SCRIPT = (".js", ".mjs", ".cjs", ".css", ".jsx", ".ts")


def _minified(filename: str, line: str) -> bool:
    """A line of minified or obfuscated code: only provider-format keys count in it."""
    name = filename.lower()
    return bool(_MINIFIED_NAME.search(name)) or (name.endswith(_SCRIPT) and len(line) > 500)


# A key that names where a secret is rather than holding it: Kubernetes' `secretName`,
# `adminSecretNamespace`, `secretRef`, or `password_file`, `secret_path`, `token_type`,
# Jenkins' `passwordVariable: "PASS"` (the variable the credential is bound to).
_REFERENCE_KEY = re.compile(
    r"(?i)(?:name|names|namespace|ref|refs|path|file|filename|dir|type|"
    r"kind|variable)[\"']?[ \t]*[:=][ \t]*[\"']?$"
)


def _reference(kind: str, value: str, line: str) -> bool:
    """A keyword secret whose key names the secret's location, not the secret."""
    at = line.find(value)
    return kind == "Secret Keyword" and at > 0 and _REFERENCE_KEY.search(line, 0, at) is not None


# Hosts reserved for documentation and tests (RFC 2606, RFC 6761): no service answers there,
# so `https://user:password@example.com/` in a test or a doc is no credential.
_EXAMPLE_HOST = re.compile(
    r"(?i)@(?:[a-z0-9-]+\.)*(?:example\.(?:com|net|org)|[a-z0-9-]+\.(?:example|"
    r"test|invalid))(?![a-z0-9.-])"
)


def _example_host(kind: str, value: str, line: str) -> bool:
    """Basic-auth credentials in a URL whose host is reserved for examples."""
    if kind != "Basic Auth Credentials":
        return False
    at = line.find(value + "@")
    return at >= 0 and _EXAMPLE_HOST.match(line, at + len(value)) is not None


_GENERIC = ("Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String")


def scan_text(text: str, filename: str, max_line: int = 10_000) -> Iterator[tuple[int, Secret]]:
    """(1-based line number, secret) for every secret in `text`. Lines longer than `max_line`
    (minified files) are scanned only in their first `max_line` characters. A private key's
    value is its header and its base64 body, read from the lines below the header: each key is
    its own secret, and a header without a body (a README naming
    `-----BEGIN RSA PRIVATE KEY-----`) is no key."""
    if skipped_file(filename):
        return
    lines = text.splitlines()
    yaml = filename.lower().endswith((".yaml", ".yml"))
    for number, line in enumerate(lines, start=1):
        for secret in _scan_raw(line[:max_line], filename, number):
            if secret.kind == "Private Key":
                secret = with_body(secret, lines, number - 1)
                if not secret.value:
                    continue
            elif (
                yaml
                and secret.kind in ("Secret Keyword", "Basic Auth Credentials")
                and in_example_block(lines, number - 1)
            ):
                continue  # an API spec's sample request or schema example
            yield number, secret


def private_keys(text: str, filename: str) -> Iterator[tuple[int, Secret]]:
    """(line, key) for every private key in `text` with its body (`scan_text`'s keys): for a
    whole file version, where lines alone show only headers."""
    if "PRIVATE KEY" not in text or skipped_file(filename):
        return
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "PRIVATE KEY" in line:
            for secret in _scan_raw(line, filename, number):
                if secret.kind == "Private Key":
                    secret = with_body(secret, lines, number - 1)
                    if secret.value:
                        yield number, secret


def with_body(secret: Secret, lines: list[str], index: int) -> Secret:
    """A private key whose value is its header and body (empty when it has no body)."""
    body = key_body(lines, index)
    return replace(secret, value=f"{secret.value}\n{body}" if body else "")


_KEY_HEADER = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")
_KEY_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")
_PEM_FIELD = re.compile(r"^[A-Za-z-]+:")  # an encrypted PEM's `Proc-Type:`, `DEK-Info:`
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
# fewer base64 characters than this is no key (the shortest, Ed25519 PKCS#8, has 64)
_SHORTEST_KEY = 60


def key_body(lines: list[str], index: int, limit: int = 200) -> str:
    """The base64 body of the private key whose header is on `lines[index]`: the rest of that
    line (a key in a string, its newlines escaped) and the lines below, up to its END line
    (a PuTTY key: its `Private-Lines`). Empty when there is none: a header named in prose,
    `...` where the key would be, or no END line within `limit` lines."""
    line = lines[index]
    if "PuTTY-User-Key-File" in line:
        return _putty_body(lines, index)
    m = _KEY_HEADER.search(line)
    rest = [line[m.end() :] if m else ""]
    rest.extend(lines[index + 1 : index + 1 + limit])
    parts: list[str] = []
    end = None
    for i, chunk in enumerate(rest):
        if i and _KEY_HEADER.search(chunk):
            break  # the next key's header: this one had no END
        end = _KEY_END.search(chunk)
        for segment in re.split(r"\\n|\\r|\s+", chunk[: end.start()] if end else chunk):
            segment = segment.strip("\"',;")
            if segment and not _PEM_FIELD.match(segment):
                parts.extend(_BASE64_RUN.findall(segment))
        if end:
            break
    body = "".join(parts)
    return body if end is not None and len(body) >= _SHORTEST_KEY else ""


def _putty_body(lines: list[str], index: int) -> str:
    """A PuTTY key file's private part: the `Private-Lines: N` lines below its header."""
    for i in range(index + 1, min(index + 40, len(lines))):
        m = re.match(r"\s*Private-Lines:\s*(\d+)", lines[i])
        if m:
            chunk = lines[i + 1 : i + 1 + int(m.group(1))]
            body = "".join(run for c in chunk for run in _BASE64_RUN.findall(c))
            return body if len(body) >= _SHORTEST_KEY else ""
    return ""


# Where code is tests, fixtures, examples or documentation: a generic finding there (a keyword,
# randomness, a URL password, a test key pair) is reported, at a lower severity than in the
# application. Provider-format keys are not lowered anywhere.
_TEST_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "spec",
        "specs",
        "testdata",
        "test_data",
        "test-data",
        "fixtures",
        "__fixtures__",
        "e2e",
        "testsuite",
    }
)
_DOC_DIRS = frozenset(
    {
        "doc",
        "docs",
        "documentation",
        "docs_src",
        "docs-src",
        "doc_src",
        "examples",
        "example",
        "samples",
        "sample",
        "tutorial",
        "tutorials",
    }
)
# third-party code committed with the project: its secrets are its authors' test values
_VENDORED_DIRS = frozenset(
    {"site-packages", "dist-packages", "node_modules", "vendor", "third_party"}
)
_TEST_NAMES = re.compile(
    r"(?i)^(test_.*\.py|.*_test\.(py|go|rb|rs)|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?|"
    r".*Tests?\.(java|kt|cs|php)|.*_spec\.rb)$"
)
_DOC_NAMES = re.compile(r"(?i)\.(md|markdown|rst|adoc|asciidoc|txt|ipynb)$")


def code_scope(path: str) -> str:
    """ "test code", "documentation" or "" (application code), by the path alone."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    if any(p.lower() in _VENDORED_DIRS for p in parts[:-1]):
        return "vendored code"
    if _TEST_NAMES.match(name) or any(p.lower() in _TEST_DIRS for p in parts[:-1]):
        return "test code"
    if _DOC_NAMES.search(name) or any(p.lower() in _DOC_DIRS for p in parts[:-1]):
        return "documentation"
    return ""


# What a detection rests on decides how loudly it is reported (issue 12). A provider's key
# format (AWS, GitHub, Slack, Stripe...), a private key's body or a JWT is strong evidence; a
# secret-named key, randomness or a URL password is weak: it is a credential mostly where
# configuration and deployment are written, and in application code mostly something else (a
# route, a label, a variable, a digest). Weak evidence is reported at the rule's lower severity
# outside configuration, with a message that says so, never silenced.
_WEAK_EVIDENCE = {
    "Secret Keyword": "a value under a password- or secret-named key",
    "Base64 High Entropy String": "a random-looking string",
    "Hex High Entropy String": "a random-looking hex string",
    "Basic Auth Credentials": "a password in a URL",
}
# configuration and deployment beyond what `is_config` reads as config (YAML, INI, .env, dotfiles)
_CONFIG_SUFFIXES_MORE = (".tfvars", ".tfvars.json", ".tf", ".hcl", ".toml", ".tf.json")
# config modules: `settings.py`, `local_settings.py`, `config.js`, `wp-config.php`,
# `appsettings.Production.json`, `secrets.rb`, `next.config.js`
_CONFIG_STEM = re.compile(
    r"(?:[a-z0-9]+[-_])?(?:settings|config|configuration|conf|secrets?|credentials|"
    r"appsettings|environment|env)(?:[-_.][a-z0-9_-]+)*"
)
_CONFIG_DIRS = frozenset(
    {
        "config",
        "configs",
        "conf",
        "settings",
        "deploy",
        "deployment",
        "deployments",
        "k8s",
        "kubernetes",
        "helm",
        "charts",
        "ansible",
        "terraform",
        "infra",
        "infrastructure",
    }
)


def deployment_config(path: str) -> bool:
    """A configuration or deployment file: what `is_config` reads as config (YAML, INI,
    `.properties`, `.env*`, dotfiles, Dockerfiles), Terraform and TOML, config modules by name
    (`settings.py`, `config.ts`, `wp-config.php`) and any file under a config or deployment
    directory (`config/`, `deploy/`, `k8s/`, `helm/`, `charts/`...)."""
    parts = path.replace("\\", "/").lower().split("/")
    name = parts[-1]
    if is_config(path) or name.endswith(_CONFIG_SUFFIXES_MORE):
        return True
    if _CONFIG_STEM.fullmatch(name.split(".", 1)[0] if not name.startswith(".") else name[1:]):
        return True
    return any(p in _CONFIG_DIRS for p in parts[:-1])


# Source code in a programming or markup language, where a password-named name or a random
# string is most often something else (a route, a label, a binding, a digest). Data and config
# formats (JSON, XML, YAML, INI...), shell scripts and files of no known type are not: a
# credential there is most often one (credential stores, IDE and tool settings, deploy scripts).
_SOURCE_SUFFIXES = (
    ".py",
    ".pyi",
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".mts",
    ".cts",
    ".tsx",
    ".vue",
    ".svelte",
    ".go",
    ".rb",
    ".java",
    ".kt",
    ".kts",
    ".scala",
    ".groovy",
    ".cs",
    ".fs",
    ".vb",
    ".php",
    ".rs",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".m",
    ".mm",
    ".swift",
    ".dart",
    ".ex",
    ".exs",
    ".erl",
    ".clj",
    ".lua",
    ".pl",
    ".pm",
    ".r",
    ".jl",
    ".html",
    ".htm",
    ".erb",
    ".hbs",
    ".ejs",
    ".astro",
)


def application_code(path: str) -> bool:
    """Source code of the application: a source file (`_SOURCE_SUFFIXES`) that is no config
    module and lies under no config or deployment directory (`deployment_config`)."""
    return path.lower().endswith(_SOURCE_SUFFIXES) and not deployment_config(path)


@dataclass(frozen=True)
class Lowered:
    """Why a finding is reported below its rule's severity: where it is (`scope`: test code,
    documentation, vendored code or application code) and, for weak evidence in application
    code, what the detection rests on (`evidence`)."""

    scope: str
    evidence: str = ""


def lowered(path: str, kind: str) -> Lowered | None:
    """The one judgement SEC001 and SEC002 share (SEC002 by the path a secret entered at):
    None keeps the rule's severity. Provider-format keys keep it anywhere; any other detection
    in tests, docs or vendored code is lowered; weak evidence (a keyword, randomness, a URL
    password) is lowered in application source code as well (`application_code`): not in
    configuration, deployment, data files or scripts."""
    if provider_format(kind) or kind in NOT_CREDENTIALS:
        return None
    scope = code_scope(path)
    if scope:
        return Lowered(scope)
    evidence = _WEAK_EVIDENCE.get(kind)
    if evidence and application_code(path):
        return Lowered("application code", evidence)
    return None


def entropy(value: str) -> float:  # used by tests to pick realistic samples
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


# Config formats whose values detect-secrets reads through its file transformers (YAML, and
# INI-style files), which quote bare values so that its entropy plugins see them. Lines alone
# miss those: each version of such a file also goes through the transformers, whole, once.
CONFIG_SUFFIXES = (
    # key files: read whole, a private key's body shows (its lines show only the header)
    ".pem",
    ".key",
    ".p8",
    ".asc",
    ".yaml",
    ".yml",
    ".ini",
    ".cfg",
    ".conf",
    ".cnf",
    ".properties",
    ".env",
    ".txt",
    ".credentials",
    ".s3cfg",
    ".netrc",
    ".pgpass",
    ".rc",
)


def is_config(path: str) -> bool:
    """Config-like files: formats detect-secrets reads through its transformers (YAML, INI,
    and the `key: value` / `KEY=value` files it parses eagerly), and dotfiles and files without
    an extension, which is how credentials files are usually named."""
    name = path.rsplit("/", 1)[-1].lower()
    return (
        name.endswith(CONFIG_SUFFIXES)
        or name.startswith(".env")
        or (name.startswith(".") and name.count(".") == 1)
        or "." not in name
    )


def scan_transformed(text: str, filename: str) -> Iterator[tuple[int, Secret]]:
    """(line, secret) found in the lines detect-secrets' transformers make of a config file."""
    engine()  # configure detect-secrets first
    # a private key's body is on the lines below its header: whole, the file shows it
    yield from private_keys(text, filename)
    if len(text) > 1_000_000:
        return  # (the lines were scanned; transformers load the whole file)
    from soc2lint.secrets.reveal import could_reveal

    if could_reveal(text, filename):
        yield from run_transformers(text, filename)


def run_transformers(text: str, filename: str) -> Iterator[tuple[int, Secret]]:
    """scan_transformed without the could_reveal gate (which a test checks against this)."""
    import io

    from detect_secrets.transformers import get_transformed_file

    engine()
    if skipped_file(filename):
        return
    if filename.lower().endswith((".yaml", ".yml")) and not _safe_yaml(text):
        return  # PyYAML's loader behind the transformer would expand an alias bomb
    found = False
    for eager in (False, True):  # detect-secrets' order: eager parsing only when nothing else
        handle = io.StringIO(text)
        handle.name = filename
        try:
            lines = get_transformed_file(handle, use_eager_transformers=eager)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a transformer choking on odd input: lines were scanned
            continue
        for number, line in enumerate(lines or (), start=1):
            for secret in scan_line(line.rstrip("\n"), filename, number):
                found = True
                yield number, secret
        if found:
            return


def _safe_yaml(text: str) -> bool:
    """Valid YAML whose aliases do not explode (checked on soc2lint's own composed nodes)."""
    from soc2lint.formats.yamldoc import parse_yaml
    from soc2lint.model import Artifact

    parsed = parse_yaml(Artifact("", "", "yaml", len(text)), text)
    return parsed.error is None
