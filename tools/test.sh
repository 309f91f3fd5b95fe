#!/usr/bin/env bash
# The whole test suite (`npm test`): installs what it needs, then runs every
# TypeScript package's typecheck, lint and tests through Nx, then the Python side
# (the real `modal` SDK checks of emitted apps, engine facts, CUDA checkpoint logic).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$THAW_ROOT"

echo "== TypeScript: typecheck, lint, test (nx)"
pnpm nx run-many -t typecheck lint test --output-style=stream

if [ -x python/.venv/bin/python ]; then
  echo "== Python: pytest"
  python/.venv/bin/python -m pytest -q python/tests tools
fi
