#!/usr/bin/env bash
# device.sh [CARRY_DIR] — the gateway benchmark on the lent device (quiet, many cores), from the carry
# folder bench/gateway/bundle.sh builds (default .bench-carry/gateway). Needs Node 24 at $NODE
# (default /root/node/bin/node: tools/gpu/unpack-node.sh, an earlier call on the same warm machine).
# Writes to $OUT (the device tool's folder; default ./bench-out): gateway-raw.json, the logs of every
# process, bench.log and VERSIONS. Here, afterwards:
#   node bench/gateway/report.ts <files_at>/gateway-raw.json    → bench/results/gateway.json + gateway.md
# Knobs: DURATION_MS / WARMUP_MS (default 5000 / 1500), ONLY (e.g. direct,rouse), LIMIT_S (default 440),
#   PIN=0 (do not pin processes to disjoint cores), MACHINE (the report's words for the machine).
# Exit: 0 ok; 3 no Node / no carry; 4 the bench failed or ran out of time (raw JSON still holds what it measured).
set -uo pipefail
CARRY=${1:-.bench-carry/gateway}
NODE=${NODE:-/root/node/bin/node}
OUT=${OUT:-$PWD/bench-out}
LIMIT_S=${LIMIT_S:-440}
mkdir -p "$OUT/logs"
started=$(date +%s)
[ -x "$NODE" ] || { echo "device.sh: no Node at $NODE: run tools/gpu/unpack-node.sh first (carry .gpu-node)" >&2; exit 3; }
[ -f "$CARRY/run.mjs" ] || { echo "device.sh: $CARRY/run.mjs missing: carry $CARRY (bench/gateway/bundle.sh)" >&2; exit 3; }
"$NODE" --version | grep -q '^v24\.' || { echo "device.sh: $NODE is $("$NODE" --version), Node 24 expected" >&2; exit 3; }
cp "$CARRY/VERSIONS" "$OUT/" 2>/dev/null
# What else runs here: the report records the load average; this shows why.
{ uptime; nproc; free -g | head -2; ps -eo pcpu,comm --sort=-pcpu | head -8; } >"$OUT/machine.txt" 2>&1

args=(--raw-only --results "$OUT" --logs "$OUT/logs" --machine "${MACHINE:-lent device ($(nproc) cores)}")
[ "${PIN:-1}" = 1 ] && args+=(--pin)
[ -n "${DURATION_MS:-}" ] && args+=(--duration-ms "$DURATION_MS")
[ -n "${WARMUP_MS:-}" ] && args+=(--warmup-ms "$WARMUP_MS")
[ -n "${ONLY:-}" ] && args+=(--only "$ONLY")
[ -f "$CARRY/gateway-base.mjs" ] &&
  args+=(--base-gateway "$CARRY/gateway-base.mjs" --base-version "$(awk '$1=="rouse-base"{print $3}' "$CARRY/VERSIONS")")
args+=(--rouse-version "$(awk '$1=="rouse"{print $2}' "$CARRY/VERSIONS")")
if [ -f "$CARRY/portkey.mjs" ]; then
  args+=(--portkey "$CARRY/portkey.mjs" --portkey-version "$(awk '$1=="portkey"{print $2}' "$CARRY/VERSIONS")")
else
  args+=(--portkey /nonexistent)
fi

# LiteLLM: its site (CPython 3.12 wheels the image lacks) on PYTHONPATH, beside the image's packages.
PY=$(command -v python3 || true)
if [ -f "$CARRY/litellm-site.tar.xz" ] && [ -n "$PY" ]; then
  SITE=${LITELLM_SITE:-/root/litellm-site}
  if [ ! -f "$SITE/.complete" ]; then
    rm -rf "$SITE" && mkdir -p "$SITE" &&
      "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' \
        "$CARRY/litellm-site.tar.xz" "$SITE" && touch "$SITE/.complete"
  fi
  export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
  if "$PY" -c 'import litellm.proxy.proxy_server' >"$OUT/logs/litellm-import.log" 2>&1; then
    args+=(--litellm-python "$PY" --litellm-start-timeout-ms 90000)
  else
    echo "device.sh: LiteLLM does not import with the image's packages (logs/litellm-import.log): skipped" >&2
    args+=(--litellm-python /nonexistent)
  fi
else
  args+=(--litellm-python /nonexistent)
fi
echo "device.sh: setup took $(($(date +%s) - started)) s; running the bench (limit ${LIMIT_S} s)"

left=$((LIMIT_S - ($(date +%s) - started)))
timeout --kill-after=10 "$left" "$NODE" "$CARRY/run.mjs" "${args[@]}" 2>&1 | tee "$OUT/bench.log"
rc=${PIPESTATUS[0]}
cp "$OUT/logs/litellm-import.log" "$OUT/" 2>/dev/null
# The gateways' request logs are one line per request: keep their heads and tails only.
for f in "$OUT"/logs/*.log; do
  [ "$(stat -c %s "$f")" -gt 2000000 ] && { head -c 200000 "$f"; echo "…"; tail -c 200000 "$f"; } >"$f.cut" && mv "$f.cut" "$f"
done
echo "device.sh: exit $rc after $(($(date +%s) - started)) s; raw: $OUT/gateway-raw.json"
[ "$rc" = 0 ] || exit 4
