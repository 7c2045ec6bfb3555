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

read -r -a S <<<"$SOC2LINT"   # SOC2LINT may be a command with arguments, e.g. "python -m soc2lint"
if ! command -v "${S[0]}" >/dev/null 2>&1; then
  echo "startup.sh: '${S[0]}' not found; set SOC2LINT=/path/to/soc2lint" >&2
  exit 2
fi

# Which soc2lint is measured: the package directory and a digest of its sources and rules, so that
# numbers taken from an editable install of a changing work tree can be told apart.
soc2lint_source_id() {
  local py
  py="$(dirname "$(command -v "${S[0]}")")/python"
  [[ -x "$py" ]] || { echo "unknown (no python next to ${S[0]})"; return; }
  "$py" - <<'PYEOF' 2>/dev/null || echo "unknown"
import hashlib, pathlib, soc2lint
from soc2lint.ruleset import builtin_rules_dir
h = hashlib.sha256()
pkg = pathlib.Path(soc2lint.__file__).parent
for base in (pkg, pathlib.Path(builtin_rules_dir())):
    for p in sorted(q for q in base.rglob("*") if q.suffix in (".py", ".yaml", ".json")):
        h.update(str(p.relative_to(base)).encode() + b"\0" + p.read_bytes())
print(f"{pkg} (sources+rules sha256 {h.hexdigest()[:12]})")
PYEOF
}

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
