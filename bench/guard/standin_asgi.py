"""A stand-in for an inference engine's API server, for the guard benchmark only.

    python standin_asgi.py --pace S [--middleware MODULE.NAME] [--servers N]

Shaped like vLLM's (vllm/entrypoints/launchers): a Starlette app with CORSMiddleware (vLLM
always adds it), served by uvicorn (httptools) on uvloop in one process, on a socket bound
beforehand. --servers N serves it from N processes on that one socket, as vLLM's
--api-server-count N does (each process builds its own app, middleware included). /v1/chat/completions streams one SSE token every --pace seconds per stream
(a decode step; 0: as fast as the loop goes) or answers JSON at once; /health answers 200.
It is not an engine: no model, so the benchmark measures the server and the guard.

--middleware MODULE.NAME is read as vLLM reads its own (after the other middleware):
drive.py starts this process with `--middleware rouse_guard.RouseGuard` in the environment
a generated app.py's guard_env() makes for its engine (the app's GUARD_MODULE written as
rouse_guard.py on PYTHONPATH, the admin token, the boot report file, the API key's
variable), as the container starts vLLM. Prints "listening PORT" once every server process
has started. 127.0.0.1 only.
"""

import argparse
import asyncio
import contextlib
import ctypes
import importlib
import inspect
import multiprocessing
import signal
import socket

import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

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


def build_app(pace: float, started) -> Starlette:
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
        started()
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


def add_middleware(app: Starlette, dotted: str) -> None:
    """vLLM's --middleware, as vllm/entrypoints/serve/middleware/register.py reads it:
    MODULE.NAME imported; a class is added with add_middleware, a coroutine function as
    an "http" middleware."""
    module, _, name = dotted.rpartition(".")
    imported = getattr(importlib.import_module(module), name)
    if inspect.isclass(imported):
        app.add_middleware(imported)
    elif inspect.iscoroutinefunction(imported):
        app.middleware("http")(imported)
    else:
        raise SystemExit(f"--middleware {dotted}: not a class or coroutine function")


def serve(args, sock: socket.socket, started) -> None:
    """One server process: the app (and its middleware) built here, uvicorn on the shared socket."""
    app = build_app(args.pace, started)
    for dotted in args.middleware:
        add_middleware(app, dotted)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,  # both rows alike; vLLM's is on unless disabled
        timeout_keep_alive=5,  # vLLM's VLLM_HTTP_TIMEOUT_KEEP_ALIVE default
    )
    uvloop.run(uvicorn.Server(config).serve(sockets=[sock]))


def serve_child(args, sock: socket.socket, ready) -> None:
    # Dies with the parent (the bench kills only the process it started).
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    serve(args, sock, lambda: ready.put(True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pace", type=float, default=0.02, help="seconds between tokens (0: unpaced)")
    ap.add_argument(
        "--middleware",
        action="append",
        default=[],
        help="MODULE.NAME added to the app, as vLLM's --middleware (rouse_guard.RouseGuard)",
    )
    ap.add_argument("--servers", type=int, default=1, help="server processes on the one socket")
    args = ap.parse_args()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # before startup: "listening" is printed once the app(s) started
    port = sock.getsockname()[1]
    if args.servers <= 1:
        serve(args, sock, lambda: print(f"listening {port}", flush=True))
        return
    fork = multiprocessing.get_context("fork")
    ready = fork.Queue()
    servers = [fork.Process(target=serve_child, args=(args, sock, ready)) for _ in range(args.servers)]
    for server in servers:
        server.start()
    for _ in servers:
        ready.get(timeout=60)
    print(f"listening {port}", flush=True)
    for server in servers:
        server.join()


if __name__ == "__main__":
    main()
