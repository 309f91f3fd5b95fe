# esbuild-bundle.sh — sourced by tools/gpu/bundle.sh and bench/gateway/bundle.sh (from the repo root):
#   esbuild_bundle ENTRY.ts OUT.mjs   one ES module for Node 24, the `@rouse/source` condition (the
#                                     TypeScript sources as they are), esbuild pinned by $ESBUILD via pnpm dlx.
# ESBUILD_LOG_LEVEL (default warning) is esbuild's --log-level; NODE_PATH resolves packages for entry
# points outside a workspace package (tools/ has no package.json).
ESBUILD=${ESBUILD:-esbuild@0.28.2}
# Some dependencies are CommonJS and call require(): give ESM a require.
ESBUILD_BANNER="import{createRequire as __rouseRequire}from'node:module';const require=__rouseRequire(import.meta.url);"

esbuild_bundle() {
  NODE_PATH=${NODE_PATH:-} pnpm dlx "$ESBUILD" "$1" --bundle --platform=node --target=node24 --format=esm \
    --conditions=@rouse/source --outfile="$2" "--banner:js=$ESBUILD_BANNER" --log-level="${ESBUILD_LOG_LEVEL:-warning}" \
    --legal-comments=none 2>&1 | grep -v -E '^(\.\.\.|Packages are|  Content-add|  Virtual store|dependencies:|\+ esbuild|Done in|Progress|$)' || true
  [ -s "$2" ] || { echo "esbuild-bundle.sh: esbuild wrote no $2" >&2; exit 1; }
}
