"""The in-process guard (packages/codegen/src/app/templates/asgi_guard.py, as emitted apps carry it
in GUARD_MODULE) under a real server:
a recording FastAPI app that really has every admin route of both engines, with the guard
added the way vLLM's `--middleware` adds it, served by uvicorn (httptools or h11) in a thread;
and a raw-socket client, so what is sent is exactly the bytes written here."""

from __future__ import annotations

import ast
import asyncio
import functools
import itertools
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import h11
import pytest
import uvicorn
from codegen_support import case_dirs, find_node, load_case, load_template
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Mount

TEMPLATE = Path(__file__).resolve().parents[3] / "packages/codegen/src/app/templates/asgi_guard.py"
KEY = "k-asgi-0123456789"
KEY_VAR = "ROUSE_TEST_API_KEY"
ADMIN = "a" * 20 + "-admin-token-0123456789"  # 43 characters
ROOT = "/api"
ENGINES = ("vllm", "sglang")
_names = itertools.count()


def template_body() -> str:
    """What app.py carries as GUARD_MODULE: the template after its prelude."""
    return TEMPLATE.read_text().split("# rouse:end-prelude\n", 1)[1]


def load_guard(routes: dict | None = None, path: Path = TEMPLATE):
    return load_template(path, f"rouse_asgi_guard_{next(_names)}", routes)


def emitted_guard(engine: str):
    """The guard module an emitted app of this engine carries (its GUARD_MODULE, unchanged),
    loaded from a file as the engine process loads rouse_guard.py."""
    module = engine_tables()[engine][2]
    text = module.read_text()
    # The template's body and the route rules, every line of them (ROUTES as filled).
    for line in template_body().splitlines() + rules_body().splitlines():
        if line.strip() and "rouse:" not in line and not line.startswith(("ROUTES = ", "    ")):
            assert line in text.splitlines(), f"not the template's text: {line!r}"
    assert "from routes import" not in text
    return load_guard(path=module)


def rules_body() -> str:
    """The route rules codegen writes into the guard's text (routes.py after its prelude)."""
    return (TEMPLATE.parent / "routes.py").read_text().split("# rouse:end-prelude\n", 1)[1]


@functools.cache
def engine_tables() -> dict[str, tuple[dict, tuple[str, ...], Path]]:
    """Engine kind -> (route table, admin paths, guard module file), as the code generator
    recorded them in the emitted presets' plans (from the engine plugins' lifecycle, not
    copied here) and wrote the guard into the app (GUARD_MODULE)."""
    if find_node() is None:
        pytest.skip("needs Node >= 22.18 to emit the presets")
    tables = {}
    for case_dir in case_dirs("presets"):
        case = load_case(case_dir)
        if case["plan"].get("guard") != "in-process":
            continue
        lifecycle = case["plan"]["lifecycle"]
        routes = {}
        for r in lifecycle["routes"]:
            routes.setdefault(r["path"], r["access"])
        kind = case["config"]["engine"]["kind"]
        if kind in tables:
            assert tables[kind][:2] == (routes, tuple(lifecycle["adminPaths"])), case_dir.name
            continue
        module = case_dir / "rouse_guard.py"
        module.write_text(guard_module_of(case_dir / "app.py"))
        tables[kind] = (routes, tuple(lifecycle["adminPaths"]), module)
    assert set(ENGINES) <= set(tables), tables.keys()
    return tables


