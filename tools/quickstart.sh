#!/usr/bin/env bash
# The README's first quick-start command (`npm start`): installs the toolchain,
# then runs thaw's main job on the built-in default config.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$THAW_ROOT"
thaw() { node --conditions=@thaw/source apps/cli/src/bin.ts "$@"; }

out=".thaw/quickstart"
mkdir -p "$out"
echo "== thaw init --preset default"
thaw init --preset default --file "$out/thaw.yaml" --force
echo "== thaw validate (the resolved deployment)"
thaw validate "$out/thaw.yaml"
