#!/usr/bin/env bash
# `pnpm test:engine`: rouse's tests against a REAL vLLM — the CPU build from
# tools/engine-cpu, serving a tiny random-weight Llama made on the spot.
#
#   bash tools/test-engine.sh                        # everything below (~5 min on 2 cores)
#   bash tools/test-engine.sh --with-engine -- CMD…  # only start the shared engine, run CMD with
#                                                    # the env below (e.g. to record fixtures), stop
#
# 1. tools/engine-cpu/setup.sh installs/refreshes the venv (0.5 s when up to date).
#    Its exit 2 (unsupported platform: not Linux x86_64, no AVX2, old glibc, no
#    Python 3.11-3.14) prints a SKIP line and exits 0 (exits 1 instead with
#    ROUSE_TEST_ENGINE_REQUIRE=1); any other failure fails.
# 2. The tiny model goes to .cache/tiny-model (made once; byte-identical every time).
# 3. Baseline: the projects' tests run once WITHOUT the engine env, in the background
#    while the shared engine starts, only to learn which tests are engine-gated
#    (the count on the last line = tests that ran with the engine env but were
#    skipped without it).
# 4. Phase 1, ONE shared engine on a free loopback port, for suites that only need a
#    running server: every test file of the projects that reads ROUSE_TEST_ENGINE_URL
#    (today: @rouse/client's engine-suite.test.ts). Stopped afterwards (and on EXIT).
# 5. Phase 2, suites that spawn their own engine from ROUSE_VLLM_CPU:
#    `nx run-many -t test` over @rouse/engine-vllm @rouse/runtime @rouse/client (those that
#    exist; nx silently runs nothing for an unknown name), one project and one test
#    file at a time (--parallel=1, --no-file-parallelism: one engine at a time), with
#    --skip-nx-cache (env vars are not nx inputs: a cached engine-less result would be
#    replayed, and this run's result must not be replayed to a plain `pnpm test`).
# 6. Last line, for CI logs: `engine: N passed, N failed`. Exit 0 only when every
#    phase passed and at least one engine test ran.
#
# Env contract — exported to every test process of phases 1 and 2:
#   ROUSE_VLLM_CPU             absolute path of the venv's `vllm` executable (its
#                             `python` is next to it). Gate for tests that spawn engines.
#   ROUSE_TINY_MODEL           absolute path of the tiny model dir (config.json, tokenizer,
#                             ChatML template; no weights: serve it with --load-format dummy).
#   ROUSE_VLLM_CPU_ARGS        the fast profile's `vllm serve` flags, space-separated:
#                             "--enforce-eager --kv-cache-memory-bytes 67108864" (eager = no
#                             torch.compile; an explicit KV size, else vLLM sizes it from RAM).
#   HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1   never reach for the Hugging Face hub.
#   VLLM_TARGET_DEVICE=cpu    belt and braces (the "+cpu" metadata alias already selects it).
#   VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1      no telemetry.
#   VLLM_ENABLE_V1_MULTIPROCESSING=0          fast profile: the worker runs inside the
#                             EngineCore process (-15-20 s of imports per start).
#   Not exported: VLLM_SERVER_DEV_MODE (a test that wants /sleep /wake_up sets it on its
#   own engine; --enable-sleep-mode itself is rejected on CPU) and VLLM_CPU_KVCACHE_SPACE
#   (unset, so it can't fight --kv-cache-memory-bytes).
# Phase 1 only (unset in the baseline and in phase 2):
#   ROUSE_TEST_ENGINE_URL      http://127.0.0.1:<port> of the shared engine (no /v1).
#   ROUSE_TEST_ENGINE_MODEL    its served model name: "tiny".
#   ROUSE_TEST_ENGINE_API_KEY  the engine runs with --api-key, so /v1/* needs this bearer
#                             token (/health, /metrics don't).
#
# Knobs read by this script:
#   ROUSE_TEST_ENGINE_REQUIRE=1           an unsupported platform fails instead of skipping.
#   ROUSE_TEST_ENGINE_START_TIMEOUT_S     deadline for the shared engine's /health (default 300).
#   ROUSE_TEST_ENGINE_PROJECTS            phase-2 projects (default: the three above, plus every
#                                        project whose src/ or test/ .ts files name ROUSE_VLLM_CPU
#                                        or ROUSE_TINY_MODEL; when set, exactly these).
# Phase-1 files are found the same way: *.test.ts files that name ROUSE_TEST_ENGINE_URL.
# Logs and reports: .cache/test-engine/ (engine.log, baseline.log, results.jsonl).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROUSE_ROOT"

