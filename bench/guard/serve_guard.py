"""Runs the guard of a generated app.py, unchanged, on 127.0.0.1 for the guard benchmark.

    python serve_guard.py APP_PY --port P --engine-port E [--key K] [--no-uvloop] [--workers N]

The app module is imported as generated and its own start_guard() serves (the same call
the container makes, on the same event loop choice). Where the `modal` package is not
installed (an engine's Python, which has uvloop and aiohttp like the container's), a
stand-in module takes its place: the guard never touches modal, only the module-level
app definitions do.
"""

import argparse
import importlib.util
import sys
import time
import unittest.mock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("app")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--engine-port", type=int, required=True)
    ap.add_argument("--key")
    ap.add_argument("--no-uvloop", action="store_true", help="asyncio's own loop")
    ap.add_argument("--workers", type=int, default=1, help="guard processes on the port (SO_REUSEPORT)")
    args = ap.parse_args()
    if args.no_uvloop:
        sys.modules["uvloop"] = None  # makes `import uvloop` raise ImportError
    try:
        import modal  # noqa: F401
    except ImportError:
        sys.modules["modal"] = unittest.mock.MagicMock(name="modal stand-in")
    spec = importlib.util.spec_from_file_location("rouse_bench_app", args.app)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    app.ENGINE_PORT = args.engine_port
    if args.workers > 1:
        app.start_guard(args.key, host="127.0.0.1", port=args.port, workers=args.workers)
    else:
        app.start_guard(args.key, host="127.0.0.1", port=args.port)
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    print(f"guard ready {loop}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
