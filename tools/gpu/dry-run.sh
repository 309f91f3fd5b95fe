#!/usr/bin/env bash
# dry-run.sh vllm|sglang [BUDGET_S] — runs run-vllm.sh / run-sglang.sh HERE, with the STAND-IN engine
# (tools/engine-standin) behind every engine name, the bundle from .gpu-node (tools/gpu/bundle.sh) and no
# GPU: it checks the device script's plumbing (steps, time boxes, results JSON, logs tarball, the recipe
# driver, the bundled CLI) before device time is spent. Nothing it measures is a GPU number.
# Output: $OUT (default /tmp/gpu-dry-run/out)/<engine>.json and <engine>-logs.tar.gz.
set -euo pipefail
ENGINE=${1:?usage: dry-run.sh vllm|sglang [BUDGET_S]}
ROOT=${GPU_DRY_ROOT:-/tmp/gpu-dry-run}
rm -rf "$ROOT" && mkdir -p "$ROOT/out"
bash tools/gpu/unpack-node.sh .gpu-node "$ROOT/node" >/dev/null
STANDIN="$ROOT/node/bin/node $PWD/tools/engine-standin/standin.ts --engine $ENGINE --load-ms 500 --sleep-delay-ms 200 --wake-delay-ms 200"
printf '#!/bin/sh\nexec %s "$@"\n' "$STANDIN" >"$ROOT/standin" && chmod +x "$ROOT/standin"
export OUT=$ROOT/out ROUSE_GPU_WORK=$ROOT/work ROUSE_GPU_NODE=$ROOT/node/bin/node
export ROUSE_GPU_SUITE=$ROOT/node/rouse/bin/gpu-suite.mjs ROUSE_GPU_CLI=$ROOT/node/rouse/bin/rouse.mjs
# The interpreter itself, not a pyenv shim (those put their own bin first on PATH, hiding the engine shims).
PATH="$PWD/python/.venv/bin:$PATH"   # has aiohttp (the guard) and the real modal SDK, like the device
# No CUDA checkpoint here: serve --local refuses suspend mode, so only sleep mode runs.
export ROUSE_GPU_SERVE_MODES=sleep
# No GPU device here: tell serve --local to take the stand-in as one (its sleep mode needs a GPU).
export ROUSE_LOCAL_GPU=present
# The stand-in needs no weights; a model directory (config.json) passes serve --local's pre-spawn check
# where mk-llama8b.py cannot run (no `tokenizers` here).
export ROUSE_GPU_MODEL=$ROOT/m8b
export ROUSE_GPU_REAL_MODEL=$ROUSE_GPU_MODEL   # the eager step's "weights on disk": none needed here
mkdir -p "$ROUSE_GPU_MODEL" && echo '{"architectures": ["LlamaForCausalLM"]}' >"$ROUSE_GPU_MODEL/config.json"
export ROUSE_GPU_ENGINE_EXECUTABLE=$ROOT/standin ROUSE_GPU_MODAL_SITE=$ROOT/node/modal-site
bash "tools/gpu/run-$ENGINE.sh" "${2:-400}"
