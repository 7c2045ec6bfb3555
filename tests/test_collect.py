"""`soc2lint collect github`: against a real local HTTP server replaying recorded GitHub answers."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from soc2lint import __version__
from soc2lint.collect.github import collect
from soc2lint.collect.http import Client, CollectError, RetryPolicy

DATA = Path(__file__).resolve().parent / "data" / "github-replay"
PAYLOADS = DATA / "payloads"
TOKEN = "ghp_S3cr3tT0kenValue0123456789abcdefXYZ"
NOW = 1_714_564_800.0  # 2024-05-01T12:00:00Z
PINNED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
R = "/repos/acme/widgets"
ACME_FILES = [  # (path under OUT, endpoint, payload served) in the order collected
    ("github/acme/widgets/repo.json", f"GET {R}", "repo-acme-widgets.json"),
    (
        "github/acme/widgets/branches/main/protection.json",
        f"GET {R}/branches/main/protection",
        "branch-protection.json",
    ),
    (
        "github/acme/widgets/branches/main/rules.json",
        f"GET {R}/rules/branches/main",
        "repository-rule-items.json",
    ),
    (
        "github/acme/widgets/rulesets.json",
        f"GET {R}/rulesets?includes_parents=true",
        "repository-ruleset-items.json",
    ),
    ("github/acme/widgets/rulesets/42.json", f"GET {R}/rulesets/42", "repository-ruleset-42.json"),
    (
        "github/acme/widgets/rulesets/314.json",
        f"GET {R}/rulesets/314",
        "repository-ruleset-314.json",
    ),
    ("github/acme/widgets/environments.json", f"GET {R}/environments", "environments.json"),
    (
        "github/acme/widgets/actions-permissions-workflow.json",
        f"GET {R}/actions/permissions/workflow",
        "actions-permissions-workflow.json",
    ),
    ("github/acme/widgets/collaborators-all.json", f"GET {R}/collaborators?affiliation=all", None),
    (
        "github/acme/widgets/collaborators-outside.json",
        f"GET {R}/collaborators?affiliation=outside",
        "collaborators-outside.json",
    ),
    ("github/acme/org.json", "GET /orgs/acme", "organization-full.json"),
    (
        "github/acme/members-2fa-disabled.json",
        "GET /orgs/acme/members?filter=2fa_disabled",
        "simple-user-items.json",
    ),
    ("github/acme/members-admin.json", "GET /orgs/acme/members?role=admin", "members-admin.json"),
]

Run = Callable[..., tuple[int, str, str]]


# --- the replay server ---------------------------------------------------------------------------


class Reply(NamedTuple):
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = {}
    drop: bool = False
    trickle: float = 0.0  # seconds between the body's bytes, sent one at a time


def reply(
    status: int = 200,
    body: str | None = None,
    json_value: Any = None,
    headers: dict[str, str] | None = None,
    drop: bool = False,
) -> Reply:
    data = (
        (PAYLOADS / body).read_bytes()
        if body
        else (json.dumps(json_value).encode() if json_value is not None else b"")
    )
    return Reply(status, data, headers or {}, drop)


def load_scenario(name: str) -> dict[str, list[Reply]]:
    routes = json.loads((DATA / name).read_text(encoding="utf-8"))
    out: dict[str, list[Reply]] = {}
    for key, spec in routes.items():
        out[key] = [
            reply(
                s.get("status", 200),
                s.get("body"),
                s.get("json"),
                s.get("headers"),
                s.get("drop", False),
            )
            for s in (spec if isinstance(spec, list) else [spec])
        ]
    return out


class Replay:
    """A real HTTP server answering by path+query, checking every request's headers."""

    def __init__(self, routes: dict[str, list[Reply]], prefix: str = "") -> None:
        self.routes = routes
        self.prefix = prefix
        self.served: dict[str, int] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base = self.root + prefix
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def set(self, key: str, *replies: Reply) -> None:
        self.routes[key] = list(replies)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self.lock:
            self.requests.append((h.path, headers))
            expected = {
                "authorization": f"Bearer {TOKEN}",
                "accept": "application/vnd.github+json",
                "x-github-api-version": "2022-11-28",
                "user-agent": f"soc2lint/{__version__}",
            }
            for name, value in expected.items():
                if headers.get(name) != value:
                    self.problems.append(f"{h.path}: header {name} is {headers.get(name)!r}")
            if TOKEN in h.path:
                self.problems.append("the token was sent in a URL")
            key = h.path[len(self.prefix) :] if h.path.startswith(self.prefix + "/") else None
            replies = self.routes.get(key) if key is not None else None
            if key is None or replies is None:
                self.problems.append(f"unrecorded request {h.path}")
                answer = reply(404, "repo-not-found.json")
            else:
                n = self.served.get(key, 0)
                self.served[key] = n + 1
                answer = replies[min(n, len(replies) - 1)]
        if answer.drop:
            h.close_connection = True
            return
        h.send_response(answer.status)
        for name, value in answer.headers.items():
            h.send_header(name, value.replace("{base}", self.base))
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(answer.body)))
        h.end_headers()
        if not answer.trickle:
            h.wfile.write(answer.body)
            return
        for i in range(len(answer.body)):
            try:
                h.wfile.write(answer.body[i : i + 1])
                h.wfile.flush()
            except OSError:  # the client gave up
                return
            if self.stopping.wait(answer.trickle):
                return

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def replay() -> Iterator[Callable[..., Replay]]:
    started: list[Replay] = []

    def start(scenario: str = "acme-widgets.json", prefix: str = "") -> Replay:
        server = Replay(load_scenario(scenario), prefix)
        server.thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stopping.set()
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(5)
    assert [p for s in started for p in s.problems] == []


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def collect_cli(run: Run, server: Replay, out: Path, *extra: str) -> tuple[int, str, str]:
    return run(
        "collect", "github", "acme/widgets", "--out", str(out), "--api-url", server.base, *extra
    )


