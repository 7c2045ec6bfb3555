#!/usr/bin/env bash
# GitHub Actions scan time on REAL workflows: soc2lint vs zizmor (and checkov), same files.
#
#   bash bench/workflows_vs_zizmor.sh
#   SOC2LINT=/tmp/v0/bin/soc2lint RUNS=5 CHECKOV_RUNS=3 bash bench/workflows_vs_zizmor.sh
#   SKIP_CHECKOV=1 bash bench/workflows_vs_zizmor.sh        # soc2lint and zizmor only (seconds)
#   MAX_FILES=200 bash bench/workflows_vs_zizmor.sh         # a smaller corpus (first N by name)
#   SOC2LINT_EXTRA="--ignore GHA012" SKIP_CHECKOV=1 bash bench/workflows_vs_zizmor.sh   # extra scan options
#   SOURCE=bench/.work/check2-workflows SKIP_CHECKOV=1 bash bench/workflows_vs_zizmor.sh  # another corpus
#   PAIRS=7 ...                                             # also alternate the two tools run by run
#
# 1. Creates bench/.work/zizmor-venv and `pip install zizmor` into it (once; ZIZMOR_SPEC picks the
#    requirement; it is a Rust binary in a wheel). Reuses bench/.work/checkov-venv, creating it as
#    scan_vs_checkov.sh does when it is missing (CHECKOV_SPEC).
# 2. Builds bench/.work/zizmor-corpus/.github/workflows/<owner>__<repo>__<file> from every
#    workflow in bench/.work/real-workflows (bench/collect_workflows.py; run it first; SOURCE=DIR
#    takes another collected corpus, flattened into bench/.work/zizmor-corpus-<name of DIR>), so the
#    three tools see one repository with one workflows directory. A file zizmor refuses to load
#    (it aborts the whole run on one, e.g. a `choice` input whose options are lists) is moved to
#    bench/.work/zizmor-corpus-excluded/ and listed, so that every tool scans the same files.
# 3. Times end to end (median of RUNS >= 5 after WARMUP; hyperfine when installed, else a Python
#    perf_counter loop, via bench/timing.py), output to /dev/null:
#      soc2lint <corpus> --format json --fail-on never -q
#      zizmor --offline --format json <corpus>                 (GH_TOKEN/GITHUB_TOKEN unset)
#      checkov -d <corpus> --framework github_actions --quiet --compact -o json --skip-download
#    (checkov CHECKOV_RUNS times, default 3, no warm-up; offline as in scan_vs_checkov.sh.)
#    One untimed run of each is kept (bench/.work/zvs-*.json) and its file and finding counts are
#    printed, so a tool that audits nothing cannot pass for a fast one.
#    With PAIRS=N (N >= 3), N more rounds alternate soc2lint and zizmor run by run (whole-process
#    wall and CPU time, no RSS wrapper), so both see the same machine load: medians of each and
#    the median of the per-round ratios soc2lint/zizmor (bench/.work/zvs-pairs.json).
# 4. Prints medians, peak RSS, soc2lint/zizmor (target <= 1.0) and checkov/soc2lint (target >= 10).
# It measures and prints; it never fails on a missed target.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"
SOC2LINT="${SOC2LINT:-soc2lint}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
CHECKOV_RUNS="${CHECKOV_RUNS:-3}"
MAX_FILES="${MAX_FILES:-0}"             # 0: every workflow in the real-workflows corpus
ZIZMOR_SPEC="${ZIZMOR_SPEC:-zizmor}"
CHECKOV_SPEC="${CHECKOV_SPEC:-checkov}"
ZIZMOR_VENV="$WORK/zizmor-venv"
CHECKOV_VENV="$WORK/checkov-venv"
PAIRS="${PAIRS:-0}"                     # > 0: also alternate soc2lint and zizmor run by run
SOURCE="$(realpath -m "${SOURCE:-$WORK/real-workflows}")"
if [[ "$SOURCE" == "$WORK/real-workflows" ]]; then
  CORPUS="$WORK/zizmor-corpus"
