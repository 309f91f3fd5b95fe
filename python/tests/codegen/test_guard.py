"""The emitted guard, run for real: each emitted app's own `serve_guard` in front of a recording
upstream. Every engine admin endpoint is refused from the public side (and never reaches the
engine), inference routes need the API key when one is configured, /health passes, and
streams pass through chunk by chunk."""

import asyncio
import importlib.util
import itertools
import sys
import time

import aiohttp
import pytest
from aiohttp import web
from codegen_support import load_case
from yarl import URL

KEY = "k-test-0123456789"
_names = itertools.count()


def import_app(case_dir):
    name = f"rouse_emitted_{case_dir.name.replace('-', '_')}_{next(_names)}"
    spec = importlib.util.spec_from_file_location(name, case_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def start_site(app: web.Application):
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def start_guard_site(module, upstream: str, api_key):
    """The app's own guard on a free port in front of upstream (an http://127.0.0.1:PORT URL)."""
    port = int(upstream.rsplit(":", 1)[1])
    server = await module.serve_guard(api_key, "127.0.0.1", 0, ("127.0.0.1", port))
    return Closer(server), f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


class Closer:
    def __init__(self, server):
        self.server = server
        self.addresses = [s.getsockname() for s in server.sockets]

    async def cleanup(self):
        self.server.close()


def recording_upstream(seen: list, written: list | None = None):
    """Answers everything; streams SSE for stream requests, slowly, to show chunks pass through
    (the time each SSE chunk was written goes to `written`)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen.append((request.method, request.raw_path, request.headers.get("Authorization"), body))
        if request.path == "/v1/chat/completions" and b'"stream": true' in body:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for i in range(3):
                await response.write(f'data: {{"i": {i}}}\n\n'.encode())
                if written is not None:
                    written.append(time.monotonic())
                await asyncio.sleep(0.3)
            if written is not None:
                written.append(time.monotonic())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        return web.json_response({"path": request.path, "bytes": len(body)})

    upstream = web.Application(client_max_size=64 * 1024 * 1024)
    upstream.router.add_route("*", "/{tail:.*}", handle)
    return upstream


def admin_variants(path: str):
    """The admin path as a client could spell it: case, encoding, slashes, dot segments."""
    yield path
    yield path + "?level=1"
    yield path + "/"
    yield "/" + path.lstrip("/").upper()
    yield "".join(f"%{ord(c):02x}" if c.isalpha() else c for c in path)  # /%73%6c%65%65%70
    yield "/" + path  # //sleep
    yield "/v1/.." + path  # dot segments, sent raw
    yield "/v1/%2e%2e" + path
    yield "/health/.." + path
    yield "/v1%2f..%2f" + path.lstrip("/")


async def exercise_guard(module, case, api_key):
    seen: list = []
    written: list = []
    up_runner, upstream = await start_site(recording_upstream(seen, written))
    guard_runner, guard = await start_guard_site(module, upstream, api_key)
    plan = case["plan"]
    try:
        async with aiohttp.ClientSession() as s:

            async def call(method, path, **kw):
                async with s.request(method, URL(guard + path, encoded=True), **kw) as r:
                    return r.status, dict(r.headers), await r.read()

            auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}

            # 1. Every engine admin endpoint, in every spelling, with and without the key: refused.
            admin = plan["lifecycle"]["adminPaths"]
            assert admin, "the plugin lists admin paths"
            for path in admin:
                for variant in admin_variants(path):
                    for method in ("GET", "POST"):
                        status, _, body = await call(method, variant, headers=auth)
                        assert status in (400, 404), (variant, method, status, body)
            assert seen == [], f"admin requests reached the engine: {seen}"

            # 2. Health is public.
            status, headers, _ = await call("GET", "/health")
            assert status == 200 and headers["x-rouse-boot"] in ("cold", "restored")

            # 3. Inference routes need the key (when a key secret is configured).
            chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            if api_key:
                assert (await call("GET", "/v1/models"))[0] == 401
                status, headers, _ = await call(
                    "POST", "/v1/chat/completions", json=chat, headers={"Authorization": "Bearer nope"}
                )
                assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
                assert (await call("GET", "/v1/models", headers={"Authorization": api_key}))[0] == 401  # no "Bearer"
                assert (await call("GET", "/metrics"))[0] == 401
            status, _, body = await call("POST", "/v1/chat/completions", json=chat, headers=auth)
            assert status == 200, body
            assert seen[-1][2] == auth.get("Authorization")  # the engine checks the key too

            # 4. Unlisted paths are private.
            for path in ("/docs", "/openapi.json", "/", "/admin", "/v2/anything"):
                assert (await call("GET", path, headers=auth))[0] == 404, path

            # 5. Streams pass through chunk by chunk: the first chunk arrives before the upstream has
            # sent the last (an order on one clock, not a time: a loaded machine delays both).
            arrivals = []
            async with s.post(guard + "/v1/chat/completions", json={**chat, "stream": True}, headers=auth) as r:
                assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream")
                async for chunk in r.content.iter_any():
                    arrivals.append((time.monotonic(), chunk))
            assert b"".join(c for _, c in arrivals).endswith(b"data: [DONE]\n\n")
            assert len(written) == 4, written
            assert len(arrivals) >= 3 and arrivals[0][0] < written[-1] <= arrivals[-1][0], (arrivals, written)

            # 6. Request bodies larger than aiohttp's 1 MiB default stream through too.
            big = {"model": "m", "messages": [{"role": "user", "content": "x" * (3 * 1024 * 1024)}]}
            status, _, body = await call("POST", "/v1/chat/completions", json=big, headers=auth)
            assert status == 200 and b'"bytes": 31' in body

            # 7. The boot report.
            status, headers, body = await call("GET", "/rouse/boot")
            assert status == 200 and b'"process_start"' in body
    finally:
        await guard_runner.cleanup()
        await up_runner.cleanup()


def test_guard_refuses_admin_and_enforces_key(proxied_case):
    case = load_case(proxied_case)
    module = import_app(proxied_case)
    api_key = KEY if case["config"]["secrets"].get("apiKey") else None
    asyncio.run(exercise_guard(module, case, api_key))


@pytest.mark.parametrize("api_key", [KEY, None], ids=["with-key", "without-key"])
def test_guard_both_ways_on_one_app(emitted, api_key):
    """The same guard code with and without a key: without one, key routes are open but admin is not."""
    case_dir = emitted / "proxied" / "default"
    asyncio.run(exercise_guard(import_app(case_dir), load_case(case_dir), api_key))


def test_routes_keep_admin_private(proxied_case):
    case = load_case(proxied_case)
    module = import_app(proxied_case)
    for path in case["plan"]["lifecycle"]["adminPaths"]:
        assert module.route_access(path) == "private", path
    assert module.route_access("/health") == "public"
    assert module.route_access("/v1/chat/completions") == "key"


def raw_request_variants(path: str):
    """Request targets a client can send that aiohttp's client would rewrite: absolute form,
    dot segments under a public prefix, encoded slashes and dots in every case, path
    parameters, NUL and trailing spaces."""
    bare = path.lstrip("/")
    yield f"http://127.0.0.1{path}"  # absolute form
    yield f"http://127.0.0.1/v1/..{path}"
    yield f"/v1/models/../..{path}"
    yield f"/health/%2E%2E{path}"
    yield f"/v1%2F%2E%2E%2F{bare}"
    yield f"/v1%5c..%5c{bare}"  # backslashes
    yield f"{path};v=1"
    yield f"{path}%00"
    yield f"{path}%20"
    yield f"{path}%2f"
    yield f"/./{bare}"
    yield f"/v1/./../{bare}"


async def raw_status(port: int, method: str, target: str, auth: str | None) -> int:
    """Sends one request line exactly as given (no client normalises it); the status code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n"
    if auth:
        head += f"Authorization: {auth}\r\n"
    writer.write((head + "\r\n").encode())
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(line.split()[1])


async def exercise_raw_targets(module, case, api_key):
    seen: list = []
    up_runner, upstream = await start_site(recording_upstream(seen))
    guard_runner, _ = await start_guard_site(module, upstream, api_key)
    port = guard_runner.addresses[0][1]
    auth = f"Bearer {api_key}" if api_key else None
    try:
        for path in case["plan"]["lifecycle"]["adminPaths"]:
            for target in raw_request_variants(path):
                for method in ("GET", "POST"):
                    status = await raw_status(port, method, target, auth)
                    assert status in (400, 404), (target, method, status)
        assert seen == [], f"admin requests reached the engine: {seen}"
        # The same framing reaches the engine for an allowed route: the test can fail.
        assert await raw_status(port, "GET", "/v1/models", auth) == 200
        assert len(seen) == 1
    finally:
        await guard_runner.cleanup()
        await up_runner.cleanup()


def test_guard_refuses_raw_admin_targets(proxied_case):
    case = load_case(proxied_case)
    api_key = KEY if case["config"]["secrets"].get("apiKey") else None
    asyncio.run(exercise_raw_targets(import_app(proxied_case), case, api_key))


async def concurrent_streams(module, n: int) -> int:
    """n streams at once through the guard to an upstream that holds every stream open until
    all n have reached it. A guard that caps its connections to the engine below n (aiohttp's
    default is 100) holds the rest back, and the upstream never sees all n."""
    arrived = 0
    everyone = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        nonlocal arrived
        await request.read()
        arrived += 1
        if arrived == n:
            everyone.set()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"i": 0}\n\n')
        await everyone.wait()
        await response.write(b"data: [DONE]\n\n")
        return response

    upstream = web.Application()
    upstream.router.add_post("/v1/chat/completions", handle)
    up_runner, up_url = await start_site(upstream)
    guard_runner, guard = await start_guard_site(module, up_url, None)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as s:

            async def one() -> bytes:
                async with s.post(guard + "/v1/chat/completions", json={"stream": True}) as r:
                    return await r.read()

            streams = asyncio.gather(*(one() for _ in range(n)))
            try:
                await asyncio.wait_for(everyone.wait(), 20)
            except TimeoutError:
                pass
            reached = arrived
            everyone.set()  # let every held stream finish, capped or not
            bodies = await asyncio.wait_for(streams, 60)
            assert all(b.endswith(b"data: [DONE]\n\n") for b in bodies)
            return reached
    finally:
        await guard_runner.cleanup()
        await up_runner.cleanup()


