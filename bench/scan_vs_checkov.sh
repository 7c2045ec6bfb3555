#!/usr/bin/env bash
# Scan throughput and memory: soc2lint vs checkov on the same generated corpus (2000 files).
#
#   bash bench/scan_vs_checkov.sh
#   SOC2LINT=/tmp/v0/bin/soc2lint FILES=2000 SOC2LINT_RUNS=5 CHECKOV_RUNS=3 bash bench/scan_vs_checkov.sh
#   SKIP_CHECKOV=1 bash bench/scan_vs_checkov.sh          # soc2lint only (seconds, not minutes)
#
# 1. Creates bench/.work/checkov-venv and `pip install checkov` into it (once; CHECKOV_SPEC picks
#    the requirement, e.g. CHECKOV_SPEC='checkov==3.2.*'). If that fails, pip's error is printed
#    and only soc2lint is measured.
# 2. Generates bench/.work/corpus-$FILES with bench/gen_corpus.py if it is missing.
# 3. Times (median of N runs; hyperfine when installed, else a Python perf_counter loop):
#      soc2lint <corpus> --format json --fail-on never -q > /dev/null
#      checkov -d <corpus> --framework github_actions kubernetes --quiet --compact -o json --skip-download > /dev/null
#    checkov offline: BC_SKIP_MAPPING=TRUE, CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false,
#    CKV_SKIP_PACKAGE_UPDATE_CHECK=true (no PyPI version check), no API key.
#    Peak RSS of every timed run comes from /usr/bin/time -v (largest single process) plus a
#    sampled sum over the process tree (checkov forks workers).
# 4. Prints soc2lint files/second, peak memory of both, and checkov_time / soc2lint_time.
# Target: soc2lint >= 10x faster than checkov. It measures and prints; it never fails on a target.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
SOC2LINT="${SOC2LINT:-soc2lint}"
FILES="${FILES:-2000}"
SOC2LINT_RUNS="${SOC2LINT_RUNS:-5}"
SOC2LINT_WARMUP="${SOC2LINT_WARMUP:-1}"
CHECKOV_RUNS="${CHECKOV_RUNS:-3}"
CHECKOV_SPEC="${CHECKOV_SPEC:-checkov}"
CHECKOV_VENV="$WORK/checkov-venv"
CORPUS="$WORK/corpus-$FILES"
PYTHON="${PYTHON:-python3}"
mkdir -p "$WORK"

source "$BENCH/common.sh"

echo "== soc2lint vs checkov ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "   soc2lint: $(command -v "${S[0]}") ($("${S[@]}" --version 2>&1 | head -1))"
echo "   source: $(soc2lint_source_id)"

# --- 1. checkov in its own virtualenv -------------------------------------------------------
CHECKOV=""
if [[ "${SKIP_CHECKOV:-0}" != "1" ]]; then
  if [[ ! -x "$CHECKOV_VENV/bin/checkov" ]]; then
    echo "-- installing $CHECKOV_SPEC into $CHECKOV_VENV (a few minutes)"
    if "$PYTHON" -m venv "$CHECKOV_VENV" \
        && "$CHECKOV_VENV/bin/pip" install -q --upgrade pip >"$WORK/pip-install.log" 2>&1 \
        && "$CHECKOV_VENV/bin/pip" install "$CHECKOV_SPEC" >>"$WORK/pip-install.log" 2>&1; then
      echo "   installed"
    else
      echo "!! pip install $CHECKOV_SPEC failed; the error (from $WORK/pip-install.log):"
      grep -iE "error|could not|no matching|failed" "$WORK/pip-install.log" | tail -20 | sed 's/^/   /'
      echo "   measuring soc2lint only"
    fi
  fi
  if [[ -x "$CHECKOV_VENV/bin/checkov" ]]; then
    CHECKOV="$CHECKOV_VENV/bin/checkov"
    echo "   checkov:  $CHECKOV ($("$CHECKOV_VENV/bin/python" -c 'from checkov.version import version; print(version)' 2>/dev/null))"
  fi
fi

# --- 2. corpus ------------------------------------------------------------------------------
if [[ ! -d "$CORPUS" || ! -f "$CORPUS.expected.json" ]]; then
  echo "-- generating the corpus"
  "$PYTHON" "$BENCH/gen_corpus.py" --files "$FILES" --out "$CORPUS" | sed 's/^/   /'
fi
NFILES=$(find "$CORPUS" -type f | wc -l)
NBYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "   corpus: $CORPUS ($NFILES files, $NBYTES bytes)"

# The corpus sits in an ignored folder (bench/.work/) of the project's git work tree. soc2lint
# lists a scan root that is inside a work tree with `git ls-files --exclude-standard`, which
# returns nothing for an ignored folder: stop git's repository search at bench/.work so that
# soc2lint walks the corpus as it would a plain directory.
export GIT_CEILING_DIRECTORIES="$WORK"

