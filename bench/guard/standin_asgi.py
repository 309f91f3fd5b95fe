"""A stand-in for an inference engine's API server, for the guard benchmark only.

    python standin_asgi.py --pace S [--guard-from APP_PY --key K]

Shaped like vLLM's (vllm/entrypoints/launchers): a Starlette app with CORSMiddleware (vLLM
always adds it), served by uvicorn (httptools) on uvloop in one process, on a socket bound
beforehand. /v1/chat/completions streams one SSE token every --pace seconds per stream
(a decode step; 0: as fast as the loop goes) or answers JSON at once; /health answers 200.
It is not an engine: no model, so the benchmark measures the server and the guard.

With --guard-from, the generated app.py's guard module (its GUARD_MODULE text, unchanged)
is written as rouse_guard.py, imported, and its RouseGuard added with app.add_middleware
after every other middleware, as vLLM does with `--middleware rouse_guard.RouseGuard`;
the environment is set as app.py sets it for the engine (API key variable, admin token,
boot report file). Prints "listening PORT" once the app has started. 127.0.0.1 only.
"""

import argparse
import ast
import asyncio
import contextlib
import importlib
import os
import secrets
import socket
import sys
import tempfile
from pathlib import Path

import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

GUARD_MODULE_NAME = "rouse_guard"  # vLLM: --middleware rouse_guard.RouseGuard
CHUNK = (
    b'data: {"id":"c","object":"chat.completion.chunk","model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"tok"}}]}\n\n'
)
FINAL = {
    "id": "c",
    "object": "chat.completion",
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}


def build_app(pace: float, listening: socket.socket) -> Starlette:
    async def tokens(n: int):
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(n):
            if i:
                # Paced from the stream's start, so scheduling delays do not accumulate.
                # Unpaced, sleep(0) still yields between tokens, as a real engine's stream
                # awaits its next output.
                await asyncio.sleep(max(0.0, start + i * pace - loop.time()) if pace else 0)
            yield CHUNK
        yield b"data: [DONE]\n\n"

    async def chat(request: Request) -> Response:
        body = await request.json()
        if not body.get("stream"):
            return JSONResponse(FINAL)
        n = body.get("max_tokens") or 16
        headers = {"cache-control": "no-cache"}
        return StreamingResponse(tokens(n), media_type="text/event-stream", headers=headers)

    async def health(_: Request) -> Response:
        return Response(status_code=200)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        print(f"listening {listening.getsockname()[1]}", flush=True)
        yield

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    # vLLM's defaults (--allowed-origins etc. unset): a request without Origin passes.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    return app


def guard_module_text(app_py: Path) -> str:
    """app.py's GUARD_MODULE, as generated: a string literal read without running app.py
    (which needs modal); else app.py run with a stand-in for modal, as serve_guard.py does."""
    tree = ast.parse(app_py.read_text(), str(app_py))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "GUARD_MODULE" for t in node.targets
        ):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                break
    import importlib.util
    import unittest.mock

    try:
        import modal  # noqa: F401
    except ImportError:
        sys.modules["modal"] = unittest.mock.MagicMock(name="modal stand-in")
    spec = importlib.util.spec_from_file_location("rouse_bench_app", app_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "GUARD_MODULE", None), str):
        raise SystemExit(f"{app_py}: no GUARD_MODULE string (an app generated before the in-process guard?)")
    return module.GUARD_MODULE


def api_key_env(app_py: Path) -> str:
    """The name of the variable app.py reads the API key from (API_KEY_ENV)."""
    for node in ast.parse(app_py.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "API_KEY_ENV" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{app_py}: no API_KEY_ENV")


def add_guard(app: Starlette, module_text: str, key_var: str, key: str, workdir: Path) -> None:
    (workdir / f"{GUARD_MODULE_NAME}.py").write_text(module_text)
    boot = workdir / "boot.json"
    boot.write_text('{"phase": "serving", "restored": false}')
    os.environ.update(
        {
            "ROUSE_GUARD_KEY_ENV": key_var,
            key_var: key,
            "ROUSE_ADMIN_TOKEN": secrets.token_urlsafe(32),
            "ROUSE_BOOT_FILE": str(boot),
        }
    )
    sys.path.insert(0, str(workdir))
    guard = importlib.import_module(GUARD_MODULE_NAME)
    app.add_middleware(guard.RouseGuard)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pace", type=float, default=0.02, help="seconds between tokens (0: unpaced)")
    ap.add_argument("--guard-from", type=Path, help="a generated app.py: add its in-process guard")
    ap.add_argument(
        "--guard-module",
        type=Path,
        help="the guard module's text in a file, for an app.py without GUARD_MODULE (run.ts writes it)",
    )
    ap.add_argument("--key", help="the API key the guard checks")
    args = ap.parse_args()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # before startup: "listening" is printed from the lifespan
    app = build_app(args.pace, sock)
    with tempfile.TemporaryDirectory(prefix="rouse-guard-bench-") as tmp:
        if args.guard_from:
            if not args.key:
                raise SystemExit("--guard-from needs --key (the app's API key is on)")
            text = args.guard_module.read_text() if args.guard_module else guard_module_text(args.guard_from)
            add_guard(app, text, api_key_env(args.guard_from), args.key, Path(tmp))
        config = uvicorn.Config(
            app,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,  # both rows alike; vLLM's is on unless disabled
            timeout_keep_alive=5,  # vLLM's VLLM_HTTP_TIMEOUT_KEEP_ALIVE default
        )
        uvloop.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    main()