T_START=$(date +%s.%N)
log() { printf '[test-engine] %s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

MODE=all
if [ "${1:-}" = "--with-engine" ]; then
  MODE=with-engine; shift
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || { log "usage: $0 --with-engine -- CMD [ARGS…]"; exit 64; }
elif [ $# -gt 0 ]; then
  sed -n '2,7p' "$0" >&2; exit 64
fi

PHASE2_PROJECTS=(${ROUSE_TEST_ENGINE_PROJECTS:-@rouse/engine-vllm @rouse/runtime @rouse/client})
ENGINE_VARS=(ROUSE_TEST_ENGINE_URL ROUSE_TEST_ENGINE_MODEL ROUSE_TEST_ENGINE_API_KEY)
GATE_VARS=(ROUSE_VLLM_CPU ROUSE_TINY_MODEL "${ENGINE_VARS[@]}")
WORK="$ROUSE_ROOT/.cache/test-engine"
mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"

# ---- 1. the engine ------------------------------------------------------------
T_SETUP=$(date +%s.%N)
set +e
VLLM_BIN="$(bash tools/engine-cpu/setup.sh)"
rc=$?
set -e
if [ $rc -eq 2 ]; then
  if [ "${ROUSE_TEST_ENGINE_REQUIRE:-0}" = 1 ]; then
    log "FAIL: unsupported platform (see above) and ROUSE_TEST_ENGINE_REQUIRE=1"
    echo "engine: 0 passed, 0 failed (unsupported platform)"
    exit 1
  fi
  echo "SKIP: real-engine tests skipped: tools/engine-cpu/setup.sh says this platform can't run vllm-cpu (reason above)"
  echo "engine: 0 passed, 0 failed (skipped: unsupported platform)"
  exit 0
fi
[ $rc -eq 0 ] && [ -x "$VLLM_BIN" ] || { log "FAIL: tools/engine-cpu/setup.sh failed (rc=$rc)"; exit 1; }
SETUP_S=$(elapsed "$T_SETUP")
PY="$(dirname "$VLLM_BIN")/python"

# ---- 2. the tiny model (idempotent: deterministic files, remade only if absent) --
MODEL="$ROUSE_ROOT/.cache/tiny-model"
if [ ! -f "$MODEL/config.json" ] || [ ! -f "$MODEL/tokenizer.json" ]; then
  rm -rf "$MODEL.tmp"
  "$PY" tools/engine-cpu/make_tiny_model.py "$MODEL.tmp" >&2
  rm -rf "$MODEL" && mv "$MODEL.tmp" "$MODEL"
fi

export ROUSE_VLLM_CPU="$VLLM_BIN" ROUSE_TINY_MODEL="$MODEL"
export ROUSE_VLLM_CPU_ARGS="--enforce-eager --kv-cache-memory-bytes 67108864"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_TARGET_DEVICE=cpu
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 VLLM_ENABLE_V1_MULTIPROCESSING=0
unset VLLM_CPU_KVCACHE_SPACE VLLM_SERVER_DEV_MODE "${ENGINE_VARS[@]}"

# ---- projects and files -------------------------------------------------------
# Nx's projects are the workspace's package.json files (no inference plugins): name → dir.
declare -A ROOT_OF=()
while IFS=$'\t' read -r name dir; do ROOT_OF[$name]="$dir"; done < <(node -e '
const { readFileSync, readdirSync, existsSync } = require("node:fs");
for (const top of ["packages", "apps"])
  for (const d of existsSync(top) ? readdirSync(top) : [])
    if (existsSync(`${top}/${d}/package.json`))
      console.log(`${JSON.parse(readFileSync(`${top}/${d}/package.json`, "utf8")).name}\t${top}/${d}`);')
mapfile -t ALL_PROJECTS < <(pnpm -s nx show projects | sort)
project_root() { echo "${ROOT_OF[$1]:-}"; }
in_list() { local x="$1"; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }
has_project() { in_list "$1" "${ALL_PROJECTS[@]}"; }
P2=()
for p in "${PHASE2_PROJECTS[@]}"; do
  if has_project "$p"; then P2+=("$p"); else log "phase 2: $p is not in the workspace (yet); left out"; fi
done
# … plus any other project whose sources read ROUSE_VLLM_CPU / ROUSE_TINY_MODEL (a gateway test, say)
if [ -z "${ROUSE_TEST_ENGINE_PROJECTS:-}" ]; then
  for p in "${ALL_PROJECTS[@]}"; do
    root="$(project_root "$p")"
    [ -n "$root" ] && ! in_list "$p" "${P2[@]}" || continue
    if (cd "$root" && grep -rqE --include='*.ts' 'ROUSE_VLLM_CPU|ROUSE_TINY_MODEL' src test 2>/dev/null); then
      log "phase 2: + $p (its sources read ROUSE_VLLM_CPU / ROUSE_TINY_MODEL)"; P2+=("$p")
    fi
  done
fi
# phase 1: test files (relative to their project) that read ROUSE_TEST_ENGINE_URL
P1=(); declare -A P1_FILES=()
for p in "${ALL_PROJECTS[@]}"; do
  root="$(project_root "$p")"
  [ -n "$root" ] || continue
  files="$(cd "$root" && grep -rlE --include='*.test.ts' 'ROUSE_TEST_ENGINE_URL' src test 2>/dev/null | sort | tr '\n' ' ' || true)"
  if [ -n "$files" ]; then P1+=("$p"); P1_FILES[$p]="$files"; fi
done

# A vitest reporter (next to the default one) that appends every test's outcome, with
# its file and phase, to results.jsonl; a file that fails to load counts as a failure.
REPORTER="$WORK/reporter.mjs"
cat >"$REPORTER" <<'EOF'
import { appendFileSync } from "node:fs";
export default class RouseEngineResults {
  onTestRunEnd(modules) {
    const phase = process.env.ROUSE_TEST_ENGINE_PHASE ?? "?";
    let out = "";
    for (const m of modules) {
      let n = 0;
      for (const t of m.children.allTests()) {
        n++;
        out += `${JSON.stringify({ phase, file: m.moduleId, state: t.result().state, name: t.fullName })}\n`;
      }
      if (n === 0 && m.state() === "failed")
        out += `${JSON.stringify({ phase, file: m.moduleId, state: "failed", name: "(module failed to load)" })}\n`;
    }
    appendFileSync(process.env.ROUSE_TEST_ENGINE_RESULTS, out);
  }
}
EOF
export ROUSE_TEST_ENGINE_RESULTS="$RESULTS"
VITEST_ARGS=(--reporter=default "--reporter=$REPORTER")

# ---- the shared engine ----------------------------------------------------------
ENGINE_PID=""
ENGINE_LOG="$WORK/engine.log"
BASELINE_PID=""
stop_engine() {
  [ -n "$ENGINE_PID" ] || return 0
  kill -TERM "$ENGINE_PID" 2>/dev/null || true
  # the whole process group (setsid): the API server, and the EngineCore even if the
  # server is already gone; SIGKILL what is left after 15 s
  for _ in $(seq 1 150); do pgrep -g "$ENGINE_PID" >/dev/null || break; sleep 0.1; done
  if pgrep -g "$ENGINE_PID" >/dev/null; then kill -KILL -- "-$ENGINE_PID" 2>/dev/null || true; fi
  wait "$ENGINE_PID" 2>/dev/null || true
  ENGINE_PID=""
}
cleanup() {
  stop_engine
  if [ -n "$BASELINE_PID" ]; then kill -TERM -- "-$BASELINE_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ENGINE_URL="http://127.0.0.1:$PORT"
API_KEY="rouse-test-$(date +%s)-$$"
T_ENGINE=$(date +%s.%N)
log "starting the shared engine on $ENGINE_URL (log: $ENGINE_LOG)"
# shellcheck disable=SC2086 # ROUSE_VLLM_CPU_ARGS is a flag list
setsid "$VLLM_BIN" serve "$MODEL" --load-format dummy --max-model-len 256 --host 127.0.0.1 --port "$PORT" \
  --served-model-name tiny --api-key "$API_KEY" $ROUSE_VLLM_CPU_ARGS >"$ENGINE_LOG" 2>&1 &
ENGINE_PID=$!

wait_healthy() {
  local deadline=$(($(date +%s) + ${ROUSE_TEST_ENGINE_START_TIMEOUT_S:-300}))
  while :; do
    if ! kill -0 "$ENGINE_PID" 2>/dev/null; then log "FAIL: the engine exited during startup:"; tail -30 "$ENGINE_LOG" | cut -c1-300 >&2; return 1; fi
    curl -sf -o /dev/null --max-time 2 "$ENGINE_URL/health" && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then log "FAIL: no /health 200 after ${ROUSE_TEST_ENGINE_START_TIMEOUT_S:-300}s:"; tail -30 "$ENGINE_LOG" | cut -c1-300 >&2; return 1; fi
    sleep 0.25
  done
}

if [ "$MODE" = with-engine ]; then
  wait_healthy
  log "healthy after $(elapsed "$T_ENGINE")s"
  set +e
  ROUSE_TEST_ENGINE_URL="$ENGINE_URL" ROUSE_TEST_ENGINE_MODEL=tiny ROUSE_TEST_ENGINE_API_KEY="$API_KEY" "$@"
  rc=$?
  set -e
  stop_engine
  exit $rc
fi

# ---- 3. baseline, while the engine starts ------------------------------------------
BASELINE_PROJECTS=($(printf '%s\n' "${P1[@]}" "${P2[@]}" | sort -u))
T_BASE=$(date +%s.%N)
UNSET=(); for v in "${GATE_VARS[@]}"; do UNSET+=(-u "$v"); done
rm -f "$WORK/baseline.end"
BASELINE_END="$WORK/baseline.end" setsid bash -c '"$@"; rc=$?; date +%s.%N >"$BASELINE_END"; exit $rc' baseline \
  env "${UNSET[@]}" ROUSE_TEST_ENGINE_PHASE=baseline pnpm nx run-many -t test -p "${BASELINE_PROJECTS[@]}" --parallel=1 --skip-nx-cache --output-style=stream \
  -- "${VITEST_ARGS[@]}" >"$WORK/baseline.log" 2>&1 &
BASELINE_PID=$!

STATUS=0
if wait_healthy; then
  ENGINE_START_S=$(elapsed "$T_ENGINE")
  log "shared engine healthy after ${ENGINE_START_S}s"
else
  ENGINE_START_S="FAILED at $(elapsed "$T_ENGINE")"
  STATUS=1
fi
wait "$BASELINE_PID" || log "baseline run had failures (only used for counting; see $WORK/baseline.log)"
BASELINE_PID=""
BASELINE_S=$(awk -v a="$T_BASE" -v b="$(cat "$WORK/baseline.end" 2>/dev/null || date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')

# ---- 4. phase 1: suites against the shared engine -----------------------------------
T_P1=$(date +%s.%N)
if [ "$STATUS" = 0 ]; then
  for p in "${P1[@]}"; do
    log "phase 1: $p ${P1_FILES[$p]}against $ENGINE_URL"
    # shellcheck disable=SC2086 # the file list
    ROUSE_TEST_ENGINE_URL="$ENGINE_URL" ROUSE_TEST_ENGINE_MODEL=tiny ROUSE_TEST_ENGINE_API_KEY="$API_KEY" \
      ROUSE_TEST_ENGINE_PHASE=shared-engine \
      pnpm nx run "$p:test" --skip-nx-cache --output-style=stream -- ${P1_FILES[$p]} "${VITEST_ARGS[@]}" || STATUS=1
  done
fi
stop_engine
P1_S=$(elapsed "$T_P1")

# ---- 5. phase 2: suites that spawn their own engine ---------------------------------
T_P2=$(date +%s.%N)
if [ ${#P2[@]} -gt 0 ]; then
  log "phase 2: ${P2[*]} (ROUSE_VLLM_CPU=$ROUSE_VLLM_CPU)"
  ROUSE_TEST_ENGINE_PHASE=own-engine \
    pnpm nx run-many -t test -p "${P2[@]}" --parallel=1 --skip-nx-cache --output-style=stream \
    -- --no-file-parallelism "${VITEST_ARGS[@]}" || STATUS=1
fi
P2_S=$(elapsed "$T_P2")

# ---- 6. the count -----------------------------------------------------------------
# Per test file: engine tests = tests that ran (passed/failed) with the engine env minus
# those that ran without it (baseline); engine failures likewise. Every failure of phases 1
# and 2 is listed too (one that is not engine-gated still fails the run).
SUMMARY="$(node -e '
const rows = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const per = new Map();
for (const r of rows) {
  const k = `${r.phase}\0${r.file}`;
  const c = per.get(k) ?? { ran: 0, failed: 0 };
  if (r.state === "passed" || r.state === "failed") c.ran++;
  if (r.state === "failed") c.failed++;
  per.set(k, c);
}
let passed = 0, failed = 0;
const lines = [];
for (const [k, c] of per) {
  const [phase, file] = k.split("\0");
  if (phase === "baseline") continue;
  const b = per.get(`baseline\0${file}`);
  const rel = require("node:path").relative(process.cwd(), file);
  if (b === undefined) {
    // not in the baseline (it failed to run, or the file is newer): no way to tell what is gated
    if (c.ran > 0) lines.push(`  ${phase.padEnd(13)} not counted: ${rel} was not in the baseline run`);
    continue;
  }
  const ran = Math.max(0, c.ran - b.ran);
  const f = Math.min(ran, Math.max(0, c.failed - b.failed));
  if (ran === 0) continue;
  passed += ran - f; failed += f;
  lines.push(`  ${phase.padEnd(13)} ${String(ran - f).padStart(3)} passed ${String(f).padStart(3)} failed  ${rel}`);
}
for (const r of rows)
  if (r.phase !== "baseline" && r.state === "failed")
    lines.push(`  FAILED (${r.phase}) ${require("node:path").relative(process.cwd(), r.file)} > ${r.name}`);
console.error(lines.join("\n"));
console.log(`${passed} ${failed}`);
' "$RESULTS")"
read -r E_PASSED E_FAILED <<<"$SUMMARY"
[ "$E_FAILED" = 0 ] || STATUS=1
if [ "$((E_PASSED + E_FAILED))" = 0 ]; then
  log "FAIL: no test ran against the engine (are the gates reading ROUSE_VLLM_CPU / ROUSE_TEST_ENGINE_URL?)"
  STATUS=1
fi
log "timings: setup ${SETUP_S}s, shared engine start ${ENGINE_START_S}s, baseline ${BASELINE_S}s (alongside the start), phase 1 ${P1_S}s (incl. engine stop), phase 2 ${P2_S}s, total $(elapsed "$T_START")s"
echo "engine: $E_PASSED passed, $E_FAILED failed"
exit $STATUS
