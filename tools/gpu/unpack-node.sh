#!/usr/bin/env bash
# unpack-node.sh [BUNDLE_DIR] [DEST]  (defaults .gpu-node, /root/node) — on the lent GPU machine (call 1):
# unpack the xz'd Node binary that tools/gpu/bundle.sh made, check its sha256, and copy the bundled CLI
# and GPU suite beside it, and install the modal SDK's wheels to DEST/modal-site. Later calls on the same (warm) machine find DEST/bin/node there.
# Exit: 0 ok; 3 missing or wrong binary.
set -uo pipefail
SRC=${1:-.gpu-node}
DEST=${2:-/root/node}
[ -f "$SRC/node.xz" ] || { echo "unpack-node.sh: $SRC/node.xz missing: carry $SRC (tools/gpu/bundle.sh builds it)" >&2; exit 3; }
mkdir -p "$DEST/bin" || exit 3
if command -v xz >/dev/null; then
  xz -dc "$SRC/node.xz" >"$DEST/bin/node.tmp"
else # the image may lack xz: Python's lzma reads it too
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$SRC/node.xz" "$DEST/bin/node.tmp"
fi || { echo "unpack-node.sh: unpacking $SRC/node.xz failed" >&2; exit 3; }
got=$(sha256sum "$DEST/bin/node.tmp" | cut -d' ' -f1)
[ "$got" = "$(cat "$SRC/node.sha256")" ] || { echo "unpack-node.sh: sha256 $got does not match $SRC/node.sha256" >&2; exit 3; }
chmod +x "$DEST/bin/node.tmp" && mv "$DEST/bin/node.tmp" "$DEST/bin/node"
rm -rf "$DEST/rouse" && cp -r "$SRC/rouse" "$DEST/rouse" && cp "$SRC/package.json" "$DEST/package.json" || exit 3
"$DEST/bin/node" --version || exit 3
# The real modal SDK (pure Python but for cbor2/watchfiles/protobuf wheels), only for the recipe driver.
if ls "$SRC"/whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$DEST/modal-site" "$SRC"/whl/*.whl \
    && echo "unpack-node.sh: modal SDK in $DEST/modal-site" || echo "unpack-node.sh: WARNING: modal wheels did not install (the recipe driver falls back to its stub)" >&2
fi
"$DEST/bin/node" "$DEST/rouse/bin/rouse.mjs" --help | head -3
# The bundled CLI generates an app (it reads codegen's templates beside the bundle): checked before device time.
"$DEST/bin/node" "$DEST/rouse/bin/rouse.mjs" generate --preset default --stdout | grep -q "^class RouseGuard:" \
  || { echo "unpack-node.sh: the bundled CLI cannot generate an app (templates missing?)" >&2; exit 4; }
echo "unpack-node.sh: OK: $DEST/bin/node, $DEST/rouse/bin/{rouse,gpu-suite}.mjs, templates"
