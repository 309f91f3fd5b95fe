# rouse:prelude
# The proxy guard (for engines whose server cannot run asgi_guard.py), as real Python
# that ruff and pytest read directly. Codegen includes everything after the prelude
# verbatim, with the route rules of routes.py (ROUTES filled from the engine plugin) at
# the route-rules marker. This prelude is not emitted: its imports join app.py's import
# block, and the names below it are defined elsewhere in app.py (the values here serve
# tests and linters only).
import asyncio
import hmac
import json
import os
import re
import threading
import typing
import urllib.parse

from routes import is_ambiguous, route_access

PORT = 8000
ENGINE_PORT = 8001
BOOT: dict = {"app": "template", "restored": False, "phases": {}}
# rouse:end-prelude
# rouse:fill route-rules


BOOT_PATH = "/rouse/boot"
# A request head must arrive whole within HEAD_TIMEOUT (also the longest a connection
# may sit idle between requests) and fit in MAX_HEAD: a slow or huge head costs the
# guard a bounded time and memory, and never reaches the engine.
HEAD_TIMEOUT = 60.0  # seconds
MAX_HEAD = 64 * 1024  # bytes
MAX_HEADERS = 100
# Request headers about one hop, not the request: never forwarded. The guard writes the
# framing (Content-Length or chunked) and the Host itself, and never forwards Upgrade,
# so no request can switch the engine connection to another protocol.
HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"content-length",
    b"upgrade",
    b"host",
    b"expect",
    b"http2-settings",
}
# Headers a request may carry at most once: a second copy could be read differently by
# the engine than by the guard (which key, which length).
SINGLE = {b"authorization", b"host", b"content-length", b"transfer-encoding"}
TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
REQUEST_LINE = re.compile(rb"(" + TOKEN + rb") (/[\x21-\x7e]*) HTTP/1\.([01])")
HEADER_NAME = re.compile(TOKEN)
HEADER_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
CHUNK_SIZE = re.compile(rb"([0-9a-fA-F]{1,15})(?:;[\t\x20-\x7e]*)?")
CHUNK_HEAD = re.compile(rb"([0-9a-fA-F]{1,15})(?:;[\t\x20-\x7e]*)?\r\n")


class GuardRefused(Exception):
    """A request the guard answers itself: status, message, extra headers."""

    def __init__(self, status: int, message: str, headers: bytes = b""):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


class GuardRequest:
    """A checked request head, and the head the engine gets instead: the same method,
    target, version and headers, with the guard's own framing and Host."""

    def __init__(self, head: bytes):
        if b"\n" in head.replace(b"\r\n", b"") or b"\r" in head.replace(b"\r\n", b""):
            raise GuardRefused(400, "bare CR or LF in the request head")
        lines = head.split(b"\r\n")
        line = REQUEST_LINE.fullmatch(lines[0])
        if not line:
            raise GuardRefused(400, "malformed request line")
        self.method, self.target, minor = line[1], line[2], line[3]
        self.http11 = minor == b"1"
        if len(lines) - 1 > MAX_HEADERS:
            raise GuardRefused(431, "too many headers")
        self.headers: list[tuple[bytes, bytes]] = []
        seen: dict[bytes, bytes] = {}
        for raw in lines[1:]:
            name, colon, value = raw.partition(b":")
            # No obs-fold (a line starting with a space), no space before the colon.
            if not colon or not HEADER_NAME.fullmatch(name):
                raise GuardRefused(400, "malformed header line")
            value = value.strip(b" \t")
            if not HEADER_VALUE.fullmatch(value):
                raise GuardRefused(400, "control character in a header value")
            low = name.lower()
            if low in SINGLE and low in seen:
                raise GuardRefused(400, f"more than one {low.decode()} header")
            seen[low] = value
            self.headers.append((name, value))
        self.key = seen.get(b"authorization", b"")
        self.length, self.chunked = 0, False
        encoding, length = seen.get(b"transfer-encoding"), seen.get(b"content-length")
        if encoding is not None:
            if length is not None or not self.http11 or encoding.lower() != b"chunked":
                raise GuardRefused(400, "ambiguous request framing")
            self.chunked = True
        elif length is not None:
            if not length.isdigit() or len(length) > 15:
                raise GuardRefused(400, "invalid Content-Length")
            self.length = int(length)
        tokens = {t.strip().lower() for t in seen.get(b"connection", b"").split(b",")}
        self.close = b"close" in tokens or not (self.http11 or b"keep-alive" in tokens)
        expect = seen.get(b"expect")
        if expect is not None and expect.lower() != b"100-continue":
            raise GuardRefused(417, "unsupported Expect")
        self.continue_ = expect is not None and self.http11 and self.has_body

    @property
    def has_body(self) -> bool:
        return self.chunked or self.length > 0

    def path(self) -> str:
        """The decoded path, as the engine's router will see it."""
        return urllib.parse.unquote(self.target.split(b"?", 1)[0].decode())

    def forwarded(self, engine_host: bytes) -> bytes:
        head = [
            b"%s %s HTTP/1.%d\r\nHost: %s\r\n"
            % (self.method, self.target, self.http11, engine_host)
        ]
        head += [
            b"%s: %s\r\n" % (n, v) for n, v in self.headers if n.lower() not in HOP
        ]
        if self.chunked:
            head.append(b"Transfer-Encoding: chunked\r\n")
        elif self.length or any(
            n.lower() == b"content-length" for n, _ in self.headers
        ):
            head.append(b"Content-Length: %d\r\n" % self.length)
        if not self.http11 and not self.close:
            head.append(b"Connection: keep-alive\r\n")
        head.append(b"\r\n")
        return b"".join(head)


