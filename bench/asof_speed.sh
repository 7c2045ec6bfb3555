#!/usr/bin/env bash
# How long `soc2lint report --as-of DATE` takes on a repository with 52 weekly evidence commits
# (bench/asof_gen.py: settings, a growing pull-request export, up to 2,080 pull requests,
# records, workflows), for a random date of the year it covers. Target: seconds.
#
#   bash bench/asof_speed.sh                       # a date drawn with SEED (default 1)
#   SEED=7 RUNS=10 bash bench/asof_speed.sh
#   DATE=2026-03-15 SOC2LINT=.venv/bin/soc2lint bash bench/asof_speed.sh
#
# Paired in one hyperfine run (alternating is not possible with hyperfine; the two commands run
# back to back with the same warm-up): (1) `report --as-of DATE` (reads the commit's tree from
# git objects into a temporary directory, then reports) and (2) `report` on a work tree of that
# same commit checked out beforehand (the report alone, without reading git). Whole-process
# wall time, medians; the load average is printed with the figures (2 shared cores). Results:
# bench/.work/asof-speed.json. Measures and prints; never fails on a missed target.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
SOC2LINT="${SOC2LINT:-$BENCH/../.venv/bin/soc2lint}"
RUNS="${RUNS:-5}"
SEED="${SEED:-1}"
REPO="$WORK/asof-repo"
mkdir -p "$WORK"
command -v hyperfine >/dev/null || { echo "!! hyperfine is needed" >&2; exit 2; }

python3 "$BENCH/asof_gen.py" --out "$REPO"
# a random day of the 52 weeks the commits cover (2025-12-08 .. 2026-11-30), from SEED
DATE="${DATE:-$(python3 -c "import datetime as d, random; r = random.Random($SEED); print(d.date(2025, 12, 8) + d.timedelta(days=r.randrange(358)))")}"
COMMIT="$(git -C "$REPO" log -1 --format=%H --before="${DATE}T23:59:59Z" HEAD)"
echo "== as-of date $DATE (seed $SEED): commit $COMMIT"
CHECKOUT="$WORK/asof-checkout"
rm -rf "$CHECKOUT"
git clone -q --no-checkout "$REPO" "$CHECKOUT" && git -C "$CHECKOUT" checkout -q "$COMMIT"

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$WORK/asof-speed.json" \
  -n "report --as-of $DATE" "$SOC2LINT report $REPO --out $WORK/asof-out-1 --as-of $DATE" \
  -n "report on a checkout of that commit" "$SOC2LINT report $CHECKOUT --out $WORK/asof-out-2 --period $(python3 -c "import datetime as d; t = d.date.fromisoformat('$DATE'); print(f'{t - d.timedelta(days=364)}..{t}')")" \
  >/dev/null
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/asof-speed.json" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    cpu = r["user"] + r["system"]
    print(f"   {r['command']:40s} median {r['median']:6.2f} s  (min {r['min']:.2f}, max {r['max']:.2f},"
          f" {len(r['times'])} runs)  CPU {cpu:.2f} s")
EOF
# the same control statuses either way, except where the records rules judge by date: without
# --as-of they judge as of today (a drill long past), with it as of DATE
echo "== controls.csv, --as-of against the checkout (expected: at most the record criteria differ)"
diff "$WORK/asof-out-1/controls.csv" "$WORK/asof-out-2/controls.csv" | sed 's/^/   /'
