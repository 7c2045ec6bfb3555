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
    same line filters first, then each plugin and the filters on what it found."""
    from detect_secrets.core.scan import _is_filtered_out, _scan_line
    from detect_secrets.util.code_snippet import get_code_snippet

    snippet = get_code_snippet(lines=[line], line_number=line_number)
    line = line.rstrip()
    if _is_filtered_out(
        required_filter_parameters=["line"], filename=filename, line=line, context=snippet
    ):
        return
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


WINDOW = 4096
OVERLAP = 512  # longer than any token a plugin looks for


def scan_line(line: str, filename: str, line_number: int = 1) -> list[Secret]:
    """The secrets detect-secrets reports on `line` (with its filters), one per value: the most
    specific type wins when several plugins flag the same value. A very long line (minified
    code, data) is read in overlapping windows, so that the prefilter skips most of it."""
    if len(line) <= WINDOW:
        return _scan_window(line, filename, line_number)
    out: dict[str, Secret] = {}
    for start in range(0, len(line), WINDOW - OVERLAP):
        for secret in _scan_window(line[start : start + WINDOW], filename, line_number):
            if secret.value not in out:
                out[secret.value] = replace(secret, start=line.find(secret.value))
        if start + WINDOW >= len(line):
            break
    return list(out.values())


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
    return [
        Secret(kind, value, line.find(value))
        for value, kind in best.items()
        if (kind not in _GENERIC or not any(v in value or value in v for v in specific))
        and not _identifier(kind, value, line)
        and not _placeholder(kind, value)
        and not _reference(kind, value, line)
        and not _example_host(kind, value, line)
    ]


# A commit id or a content digest where the line says so (`rev:`, `sha256:`, `@<sha>`): random,
# and public. detect-secrets' hex entropy plugin flags every one of them. The words are read
# in snake_case and camelCase names too (`sha1_git`, `build_hash`, `clusterId`).
_DIGEST_WORDS = re.compile(
    r"\b(rev|revision|commit|ref|hash|digest|checksum|integrity|etag|"
    r"version|uuid|guid|id|md5|sha|sha1|sha224|sha256|sha384|sha512|"
    r"blake2b?|crc32|xxhash|fingerprint)\b"
)
_DIGEST_MARKS = re.compile(r"@|sha256:|sha512-")


def _identifier(kind: str, value: str, line: str) -> bool:
    if kind != "Hex High Entropy String" or len(value) not in (32, 40, 56, 64, 96, 128):
        return False
    context = line.replace(value, " ")
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", context).replace("_", " ").lower()
    return bool(_DIGEST_MARKS.search(context) or _DIGEST_WORDS.search(words))


# What documentation and sample configs put where a secret goes: `YOUR_API_KEY`,
# `your-token-here`, `<example password>`, `DB_PASSWORD` (an environment variable's name).
_PLACEHOLDER = re.compile(
    r"[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+|[<{\[(]?(?i:your)[-_ .]\S*|"
    r"(?i:.*(?:example|placeholder|redacted).*)"
)


def _placeholder(kind: str, value: str) -> bool:
    """A keyword's value that stands for a secret rather than being one."""
    return kind == "Secret Keyword" and _PLACEHOLDER.fullmatch(value) is not None


# A key that names where a secret is rather than holding it: Kubernetes' `secretName`,
# `adminSecretNamespace`, `secretRef`, or `password_file`, `secret_path`, `token_type`.
_REFERENCE_KEY = re.compile(
    r"(?i)(?:name|names|namespace|ref|refs|path|file|filename|dir|type|"
    r"kind)[\"']?[ \t]*[:=][ \t]*[\"']?$"
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
    (minified files) are scanned only in their first `max_line` characters."""
    for number, line in enumerate(text.splitlines(), start=1):
        for secret in scan_line(line[:max_line], filename, number):
            yield number, secret


def entropy(value: str) -> float:  # used by tests to pick realistic samples
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


# Config formats whose values detect-secrets reads through its file transformers (YAML, and
# INI-style files), which quote bare values so that its entropy plugins see them. Lines alone
# miss those: each version of such a file also goes through the transformers, whole, once.
CONFIG_SUFFIXES = (
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