class GuardChunks:
    """Incremental chunked framing. feed(data) returns (payload pieces, end), end being
    the offset in data just past the final CRLF, or -1 while the body goes on. Strict:
    any framing error raises ValueError."""

    def __init__(self, keep: bool):
        self.keep, self.state, self.left, self.line = keep, "size", 0, b""

    def feed(self, data: bytes) -> tuple[list[bytes], int]:
        pieces, i, n = [], 0, len(data)
        # The token path: whole chunks (size line, data, CRLF) in one read, one regex
        # match each; anything else (a chunk split across reads, the last chunk) goes
        # through the step-by-step reader below.
        while self.state == "size" and not self.line:
            head = CHUNK_HEAD.match(data, i)
            if head is None:
                break
            start = head.end()
            end = start + int(head[1], 16)
            if end == start or end + 2 > n or data[end : end + 2] != b"\r\n":
                break
            if self.keep:
                pieces.append(data[start:end])
            i = end + 2
            if i == n:
                return pieces, -1
        while i < n:
            if self.state == "data":
                take = min(self.left, n - i)
                if self.keep:
                    pieces.append(data[i : i + take])
                i += take
                self.left -= take
                if not self.left:
                    self.state = "crlf"
                continue
            j = data.find(b"\n", i)
            line = self.line + data[i : n if j < 0 else j + 1]
            if len(line) > 4096:
                raise ValueError("chunk line too long")
            if j < 0:
                self.line = line
                break
            self.line, i = b"", j + 1
            if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
                raise ValueError("bare CR or LF in chunked framing")
            line = line[:-2]
            if self.state == "crlf":
                if line:
                    raise ValueError("chunk longer than its size")
                self.state = "size"
            elif self.state == "size":
                size = CHUNK_SIZE.fullmatch(line)
                if not size:
                    raise ValueError("invalid chunk size")
                self.left = int(size[1], 16)
                self.state = "data" if self.left else "trailer"
            elif not line:  # the empty line after the last chunk's trailers
                return pieces, i
        return pieces, -1


def guard_answer(
    status: int,
    body: bytes,
    headers: bytes = b"",
    close: bool = False,
    head_only: bool = False,
) -> bytes:
    reason = {
        200: b"OK",
        400: b"Bad Request",
        401: b"Unauthorized",
        404: b"Not Found",
        408: b"Request Timeout",
    }
    reason |= {
        417: b"Expectation Failed",
        431: b"Request Header Fields Too Large",
        502: b"Bad Gateway",
    }
    return (
        b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s%s\r\n%s"
        % (
            status,
            reason.get(status, b"Error"),
            len(body),
            headers,
            b"Connection: close\r\n" if close else b"",
            b"" if head_only else body,
        )
    )


def guard_refusal(error: GuardRefused, close: bool, head_only: bool = False) -> bytes:
    body = json.dumps(
        {"error": {"message": error.message, "code": error.status}}
    ).encode()
    return guard_answer(error.status, body, error.headers, close, head_only)


def boot_header() -> dict:
    return {"x-rouse-boot": "restored" if BOOT["restored"] else "cold"}


def boot_header_line() -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in boot_header().items()).encode()


