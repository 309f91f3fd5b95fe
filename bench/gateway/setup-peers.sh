#!/usr/bin/env bash
# Installs the peer gateways the benchmark compares against, under .cache/ (git-ignored):
#   - Portkey AI gateway from npm (@portkey-ai/gateway), with pnpm outside the workspace
#   - LiteLLM proxy from PyPI (litellm[proxy]) into a venv; skipped if it cannot install in time
# Idempotent: does nothing for a peer that is already installed at the pinned version.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORTKEY_VERSION="${PORTKEY_VERSION:-1.15.2}"
LITELLM_SPEC="${LITELLM_SPEC:-litellm[proxy]}"
PK="$ROOT/.cache/bench-peers/portkey"

if [ ! -f "$PK/node_modules/@portkey-ai/gateway/package.json" ] || \
   ! grep -q "\"version\": \"$PORTKEY_VERSION\"" "$PK/node_modules/@portkey-ai/gateway/package.json"; then
  mkdir -p "$PK"
  echo '{"name":"bench-peer-portkey","private":true}' > "$PK/package.json"
  # Its only install script is a husky hook; pnpm's "ignored builds" notice exits non-zero, so check the result instead.
  (cd "$PK" && pnpm add --ignore-workspace "@portkey-ai/gateway@$PORTKEY_VERSION" >/dev/null 2>&1)
  if [ -f "$PK/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then echo "portkey $PORTKEY_VERSION installed"; else echo "portkey: install failed" >&2; fi
fi

VENV="$ROOT/.cache/litellm-venv"
if [ ! -x "$VENV/bin/litellm" ]; then
  PY="${PYTHON:-python3}"
  "$PY" -m venv "$VENV" && timeout "${LITELLM_INSTALL_TIMEOUT:-600}" "$VENV/bin/pip" install -q "$LITELLM_SPEC" \
    && echo "litellm installed" || echo "litellm: install failed or timed out; the bench skips it" >&2
fi
exit 0