def test_guard_has_no_connection_cap(emitted):
    """300 concurrent streams all reach the engine at once: none waits inside the guard."""
    module = import_app(emitted / "proxied" / "default")
    assert asyncio.run(concurrent_streams(module, 300)) == 300


async def sized_answers(module):
    """Answers with a Content-Length, small and large (many reads), pass whole; HEAD untouched."""
    big = bytes(range(256)) * 1024  # 256 KiB
    small = b'{"ok": true}'

    async def handle(request: web.Request) -> web.StreamResponse:
        body = big if request.path.endswith("big") else small
        return web.Response(body=body, content_type="application/json", headers={"X-Engine": "1"})

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", handle)
    up_runner, up_url = await start_site(upstream)
    guard_runner, guard = await start_guard_site(module, up_url, None)
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as s:
            for path, want in (("/v1/files/big", big), ("/v1/models", small)):
                async with s.get(guard + path) as r:
                    assert r.status == 200 and await r.read() == want
                    assert r.headers["Content-Length"] == str(len(want))
                    assert r.headers["X-Engine"] == "1" and r.headers["x-rouse-boot"] == "cold"
                    assert r.headers["Content-Type"] == "application/json"
                async with s.head(guard + path) as r:
                    assert r.status == 200 and r.headers["Content-Length"] == str(len(want))
                    assert await r.read() == b""
    finally:
        await guard_runner.cleanup()
        await up_runner.cleanup()


def test_guard_passes_sized_answers(emitted):
    module = import_app(emitted / "proxied" / "default")
    asyncio.run(sized_answers(module))
