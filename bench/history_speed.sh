#!/usr/bin/env bash
# The history scan's speed on long histories: full scan on every core and on one, the cached
# re-run with no new commit, the cached run after one new commit; wall and CPU time.
#
#   bash bench/history_speed.sh REPO [REPO...]        # clones with a work tree (clone_mirror.sh)
#   SOC2LINT=.venv/bin/soc2lint RUNS=5 bash bench/history_speed.sh /work/bench-repos/tornado
#
# Times with hyperfine (wall, user and system time of each run: CPU = user + system); one core
# is `taskset -c 0` (the history then walks in one process: it uses the CPUs it may run on).
# The one-new-commit runs are in a throwaway clone (bench/.work/hs-clone, every ref of REPO):
# hyperfine's --prepare adds one commit (a new file with one fake AWS key id) before each run,
# so each timed run finds exactly one new commit. gitleaks is timed when a `gitleaks` binary is
# on PATH (`gitleaks git REPO`), else reported as not available. Measures and prints; never
# fails on a missed target. Results: bench/.work/hs-*.json.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
SOC2LINT="${SOC2LINT:-$BENCH/../.venv/bin/soc2lint}"
RUNS="${RUNS:-3}"
CACHED_RUNS="${CACHED_RUNS:-10}"
NEW_RUNS="${NEW_RUNS:-5}"
mkdir -p "$WORK"
command -v hyperfine >/dev/null || { echo "!! hyperfine is needed" >&2; exit 2; }
GITLEAKS="$(command -v gitleaks || true)"

summary() {  # label json [full-scan-mean]
  python3 - "$@" <<'EOF'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))["results"][0]
cpu = r["user"] + r["system"]
line = (f"   {label:44s} wall mean {r['mean']:7.3f} s (median {r['median']:.3f}, min {r['min']:.3f},"
        f" {len(r['times'])} runs)  CPU {cpu:7.3f} s  CPU/wall {cpu / r['mean']:.2f}")
if len(sys.argv) > 3:
    full = json.load(open(sys.argv[3]))["results"][0]["mean"]
    line += f"  = {100 * r['mean'] / full:.1f} % of the full scan"
print(line)
EOF
}

for REPO in "$@"; do
  REPO="$(realpath "$REPO")"
  name="$(basename "$REPO")"
  out="$WORK/hs-$name"
  SCAN=("$SOC2LINT" "$REPO" --select SEC002 --format json --fail-on never -q)
  echo "== $REPO: $(git -C "$REPO" rev-list --all --count) commits of $(git -C "$REPO" for-each-ref | wc -l) refs;" \
       "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $("$SOC2LINT" --version 2>&1 | head -1)"
  hyperfine -N -w 0 -r "$RUNS" --export-json "$out-full.json" -- "${SCAN[*]} --no-cache" >/dev/null 2>&1
  summary "full scan (--no-cache), every core" "$out-full.json"
  hyperfine -N -w 0 -r "$RUNS" --export-json "$out-full1.json" -- "taskset -c 0 ${SCAN[*]} --no-cache" >/dev/null 2>&1
  summary "full scan (--no-cache), one core" "$out-full1.json"
  if [[ -n "$GITLEAKS" ]]; then
    hyperfine -N -w 0 -r "$RUNS" --export-json "$out-gitleaks.json" -- \
      "$GITLEAKS git $REPO --no-banner --report-format json --exit-code 0 --report-path $WORK/hs-gitleaks-report.json" >/dev/null 2>&1
    summary "gitleaks git" "$out-gitleaks.json"
  else
    echo "   gitleaks: not available (no gitleaks binary on PATH)"
  fi
  "${SCAN[@]}" >/dev/null 2>&1  # writes the cache
  hyperfine -N -w 1 -r "$CACHED_RUNS" --export-json "$out-cached.json" -- "${SCAN[*]}" >/dev/null 2>&1
  summary "cached, no new commit" "$out-cached.json" "$out-full.json"

  clone="$WORK/hs-clone"
  rm -rf "$clone"
  git clone -q "$REPO" "$clone"
  git -C "$clone" fetch -q origin "+refs/*:refs/src/*"  # every ref of REPO
  CSCAN=("$SOC2LINT" "$clone" --select SEC002 --format json --fail-on never -q)
  "${CSCAN[@]}" >/dev/null 2>&1  # the cache of the clone
  cat >"$WORK/hs-new-commit.sh" <<EOF
#!/usr/bin/env bash
set -e
i=\$(git -C "$clone" rev-list --count HEAD)
key="AKIA\$(head -c 20 /dev/urandom | base32 | head -c 16)"  # a fake key id, new each commit
printf 'AWS_ACCESS_KEY_ID = "%s"\n' "\$key" >"$clone/bench-new-\$i.py"
git -C "$clone" add "bench-new-\$i.py"
git -C "$clone" -c user.name=bench -c user.email=bench@example.invalid commit -qm "bench: new commit \$i"
EOF
  chmod +x "$WORK/hs-new-commit.sh"
  hyperfine -N -w 0 -r "$NEW_RUNS" --prepare "$WORK/hs-new-commit.sh" --export-json "$out-new.json" \
    -- "${CSCAN[*]}" >/dev/null 2>&1
  summary "cached, one new commit" "$out-new.json" "$out-full.json"
  found=$("$SOC2LINT" "$clone" --select SEC --format json --fail-on never -q 2>/dev/null \
    | python3 -c 'import json,sys; print(sum(f["path"].startswith("bench-new-") for f in json.load(sys.stdin)["findings"]))')
  echo "   the clone's $NEW_RUNS new commits: $found findings at their files (one fake key each, still in the files: SEC001)"
done
