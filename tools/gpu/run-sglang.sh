#!/usr/bin/env bash
# run-sglang.sh [BUDGET_S]  (default 540) — the SGLang GPU suite on the lent H200 (issue 20), from the
# repo root, after ../shared/gpu's assemble-sglang.sh put SGLang 0.5.16 in /root/sgl312 and
# tools/gpu/unpack-node.sh put Node + the bundled CLI/suite in /root/node (tools/gpu/README.md: call c5).
# Writes $OUT/sglang.json and $OUT/sglang-logs.tar.gz. Steps (time-boxed, skipped when they do not fit):
#   lifecycle    plugin argv/env + lifecycle client: cold start (port opens before ready: HTTP probe),
#                warm-up, release/resume ×2 (nothing is sent while released), release + CUDA checkpoint
#   serve_local  bundled `rouse serve --local`, sleep mode (release/resume), traffic during the release
#   recipe       generated app.py (qwen3-sglang-snapshot preset, model swapped) through rouse_py.gpu_recipe
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
gpu_init sglang "${1:-540}"
export PYTHONPATH="/root/sgl312:$PYTHONPATH"
# Carry limit: no DeepGEMM in the SGLang carry, so its JIT is off (the preset's image precompiles it).
export SGLANG_ENABLE_JIT_DEEPGEMM=0
rec env carry_limits '["SGLANG_ENABLE_JIT_DEEPGEMM=0: the carry has no DeepGEMM; the preset'"'"'s build-time precompile (compile_deep_gemm) is skipped", "--attention-backend triton --sampling-backend pytorch (engine.extraArgs): no FA3 flash_ops, flashinfer JIT only"]'
if [ ! -x "$NODE" ]; then # every step needs it: stop before spending device time
  rec env node_missing "\"$NODE is missing: call c1 (unpack-node.sh) ran on another machine; redo the calls back to back\""
  echo "[gpu] $NODE is missing: redo c1 and the calls after it back to back" >&2
  exit 5
fi
machine_facts
python3 .gpu-carry-sglang/small/mk-llama8b.py "$M" >"$LOGS/mk-llama8b.out" 2>&1 || rec env mk_llama8b_error "\"see logs/mk-llama8b.out\""

# 1. The plugin's own lifecycle (mem-fraction-static 0.8, as the carry's measurements). No checkpoint
#    while awake: it would move ~115 GB (budget).
step lifecycle 220 170 "$NODE" "$SUITE" lifecycle --engine sglang --model "$M" --results "$RESULTS" --step lifecycle \
  --log "$LOGS/lifecycle-engine.log" --port 8100 --util 0.8

# 2. serve --local, sleep mode = release/resume.
mkdir -p "$WORK/serve"
step serve_local 220 160 "$NODE" "$SUITE" serve-local --engine sglang --model "$M" --results "$RESULTS" --step serve_local \
  --log "$LOGS/serve-local.log" --dir "$WORK/serve" --modes sleep --util 0.8 --port 8200 --cycles 2 --concurrent 8

# 3. Seed 004's recipe: qwen3-sglang-snapshot preset, model swapped (configs.ts lists every change).
recipe() {
  set -e
  mkdir -p "$WORK/recipe" && cd "$WORK/recipe"
  "$NODE" "$SUITE" config --engine sglang --model "$M" --role recipe --util 0.8 --out rouse.yaml
  "$NODE" "$CLI" generate rouse.yaml -o app.py
  cp rouse.yaml app.py "$LOGS/"
  export TORCHINDUCTOR_COMPILE_THREADS=1 ROUSE_API_KEY=gpu-recipe-key
  python3 -m rouse_py.gpu_recipe app.py --results "$RESULTS" --step recipe --model m8b --modal-site "${ROUSE_GPU_MODAL_SITE:-/root/node/modal-site}"
}
step recipe ${ROUSE_GPU_RECIPE_S:-170} 130 recipe
rec env finished_at "\"$(date -u +%FT%TZ)\""
pack_logs
echo "[gpu] SGLang suite done: $RESULTS"
