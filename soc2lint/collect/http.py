"""A GitHub REST and GraphQL client on the standard library: headers, retries, rate limits,
redirects, pages.

The token is sent only in the Authorization header of requests to the configured API origin and
path (and its GraphQL endpoint): never in a URL, a message, a repr or a file. Redirects and
pagination links that leave the API are not followed, so the token cannot be forwarded to another
host; a GraphQL POST follows no redirect at all.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

from soc2lint import __version__
from soc2lint.errors import Soc2lintError

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 1000
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_TOKEN = re.compile(r"[\x21-\x7e]+")
_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')
# a 403 that is a secondary rate limit, not a refusal (GitHub sends no header for it at times)
_SECONDARY = re.compile(r"(?i)secondary rate limit|abuse detection")
_CHUNK = 65536


class CollectError(Soc2lintError):
    """Collection cannot go on: unreachable API, a rate limit too far away, an unusable answer."""


class RetryPolicy(NamedTuple):
    attempts: int = 3  # tries for a 5xx answer or a connection error
    base_delay: float = 1.0  # seconds before the second try; doubled before each next one
    rate_limit_waits: int = 3  # rate-limit waits for one request before giving up
    max_wait: float = 900.0  # a longer rate-limit wait aborts the collection instead
    unhinted_wait: float = 60.0  # a rate limit without retry-after/reset: GitHub says wait a minute


DEFAULT_RETRY = RetryPolicy()


class Response(NamedTuple):
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    pages: int = 1
    note: str = ""  # why a non-2xx answer stands, when the status alone does not say


class _TransportError(Exception):
    """No HTTP answer: refused, reset, timed out, malformed."""


class _Timeout(_TransportError):
    """No complete answer in time: the server may still be working on a heavy query."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back to the client, which follows them only inside the API."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def normalize_api_url(url: str) -> str:
    """`https://HOST[/prefix]` without a trailing slash; reject what cannot be an API root."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CollectError(
            f"--api-url {url!r} is not an http(s) URL, e.g. https://api.github.com "
            "or https://HOST/api/v3"
        )
    if parts.username is not None or parts.password is not None:
        raise CollectError(
            "--api-url must not contain credentials: the token comes from GITHUB_TOKEN or GH_TOKEN"
        )
    if parts.query or parts.fragment:
        raise CollectError(f"--api-url {url!r} must not have a query or a fragment")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        # the token travels in a header: over plain http anyone on the path can read it
        raise CollectError(
            f"--api-url {url!r}: refusing to send the token over plain http to "
            f"{parts.hostname}; use https"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def graphql_url(api_url: str) -> str:
    """The GraphQL endpoint of an API root: `https://api.github.com/graphql`; GitHub Enterprise
    Server (`https://HOST/api/v3`): `https://HOST/api/graphql`."""
    parts = urllib.parse.urlsplit(api_url)
    path = parts.path
    path = path[: -len("/v3")] + "/graphql" if path.endswith("/api/v3") else path + "/graphql"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def next_link(headers: Mapping[str, str]) -> str | None:
    """The `rel="next"` target of a Link header, if any."""
    for target, rels in _NEXT.findall(headers.get("link", "")):
        if "next" in rels.split():
            return str(target)
    return None


class Client:
    """GET requests against one API root, each retried and rate-limit aware.

    `timeout` bounds each request as a whole (connect, headers and body), not each read: a
    server trickling one byte at a time cannot hold a request longer than that.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not _TOKEN.fullmatch(token):
            raise CollectError("the GitHub token is empty or contains spaces or control characters")
        self.api_url = normalize_api_url(api_url)
        parts = urllib.parse.urlsplit(self.api_url)
        self._origin = (parts.scheme, parts.netloc.lower())
        self._prefix = parts.path
        self._token = token
        self._timeout = timeout
        self._retry = retry
        self._sleep = sleep
        self._now = now
        self._opener = urllib.request.build_opener(_NoRedirect)
        self.graphql_url = graphql_url(self.api_url)
        self.requests = 0  # HTTP requests sent, retries included

    def __repr__(self) -> str:
        return f"Client({self.api_url!r})"

    def get(self, target: str) -> Response:
        """One resource: `target` is an API path (`/repos/o/r?x=1`) or a URL inside the API."""
        url = self._url(target)
        tries = waits = redirects = 0
        while True:
            try:
                status, headers, body = self._send(url)
            except _TransportError as exc:
                tries += 1
                if tries >= self._retry.attempts:
                    raise CollectError(
                        f"GET {self.show(url)}: no answer from {self.api_url} after "
                        f"{tries} attempts ({exc})"
                    ) from None
                self._sleep(self._retry.base_delay * 2 ** (tries - 1))
                continue
            if status in _REDIRECTS and headers.get("location"):
                new = urllib.parse.urljoin(url, headers["location"])
                if not self._inside(new):
                    return Response(
                        status,
                        headers,
                        body,
                        note="redirected outside the API URL; "
                        "not followed (the token stays with the API)",
                    )
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    return Response(status, headers, body, note="too many redirects")
                url = new
                continue
            if status >= 500:
                tries += 1
                if tries < self._retry.attempts:
                    self._sleep(self._retry.base_delay * 2 ** (tries - 1))
                    continue
                return Response(status, headers, body, note=f"server error after {tries} attempts")
            wait = self._rate_limit_wait(status, headers, body)
            if wait is not None:
                waits += 1
                self._check_wait(f"GET {self.show(url)}", wait, waits)
                self._sleep(wait)
                continue
            return Response(status, headers, body)

    def post_graphql(
        self, query: str, variables: Mapping[str, Any], *, retry_slow: bool = True
    ) -> Response:
        """One GraphQL request (POST to the API's GraphQL endpoint), its answer unchanged.

        Retried like `get`: a refused or reset connection (CollectError after the last attempt),
        a 5xx answer; rate limits are waited out, GraphQL's primary limit too (a 200 or 403
        answer whose `errors` say `RATE_LIMITED`: until `x-ratelimit-reset`). A timeout that
        outlasts the attempts is an answer with status 0 and a note, not an error: the query may
        be too heavy, and the caller decides. With `retry_slow` False, a 502 or 504 answer and a
        timeout are returned at once, for a caller that asks again for less.
        """
        url = self.graphql_url
        data = json.dumps({"query": query, "variables": dict(variables)}).encode("utf-8")
        tries = waits = 0
        while True:
            try:
                status, headers, body = self._send(url, data)
            except _Timeout as exc:
                tries += 1
                if not retry_slow or tries >= self._retry.attempts:
                    return Response(0, {}, b"", note=f"{exc} ({tries} attempts)")
                self._sleep(self._retry.base_delay * 2 ** (tries - 1))
                continue
            except _TransportError as exc:
                tries += 1
                if tries >= self._retry.attempts:
                    raise CollectError(
                        f"POST {self.show_graphql()}: no answer from {self.api_url} after "
                        f"{tries} attempts ({exc})"
                    ) from None
                self._sleep(self._retry.base_delay * 2 ** (tries - 1))
                continue
            if status in _REDIRECTS:
                return Response(
                    status, headers, body, note="redirected; not followed (the token stays here)"
                )
            if status >= 500:
                tries += 1
                if status in (502, 504) and not retry_slow:
                    return Response(status, headers, body, note=f"HTTP {status}")
                if tries < self._retry.attempts:
                    self._sleep(self._retry.base_delay * 2 ** (tries - 1))
                    continue
                return Response(status, headers, body, note=f"server error after {tries} attempts")
            wait = self._graphql_rate_limit_wait(status, headers, body)
            if wait is None:
                wait = self._rate_limit_wait(status, headers, body)
            if wait is not None:
                waits += 1
                self._check_wait(f"POST {self.show_graphql()}", wait, waits)
                self._sleep(wait)
                continue
            return Response(status, headers, body)

    def show_graphql(self) -> str:
        """The GraphQL endpoint as messages name it: `/graphql`, `/api/graphql` on GHES."""
        path = urllib.parse.urlsplit(self.graphql_url).path
        return path[len(self._prefix) :] if path.startswith(self._prefix + "/") else path

    def _graphql_rate_limit_wait(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> float | None:
        """GraphQL's primary rate limit: `errors[].type == "RATE_LIMITED"`, in a 200 or a 403."""
        if status not in (200, 403) or b"RATE_LIMITED" not in body:
            return None
        try:
            errors = json.loads(body).get("errors")
        except (ValueError, AttributeError):
            return None
        if not isinstance(errors, list) or not any(
            isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors
        ):
            return None
        retry_after = _retry_after(headers.get("retry-after"), self._now())
        if retry_after is not None:
            return retry_after
        reset = _epoch(headers.get("x-ratelimit-reset"))
        if reset is None:
            return self._retry.unhinted_wait
        return max(1.0, reset - self._now())

    def _check_wait(self, what: str, wait: float, waits: int) -> None:
        """CollectError when a rate-limit wait is one too many or too long."""
        if waits > self._retry.rate_limit_waits:
            raise CollectError(
                f"{what}: still rate limited after {waits - 1} waits; try again later"
            )
        if wait > self._retry.max_wait:
            until = time.strftime("%H:%M:%S UTC", time.gmtime(self._now() + wait))
            raise CollectError(
                f"{what}: rate limited until {until} ({wait:.0f} s, more than the "
                f"{self._retry.max_wait:.0f} s soc2lint waits); try again later"
            )

    def get_all(self, target: str, items_key: str | None = None) -> Response:
        """Every page of a list, following `Link: rel="next"`.

        One page: its body unchanged. Several: the items concatenated in order, as
        `json.dumps(items, indent=2)`; for an object page (`{"total_count": n, "environments":
        [...]}`) the `items_key` arrays are concatenated into the first page's object.
        A page that does not answer 200 stands for the whole list.
        """
        first = self.get(target)
        pages = [first]
        link = next_link(first.headers) if first.status == 200 else None
        while link is not None:
            if not self._inside(link):
                raise CollectError(
                    f"GET {self.show(target)}: the next-page link leaves the API URL; not followed"
                )
            if len(pages) >= MAX_PAGES:
                raise CollectError(f"GET {self.show(target)}: more than {MAX_PAGES} pages")
            page = self.get(link)
            if page.status != 200:
                what = page.note or f"answered {page.status}"
                note = f"page {len(pages) + 1} {what}; the earlier pages are not kept"
                return page._replace(pages=len(pages) + 1, note=note)
            pages.append(page)
            link = next_link(page.headers)
        if len(pages) == 1:
            return first
        merged = _concatenate([p.body for p in pages], items_key, self.show(target))
        return Response(200, first.headers, merged, pages=len(pages))

    def show(self, url: str) -> str:
        """A URL as a path below the API root, for messages: `/repos/o/r?x=1`."""
        if url.startswith("/"):
            return url
        parts = urllib.parse.urlsplit(url)
        path = parts.path[len(self._prefix) :] if self._inside(url) else url
        return path + (f"?{parts.query}" if parts.query else "")

    def _url(self, target: str) -> str:
        if target.startswith("/"):
            return self.api_url + target
        if not self._inside(target):
            raise CollectError(f"refusing to send the token outside {self.api_url}")
        return target

    def _inside(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return (parts.scheme, parts.netloc.lower()) == self._origin and parts.path.startswith(
            self._prefix + "/"
        )

    def _send(self, url: str, data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request: a GET, or a POST of a JSON `data`."""
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"soc2lint/{__version__}",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            url, data=data, method="GET" if data is None else "POST", headers=headers
        )
        request.add_unredirected_header("Authorization", f"Bearer {self._token}")
        self.requests += 1
        deadline = time.monotonic() + self._timeout
        try:
            try:
                with self._opener.open(request, timeout=self._timeout) as answer:
                    return int(answer.status), _lower(answer.headers), _read(answer, deadline)
            except urllib.error.HTTPError as exc:
                with exc:
                    return int(exc.code), _lower(exc.headers), _read(exc, deadline)
        except (_Deadline, TimeoutError):
            raise _Timeout(f"no complete answer within {self._timeout:g} s") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, TimeoutError):
                raise _Timeout(f"no complete answer within {self._timeout:g} s") from None
            raise _TransportError(self._redact(f"{type(exc).__name__}: {reason}")) from None

    def _rate_limit_wait(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> float | None:
        """Seconds to wait before retrying a rate-limited answer; None for any other answer."""
        if status not in (403, 429):
            return None
        retry_after = _retry_after(headers.get("retry-after"), self._now())
        if retry_after is not None:
            return retry_after
        if headers.get("x-ratelimit-remaining", "").strip() == "0":
            reset = _epoch(headers.get("x-ratelimit-reset"))
            if reset is None:
                return self._retry.unhinted_wait
            return max(1.0, reset - self._now())
        if status == 429 or _SECONDARY.search(body[:4096].decode("utf-8", "replace")):
            return self._retry.unhinted_wait  # a secondary limit: GitHub says wait a minute
        return None

    def _redact(self, text: str) -> str:
        return " ".join(text.replace(self._token, "[redacted]").split())[:300]


class _Deadline(Exception):
    """The request's overall time ran out while its body was still arriving."""


def _read(answer: Any, deadline: float) -> bytes:
    """The whole body, in reads of what has arrived, giving up at `deadline` (monotonic)."""
    parts: list[bytes] = []
    while True:
        if time.monotonic() > deadline:
            raise _Deadline()
        chunk = answer.read1(_CHUNK) if hasattr(answer, "read1") else answer.read(_CHUNK)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _lower(headers: Message | None) -> dict[str, str]:
    return {} if headers is None else {k.lower(): str(v) for k, v in headers.items()}


def _retry_after(value: str | None, now: float) -> float | None:
    """`retry-after`: delta seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


def _epoch(value: str | None) -> float | None:
    """`x-ratelimit-reset`: epoch seconds."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _concatenate(bodies: list[bytes], items_key: str | None, where: str) -> bytes:
    merged: Any = None
    for number, body in enumerate(bodies, 1):
        try:
            page = json.loads(body)
        except ValueError:
            raise CollectError(f"GET {where}: page {number} is not JSON") from None
        items = page.get(items_key) if items_key and isinstance(page, dict) else page
        if not isinstance(items, list):
            raise CollectError(f"GET {where}: page {number} holds no list of items")
        if merged is None:
            merged = page if items_key else list(items)
        elif items_key:
            merged[items_key] = [*merged[items_key], *items]
        else:
            merged.extend(items)
    return json.dumps(merged, indent=2).encode("utf-8")
