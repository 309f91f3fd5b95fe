#!/usr/bin/env bash
# The whole test suite: TypeScript packages (typecheck, lint, unit + integration
# tests through Nx), then the Python side (real `modal` SDK checks of emitted apps,
# engine argument facts, CUDA checkpoint logic). Installs what it needs first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$THAW_ROOT"

echo "== TypeScript: typecheck, lint, test"
pnpm nx run-many -t typecheck lint test --output-style=stream --outputStyle=stream 2>/dev/null || \
  pnpm nx run-many -t typecheck lint test --output-style=stream

if [ -x python/.venv/bin/python ]; then
  echo "== Python: pytest"
  python/.venv/bin/python -m pytest -q python/tests tools
fi
