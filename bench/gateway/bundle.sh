#!/usr/bin/env bash
# bundle.sh [OUT_DIR] — everything the gateway benchmark needs on the lent device, which has Node 24
# (tools/gpu/unpack-node.sh) and Python 3.12 but no node_modules, npm or PyPI. Run from the repo root
# after `source tools/bootstrap.sh` and `bash bench/gateway/setup-peers.sh`. OUT_DIR (default
# .bench-carry/gateway) must be git-ignored; the device tool carries it (bench/gateway/device.sh runs it).
#
#   OUT_DIR/run.mjs loadgen.mjs load-target.mjs floor-proxy.mjs   the bench driver and its helpers
#   OUT_DIR/gateway.mjs         the rouse server (apps/api/src/main.ts), this checkout
#   OUT_DIR/gateway-base.mjs    the same at BASE_REF (default: merge-base of HEAD and main), measured side by side as `rouse-base`
#   OUT_DIR/portkey.mjs         Portkey's gateway (.cache/bench-peers/portkey), one file
#   OUT_DIR/litellm-site.tar.xz LiteLLM proxy for CPython 3.12 x86_64 (a PYTHONPATH site), minus what the image has
#                               (LITELLM=0 skips them; the report then takes LiteLLM from a local run)
#   OUT_DIR/device.sh           bench/gateway/device.sh, so the folder runs on its own
#   OUT_DIR/VERSIONS            what was bundled
# Every .mjs is one ES module (esbuild, the `@rouse/source` condition: the TypeScript sources as they are).
set -euo pipefail
OUT=${1:-.bench-carry/gateway}
BASE_REF=${BASE_REF:-$(git merge-base HEAD main)}
LITELLM=${LITELLM:-1}
[ -f apps/api/src/main.ts ] || { echo "bundle.sh: run from the repo root" >&2; exit 2; }
command -v node >/dev/null && command -v pnpm >/dev/null || { echo "bundle.sh: source tools/bootstrap.sh first" >&2; exit 2; }
if ! git check-ignore -q "$OUT/x" 2>/dev/null; then
  echo "bundle.sh: $OUT is not git-ignored (the device tool would copy it as untracked files)" >&2
  exit 2
fi
rm -rf "$OUT" && mkdir -p "$OUT"

source tools/esbuild-bundle.sh
bundle() { ESBUILD_LOG_LEVEL=error esbuild_bundle "$@"; }
for s in run loadgen load-target floor-proxy; do bundle "bench/gateway/$s.ts" "$OUT/$s.mjs"; done
bundle apps/api/src/main.ts "$OUT/gateway.mjs"

# The base commit's gateway: its apps/api/src beside this checkout's packages and node_modules.
BASE_SHA=$(git rev-parse --short "$BASE_REF" 2>/dev/null || true)
if [ -n "$BASE_SHA" ]; then
  BASE_DIR=apps/api/node_modules/.bench-base-src
  rm -rf "$BASE_DIR" && mkdir -p "$BASE_DIR"
  trap 'rm -rf "$BASE_DIR"' EXIT
  git archive "$BASE_SHA" apps/api/src | tar -x -C "$BASE_DIR" --strip-components=3
  bundle "$BASE_DIR/main.ts" "$OUT/gateway-base.mjs"
  rm -rf "$BASE_DIR"
else
  echo "bundle.sh: no $BASE_REF ref: no rouse-base" >&2
fi

PK=.cache/bench-peers/portkey/node_modules/@portkey-ai/gateway
if [ -f "$PK/build/start-server.js" ]; then
  bundle "$PK/build/start-server.js" "$OUT/portkey.mjs"
  PK_VERSION=$(node -p "require('./$PK/package.json').version")
else
  echo "bundle.sh: Portkey is not installed (bash bench/gateway/setup-peers.sh): the device run skips it" >&2
  PK_VERSION=none
fi

# LiteLLM: the versions the local install resolved, as CPython 3.12 wheels, minus what the image has
# (device_pkgs.txt; the image's own copies are used) and minus what the proxy never imports to serve.
LL_VERSION=none
if [ "$LITELLM" = 1 ] && [ -x .cache/litellm-venv/bin/pip ]; then
  LL_VERSION=$(.cache/litellm-venv/bin/python -c "import importlib.metadata as m; print(m.version('litellm'))")
  bash bench/gateway/litellm-site.sh .cache/litellm-venv "$OUT/litellm-site.tar.xz" || {
    echo "bundle.sh: LiteLLM site not built: the device run skips LiteLLM" >&2
    rm -f "$OUT/litellm-site.tar.xz"
    LL_VERSION=none
  }
fi

# The device script too: the carry folder runs on its own (bash OUT_DIR/device.sh OUT_DIR).
cp bench/gateway/device.sh "$OUT/device.sh"
{
  echo "rouse $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- apps packages bench || echo '+dirty')"
  echo "rouse-base $BASE_REF $BASE_SHA"
  echo "portkey $PK_VERSION"
  echo "litellm $LL_VERSION"
  echo "node $(node --version)"
} >"$OUT/VERSIONS"
du -sh "$OUT" | awk '{print "bundle.sh: " $2 " is " $1}'
cat "$OUT/VERSIONS"
