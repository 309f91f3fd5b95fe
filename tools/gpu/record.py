#!/usr/bin/env python3
"""record.py FILE STEP KEY VALUE_JSON — merge one value into steps[STEP][KEY] of the results JSON
(the same layout the GPU suite and rouse_py.gpu_recipe write). Standard library only."""

import json
import sys
from pathlib import Path

if len(sys.argv) != 5:
    sys.exit(__doc__)
path, step, key, raw = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
try:
    value = json.loads(raw)
except ValueError:
    value = raw
doc = json.loads(path.read_text()) if path.exists() else {"steps": {}}
doc.setdefault("steps", {}).setdefault(step, {})[key] = value
path.parent.mkdir(parents=True, exist_ok=True)
tmp = path.with_suffix(".tmp")
tmp.write_text(json.dumps(doc, indent=1) + "\n")
tmp.replace(path)
