#!/usr/bin/env bash
# Source this file: it installs (once) and puts on PATH the exact toolchain rouse
# is built with — Node 24 LTS from the npm registry's `node` package, pnpm, the
# workspace's node_modules, and the Python venv — so a fresh machine needs nothing
# but the system npm and python3.
set -euo pipefail
ROUSE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROUSE_ROOT
NODE_VERSION="24.21.0"   # Node 24 LTS; the machines' Node 20 is end-of-life
PNPM_VERSION="12.21.0"
TOOLS="$ROUSE_ROOT/.tools"

log() { printf '\033[2m[bootstrap]\033[0m %s\n' "$*" >&2; }

node_bin="$TOOLS/node/node_modules/node/bin"
if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" --version)" != "v$NODE_VERSION" ]; then
  log "installing Node $NODE_VERSION from the npm registry"
  rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
  npm install --prefix "$TOOLS/node" --no-save --no-package-lock --no-fund --no-audit --loglevel=error "node@$NODE_VERSION" >&2
fi
export PATH="$node_bin:$PATH"

pnpm_bin="$TOOLS/pnpm/node_modules/.bin"
if [ ! -x "$pnpm_bin/pnpm" ] || [ "$("$pnpm_bin/pnpm" --version)" != "$PNPM_VERSION" ]; then
  log "installing pnpm $PNPM_VERSION"
  rm -rf "$TOOLS/pnpm" && mkdir -p "$TOOLS/pnpm"
  npm install --prefix "$TOOLS/pnpm" --no-save --no-package-lock --no-fund --no-audit --loglevel=error "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$pnpm_bin:$PATH"

# Nx: no daemon and no cloud on CI-sized machines; the local cache still works.
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-false}"

stamp="$ROUSE_ROOT/node_modules/.rouse-install-stamp"
lock_hash="$(cat "$ROUSE_ROOT/pnpm-lock.yaml" "$ROUSE_ROOT"/package.json "$ROUSE_ROOT"/{packages,apps,examples}/*/package.json 2>/dev/null | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  log "installing workspace packages (pnpm install --frozen-lockfile)"
  (cd "$ROUSE_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  echo "$lock_hash" >"$stamp"
fi

if [ "${ROUSE_SKIP_PYTHON:-0}" != "1" ] && [ -f "$ROUSE_ROOT/python/setup.sh" ]; then
  bash "$ROUSE_ROOT/python/setup.sh" >&2
  export PATH="$ROUSE_ROOT/python/.venv/bin:$PATH"
fi
