#!/usr/bin/env bash
# Startup latency of soc2lint: wall time of `soc2lint --version` and `soc2lint rules`.
#
#   bash bench/startup.sh                    # soc2lint on PATH, 20 runs each
#   SOC2LINT=/tmp/v0/bin/soc2lint RUNS=30 bash bench/startup.sh
#
# Median of RUNS (>= 10) runs after WARMUP runs, with hyperfine when installed, else a Python
# perf_counter loop (bench/timing.py). Also the peak RSS of the runs (/usr/bin/time -v).
# Target: under 0.3 s each. It measures and prints; it never fails on a missed target.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
SOC2LINT="${SOC2LINT:-soc2lint}"
RUNS="${RUNS:-20}"
WARMUP="${WARMUP:-2}"
TARGET="${TARGET:-0.3}"
PYTHON="${PYTHON:-python3}"
if (( RUNS < 10 )); then RUNS=10; fi
mkdir -p "$WORK"

source "$BENCH/common.sh"

echo "== soc2lint startup ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("${S[@]}" --version 2>&1 | head -1))"
echo "   binary: $(command -v "${S[0]}")"
echo "   source: $(soc2lint_source_id)"
cd "$WORK"   # `rules` reads no config from the current directory there

"$PYTHON" "$BENCH/timing.py" --label "soc2lint --version" --runs "$RUNS" --warmup "$WARMUP" \
  --json "$WORK/startup-version.json" -- "${S[@]}" --version
"$PYTHON" "$BENCH/timing.py" --label "soc2lint rules" --runs "$RUNS" --warmup "$WARMUP" \
  --json "$WORK/startup-rules.json" -- "${S[@]}" rules

"$PYTHON" - "$WORK/startup-version.json" "$WORK/startup-rules.json" "$TARGET" <<'EOF'
import json, sys
target = float(sys.argv[3])
print()
print(f"{'command':<22}{'median':>10}{'min':>9}{'max':>9}{'peak RSS':>11}   target < {target} s")
for path in sys.argv[1:3]:
    r = json.load(open(path))
    rss = f"{r['peak_rss_bytes'] / 1048576:.1f} MiB" if r["peak_rss_bytes"] else "n/a"
    verdict = "met" if r["median_s"] < target else "NOT met"
    print(f"{r['label']:<22}{r['median_s']:>9.3f}s{r['min_s']:>8.3f}s{r['max_s']:>8.3f}s{rss:>11}   {verdict}")
EOF
