#!/usr/bin/env bash
# Create python/.venv with the exact pins of requirements-dev.txt (modal SDK, pytest, hypothesis, ruff).
# Idempotent and fast: does nothing when the venv already matches the requirements (stamp = sha256 of
# requirements-dev.txt + the interpreter version). Needs only PyPI.
#   PYTHON=python3.12 python/setup.sh     # choose the interpreter (>= 3.11)
#   ROUSE_PY_FORCE=1 python/setup.sh       # reinstall even if the stamp matches
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON_BIN="${PYTHON:-python3}"
VENV=.venv
REQ=requirements-dev.txt
STAMP="$VENV/.rouse-requirements.stamp"

if ! "$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup.sh: $PYTHON_BIN is $("$PYTHON_BIN" -V 2>&1); Python >= 3.11 is required" >&2
  exit 1
fi

want="$(cat "$REQ" | sha256sum | cut -d' ' -f1) $("$PYTHON_BIN" -c 'import sys; print(sys.version.split()[0])')"
if [[ -z "${ROUSE_PY_FORCE:-}" && -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "python/.venv is up to date"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON_BIN" -m venv "$VENV"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install --quiet --no-deps -r "$REQ"
"$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check; exit 1; }

# Put python/src on the venv's path (no build backend needed, nothing to rebuild on edits).
site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$PWD/src" > "$site/rouse_py.pth"

"$VENV/bin/python" -c 'import modal, rouse_py; print("modal", modal.__version__, "| rouse_py", rouse_py.__version__)'
echo "$want" > "$STAMP"
