"""Write scopes of `permissions:` that no step of the jobs they apply to can use.

`GITHUB_TOKEN` reaches a job's code only three ways: an action (which may read `github.token`
by default), an expression naming it (`${{ github.token }}`, `${{ secrets.GITHUB_TOKEN }}`), or
the credentials `actions/checkout` leaves in `.git/config` for a later `git push`. OIDC tokens
(`id-token: write`) are requested by actions or by scripts reading `ACTIONS_ID_TOKEN_REQUEST_*`,
also through a tool a setting tells to (`DAGGER_CLOUD_TOKEN: oidc` in a step's `env:`).
A job whose actions are all known to use no write scope, whose text never names the token, and
whose scripts neither push nor publish, cannot use a write scope: granting one is excess
privilege. Everything else (a reusable workflow call, an unknown or local action, a `make
release`) is assumed to need what it was given, so that a finding is a clear case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from soc2lint.formats import nodes
from soc2lint.model import Document, Hit

# Actions that do their job without any write scope of GITHUB_TOKEN and without an OIDC token:
# checkout (reads), toolchain setup, caches and artifacts (their own runtime token).
SAFE_ACTIONS = re.compile(
    r"""^(?:
        actions/(?:checkout|cache(?:/restore|/save)?|upload-artifact|download-artifact|setup-[a-z]+)
      | docker/setup-(?:buildx|qemu)-action
      | astral-sh/setup-uv | pnpm/action-setup | oven-sh/setup-bun | denoland/setup-deno
      | dtolnay/rust-toolchain | Swatinem/rust-cache | actions-rs/toolchain | taiki-e/install-action
      | hashicorp/setup-terraform | azure/setup-(?:helm|kubectl) | ruby/setup-ruby
      | gradle/actions/setup-gradle | gradle/gradle-build-action | extractions/setup-just
      | arduino/setup-protoc | bufbuild/buf-setup-action | shivammathur/setup-php
      | erlef/setup-beam | haskell-actions/setup | mlugg/setup-zig | goto-bus-stop/setup-zig
    )@""",
    re.VERBOSE | re.IGNORECASE,
)
# ... or a setting that tells a tool to fetch the OIDC token itself (`DAGGER_CLOUD_TOKEN: oidc`,
# `auth: oidc`), which it does through ACTIONS_ID_TOKEN_REQUEST_* without the script naming them
TOKEN_REFERENCE = re.compile(
    r"github\.token|secrets\.GITHUB_TOKEN|\bGITHUB_TOKEN\b|\bGH_TOKEN\b|ACTIONS_ID_TOKEN_REQUEST"
    r"|\boidc\b",
    re.IGNORECASE,
)
# Scripts that push, tag, release or publish (with checkout's persisted credentials or OIDC).
PUBLISHING = re.compile(
    r"""(?ix)
    \bgit\s+(?:-\S+\s+)*(?:push|tag|commit|remote)\b | \bgh\s | \bhub\s
  | release | publish | deploy | upload | \bpush\b | provenance | attest | sigstore | cosign
  | \boidc\b | \baws\s | \bgcloud\s | \baz\s | \bvault\s | \btwine\b | \bchangeset | \blerna\b
  | \bnpm\s+version\b
    """
)
# Scopes whose write grant a job can use only through the token (or OIDC for id-token).
SCOPES = (
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
)


def _text(node: nodes.Node) -> Iterator[str]:
    if isinstance(node, nodes.ScalarNode):
        yield str(node.value)
    else:
        for _step, _key, child in nodes.children(node):
            yield from _text(child)


def _uses_nothing(job: nodes.Node, workflow_env: str) -> bool:
    """The job cannot use any write scope nor an OIDC token (see the module docstring)."""
    if nodes.get(job, "uses") is not None:  # a reusable workflow gets the job's permissions
        return False
    steps = nodes.get(job, "steps")
    if steps is None or not isinstance(steps[1], nodes.SequenceNode) or not steps[1].value:
        return False
    if TOKEN_REFERENCE.search(workflow_env) or any(TOKEN_REFERENCE.search(t) for t in _text(job)):
        return False
    for step in steps[1].value:
        uses = nodes.get(step, "uses")
        if uses is not None and not (
            isinstance(uses[1], nodes.ScalarNode) and SAFE_ACTIONS.match(uses[1].value)
        ):
            return False
        run = nodes.get(step, "run")
        if run is not None and not (
            isinstance(run[1], nodes.ScalarNode) and not PUBLISHING.search(run[1].value)
        ):
            return False
    return True


def _writes(permissions: nodes.Node) -> Iterator[tuple[str, nodes.Node]]:
    for scope, _k, value in nodes.items(permissions):
        if scope in SCOPES and isinstance(value, nodes.ScalarNode) and value.value == "write":
            yield scope, value


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    root = doc.root
    jobs = nodes.get(root, "jobs")
    if jobs is None or not isinstance(jobs[1], nodes.MappingNode):
        return
    env = nodes.get(root, "env")
    workflow_env = "\n".join(_text(env[1])) if env else ""
    inheriting: list[tuple[str, nodes.Node]] = []
    for job_id, _k, job in nodes.items(jobs[1]):
        own = nodes.get(job, "permissions")
        if own is None:
            inheriting.append((job_id, job))
            continue
        writes = list(_writes(own[1]))
        if writes and _uses_nothing(job, workflow_env):
            for scope, _value in writes:
                yield Hit(
                    ("jobs", job_id, "permissions", scope),
                    "key",
                    {"scope": scope, "granted": f"job '{job_id}'", "identity": scope},
                )
    top = nodes.get(root, "permissions")
    if top is None or not inheriting:
        return
    writes = list(_writes(top[1]))
    if writes and all(_uses_nothing(job, workflow_env) for _id, job in inheriting):
        names = ", ".join(f"'{job_id}'" for job_id, _job in inheriting)
        for scope, _value in writes:
            yield Hit(
                ("permissions", scope),
                "key",
                {"scope": scope, "granted": f"the workflow (jobs {names})", "identity": scope},
            )
