# rouse:prelude
# The guard of every emitted app.py, as real Python that ruff and pytest read directly.
# Codegen includes everything after `# rouse:end-prelude` verbatim, except the value of
# ROUTES, which it fills from the engine plugin. This prelude is not emitted: its imports
# join app.py's import block, and the names below it are defined elsewhere in app.py
# (the values here serve tests and linters only).
import asyncio
import hmac
import threading
import urllib.parse

PORT = 8000
ENGINE_PORT = 8001
BOOT: dict = {"app": "template", "restored": False, "phases": {}}
# rouse:end-prelude
# Outside access per path, from the engine plugin.
ROUTES = {"/health": "public", "/v1/": "key", "/metrics": "key"}
BOOT_PATH = "/rouse/boot"
# Answers up to this size with a Content-Length are read whole and sent in one write;
# streams (no Content-Length) and larger bodies pass through chunk by chunk.
WHOLE_ANSWER = 64 * 1024  # bytes
WWW_AUTHENTICATE = {"WWW-Authenticate": "Bearer"}
# Headers about one hop, not the request: never forwarded.
HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "expect",
}


def route_access(path: str) -> str:
    """The stricter access of path with and without trailing slashes: a server may
    redirect "/sleep/" to "/sleep", so a slash must not dodge a private rule."""
    found = {first_rule(path), first_rule(path.rstrip("/"))}
    return max(found, key=("public", "key", "private").index)


def first_rule(path: str) -> str:
    """The first matching rule wins; rules ending in "/" are prefixes; unlisted: private."""
    for rule, access in ROUTES.items():
        if path == rule or (rule.endswith("/") and path.startswith(rule)):
            return access
    return "private"


def is_ambiguous(path: str) -> bool:
    """Paths a server could resolve differently from route_access: dot segments, empty
    segments ("//"), backslashes, ";" (path parameters, which some servers strip), "%"
    left after decoding (a server that decodes twice), spaces and control characters are
    refused rather than interpreted."""
    segments = path.split("/")
    if segments[0] != "" or any(c in "\\;%" or c <= " " or c == "\x7f" for c in path):
        return True
    return any(s in (".", "..") for s in segments) or "" in segments[1:-1]


def make_guard(upstream: str, api_key: str | None):
    """The guard, an aiohttp app in front of upstream (the engine).

    aiohttp is imported here because only containers run the guard; Modal's runtime
    serves web endpoints with it, so every Modal container has it."""
    import aiohttp
    from aiohttp import web
    from yarl import URL

    expected = None if api_key is None else f"Bearer {api_key}".encode()
    state = {}

    def refuse(status: int, message: str, headers: dict | None = None) -> web.Response:
        body = {"error": {"message": message, "code": status}}
        return web.json_response(body, status=status, headers=headers)

    async def forward(request: web.Request) -> web.StreamResponse:
        # Decide on the decoded path, as the engine's router will see it.
        path = urllib.parse.unquote(request.raw_path.split("?", 1)[0])
        if path == BOOT_PATH and request.method == "GET":
            return web.json_response(BOOT, headers=boot_header())
        if is_ambiguous(path):
            return refuse(400, "ambiguous path")
        access = route_access(path)
        if access == "private":
            return refuse(404, "not found")
        if access == "key" and expected is not None:
            # Constant time, so response timing says nothing about the key.
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return refuse(401, "missing or wrong API key", WWW_AUTHENTICATE)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        try:
            answer = await state["session"].request(
                request.method,
                URL(upstream + request.raw_path, encoded=True),
                headers=headers,
                data=request.content if request.body_exists else None,
                allow_redirects=False,
            )
        except aiohttp.ClientError:
            return refuse(502, "the engine is not answering")
        async with answer:
            size = answer.content_length
            if size is not None and size <= WHOLE_ANSWER and request.method != "HEAD":
                # A complete answer (a completion without streaming): sent in one write,
                # headers and body together, instead of two.
                body = await answer.read()
                response = web.Response(
                    status=answer.status, reason=answer.reason, body=body
                )
                for k, v in answer.headers.items():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        response.headers.add(k, v)
                response.headers.update(boot_header())
                return response
            response = web.StreamResponse(status=answer.status, reason=answer.reason)
            for k, v in answer.headers.items():
                if k.lower() not in HOP:
                    response.headers.add(k, v)
            response.headers.update(boot_header())
            await response.prepare(request)
            # Chunk by chunk, as the engine sends them: token streams stay streams.
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    async def client_session(app: web.Application):
        # Bytes pass through as the engine sent them (no decompression), and a stream
        # may run as long as Modal's request timeout allows. No cap on connections to
        # the engine (aiohttp's default is 100): Modal's max_inputs already bounds how
        # many requests reach this container, and a request held back here would wait
        # where neither the engine's scheduler nor Modal's autoscaler can see it.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        connector = aiohttp.TCPConnector(limit=0)
        state["session"] = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, timeout=timeout
        )
        yield
        await state["session"].close()

    guard = web.Application()
    guard.cleanup_ctx.append(client_session)
    guard.router.add_route("*", "/{tail:.*}", forward)
    return guard


def boot_header() -> dict:
    return {"x-rouse-boot": "restored" if BOOT["restored"] else "cold"}


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where the image has it (vLLM and SGLang depend on it): it
    spends less CPU per forwarded token than asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def start_guard(
    api_key: str | None, host: str = "0.0.0.0", port: int | None = None
) -> None:
    """Serves the guard on host:port (by default 0.0.0.0:PORT, the port Modal proxies)
    from a daemon thread, in front of the engine on 127.0.0.1:ENGINE_PORT."""
    from aiohttp import web

    loop = new_event_loop()
    threading.Thread(target=loop.run_forever, name="rouse-guard", daemon=True).start()

    async def listen() -> None:
        runner = web.AppRunner(make_guard(f"http://127.0.0.1:{ENGINE_PORT}", api_key))
        await runner.setup()
        # A long accept queue (the kernel caps it at net.core.somaxconn): with aiohttp's
        # 128, a burst of new connections overflows it and each dropped one waits a
        # second for its SYN to be sent again.
        site = web.TCPSite(runner, host, PORT if port is None else port, backlog=4096)
        await site.start()

    asyncio.run_coroutine_threadsafe(listen(), loop).result()