# --- 3a. soc2lint: one run kept, to show what it found ----------------------------------------
REPORT="$WORK/soc2lint-report.json"
"${S[@]}" "$CORPUS" --format json --fail-on never -q >"$REPORT" 2>"$WORK/soc2lint-stderr.txt"
rc=$?
"$PYTHON" - "$REPORT" "$rc" "$WORK/soc2lint-stderr.txt" <<'EOF'
import json, sys
rc, err = int(sys.argv[2]), open(sys.argv[3]).read().strip()
try:
    r = json.load(open(sys.argv[1]))
    by_rule = {}
    for f in r["findings"]:
        by_rule[f["rule_id"]] = by_rule.get(f["rule_id"], 0) + 1
    print(f"   soc2lint report: exit {rc}, {r['files_scanned']} files parsed, {len(r['findings'])} findings "
          f"({r['summary']['suppressed']} suppressed): " + ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())))
    if r["files_scanned"] == 0:
        print("!! soc2lint parsed 0 files: the timings below measure nothing")
except Exception as exc:  # measure, never assert
    print(f"!! soc2lint produced no JSON report (exit {rc}): {exc}")
if err:
    print("   soc2lint stderr: " + err.splitlines()[-1][:300])
EOF

# --- 3b. timings ----------------------------------------------------------------------------
echo "-- timing soc2lint ($SOC2LINT_RUNS runs after $SOC2LINT_WARMUP warm-up)"
"$PYTHON" "$BENCH/timing.py" --no-probe --label "soc2lint scan" --runs "$SOC2LINT_RUNS" \
  --warmup "$SOC2LINT_WARMUP" --json "$WORK/scan-soc2lint.json" -- \
  "${S[@]}" "$CORPUS" --format json --fail-on never -q
rm -f "$WORK/scan-checkov.json"
if [[ -n "$CHECKOV" ]]; then
  echo "-- timing checkov ($CHECKOV_RUNS runs, no warm-up; ~2-3 min each on 2 cores)"
  env -u BC_API_KEY -u PRISMA_API_URL BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
    CKV_SKIP_PACKAGE_UPDATE_CHECK=true \
    "$PYTHON" "$BENCH/timing.py" --no-probe --label "checkov scan" --runs "$CHECKOV_RUNS" --warmup 0 \
    --json "$WORK/scan-checkov.json" -- \
    "$CHECKOV" -d "$CORPUS" --framework github_actions kubernetes --quiet --compact -o json --skip-download
fi

# --- 4. summary -----------------------------------------------------------------------------
"$PYTHON" - "$WORK/scan-soc2lint.json" "$WORK/scan-checkov.json" "$NFILES" "$NBYTES" "$WORK/scan-results.json" <<'EOF'
import json, os, sys, datetime
s = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else None
nfiles, nbytes = int(sys.argv[3]), int(sys.argv[4])
mib = lambda b: f"{b / 1048576:.0f} MiB" if b else "n/a"
print()
print(f"{'tool':<10}{'median':>10}{'min':>9}{'max':>9}{'runs':>6}{'files/s':>9}{'MiB/s':>7}"
      f"{'peak RSS':>10}{'tree RSS':>10}{'exit':>6}")
for name, r in (("soc2lint", s), ("checkov", c)):
    if r is None:
        print(f"{name:<10}   (not measured)")
        continue
    print(f"{name:<10}{r['median_s']:>9.2f}s{r['min_s']:>8.2f}s{r['max_s']:>8.2f}s{r['runs']:>6}"
          f"{nfiles / r['median_s']:>9.0f}{nbytes / 1048576 / r['median_s']:>7.2f}"
          f"{mib(r['peak_rss_bytes']):>10}{mib(r['peak_tree_rss_bytes']):>10}"
          f"{','.join(map(str, r['exit_statuses_timed'])) or '?':>6}")
ratio = c["median_s"] / s["median_s"] if c else None
print()
print(f"soc2lint: {nfiles / s['median_s']:.0f} files/s over {nfiles} files ({nbytes / 1048576:.2f} MiB)")
if ratio:
    print(f"checkov_time / soc2lint_time = {ratio:.1f}x   (target >= 10x: {'met' if ratio >= 10 else 'NOT met'})")
    print(f"peak RSS: soc2lint {mib(s['peak_rss_bytes'])}, checkov {mib(c['peak_rss_bytes'])} "
          f"(largest process; process tree sampled: {mib(c['peak_tree_rss_bytes'])})")
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
           "cores": os.cpu_count(), "files": nfiles, "bytes": nbytes, "soc2lint": s, "checkov": c,
           "ratio_checkov_over_soc2lint": ratio,
           "soc2lint_files_per_s": nfiles / s["median_s"]}, open(sys.argv[5], "w"), indent=1)
EOF
