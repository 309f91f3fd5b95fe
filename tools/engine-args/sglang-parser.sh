#!/usr/bin/env bash
# Installs SGLang's argument parser (not the engine) for the parser tests:
#   DIR="$(bash tools/engine-args/sglang-parser.sh 0.5.23)"
#   PYTHONPATH="$DIR" <python with torch> tools/engine-args/real_parser.py sglang
# `pip install --no-deps sglang==VERSION` into .cache/sglang-parser-VERSION, plus the few
# modules sglang.srt.server_args imports that the vLLM CPU venv (tools/engine-cpu, torch 2.13)
# lacks; torch, transformers, pydantic etc. come from that venv. Prints the directory.
# Re-runs are instant. Needs uv (tools/engine-cpu/setup.sh installs it into .cache/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="${1:?usage: sglang-parser.sh VERSION}"
DIR="$ROOT/.cache/sglang-parser-$VERSION"
if [ ! -f "$DIR/.complete" ]; then
  UV="$(ls -d "$ROOT"/.cache/uv-*/bin/uv "${ROUSE_VLLM_CPU_VENV:-/nonexistent}"/../uv-*/bin/uv 2>/dev/null | head -1 || true)"
  [ -n "$UV" ] || UV="$(command -v uv || true)"
  [ -n "$UV" ] || { echo "sglang-parser.sh: no uv (run tools/engine-cpu/setup.sh first)" >&2; exit 2; }
  rm -rf "$DIR"
  # Pinned: what sglang.srt.server_args imports beyond the vLLM CPU venv (found by importing it).
  "$UV" pip install -q --no-deps --target "$DIR" "sglang==$VERSION" "orjson==3.13.0" "ipython==9.18.1" "traitlets==5.16.1" "torchvision==0.28.0" >&2
  touch "$DIR/.complete"
fi
echo "$DIR"
