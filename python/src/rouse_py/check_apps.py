"""Check a directory of emitted Modal apps against per-app expectations.

    python -m rouse_py.check_apps DIR [--proto] [--ruff] [--json]

Discovery (both layouts may be mixed):
  * ``DIR/**/app.py`` with an expectations file ``expect.json`` in the same folder;
  * ``DIR/*.py`` (not ``app.py``) with ``<stem>.expect.json`` beside it.
An app without an expectations file is still imported and must inspect cleanly
(``ok: true``, no network attempt); pass ``--require-expectations`` to make that an error.

Each app is inspected in a fresh subprocess (``python -m rouse_py.inspect_app``), so SDK
global state never leaks between apps.  The expectations file is a *partial* inspector
report (see ``rouse_py.inspect_app``), matched like this:
  * dict: every expected key must be present in the actual value and match recursively
    (extra actual keys are ignored);
  * list: same length, element ``i`` matches element ``i`` (order matters: methods are
    reported in definition order);
  * ``{"$subset": [..]}``: every listed element matches some element of the actual list;
  * ``{"$len": N}``: the actual list/dict/string has length N;
  * ``{"$any": true}``: key must exist, any value;
  * ``{"$absent": true}``: the key must NOT exist (or be null);
  * anything else: equality (``1 == 1.0``; ``True`` is not ``1``).
Example (``expect.json``)::

    {"ok": true,
     "apps": [{"name": "example-ministral3-inference",
               "classes": [{"name": "VllmServer", "gpu": "H100:1",
                            "enable_memory_snapshot": true,
                            "experimental_options": {"enable_gpu_snapshot": "True"},
                            "concurrency": {"max_inputs": 32},
                            "methods": [{"name": "start", "kind": "enter", "snap": true},
                                        {"name": "wake_up", "kind": "enter", "snap": false},
                                        {"name": "serve", "kind": "web_server", "port": 8000},
                                        {"name": "stop", "kind": "exit"}]}],
               "local_entrypoints": {"$len": 1}}]}

``--proto`` also runs the SDK's deploy-time client-side checks (fake stub) and requires
``deploy_checks_ok``; ``--ruff`` runs ``ruff format --check`` and ``ruff check`` on each
app (``--ruff-config FILE``; default ``python/pyproject.toml``; ``isolated`` = ruff's defaults).
Exit status: 0 all good, 1 any failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SRC_DIR = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# Partial matching
# --------------------------------------------------------------------------------------


def match(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Return mismatch messages (empty list = match)."""
    if isinstance(expected, dict) and len(expected) == 1:
        ((op, arg),) = expected.items()
        if op == "$any":
            return []
        if op == "$len":
            try:
                n = len(actual)
            except TypeError:
                return [f"{path}: expected something with length {arg}, got {actual!r}"]
            return [] if n == arg else [f"{path}: expected length {arg}, got {n}"]
        if op == "$subset":
            if not isinstance(actual, list):
                return [f"{path}: expected a list, got {type(actual).__name__}"]
            errors = []
            for i, exp in enumerate(arg):
                if not any(not match(exp, act, f"{path}[?]") for act in actual):
                    errors.append(f"{path}: no element matches $subset[{i}] = {json.dumps(exp)}")
            return errors
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {json.dumps(actual)[:200]}"]
        errors = []
        for key, exp in expected.items():
            sub = f"{path}.{key}"
            if isinstance(exp, dict) and exp == {"$absent": True}:
                if actual.get(key) is not None:
                    errors.append(f"{sub}: expected absent, got {json.dumps(actual[key])[:200]}")
                continue
            if key not in actual:
                errors.append(f"{sub}: missing")
                continue
            errors.extend(match(exp, actual[key], sub))
        return errors
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {json.dumps(actual)[:200]}"]
        if len(expected) != len(actual):
            return [
                f"{path}: expected {len(expected)} element(s), got {len(actual)}: {json.dumps(_names(actual))[:300]}"
            ]
        errors = []
        for i, (exp, act) in enumerate(zip(expected, actual)):
            errors.extend(match(exp, act, f"{path}[{i}]"))
        return errors
    if isinstance(expected, bool) or isinstance(actual, bool):
        ok = type(expected) is type(actual) and expected == actual
    else:
        ok = expected == actual
    return [] if ok else [f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)[:300]}"]


def _names(items: list[Any]) -> list[Any]:
    return [i.get("name", i) if isinstance(i, dict) else i for i in items]


# --------------------------------------------------------------------------------------
# Running the inspector
# --------------------------------------------------------------------------------------


