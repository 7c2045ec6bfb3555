#!/usr/bin/env python3
"""Generate a repository with 52 weekly evidence commits (deterministic): for `report --as-of`.

    python3 bench/asof_gen.py [--out DIR] [--weeks 52] [--prs-per-week 40] [--members 200]

DIR becomes a git repository (re-created) whose commits, one a week from Monday 2025-12-08 (the last 2026-11-30)
05:17 UTC, each add what the example evidence workflow (examples/ci/evidence.yml) would: the
GitHub settings of acme/shop from bench/gen_evidence.py (collaborators change a little every
week), a `gh pr list` export of every pull request merged so far (PRS_PER_WEEK more each
week), `.soc2/manifest.json` with the week's collection time and every file's sha256, a
rollback-drill record every quarter, and now and then a workflow change. Commit dates are
fixed, so the same arguments give the same commit ids. Measures nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
START = dt.datetime(2025, 12, 8, 5, 17, tzinfo=dt.timezone.utc)

CI = """\
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - run: make test{suffix}
"""


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def pull_request(number: int, merged: dt.datetime, rng: random.Random) -> dict[str, object]:
    created = merged - dt.timedelta(hours=rng.randint(2, 48))
    head = hashlib.sha1(f"head-{number}".encode()).hexdigest()
    author, reviewer = rng.sample(["alice", "bob", "carol", "dave", "erin"], 2)
    return {
        "number": number,
        "url": f"https://github.com/acme/shop/pull/{number}",
        "title": f"SHOP-{number}: change {number}" if number % 9 else f"tidy {number}",
        "body": "",
        "author": {"login": author},
        "mergedBy": {"login": author},
        "mergedAt": stamp(merged),
        "createdAt": stamp(created),
        "baseRefName": "main",
        "headRefName": f"topic-{number}",
        "headRefOid": head,
        "additions": rng.randint(1, 400),
        "deletions": rng.randint(0, 100),
        "labels": [],
        "reviews": [
            {
                "author": {"login": reviewer},
                "authorAssociation": "MEMBER",
                "state": "APPROVED",
                "submittedAt": stamp(merged - dt.timedelta(minutes=30)),
                "commit": {"oid": head},
                "body": "",
            }
        ],
        "statusCheckRollup": [
            {
                "__typename": "CheckRun",
                "name": "test",
                "status": "COMPLETED",
                "conclusion": "SUCCESS",
                "completedAt": stamp(merged - dt.timedelta(minutes=45)),
            }
        ],
        "commits": [
            {
                "oid": head,
                "messageHeadline": "work",
                "messageBody": "",
                "committedDate": stamp(created),
                "authors": [{"login": author}],
            }
        ],
        "closingIssuesReferences": [],
    }


def git(out: Path, *args: str, when: dt.datetime | None = None) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "soc2-evidence[bot]",
        "GIT_AUTHOR_EMAIL": "soc2-evidence@users.noreply.github.com",
        "GIT_COMMITTER_NAME": "soc2-evidence[bot]",
        "GIT_COMMITTER_EMAIL": "soc2-evidence@users.noreply.github.com",
    }
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{int(when.timestamp())} +0000"
    subprocess.run(["git", "-C", str(out), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=BENCH / ".work" / "asof-repo")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--prs-per-week", type=int, default=40)
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args(argv)
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(args.seed)
    git(out, "init", "-q", "-b", "main")
    settings = out / ".settings-tmp"
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "gen_evidence.py"),
            "--out",
            str(settings),
            "--members",
            str(args.members),
            "--collaborators",
            "60",
            "--rulesets",
            "5",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.copytree(settings / ".soc2", out / ".soc2")
    shutil.rmtree(settings)
    (out / "README.md").write_text("# shop\n", encoding="utf-8")
    workflows = out / ".github" / "workflows"
    workflows.mkdir(parents=True)
    prs: list[dict[str, object]] = []
    number = 0
    changes = out / ".soc2" / "github" / "acme" / "shop" / "changes"
    changes.mkdir(parents=True, exist_ok=True)
    collaborators = next((out / ".soc2").rglob("collaborators*.json"), None)
    for week in range(args.weeks):
        when = START + dt.timedelta(weeks=week)
        for _ in range(args.prs_per_week):
            number += 1
            merged = when - dt.timedelta(minutes=rng.randint(60, 7 * 24 * 60 - 60))
            prs.append(pull_request(number, merged, rng))
        (changes / "gh-pr-list.json").write_text(
            "[\n" + ",\n".join("  " + json.dumps(p) for p in prs) + "\n]\n", encoding="utf-8"
        )
        (workflows / "ci.yml").write_text(
            CI.format(suffix=f" # week {week // 13}"), encoding="utf-8"
        )
        if collaborators is not None:  # someone joins each week
            data = json.loads(collaborators.read_text(encoding="utf-8"))
            if isinstance(data, list) and data:
                extra = dict(data[0], login=f"week{week:02d}", id=900000 + week)
                collaborators.write_text(json.dumps([*data, extra], indent=2) + "\n")
        if week % 13 == 2:
            drill = when - dt.timedelta(days=1)
            (out / ".soc2" / "records" / "rollback-drills").mkdir(parents=True, exist_ok=True)
            (out / ".soc2" / "records" / "rollback-drills" / f"{drill:%Y-%m-%d}.yaml").write_text(
                f"date: {drill:%Y-%m-%d}\nrolled_back: shop-api v1.{week}.1 -> v1.{week}.0\n"
                f"run_url: https://github.com/acme/shop/actions/runs/{1000 + week}\n"
                "result: success\nwho: alice\n",
                encoding="utf-8",
            )
        files = []
        soc2 = out / ".soc2"
        for path in sorted(soc2.rglob("*")):
            if path.is_file() and path.name != "manifest.json" and "records" not in path.parts:
                rel = path.relative_to(soc2).as_posix()
                files.append(
                    {
                        "path": rel,
                        "status": 200,
                        "collected_at": stamp(when + dt.timedelta(seconds=len(files))),
                        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                        "evidence": True,
                    }
                )
        manifest = {"tool": "soc2lint", "collected_at": stamp(when), "files": files}
        (soc2 / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        git(out, "add", "-A")
        body = json.dumps({"collected_at": stamp(when), "files": len(files)})
        git(out, "commit", "-q", "-m", f"soc2 evidence {stamp(when)}", "-m", body, when=when)
    print(f"{out}: {args.weeks} weekly evidence commits, {number} pull requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
