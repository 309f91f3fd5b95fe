# lib.sh — sourced by run-vllm.sh / run-sglang.sh on the lent GPU machine. Each step runs in its own
# process session under a time box, so a hung or crashed step loses only itself: its processes
# (engines included) are killed by session id afterwards, its exit status and duration are recorded,
# and the logs are tarred into $OUT after every step.
#   gpu_init ENGINE BUDGET_S      sets RESULTS, LOGS, DEADLINE, the environment
#   step NAME CAP_S MIN_S cmd...  runs cmd if at least MIN_S seconds are left, for at most CAP_S
set -uo pipefail

gpu_init() {
  ENGINE=$1
  DEADLINE=$((SECONDS + $2))
  OUT=${OUT:-/tmp/gpu-out}
  mkdir -p "$OUT"
  RESULTS=$OUT/$ENGINE.json
  WORK=${ROUSE_GPU_WORK:-/root/gpu-run}/$ENGINE
  LOGS=$WORK/logs
  mkdir -p "$LOGS"
  REPO=$PWD
  NODE=${ROUSE_GPU_NODE:-/root/node/bin/node}
  SUITE=${ROUSE_GPU_SUITE:-/root/node/rouse/bin/gpu-suite.mjs}
  CLI=${ROUSE_GPU_CLI:-/root/node/rouse/bin/rouse.mjs}
  # No console scripts in the carries: `vllm` and `python` (the generated apps' ENGINE_CMD) as shims.
  SHIM=$WORK/bin
  mkdir -p "$SHIM"
  if [ -n "${ROUSE_GPU_ENGINE_EXECUTABLE:-}" ]; then
    # Local dry run (tools/gpu/dry-run.sh): the STAND-IN engine, not a real one, behind the same names.
    printf '#!/bin/sh\nexec %s "$@"\n' "$ROUSE_GPU_ENGINE_EXECUTABLE" >"$SHIM/$ENGINE"
    # SGLang's argv starts `-m sglang.launch_server`, or `-m rouse_guard APP sglang.launch_server` (the
    # generated app's in-process guard, which the stand-in cannot run: it gets the server's flags only).
    [ "$ENGINE" = vllm ] || printf '#!/bin/sh\n[ "$1 $2" = "-m sglang.launch_server" ] && shift 2\n[ "$1 $2" = "-m rouse_guard" ] && shift 4\nexec %s "$@"\n' "$ROUSE_GPU_ENGINE_EXECUTABLE" >"$SHIM/python"
  else
    printf '#!/bin/sh\nexec python3 -m vllm.entrypoints.cli.main "$@"\n' >"$SHIM/vllm"
    printf '#!/bin/sh\nexec python3 "$@"\n' >"$SHIM/python"
  fi
  chmod +x "$SHIM"/*
  export PATH="$SHIM:$(dirname "$NODE"):$PATH"
  export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$REPO/python/src"
  export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_NO_USAGE_STATS=1 PYTHONUNBUFFERED=1 ROUSE_REPO=$REPO
  export ROUSE_CLI="$NODE $CLI"
  export ENGINE OUT RESULTS WORK LOGS REPO NODE SUITE CLI SHIM M=${ROUSE_GPU_MODEL:-/root/m8b}
  # Engines an earlier call of this session left on the GPU (its time limit hit mid-step, and steps run in
  # their own sessions, which outlive a call): ours, so end them, by pid, before measuring anything.
  local stale
  stale=$(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null | tr -d ' ' | tr '\n' ' ')
  if [ -n "${stale// /}" ]; then
    echo "[gpu] ending GPU processes left by an earlier call: $stale"
    rec env stale_gpu_processes_ended "\"$stale\""
    kill -KILL $stale 2>/dev/null
    sleep 3
  fi
  rec env started_at "\"$(date -u +%FT%TZ)\""
}

rec() { python3 "$REPO/tools/gpu/record.py" "$RESULTS" "$1" "$2" "$3" || true; }

pack_logs() { tar -C "$WORK" -czf "$OUT/$ENGINE-logs.tar.gz.tmp" logs 2>/dev/null && mv "$OUT/$ENGINE-logs.tar.gz.tmp" "$OUT/$ENGINE-logs.tar.gz"; }

# Kill what a step left (its session), then wait until no compute process holds the GPU.
reap() {
  kill -TERM -- "-$1" 2>/dev/null
  for _ in $(seq 1 10); do kill -0 -- "-$1" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$1" 2>/dev/null
  for _ in $(seq 1 20); do
    [ -z "$(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "[gpu] WARNING: GPU still has compute processes: $(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader | tr '\n' ' ')"
}

step() {
  local name=$1 cap=$2 min=$3
  shift 3
  # ROUSE_GPU_STEPS=a,b runs only those steps (a later call measuring what an earlier one skipped).
  if [ -n "${ROUSE_GPU_STEPS:-}" ] && [[ ",$ROUSE_GPU_STEPS," != *",$name,"* ]]; then
    echo "[gpu] $name: not asked for (ROUSE_GPU_STEPS=$ROUSE_GPU_STEPS)"
    rec "$name" _run "{\"skipped\": \"not in ROUSE_GPU_STEPS\"}"
    return 0
  fi
  # 40 s stay free after the box: reaping (≤ 30 s) and packing the logs must end before the call's limit.
  local left=$((DEADLINE - SECONDS - 40))
  if [ "$left" -lt "$min" ]; then
    echo "[gpu] $name: skipped, ${left}s left of the budget (needs ${min}s)"
    rec "$name" _run "{\"skipped\": \"budget: ${left} s left, step needs ${min} s\"}"
    return 0
  fi
  [ "$cap" -le "$left" ] || cap=$left
  echo "[gpu] $name: start (time box ${cap}s, $((DEADLINE - SECONDS))s left)"
  local t0=$SECONDS
  # A shell function (recipe, eager) runs in a child bash that gets its definition.
  if [ "$(type -t "$1")" = function ]; then set -- bash -c "$(declare -f "$1"); $1"; fi
  setsid timeout -k 10 "$cap" "$@" >"$LOGS/$name.out" 2>&1 &
  local pid=$!
  wait "$pid"
  local rc=$?
  reap "$pid"
  local status=ok
  [ "$rc" = 0 ] || status=failed
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && status=timed_out
  rec "$name" _run "{\"rc\": $rc, \"status\": \"$status\", \"s\": $((SECONDS - t0)), \"time_box_s\": $cap}"
  echo "[gpu] $name: $status (rc $rc) after $((SECONDS - t0))s"
  tail -n 5 "$LOGS/$name.out" | cut -c1-300
  pack_logs
}

# Facts about the machine and the software that ran, once per call.
machine_facts() {
  rec env nvidia_smi "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')"
  rec env node "\"$("$NODE" --version 2>&1)\""
  rec env python_packages "$(python3 - "$ENGINE" <<'PY'
import json, sys
from importlib.metadata import PackageNotFoundError, version
out = {}
for m in ("torch", sys.argv[1], "transformers", "cuda-bindings"):  # metadata only: importing vLLM takes ~10 s
    try:
        out[m] = version(m)
    except PackageNotFoundError:
        out[m] = "not installed"
print(json.dumps(out))
PY
)"
  rec env loadavg "\"$(cut -d' ' -f1-3 /proc/loadavg)\""
}
