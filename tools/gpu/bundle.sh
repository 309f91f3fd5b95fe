#!/usr/bin/env bash
# bundle.sh [OUT_DIR]  (default .gpu-node) — everything Node-side the lent GPU machine needs, with no
# node_modules there: the `rouse` CLI and the GPU suite as single ES-module files (esbuild, the
# `@rouse/source` condition, so the TypeScript sources are bundled as they are), plus this machine's
# Node 24 binary, debug info stripped, xz-compressed. Run from the repo root after `source tools/bootstrap.sh`.
#
#   OUT_DIR/node.xz            Node binary (unpack: tools/gpu/unpack-node.sh)
#   OUT_DIR/node.sha256        sha256 of the unpacked binary
#   OUT_DIR/rouse/bin/rouse.mjs       the CLI (`node rouse.mjs --help`)
#   OUT_DIR/rouse/bin/gpu-suite.mjs   tools/gpu/suite/main.ts (engine lifecycle + serve --local drivers)
#   OUT_DIR/rouse/templates/*.py      codegen's Python templates (the bundled CLI reads them at ../templates/)
#   OUT_DIR/rouse/package.json, OUT_DIR/package.json   the CLI's version (main.ts reads ../package.json,
#                                     bench-load.ts ../../package.json, relative to the module file)
# OUT_DIR must be git-ignored (echo '/.gpu-node/' >> .git/info/exclude): the device tool carries it.
# The Node binary is compressed again only when it changed (~1-3 min with xz on 2 cores).
set -euo pipefail
OUT=${1:-.gpu-node}
[ -f apps/cli/src/bin.ts ] || { echo "bundle.sh: run from the repo root" >&2; exit 2; }
command -v node >/dev/null && command -v pnpm >/dev/null || { echo "bundle.sh: source tools/bootstrap.sh first" >&2; exit 2; }
NODE_BIN=$(node -p 'process.execPath')
case $(node -p 'process.versions.node') in 24.*) ;; *) echo "bundle.sh: Node 24 expected, $NODE_BIN is $(node --version)" >&2; exit 2 ;; esac
if ! git check-ignore -q "$OUT/x" 2>/dev/null; then
  echo "bundle.sh: $OUT is not git-ignored: echo '/${OUT#./}/' >> \"\$(git rev-parse --git-common-dir)/info/exclude\"" >&2
  exit 2
fi
mkdir -p "$OUT/rouse/bin"

# One file per entry point (tools/esbuild-bundle.sh).
source tools/esbuild-bundle.sh
bundle() { esbuild_bundle "$@"; }
bundle apps/cli/src/bin.ts "$OUT/rouse/bin/rouse.mjs"
# tools/ has no package.json: resolve @rouse/* as the CLI does.
NODE_PATH=$PWD/apps/cli/node_modules bundle tools/gpu/suite/main.ts "$OUT/rouse/bin/gpu-suite.mjs"
# codegen reads its Python templates at ../templates/ from its module (the package ships them in dist/app/);
# in a bundle that module is bin/*.mjs.
rm -rf "$OUT/rouse/templates" && mkdir -p "$OUT/rouse/templates"
cp packages/codegen/src/app/templates/*.py "$OUT/rouse/templates/"
VERSION=$(node -p 'require("./apps/cli/package.json").version')
printf '{"name":"@rouse/cli-bundle","private":true,"type":"module","version":"%s"}\n' "$VERSION" \
  | tee "$OUT/rouse/package.json" >"$OUT/package.json"

# The real modal SDK for the recipe driver (python/src/rouse_py/gpu_recipe.py): it is not on the device.
# Wheels for the device's Python 3.12, the versions python/requirements-dev.txt pins, minus what the image has.
MODAL_WHEELS="modal grpclib synchronicity cbor2 toml types-certifi types-toml watchfiles h2 hpack hyperframe protobuf"
PINS=()
for n in $MODAL_WHEELS; do
  pin=$(grep -i -E "^${n//-/[-_]}==" python/requirements-dev.txt) || { echo "bundle.sh: no pin for $n in python/requirements-dev.txt" >&2; exit 1; }
  PINS+=("$pin")
done
mkdir -p "$OUT/whl"
python/.venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$OUT/whl" "${PINS[@]}"

# The Node binary: strip debug info (~3 MB), compress once per binary.
WANT=$(sha256sum "$NODE_BIN" | cut -d' ' -f1)
if [ -f "$OUT/node.xz" ] && [ "$(cat "$OUT/node.src-sha256" 2>/dev/null)" = "$WANT" ]; then
  echo "bundle.sh: $OUT/node.xz is up to date"
else
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  cp "$NODE_BIN" "$TMP/node"
  strip --strip-debug "$TMP/node" 2>/dev/null || true
  "$TMP/node" --version >/dev/null
  sha256sum "$TMP/node" | cut -d' ' -f1 >"$OUT/node.sha256"
  xz -T0 -6 -c "$TMP/node" >"$OUT/node.xz.tmp" && mv "$OUT/node.xz.tmp" "$OUT/node.xz"
  echo "$WANT" >"$OUT/node.src-sha256"
fi
du -sh "$OUT" | awk '{print "bundle.sh: " $2 " is " $1 " (carry it in call 1: tools/gpu/README.md)"}'
