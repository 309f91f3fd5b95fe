import { dict, entry, lit } from "../../python/expr.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section } from "./shared.ts";

// The guard is fixed Python (it carries no config data); only its route table comes
// from the engine plugin, as a literal. Tests run this code for real
// (python/tests/codegen/test_guard.py), so keep it ruff-formatted by hand.

const GUARD_PY = String.raw`
BOOT_PATH = "/rouse/boot"
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
    segments ("//") and backslashes are refused rather than interpreted."""
    segments = path.split("/")
    if segments[0] != "" or "\\" in path:
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
        # may run as long as Modal's request timeout allows.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        state["session"] = aiohttp.ClientSession(auto_decompress=False, timeout=timeout)
        yield
        await state["session"].close()

    guard = web.Application()
    guard.cleanup_ctx.append(client_session)
    guard.router.add_route("*", "/{tail:.*}", forward)
    return guard


def boot_header() -> dict:
    return {"x-rouse-boot": "restored" if BOOT["restored"] else "cold"}


def start_guard(api_key: str | None) -> None:
    """Serves the guard on 0.0.0.0:PORT, the port Modal proxies, from a daemon thread."""
    from aiohttp import web

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="rouse-guard", daemon=True).start()

    async def listen() -> None:
        runner = web.AppRunner(make_guard(f"http://127.0.0.1:{ENGINE_PORT}", api_key))
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", PORT).start()

    asyncio.run_coroutine_threadsafe(listen(), loop).result()
`;

const WHY = [
  "Engines serve admin endpoints (sleep, wake, RPC) on the same port as inference, and",
  "an engine's own API key may cover only some routes. So the engine binds 127.0.0.1",
  "and this proxy alone faces the public port: it forwards the routes the engine plugin",
  "lists, answers 404 for every other path, checks the API key on key routes, and",
  "streams responses through chunk by chunk. The lifecycle above calls the engine",
  "directly, so sleep and wake still work from inside the container.",
].join(" ");

export function emitGuard(p: PyPrinter, plan: AppPlan): void {
  p.import("asyncio").import("hmac").import("threading").import("urllib.parse");
  section(p, "The guard", WHY);
  p.comment("Outside access per path, from the engine plugin.");
  const routes = new Map<string, string>();
  for (const r of plan.lifecycle.routes) if (!routes.has(r.path)) routes.set(r.path, r.access);
  p.stmt(
    "ROUTES = ",
    dict(
      [...routes].map(([path, access]) => entry(path, lit(access))),
      true,
    ),
  );
  p.verbatim(GUARD_PY);
  p.blank(2);
}
