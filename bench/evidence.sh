#!/usr/bin/env bash
# Rule evaluation time on a large organisation's GitHub evidence, on top of start-up:
# 500 members without 2FA, 200 collaborators, 20 rulesets (bench/gen_evidence.py).
#
#   bash bench/evidence.sh            # SOC2LINT=... RUNS=10
#
# Times `soc2lint <dir> --select GH,SL --format json` on the evidence directory and on an empty
# directory (start-up, rule loading, discovery of nothing); the difference is the evaluation.
# Target: under 0.5 s. Measures and prints; never fails on a target.
set -uo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
SOC2LINT="${SOC2LINT:-soc2lint}"
RUNS="${RUNS:-10}"
export GIT_CEILING_DIRECTORIES="$WORK"
mkdir -p "$WORK/evidence-empty"
python3 "$BENCH/gen_evidence.py" --out "$WORK/evidence-org"
read -r -a S <<<"$SOC2LINT"
"${S[@]}" "$WORK/evidence-org" --select GH,SL --format json --fail-on never \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("findings:", d["summary"]["findings"], "files:", d["files_scanned"])'
python3 "$BENCH/timing.py" --label "evidence" --runs "$RUNS" --json "$WORK/evidence-time.json" -- \
  "${S[@]}" "$WORK/evidence-org" --select GH,SL --format json --fail-on never
python3 "$BENCH/timing.py" --label "empty" --runs "$RUNS" --json "$WORK/evidence-empty-time.json" -- \
  "${S[@]}" "$WORK/evidence-empty" --select GH,SL --format json --fail-on never
python3 - "$WORK/evidence-time.json" "$WORK/evidence-empty-time.json" <<'PY'
import json, sys
full, empty = (json.load(open(p)) for p in sys.argv[1:3])
f, e = full["median_s"], empty["median_s"]
print(f"evidence scan median {f:.3f} s, empty scan median {e:.3f} s: evaluation {f - e:.3f} s (target < 0.5 s)")
PY
