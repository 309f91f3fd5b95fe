#!/usr/bin/env bash
# run-vllm.sh [BUDGET_S]  (default 540) — the vLLM GPU suite on the lent H200 (issue 15), from the repo
# root, after ../shared/gpu's assemble.sh put vLLM 0.20.0 in /root/site312 and tools/gpu/unpack-node.sh put
# Node + the bundled CLI/suite in /root/node (tools/gpu/README.md: call c3). Writes $OUT/vllm.json (every
# measurement, merged as it is taken) and $OUT/vllm-logs.tar.gz (re-packed after every step).
# Steps, in order, each time-boxed; a step that does not fit in what is left of BUDGET_S is skipped and
# recorded so:
#   lifecycle    plugin argv/env + lifecycle client: cold start (torch.compile + CUDA graphs), warm-up,
#                sleep L1/wake ×2, sleep+CUDA checkpoint, checkpoint awake, L2 + reload_weights, metrics
#   serve_local  bundled `rouse serve --local`: one engine in sleep mode, one in suspend mode
#   recipe       generated app.py (default preset, model swapped) through rouse_py.gpu_recipe
#   eager        --enforce-eager, 16 GB random weights on disk: cold start, L2 reload (only if time is left)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
gpu_init vllm "${1:-540}"
export PYTHONPATH="/root/site312:$PYTHONPATH" VLLM_SERVER_DEV_MODE=1
if [ ! -x "$NODE" ]; then # every step needs it: stop before spending device time
  rec env node_missing "\"$NODE is missing: call c1 (unpack-node.sh) ran on another machine; redo the calls back to back\""
  echo "[gpu] $NODE is missing: redo c1 and the calls after it back to back" >&2
  exit 5
fi
machine_facts
python3 .gpu-carry/small/mk-llama8b.py "$M" >"$LOGS/mk-llama8b.out" 2>&1 || rec env mk_llama8b_error "\"see logs/mk-llama8b.out\""


# 1. The plugin's own lifecycle. Util 0.3: 16 GB weights + ~24 GB KV cache, so a checkpoint while awake
#    moves ~40 GB instead of ~120 GB (budget).
step lifecycle 230 150 "$NODE" "$SUITE" lifecycle --engine vllm --model "$M" --results "$RESULTS" --step lifecycle \
  --log "$LOGS/lifecycle-engine.log" --port 8100 --util 0.3 --ckpt-awake

# 2. serve --local: one `rouse serve --local` per mode, one after the other (vLLM's memory profiling
#    measures the whole GPU, so no other engine may change its memory meanwhile).
mkdir -p "$WORK/serve"
step serve_local 240 150 "$NODE" "$SUITE" serve-local --engine vllm --model "$M" --results "$RESULTS" --step serve_local \
  --log "$LOGS/serve-local.log" --dir "$WORK/serve" --modes "${ROUSE_GPU_SERVE_MODES:-sleep,suspend}" --util 0.3 --port 8200 --cycles 2 --concurrent 8

# 3. The emitted app's recipe: default preset, model swapped (configs.ts lists every change).
recipe() {
  set -e
  mkdir -p "$WORK/recipe" && cd "$WORK/recipe"
  "$NODE" "$SUITE" config --engine vllm --model "$M" --role recipe --util 0.3 --out rouse.yaml
  "$NODE" "$CLI" generate rouse.yaml -o app.py
  cp rouse.yaml app.py "$LOGS/"
  # The snapshot recipe's image env (codegen puts it in the image; no image here).
  export TORCHINDUCTOR_COMPILE_THREADS=1 ROUSE_API_KEY=gpu-recipe-key
  python3 -m rouse_py.gpu_recipe app.py --results "$RESULTS" --step recipe --model m8b --modal-site "${ROUSE_GPU_MODAL_SITE:-/root/node/modal-site}"
}
step recipe 150 100 recipe

# 4. Eager cold start with weights read from disk, and level 2 with a real reload (if time is left).
eager() {
  set -e
  # ROUSE_GPU_REAL_MODEL: a model directory made elsewhere (dry-run.sh: the stand-in's, no 16 GB file).
  local real=${ROUSE_GPU_REAL_MODEL:-/root/m8b-real}
  [ -n "${ROUSE_GPU_REAL_MODEL:-}" ] || python3 .gpu-carry/small/mk-llama8b.py "$real" --real
  "$NODE" "$SUITE" lifecycle --engine vllm --model "$real" --real-weights --eager --results "$RESULTS" --step eager \
    --log "$LOGS/eager-engine.log" --port 8300 --util 0.25 --level2
}
step eager 200 110 eager
rec env finished_at "\"$(date -u +%FT%TZ)\""
pack_logs
echo "[gpu] vLLM suite done: $RESULTS"
