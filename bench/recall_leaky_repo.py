#!/usr/bin/env python3
"""Recall of soc2lint's secret rules on Plazmaz/leaky-repo, against detect-secrets and gitleaks.

    /tmp/v0/bin/python bench/recall_leaky_repo.py [REPO]     # default bench/.work/repos/leaky-repo

Run it with the Python that has soc2lint installed (it imports `soc2lint.redact.fingerprint`
and the detect-secrets that soc2lint uses); `$SOC2LINT` names the soc2lint command (default: the
`soc2lint` next to this Python, else on PATH). Counts distinct secrets three ways, on every file
version of every commit of every ref:

(a) detect-secrets, whole files: every (path, blob) of every commit (`git rev-list --all`, then
    `git ls-tree -r` of each) is written to a temporary directory under its own file name (so
    detect-secrets picks the same transformers: YAML, INI) and scanned with `scan_file` under
    `default_settings()` (all plugins, default filters) with `is_invalid_file` disabled. Distinct
    by (type, secret value).
(b) soc2lint: `soc2lint REPO --select SEC001 --select SEC002 --format json --fail-on never -q
    --no-cache`; distinct by the secret's fingerprint (`secret_fingerprint` property, else the
    identity's hash: sha256 of type and value). (a)'s secrets are matched to it through
    `soc2lint.redact.fingerprint(type, value)`.
(c) gitleaks (`gitleaks git`, the binary bench/history_vs_gitleaks.sh installs in
    bench/.work/gitleaks-venv): distinct by (rule, secret) and by secret value alone.

Prints the counts, and each secret of (a) that soc2lint does not report, by type, path and
commit, NEVER its value, with the reason this script can tell: reported under another type,
excluded by design (not a credential), found by detect-secrets only through a file transformer
(the raw lines do not show it), or flagged on the raw lines by detect-secrets but dropped by
soc2lint's line scan. Measures; changes nothing; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from source_id import source_id  # bench/source_id.py, beside this script

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"


def git(repo: Path, *args: str, binary: bool = False) -> str | bytes:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout
    return out if binary else out.decode("utf-8", "replace")


def file_versions(repo: Path) -> dict[tuple[str, str], str]:
    """(path, blob sha) -> the oldest commit (in topological order) holding that version."""
    versions: dict[tuple[str, str], str] = {}
    for sha in git(repo, "rev-list", "--all", "--topo-order", "--reverse").split():
        for entry in git(repo, "ls-tree", "-r", "-z", sha).split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            mode, kind, blob = meta.split()
            if kind == "blob" and mode != "120000":  # files, not symlinks or submodules
                versions.setdefault((path, blob), sha)
    return versions


def detect_secrets_whole_files(repo: Path, versions: dict[tuple[str, str], str]):
    """{(type, value): [(path, commit), ...]} from scan_file on every file version, and for each
    such secret whether the raw lines alone (no transformer) show it."""
    from detect_secrets.core.scan import _process_line_based_plugins, scan_file
    from detect_secrets.settings import default_settings, get_filters, get_settings

    found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    raw: set[tuple[str, str]] = set()
    unreadable = 0
    with tempfile.TemporaryDirectory(prefix="leaky-versions-") as tmp, default_settings():
        get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
        get_filters.cache_clear()
        for n, ((path, blob), commit) in enumerate(sorted(versions.items())):
            target = Path(tmp, str(n), Path(path).name)
            target.parent.mkdir()
            data = git(repo, "cat-file", "blob", blob, binary=True)
            target.write_bytes(data)
            for secret in scan_file(str(target)):
                if secret.secret_value:
                    found[(secret.type, secret.secret_value)].append((path, commit))
            try:
                lines = data.decode("utf-8").splitlines()
            except UnicodeDecodeError:
                unreadable += 1
                continue
            for secret in _process_line_based_plugins(
                list(enumerate(lines, 1)), filename=str(target)
            ):
                if secret.secret_value:
                    raw.add((secret.type, secret.secret_value))
            shutil.rmtree(target.parent)
    return found, raw, unreadable


def soc2lint_command() -> list[str]:
    if os.environ.get("SOC2LINT"):
        return os.environ["SOC2LINT"].split()
    beside = Path(sys.executable).parent / "soc2lint"
    return [str(beside)] if beside.exists() else ["soc2lint"]


def find_gitleaks() -> str | None:
    venv = WORK / "gitleaks-venv"
    for p in sorted(venv.glob("lib/python*/site-packages/**/gitleaks")):
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return shutil.which("gitleaks")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", type=Path, nargs="?", default=WORK / "repos" / "leaky-repo")
    ap.add_argument(
        "--json",
        type=Path,
        default=WORK / "recall-leaky-repo.json",
        help="counts and the missed list (types, paths, fingerprints; no values)",
    )
    args = ap.parse_args(argv)
    repo = args.repo.resolve()
    logging.getLogger("detect-secrets").setLevel(logging.ERROR)
    from importlib.metadata import version

    from soc2lint.redact import fingerprint
    from soc2lint.secrets.lines import NOT_CREDENTIALS

    print(f"   soc2lint: {' '.join(soc2lint_command())}; sources {source_id()}")
    versions = file_versions(repo)
    commits = len(git(repo, "rev-list", "--all").split())
    print(
        f"== recall on {repo}: {commits} commits, {len(versions)} file versions "
        f"(distinct path+blob); detect-secrets {version('detect-secrets')}"
    )

    # (a) detect-secrets on whole file versions
    ds, ds_raw, unreadable = detect_secrets_whole_files(repo, versions)
    print(
        f"(a) detect-secrets, every file version whole (scan_file): {len(ds)} distinct (type, value)"
        f" ({len({v for _, v in ds})} distinct values; {unreadable} versions not UTF-8)"
    )

    # (b) soc2lint
    cmd = [
        *soc2lint_command(),
        str(repo),
        "--select",
        "SEC001",
        "--select",
        "SEC002",
        "--format",
        "json",
        "--fail-on",
        "never",
        "-q",
        "--no-cache",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        print(f"!! soc2lint failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
        return 0
    by_fp: dict[str, dict] = {}
    for f in report["findings"]:
        fp = f.get("properties", {}).get("secret_fingerprint") or f["identity"].rsplit("#", 1)[-1]
        kind = (
            f.get("properties", {}).get("secret_type") or f["message"].split(" in this file (")[0]
        )
        by_fp.setdefault(
            fp,
            {
                "rule": f["rule_id"],
                "type": kind,
                "path": f["path"],
                "commit": f.get("properties", {}).get("introduced_in"),
            },
        )
    rules = defaultdict(int)
    for info in by_fp.values():
        rules[info["rule"]] += 1
    print(
        f"(b) soc2lint SEC001+SEC002: {len(report['findings'])} findings, {len(by_fp)} distinct secrets "
        f"({', '.join(f'{k} {v}' for k, v in sorted(rules.items()))}); exit {proc.returncode}; "
        f"notes: {'; '.join(report.get('notes', [])) or 'none'}"
    )

    no_commit = [i for i in by_fp.values() if not i["commit"]]
    if no_commit:
        print(
            f"    {len(no_commit)} of them without a commit (in the tree, not seen by the history "
            f"scan): " + ", ".join(sorted(f"{i['type']} in {i['path']}" for i in no_commit))
        )

    # (c) gitleaks
    gl_values: set[str] = set()
    gitleaks = find_gitleaks()
    gl_pairs = None
    if gitleaks:
        with tempfile.TemporaryDirectory(prefix="leaky-gitleaks-") as tmp:
            out = Path(tmp, "report.json")  # never /dev/null: gitleaks unlinks its report path
            glp = subprocess.run(
                [
                    gitleaks,
                    "git",
                    str(repo),
                    "--no-banner",
                    "--report-format",
                    "json",
                    "--report-path",
                    str(out),
                    "--exit-code",
                    "0",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            leaks = json.loads(out.read_text()) if out.exists() else []
        gl_pairs = {(x["RuleID"], x["Secret"]) for x in leaks}
        gl_values = {x["Secret"] for x in leaks}
        gl_version = subprocess.run(
            [gitleaks, "version"], capture_output=True, text=True
        ).stdout.strip()
        print(
            f"(c) gitleaks {gl_version}: {len(leaks)} leaks, {len(gl_pairs)} distinct (rule, secret), "
            f"{len(gl_values)} distinct secret values; exit {glp.returncode}"
        )
    else:
        print("(c) gitleaks: not installed (run bench/history_vs_gitleaks.sh once)")

    # soc2lint's own line scan, for the reasons (after every detect-secrets run above: it
    # configures detect-secrets' global settings once for the process)
    from detect_secrets.util.filetype import FileType, determine_file_type

    from soc2lint.secrets.lines import scan_line

    def soc2lint_line_scan(path: str, blob: str) -> set[tuple[str, str]]:
        data = git(repo, "cat-file", "blob", blob, binary=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return set()
        return {
            (s.kind, s.value)
            for n, line in enumerate(text.splitlines(), 1)
            for s in scan_line(line, path, n)
        }

    blobs_of: dict[str, list[str]] = defaultdict(list)
    for path, blob in versions:
        blobs_of[path].append(blob)
    soc2lint_types = {info["type"] for info in by_fp.values() if info["type"]}
    matched, retyped, missed = 0, [], []
    for (kind, value), where in sorted(ds.items(), key=lambda kv: (kv[1][0][0], kv[0][0])):
        if fingerprint(kind, value) in by_fp:
            matched += 1
            continue
        path, commit = where[0]
        other = [t for t in soc2lint_types if fingerprint(t, value) in by_fp]
        in_gl = value in gl_values or any(
            value in g or g in value for g in gl_values if len(g) >= 8
        )
        if other:  # the same value, reported once under the type soc2lint prefers
            retyped.append({"type": kind, "path": path, "as": other[0]})
            continue
        if kind in NOT_CREDENTIALS:
            reason = "excluded by design: soc2lint does not report this type (not a credential)"
        elif (kind, value) not in ds_raw:
            if determine_file_type(path) == FileType.YAML:
                how = "its YAML transformer (an unquoted YAML value, which it re-quotes)"
            else:
                how = (
                    "its eager config (INI) transformer, tried on files of no known type "
                    "(an unquoted `key = value` / `key: value`, which it re-quotes)"
                )
            reason = (
                f"detect-secrets sees it only through {how}; the raw lines, which soc2lint "
                "scans, do not show it"
            )
        else:
            line_hits = set().union(
                *(soc2lint_line_scan(p, b) for p, _ in where for b in blobs_of[p])
            )
            if (kind, value) in line_hits:
                reason = "soc2lint's line scan finds it, yet the report lacks it (check the history reader)"
            elif any(v == value or value in v or v in value for _, v in line_hits):
                reason = (
                    "soc2lint's line scan reports an overlapping value under another type "
                    "(one finding per value)"
                )
            else:
                reason = (
                    "detect-secrets flags it on the raw lines of the whole file, soc2lint's "
                    "single-line scan does not (context across lines, or a filter)"
                )
        missed.append(
            {
                "type": kind,
                "path": path,
                "commit": commit[:12],
                "versions": len(where),
                "length": len(value),
                "fingerprint": fingerprint(kind, value),
                "sha1": hashlib.sha1(value.encode()).hexdigest()[:10],
                "gitleaks": in_gl,
                "reason": reason,
            }
        )

    def in_gl(v):
        return v in gl_values or any(v in g or g in v for g in gl_values if len(g) >= 8)

    values = {v for _, v in ds}
    missed_values = {(m["fingerprint"]) for m in missed}
    print(
        f"== of detect-secrets' {len(ds)} (type, value): soc2lint reports {matched} with the same type, "
        f"{len(retyped)} more under another type (same value), misses {len(missed)} "
        f"({len(missed_values)} values); recall by value: {len(values) - len(missed)}/{len(values)} "
        f"= {100 * (len(values) - len(missed)) / max(len(values), 1):.0f} %"
    )
    print(
        f"   gitleaks has {sum(1 for v in values if in_gl(v))} of the {len(values)} values (same or overlapping)"
    )
    for r in retyped:
        print(
            f"   = {r['type']:28s} {r['path']}: reported by soc2lint as {r['as']} (one finding per value)"
        )
    for m in missed:
        print(
            f"   - {m['type']:28s} {m['path']} @ {m['commit']} ({m['length']} chars, "
            f"{m['versions']} version(s); gitleaks: {'yes' if m['gitleaks'] else 'no'}): {m['reason']}"
        )
    extra = [
        info for fp, info in by_fp.items() if not any(fingerprint(k, v) == fp for (k, v) in ds)
    ]
    if extra:
        print(
            f"   soc2lint reports {len(extra)} secret(s) detect-secrets' whole-file scan does not: "
            + ", ".join(sorted(f"{e['type']} in {e['path']}" for e in extra))
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "repo": str(repo),
                "commits": commits,
                "file_versions": len(versions),
                "detect_secrets_whole_files": len(ds),
                "soc2lint_distinct": len(by_fp),
                "gitleaks_distinct_rule_secret": len(gl_pairs) if gl_pairs is not None else None,
                "gitleaks_distinct_values": len(gl_values) if gitleaks else None,
                "detect_secrets_distinct_values": len({v for _, v in ds}),
                "matched": matched,
                "retyped": retyped,
                "missed": missed,
                "soc2lint_only": [{"type": e["type"], "path": e["path"]} for e in extra],
            },
            indent=1,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
