#!/usr/bin/env bash
# litellm-site.sh VENV OUT.tar.xz — the LiteLLM proxy for the lent device (CPython 3.12 x86_64, no PyPI),
# as one site directory to put on PYTHONPATH there: the exact versions VENV (.cache/litellm-venv, from
# setup-peers.sh) resolved, as CPython 3.12 wheels, leaving out (a) what the device image already has
# (/work/shared/gpu/device_pkgs.txt or DEVICE_PKGS; its own copies are used) and (b) what the proxy never
# imports to serve (DROP: databases, cloud SDKs, profilers, the polars runtime, the admin UI's static files).
# Checked: `python3.12 -m litellm.proxy.proxy_cli --config …` serves chat completions from such a site.
# Cached by the pin list under LITELLM_SITE_CACHE (default .cache/bench-gateway-carry): xz on 2 busy cores takes minutes.
set -euo pipefail
VENV=$1 OUT=$2
DEVICE_PKGS=${DEVICE_PKGS:-/work/shared/gpu/device_pkgs.txt}
DROP=${DROP:-"polars polars-runtime-32 granian psycopg psycopg-binary pyroscope-io azure-core azure-identity azure-storage-blob msal msal-extensions boto3 botocore s3transfer jmespath hiredis rq croniter pip setuptools inquirerpy pfzy prompt-toolkit wcwidth"}
PY=${PY:-python/.venv/bin/python}
CACHE=${LITELLM_SITE_CACHE:-.cache/bench-gateway-carry}
[ -f "$DEVICE_PKGS" ] || { echo "litellm-site.sh: no $DEVICE_PKGS (the device image's package list)" >&2; exit 2; }
norm() { tr 'A-Z_.' 'a-z--'; }
dev=$(grep -v '^#' "$DEVICE_PKGS" | norm | tr -s ' \n' '\n')
drop=$(echo "$DROP" | norm | tr ' ' '\n')
pins=()
while IFS= read -r line; do
  name=$(echo "${line%%==*}" | norm)
  grep -qx -- "$name" <<<"$dev" && continue
  grep -qx -- "$name" <<<"$drop" && continue
  pins+=("$line")
done < <("$VENV/bin/python" -m pip freeze --all 2>/dev/null | grep '==')
key=$(printf '%s\n' "${pins[@]}" | sha256sum | cut -c1-16)
mkdir -p "$CACHE"
if [ ! -f "$CACHE/litellm-site-$key.tar.xz" ]; then
  echo "litellm-site.sh: ${#pins[@]} packages as CPython 3.12 wheels"
  site=$(mktemp -d)
  trap 'rm -rf "$site"' EXIT
  "$PY" -m pip install -q --no-deps --no-compile --only-binary=:all: --python-version 3.12 --implementation cp \
    --abi cp312 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux_2_34_x86_64 --platform manylinux_2_5_x86_64 --target "$site" "${pins[@]}"
  rm -rf "$site/litellm/proxy/_experimental/out" "$site/bin"
  printf '%s\n' "${pins[@]}" >"$site/LITELLM_SITE_PINS.txt"
  tar -C "$site" -cf - . | xz -T0 -6 >"$CACHE/litellm-site-$key.tar.xz.tmp"
  mv "$CACHE/litellm-site-$key.tar.xz.tmp" "$CACHE/litellm-site-$key.tar.xz"
fi
cp "$CACHE/litellm-site-$key.tar.xz" "$OUT"
du -h "$OUT" | awk '{print "litellm-site.sh: " $2 " " $1}'
