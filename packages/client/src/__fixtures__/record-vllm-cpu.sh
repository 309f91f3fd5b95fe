#!/usr/bin/env bash
# Re-records the vllm-cpu-* fixtures from a REAL vLLM (the CPU build, tiny random model):
#
#   bash tools/test-engine.sh --with-engine -- bash packages/client/src/__fixtures__/record-vllm-cpu.sh
#
# Needs ROUSE_TEST_ENGINE_URL / _MODEL / _API_KEY (test-engine.sh sets them). Bodies are
# saved byte for byte (curl -o, no decompression); *.headers.txt hold the status line and
# headers. The last recording SIGTERMs the engine mid-stream (vLLM's default "abort"
# shutdown), so run it last and only against an engine you started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
URL="${ROUSE_TEST_ENGINE_URL:?set by tools/test-engine.sh --with-engine}"
MODEL="${ROUSE_TEST_ENGINE_MODEL:-tiny}"
AUTH=(-H "authorization: Bearer ${ROUSE_TEST_ENGINE_API_KEY:-}")

# record NAME EXT PATH JSON: POST JSON to PATH, body -> vllm-cpu-NAME.EXT
record() {
  local name="vllm-cpu-$1" ext="$2" path="$3" body="$4"
  curl -sN --max-time 120 -X POST "$URL$path" "${AUTH[@]}" -H 'content-type: application/json' \
    -D "$name.headers.txt" -o "$name.$ext" --data-binary "$body"
  sed -i 's/\r$//' "$name.headers.txt"
  printf '%-42s %s %6d bytes\n' "$name.$ext" "$(head -1 "$name.headers.txt")" "$(wc -c <"$name.$ext")" >&2
}

MSGS='[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello, how are you?"}]'
record chat-stream-usage chunks.txt /v1/chat/completions \
  "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":24,\"temperature\":0,\"ignore_eos\":true}"
record chat-stream-n2-logprobs chunks.txt /v1/chat/completions \
  "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"n\":2,\"max_tokens\":6,\"temperature\":0.8,\"seed\":7,\"logprobs\":true,\"top_logprobs\":2,\"ignore_eos\":true}"
record completion-stream chunks.txt /v1/completions \
  "{\"model\":\"$MODEL\",\"prompt\":\"The capital of France is\",\"stream\":true,\"max_tokens\":16,\"temperature\":0,\"ignore_eos\":true}"
record chat body.json /v1/chat/completions \
  "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"max_tokens\":16,\"temperature\":0,\"ignore_eos\":true}"
record error-unknown-model body.json /v1/chat/completions \
  "{\"model\":\"rouse-test/no-such-model\",\"messages\":$MSGS,\"max_tokens\":4}"
record error-max-tokens body.json /v1/chat/completions \
  "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"max_tokens\":100000}"
record error-max-tokens-stream body.json /v1/chat/completions \
  "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"max_tokens\":100000,\"stream\":true}"

# SIGTERM mid-stream: the API server that listens on the port (started by test-engine.sh).
port="${URL##*:}"
pid="$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)"
[ -n "$pid" ] || { echo "no listener on :$port" >&2; exit 1; }
# kill it once a few chunks have arrived
out=vllm-cpu-chat-stream-sigterm.chunks.txt
rm -f "$out"
( for _ in $(seq 1 500); do n="$(grep -c '^data: ' "$out" 2>/dev/null)" || n=0; [ "${n:-0}" -ge 4 ] && break; sleep 0.01; done
  kill -TERM "$pid" ) &
record chat-stream-sigterm chunks.txt /v1/chat/completions \
  "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"stream\":true,\"max_tokens\":220,\"temperature\":0,\"ignore_eos\":true,\"stream_options\":{\"include_usage\":true}}"
wait
