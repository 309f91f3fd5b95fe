#!/usr/bin/env bash
# The README's first quick-start command (`npm start`): installs the toolchain, then
# runs rouse's main job on the built-in default config — config → validated →
# generated Modal app → proven with the real `modal` SDK (offline: no account, no
# network; python/.venv pins modal==1.6.4).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROUSE_ROOT"
rouse() { node --conditions=@rouse/source apps/cli/src/bin.ts "$@"; }

out=".rouse/quickstart"
mkdir -p "$out"
echo "== rouse init --preset default"
rouse init --preset default --file "$out/rouse.yaml" --force
echo "== rouse validate"
rouse validate --quiet "$out/rouse.yaml" && echo "✓ $out/rouse.yaml is valid"
echo "== rouse generate → $out/app.py"
rouse generate "$out/rouse.yaml" -o "$out/app.py"
rouse generate "$out/rouse.yaml" -o "$out/app.py" --check

if [ ! -x python/.venv/bin/python ]; then
  echo "(python/.venv is missing — ROUSE_SKIP_PYTHON set? — so the app is not checked with the modal SDK)"
  exit 0
fi
echo "== the real modal SDK imports it (python -m rouse_py.inspect_app, offline)"
python/.venv/bin/python -m rouse_py.inspect_app "$out/app.py" >"$out/inspect.json"
python/.venv/bin/python - "$out/inspect.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["ok"], report
assert not report["network_attempts"], "the SDK tried to reach the network"
for app in report["apps"]:
    print(f"app            {app['name']}  (modal {report['inspector']['modal_version']}, name valid: {app['name_valid']})")
    for kind in ("classes", "servers", "functions"):
        for obj in app.get(kind, []):
            gpus = ", ".join(f"{g['type']}x{g['count']}" for g in obj.get("gpus") or []) or "none"
            snap = "CPU+GPU" if obj.get("enable_memory_snapshot") and (obj.get("experimental_options") or {}).get("enable_gpu_snapshot") == "True" \
                else ("CPU" if obj.get("enable_memory_snapshot") else "off")
            enters = [f"{m['name']}(snap={m.get('snap')})" for m in obj.get("methods", []) if m.get("kind") == "enter"]
            print(f"{kind[:-2] if kind == 'classes' else kind[:-1]:<14} {obj['name']}")
            print(f"  GPU          {gpus}")
            print(f"  snapshot     {snap}")
            print(f"  enter        {', '.join(enters) or '-'}")
            print(f"  secrets      {', '.join(obj.get('secrets') or []) or '-'}")
    print(f"web endpoint   {', '.join(app.get('web_endpoints') or []) or '-'}")
PY
echo "✓ next: rouse deploy $out/rouse.yaml   (needs a Modal account: modal token new)"
