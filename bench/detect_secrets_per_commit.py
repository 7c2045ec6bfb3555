#!/usr/bin/env python3
"""The naive way to scan a git history with detect-secrets: one patch per commit, scanned whole.

    bench/.work/detect-secrets-venv/bin/python bench/detect_secrets_per_commit.py REPO [--json OUT]

With GitPython, walks every commit of every ref (`repo.iter_commits("--all")`), asks git for the
commit's patch (`git show --format= -p`, one git process per commit, default 3 lines of context)
and hands it to detect-secrets' `scan_diff` (which parses it with unidiff and runs every plugin
and filter on the added lines), under `default_settings()` (all plugins, default filters) with the
`is_invalid_file` filter disabled (history paths need not exist in the work tree). No line is
remembered from one commit to the next: a line copied, moved or reverted is scanned again.

Merge commits: `git show` prints a combined diff for them, which unidiff cannot read; they are
skipped (`--merges skip`, the default, as `git log -p` does) or diffed against their first parent
(`--merges first-parent`, which re-scans the whole merged branch). Measures; asserts nothing.
Needs `pip install detect-secrets gitpython unidiff`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", type=Path)
    ap.add_argument("--merges", choices=("skip", "first-parent"), default="skip")
    ap.add_argument("--json", type=Path, help="write the counts here (never secret values)")
    args = ap.parse_args(argv)

    import git  # GitPython
    from detect_secrets.core.scan import scan_diff
    from detect_secrets.settings import default_settings, get_filters, get_settings

    logging.getLogger("detect-secrets").setLevel(logging.ERROR)
    repo = git.Repo(args.repo)
    start = time.perf_counter()
    commits = merges = patches_bytes = unreadable = 0
    found: set[tuple[str, str]] = set()
    reported = 0
    with default_settings():
        get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
        get_filters.cache_clear()
        for commit in repo.iter_commits("--all"):
            commits += 1
            if len(commit.parents) > 1:
                merges += 1
                if args.merges == "skip":
                    continue
                patch = repo.git.diff(
                    commit.parents[0].hexsha,
                    commit.hexsha,
                    "--no-color",
                    "--no-ext-diff",
                    "--no-renames",
                )
            else:
                patch = repo.git.show(
                    commit.hexsha, "--format=", "-p", "--no-color", "--no-ext-diff", "--no-renames"
                )
            patches_bytes += len(patch)
            if not patch.strip():
                continue
            try:
                secrets = list(scan_diff(patch + "\n"))
            except Exception:  # noqa: BLE001 - unidiff rejects some patches (e.g. odd headers)
                unreadable += 1
                continue
            for secret in secrets:
                reported += 1
                if secret.secret_value:
                    found.add((secret.type, secret.secret_value))
    elapsed = time.perf_counter() - start
    result = {
        "repo": str(args.repo),
        "merges_mode": args.merges,
        "commits": commits,
        "merges": merges,
        "patch_bytes": patches_bytes,
        "patches_unidiff_rejected": unreadable,
        "secrets_reported": reported,
        "distinct_secrets": len(found),
        "distinct_secrets_without_ip": len({f for f in found if f[0] != "Public IP (ipv4)"}),
        "elapsed_s": elapsed,
    }
    print(
        f"detect-secrets per commit: {commits} commits ({merges} merges, {args.merges}), "
        f"{patches_bytes / 1e6:.1f} MB of patches, {unreadable} rejected by unidiff; "
        f"{reported} reported, {len(found)} distinct (type, value) "
        f"({result['distinct_secrets_without_ip']} without Public IP); {elapsed:.1f} s"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
