"""Runs the guard of a generated app.py, unchanged, on 127.0.0.1 for the guard benchmark.

    python serve_guard.py APP_PY --port P --engine-port E [--key K] [--no-uvloop] [--workers N]

APP_PY is an app generated with the transport guard (for an engine without an ASGI
server; run.ts makes one of the default preset). It is imported as generated
(generated_app.py) and its own start_guard() serves (the same call the container makes,
on the same event loop choice).
"""

import argparse
import sys
import time

from generated_app import load_app


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
    app = load_app(args.app)
    if not hasattr(app, "start_guard"):
        raise SystemExit(f"{args.app}: no start_guard (an app with the in-process guard: give the proxied one)")
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