def guard_module_of(app_file: Path) -> str:
    """The GUARD_MODULE string constant of an emitted app.py."""
    for node in ast.parse(app_file.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "GUARD_MODULE":
            return ast.literal_eval(node.value)
    raise AssertionError(f"{app_file} has no GUARD_MODULE")


def all_admin_paths() -> list[str]:
    """Every admin path of every engine: the recording app has all of them."""
    return sorted({p for _, admin, _ in engine_tables().values() for p in admin})


def guard_environ(boot_file: Path | None = None, admin: str = ADMIN, key: str | None = KEY) -> dict:
    environ = {"ROUSE_ADMIN_TOKEN": admin}
    if key is not None:
        environ |= {"ROUSE_GUARD_KEY_ENV": KEY_VAR, KEY_VAR: key}
    if boot_file is not None:
        environ["ROUSE_BOOT_FILE"] = str(boot_file)
    return environ


@dataclass
class Record:
    """reached: (kind, method, route path) of every handler that ran; passed: (type, path,
    root_path) of every request the guard let through; acks: the stream's lock-step."""

    reached: list = field(default_factory=list)
    passed: list = field(default_factory=list)
    acks: dict = field(default_factory=dict)

    def clear(self):
        self.reached.clear()
        self.passed.clear()

    def admin_reached(self, admin=None) -> list:
        """Admin handlers that ran (of the paths in admin, when given)."""
        return [r for r in self.reached if r[0] == "admin" and (admin is None or r[2] in admin)]


def route_path(scope) -> str:
    """The path the router matches (Starlette strips a root_path prefix first)."""
    path, root = scope["path"], scope.get("root_path") or ""
    return path[len(root) :] if root and path.startswith(root + "/") else path


class PassRecorder:
    """Inner middleware: what got past the guard, as the router is about to see it."""

    def __init__(self, app, record: Record):
        self.app, self.record = app, record

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            self.record.passed.append((scope["type"], route_path(scope)))
        await self.app(scope, receive, send)


STREAM_TOKENS = 6


def engine_app(record: Record, guard_class, environ: dict, app_root_path: str = "") -> FastAPI:
    """A FastAPI app shaped like the engines' API servers: every admin route of both engines
    (any method, plus a websocket on the first), OpenAI-style routes, /health, and /metrics
    mounted the way vLLM mounts its Prometheus app."""
    app = FastAPI()
    app.root_path = app_root_path  # what vLLM's --root-path sets

    def admin_route(declared: str):
        """Records the route's own path (what matched may be spelled otherwise, e.g. with a
        trailing newline, which the route's regex "$" accepts)."""

        async def handler(request: Request):
            record.reached.append(("admin", request.method, declared))
            return PlainTextResponse("admin reached")

        return handler

    admin = all_admin_paths()
    for path in admin:
        app.add_api_route(path, admin_route(path), methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])

    @app.websocket(admin[0])
    async def admin_socket(ws: WebSocket):
        record.reached.append(("admin", "WS", admin[0]))
        await ws.accept()
        await ws.send_text("admin socket")
        await ws.close()

    @app.websocket("/v1/realtime")
    async def realtime(ws: WebSocket):
        record.reached.append(("realtime", "WS", route_path(ws.scope)))
        await ws.accept()
        await ws.send_text("echo " + await ws.receive_text())
        await ws.close()

    @app.get("/health")
    async def health():
        record.reached.append(("health", "GET", "/health"))
        return PlainTextResponse("ok")

    @app.get("/v1/models")
    async def models(request: Request):
        record.reached.append(("models", "GET", route_path(request.scope)))
        return JSONResponse({"data": [{"id": "m"}]})

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        """SSE in lock-step: token i+1 is produced only once the client has read token i, so
        a guard that buffered the stream would stall it."""
        await request.body()
        record.reached.append(("chat", "POST", route_path(request.scope)))

        async def tokens():
            for i in range(STREAM_TOKENS):
                yield f'data: {{"token": {i}}}\n\n'.encode()
                ack = record.acks.setdefault(i, threading.Event())
                for _ in range(500):
                    if ack.is_set():
                        break
                    await asyncio.sleep(0.01)
                else:
                    yield b"data: stalled\n\n"
                    return
            yield b"data: [DONE]\n\n"

        return StreamingResponse(tokens(), media_type="text/event-stream")

    async def metrics(scope, receive, send):
        record.reached.append(("metrics", scope["method"], route_path(scope)))
        await PlainTextResponse("# metrics\n")(scope, receive, send)

    mount = Mount("/metrics", metrics)
    mount.path_regex = re.compile("^/metrics(?P<path>.*)$")  # as vllm/entrypoints/serve/instrumentator
    app.routes.append(mount)

    app.add_middleware(PassRecorder, record=record)
    app.add_middleware(guard_class, environ=environ)  # last added: outermost, as --middleware
    return app


class Served:
    """uvicorn serving app in a thread on a free port; stop() ends it."""

    def __init__(self, app, http: str, root_path: str = ""):
        loop = "uvloop" if http == "httptools" else "asyncio"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, http=http, loop=loop, root_path=root_path, log_level="critical", ws="auto"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


# --- a raw HTTP/1.1 client ------------------------------------------------------------


@dataclass
class Answer:
    status: int | None  # None: the connection closed without an answer
    headers: dict  # lower-case name -> list of values
    body: bytes
    raw: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.encode())
        return values[0].decode() if values else None


def request_bytes(method: str, target: str | bytes, *headers: str, body: bytes = b"") -> bytes:
    target = target if isinstance(target, bytes) else target.encode()
    head = b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % (method.encode(), target)
    head += b"".join(h.encode() + b"\r\n" for h in headers)
    if body:
        head += b"Content-Length: %d\r\n" % len(body)
    return head + b"\r\n" + body


def exchange(port: int, raw: bytes, method: str = "GET", timeout: float = 5) -> Answer:
    """Sends raw, reads until the server closes; the parsed answer."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        try:
            while data := s.recv(65536):
                out += data
        except (TimeoutError, ConnectionResetError):
            pass
    return parse_answer(out, method)


def parse_answer(raw: bytes, method: str = "GET") -> Answer:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(raw)
    conn.receive_data(b"")
    status, headers, body = None, {}, b""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            break
        if isinstance(event, h11.Response):
            status = event.status_code
            for name, value in event.headers:
                headers.setdefault(name, []).append(value)
        elif isinstance(event, h11.Data):
            body += event.data
        else:
            break
    return Answer(status, headers, body, raw)


def get(port: int, target: str, *headers: str, method: str = "GET", body: bytes = b"") -> Answer:
    return exchange(port, request_bytes(method, target, *headers, body=body), method)


def bearer(key: str = KEY) -> str:
    return f"Authorization: Bearer {key}"


def admin_header(token: str = ADMIN) -> str:
    return f"X-Rouse-Admin: {token}"
