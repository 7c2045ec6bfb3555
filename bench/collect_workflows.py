#!/usr/bin/env python3
"""Extract real GitHub Actions workflows and composite actions from bare git snapshots.

    python3 bench/collect_workflows.py /work/.mirror/pypa+pip/repo /work/.mirror/cli+cli/repo ...
    python3 bench/collect_workflows.py --from-list bench/real-workflows.txt   # re-run: same repos, same commits

For each snapshot (a bare git directory; the repository name is read from a parent directory
named `<owner>+<name>`, or given as `owner/name=DIR`) it copies, from the commit its HEAD names
(or the commit recorded in the list), every

  - workflow: a `*.yml` / `*.yaml` file directly inside a `.github/workflows/` directory (at any
    depth, e.g. a monorepo's `packages/x/.github/workflows/`), and
  - action metadata: every `action.yml` / `action.yaml`,

keeping its path relative to the repository root, into `<out>/<owner>__<name>/`. Regular files
only (no symlinks, no submodules). Files under a test-fixture directory (`test-data/`,
`testdata/`, `fixtures/`, `__fixtures__/`, `__tests__/`) are not real workflows (a linter's
fixtures are deliberately broken or vulnerable): they are skipped unless `--include-fixtures`,
or copied to a separate tree with `--fixtures-out DIR`.

With `--write-list FILE` it records each repository, the commit and the counts (the file
`bench/real-workflows.txt` is that list). Only git and the standard library are used; the output
directory of a repository is replaced on each run.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

BENCH = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH / ".work" / "real-workflows"
DEFAULT_MIRRORS = Path("/work/.mirror")
WORKFLOW_RE = re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$")
ACTION_RE = re.compile(r"(^|/)action\.ya?ml$")
FIXTURE_RE = re.compile(r"(^|/)(test-data|testdata|fixtures|__fixtures__|__tests__)/")


def git(gitdir: Path, *args: str, binary: bool = False) -> str | bytes:
    proc = subprocess.run(["git", f"--git-dir={gitdir}", *args], capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(args)} in {gitdir}: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout if binary else proc.stdout.decode()


def repo_name(gitdir: Path) -> str:
    for part in (gitdir, *gitdir.parents):
        if "+" in part.name:
            owner, _, name = part.name.partition("+")
            return f"{owner}/{name}"
    raise ValueError(f"cannot tell owner/name from {gitdir}; pass it as owner/name={gitdir}")


def head_commit(gitdir: Path) -> tuple[str, str]:
    """(commit sha, ref) that HEAD names. `HEAD` itself can be ambiguous in a snapshot that
    also has a branch or tag called HEAD, so the symbolic ref is resolved explicitly."""
    try:
        ref = git(gitdir, "symbolic-ref", "-q", "HEAD").strip()
    except RuntimeError:
        ref = "HEAD"
    sha = git(gitdir, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip()
    return sha, ref


def list_files(gitdir: Path, commit: str) -> list[tuple[str, str, str]]:
    """(mode, blob sha, path) of every entry in the commit's tree."""
    out = git(gitdir, "ls-tree", "-r", "-z", "--full-tree", commit, binary=True)
    rows = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            rows.append((mode, sha, path.decode(errors="surrogateescape")))
    return rows


def collect(
    gitdir: Path,
    name: str,
    out: Path,
    commit: str | None,
    include_fixtures: bool,
    fixtures_out: Path | None,
) -> dict:
    ref = "(recorded)"
    if commit is None:
        commit, ref = head_commit(gitdir)
    dest = out / name.replace("/", "__")
    if dest.exists():
        shutil.rmtree(dest)
    fdest = fixtures_out / name.replace("/", "__") if fixtures_out else None
    if fdest and fdest.exists():
        shutil.rmtree(fdest)
    stats = {
        "repo": name,
        "commit": commit,
        "ref": ref,
        "workflows": 0,
        "actions": 0,
        "yaml_ext": 0,
        "fixtures_skipped": 0,
        "symlinks_skipped": 0,
    }
    for mode, sha, path in list_files(gitdir, commit):
        is_wf, is_action = bool(WORKFLOW_RE.search(path)), bool(ACTION_RE.search(path))
        if not (is_wf or is_action):
            continue
        if mode == "120000":
            stats["symlinks_skipped"] += 1
            continue
        target = dest
        if FIXTURE_RE.search(path) and not include_fixtures:
            stats["fixtures_skipped"] += 1
            if fdest is None:
                continue
            target = fdest
        rel = PurePosixPath(path)
        if rel.is_absolute() or ".." in rel.parts:
            continue
        data = git(gitdir, "cat-file", "blob", sha, binary=True)
        file = target.joinpath(*rel.parts)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
        if target is dest:
            stats["workflows" if is_wf else "actions"] += 1
            stats["yaml_ext"] += path.endswith(".yaml")
    return stats


