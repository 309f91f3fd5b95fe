#!/usr/bin/env bash
# `pnpm test:gpu` — the GPU suite (issues 15, 20). Never part of CI: it needs the lent H200.
#   on a GPU machine with the carries assembled (/root/site312, /root/sgl312) and Node unpacked (/root/node):
#     runs tools/gpu/run-vllm.sh and/or run-sglang.sh (whichever engine is there), results under $OUT
#   anywhere else: says so, and runs tools/gpu/dry-run.sh for both engines instead — the same device
#     scripts against the STAND-IN engine (plumbing only; no GPU number comes out of it)
# The device itself is driven by five chained calls: tools/gpu/README.md.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if command -v nvidia-smi >/dev/null && [ -x /root/node/bin/node ]; then
  rc=0
  [ -d /root/site312/vllm ] && { bash tools/gpu/run-vllm.sh "${GPU_BUDGET_S:-540}" || rc=1; }
  [ -d /root/sgl312/sglang ] && { bash tools/gpu/run-sglang.sh "${GPU_BUDGET_S:-540}" || rc=1; }
  exit $rc
fi
# The suite's own typecheck and lint (tools/ is no Nx project).
node_modules/.bin/tsc -p tools/gpu/tsconfig.json && node_modules/.bin/biome lint --error-on-warnings tools/gpu/suite || exit 1
echo "test:gpu: no GPU machine with the carries here: running the device scripts against the STAND-IN engine (tools/gpu/dry-run.sh)"
bash tools/gpu/bundle.sh || exit 1   # the bundle must be of these sources
rc=0
for engine in vllm sglang; do
  GPU_DRY_ROOT=/tmp/rouse-gpu-dry-$engine bash tools/gpu/dry-run.sh "$engine" 300 || rc=1
  python3 - "$engine" <<'PY' || rc=1
import json, sys
engine = sys.argv[1]
steps = json.load(open(f"/tmp/rouse-gpu-dry-{engine}/out/{engine}.json"))["steps"]
bad = {k: v["_run"] for k, v in steps.items() if "_run" in v and v["_run"].get("status") != "ok" and k != "eager"}
facts = steps.get("lifecycle", {}).get("argv_facts_check", {})
if facts.get("exit") != 0:  # the plugin's argv must parse at the carry's engine version
    bad["argv_facts_check"] = facts
print(f"test:gpu dry run {engine}: " + ("every step ok" if not bad else f"FAILED: {bad}"))
sys.exit(1 if bad else 0)
PY
done
exit $rc
