#!/usr/bin/env bash
# The guard benchmark on the lent device (16 quiet cores, python3, no Node): the files
# that Node would make here come along in .bench-carry/guard/, made beforehand with
#   node --conditions=@rouse/source bench/guard/run.ts --prepare-device
# Writes $OUT/guard-raw.json and the processes' logs to $OUT; back here,
#   node --conditions=@rouse/source bench/guard/report.ts <files_at>/guard-raw.json
# turns it into bench/results/guard.md + guard.json.
# Each scenario runs direct, through the guard as emitted (one process) and through
# GUARD_BENCH_WORKERS (default 4) guard processes on one port: 27 runs of
# GUARD_BENCH_WARMUP + GUARD_BENCH_DURATION seconds (default 2 + 8: ~300 s in all);
# shorter ones make a dry run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
carry=.bench-carry/guard
out=${OUT:?set OUT to a folder for the results}
for f in standin loadgen app.py; do
  [ -e "$carry/$f" ] || { echo "device.sh: $carry/$f missing: run run.ts --prepare-device first" >&2; exit 2; }
done
chmod +x "$carry/standin" "$carry/loadgen"
ulimit -n "$(ulimit -Hn)" || true
{
  echo "date: $(date -u +%FT%TZ)"; echo "nproc: $(nproc)"; echo "loadavg: $(cat /proc/loadavg)"
  python3 -c 'import sys; print("python", sys.version)'
  python3 -c 'import uvloop; print("uvloop", uvloop.__version__)' 2>&1 || true
  ulimit -n
} > "$out/machine.txt" 2>&1
timeout 420 python3 bench/guard/drive.py --bin="$carry" --app="$carry/app.py" --out="$out/guard-raw.json" \
  --warmup="${GUARD_BENCH_WARMUP:-2}" --duration="${GUARD_BENCH_DURATION:-8}" \
  --workers="${GUARD_BENCH_WORKERS:-4}" --machine="${GUARD_BENCH_MACHINE:-lent device}" \
  2> >(tee "$out/drive.log" >&2)