else
  CORPUS="$WORK/zizmor-corpus-$(basename "$SOURCE")"
fi
EXCLUDED="$CORPUS-excluded"
PYTHON="${PYTHON:-python3}"
if (( RUNS < 5 )); then RUNS=5; fi
mkdir -p "$WORK"

read -r -a SX <<<"${SOC2LINT_EXTRA:-}"   # appended to both soc2lint commands
source "$BENCH/common.sh"

echo "== real workflows: soc2lint vs zizmor vs checkov ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "   soc2lint: $(command -v "${S[0]}") ($("${S[@]}" --version 2>&1 | head -1))"
echo "   source: $(soc2lint_source_id)"
[[ ${#SX[@]} -gt 0 ]] && echo "   extra soc2lint options: ${SX[*]}"

# --- 1. zizmor and checkov, each in its own virtualenv ------------------------------------------
install_into() {  # venv spec log
  "$PYTHON" -m venv "$1" \
    && "$1/bin/pip" install -q --upgrade pip >"$3" 2>&1 \
    && "$1/bin/pip" install "$2" >>"$3" 2>&1
}
ZIZMOR=""
if [[ ! -x "$ZIZMOR_VENV/bin/zizmor" ]]; then
  echo "-- installing $ZIZMOR_SPEC into $ZIZMOR_VENV"
  if ! install_into "$ZIZMOR_VENV" "$ZIZMOR_SPEC" "$WORK/zizmor-pip-install.log"; then
    echo "!! pip install $ZIZMOR_SPEC failed; the error (from $WORK/zizmor-pip-install.log):"
    grep -iE "error|could not|no matching|failed" "$WORK/zizmor-pip-install.log" | tail -20 | sed 's/^/   /'
  fi
fi
[[ -x "$ZIZMOR_VENV/bin/zizmor" ]] && ZIZMOR="$ZIZMOR_VENV/bin/zizmor" \
  && echo "   zizmor:   $ZIZMOR ($("$ZIZMOR" --version 2>&1 | head -1))"

CHECKOV=""
if [[ "${SKIP_CHECKOV:-0}" != "1" ]]; then
  if [[ ! -x "$CHECKOV_VENV/bin/checkov" ]]; then
    echo "-- installing $CHECKOV_SPEC into $CHECKOV_VENV (a few minutes)"
    if ! install_into "$CHECKOV_VENV" "$CHECKOV_SPEC" "$WORK/pip-install.log"; then
      echo "!! pip install $CHECKOV_SPEC failed; the error (from $WORK/pip-install.log):"
      grep -iE "error|could not|no matching|failed" "$WORK/pip-install.log" | tail -20 | sed 's/^/   /'
    fi
  fi
  if [[ -x "$CHECKOV_VENV/bin/checkov" ]]; then
    CHECKOV="$CHECKOV_VENV/bin/checkov"
    echo "   checkov:  $CHECKOV ($("$CHECKOV_VENV/bin/python" -c 'from checkov.version import version; print(version)' 2>/dev/null))"
  fi
fi

# --- 2. the flattened corpus ------------------------------------------------------------------
if [[ ! -d "$SOURCE" ]]; then
  echo "!! no $SOURCE: run  python3 bench/collect_workflows.py --from-list bench/real-workflows.txt  first" >&2
  exit 2
fi
rm -rf "$CORPUS" "$EXCLUDED"
mkdir -p "$CORPUS/.github/workflows" "$EXCLUDED"
"$PYTHON" - "$SOURCE" "$CORPUS/.github/workflows" "$MAX_FILES" <<'EOF'
import re, shutil, sys
from pathlib import Path
src, dst, limit = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
files = sorted(p for p in src.rglob("*") if p.is_file()
               and re.search(r"(^|/)\.github/workflows/[^/]+\.ya?ml$", p.relative_to(src).as_posix()))
if limit > 0:
    files = files[:limit]
for p in files:
    rel = p.relative_to(src).as_posix()
    repo, _, rest = rel.partition("/")
    # <owner>__<repo>__<file>; a workflow dir deeper than the root keeps its path (/ -> __)
    sub = rest[: -len(p.name)].replace(".github/workflows/", "").strip("/").replace("/", "__")
    shutil.copyfile(p, dst / "__".join(x for x in (repo, sub, p.name) if x))
EOF

export GIT_CEILING_DIRECTORIES="$WORK"   # walk the corpus as a plain directory (see README)
ZENV=(env -u GH_TOKEN -u GITHUB_TOKEN -u ZIZMOR_GITHUB_TOKEN)
if [[ -n "$ZIZMOR" ]]; then
  # zizmor stops the whole run ("fatal: no audit was performed") at a file it cannot model;
  # set such files aside until it audits the rest.
  for _ in $(seq 1 100); do
    "${ZENV[@]}" "$ZIZMOR" --offline --format json "$CORPUS" >"$WORK/zvs-zizmor.json" 2>"$WORK/zvs-zizmor-stderr.txt"
    zrc=$?
    bad=$(grep -oE 'failed to load file://[^ ]+ as (workflow|action)' "$WORK/zvs-zizmor-stderr.txt" | head -1 \
          | sed -E 's|^failed to load file://||; s| as [a-z]+$||')
    [[ -z "$bad" || ! -f "$bad" ]] && break
    reason=$(awk '/^Caused by:/{c=1; next} /^Stack backtrace:/{c=0} c && /^ +[0-9]+: /{l=$0} END{print l}' \
             "$WORK/zvs-zizmor-stderr.txt" | sed -E 's/^ +[0-9]+: //')
    echo "   zizmor cannot load $(basename "$bad") ($reason): excluded from the corpus for every tool"
    mv "$bad" "$EXCLUDED/"
  done
fi
NFILES=$(find "$CORPUS" -type f | wc -l)
NBYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
NEXCL=$(find "$EXCLUDED" -type f | wc -l)
echo "   corpus: $CORPUS ($NFILES workflow files, $NBYTES bytes; $NEXCL excluded)"

# --- 3a. one untimed run of each, kept, to show what it found --------------------------------
"${S[@]}" "$CORPUS" --format json --fail-on never -q "${SX[@]}" >"$WORK/zvs-soc2lint.json" 2>"$WORK/zvs-soc2lint-stderr.txt"
src=$?
crc=""
if [[ -n "$CHECKOV" ]]; then
  env -u BC_API_KEY -u PRISMA_API_URL BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
    CKV_SKIP_PACKAGE_UPDATE_CHECK=true \
    "$CHECKOV" -d "$CORPUS" --framework github_actions --quiet --compact -o json --skip-download \
    >"$WORK/zvs-checkov.json" 2>"$WORK/zvs-checkov-stderr.txt"
  crc=$?
fi
"$PYTHON" - "$WORK" "$src" "${zrc:-}" "$crc" "$NFILES" <<'EOF'
import collections, json, re, sys
from pathlib import Path
work, src, zrc, crc, nfiles = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
top = lambda c, n=8: ", ".join(f"{k} {v}" for k, v in c.most_common(n))
try:
    r = json.loads((work / "zvs-soc2lint.json").read_text())
    c = collections.Counter(f["rule_id"] for f in r["findings"])
    print(f"   soc2lint: exit {src}, {r['files_scanned']} files parsed, {len(r['findings'])} findings: {top(c, 20)}")
    if r["files_scanned"] != nfiles:
        print(f"!! soc2lint parsed {r['files_scanned']} of {nfiles} files")
except Exception as exc:
    print(f"!! soc2lint produced no JSON report (exit {src}): {exc}")
if zrc:
    err = (work / "zvs-zizmor-stderr.txt").read_text(errors="replace")
    done = len(re.findall(r"completed \S+", err))
    try:
        z = json.loads((work / "zvs-zizmor.json").read_text())
        c = collections.Counter(f["ident"] for f in z)
        files = {l["symbolic"]["key"].get("Local", {}).get("verbatim_path") for f in z for l in f["locations"]}
        print(f"   zizmor:   exit {zrc} (non-zero = findings), {done} files audited ('completed'), "
              f"{len(z)} findings in {len(files - {None})} files: {top(c, 20)}")
        if done != nfiles:
            print(f"!! zizmor audited {done} of {nfiles} files")
    except Exception as exc:
        print(f"!! zizmor produced no JSON report (exit {zrc}): {exc}; stderr: {err.strip()[-500:]}")
if crc:
    try:
        d = json.loads((work / "zvs-checkov.json").read_text())
        for rep in d if isinstance(d, list) else [d]:
            s = rep.get("summary", {})
            # --quiet lists failed checks only
            files = {x.get("file_path") for x in rep.get("results", {}).get("failed_checks", [])}
            print(f"   checkov:  exit {crc} (1 = failed checks), {rep.get('check_type')}: {s.get('passed')} passed / "
                  f"{s.get('failed')} failed checks ({len(files)} files with a failed check), "
                  f"{s.get('parsing_errors')} parsing errors")
    except Exception as exc:
        print(f"!! checkov produced no JSON report (exit {crc}): {exc}")
EOF

# --- 3b. timings ------------------------------------------------------------------------------
echo "-- timing soc2lint ($RUNS runs after $WARMUP warm-up)"
"$PYTHON" "$BENCH/timing.py" --label "soc2lint" --runs "$RUNS" --warmup "$WARMUP" \
  --json "$WORK/zvs-time-soc2lint.json" -- "${S[@]}" "$CORPUS" --format json --fail-on never -q "${SX[@]}"
rm -f "$WORK/zvs-time-zizmor.json" "$WORK/zvs-time-checkov.json"
if [[ -n "$ZIZMOR" ]]; then
  echo "-- timing zizmor ($RUNS runs after $WARMUP warm-up)"
  "${ZENV[@]}" "$PYTHON" "$BENCH/timing.py" --label "zizmor" --runs "$RUNS" --warmup "$WARMUP" \
    --json "$WORK/zvs-time-zizmor.json" -- "$ZIZMOR" --offline --format json "$CORPUS"
fi
if [[ -n "$CHECKOV" ]]; then
  echo "-- timing checkov ($CHECKOV_RUNS runs, no warm-up)"
  env -u BC_API_KEY -u PRISMA_API_URL BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
    CKV_SKIP_PACKAGE_UPDATE_CHECK=true \
    "$PYTHON" "$BENCH/timing.py" --no-probe --label "checkov" --runs "$CHECKOV_RUNS" --warmup 0 \
    --json "$WORK/zvs-time-checkov.json" -- \
    "$CHECKOV" -d "$CORPUS" --framework github_actions --quiet --compact -o json --skip-download
fi

# --- 3c. paired: the two tools alternated run by run ------------------------------------------
if [[ -n "$ZIZMOR" ]] && (( PAIRS > 0 )); then
  (( PAIRS < 3 )) && PAIRS=3
  echo "-- paired: $PAIRS rounds of soc2lint then zizmor (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "${ZENV[@]}" "$PYTHON" - "$WORK/zvs-pairs.json" "$PAIRS" "$CORPUS" "$ZIZMOR" "${S[@]}" -- "${SX[@]}" <<'EOF'
import json, os, statistics, subprocess, sys, time
out, pairs, corpus, zizmor = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rest = sys.argv[5:]
cut = rest.index("--")
soc = rest[:cut] + [corpus, "--format", "json", "--fail-on", "never", "-q"] + rest[cut + 1 :]
cmds = {"soc2lint": soc, "zizmor": [zizmor, "--offline", "--format", "json", corpus]}
def wall(cmd):
    """Wall time and CPU time (user + system, the process and its children) of one run."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, ru = os.wait4(proc.pid, 0)
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime
for cmd in cmds.values():  # warm-up, untimed
    wall(cmd)
runs = {n: [] for n in cmds}
cpu = {n: [] for n in cmds}
loads = []
for _ in range(pairs):
    loads.append(float(open("/proc/loadavg").read().split()[0]))
    for n, cmd in cmds.items():
        w, c = wall(cmd)
        runs[n].append(w)
        cpu[n].append(c)
ratios = [s / z for s, z in zip(runs["soc2lint"], runs["zizmor"])]
cpu_ratios = [s / z for s, z in zip(cpu["soc2lint"], cpu["zizmor"])]
med = statistics.median
res = {"pairs": pairs, "runs": runs, "cpu": cpu, "ratios": ratios, "cpu_ratios": cpu_ratios,
       "load_1min": loads, "median_soc2lint_s": med(runs["soc2lint"]),
       "median_zizmor_s": med(runs["zizmor"]), "median_ratio": med(ratios),
       "median_cpu_soc2lint_s": med(cpu["soc2lint"]), "median_cpu_zizmor_s": med(cpu["zizmor"]),
       "median_cpu_ratio": med(cpu_ratios)}
print(f"   wall: soc2lint median {res['median_soc2lint_s']:.3f} s, zizmor median {res['median_zizmor_s']:.3f} s, "
      f"pairwise soc2lint/zizmor median {res['median_ratio']:.2f} (range {min(ratios):.2f}-{max(ratios):.2f})")
print(f"   CPU (user+sys, with children): soc2lint median {res['median_cpu_soc2lint_s']:.3f} s, "
      f"zizmor median {res['median_cpu_zizmor_s']:.3f} s, pairwise median {res['median_cpu_ratio']:.2f}")
print(f"   load (1 min) {min(loads):.2f}-{max(loads):.2f} during the rounds")
open(out, "w").write(json.dumps(res, indent=1) + "\n")
EOF
fi

# --- 4. summary -------------------------------------------------------------------------------
"$PYTHON" - "$WORK" "$NFILES" "$NBYTES" <<'EOF'
import datetime, json, os, sys
from pathlib import Path
work, nfiles, nbytes = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
load = lambda n: json.loads((work / f"zvs-time-{n}.json").read_text()) if (work / f"zvs-time-{n}.json").exists() else None
res = {n: load(n) for n in ("soc2lint", "zizmor", "checkov")}
mib = lambda b: f"{b / 1048576:.0f} MiB" if b else "n/a"
print()
print(f"{'tool':<10}{'median':>10}{'min':>9}{'max':>9}{'runs':>6}{'files/s':>9}{'peak RSS':>10}{'tree RSS':>10}{'exit':>7}")
for name, r in res.items():
    if r is None:
        print(f"{name:<10}   (not measured)")
        continue
    print(f"{name:<10}{r['median_s']:>9.3f}s{r['min_s']:>8.3f}s{r['max_s']:>8.3f}s{r['runs']:>6}"
          f"{nfiles / r['median_s']:>9.0f}{mib(r['peak_rss_bytes']):>10}{mib(r['peak_tree_rss_bytes']):>10}"
          f"{','.join(map(str, r['exit_statuses_timed'])) or '?':>7}")
s, z, c = res["soc2lint"], res["zizmor"], res["checkov"]
print()
print(f"corpus: {nfiles} real workflow files, {nbytes / 1048576:.2f} MiB")
out = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
       "cores": os.cpu_count(), "files": nfiles, "bytes": nbytes, **res}
if z:
    out["ratio_soc2lint_over_zizmor"] = q = s["median_s"] / z["median_s"]
    print(f"soc2lint_time / zizmor_time  = {q:.2f}   (target <= 1.0: {'met' if q <= 1.0 else 'NOT met'})")
if c:
    out["ratio_checkov_over_soc2lint"] = q = c["median_s"] / s["median_s"]
    print(f"checkov_time / soc2lint_time = {q:.1f}x  (target >= 10x: {'met' if q >= 10 else 'NOT met'})")
print(f"peak RSS (largest process): soc2lint {mib(s['peak_rss_bytes'])}"
      + (f", zizmor {mib(z['peak_rss_bytes'])}" if z else "")
      + (f", checkov {mib(c['peak_rss_bytes'])} (process tree {mib(c['peak_tree_rss_bytes'])})" if c else ""))
(work / "zvs-results.json").write_text(json.dumps(out, indent=1) + "\n")
EOF
