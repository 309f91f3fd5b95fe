"""Imports a generated app.py as it is, for the guard benchmark.

Where the `modal` package is not installed (the benchmark's own venv, the lent device), a
stand-in module takes its place: the guards and guard_env() never touch modal, only the
module-level app definitions do.
"""

import importlib.util
import sys
import unittest.mock
from pathlib import Path
from types import ModuleType


def load_app(path: Path | str, name: str = "rouse_bench_app") -> ModuleType:
    try:
        import modal  # noqa: F401
    except ImportError:
        sys.modules["modal"] = unittest.mock.MagicMock(name="modal stand-in")
    spec = importlib.util.spec_from_file_location(name, path)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    return app
