# rouse:prelude
# The in-process guard: a module of its own, not part of app.py's namespace. app.py carries
# its text (these imports, then the body after `# rouse:end-prelude`, with the route rules
# of routes.py filled in at the route-rules marker) as GUARD_MODULE and writes it where the
# engine process imports it: vLLM loads the class with `--middleware
# rouse_guard.RouseGuard`; engines without such a flag run this module's main, which adds
# the class to their ASGI app and then runs their own entry point.
import functools
import hmac
import importlib
import json
import os
import runpy
import sys

from routes import is_ambiguous, route_access

# rouse:end-prelude
# rouse's guard inside the engine's own HTTP server: an ASGI middleware, so no proxy hop.
#
# It runs once per request (a few microseconds) and does nothing per token: the engine's
# response goes out through the engine's own send. Outside requests reach only the routes
# the engine plugin lists: every other path, admin endpoints included, is answered 404
# before the engine sees it; key routes need the API key, compared in constant time.
# Callers inside the container that hold its admin token (a random value app.py gives the
# engine process) reach every route: that is how app.py sleeps and wakes the engine on the
# same port.
# rouse:fill route-rules


BOOT_PATH = "/rouse/boot"
ADMIN_HEADER = b"x-rouse-admin"
# A request that carries this header (any value) gets it back, saying whether the container
# was restored from a snapshot; others are not touched (that would cost a call per token).
BOOT_HEADER = b"x-rouse-boot"
# What app.py's start_engine sets for the engine process.
KEY_ENV = "ROUSE_GUARD_KEY_ENV"  # the name of the variable that holds the API key
ADMIN_ENV = "ROUSE_ADMIN_TOKEN"
BOOT_ENV = "ROUSE_BOOT_FILE"
ADMIN_TOKEN_MIN = 32  # characters: a shorter (or missing) token opens nothing


def route_path(scope: dict) -> str:
    """The path the router matches: Starlette's get_route_path (routing.py), which strips a
    root_path prefix first. The rules apply to exactly what decides the route."""
    path, root = scope["path"], scope.get("root_path") or ""
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


class BootReport:
    """The boot report app.py writes to a file at each phase: served at BOOT_PATH, and its
    "restored" flag in x-rouse-boot (on refusals, and to requests that ask). Read again only
    when the file changes, and only when a response needs it."""

    def __init__(self, file: str | None):
        self.file, self.stamp = file, None
        self.body = b"{}"
        self.headers = [(BOOT_HEADER, b"cold")]

    def refresh(self) -> None:
        if not self.file:
            return
        try:
            # app.py replaces the file whole: a new inode, even within one clock tick.
            st = os.stat(self.file)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
            if stamp == self.stamp:
                return
            with open(self.file, "rb") as f:
                body = f.read()
            restored = json.loads(body).get("restored") is True
        except (OSError, ValueError, AttributeError):  # not written yet, or mid-write
            return
        self.stamp, self.body = stamp, body
        self.headers = [(BOOT_HEADER, b"restored" if restored else b"cold")]


class RouseGuard:
    """ASGI middleware: refuses what may not reach the engine, passes the rest on
    untouched (but for x-rouse-boot, to a request that asks for it)."""

    def __init__(self, app, environ=None):
        self.app = app
        environ = os.environ if environ is None else environ
        key_var = environ.get(KEY_ENV)
        key = environ.get(key_var) if key_var else None
        if key_var and not key:
            raise RuntimeError(f"the API key variable {key_var} is unset or empty")
        self.expected = None if key is None else b"Bearer " + key.encode()
        admin = environ.get(ADMIN_ENV, "")
        self.admin = admin.encode() if len(admin) >= ADMIN_TOKEN_MIN else None
        self.boot = BootReport(environ.get(BOOT_ENV))

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind != "http" and kind != "websocket":  # lifespan
            return await self.app(scope, receive, send)
        keys, admins, asks = read_headers(scope["headers"])
        refusal = self.refusal(scope, keys, admins)
        if refusal is None:
            if kind == "http" and asks:
                send = self.stamped(send)
            return await self.app(scope, receive, send)
        if kind == "websocket":  # closed before it is accepted: the client sees 403
            return await send({"type": "websocket.close", "code": 1008})
        status, body, headers = refusal
        self.boot.refresh()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body)),
                    *headers,
                    *self.boot.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def refusal(
        self, scope, keys: list, admins: list
    ) -> tuple[int, bytes, list] | None:
        """None when the request may reach the engine, else the status, body and headers
        to answer with."""
        # Constant time, so response timing says nothing about either secret.
        if (
            self.admin is not None
            and len(admins) == 1
            and hmac.compare_digest(admins[0], self.admin)
        ):
            return None
        path = route_path(scope)
        access = path_verdict(path)
        if access == "ambiguous":
            return error(400, "ambiguous path")
        if path == BOOT_PATH and scope.get("method") == "GET":
            self.boot.refresh()
            return 200, self.boot.body, []
        if access == "private":
            return error(404, "not found")
        if access == "key" and self.expected is not None:
            # Exactly one Authorization header: with two, which one counts is a guess.
            given = keys[0] if len(keys) == 1 else b""
            if not hmac.compare_digest(given, self.expected):
                return error(
                    401, "missing or wrong API key", [(b"www-authenticate", b"Bearer")]
                )
        return None

    def stamped(self, send):
        self.boot.refresh()
        headers = self.boot.headers

        async def send_stamped(message):
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), *headers],
                }
            await send(message)

        return send_stamped


def read_headers(headers) -> tuple[list, list, bool]:
    """The request's Authorization and admin-token values, and whether it asks for the
    boot header: one pass over the headers."""
    keys, admins, asks = [], [], False
    for name, value in headers:
        if name == b"authorization":
            keys.append(value)
        elif name == ADMIN_HEADER:
            admins.append(value)
        elif name == BOOT_HEADER:
            asks = True
    return keys, admins, asks


def verdict(path: str) -> str:
    """ "ambiguous", or the path's access."""
    return "ambiguous" if is_ambiguous(path) else route_access(path)


# Remembered for short paths only (at most 1,024 of up to 256 characters), so memory stays
# bounded whatever paths clients send.
remembered_verdict = functools.lru_cache(maxsize=1024)(verdict)


def path_verdict(path: str) -> str:
    return remembered_verdict(path) if len(path) <= 256 else verdict(path)


def error(status: int, message: str, headers=None) -> tuple[int, bytes, list]:
    body = json.dumps({"error": {"message": message, "code": status}}).encode()
    return status, body, headers or []


def main(argv: list[str]) -> None:
    """`python -m rouse_guard MODULE:APP RUN [ARG ...]`: adds RouseGuard to the ASGI app
    object APP of MODULE, then runs module RUN as __main__ with the ARGs (for engines whose
    server has no middleware flag, e.g. SGLang's module-level FastAPI app)."""
    if len(argv) < 2 or ":" not in argv[0]:
        raise SystemExit("usage: python -m rouse_guard MODULE:APP RUN [ARG ...]")
    # Its settings checked now: a missing key stops the start, saying why.
    RouseGuard(None)
    module, _, attribute = argv[0].partition(":")
    app = getattr(importlib.import_module(module), attribute)
    app.add_middleware(RouseGuard)
    sys.argv = [argv[1], *argv[2:]]
    runpy.run_module(argv[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