def manifest_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def entry(manifest: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in manifest["files"] if e["path"] == path)
    return found


def written(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def library_client(server: Replay, sleeps: list[float], **retry: Any) -> Client:
    return Client(
        server.base,
        TOKEN,
        timeout=5,
        retry=RetryPolicy(**retry),
        sleep=sleeps.append,
        now=lambda: NOW,
    )


# --- an organization repository, end to end ------------------------------------------------------


def test_org_repository_end_to_end(run: Run, replay: Callable[..., Replay], tmp_path: Path) -> None:
    server = replay()
    out = tmp_path / "evidence"
    code, stdout, stderr = collect_cli(run, server, out)
    assert (code, stderr) == (0, "")
    assert stdout == (
        f"Collected 13 endpoints of acme/widgets (branch main) into {out}: 13 answered "
        f"200, 0 did not; manifest: {out / 'manifest.json'}\n"
    )

    manifest = manifest_of(out)
    assert list(manifest) == [
        "tool",
        "version",
        "api_url",
        "api_version",
        "repository",
        "branch",
        "collected_at",
        "files",
    ]
    assert {k: v for k, v in manifest.items() if k not in ("files", "collected_at")} == {
        "tool": "soc2lint",
        "version": __version__,
        "api_url": server.base,
        "api_version": "2022-11-28",
        "repository": "acme/widgets",
        "branch": "main",
    }
    assert ISO_Z.fullmatch(manifest["collected_at"])
    assert [(e["path"], e["endpoint"]) for e in manifest["files"]] == [
        (path, endpoint) for path, endpoint, _ in ACME_FILES
    ]
    for (path, _, payload), e in zip(ACME_FILES, manifest["files"], strict=True):
        assert list(e) == [
            "path",
            "endpoint",
            "status",
            "collected_at",
            "sha256",
            "pages",
            "evidence",
        ]
        assert e["status"] == 200 and e["evidence"] is True and ISO_Z.fullmatch(e["collected_at"])
        assert e["collected_at"] >= manifest["collected_at"]
        data = (out / path).read_bytes()
        assert e["sha256"] == hashlib.sha256(data).hexdigest()
        if payload is not None:  # one page: the body byte for byte
            assert data == (PAYLOADS / payload).read_bytes() and e["pages"] == 1
    assert written(out) == sorted(["manifest.json", *(path for path, _, _ in ACME_FILES)])
    assert (out / "manifest.json").read_text(encoding="utf-8") == json.dumps(
        manifest, indent=2
    ) + "\n"


def test_manifest_with_a_pinned_clock(replay: Callable[..., Replay], tmp_path: Path) -> None:
    server = replay()
    sleeps: list[float] = []
    manifest = collect(
        library_client(server, sleeps), "acme", "widgets", tmp_path, clock=lambda: PINNED
    )
    assert manifest["collected_at"] == "2024-05-01T12:00:00Z"
    assert {e["collected_at"] for e in manifest["files"]} == {"2024-05-01T12:00:00Z"}
    assert manifest_of(tmp_path) == manifest and sleeps == []


def test_the_server_saw_the_headers_and_never_the_token_in_a_url(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    assert collect_cli(run, server, tmp_path / "out")[0] == 0
    assert len(server.requests) == 15  # 13 endpoints, two more collaborator pages
    for path, headers in server.requests:
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"
        assert headers["user-agent"] == f"soc2lint/{__version__}"
        assert TOKEN not in path
    assert server.problems == []


# --- pagination, failures recorded ---------------------------------------------------------------


def test_collaborators_in_three_pages(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    assert collect_cli(run, server, tmp_path)[0] == 0
    items = [
        item
        for n in (1, 2, 3)
        for item in json.loads((PAYLOADS / f"collaborators-page-{n}.json").read_bytes())
    ]
    data = (tmp_path / "github/acme/widgets/collaborators-all.json").read_bytes()
    assert data == json.dumps(items, indent=2).encode()
    assert [u["login"] for u in json.loads(data)] == ["alice", "bob", "carol", "dave", "erin"]
    e = entry(manifest_of(tmp_path), "github/acme/widgets/collaborators-all.json")
    assert (e["status"], e["pages"]) == (200, 3)
    assert [p for p in server.paths() if "collaborators?affiliation=all" in p] == [
        f"{R}/collaborators?affiliation=all&per_page=100",
        "/repositories/700001/collaborators?affiliation=all&per_page=100&page=2",
        "/repositories/700001/collaborators?affiliation=all&per_page=100&page=3",
    ]


def test_environments_in_two_pages_keep_the_object(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    first = json.loads((PAYLOADS / "environments.json").read_bytes())
    second = {"total_count": 2, "environments": [dict(first["environments"][0], id=2, name="prod")]}
    server.set(
        f"{R}/environments?per_page=100",
        reply(
            200,
            "environments.json",
            headers={"Link": f'<{{base}}{R}/environments?per_page=100&page=2>; rel="next"'},
        ),
    )
    server.set(f"{R}/environments?per_page=100&page=2", reply(200, json_value=second))
    collect(library_client(server, []), "acme", "widgets", tmp_path, clock=lambda: PINNED)
    data = json.loads((tmp_path / "github/acme/widgets/environments.json").read_bytes())
    assert [env["name"] for env in data["environments"]] == ["staging", "prod"]


def test_branch_not_protected_is_recorded_with_its_404(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(f"{R}/branches/main/protection", reply(404, "branch-not-protected.json"))
    code, _, stderr = collect_cli(run, server, tmp_path)
    assert code == 0
    path = "github/acme/widgets/branches/main/protection.json"
    e = entry(manifest_of(tmp_path), path)
    data = (tmp_path / path).read_bytes()
    assert data == (PAYLOADS / "branch-not-protected.json").read_bytes()
    assert (e["status"], e["note"], e["sha256"]) == (
        404,
        "branch not protected",
        hashlib.sha256(data).hexdigest(),
    )
    assert stderr == (
        f"soc2lint: note: GET {R}/branches/main/protection answered 404: branch not protected\n"
    )


def test_forbidden_2fa_filter_is_recorded_and_collection_goes_on(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set("/orgs/acme/members?filter=2fa_disabled&per_page=100", reply(403, "forbidden.json"))
    code, stdout, stderr = collect_cli(run, server, tmp_path)
    assert code == 0 and "12 answered 200, 1 did not" in stdout
    manifest = manifest_of(tmp_path)
    e = entry(manifest, "github/acme/members-2fa-disabled.json")
    assert e["status"] == 403
    assert e["note"] == (
        "forbidden: needs organization owner rights "
        "(GitHub: Resource not accessible by integration)"
    )
    assert (tmp_path / e["path"]).read_bytes() == (PAYLOADS / "forbidden.json").read_bytes()
    assert manifest["files"][-1]["path"] == "github/acme/members-admin.json"
    assert manifest["files"][-1]["status"] == 200
    assert stderr.count("\n") == 1 and "answered 403: forbidden" in stderr
    assert server.served["/orgs/acme/members?filter=2fa_disabled&per_page=100"] == 1  # not retried


# --- retries and rate limits ---------------------------------------------------------------------


def test_429_with_retry_after_then_success(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(
        "/orgs/acme",
        reply(429, "secondary-rate-limited.json", headers={"Retry-After": "1"}),
        reply(200, "organization-full.json"),
    )
    started = time.monotonic()
    assert collect_cli(run, server, tmp_path)[0] == 0
    assert 0.9 <= time.monotonic() - started < 5
    assert entry(manifest_of(tmp_path), "github/acme/org.json")["status"] == 200
    assert server.served["/orgs/acme"] == 2


def test_403_rate_limit_reset_then_success(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    reset = str(int(time.time()) + 1)
    server.set(
        f"{R}/rulesets/42",
        reply(
            403,
            "rate-limited.json",
            headers={
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": reset,
            },
        ),
        reply(200, "repository-ruleset-42.json"),
    )
    started = time.monotonic()
    assert collect_cli(run, server, tmp_path)[0] == 0
    assert time.monotonic() - started < 5
    e = entry(manifest_of(tmp_path), "github/acme/widgets/rulesets/42.json")
    assert e["status"] == 200 and "note" not in e
    assert server.served[f"{R}/rulesets/42"] == 2


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (429, {"Retry-After": "30"}, 30.0),
        (403, {"Retry-After": "7"}, 7.0),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 120)}, 120.0),
        (429, {}, 60.0),  # a secondary limit without a hint: GitHub says wait a minute
    ],
)
def test_rate_limit_waits_as_told(
    replay: Callable[..., Replay], tmp_path: Path, status: int, headers: dict[str, str], wait: float
) -> None:
    server = replay()
    server.set(
        "/orgs/acme",
        reply(status, "rate-limited.json", headers=headers),
        reply(200, "organization-full.json"),
    )
    sleeps: list[float] = []
    manifest = collect(
        library_client(server, sleeps), "acme", "widgets", tmp_path, clock=lambda: PINNED
    )
    assert sleeps == [wait]
    assert entry(manifest, "github/acme/org.json")["status"] == 200


def test_a_rate_limit_too_far_away_stops_the_collection(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(
        f"{R}/environments?per_page=100",
        reply(403, "rate-limited.json", headers={"Retry-After": "3600"}),
    )
    started = time.monotonic()
    code, stdout, stderr = collect_cli(run, server, tmp_path)
    assert time.monotonic() - started < 2
    assert (code, stdout) == (2, "")
    assert (
        stderr.startswith(
            f"soc2lint: error: GET {R}/environments?per_page=100: rate limited until "
        )
        and stderr.count("\n") == 1
    )
    assert not (tmp_path / "manifest.json").exists()


def test_502_then_success_is_retried(replay: Callable[..., Replay], tmp_path: Path) -> None:
    server = replay()
    server.set(
        f"{R}/environments?per_page=100",
        reply(502, "server-error.json"),
        reply(200, "environments.json"),
    )
    sleeps: list[float] = []
    manifest = collect(library_client(server, sleeps, base_delay=0.5), "acme", "widgets", tmp_path)
    assert sleeps == [0.5]
    e = entry(manifest, "github/acme/widgets/environments.json")
    assert e["status"] == 200 and "note" not in e
    assert server.served[f"{R}/environments?per_page=100"] == 2


def test_502_three_times_is_recorded(replay: Callable[..., Replay], tmp_path: Path) -> None:
    server = replay()
    server.set(f"{R}/actions/permissions/workflow", reply(502, "server-error.json"))
    sleeps: list[float] = []
    manifest = collect(library_client(server, sleeps), "acme", "widgets", tmp_path)
    assert sleeps == [1.0, 2.0]  # exponential backoff, three attempts
    e = entry(manifest, "github/acme/widgets/actions-permissions-workflow.json")
    assert (e["status"], e["note"]) == (502, "server error after 3 attempts (GitHub: Server Error)")
    assert manifest["files"][-1]["status"] == 200


def test_a_dropped_connection_is_retried(replay: Callable[..., Replay], tmp_path: Path) -> None:
    server = replay()
    server.set("/orgs/acme", Reply(drop=True), reply(200, "organization-full.json"))
    sleeps: list[float] = []
    manifest = collect(library_client(server, sleeps), "acme", "widgets", tmp_path)
    assert sleeps == [1.0] and entry(manifest, "github/acme/org.json")["status"] == 200


def test_endless_rate_limiting_stops_the_collection(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(
        "/orgs/acme", reply(429, "secondary-rate-limited.json", headers={"Retry-After": "5"})
    )
    sleeps: list[float] = []
    with pytest.raises(CollectError, match=r"^GET /orgs/acme: still rate limited after 3 waits"):
        collect(library_client(server, sleeps), "acme", "widgets", tmp_path)
    assert sleeps == [5.0, 5.0, 5.0] and not (tmp_path / "manifest.json").exists()


def test_a_failing_later_page_stands_for_the_list(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(
        "/repositories/700001/collaborators?affiliation=all&per_page=100&page=2",
        reply(404, "repo-not-found.json"),
    )
    manifest = collect(library_client(server, []), "acme", "widgets", tmp_path)
    e = entry(manifest, "github/acme/widgets/collaborators-all.json")
    assert (e["status"], e["pages"]) == (404, 2)
    assert e["note"] == "page 2 answered 404; the earlier pages are not kept (GitHub: Not Found)"
    assert (tmp_path / e["path"]).read_bytes() == (PAYLOADS / "repo-not-found.json").read_bytes()


def test_redirects_are_followed_only_inside_the_api(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    moved = {"message": "Moved Permanently", "url": "{base}/repositories/700001"}
    server.set(R, reply(301, json_value=moved, headers={"Location": "{base}/repositories/700001"}))
    server.set("/repositories/700001", reply(200, "repo-acme-widgets.json"))
    server.set(
        "/orgs/acme",
        reply(
            302,
            json_value={"message": "Found"},
            headers={"Location": "http://127.0.0.2:9/orgs/acme"},
        ),
    )
    manifest = collect(library_client(server, []), "acme", "widgets", tmp_path)
    assert entry(manifest, "github/acme/widgets/repo.json")["status"] == 200
    assert server.paths()[:2] == [R, "/repositories/700001"]
    e = entry(manifest, "github/acme/org.json")
    assert e["status"] == 302
    assert e["note"].startswith("redirected outside the API URL; not followed")


def test_an_unreachable_api_is_one_error_without_the_token(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    sleeps: list[float] = []
    client = Client(f"http://127.0.0.1:{port}", TOKEN, timeout=2, sleep=sleeps.append)
    with pytest.raises(CollectError) as caught:
        collect(client, "acme", "widgets", tmp_path / "out")
    message = str(caught.value)
    assert message.startswith("GET /repos/acme/widgets: no answer from http://127.0.0.1:")
    assert TOKEN not in message and TOKEN not in repr(caught.value) and TOKEN not in repr(client)
    assert sleeps == [1.0, 2.0] and not (tmp_path / "out").exists()


# --- usage errors --------------------------------------------------------------------------------


def test_missing_token(run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    code, stdout, stderr = run("collect", "github", "acme/widgets", "--out", str(tmp_path / "out"))
    assert (code, stdout) == (2, "")
    assert stderr == (
        "soc2lint: error: no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token "
        "that can read the repository\n"
    )
    assert not (tmp_path / "out").exists()


def test_gh_token_is_the_fallback(
    run: Run, replay: Callable[..., Replay], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    assert collect_cli(run, replay(), tmp_path)[0] == 0


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (
            404,
            "repo-not-found.json",
            "answered 404: Not Found (no such repository, or the token cannot see it)",
        ),
        (401, "bad-credentials.json", "answered 401: Bad credentials (the token was rejected)"),
    ],
)
def test_an_unreadable_repository_writes_nothing(
    run: Run, replay: Callable[..., Replay], tmp_path: Path, status: int, body: str, says: str
) -> None:
    server = replay()
    server.set(R, reply(status, body))
    out = tmp_path / "out"
    code, stdout, stderr = collect_cli(run, server, out)
    assert (code, stdout) == (2, "")
    assert stderr == f"soc2lint: error: cannot read acme/widgets: GET {R} {says}\n"
    assert not out.exists() and server.paths() == [R]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["acme/../etc"], "'acme/../etc' is not OWNER/REPO, e.g. octocat/hello-world"),
        (["acme"], "'acme' is not OWNER/REPO, e.g. octocat/hello-world"),
        (
            ["acme/widgets", "--api-url", "ftp://example.com"],
            "--api-url 'ftp://example.com' is not an http(s) URL, e.g. https://api.github.com or "
            "https://HOST/api/v3",
        ),
        (
            ["acme/widgets", "--api-url", "https://user:pw@ghe.example.com/api/v3"],
            "--api-url must not contain credentials: the token comes from GITHUB_TOKEN or GH_TOKEN",
        ),
        (
            ["acme/widgets", "--api-url", "http://ghe.example.com/api/v3"],
            "--api-url 'http://ghe.example.com/api/v3': refusing to send the token over plain http to "
            "ghe.example.com; use https",
        ),
    ],
)
def test_usage_errors(run: Run, tmp_path: Path, argv: list[str], says: str) -> None:
    code, stdout, stderr = run("collect", "github", *argv, "--out", str(tmp_path / "out"))
    assert (code, stdout, stderr) == (2, "", f"soc2lint: error: {says}\n")
    assert not (tmp_path / "out").exists()


def test_a_malformed_token_is_refused_without_echoing_it(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", f"{TOKEN}\r\nX-Injected: 1")
    code, stdout, stderr = run("collect", "github", "acme/widgets", "--out", str(tmp_path))
    assert (code, stdout) == (2, "")
    assert stderr == (
        "soc2lint: error: the GitHub token is empty or contains spaces or control characters\n"
    )


# --- the token never leaks -----------------------------------------------------------------------


def test_the_token_appears_nowhere(run: Run, replay: Callable[..., Replay], tmp_path: Path) -> None:
    server = replay()
    server.set(f"{R}/branches/main/protection", reply(404, "branch-not-protected.json"))
    server.set("/orgs/acme/members?filter=2fa_disabled&per_page=100", reply(403, "forbidden.json"))
    server.set("/orgs/acme/members?role=admin&per_page=100", reply(401, "bad-credentials.json"))
    server.set(
        "/orgs/acme",
        reply(429, "rate-limited.json", headers={"Retry-After": "0"}),
        reply(200, "organization-full.json"),
    )
    out = tmp_path / "out"
    code, stdout, stderr = collect_cli(run, server, out)
    assert code == 0 and stderr.count("soc2lint: note:") == 3
    server.set(R, reply(404, "repo-not-found.json"))
    failed = collect_cli(run, server, tmp_path / "failed")
    assert failed[0] == 2
    texts = [stdout, stderr, *failed[1:]]
    texts += [p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()]
    assert len(texts) == 4 + 14
    assert not [t for t in texts if TOKEN in t or TOKEN[4:20] in t]


# --- options -------------------------------------------------------------------------------------


def test_api_url_with_a_path_prefix_and_a_user_owner(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay("octocat-hello-world.json", prefix="/api/v3")
    code, _, stderr = run(
        "collect",
        "github",
        "octocat/Hello-World",
        "--out",
        str(tmp_path),
        "--api-url",
        server.base + "/",
    )
    assert code == 0 and "answered 404: branch not protected" in stderr
    manifest = manifest_of(tmp_path)
    assert (manifest["api_url"], manifest["branch"]) == (server.base, "master")
    assert all(p.startswith("/api/v3/repos/octocat/Hello-World") for p in server.paths())
    assert [e["path"] for e in manifest["files"]] == [
        f"github/octocat/Hello-World/{name}"
        for name in (
            "repo.json",
            "branches/master/protection.json",
            "branches/master/rules.json",
            "rulesets.json",
            "environments.json",
            "actions-permissions-workflow.json",
            "collaborators-all.json",
            "collaborators-outside.json",
        )
    ]  # a user: no org endpoints
    assert (tmp_path / "github/octocat/Hello-World/rulesets.json").read_bytes() == b"[]"


def test_branch_with_a_slash_and_no_org(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(f"{R}/branches/release%2F1.x/protection", reply(200, "branch-protection.json"))
    server.set(f"{R}/rules/branches/release%2F1.x?per_page=100", reply(200, json_value=[]))
    code, stdout, _ = collect_cli(run, server, tmp_path, "--branch", "release/1.x", "--no-org")
    assert code == 0 and "(branch release/1.x)" in stdout
    manifest = manifest_of(tmp_path)
    assert manifest["branch"] == "release/1.x"
    assert [e["path"] for e in manifest["files"][1:3]] == [
        "github/acme/widgets/branches/release/1.x/protection.json",
        "github/acme/widgets/branches/release/1.x/rules.json",
    ]
    assert manifest["files"][1]["endpoint"] == f"GET {R}/branches/release%2F1.x/protection"
    assert not any(p.startswith("/orgs/") for p in server.paths())
    assert not (tmp_path / "github/acme/org.json").exists()


def test_a_second_collection_drops_stale_files(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    assert collect_cli(run, server, tmp_path)[0] == 0
    assert (tmp_path / "github/acme/widgets/rulesets/314.json").is_file()
    rulesets = json.loads((PAYLOADS / "repository-ruleset-items.json").read_bytes())
    server.set(
        f"{R}/rulesets?includes_parents=true&per_page=100", reply(200, json_value=rulesets[:1])
    )
    assert collect_cli(run, server, tmp_path)[0] == 0
    assert not (tmp_path / "github/acme/widgets/rulesets/314.json").exists()
    assert written(tmp_path) == sorted(
        ["manifest.json", *(e["path"] for e in manifest_of(tmp_path)["files"])]
    )


def test_help(run: Run) -> None:
    code, stdout, _ = run("collect", "github", "--help")
    assert code == 0
    for option in (
        "--out DIR",
        "--api-url URL",
        "--branch NAME",
        "--org / --no-org",
        "--timeout SECONDS",
        "GITHUB_TOKEN",
    ):
        assert option in stdout


def test_the_rules_run_on_what_the_collector_wrote(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    """Collect into a repository's .soc2/, then scan it: every payload is recognised through the
    manifest, and the findings point into the collected files."""
    server = replay()
    repo = tmp_path / "repo"
    code, _, stderr = collect_cli(run, server, repo / ".soc2")
    assert (code, stderr) == (0, "")
    code, out, err = run("--format", "json", "--select", "GH,SL", str(repo))
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["files_scanned"] == 14  # 13 payloads and the manifest
    assert not [f for f in report["findings"] if f["rule_id"] in ("SL001", "SL004")]
    paths = {f["path"] for f in report["findings"]}
    assert paths and all(p.startswith(".soc2/github/acme/") for p in paths)
    # the answers recorded as 403/404 would be evidence-missing, these are all 200
    assert not [f["message"] for f in report["findings"] if f["rule_id"] == "GH023"]


# --- only complete, readable answers are evidence; failures keep the old evidence ----------------


def test_a_redirect_body_is_recorded_as_a_failure_not_as_settings(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    """A 301 not followed (it leaves the API) is no protection export: before, its body was read
    as empty branch protection (no reviews, no checks required)."""
    server = replay()
    moved = {"message": "Moved Permanently", "url": "https://elsewhere.example/protection"}
    server.set(
        f"{R}/branches/main/protection",
        reply(301, json_value=moved, headers={"Location": "http://127.0.0.2:9/protection"}),
    )
    repo = tmp_path / "repo"
    assert collect_cli(run, server, repo / ".soc2")[0] == 0
    e = entry(manifest_of(repo / ".soc2"), "github/acme/widgets/branches/main/protection.json")
    assert (e["status"], e["evidence"]) == (301, False)
    code, out, _ = run("--format", "json", "--select", "GH002,GH007,GH023", str(repo))
    findings = [
        (f["rule_id"], f["path"], f["line"], f["message"].split(":")[0])
        for f in json.loads(out)["findings"]
    ]
    assert findings == [
        (
            "GH023",
            ".soc2/github/acme/widgets/branches/main/protection.json",
            1,
            "Branch protection of the default branch (GET /repos/O/R/branches/B/protection) is "
            "error 301",
        )
    ]


def test_a_200_that_is_not_the_expected_json_is_a_failure(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    server.set(f"{R}/environments?per_page=100", Reply(200, b"<html>Service Unavailable</html>"))
    server.set(f"{R}/actions/permissions/workflow", reply(200, json_value=[]))
    out = tmp_path / "repo" / ".soc2"
    assert collect_cli(run, server, out)[0] == 0
    manifest = manifest_of(out)
    env = entry(manifest, "github/acme/widgets/environments.json")
    perms = entry(manifest, "github/acme/widgets/actions-permissions-workflow.json")
    assert (env["status"], env["evidence"], perms["status"], perms["evidence"]) == (
        200,
        False,
        200,
        False,
    )
    assert env["note"] == "the body is not the JSON this endpoint returns (an object): not evidence"
    code, stdout, _ = run(
        "--format", "json", "--select", "GH014,GH015,GH020,GH023", str(tmp_path / "repo")
    )
    got = {
        (f["rule_id"], f["path"], f["message"].split(":")[0])
        for f in json.loads(stdout)["findings"]
    }
    assert got == {
        (
            "GH023",
            ".soc2/manifest.json",
            "Deployment environments (GET /repos/O/R/environments) are "
            "error (not the JSON the endpoint returns)",
        ),
        (
            "GH023",
            ".soc2/github/acme/widgets/actions-permissions-workflow.json",
            "Actions workflow permissions (GET /repos/O/R/actions/permissions/workflow) are error (not "
            "the JSON the endpoint returns)",
        ),
    }


def test_a_secondary_rate_limit_403_without_retry_after_is_waited_out(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    """Before, it was recorded as `forbidden`; GitHub says to wait at least a minute."""
    server = replay()
    server.set(
        f"{R}/environments?per_page=100",
        reply(
            403,
            json_value={
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                "you try again.",
                "documentation_url": "https://docs.github.com/rest",
            },
        ),
        reply(200, "environments.json"),
    )
    sleeps: list[float] = []
    manifest = collect(library_client(server, sleeps), "acme", "widgets", tmp_path)
    assert sleeps == [60.0]  # RetryPolicy.unhinted_wait, recorded by the injected sleep
    e = entry(manifest, "github/acme/widgets/environments.json")
    assert (e["status"], e["evidence"], "note" in e) == (200, True, False)
    assert server.served[f"{R}/environments?per_page=100"] == 2


def test_a_trickling_answer_is_cut_off_at_the_request_deadline(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    """The timeout bounds the whole request: before, a server sending a byte every 0.1 s kept a
    0.5 s-timeout request alive for as long as it liked (each read got its byte in time)."""
    server = replay()
    body = (PAYLOADS / "environments.json").read_bytes()
    server.set(f"{R}/environments?per_page=100", Reply(200, body, trickle=0.1))
    client = Client(server.base, TOKEN, timeout=0.5, retry=RetryPolicy(attempts=1))
    with pytest.raises(CollectError) as caught:
        collect(client, "acme", "widgets", tmp_path / "out")
    assert str(caught.value) == (
        f"GET {R}/environments?per_page=100: no answer from {server.base} "
        "after 1 attempts (no complete answer within 0.5 s); nothing was "
        f"written to {tmp_path / 'out'}"
    )
    assert not (tmp_path / "out").exists()


def test_a_collection_that_read_nothing_exits_1(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    for key in list(server.routes):
        if key != R:
            server.set(key, reply(403, "forbidden.json"))
    server.set(f"{R}/branches/main/protection", reply(500, "server-error.json"))
    code, stdout, stderr = collect_cli(run, server, tmp_path, "--no-org")
    assert code == 1
    assert stdout.startswith("Collected 8 endpoints of acme/widgets (branch main)")
    assert stderr.splitlines()[-1] == (
        "soc2lint: error: none of the 7 settings endpoints of acme/widgets could be read: the "
        f"evidence in {tmp_path} proves nothing"
    )
    assert [e["evidence"] for e in manifest_of(tmp_path)["files"]] == [True] + [False] * 7


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_failed_collection_keeps_the_previous_evidence(
    run: Run, replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    out = tmp_path / ".soc2"
    assert collect_cli(run, server, out)[0] == 0
    before = _snapshot(out)
    assert len(before) == 14
    server.set(
        f"{R}/environments?per_page=100",
        reply(403, "rate-limited.json", headers={"Retry-After": "3600"}),
    )
    code, stdout, stderr = collect_cli(run, server, out)
    assert (code, stdout) == (2, "")
    assert stderr.endswith(f"; the previous evidence in {out} was left unchanged\n")
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".soc2"]  # no staging directory left


def test_an_interrupted_collection_keeps_the_previous_evidence(
    replay: Callable[..., Replay], tmp_path: Path
) -> None:
    server = replay()
    out = tmp_path / ".soc2"
    collect(library_client(server, []), "acme", "widgets", out)
    before = _snapshot(out)
    server.set("/orgs/acme", reply(429, "rate-limited.json", headers={"Retry-After": "1"}))

    def interrupt(seconds: float) -> None:  # Ctrl-C while waiting out the rate limit
        raise KeyboardInterrupt

    client = Client(server.base, TOKEN, timeout=5, sleep=interrupt, now=lambda: NOW)
    with pytest.raises(KeyboardInterrupt):
        collect(client, "acme", "widgets", out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".soc2"]


@pytest.mark.parametrize(
    ("status", "body", "value"),
    [
        (
            401,
            {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            "forbidden",
        ),
        (
            403,
            {
                "message": "Resource protected by organization SAML enforcement. You must grant your "
                "Personal Access token access to this organization.",
                "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-"
                "organization-with-saml-single-sign-on/",
            },
            "forbidden (SAML single sign-on: authorise the token for the organization)",
        ),
        (500, {"message": "Server Error"}, "error 500"),
    ],
    ids=["401", "saml-403", "500"],
)
def test_failed_org_endpoints_reach_the_scan(
    run: Run,
    replay: Callable[..., Replay],
    tmp_path: Path,
    status: int,
    body: dict[str, str],
    value: str,
) -> None:
    """Before, a failed GET /orgs/O meant no organization document: 2FA and owners went unreported."""
    server = replay()
    for key in (
        "/orgs/acme",
        "/orgs/acme/members?filter=2fa_disabled&per_page=100",
        "/orgs/acme/members?role=admin&per_page=100",
    ):
        server.set(key, reply(status, json_value=body))
    repo = tmp_path / "repo"
    collect(library_client(server, []), "acme", "widgets", repo / ".soc2")  # no real 5xx backoff
    code, out, _ = run("--format", "json", "--select", "GH016,GH017,GH018,GH023", str(repo))
    findings = sorted((f["rule_id"], f["path"], f["message"]) for f in json.loads(out)["findings"])
    assert [(rule, path) for rule, path, _ in findings] == [
        ("GH023", ".soc2/github/acme/members-2fa-disabled.json"),
        ("GH023", ".soc2/github/acme/members-admin.json"),
        ("GH023", ".soc2/github/acme/org.json"),
    ]
    assert [m.split(f" {value}: ")[0] for _, _, m in findings] == [
        "Members without 2FA (GET /orgs/O/members?filter=2fa_disabled) are",
        "Organization owners (GET /orgs/O/members?role=admin) are",
        "The organization (GET /orgs/O) is",
    ]