def guard_check(api_key: str | None):
    """check(request): raises GuardRefused unless the request may reach the engine."""
    expected = None if api_key is None else f"Bearer {api_key}".encode()

    def check(request: GuardRequest) -> None:
        path = request.path()
        if is_ambiguous(path):
            raise GuardRefused(400, "ambiguous path")
        access = route_access(path)
        if access == "private":
            raise GuardRefused(404, "not found")
        # Constant time, so response timing says nothing about the key.
        if (
            access == "key"
            and expected is not None
            and not hmac.compare_digest(request.key, expected)
        ):
            raise GuardRefused(
                401, "missing or wrong API key", b"WWW-Authenticate: Bearer\r\n"
            )

    return check


class GuardClient(asyncio.Protocol):
    """One client connection. Requests are handled one at a time, in order: the head is
    checked, re-serialised and sent to this connection's own engine connection, the body
    follows with the guard's framing, and the engine's response passes back as bytes.
    Pipelined requests wait in the buffer until the response before them has ended."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def __init__(self, check, engine: tuple[str, int]):
        self.check, self.engine_addr = check, engine
        self.engine_host = f"{engine[0]}:{engine[1]}".encode()
        self.buf = bytearray()
        self.state = "head"  # head, body, wait (for the response), closed
        self.engine: GuardEngine | None = None
        self.left, self.chunks, self.close_after, self.eof = 0, None, False, False
        self.paused: set[str] = set()
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        # A stream transport (asyncio's or uvloop's); connection_made is typed with the base.
        self.transport = typing.cast(asyncio.Transport, transport)
        self.loop = asyncio.get_running_loop()
        self.await_head()

    def await_head(self) -> None:
        self.state = "head"
        self.timer = self.loop.call_later(HEAD_TIMEOUT, self.head_timeout)

    def head_timeout(self) -> None:
        if self.state == "head":
            if self.buf:
                self.transport.write(
                    guard_refusal(GuardRefused(408, "request head too slow"), True)
                )
            self.shut()

    def data_received(self, data: bytes) -> None:
        if self.state == "body":
            self.body(data)
        elif self.state != "closed":
            self.buf += data
            if self.state == "head":
                self.next_request()
            elif len(self.buf) > MAX_HEAD:
                self.pause("pipeline")  # read on once the response before them ends

    def next_request(self) -> None:
        while self.state == "head":
            end = self.buf.find(b"\r\n\r\n")
            if end < 0 or end + 4 > MAX_HEAD:
                if len(self.buf) > MAX_HEAD or end + 4 > MAX_HEAD:
                    self.refuse(GuardRefused(431, "request head too large"), True)
                return
            head = bytes(self.buf[:end])
            del self.buf[: end + 4]
            if self.timer is not None:
                self.timer.cancel()
            self.handle(head)

    def handle(self, head: bytes) -> None:
        try:
            request = GuardRequest(head)
        except GuardRefused as error:
            return self.refuse(error, True)
        if request.method == b"GET" and request.path() == BOOT_PATH:
            close = request.close or request.has_body
            self.transport.write(
                guard_answer(200, json.dumps(BOOT).encode(), boot_header_line(), close)
            )
            return self.done(close)
        try:
            self.check(request)
        except GuardRefused as error:
            # A refused body is not read: the connection closes after the answer.
            return self.refuse(
                error, request.close or request.has_body, request.method == b"HEAD"
            )
        if request.continue_:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.close_after = request.close
        if self.engine is None:
            self.engine = GuardEngine(self)
            self.loop.create_task(self.engine.connect(self.engine_addr))
        forwarded = request.forwarded(self.engine_host)
        self.left = request.length
        self.chunks = GuardChunks(keep=True) if request.chunked else None
        self.state = "body" if request.has_body else "wait"
        if self.chunks is None and 0 < self.left <= len(self.buf):
            # The whole body came with the head (a completion request): one write.
            forwarded += self.buf[: self.left]
            del self.buf[: self.left]
            self.left, self.state = 0, "wait"
        self.engine.send(forwarded, request.method == b"HEAD")
        if self.buf and self.state == "body":
            rest = bytes(self.buf)
            self.buf.clear()
            self.body(rest)

    def body(self, data: bytes) -> None:
        """Request body bytes: sent on with the guard's framing; what follows the body
        waits for the response (pipelining)."""
        engine = self.engine
        if engine is None:  # the engine connection already failed (and answered 502)
            return
        if self.chunks is None:
            take = min(self.left, len(data))
            engine.send(data[:take] if take < len(data) else data)
            self.left -= take
            done, rest = not self.left, data[take:]
        else:
            try:
                pieces, end = self.chunks.feed(data)
            except ValueError as error:
                return self.refuse(GuardRefused(400, str(error)), True)
            out = [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p]
            done, rest = end >= 0, data[end:] if end >= 0 else b""
            if done:
                out.append(b"0\r\n\r\n")
            if out:
                engine.send(b"".join(out))
        if done:
            self.state = "wait"
            self.buf += rest

    def refuse(self, error: GuardRefused, close: bool, head_only: bool = False) -> None:
        self.transport.write(guard_refusal(error, close, head_only))
        self.done(close)

    def done(self, close: bool) -> None:
        if close:
            return self.shut()
        self.await_head()
        self.resume("pipeline")
        if self.buf:
            self.next_request()
        if self.eof and self.state in ("head", "body"):
            self.shut()  # no more bytes will come to complete a request

    def response_done(self, close: bool) -> None:
        """The engine's response has ended (close: the engine connection is closing)."""
        if close:
            self.engine = None
        if self.state == "body":
            # The engine answered before the body ended: the rest of the body cannot be
            # skipped in step with the engine, so the connection ends here.
            return self.shut()
        self.done(close or self.close_after)

    def shut(self) -> None:
        self.state = "closed"
        self.transport.close()
        if self.engine is not None:
            self.engine.close()

    def eof_received(self) -> bool:
        """The client has sent all it will (a half-close): the requests it sent whole are
        still answered, then the connection closes."""
        self.eof = True
        return self.state == "wait"

    def connection_lost(self, exc) -> None:
        # The client went away: closing the engine connection aborts its generation.
        self.state = "closed"
        if self.timer is not None:
            self.timer.cancel()
        if self.engine is not None:
            self.engine.close()

    def pause(self, why: str) -> None:
        if not self.paused:
            self.transport.pause_reading()
        self.paused.add(why)

    def resume(self, why: str) -> None:
        if why in self.paused:
            self.paused.discard(why)
            if not self.paused and self.state != "closed":
                self.transport.resume_reading()

    # The client cannot take more: stop reading the engine until it can.
    def pause_writing(self) -> None:
        if self.engine is not None:
            self.engine.pause_reading()

    def resume_writing(self) -> None:
        if self.engine is not None:
            self.engine.resume_reading()


