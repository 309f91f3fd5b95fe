#!/usr/bin/env bash
# The guard benchmark on the lent device (16 quiet cores, python3, no Node, no network): the
# files that Node would make here come along in .bench-carry/guard/, made beforehand with
#   node --conditions=@rouse/source bench/guard/run.ts --prepare-device
# (Go binaries, app.py and app-proxy.py, wheels/ of the ASGI stand-in's packages). They are installed offline
# into a venv under /tmp first. Writes $OUT/guard-raw.json and the processes' logs to $OUT;
# back here,
#   node --conditions=@rouse/source bench/guard/report.ts <files_at>/guard-raw.json
# turns it into bench/results/guard.md + guard.json.
# Each scenario (9) runs direct, through the transport guard (one process, and
# GUARD_BENCH_WORKERS, default 4, on one port), and on the ASGI stand-in without and with
# the in-process guard, in one server process and in GUARD_BENCH_ASGI_SERVERS (default 4);
# the ASGI rows of paced 256 and 1,000 run GUARD_BENCH_REPEATS times (default 3): 79 runs
# of GUARD_BENCH_WARMUP + GUARD_BENCH_DURATION seconds (default 1 + 4: about 7.5 minutes);
# shorter ones make a dry run. The load generator's workers start spread over the warm-up
# (GUARD_BENCH_RAMP seconds instead; 0: all at once), and before the runs the in-process
# guard's own time per request is measured alone (guard_cost.py, a few seconds).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
carry=.bench-carry/guard
out=${OUT:?set OUT to a folder for the results}
for f in standin loadgen app.py app-proxy.py wheels/requirements-asgi.txt; do
  [ -e "$carry/$f" ] || { echo "device.sh: $carry/$f missing: run run.ts --prepare-device first" >&2; exit 2; }
done
chmod +x "$carry/standin" "$carry/loadgen"
ulimit -n "$(ulimit -Hn)" || true

# The wheels, offline, into a venv of their own; where python3 cannot make one (no
# ensurepip), into a folder on PYTHONPATH instead.
venv=${GUARD_BENCH_VENV:-/tmp/rouse-guard-bench-venv}
install=(--quiet --no-index --no-cache-dir --disable-pip-version-check --find-links "$carry/wheels"
  --requirement "$carry/wheels/requirements-asgi.txt")
if python3 -m venv --clear "$venv" > "$out/venv.log" 2>&1; then
  py=$venv/bin/python
  "$py" -m pip install "${install[@]}"
else
  py=python3
  python3 -m pip install --target "$venv-site" --upgrade "${install[@]}"
  export PYTHONPATH=$venv-site${PYTHONPATH:+:$PYTHONPATH}
fi
{
  echo "date: $(date -u +%FT%TZ)"; echo "nproc: $(nproc)"; echo "loadavg: $(cat /proc/loadavg)"
  "$py" -c 'import sys; print("python", sys.version, sys.executable)'
  "$py" -c 'import uvloop, uvicorn, starlette, httptools; print("uvloop", uvloop.__version__, "uvicorn", uvicorn.__version__, "starlette", starlette.__version__, "httptools", httptools.__version__)' 2>&1 || true
  ulimit -n
} > "$out/machine.txt" 2>&1
# Logs outside $OUT until the end: the lent machine sends back only a handful of files, and a
# run cut at its time limit must still send back guard-raw.json.
logs=$(mktemp -d)
# A focused run: GUARD_BENCH_ONLY (a part of the scenarios' names), GUARD_BENCH_ARMS (rows).
focus=()
[ -z "${GUARD_BENCH_ONLY:-}" ] || focus+=(--only="$GUARD_BENCH_ONLY")
[ -z "${GUARD_BENCH_ARMS:-}" ] || focus+=(--arms="$GUARD_BENCH_ARMS")
[ -z "${GUARD_BENCH_RAMP:-}" ] || focus+=(--ramp="$GUARD_BENCH_RAMP")
rc=0
timeout "${GUARD_BENCH_TIMEOUT:-540}" "$py" bench/guard/drive.py --bin="$carry" --app="$carry/app.py" \
  --proxy-app="$carry/app-proxy.py" --out="$out/guard-raw.json" --logs="$logs" \
  --warmup="${GUARD_BENCH_WARMUP:-1}" --duration="${GUARD_BENCH_DURATION:-4}" \
  --workers="${GUARD_BENCH_WORKERS:-4}" --asgi-servers="${GUARD_BENCH_ASGI_SERVERS:-4}" \
  --repeats="${GUARD_BENCH_REPEATS:-3}" --commit="$(cat "$carry/commit.txt" 2>/dev/null || true)" \
  --machine="${GUARD_BENCH_MACHINE:-lent device}" ${focus[@]+"${focus[@]}"} \
  2> >(tee "$out/drive.log" >&2) || rc=$?
# The lent machine sends back only a handful of files: the processes' logs go in one tarball.
cp "$out/venv.log" "$logs/" 2>/dev/null && rm -f "$out/venv.log"
tar -C "$logs" -czf "$out/logs.tar.gz" .
exit "$rc"