def run_inspector(
    app_path: str | os.PathLike[str], *extra: str, python: str | None = None, timeout: float = 120
) -> tuple[int, dict[str, Any] | None, str]:
    """Inspect one app in a fresh interpreter; returns (exit code, report or None, stderr)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC_DIR), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.run(
        [python or sys.executable, "-m", "rouse_py.inspect_app", str(app_path), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    return proc.returncode, report, proc.stderr


def _ruff_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


DEFAULT_RUFF_CONFIG = SRC_DIR.parent / "pyproject.toml"


def run_ruff(app_path: Path, config: str | None = None) -> list[str]:
    """ruff format --check + ruff check; returns failure messages.

    config: a ruff/pyproject file; None = python/pyproject.toml ([tool.ruff]: line length 120,
    rules E4/E7/E9/F/W/I); "isolated" = ruff's own defaults (0.17 enables many rule families).
    """
    if config == "isolated":
        cfg = ["--isolated"]
    else:
        cfg = ["--config", str(config or DEFAULT_RUFF_CONFIG)]
    failures = []
    for sub in (["format", "--check", "--diff"], ["check", "--no-cache"]):
        proc = subprocess.run([*_ruff_cmd(), *sub, *cfg, str(app_path)], capture_output=True, text=True)
        if proc.returncode != 0:
            failures.append(f"ruff {sub[0]}: " + (proc.stdout + proc.stderr).strip()[-2000:])
    return failures


# --------------------------------------------------------------------------------------
# Discovery + checking
# --------------------------------------------------------------------------------------


@dataclass
class AppCase:
    app: Path
    expect: Path | None


@dataclass
class Result:
    app: str
    ok: bool
    failures: list[str] = field(default_factory=list)
    expectations: str | None = None


def discover(directory: Path) -> list[AppCase]:
    cases: list[AppCase] = []
    for app in sorted(directory.rglob("app.py")):
        if any(part.startswith(".") or part == "__pycache__" for part in app.relative_to(directory).parts):
            continue
        exp = app.with_name("expect.json")
        cases.append(AppCase(app, exp if exp.exists() else None))
    for app in sorted(directory.glob("*.py")):
        if app.name == "app.py" or app.name.startswith("_"):
            continue
        exp = app.with_name(f"{app.stem}.expect.json")
        cases.append(AppCase(app, exp if exp.exists() else None))
    return cases


def check_app(
    app: Path,
    expected: dict[str, Any] | None,
    *,
    proto: bool = False,
    ruff: bool = False,
    ruff_config: str | None = None,
) -> list[str]:
    """All failure messages for one app (empty = pass)."""
    failures: list[str] = []
    code, report, stderr = run_inspector(app, *(["--proto"] if proto else []))
    if report is None:
        return [f"inspector crashed (exit {code}): {stderr.strip()[-2000:]}"]
    expects_failure = bool(expected) and expected.get("ok") is False
    if not report.get("ok") and not expects_failure:
        err = report.get("error", {})
        failures.append(f"import failed: {err.get('type')}: {err.get('message')}")
    if report.get("network_attempts"):
        failures.append(f"network attempted while importing: {report['network_attempts']}")
    if proto and report.get("ok") and not report.get("deploy_checks_ok", True):
        errs = {a.get("name"): a.get("deploy_check_errors") for a in report.get("apps", [])}
        failures.append(f"deploy-time client checks failed: {json.dumps(errs)}")
    if expected is not None:
        failures.extend(match(expected, report))
    if ruff:
        failures.extend(run_ruff(app, ruff_config))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rouse_py.check_apps", description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--proto", action="store_true", help="also run deploy-time client checks")
    parser.add_argument("--ruff", action="store_true", help="also run ruff format --check and ruff check")
    parser.add_argument(
        "--ruff-config", default=None, help="ruff config file (default python/pyproject.toml; 'isolated')"
    )
    parser.add_argument("--require-expectations", action="store_true")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"not a directory: {args.directory}", file=sys.stderr)
        return 2
    cases = discover(args.directory)
    if not cases:
        print(f"no apps found under {args.directory}", file=sys.stderr)
        return 2
    results = []
    for case in cases:
        expected = json.loads(case.expect.read_text()) if case.expect else None
        failures = check_app(case.app, expected, proto=args.proto, ruff=args.ruff, ruff_config=args.ruff_config)
        if expected is None and args.require_expectations:
            failures.append("no expectations file")
        results.append(Result(str(case.app), not failures, failures, str(case.expect) if case.expect else None))
    passed = sum(r.ok for r in results)
    if args.json:
        print(
            json.dumps(
                {"passed": passed, "failed": len(results) - passed, "results": [r.__dict__ for r in results]}, indent=2
            )
        )
    else:
        for r in results:
            print(("PASS " if r.ok else "FAIL ") + r.app + ("" if r.expectations else "  (no expectations)"))
            for f in r.failures:
                print("    " + f.replace("\n", "\n    "))
        print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
