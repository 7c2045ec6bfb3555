#!/usr/bin/env python3
"""Generate a deterministic benchmark corpus of GitHub Actions workflows and Kubernetes manifests.

    python3 bench/gen_corpus.py                      # 2000 files -> bench/.work/corpus-2000
    python3 bench/gen_corpus.py --files 500 --out /tmp/c --seed 7

Layout (soc2lint treats a file as a workflow when it sits directly in a `.github/workflows/`
directory; every workflow goes in one such directory):

    <out>/.github/workflows/<repo>-<purpose>.yml     ~60% of the files, 40-200 lines each
    <out>/k8s/<app>/<kind>.yaml                      ~40%: Deployments, Services, CronJobs, ...

Besides the tree it writes `<out>.expected.json`: the findings the generator planted on purpose
(rule id, path, line, suppressed or not) and the spots where it planted a known ambiguity, so
`bench/check_findings.py` can compare a scan against them. Same seed and N -> byte-identical tree.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_SEED = 20240601


# --------------------------------------------------------------------------- plumbing


class Doc:
    """Lines of a file plus the findings expected on some of them (1-based line numbers)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.expect: list[dict] = []
        self.notes: list[dict] = []

    def add(self, line: str, *rules: str, suppressed: bool = False) -> None:
        self.lines.append(line)
        for rule in rules:
            self.expect.append({"rule": rule, "line": len(self.lines), "suppressed": suppressed})

    def note(self, kind: str, detail: str, line: int | None = None) -> None:
        """A planted ambiguity: recorded with `line` (default: the line just added)."""
        self.notes.append({"kind": kind, "line": line or len(self.lines), "detail": detail})

    def extend(self, other: Doc) -> None:
        base = len(self.lines)
        self.lines.extend(other.lines)
        self.expect.extend({**e, "line": e["line"] + base} for e in other.expect)
        self.notes.extend({**n, "line": n["line"] + base} for n in other.notes)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def sha40(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def pick(rng: random.Random, weighted: list[tuple[object, float]]):
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


WORDS_A = [
    "payments",
    "checkout",
    "billing",
    "ledger",
    "search",
    "catalog",
    "inventory",
    "auth",
    "identity",
    "notify",
    "mailer",
    "reports",
    "analytics",
    "gateway",
    "orders",
    "profile",
    "media",
    "upload",
    "scheduler",
    "audit",
    "pricing",
    "quotes",
    "claims",
    "fraud",
    "risk",
    "onboarding",
    "kyc",
    "wallet",
    "loyalty",
    "support",
    "chat",
    "docs",
    "metrics",
    "events",
    "stream",
    "export",
    "import",
    "sync",
    "webhooks",
    "admin",
]
WORDS_B = [
    "api",
    "web",
    "worker",
    "service",
    "svc",
    "backend",
    "frontend",
    "consumer",
    "processor",
    "engine",
    "portal",
    "cron",
    "agent",
    "proxy",
    "ui",
]
LANGS = ["node", "python", "go", "java", "rust", "ruby", "dotnet"]
REGISTRIES = [
    "ghcr.io/acme",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    "registry.acme.io",
    "europe-west1-docker.pkg.dev/acme-prod/apps",
    "docker.io/acme",
]


def app_name(rng: random.Random) -> str:
    return f"{rng.choice(WORDS_A)}-{rng.choice(WORDS_B)}"


# --------------------------------------------------------------------------- workflows

TRUSTED = [
    ("actions/checkout", ["v4", "v4", "v3", "v4.1.1"]),
    ("actions/setup-node", ["v4", "v3"]),
    ("actions/setup-python", ["v5", "v4"]),
    ("actions/setup-go", ["v5"]),
    ("actions/setup-java", ["v4"]),
    ("actions/cache", ["v4", "v3"]),
    ("actions/cache/restore", ["v4"]),
    ("actions/upload-artifact", ["v4", "v3"]),
    ("actions/download-artifact", ["v4"]),
    ("github/codeql-action/init", ["v3"]),
    ("github/codeql-action/analyze", ["v3"]),
    ("github/codeql-action/upload-sarif", ["v3"]),
]
THIRD_PARTY = [
    "docker/setup-buildx-action",
    "docker/login-action",
    "docker/build-push-action",
    "docker/metadata-action",
    "docker/setup-qemu-action",
    "azure/setup-kubectl",
    "azure/setup-helm",
    "aws-actions/configure-aws-credentials",
    "aws-actions/amazon-ecr-login",
    "google-github-actions/auth",
    "google-github-actions/setup-gcloud",
    "hashicorp/setup-terraform",
    "codecov/codecov-action",
    "golangci/golangci-lint-action",
    "softprops/action-gh-release",
    "peter-evans/create-pull-request",
    "tj-actions/changed-files",
    "dorny/paths-filter",
    "pnpm/action-setup",
    "aquasecurity/trivy-action",
    "slackapi/slack-github-action",
    "actions-rs/toolchain",
    "ruby/setup-ruby",
    "gradle/actions/setup-gradle",
    "sigstore/cosign-installer",
    "anchore/sbom-action",
    "reviewdog/action-shellcheck",
]
SAFE_EXPR = [
    "${{ github.sha }}",
    "${{ github.run_number }}",
    "${{ github.ref_name }}",
    "${{ github.event.pull_request.number }}",
    "${{ github.repository }}",
    "${{ github.event.pull_request.head.sha }}",
    "${{ env.IMAGE }}",
    "${{ steps.meta.outputs.version }}",
    "${{ secrets.SLACK_WEBHOOK }}",
    "${{ github.run_id }}",
    "${{ github.actor }}",
]
DANGEROUS = {
    "issue": ["github.event.issue.title", "github.event.issue.body"],
    "comment": ["github.event.comment.body", "github.event.issue.title"],
    "pr": [
        "github.event.pull_request.title",
        "github.event.pull_request.body",
        "github.head_ref",
        "github.event.pull_request.head.ref",
    ],
    "push": ["github.event.head_commit.message", "github.event.head_commit.author.name"],
}


class WF:
    """State of one workflow being written."""

    def __init__(self, rng: random.Random, repo: str, lang: str) -> None:
        self.rng = rng
        self.repo = repo
        self.lang = lang
        self.si = rng.choice([6, 6, 6, 4])  # indent of "- " of steps (both styles are common)
        self.doc = Doc()
        self.string_inputs: list[str] = []
        self.choice_inputs: list[str] = []
        self.events: set[str] = set()
        self.suppress_rate = 0.04
        self.build_job: str | None = None

    # -- steps
    def uses(
        self,
        action: str,
        ref_kind: str | None = None,
        name: str | None = None,
        with_: dict[str, str] | None = None,
        indent: int | None = None,
    ) -> None:
        rng, d = self.rng, self.doc
        si = self.si if indent is None else indent
        pad, body = " " * si, " " * (si + 2)
        trusted = dict(TRUSTED)
        if action in trusted:
            ref, bad = rng.choice(trusted[action]), False
        else:
            kind = ref_kind or pick(
                rng,
                [("sha", 0.45), ("tag", 0.38), ("branch", 0.07), ("short", 0.04), ("semver", 0.06)],
            )
            if kind == "sha":
                ref, bad = (
                    f"{sha40(rng)} # v{rng.randint(1, 6)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}",
                    False,
                )
            elif kind == "tag":
                ref, bad = f"v{rng.randint(1, 6)}", True
            elif kind == "branch":
                ref, bad = rng.choice(["main", "master"]), True
            elif kind == "short":
                ref, bad = sha40(rng)[:7], True
            else:
                ref, bad = f"v{rng.randint(1, 6)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}", True
        quote = rng.random() < 0.08 and "#" not in ref
        value = f"{action}@{ref}"
        if quote:
            value = f"'{value}'"
        tags, suppressed = (["GHA003"] if bad else []), False
        if bad and rng.random() < self.suppress_rate:
            if rng.random() < 0.7:
                value += "  # soc2lint: ignore[GHA003] vendor action reviewed in SEC-" + str(
                    rng.randint(100, 999)
                )
                suppressed = True
            else:
                value += "  # soc2lint: ignore[GHA003]"
                tags.append("SL002")
        if name or rng.random() < 0.5:
            d.add(f"{pad}- name: {name or 'Run ' + action.split('/')[-1]}")
            d.add(f"{body}uses: {value}", *tags[:1], suppressed=suppressed)
        else:
            d.add(f"{pad}- uses: {value}", *tags[:1], suppressed=suppressed)
        if len(tags) > 1:
            d.expect.append({"rule": tags[1], "line": len(d.lines), "suppressed": False})
        if with_:
            d.add(f"{body}with:")
            for k, v in with_.items():
                for i, part in enumerate(f"{k}: {v}".split("\n")):  # block values: one line each
                    d.add(f"{body}  {part}" if i == 0 else part)

    def run(
        self,
        name: str | None,
        script: list[str | tuple[str, str]],
        env: dict[str, str] | None = None,
        if_: str | None = None,
        shell: str | None = None,
        step_id: str | None = None,
    ) -> None:
        """A run step. Script items are plain lines or (line, rule) for a line expected to be flagged."""
        rng, d = self.rng, self.doc
        pad, body = " " * self.si, " " * (self.si + 2)
        first = True

        def key(line: str) -> str:
            nonlocal first
            out = (pad + "- " if first else body) + line
            first = False
            return out

        if name:
            d.add(key(f"name: {name}"))
        if step_id:
            d.add(key(f"id: {step_id}"))
        if if_:
            d.add(key(f"if: {if_}"))
        if env:
            d.add(key("env:"))
            for k, v in env.items():
                d.add(f"{body}  {k}: {v}")
        if shell:
            d.add(key(f"shell: {shell}"))
        plain = [s if isinstance(s, str) else s[0] for s in script]
        if (
            len(script) == 1
            and rng.random() < 0.7
            and ": " not in plain[0]
            and " #" not in plain[0]
            and not plain[0].startswith(("'", '"', "*", "&", "!", "[", "{", "%", "@", "`", "-"))
        ):
            item = script[0]
            d.add(key(f"run: {plain[0]}"), *([] if isinstance(item, str) else [item[1]]))
            return
        d.add(key("run: |"))
        for item in script:
            if isinstance(item, str):
                d.add(f"{body}  {item}" if item else "")
            else:
                d.add(f"{body}  {item[0]}", item[1])

    # -- job scaffolding
    def job_header(
        self,
        job_id: str,
        name: str | None = None,
        runs_on: str | None = None,
        needs: list[str] | None = None,
        if_: str | None = None,
    ) -> None:
        d = self.doc
        d.add(f"  {job_id}:")
        if name:
            d.add(f"    name: {name}")
        if needs:
            d.add(
                f"    needs: [{', '.join(needs)}]" if len(needs) > 1 else f"    needs: {needs[0]}"
            )
        if if_:
            d.add(f"    if: {if_}")
        d.add(
            f"    runs-on: {runs_on or self.rng.choice(['ubuntu-latest', 'ubuntu-latest', 'ubuntu-22.04', 'ubuntu-24.04'])}"
        )

    def timeout(self) -> None:
        if self.rng.random() < 0.4:
            self.doc.add(f"    timeout-minutes: {self.rng.choice([10, 15, 20, 30, 45, 60])}")

    def job_permissions(self, write_all_rate: float = 0.03) -> None:
        rng, d = self.rng, self.doc
        r = rng.random()
        if r < write_all_rate:
            d.add("    permissions: write-all", "GHA002")
        elif r < 0.35:
            d.add("    permissions:")
            for scope in rng.sample(
                [
                    "contents: read",
                    "packages: write",
                    "id-token: write",
                    "pull-requests: write",
                    "checks: write",
                    "issues: write",
                    "security-events: write",
                    "actions: read",
                ],
                rng.randint(1, 3),
            ):
                d.add(f"      {scope}")

    def steps_key(self) -> None:
        self.doc.add("    steps:")

    def setup_lang(self) -> None:
        rng, lang = self.rng, self.lang
        if lang == "node":
            self.uses(
                "actions/setup-node",
                with_={
                    "node-version": "${{ matrix.node }}" if rng.random() < 0.5 else "20",
                    "cache": "npm",
                },
            )
        elif lang == "python":
            self.uses(
                "actions/setup-python",
                with_={
                    "python-version": "'${{ matrix.python }}'" if rng.random() < 0.5 else "'3.12'",
                    "cache": "pip",
                },
            )
        elif lang == "go":
            self.uses("actions/setup-go", with_={"go-version-file": "go.mod"})
        elif lang == "java":
            self.uses(
                "actions/setup-java",
                with_={"distribution": "temurin", "java-version": "21", "cache": "gradle"},
            )
        elif lang == "rust":
            self.uses("actions-rs/toolchain", with_={"toolchain": "stable", "override": "true"})
        elif lang == "ruby":
            self.uses("ruby/setup-ruby", with_={"ruby-version": "'3.3'", "bundler-cache": "true"})
        else:
            self.run("Setup .NET", ["dotnet --info"])

    def build_cmds(self) -> list[str]:
        return {
            "node": ["npm ci", "npm run build --if-present"],
            "python": [
                "python -m pip install --upgrade pip",
                "pip install -r requirements.txt",
                "pip install -e .",
            ],
            "go": ["go mod download", "go build ./..."],
            "java": ["./gradlew --no-daemon assemble"],
            "rust": ["cargo build --locked --release"],
            "ruby": ["bundle exec rake assets:precompile"],
            "dotnet": ["dotnet restore", "dotnet build --no-restore -c Release"],
        }[self.lang]

    def test_cmds(self) -> list[str]:
        return {
            "node": ["npm ci", "npm test -- --ci --reporters=default --reporters=jest-junit"],
            "python": [
                "pip install -r requirements-dev.txt",
                "pytest -q --junitxml=report.xml --cov=src",
            ],
            "go": ["go vet ./...", "go test -race -coverprofile=coverage.out ./..."],
            "java": ["./gradlew --no-daemon test jacocoTestReport"],
            "rust": ["cargo test --all-features --locked"],
            "ruby": ["bin/rails db:setup", "bundle exec rspec --format progress"],
            "dotnet": ["dotnet test --no-build --verbosity normal"],
        }[self.lang]

    # -- jobs
    def job_lint(self) -> None:
        rng = self.rng
        self.job_header(
            rng.choice(["lint", "static-checks", "style"]), name=rng.choice([None, "Lint"])
        )
        self.timeout()
        self.steps_key()
        self.uses("actions/checkout")
        self.setup_lang()
        if self.lang == "go" and rng.random() < 0.7:
            self.uses(
                "golangci/golangci-lint-action", with_={"version": "v1.59", "args": "--timeout=5m"}
            )
        else:
            cmd = {
                "node": ["npm ci", "npm run lint", "npx prettier --check ."],
                "python": [
                    "pip install ruff mypy",
                    "ruff check .",
                    "ruff format --check .",
                    "mypy src",
                ],
                "go": ["gofmt -l . | tee /dev/stderr | (! read)", "go vet ./..."],
                "java": ["./gradlew --no-daemon spotlessCheck"],
                "rust": ["cargo fmt --all -- --check", "cargo clippy -- -D warnings"],
                "ruby": ["bundle exec rubocop --parallel"],
                "dotnet": ["dotnet format --verify-no-changes"],
            }[self.lang]
            self.run(rng.choice(["Lint", "Run linters", None]), cmd)
        if rng.random() < 0.3:
            self.uses("reviewdog/action-shellcheck", with_={"reporter": "github-pr-review"})

    def job_test(self) -> None:
        rng, d = self.rng, self.doc
        self.job_header(
            rng.choice(["test", "unit-tests", "tests", "check"]),
            runs_on="${{ matrix.os }}",
            needs=["lint"] if rng.random() < 0.2 and "  lint:" in d.lines else None,
        )
        self.timeout()
        d.add("    strategy:")
        d.add(f"      fail-fast: {rng.choice(['false', 'true'])}")
        d.add("      matrix:")
        d.add(
            "        os: [ubuntu-latest"
            + rng.choice(["]", ", macos-latest]", ", windows-latest, macos-latest]"])
        )
        versions = {
            "node": ("node", "[18, 20, 22]"),
            "python": ("python", "['3.10', '3.11', '3.12']"),
            "go": ("go", "['1.21', '1.22']"),
            "java": ("java", "[17, 21]"),
            "rust": ("rust", "[stable, beta]"),
            "ruby": ("ruby", "['3.2', '3.3']"),
            "dotnet": ("dotnet", "['8.0.x']"),
        }[self.lang]
        d.add(f"        {versions[0]}: {versions[1]}")
        if rng.random() < 0.4:
            d.add("        include:")
            d.add("          - os: ubuntu-latest")
            d.add(f"            {versions[0]}: {versions[1].strip('[]').split(', ')[-1]}")
            d.add("            coverage: true")
        if rng.random() < 0.3:
            d.add("        exclude:")
            d.add("          - os: windows-latest")
            d.add(f"            {versions[0]}: {versions[1].strip('[]').split(', ')[0]}")
        if rng.random() < 0.35:
            d.add("    services:")
            d.add("      postgres:")
            d.add(f"        image: postgres:{rng.choice([14, 15, 16])}")
            d.add("        env:")
            d.add("          POSTGRES_PASSWORD: postgres")
            d.add("          POSTGRES_DB: test")
            d.add("        ports: ['5432:5432']")
            d.add("        options: >-")
            d.add("          --health-cmd pg_isready --health-interval 10s")
            d.add("          --health-timeout 5s --health-retries 5")
        if rng.random() < 0.5:
            d.add("    env:")
            d.add("      CI: true")
            d.add("      DATABASE_URL: postgres://postgres:postgres@localhost:5432/test")
        self.steps_key()
        self.uses("actions/checkout", with_={"fetch-depth": "0"} if rng.random() < 0.3 else None)
        self.setup_lang()
        if rng.random() < 0.5:
            self.uses(
                "actions/cache",
                name="Cache dependencies",
                with_={
                    "path": "~/.cache",
                    "key": "${{ runner.os }}-deps-${{ hashFiles('**/*.lock') }}",
                    "restore-keys": "${{ runner.os }}-deps-",
                },
            )
        self.run(rng.choice(["Test", "Run tests", "Unit tests"]), self.test_cmds())
        if rng.random() < 0.5:
            self.uses(
                "codecov/codecov-action",
                with_={"token": "${{ secrets.CODECOV_TOKEN }}", "fail_ci_if_error": "false"},
            )
        if rng.random() < 0.5:
            self.uses(
                "actions/upload-artifact",
                name="Upload test results",
                with_={
                    "name": "test-results-${{ matrix.os }}",
                    "path": "report.xml",
                    "retention-days": "7",
                },
            )

    def job_build_image(self) -> None:
        rng, d = self.rng, self.doc
        self.build_job = rng.choice(["build", "docker", "image", "build-image"])
        self.job_header(self.build_job)
        self.timeout()
        if rng.random() < 0.6:
            d.add("    permissions:")
            d.add("      contents: read")
            d.add("      packages: write")
            if rng.random() < 0.5:
                d.add("      id-token: write")
        else:
            self.job_permissions()
        d.add("    outputs:")
        d.add("      digest: ${{ steps.push.outputs.digest }}")
        d.add("      version: ${{ steps.meta.outputs.version }}")
        self.steps_key()
        self.uses("actions/checkout")
        self.uses("docker/setup-qemu-action")
        self.uses("docker/setup-buildx-action", name="Set up Docker Buildx")
        self.uses(
            "docker/login-action",
            name="Log in to the registry",
            with_={
                "registry": "ghcr.io",
                "username": "${{ github.actor }}",
                "password": "${{ secrets.GITHUB_TOKEN }}",
            },
        )
        d.add(" " * self.si + "- name: Extract metadata")
        d.add(" " * (self.si + 2) + "id: meta")
        ref = f"{sha40(rng)} # v5.5.1" if rng.random() < 0.5 else "v5"
        d.add(
            " " * (self.si + 2) + f"uses: docker/metadata-action@{ref}",
            *([] if "#" in ref else ["GHA003"]),
        )
        d.add(" " * (self.si + 2) + "with:")
        d.add(" " * (self.si + 4) + "images: ghcr.io/${{ github.repository }}")
        d.add(" " * (self.si + 4) + "tags: |")
        d.add(" " * (self.si + 6) + "type=ref,event=branch")
        d.add(" " * (self.si + 6) + "type=sha,format=long")
        d.add(" " * (self.si + 6) + "type=semver,pattern={{version}}")
        d.add(" " * self.si + "- name: Build and push")
        d.add(" " * (self.si + 2) + "id: push")
        ref = f"{sha40(rng)} # v6.9.0" if rng.random() < 0.5 else "v6"
        d.add(
            " " * (self.si + 2) + f"uses: docker/build-push-action@{ref}",
            *([] if "#" in ref else ["GHA003"]),
        )
        d.add(" " * (self.si + 2) + "with:")
        d.add(" " * (self.si + 4) + "context: .")
        d.add(" " * (self.si + 4) + "platforms: linux/amd64,linux/arm64")
        d.add(" " * (self.si + 4) + "push: ${{ github.event_name != 'pull_request' }}")
        d.add(" " * (self.si + 4) + "tags: ${{ steps.meta.outputs.tags }}")
        d.add(" " * (self.si + 4) + "cache-from: type=gha")
        d.add(" " * (self.si + 4) + "cache-to: type=gha,mode=max")
        if rng.random() < 0.4:
            self.uses(
                "aquasecurity/trivy-action",
                name="Scan image",
                with_={
                    "image-ref": "ghcr.io/${{ github.repository }}@${{ steps.push.outputs.digest }}",
                    "format": "sarif",
                    "output": "trivy.sarif",
                    "severity": "CRITICAL,HIGH",
                },
            )
            self.uses("github/codeql-action/upload-sarif", with_={"sarif_file": "trivy.sarif"})
        if rng.random() < 0.3:
            self.run(
                "Sign image",
                ['cosign sign --yes "ghcr.io/${{ github.repository }}@${DIGEST}"'],
                env={"DIGEST": "${{ steps.push.outputs.digest }}"},
            )

    def job_deploy(self, env_name: str) -> None:
        """A deployment job; with or without an `environment:` (GHA001 expected when without)."""
        rng, d = self.rng, self.doc
        job_id = rng.choice(
            [f"deploy-{env_name}", "deploy", f"{env_name}-deploy", f"rollout-{env_name}"]
        )
        if f"  {job_id}:" in d.lines:
            job_id += f"-{rng.randint(2, 99)}"
        has_env = rng.random() < 0.55
        d.add(f"  {job_id}:", *([] if has_env else ["GHA001"]))
        if rng.random() < 0.5:
            d.add(f"    name: Deploy to {env_name}")
        if self.build_job and f"  {self.build_job}:" in d.lines:
            d.add(f"    needs: {self.build_job}")
        if rng.random() < 0.6:
            d.add("    if: github.ref == 'refs/heads/main' && github.event_name == 'push'")
        d.add("    runs-on: ubuntu-latest")
        if has_env:
            if rng.random() < 0.5:
                d.add(f"    environment: {env_name}")
            else:
                d.add("    environment:")
                d.add(f"      name: {env_name}")
                d.add(f"      url: https://{env_name}.{self.repo}.acme.io")
        if rng.random() < 0.4:
            d.add("    concurrency:")
            d.add(f"      group: deploy-{env_name}")
            d.add("      cancel-in-progress: false")
        self.job_permissions(write_all_rate=0.08)
        d.add("    env:")
        d.add(f"      CLUSTER: {env_name}-{rng.choice(['eu', 'us', 'ap'])}-1")
        d.add(f"      NAMESPACE: {self.repo}")
        self.steps_key()
        self.uses("actions/checkout")
        cloud = rng.choice(["aws", "gcp", "azure"])
        if cloud == "aws":
            self.uses(
                "aws-actions/configure-aws-credentials",
                with_={
                    "role-to-assume": "arn:aws:iam::123456789012:role/gha-deploy",
                    "aws-region": "us-east-1",
                },
            )
            self.run(
                "Kubeconfig", ['aws eks update-kubeconfig --name "$CLUSTER" --region us-east-1']
            )
        elif cloud == "gcp":
            self.uses(
                "google-github-actions/auth",
                with_={
                    "workload_identity_provider": "${{ secrets.WIF_PROVIDER }}",
                    "service_account": "deployer@acme-prod.iam.gserviceaccount.com",
                },
            )
            self.uses("google-github-actions/setup-gcloud")
            self.run(
                "Get credentials",
                [
                    "gcloud components install gke-gcloud-auth-plugin --quiet",
                    'gcloud container clusters get-credentials "$CLUSTER" --region europe-west1',
                ],
            )
        else:
            self.uses("azure/setup-kubectl", with_={"version": "v1.30.2"})
            self.run(
                "Kubeconfig",
                [
                    'echo "${{ secrets.KUBECONFIG_B64 }}" | base64 -d > "$RUNNER_TEMP/kubeconfig"',
                    'echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"',
                ],
            )
        tool = rng.choice(["kubectl", "helm", "helm", "azure"])
        if tool == "kubectl":
            self.run(
                "Apply manifests",
                [
                    'kubectl config set-context --current --namespace "$NAMESPACE"',
                    f"kubectl apply -k k8s/overlays/{env_name}",
                    f"kubectl set image deployment/{self.repo} app={rng.choice(REGISTRIES)}/{self.repo}:${{{{ github.sha }}}}",
                    f"kubectl rollout status deployment/{self.repo} --timeout=300s",
                ],
            )
        elif tool == "helm":
            self.uses("azure/setup-helm", with_={"version": "v3.15.2"})
            self.run(
                "Helm upgrade",
                [
                    f"helm upgrade --install {self.repo} ./charts/{self.repo} \\",
                    '  --namespace "$NAMESPACE" --create-namespace \\',
                    f"  --values ./charts/{self.repo}/values-{env_name}.yaml \\",
                    "  --set image.tag=${{ github.sha }} \\",
                    "  --atomic --wait --timeout 10m",
                ],
            )
        else:
            self.uses("azure/setup-kubectl", with_={"version": "v1.30.2"})
            self.uses(
                "azure/k8s-deploy",
                ref_kind=rng.choice(["sha", "tag"]),
                with_={
                    "namespace": "${{ env.NAMESPACE }}",
                    "manifests": "|\n"
                    + " " * (self.si + 6)
                    + "k8s/deployment.yaml\n"
                    + " " * (self.si + 6)
                    + "k8s/service.yaml",
                    "images": f"{rng.choice(REGISTRIES)}/{self.repo}:${{{{ github.sha }}}}",
                },
            )
        if rng.random() < 0.35:
            # Realistic and dangerous: the commit message is expanded straight into the script.
            self.run(
                "Annotate deploy",
                [
                    (
                        "kubectl annotate deployment/"
                        + self.repo
                        + ' kubernetes.io/change-cause="${{ github.event.head_commit.message }}" --overwrite',
                        "GHA004",
                    ),
                ],
            )
        if rng.random() < 0.25:
            self.uses(
                "slackapi/slack-github-action",
                name="Notify",
                with_={"payload": '\'{"text": "Deployed ${{ github.sha }} to ' + env_name + "\"}'"},
            )
        elif rng.random() < 0.33:
            self.run(
                "Notify",
                [
                    'curl -fsS -X POST -H "Content-Type: application/json" \\',
                    f'  -d "{{\\"text\\": \\"{self.repo} deployed to {env_name}: ${{{{ github.sha }}}}\\"}}" \\',
                    '  "$SLACK_WEBHOOK"',
                ],
                env={"SLACK_WEBHOOK": "${{ secrets.SLACK_WEBHOOK }}"},
                if_="success()",
            )

    def job_validate(self) -> None:
        """Not a deployment: renders and dry-runs manifests. Planted ambiguity for GHA001."""
        rng, d = self.rng, self.doc
        job_line = len(d.lines) + 1  # the job id line
        self.job_header(rng.choice(["validate-manifests", "k8s-validate", "manifests"]))
        self.steps_key()
        self.uses("actions/checkout")
        if rng.random() < 0.5:
            self.run(
                "Server-side dry run", ["kubectl apply --dry-run=server -k k8s/overlays/staging"]
            )
            d.note(
                "dry-run-not-deploy",
                "kubectl apply --dry-run in a job that never deploys",
                job_line,
            )
        else:
            self.run(
                "Render chart",
                [
                    f"helm template {self.repo} ./charts/{self.repo} > rendered.yaml",
                    "kubeconform -strict -summary rendered.yaml",
                ],
            )

    def job_triage(self) -> None:
        """issues / comment / pull_request_target automation with expressions in scripts."""
        rng, d = self.rng, self.doc
        ev = rng.choice([e for e in ("issue", "comment", "pr") if e in self.events] or ["pr"])
        self.job_header(rng.choice(["triage", "label", "greet", "auto-label", "welcome"]))
        d.add("    permissions:")
        d.add("      issues: write")
        d.add("      pull-requests: write")
        self.steps_key()
        danger = DANGEROUS[ev]
        ctx = rng.choice(danger)
        if rng.random() < 0.55:  # unsafe: expanded into the script
            self.run(
                "Classify",
                [
                    "set -euo pipefail",
                    (f'TITLE="${{{{ {ctx} }}}}"', "GHA004"),
                    'if echo "$TITLE" | grep -qiE "bug|crash|error"; then',
                    '  gh issue edit "$NUMBER" --add-label bug',
                    "fi",
                ],
                env={
                    "GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
                    "NUMBER": "${{ github.event.issue.number || github.event.pull_request.number }}",
                },
            )
        else:  # safe: passed through env
            self.run(
                "Classify",
                [
                    "set -euo pipefail",
                    'if echo "$TITLE" | grep -qiE "bug|crash|error"; then',
                    '  gh issue edit "$NUMBER" --add-label bug',
                    "fi",
                ],
                env={
                    "GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
                    "TITLE": f"${{{{ {ctx} }}}}",
                    "NUMBER": "${{ github.event.issue.number || github.event.pull_request.number }}",
                },
            )
        if rng.random() < 0.5:
            pad, body = " " * self.si, " " * (self.si + 2)
            ref = "v7"
            d.add(f"{pad}- uses: actions/github-script@{ref}")
            d.add(f"{body}with:")
            d.add(f"{body}  script: |")
            ctx2 = rng.choice(danger)
            if rng.random() < 0.5:
                d.add(f"{body}    const text = `${{{{ {ctx2} }}}}`;", "GHA004")
            else:
                d.add(
                    f"{body}    const text = context.payload.issue ? context.payload.issue.title : '';"
                )
            d.add(f"{body}    if (text.toLowerCase().includes('question')) {{")
            d.add(f"{body}      await github.rest.issues.addLabels({{")
            d.add(f"{body}        owner: context.repo.owner, repo: context.repo.repo,")
            d.add(f"{body}        issue_number: context.issue.number, labels: ['question'],")
            d.add(f"{body}      }});")
            d.add(f"{body}    }}")
        if ev == "pr" and rng.random() < 0.5:
            # An expression in `with:` of a normal action is not a script: not expected.
            self.uses(
                "actions/upload-artifact",
                with_={
                    "name": "pr-${{ github.event.pull_request.number }}-${{ github.head_ref }}",
                    "path": "out/",
                },
            )

    def job_dispatch_task(self) -> None:
        """Uses workflow_dispatch inputs in a script (string inputs are reported, choice ones not)."""
        rng = self.rng
        self.job_header(rng.choice(["run-task", "maintenance", "ops"]))
        self.steps_key()
        self.uses("actions/checkout")
        script: list[str | tuple[str, str]] = ["set -euo pipefail"]
        for name in self.string_inputs:
            script.append((f'echo "{name}=${{{{ inputs.{name} }}}}"', "GHA004"))
        for name in self.choice_inputs:
            script.append(f'./scripts/run.sh --target "${{{{ inputs.{name} }}}}"')
        script.append("./scripts/run.sh --dry-run=false")
        self.run("Run", script)

    def job_docs(self) -> None:
        rng = self.rng
        self.job_header(rng.choice(["docs", "site", "pages"]))
        self.steps_key()
        self.uses("actions/checkout")
        self.uses("actions/setup-python", with_={"python-version": "'3.12'"})
        self.run("Build docs", ["pip install mkdocs-material", "mkdocs build --strict"])
        self.uses("actions/upload-artifact", with_={"name": "site", "path": "site/"})

    def job_codeql(self) -> None:
        _rng, d = self.rng, self.doc
        self.job_header("analyze", name="CodeQL")
        d.add("    permissions:")
        d.add("      security-events: write")
        d.add("      contents: read")
        self.steps_key()
        self.uses("actions/checkout")
        self.uses(
            "github/codeql-action/init",
            with_={
                "languages": {"node": "javascript", "dotnet": "csharp"}.get(self.lang, self.lang)
            },
        )
        self.uses("github/codeql-action/analyze")

    def job_reusable(self) -> None:
        """A job that calls a reusable workflow (remote: GHA003 unless SHA-pinned; local: nothing)."""
        rng, d = self.rng, self.doc
        job_id = rng.choice(["call-security", "shared-ci", "compliance", "sbom"])
        d.add(f"  {job_id}:")
        if rng.random() < 0.5:
            d.add(f"    uses: ./.github/workflows/{self.repo}-reusable.yml")
        else:
            pinned = rng.random() < 0.4
            ref = sha40(rng) if pinned else rng.choice(["main", "v2"])
            d.add(
                f"    uses: acme/platform-workflows/.github/workflows/{job_id}.yml@{ref}",
                *([] if pinned else ["GHA003"]),
            )
        if rng.random() < 0.6:
            d.add("    with:")
            d.add(f"      service: {self.repo}")
        d.add("    secrets: inherit")

    def job_release_notes(self) -> None:
        """A tag-triggered GitHub release (a 'release' job: GHA001 applies by name)."""
        rng, d = self.rng, self.doc
        has_env = rng.random() < 0.3
        d.add("  release:", *([] if has_env else ["GHA001"]))
        d.add("    runs-on: ubuntu-latest")
        if has_env:
            d.add("    environment: release")
        d.add("    permissions:")
        d.add("      contents: write")
        self.steps_key()
        self.uses("actions/checkout", with_={"fetch-depth": "0"})
        self.run(
            "Changelog",
            [
                "git log --pretty=format:'- %s' \"$(git describe --tags --abbrev=0 HEAD^)\"..HEAD > CHANGELOG.md"
            ],
        )
        self.uses(
            "softprops/action-gh-release",
            with_={"body_path": "CHANGELOG.md", "generate_release_notes": "true"},
        )

    def job_push_note(self) -> None:
        """A push-triggered job that echoes the commit message (GHA004)."""
        rng = self.rng
        self.job_header(rng.choice(["changelog-check", "commit-check", "notify"]))
        self.steps_key()
        ctx = rng.choice(DANGEROUS["push"])
        self.run("Show commit", [(f'echo "Commit by ${{{{ {ctx} }}}}"', "GHA004"), "echo done"])


def gen_workflow(rng: random.Random, repo: str) -> tuple[str, Doc]:
    lang = rng.choice(LANGS)
    w = WF(rng, repo, lang)
    d = w.doc
    purpose = pick(
        rng,
        [
            ("ci", 0.34),
            ("deploy", 0.22),
            ("release", 0.08),
            ("triage", 0.1),
            ("docker", 0.1),
            ("nightly", 0.06),
            ("ops", 0.05),
            ("security", 0.05),
        ],
    )
    if rng.random() < 0.3:
        d.add(f"# {purpose.upper()} pipeline for {repo}.")
        d.add("# Owned by the platform team; see docs/ci.md before changing triggers.")
    d.add(f"name: {rng.choice([purpose.title(), purpose.upper(), f'{repo} {purpose}'])}")
    d.add("")
    d.add("on:")
    if purpose in ("ci", "docker", "security"):
        w.events.add("pr")
        w.events.add("push")
        d.add("  push:")
        d.add(f"    branches: [{rng.choice(['main', 'main, develop', 'main, release/**'])}]")
        if rng.random() < 0.4:
            d.add("    paths-ignore:")
            d.add("      - '**.md'")
            d.add("      - 'docs/**'")
        d.add("  pull_request:")
        if rng.random() < 0.6:
            d.add("    branches: [main]")
        else:
            d.add("    types: [opened, synchronize, reopened]")
        if purpose == "security":
            d.add("  schedule:")
            d.add(
                f"    - cron: '{rng.randint(0, 59)} {rng.randint(0, 23)} * * {rng.randint(0, 6)}'"
            )
    elif purpose == "deploy":
        w.events.add("push")
        d.add("  push:")
        d.add("    branches: [main]")
        d.add("  workflow_dispatch:")
        if rng.random() < 0.6:
            d.add("    inputs:")
            d.add("      environment:")
            d.add("        description: Target environment")
            d.add("        type: choice")
            d.add("        options: [staging, production]")
            d.add("        default: staging")
            w.choice_inputs.append("environment")
    elif purpose == "release":
        w.events.add("push")
        d.add("  push:")
        d.add("    tags: ['v*.*.*']")
    elif purpose == "triage":
        for ev, trig in rng.sample(
            [("issue", "issues"), ("comment", "issue_comment"), ("pr", "pull_request_target")],
            rng.randint(1, 3),
        ):
            w.events.add(ev)
            d.add(f"  {trig}:")
            d.add(f"    types: [{'opened, edited' if ev != 'comment' else 'created'}]")
    elif purpose == "nightly":
        d.add("  schedule:")
        d.add(f"    - cron: '{rng.randint(0, 59)} {rng.randint(0, 5)} * * *'")
        d.add("  workflow_dispatch:")
    else:  # ops
        d.add("  workflow_dispatch:")
        d.add("    inputs:")
        for name in rng.sample(["ticket", "reason", "target_version", "region"], rng.randint(1, 2)):
            d.add(f"      {name}:")
            d.add(f"        description: {name.replace('_', ' ').capitalize()}")
            d.add("        required: true")
            if rng.random() < 0.5:
                d.add("        type: string")
            w.string_inputs.append(name)
        d.add("      mode:")
        d.add("        type: choice")
        d.add("        options: [plan, apply]")
        w.choice_inputs.append("mode")
    d.add("")
    r = rng.random()
    if r < 0.03:
        d.add("permissions: write-all", "GHA002")
        d.add("")
    elif r < 0.08:
        d.add("permissions: read-all")
        d.add("")
    elif r < 0.5:
        d.add("permissions:")
        d.add("  contents: read")
        d.add("")
    if rng.random() < 0.4:
        d.add("concurrency:")
        d.add("  group: ${{ github.workflow }}-${{ github.head_ref || github.ref }}")
        d.add("  cancel-in-progress: true")
        d.add("")
    if rng.random() < 0.45:
        d.add("env:")
        d.add(f"  IMAGE: {rng.choice(REGISTRIES)}/{repo}")
        d.add(f"  {lang.upper()}_VERSION: '{rng.choice(['20', '3.12', '1.22', '21', 'stable'])}'")
        if rng.random() < 0.5:
            d.add("  FORCE_COLOR: 1")
        d.add("")
    if rng.random() < 0.2:
        d.add("defaults:")
        d.add("  run:")
        d.add("    shell: bash")
        d.add("")
    d.add("jobs:")

    # Core jobs of the purpose, then filler jobs until the drawn length (40-200 lines).
    target = int(min(200, max(40, rng.lognormvariate(4.45, 0.45))))
    core = {
        "ci": [w.job_lint, w.job_test],
        "deploy": [w.job_build_image, lambda: w.job_deploy("staging")],
        "release": [w.job_test, w.job_release_notes],
        "triage": [w.job_triage],
        "docker": [w.job_build_image],
        "nightly": [w.job_test, w.job_docs],
        "ops": [w.job_dispatch_task],
        "security": [w.job_codeql],
    }[purpose]
    fillers = [
        w.job_lint,
        w.job_lint,
        w.job_test,
        w.job_test,
        w.job_docs,
        w.job_codeql,
        w.job_reusable,
        w.job_build_image,
    ]
    if rng.random() < 0.2:  # manifest validation (sometimes a `kubectl apply --dry-run`)
        fillers.append(w.job_validate)
    if purpose == "deploy":
        fillers += [lambda: w.job_deploy("production"), lambda: w.job_deploy("production")]
    if "push" in w.events and purpose != "release":
        fillers.append(w.job_push_note)
    if purpose == "triage":
        fillers.append(w.job_triage)
    jobs: list = list(core)
    for job in jobs:
        before = len(d.lines)
        job()
        if len(d.lines) > before:
            d.add("")
    tries = 0
    while len(d.lines) <= target and tries < 30:
        tries += 1
        snapshot = (len(d.lines), len(d.expect), len(d.notes))
        used = {
            ln.strip()[:-1]
            for ln in d.lines
            if ln.startswith("  ") and not ln.startswith("   ") and ln.endswith(":")
        }
        rng.choice(fillers)()
        # Job ids must be unique; drop a job whose id repeats, or one that overshoots 200 lines.
        new_ids = [
            ln.strip()[:-1]
            for ln in d.lines[snapshot[0] :]
            if ln.startswith("  ") and not ln.startswith("   ") and ln.endswith(":")
        ]
        if any(j in used for j in new_ids) or (len(d.lines) > 200 and snapshot[0] >= 40):
            del d.lines[snapshot[0] :]
            del d.expect[snapshot[1] :]
            del d.notes[snapshot[2] :]
            continue
        d.add("")
    while d.lines and d.lines[-1] == "":
        d.lines.pop()
    return purpose, d


# --------------------------------------------------------------------------- kubernetes


class K8s:
    def __init__(self, rng: random.Random, app: str, ns: str) -> None:
        self.rng = rng
        self.app = app
        self.ns = ns

    def image(self) -> str:
        rng = self.rng
        reg = rng.choice(REGISTRIES)
        if rng.random() < 0.3:
            return (
                f"{reg}/{self.app}@sha256:{hashlib.sha256(str(rng.random()).encode()).hexdigest()}"
            )
        return (
            f"{reg}/{self.app}:{rng.choice(['1.4.2', '2024.06.1', 'v3.1.0', 'latest', '0.9.17'])}"
        )

    def metadata(self, d: Doc, kind: str, name: str, indent: int = 0, labels: bool = True) -> None:
        p = " " * indent
        d.add(f"{p}metadata:")
        d.add(f"{p}  name: {name}")
        if (
            kind not in ("Namespace", "ClusterRole", "ClusterRoleBinding")
            and self.rng.random() < 0.8
        ):
            d.add(f"{p}  namespace: {self.ns}")
        if labels:
            d.add(f"{p}  labels:")
            d.add(f"{p}    app.kubernetes.io/name: {self.app}")
            d.add(f"{p}    app.kubernetes.io/part-of: {self.ns}")
            if self.rng.random() < 0.5:
                d.add(f"{p}    app.kubernetes.io/managed-by: kustomize")
        if self.rng.random() < 0.3:
            d.add(f"{p}  annotations:")
            d.add(f"{p}    owner: team-{self.rng.choice(WORDS_A)}")
            d.add(
                f"{p}    soc2.acme.io/data-classification: {self.rng.choice(['internal', 'confidential', 'public'])}"
            )

    def container(
        self, d: Doc, indent: int, name: str, privileged_rate: float, init: bool = False
    ) -> None:
        rng = self.rng
        p = " " * indent
        d.add(f"{p}- name: {name}")
        q = p + "  "
        d.add(
            f"{q}image: {self.image() if not init else rng.choice(['busybox:1.36', 'alpine:3.20'])}"
        )
        if rng.random() < 0.6:
            d.add(f"{q}imagePullPolicy: {rng.choice(['IfNotPresent', 'Always'])}")
        if init:
            d.add(
                f'{q}command: ["sh", "-c", "{rng.choice(["sysctl -w vm.max_map_count=262144", "until nslookup db; do sleep 2; done", "chown -R 1000:1000 /data"])}"]'
            )
        else:
            if rng.random() < 0.5:
                d.add(f"{q}args:")
                for a in rng.sample(
                    [
                        "--port=8080",
                        "--log-level=info",
                        "--metrics",
                        "--config=/etc/app/config.yaml",
                        "--tracing",
                    ],
                    rng.randint(1, 4),
                ):
                    d.add(f"{q}  - {a}")
            d.add(f"{q}ports:")
            d.add(f"{q}  - name: http")
            d.add(f"{q}    containerPort: {rng.choice([8080, 3000, 8000, 9000])}")
            d.add(f"{q}    protocol: TCP")
            if rng.random() < 0.4:
                d.add(f"{q}  - name: metrics")
                d.add(f"{q}    containerPort: 9090")
            d.add(f"{q}env:")
            for i in range(rng.randint(2, 12)):
                kind = rng.random()
                var = (
                    rng.choice(
                        [
                            "LOG_LEVEL",
                            "PORT",
                            "DB_HOST",
                            "DB_USER",
                            "REDIS_URL",
                            "OTEL_EXPORTER_OTLP_ENDPOINT",
                            "FEATURE_FLAGS",
                            "REGION",
                            "ENVIRONMENT",
                            "QUEUE_NAME",
                            "SENTRY_DSN",
                            "TIMEOUT_MS",
                        ]
                    )
                    + f"_{i}"
                )
                if kind < 0.6:
                    d.add(f"{q}  - name: {var}")
                    d.add(
                        f'{q}    value: "{rng.choice(["info", "8080", "true", "eu-west-1", "production", "30000"])}"'
                    )
                elif kind < 0.85:
                    d.add(f"{q}  - name: {var}")
                    d.add(f"{q}    valueFrom:")
                    d.add(f"{q}      secretKeyRef:")
                    d.add(f"{q}        name: {self.app}-secrets")
                    d.add(f"{q}        key: {var.lower()}")
                else:
                    d.add(f"{q}  - name: {var}")
                    d.add(f"{q}    valueFrom:")
                    d.add(f"{q}      fieldRef:")
                    d.add(f"{q}        fieldPath: metadata.namespace")
            if rng.random() < 0.3:
                d.add(f"{q}envFrom:")
                d.add(f"{q}  - configMapRef:")
                d.add(f"{q}      name: {self.app}-config")
            d.add(f"{q}resources:")
            d.add(f"{q}  requests:")
            d.add(f"{q}    cpu: {rng.choice(['50m', '100m', '250m', '500m'])}")
            d.add(f"{q}    memory: {rng.choice(['64Mi', '128Mi', '256Mi', '512Mi'])}")
            if rng.random() < 0.7:
                d.add(f"{q}  limits:")
                d.add(f"{q}    memory: {rng.choice(['256Mi', '512Mi', '1Gi'])}")
            for probe in ("livenessProbe", "readinessProbe"):
                if rng.random() < 0.75:
                    d.add(f"{q}{probe}:")
                    d.add(f"{q}  httpGet:")
                    d.add(f"{q}    path: {'/healthz' if probe == 'livenessProbe' else '/ready'}")
                    d.add(f"{q}    port: http")
                    d.add(f"{q}  initialDelaySeconds: {rng.choice([5, 10, 15])}")
                    d.add(f"{q}  periodSeconds: {rng.choice([10, 20])}")
        r = rng.random()
        if r < privileged_rate:
            d.add(f"{q}securityContext:")
            if rng.random() < 0.5:
                d.add(f"{q}  runAsUser: 0")
            d.add(f"{q}  privileged: true", "KUB001")
        elif r < 0.55:
            d.add(f"{q}securityContext:")
            d.add(f"{q}  runAsNonRoot: true")
            d.add(f"{q}  allowPrivilegeEscalation: false")
            d.add(f"{q}  readOnlyRootFilesystem: true")
            if rng.random() < 0.3:
                d.add(f"{q}  privileged: false")
            d.add(f"{q}  capabilities:")
            d.add(f'{q}    drop: ["ALL"]')
        elif r < 0.7:
            d.add(f"{q}securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true}}")
        if not init and rng.random() < 0.6:
            d.add(f"{q}volumeMounts:")
            d.add(f"{q}  - name: config")
            d.add(f"{q}    mountPath: /etc/app")
            d.add(f"{q}    readOnly: true")
            if rng.random() < 0.4:
                d.add(f"{q}  - name: tmp")
                d.add(f"{q}    mountPath: /tmp")

    def pod_spec(
        self, d: Doc, indent: int, privileged_rate: float, restart: str | None = None
    ) -> None:
        rng = self.rng
        p = " " * indent
        if rng.random() < 0.7:
            d.add(f"{p}serviceAccountName: {self.app}")
        if restart:
            d.add(f"{p}restartPolicy: {restart}")
        if rng.random() < 0.4:
            d.add(f"{p}securityContext:")
            d.add(f"{p}  fsGroup: 1000")
            d.add(f"{p}  seccompProfile:")
            d.add(f"{p}    type: RuntimeDefault")
        if rng.random() < 0.25:
            d.add(f"{p}initContainers:")
            self.container(
                d,
                indent + 2,
                "init-" + rng.choice(["sysctl", "wait-db", "perms"]),
                privileged_rate * 2,
                init=True,
            )
        d.add(f"{p}containers:")
        for i in range(1 if rng.random() < 0.75 else 2):
            self.container(
                d,
                indent + 2,
                self.app
                if i == 0
                else rng.choice(["sidecar-proxy", "log-shipper", "cloud-sql-proxy"]),
                privileged_rate,
            )
        if rng.random() < 0.6:
            d.add(f"{p}volumes:")
            d.add(f"{p}  - name: config")
            d.add(f"{p}    configMap:")
            d.add(f"{p}      name: {self.app}-config")
            d.add(f"{p}  - name: tmp")
            d.add(f"{p}    emptyDir: {{}}")
        if rng.random() < 0.3:
            d.add(f"{p}nodeSelector:")
            d.add(f"{p}  kubernetes.io/os: linux")
        if rng.random() < 0.25:
            d.add(f"{p}tolerations:")
            d.add(f"{p}  - key: dedicated")
            d.add(f"{p}    operator: Equal")
            d.add(f"{p}    value: {self.ns}")
            d.add(f"{p}    effect: NoSchedule")
        if rng.random() < 0.3:
            d.add(f"{p}affinity:")
            d.add(f"{p}  podAntiAffinity:")
            d.add(f"{p}    preferredDuringSchedulingIgnoredDuringExecution:")
            d.add(f"{p}      - weight: 100")
            d.add(f"{p}        podAffinityTerm:")
            d.add(f"{p}          topologyKey: kubernetes.io/hostname")
            d.add(f"{p}          labelSelector:")
            d.add(f"{p}            matchLabels:")
            d.add(f"{p}              app.kubernetes.io/name: {self.app}")

    def workload(self, kind: str) -> Doc:
        rng = self.rng
        d = Doc()
        api = {
            "Deployment": "apps/v1",
            "StatefulSet": "apps/v1",
            "DaemonSet": "apps/v1",
            "Job": "batch/v1",
            "CronJob": "batch/v1",
            "Pod": "v1",
        }[kind]
        d.add(f"apiVersion: {api}")
        d.add(f"kind: {kind}")
        name = (
            self.app
            if kind != "CronJob"
            else f"{self.app}-{rng.choice(['cleanup', 'report', 'sync', 'backup'])}"
        )
        self.metadata(d, kind, name)
        d.add("spec:")
        priv = {"DaemonSet": 0.3, "Pod": 0.15}.get(kind, 0.06)
        if kind == "Pod":
            self.pod_spec(d, 2, priv)
            return d
        if kind == "CronJob":
            d.add(f'  schedule: "{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"')
            d.add("  concurrencyPolicy: Forbid")
            d.add("  successfulJobsHistoryLimit: 3")
            d.add("  jobTemplate:")
            d.add("    spec:")
            d.add(f"      backoffLimit: {rng.randint(0, 4)}")
            d.add("      template:")
            d.add("        metadata:")
            d.add("          labels:")
            d.add(f"            app.kubernetes.io/name: {self.app}")
            d.add("        spec:")
            self.pod_spec(d, 10, priv, restart="OnFailure")
            return d
        if kind == "Job":
            d.add(f"  backoffLimit: {rng.randint(0, 4)}")
            d.add("  ttlSecondsAfterFinished: 3600")
        if kind in ("Deployment", "StatefulSet"):
            d.add(f"  replicas: {rng.choice([1, 2, 3, 3, 5])}")
        if kind == "StatefulSet":
            d.add(f"  serviceName: {self.app}")
        if kind == "Deployment" and rng.random() < 0.5:
            d.add("  strategy:")
            d.add("    type: RollingUpdate")
            d.add("    rollingUpdate:")
            d.add("      maxUnavailable: 0")
            d.add("      maxSurge: 25%")
        if kind != "Job":
            d.add("  selector:")
            d.add("    matchLabels:")
            d.add(f"      app.kubernetes.io/name: {self.app}")
        d.add("  template:")
        d.add("    metadata:")
        d.add("      labels:")
        d.add(f"        app.kubernetes.io/name: {self.app}")
        if rng.random() < 0.4:
            d.add("      annotations:")
            d.add('        prometheus.io/scrape: "true"')
            d.add('        prometheus.io/port: "9090"')
        d.add("    spec:")
        self.pod_spec(d, 6, priv, restart="Never" if kind == "Job" else None)
        if kind == "StatefulSet":
            d.add("  volumeClaimTemplates:")
            d.add("    - metadata:")
            d.add("        name: data")
            d.add("      spec:")
            d.add('        accessModes: ["ReadWriteOnce"]')
            d.add("        resources:")
            d.add("          requests:")
            d.add(f"            storage: {rng.choice(['10Gi', '50Gi', '100Gi'])}")
        return d

    def simple(self, kind: str) -> Doc:
        rng = self.rng
        d = Doc()
        if kind == "Service":
            d.add("apiVersion: v1")
            d.add("kind: Service")
            self.metadata(d, kind, self.app)
            d.add("spec:")
            d.add(f"  type: {rng.choice(['ClusterIP', 'ClusterIP', 'LoadBalancer', 'NodePort'])}")
            d.add("  selector:")
            d.add(f"    app.kubernetes.io/name: {self.app}")
            d.add("  ports:")
            d.add("    - name: http")
            d.add("      port: 80")
            d.add("      targetPort: http")
        elif kind == "ConfigMap":
            d.add("apiVersion: v1")
            d.add("kind: ConfigMap")
            self.metadata(d, kind, f"{self.app}-config")
            d.add("data:")
            d.add(f"  LOG_LEVEL: {rng.choice(['info', 'debug', 'warn'])}")
            d.add("  config.yaml: |")
            d.add("    server:")
            d.add("      port: 8080")
            d.add(f"      timeout: {rng.randint(5, 60)}s")
            if rng.random() < 0.3:
                # YAML text inside a string: looks like a privileged container, is not one.
                d.add("    sandbox:")
                d.add("      privileged: true")
                d.note("string-not-manifest", "privileged: true inside a ConfigMap string")
            d.add("    features:")
            for f in rng.sample(["search", "export", "beta-ui", "audit-log", "sso"], 3):
                d.add(f"      {f}: {rng.choice(['true', 'false'])}")
        elif kind == "Ingress":
            d.add("apiVersion: networking.k8s.io/v1")
            d.add("kind: Ingress")
            self.metadata(d, kind, self.app)
            d.add("spec:")
            d.add("  ingressClassName: nginx")
            d.add("  tls:")
            d.add(f"    - hosts: [{self.app}.acme.io]")
            d.add(f"      secretName: {self.app}-tls")
            d.add("  rules:")
            d.add(f"    - host: {self.app}.acme.io")
            d.add("      http:")
            d.add("        paths:")
            d.add("          - path: /")
            d.add("            pathType: Prefix")
            d.add("            backend:")
            d.add("              service:")
            d.add(f"                name: {self.app}")
            d.add("                port:")
            d.add("                  name: http")
        elif kind == "HorizontalPodAutoscaler":
            d.add("apiVersion: autoscaling/v2")
            d.add("kind: HorizontalPodAutoscaler")
            self.metadata(d, kind, self.app)
            d.add("spec:")
            d.add("  scaleTargetRef:")
            d.add("    apiVersion: apps/v1")
            d.add("    kind: Deployment")
            d.add(f"    name: {self.app}")
            d.add(f"  minReplicas: {rng.randint(1, 3)}")
            d.add(f"  maxReplicas: {rng.randint(4, 20)}")
            d.add("  metrics:")
            d.add("    - type: Resource")
            d.add("      resource:")
            d.add("        name: cpu")
            d.add("        target:")
            d.add("          type: Utilization")
            d.add(f"          averageUtilization: {rng.choice([60, 70, 80])}")
        elif kind == "ServiceAccount":
            d.add("apiVersion: v1")
            d.add("kind: ServiceAccount")
            self.metadata(d, kind, self.app, labels=rng.random() < 0.5)
            if rng.random() < 0.5:
                d.add("automountServiceAccountToken: false")
        elif kind == "Role":
            d.add("apiVersion: rbac.authorization.k8s.io/v1")
            d.add("kind: Role")
            self.metadata(d, kind, self.app, labels=False)
            d.add("rules:")
            d.add('  - apiGroups: [""]')
            d.add('    resources: ["configmaps", "secrets"]')
            d.add('    verbs: ["get", "list", "watch"]')
        elif kind == "NetworkPolicy":
            d.add("apiVersion: networking.k8s.io/v1")
            d.add("kind: NetworkPolicy")
            self.metadata(d, kind, f"{self.app}-default-deny", labels=False)
            d.add("spec:")
            d.add("  podSelector:")
            d.add("    matchLabels:")
            d.add(f"      app.kubernetes.io/name: {self.app}")
            d.add("  policyTypes: [Ingress, Egress]")
            d.add("  ingress:")
            d.add("    - from:")
            d.add("        - namespaceSelector:")
            d.add("            matchLabels:")
            d.add("              kubernetes.io/metadata.name: ingress-nginx")
        elif kind == "PodDisruptionBudget":
            d.add("apiVersion: policy/v1")
            d.add("kind: PodDisruptionBudget")
            self.metadata(d, kind, self.app, labels=False)
            d.add("spec:")
            d.add("  minAvailable: 1")
            d.add("  selector:")
            d.add("    matchLabels:")
            d.add(f"      app.kubernetes.io/name: {self.app}")
        return d

    def kustomization(self, files: list[str]) -> Doc:
        d = Doc()
        d.add("apiVersion: kustomize.config.k8s.io/v1beta1")
        d.add("kind: Kustomization")
        d.add(f"namespace: {self.ns}")
        d.add("resources:")
        for f in files:
            d.add(f"  - {f}")
        d.add("images:")
        d.add(f"  - name: {self.app}")
        d.add(f'    newTag: "{self.rng.choice(["1.4.2", "2024.06.1"])}"')
        return d


WORKLOAD_KINDS = [
    ("Deployment", 0.55),
    ("StatefulSet", 0.1),
    ("DaemonSet", 0.07),
    ("CronJob", 0.18),
    ("Job", 0.06),
    ("Pod", 0.04),
]
SIMPLE_KINDS = [
    "Service",
    "ConfigMap",
    "Ingress",
    "HorizontalPodAutoscaler",
    "ServiceAccount",
    "Role",
    "NetworkPolicy",
    "PodDisruptionBudget",
]


def gen_manifest_app(rng: random.Random, app: str, budget: int) -> list[tuple[str, Doc]]:
    """Files of one app directory, `budget` of them at most (a kustomization.yaml among them)."""
    ns = rng.choice(WORDS_A)
    k = K8s(rng, app, ns)
    files: list[tuple[str, Doc]] = []
    names: set[str] = set()
    while len(files) < budget - (1 if budget > 2 else 0):
        style = rng.random()
        if style < 0.25 and budget - len(files) > 1:
            # A multi-document bundle: a workload plus 1-4 companions, `---` separated.
            d = Doc()
            if rng.random() < 0.4:
                d.add("---")
            if rng.random() < 0.3:
                d.add(f"# {app}: generated by make manifests; edit the sources instead.")
            parts = [k.workload(pick(rng, WORKLOAD_KINDS))] + [
                k.simple(s) for s in rng.sample(SIMPLE_KINDS, rng.randint(1, 4))
            ]
            for i, part in enumerate(parts):
                if i:
                    d.add("---")
                d.extend(part)
            if rng.random() < 0.2:
                d.add("---")  # trailing separator: an empty last document
            fname = "bundle.yaml" if "bundle.yaml" not in names else f"bundle-{len(files)}.yaml"
        elif style < 0.7:
            kind = pick(rng, WORKLOAD_KINDS)
            d = k.workload(kind)
            fname = f"{kind.lower()}.yaml"
        else:
            kind = rng.choice(SIMPLE_KINDS)
            d = k.simple(kind)
            fname = f"{kind.lower()}.yaml"
        if fname in names:
            stem, ext = fname.rsplit(".", 1)
            fname = f"{stem}-{len(files)}.{rng.choice(['yaml', 'yml'])}"
        names.add(fname)
        files.append((fname, d))
    if budget > 2:
        files.append(("kustomization.yaml", k.kustomization([f for f, _ in files])))
    return files


# --------------------------------------------------------------------------- main


def generate(out: Path, n_files: int, seed: int) -> dict:
    rng = random.Random(seed)
    n_wf = round(n_files * 0.6)
    n_k8s = n_files - n_wf
    expected: list[dict] = []
    notes: list[dict] = []
    written: list[tuple[str, str]] = []

    repos = []
    while len(repos) < max(1, n_wf // 3):
        name = f"{app_name(rng)}-{len(repos) + 1:04d}"
        repos.append(name)
    purposes: dict[str, int] = {}
    for i in range(n_wf):
        repo = repos[i % len(repos)]
        purpose, d = gen_workflow(rng, repo)
        purposes[purpose] = purposes.get(purpose, 0) + 1
        rel = (
            f".github/workflows/{repo}-{purpose}-{i:04d}.{'yml' if rng.random() < 0.8 else 'yaml'}"
        )
        written.append((rel, d.text()))
        expected.extend({**e, "path": rel} for e in d.expect)
        notes.extend({**nt, "path": rel} for nt in d.notes)

    made = 0
    app_no = 0
    while made < n_k8s:
        app_no += 1
        app = f"{app_name(rng)}-{app_no:03d}"
        budget = min(n_k8s - made, rng.randint(3, 9))
        for fname, d in gen_manifest_app(rng, app, budget):
            rel = f"k8s/{app}/{fname}"
            written.append((rel, d.text()))
            expected.extend({**e, "path": rel} for e in d.expect)
            notes.extend({**nt, "path": rel} for nt in d.notes)
            made += 1

    if out.exists():
        shutil.rmtree(out)
    total = 0
    for rel, text in written:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    lines = sum(t.count("\n") for _, t in written)
    wf_lines = [t.count("\n") for r, t in written if r.startswith(".github/")]
    summary = {
        "seed": seed,
        "files": len(written),
        "bytes": total,
        "lines": lines,
        "workflows": n_wf,
        "manifests": len(written) - n_wf,
        "workflow_lines_min": min(wf_lines, default=0),
        "workflow_lines_max": max(wf_lines, default=0),
        "workflow_lines_median": sorted(wf_lines)[len(wf_lines) // 2] if wf_lines else 0,
        "workflow_purposes": dict(sorted(purposes.items())),
        "expected": sorted(expected, key=lambda e: (e["path"], e["line"], e["rule"])),
        "planted_ambiguities": sorted(notes, key=lambda e: (e["path"], e["line"])),
    }
    Path(str(out) + ".expected.json").write_text(
        json.dumps(summary, indent=1) + "\n", encoding="utf-8"
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", "-n", type=int, default=2000, help="number of files (default 2000)")
    ap.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    ap.add_argument(
        "--out", type=Path, default=None, help="output directory (default bench/.work/corpus-N)"
    )
    args = ap.parse_args(argv)
    if args.files < 2:
        ap.error("--files must be at least 2")
    out = (args.out or BENCH / ".work" / f"corpus-{args.files}").resolve()
    s = generate(out, args.files, args.seed)
    counts: dict[str, int] = {}
    for e in s["expected"]:
        counts[e["rule"]] = counts.get(e["rule"], 0) + 1
    print(f"corpus: {out}")
    print(
        f"files: {s['files']} ({s['workflows']} workflows, {s['manifests']} Kubernetes manifests)"
    )
    print(f"total bytes: {s['bytes']} ({s['bytes'] / 1048576:.2f} MiB), lines: {s['lines']}")
    print(
        f"workflow lines: min {s['workflow_lines_min']}, median {s['workflow_lines_median']}, max {s['workflow_lines_max']}"
    )
    print("planted findings: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
