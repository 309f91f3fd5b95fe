"""Emitting apps with rouse's code generator, and what the modal SDK should record for them.

A uniquely named module (``conftest`` is ambiguous across test folders). The apps come from
``packages/codegen/scripts/emit-apps.ts`` (run once per session with Node's TypeScript
support); expectations are derived here from each case's *config*, independently of the
generator, with only engine facts (mount paths, argv, image recipe) taken from the plan the
generator recorded.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
EMIT_SCRIPT = REPO / "packages" / "codegen" / "scripts" / "emit-apps.ts"
RANDOM_CASES = int(os.environ.get("ROUSE_CODEGEN_RANDOM", "24"))
RANDOM_SEED = int(os.environ.get("ROUSE_CODEGEN_SEED", "20261122"))


def _node_ok(node: str) -> bool:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    major, minor = (int(x) for x in re.findall(r"\d+", out)[:2])
    return (major, minor) >= (22, 18)  # runs .ts files natively


def find_node() -> str | None:
    """Node >= 22.18: ROUSE_NODE, the workspace's bootstrap copy, or PATH."""
    for candidate in (
        os.environ.get("ROUSE_NODE"),
        str(REPO / ".tools" / "node" / "node_modules" / "node" / "bin" / "node"),
        shutil.which("node"),
    ):
        if candidate and _node_ok(candidate):
            return candidate
    return None


@functools.cache
def emitted_dir() -> Path:
    """Runs the emitter once per session; returns the folder of cases."""
    node = find_node()
    if node is None:
        raise RuntimeError(
            "Node >= 22.18 is needed to run rouse's code generator (set ROUSE_NODE or run tools/bootstrap.sh)"
        )
    out = Path(tempfile.mkdtemp(prefix="rouse-codegen-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    proc = subprocess.run(
        [
            node,
            "--conditions=@rouse/source",
            str(EMIT_SCRIPT),
            "--out",
            str(out),
            "--random",
            str(RANDOM_CASES),
            "--seed",
            str(RANDOM_SEED),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"emit-apps.ts failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return out


TEMPLATES = REPO / "packages" / "codegen" / "src" / "app" / "templates"


def _exec_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_template(path: Path, name: str, routes: dict | None = None):
    """A guard template (guard.py, asgi_guard.py) as a module, loaded the way its prelude
    imports the route rules: a fresh routes.py, its ROUTES set to `routes` when given,
    stands as the module `routes` while the template loads (in an app, codegen writes the
    rules into the guard's text instead)."""
    rules = _exec_file(TEMPLATES / "routes.py", f"{name}_routes")
    if routes is not None:
        rules.ROUTES = routes
    saved = sys.modules.get("routes")
    sys.modules["routes"] = rules
    try:
        return _exec_file(path, name)
    finally:
        if saved is None:
            sys.modules.pop("routes", None)
        else:
            sys.modules["routes"] = saved


def case_dirs(group: str) -> list[Path]:
    return sorted(p for p in (emitted_dir() / group).iterdir() if p.is_dir())


def load_case(case_dir: Path) -> dict[str, Any]:
    return json.loads((case_dir / "case.json").read_text())


# --------------------------------------------------------------------------------------
# Expectations from the config
# --------------------------------------------------------------------------------------


def gpu_string(cfg: dict[str, Any]) -> str:
    gpu, count = cfg["resources"]["gpu"], cfg["resources"]["count"]
    return gpu if count == 1 else f"{gpu}:{count}"


def expected_secrets(cfg: dict[str, Any]) -> list[str]:
    names: list[str] = []
    s = cfg["secrets"]
    for name in [s.get("apiKey"), s.get("huggingface"), *s["extra"]]:
        if name and name not in names:
            names.append(name)
    return names


def expected_volume_names(cfg: dict[str, Any], plan: dict[str, Any]) -> dict[str, str]:
    """Mount path -> Volume name. The path is the engine plugin's; the name is the config's."""
    caches = cfg["caches"]
    by_role = {
        "weights": None if caches["bakeWeights"] else caches["weights"],
        "compile": caches.get("compile"),
        "deepgemm": caches.get("deepgemm"),
    }
    out = {}
    for v in plan["volumes"]:
        assert by_role[v["role"]] == v["name"], (v, caches)
        out[v["path"]] = v["name"]
    return out


def service_kind(cfg: dict[str, Any]) -> str:
    if cfg["serving"]["style"] == "server":
        return "server"
    return "cls" if cfg["snapshot"]["enabled"] else "function"


def expected_methods(cfg: dict[str, Any], plan: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Lifecycle methods in definition order (Modal runs enter methods in that order)."""
    kind, snap = service_kind(cfg), cfg["snapshot"]["enabled"]
    # The snap=False method is named like the seeds' when it wakes the engine.
    after = "wake_up" if snap and "wake" in plan["recipe"]["afterRestore"] else "restore"
    enter = [("start", "enter", True), (after, "enter", False)] if snap else [("start", "enter", False)]
    if kind == "cls":
        return [*enter, ("serve", "web_server", None), ("stop", "exit", None)]
    if kind == "server":
        return [*enter, ("stop", "exit", None)]
    return []


def methods(entry: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [(m["name"], m["kind"], m.get("snap")) for m in entry.get("methods", [])]


def service_entry(app: dict[str, Any], cfg: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The one service the app registers, with the other two lists empty."""
    kind = service_kind(cfg)
    lists = {"cls": app["classes"], "function": app["functions"], "server": app["servers"]}
    for k, items in lists.items():
        assert len(items) == (1 if k == kind else 0), (k, [i["name"] for i in items])
    (entry,) = lists[kind]
    assert entry["name"] == ("serve" if kind == "function" else plan["className"])
    return entry
