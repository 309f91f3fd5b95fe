#!/usr/bin/env bash
# The whole test suite (`npm test`): installs what it needs, then runs
#   1. every TypeScript package's typecheck, lint and tests (Nx);
#   2. the engine-facts drift check: re-extract the pinned vLLM/SGLang sources from
#      PyPI and compare with the committed facts;
#   3. the Python side: the real `modal` SDK proof of emitted apps, the CUDA
#      checkpoint logic, the engine-argument facts, the official `openai` Python
#      SDK against the gateway;
#   4. the real-engine suites against vLLM's CPU build (tools/test-engine.sh;
#      ~3 GiB install, ~5 min). ROUSE_SKIP_ENGINE=1 skips this part.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROUSE_ROOT"

echo "== 1/4 TypeScript: typecheck, lint, test, published shape (publint + attw on the built package) (nx)"
pnpm nx run-many -t typecheck lint test test:publish --output-style=stream

# The drift check downloads the pinned sources first, so the extractor's own tests
# below also run against the real sources instead of skipping.
echo "== 2/4 Engine facts: pinned sources re-extracted from PyPI, compared with tools/engine-args/facts"
python/.venv/bin/python tools/engine-args/extract.py --all --check --strict

echo "== 3/4 Python: pytest"
python/.venv/bin/python -m pytest -q -p no:cacheprovider \
  python/tests tools/engine-args apps/api/test/python

if [ "${ROUSE_SKIP_ENGINE:-0}" = "1" ]; then
  echo "== 4/4 real engine: skipped (ROUSE_SKIP_ENGINE=1)"
else
  echo "== 4/4 real engine (vLLM CPU build)"
  bash tools/test-engine.sh
fi