def read_list(path: Path, mirrors: Path) -> list[tuple[str, Path, str | None]]:
    jobs = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        name = fields[0]
        commit = fields[1] if len(fields) > 1 and re.fullmatch(r"[0-9a-f]{40}", fields[1]) else None
        jobs.append((name, mirrors / name.replace("/", "+") / "repo", commit))
    return jobs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gitdirs", nargs="*", help="bare git directories, or owner/name=DIR")
    ap.add_argument(
        "--from-list",
        type=Path,
        help="repositories (and commits) from a list like "
        "bench/real-workflows.txt; snapshots are looked up under --mirrors",
    )
    ap.add_argument(
        "--mirrors",
        type=Path,
        default=DEFAULT_MIRRORS,
        help=f"where --from-list finds <owner>+<name>/repo (default {DEFAULT_MIRRORS})",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    ap.add_argument(
        "--include-fixtures",
        action="store_true",
        help="also copy files under test-data/, testdata/, fixtures/ ...",
    )
    ap.add_argument(
        "--fixtures-out",
        type=Path,
        help="copy the skipped fixture files here instead (a separate tree)",
    )
    ap.add_argument("--write-list", type=Path, help="record repositories, commits and counts here")
    args = ap.parse_args(argv)

    jobs: list[tuple[str, Path, str | None]] = []
    if args.from_list:
        jobs += read_list(args.from_list, args.mirrors)
    for item in args.gitdirs:
        if "=" in item:
            name, _, d = item.partition("=")
            jobs.append((name, Path(d), None))
        else:
            jobs.append((repo_name(Path(item)), Path(item), None))
    if not jobs:
        ap.error("no snapshots given")

    args.out.mkdir(parents=True, exist_ok=True)
    results, failed = [], 0
    for name, gitdir, commit in jobs:
        try:
            st = collect(gitdir, name, args.out, commit, args.include_fixtures, args.fixtures_out)
        except (RuntimeError, OSError, ValueError) as exc:
            print(f"!! {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        results.append(st)
        print(
            f"{name:<45} {st['commit'][:12]}  workflows {st['workflows']:>3}  actions {st['actions']:>3}"
            + (f"  (.yaml {st['yaml_ext']})" if st["yaml_ext"] else "")
            + (f"  fixtures skipped {st['fixtures_skipped']}" if st["fixtures_skipped"] else "")
        )
    wf = sum(r["workflows"] for r in results)
    ac = sum(r["actions"] for r in results)
    print(
        f"{len(results)} repositories, {wf} workflow files, {ac} action metadata files -> {args.out}"
        + (f"; {failed} failed" if failed else "")
    )

    if args.write_list:
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        lines = [
            "# Real GitHub Actions corpus for bench/precision.py and bench/workflows_vs_zizmor.sh.",
            "# Re-create it: python3 bench/collect_workflows.py --from-list bench/real-workflows.txt",
            "# (snapshots under /work/.mirror/<owner>+<name>/repo, from the `fetch` tool).",
            f"# Collected {today}: {len(results)} repositories, {wf} workflow files, {ac} action.yml/.yaml.",
            "# repository  commit  workflows  actions",
        ]
        for r in sorted(results, key=lambda r: r["repo"].lower()):
            lines.append(
                f"{r['repo']} {r['commit']} workflows={r['workflows']} actions={r['actions']}"
            )
        args.write_list.write_text("\n".join(lines) + "\n")
        print(f"list written to {args.write_list}")
    return 1 if failed and not results else 0


if __name__ == "__main__":
    sys.exit(main())