class GuardEngine(asyncio.Protocol):
    """The engine side of one client connection. Response bytes go to the client as
    they come; only the framing is followed, to know where each response ends (and to
    add the boot header to its head)."""

    def __init__(self, client: GuardClient):
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []
        self.buf = b""
        self.state = "idle"  # idle, head, length, chunked, eof
        self.head_only, self.left = False, 0
        self.chunks: GuardChunks | None = None
        self.last = False  # the engine closes the connection after this response
        self.sent = False  # any byte of the current response sent to the client
        self.closed = False

    async def connect(self, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: self, *addr)
        except OSError:
            self.closed = True
            self.fail()

    def connection_made(self, transport) -> None:
        if self.closed:
            transport.close()
            return
        self.transport = typing.cast(asyncio.Transport, transport)
        self.transport.write(b"".join(self.pending))
        self.pending = []

    def send(self, data: bytes, head_only: bool | None = None) -> None:
        if head_only is not None:  # a new request
            self.state, self.head_only = "head", head_only
            self.sent = False
        if self.transport is not None:
            self.transport.write(data)
        elif not self.closed:
            self.pending.append(data)

    def data_received(self, data: bytes) -> None:
        client = self.client
        chunks = self.chunks
        if self.state == "chunked" and chunks is not None:
            try:
                _, end = chunks.feed(data)
            except ValueError:
                return self.abort()
            if end < 0:
                client.transport.write(data)  # the per-token path: one write per read
                return
            client.transport.write(data[:end])
            return self.ended(data[end:])
        if self.state == "length":
            take = min(self.left, len(data))
            client.transport.write(data if take == len(data) else data[:take])
            self.left -= take
            if not self.left:
                self.ended(data[take:])
            return
        if self.state == "eof":
            client.transport.write(data)
            return
        if self.state != "head":
            return self.abort()  # bytes no request asked for
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > MAX_HEAD:
                self.abort()
            return
        head, rest = self.buf[: end + 2], self.buf[end + 4 :]
        self.buf = b""
        self.response_head(head, rest)

    def response_head(self, head: bytes, rest: bytes) -> None:
        try:
            status = int(head[9:12])
            fields = {}
            for line in head.split(b"\r\n")[1:-1]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower()] = value.strip().lower()
        except ValueError:
            return self.abort()
        if 100 <= status < 200:
            if status == 101:
                return self.abort()
            self.client.transport.write(head + b"\r\n")  # 1xx: the final head follows
            return self.data_received(rest) if rest else None
        self.sent = True
        self.last = fields.get(b"connection") == b"close"
        self.client.transport.write(head + boot_header_line() + b"\r\n")
        if self.head_only or status in (204, 304):
            return self.ended(rest)
        if fields.get(b"transfer-encoding", b"").endswith(b"chunked"):
            self.state, self.chunks = "chunked", GuardChunks(keep=False)
        elif b"content-length" in fields and fields[b"content-length"].isdigit():
            self.state, self.left = "length", int(fields[b"content-length"])
            if not self.left:
                return self.ended(rest)
        else:
            self.state, self.last = "eof", True  # the body ends when the engine closes
        if rest:
            self.data_received(rest)

    def ended(self, extra: bytes) -> None:
        """The current response is complete."""
        self.state = "idle"
        if extra:
            return self.abort()
        if self.last:
            self.close_transport()
        self.client.response_done(self.last)

    def fail(self) -> None:
        """The engine is not answering (or went away before answering): 502."""
        client = self.client
        if client.state != "closed" and not self.sent:
            error = GuardRefused(502, "the engine is not answering")
            client.transport.write(guard_refusal(error, True, self.head_only))
        client.engine = None
        client.shut()

    def abort(self) -> None:
        self.closed = True
        self.close_transport()
        self.fail()

    def close_transport(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        self.closed = True
        self.close_transport()

    def connection_lost(self, exc) -> None:
        was_closed, self.closed = self.closed, True
        if self.state == "eof":
            self.state = "idle"
            return self.client.response_done(True)
        if self.state == "idle":
            if self.client.engine is self:
                self.client.engine = None  # the next request connects anew
            return
        if not was_closed:
            self.fail()

    def pause_reading(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    # The engine cannot take more of the request body: stop reading the client.
    def pause_writing(self) -> None:
        self.client.pause("engine")

    def resume_writing(self) -> None:
        self.client.resume("engine")


async def serve_guard(
    api_key: str | None,
    host: str,
    port: int,
    engine: tuple[str, int],
    reuse_port: bool = False,
) -> asyncio.Server:
    """The guard listening on host:port, in front of the engine at engine (host, port)."""
    check = guard_check(api_key)
    loop = asyncio.get_running_loop()
    # A long accept queue (the kernel caps it at net.core.somaxconn): with a short one,
    # a burst of new connections overflows it and each dropped one waits a second for
    # its SYN to be sent again.
    return await loop.create_server(
        lambda: GuardClient(check, engine),
        host,
        port,
        backlog=4096,
        reuse_port=reuse_port or None,
    )


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where the image has it (vLLM and SGLang depend on it): it
    spends less CPU per forwarded token than asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def start_guard(
    api_key: str | None,
    host: str = "0.0.0.0",
    port: int | None = None,
    workers: int = 1,
) -> None:
    """Serves the guard on host:port (by default 0.0.0.0:PORT, the port Modal proxies)
    from a daemon thread, in front of the engine on 127.0.0.1:ENGINE_PORT. With workers
    above 1, that many processes share the port (SO_REUSEPORT; the kernel spreads new
    connections over them): workers - 1 are forked first, each serving until this
    process exits."""
    port = PORT if port is None else port
    for _ in range(workers - 1):
        if os.fork() == 0:
            guard_worker(api_key, host, port)
    loop = new_event_loop()
    threading.Thread(target=loop.run_forever, name="rouse-guard", daemon=True).start()
    engine = ("127.0.0.1", ENGINE_PORT)
    listen = serve_guard(api_key, host, port, engine, reuse_port=workers > 1)
    asyncio.run_coroutine_threadsafe(listen, loop).result()


def guard_worker(api_key: str | None, host: str, port: int) -> None:
    """A forked guard process: only its own event loop runs here (no other thread of the
    parent exists after fork); it exits as soon as its parent is gone."""
    try:
        loop = new_event_loop()
        asyncio.set_event_loop(loop)
        engine = ("127.0.0.1", ENGINE_PORT)
        loop.run_until_complete(serve_guard(api_key, host, port, engine, True))
        parent = os.getppid()

        def watch() -> None:
            if os.getppid() != parent:
                os._exit(0)
            loop.call_later(1.0, watch)

        watch()
        loop.run_forever()
    finally:
        os._exit(0)
