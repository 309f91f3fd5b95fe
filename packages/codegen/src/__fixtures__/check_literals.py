"""Reads emitted apps back with Python's own parser (hostile.test.ts runs this).

    python check_literals.py DIR    # DIR holds app_*.py and cases.json

Every file must compile; its ENGINE_CMD list (literals and references to the app's own
constants, rouse_py.app_literals) and its image.env dict (ast.literal_eval) are read as data,
nothing runs, and compared with the values the config held.
Prints {"checked": N, "failures": [...]} as JSON.
"""

import ast
import json
import sys
from pathlib import Path

from rouse_py.app_literals import constant


def image_env(tree: ast.Module) -> dict:
    env: dict = {}
    for node in tree.body:
        value = getattr(node, "value", None)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "env":
            env.update(ast.literal_eval(value.args[0]))
    return env


def check(directory: Path) -> dict:
    cases = json.loads((directory / "cases.json").read_text())
    failures = []
    for case in cases:
        path = directory / case["file"]
        source = path.read_text(encoding="utf-8")
        try:
            compile(source, str(path), "exec")
            tree = ast.parse(source)
            argv = constant(tree, "ENGINE_CMD")
            env = image_env(tree)
        except (SyntaxError, ValueError, LookupError) as e:
            failures.append(f"{case['file']}: {type(e).__name__}: {e}")
            continue
        missing = [a for a in case["extraArgs"] if a not in argv]
        if missing:
            failures.append(f"{case['file']}: extraArgs not in ENGINE_CMD: {missing!r}")
        if case["speculative"] is not None:
            # One element, --speculative-config=<json>: everything after the first '=' is the value.
            joined = next(a for a in argv if a.startswith("--speculative-config="))
            spec = json.loads(joined.split("=", 1)[1])
            if spec != case["speculative"]:
                failures.append(f"{case['file']}: speculative {spec!r} != {case['speculative']!r}")
        for name, value in case["env"].items():
            if env.get(name) != value:
                failures.append(f"{case['file']}: env {name}: {env.get(name)!r} != {value!r}")
    return {"checked": len(cases), "failures": failures}


if __name__ == "__main__":
    print(json.dumps(check(Path(sys.argv[1]))))
