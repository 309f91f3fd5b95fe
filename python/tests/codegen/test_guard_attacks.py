"""The guard template (packages/codegen/src/app/templates/guard.py) from the attacker's side,
over real sockets: request smuggling (ambiguous framing the engine could read differently),
pipelining, huge and slow heads, a client that leaves mid-stream, an engine that is down.
The engine here records what reaches it through h11, a real HTTP/1.1 parser (the one
uvicorn uses in its h11 mode), so "the engine saw it" means a parser other than the
guard's read it."""

import asyncio
import itertools
import time
import urllib.parse
from pathlib import Path

import h11
import pytest
from codegen_support import load_template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEMPLATE = Path(__file__).resolve().parents[3] / "packages/codegen/src/app/templates/guard.py"
KEY = "k-attack-0123456789"
AUTH = f"Authorization: Bearer {KEY}\r\n"
_names = itertools.count()


def load_guard():
    return load_template(TEMPLATE, f"rouse_guard_attacks_{next(_names)}")


class Engine:
    """A recording engine: parses each request with h11, answers with the target it saw
    (chunked, so the guard's response framing is exercised), or streams slowly on
    /v1/stream. seen: (method, target, headers, body); errors: h11 parse errors."""

    def __init__(self):
        self.seen: list[tuple[bytes, bytes, dict, bytes]] = []
        self.errors: list[str] = []
        self.closed = asyncio.Event()
        self.streamed = 0  # chunks of /v1/stream written so far

    async def handle(self, reader, writer):
        conn = h11.Connection(h11.SERVER)
        request, body = None, b""
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    conn.receive_data(data)
                    if not data and conn.their_state is not h11.DONE:
                        break
                    continue
                if isinstance(event, h11.Request):
                    request, body = event, b""
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    headers = {k.lower(): v for k, v in request.headers}
                    self.seen.append((request.method, request.target, headers, body))
                    await self.respond(conn, writer, request)
                    if conn.our_state is h11.MUST_CLOSE:
                        break
                    conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    break
        except h11.RemoteProtocolError as error:
            self.errors.append(str(error))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed.set()
            writer.close()

    async def respond(self, conn, writer, request):
        headers = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]
        writer.write(conn.send(h11.Response(status_code=200, headers=headers)))
        if request.target == b"/v1/stream":
            for i in range(50):
                writer.write(conn.send(h11.Data(data=b"data: %d\n\n" % i)))
                self.streamed += 1
                await writer.drain()
                await asyncio.sleep(0.05)
        elif request.method != b"HEAD":
            writer.write(conn.send(h11.Data(data=b"saw " + request.target)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()


async def with_guard(body, api_key=KEY, engine=None, **settings_):
    """Runs body(guard_port, engine) with the template's guard in front of a recording engine."""
    guard = load_guard()
    for name, value in settings_.items():
        setattr(guard, name, value)
    engine = engine or Engine()
    up = await asyncio.start_server(engine.handle, "127.0.0.1", 0)
    up_port = up.sockets[0].getsockname()[1]
    server = await guard.serve_guard(api_key, "127.0.0.1", 0, ("127.0.0.1", up_port))
    try:
        return await body(server.sockets[0].getsockname()[1], engine)
    finally:
        server.close()
        up.close()


async def exchange(port: int, raw: bytes, timeout: float = 5) -> bytes:
    """Sends raw bytes, reads until the guard closes (or timeout); what came back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    out = b""
    try:
        async with asyncio.timeout(timeout):
            while chunk := await reader.read(65536):
                out += chunk
    except TimeoutError:
        pass
    writer.close()
    return out


def statuses(raw: bytes) -> list[int]:
    """The status codes of the responses in a byte stream, in order (h11 as the client)."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(raw)
    conn.receive_data(b"")
    found = []
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            break
        if isinstance(event, h11.Response):
            found.append(event.status_code)
        elif isinstance(event, h11.EndOfMessage):
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                break
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                break
            conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
            conn.send(h11.EndOfMessage())
        elif event in (h11.NEED_DATA, h11.PAUSED) or isinstance(event, h11.ConnectionClosed):
            break
    return found


def head(first: str, *headers: str, auth: bool = True) -> bytes:
    return (first + "\r\nHost: x\r\n" + (AUTH if auth else "") + "".join(h + "\r\n" for h in headers) + "\r\n").encode()


SMUGGLED = "GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n"
# Each is refused by the guard, whatever the engine's parser would have made of it.
AMBIGUOUS = {
    "CL and TE": head("POST /v1/x HTTP/1.1", "Content-Length: 4", "Transfer-Encoding: chunked"),
    "TE and CL": head("POST /v1/x HTTP/1.1", "Transfer-Encoding: chunked", "Content-Length: 4"),
    "two CL": head("POST /v1/x HTTP/1.1", "Content-Length: 4", "Content-Length: 40"),
    "CL list": head("POST /v1/x HTTP/1.1", "Content-Length: 4, 4"),
    "CL sign": head("POST /v1/x HTTP/1.1", "Content-Length: +4"),
    "CL hex": head("POST /v1/x HTTP/1.1", "Content-Length: 0x4"),
    "CL huge": head("POST /v1/x HTTP/1.1", "Content-Length: 99999999999999999999"),
    "TE identity": head("POST /v1/x HTTP/1.1", "Transfer-Encoding: identity"),
    "TE chunked twice": head("POST /v1/x HTTP/1.1", "Transfer-Encoding: chunked, chunked"),
    "TE two headers": head("POST /v1/x HTTP/1.1", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
    "TE xchunked": head("POST /v1/x HTTP/1.1", "Transfer-Encoding: xchunked"),
    "TE in HTTP/1.0": head("POST /v1/x HTTP/1.0", "Transfer-Encoding: chunked"),
    "space before colon": head("POST /v1/x HTTP/1.1", "Transfer-Encoding : chunked"),
    "obs-fold": head("POST /v1/x HTTP/1.1", "X-A: a", " Transfer-Encoding: chunked"),
    "tab fold": head("POST /v1/x HTTP/1.1", "X-A: a", "\tContent-Length: 4"),
    "NUL in value": head("POST /v1/x HTTP/1.1", "X-A: a\x00b"),
    "CR in value": head("POST /v1/x HTTP/1.1", "X-A: a\rContent-Length: 4"),
    "bare LF line": b"POST /v1/x HTTP/1.1\r\nHost: x\nContent-Length: 4\r\n" + AUTH.encode() + b"\r\n",
    "bare LF end": b"GET /v1/x HTTP/1.1\nHost: x\r\n" + AUTH.encode() + b"\r\n",
    "two keys": head("GET /v1/x HTTP/1.1", "Authorization: Bearer nope"),
    "two hosts": head("GET /v1/x HTTP/1.1", "Host: y"),
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "HTTP/1.2": head("GET /v1/x HTTP/1.2"),
    "absolute form": head("GET http://x/sleep HTTP/1.1"),
    "two spaces": head("GET  /v1/x HTTP/1.1"),
    "space in target": head("GET /v1/x /sleep HTTP/1.1"),
    "non-ASCII target": "GET /v1/é HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "leading CRLF": b"\r\n" + head("GET /v1/x HTTP/1.1"),
    "header without colon": head("GET /v1/x HTTP/1.1", "X-A a"),
    "empty header name": head("GET /v1/x HTTP/1.1", ": a"),
    "Expect other": head("POST /v1/x HTTP/1.1", "Content-Length: 1", "Expect: 200-ok"),
}


@pytest.mark.parametrize("name", sorted(AMBIGUOUS))
def test_ambiguous_framing_refused(name):
    """Refused with a 4xx/5xx, the connection closed, and nothing (not even the smuggled
    request in the body) reaches the engine."""

    async def body(port, engine):
        raw = AMBIGUOUS[name] + b"4\r\nabcd\r\n0\r\n\r\n" + SMUGGLED.encode()
        out = await exchange(port, raw)
        codes = statuses(out)
        assert codes and codes[0] in (400, 417, 431), (name, out[:200])
        assert len(codes) == 1, (name, out)  # closed after the refusal: nothing more is read
        assert engine.seen == [], engine.seen

    asyncio.run(with_guard(body))


def test_chunked_body_reaches_engine_reserialised():
    """A chunked body with extensions and trailers: the engine gets the same bytes, in the
    guard's own framing (no extension, no trailer), and answers."""

    async def body(port, engine):
        raw = head("POST /v1/x HTTP/1.1", "Transfer-Encoding: chunked", "Connection: close")
        raw += b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
        out = await exchange(port, raw)
        assert statuses(out) == [200] and out.endswith(b"0\r\n\r\n")
        assert b"saw /v1/x" in out and b"x-rouse-boot: cold" in out
        assert [(m, t, b) for m, t, _, b in engine.seen] == [(b"POST", b"/v1/x", b"abcde")]
        assert "x-trailer" not in engine.seen[0][2]

    asyncio.run(with_guard(body))


@pytest.mark.parametrize(
    "bad",
    [b"g\r\nabc\r\n0\r\n\r\n", b"3\r\nabcd\r\n0\r\n\r\n", b"3\nabc\r\n0\r\n\r\n", b"-3\r\nabc\r\n0\r\n\r\n"],
    ids=["size-not-hex", "data-longer", "bare-LF", "negative"],
)
def test_bad_chunked_body_closes(bad):
    async def body(port, engine):
        out = await exchange(port, head("POST /v1/x HTTP/1.1", "Transfer-Encoding: chunked") + bad + SMUGGLED.encode())
        assert all(m == b"POST" for m, *_ in engine.seen)  # the smuggled GET never parsed
        assert 400 in statuses(out) or statuses(out) == []

    asyncio.run(with_guard(body))


def test_pipelined_requests_answered_in_order():
    """Allowed, refused (no body: the connection stays), boot, allowed, in one write: four
    answers in order; only the allowed ones reach the engine."""

    async def body(port, engine):
        raw = head("GET /v1/a HTTP/1.1") + head("GET /sleep HTTP/1.1") + head("GET /rouse/boot HTTP/1.1")
        raw += (
            head("POST /v1/b HTTP/1.1", "Content-Length: 3") + b"xyz" + head("GET /v1/c HTTP/1.1", "Connection: close")
        )
        out = await exchange(port, raw)
        assert statuses(out) == [200, 404, 200, 200, 200]
        assert out.index(b"saw /v1/a") < out.index(b'"not found"') < out.index(b'"phases"') < out.index(b"saw /v1/b")
        assert [(t, b) for _, t, _, b in engine.seen] == [(b"/v1/a", b""), (b"/v1/b", b"xyz"), (b"/v1/c", b"")]

    asyncio.run(with_guard(body))


def test_refused_request_with_body_closes_without_reading_it():
    """A refused request's body is never read as a next request."""

    async def body(port, engine):
        raw = head("POST /sleep HTTP/1.1", f"Content-Length: {len(SMUGGLED)}") + SMUGGLED.encode()
        assert statuses(await exchange(port, raw)) == [404]
        raw = head("POST /v1/x HTTP/1.1", f"Content-Length: {len(SMUGGLED)}", auth=False) + SMUGGLED.encode()
        assert statuses(await exchange(port, raw)) == [401]
        assert engine.seen == []

    asyncio.run(with_guard(body))


def test_huge_head_refused_and_bounded():
    async def body(port, engine):
        filler = "".join(f"X-{i}: {'a' * 1000}\r\n" for i in range(80))
        out = await exchange(port, f"GET /v1/x HTTP/1.1\r\nHost: x\r\n{filler}\r\n".encode())
        assert statuses(out) == [431]
        out = await exchange(port, head("GET /v1/x HTTP/1.1", *[f"X-{i}: a" for i in range(120)]))
        assert statuses(out) == [431]
        # No end of head at all: refused once the buffer passes the bound, not at some later time.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /v1/x HTTP/1.1\r\nX: " + b"a" * (70 * 1024))
        line = await asyncio.wait_for(reader.readline(), 5)
        assert line.startswith(b"HTTP/1.1 431")
        writer.close()
        assert engine.seen == []

    asyncio.run(with_guard(body))


def test_slow_head_closed_within_bound():
    """A head sent a byte at a time (slowloris) is cut off HEAD_TIMEOUT after the
    connection opened, however steadily bytes arrive; an idle connection too."""

    async def body(port, engine):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()

        async def trickle():
            for byte in b"GET /v1/x HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)

        sender = asyncio.create_task(trickle())
        answer = await asyncio.wait_for(reader.read(), 5)
        elapsed = time.monotonic() - started
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        assert answer.startswith(b"HTTP/1.1 408") and 0.4 < elapsed < 3, (answer, elapsed)
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # idle: closed, no answer
        writer.close()
        assert engine.seen == []

    asyncio.run(with_guard(body, HEAD_TIMEOUT=0.5))


def test_engine_down_gives_502():
    async def body(port, engine):
        out = await exchange(port, head("GET /v1/x HTTP/1.1"))
        assert statuses(out) == [502] and b"the engine is not answering" in out

    async def run():
        guard = load_guard()
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()[1]  # bound, never listening: connections are refused
            server = await guard.serve_guard(KEY, "127.0.0.1", 0, ("127.0.0.1", dead))
            try:
                await body(server.sockets[0].getsockname()[1], None)
            finally:
                server.close()

    asyncio.run(run())


def test_client_leaving_closes_engine_connection():
    """A client that goes away mid-stream: the engine's connection closes too (so the engine
    aborts the generation), long before the stream would have ended."""

    async def body(port, engine):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head("GET /v1/stream HTTP/1.1"))
        assert (await asyncio.wait_for(reader.readuntil(b"data: 1"), 5)).startswith(b"HTTP/1.1 200")
        writer.close()
        await asyncio.wait_for(engine.closed.wait(), 10)
        # Closed while the engine was streaming, in its first half (50 chunks, 2.5 s): counted in
        # chunks, not seconds, since a loaded machine slows the stream and the close alike.
        assert engine.streamed < 25, engine.streamed

    asyncio.run(with_guard(body))


def test_upgrade_never_reaches_engine():
    """Upgrade requests pass as plain requests: the engine sees no Upgrade or Connection
    header, so no connection ever switches protocols behind the guard."""

    async def body(port, engine):
        for extra in (
            ("Upgrade: websocket", "Connection: Upgrade"),
            ("Upgrade: h2c", "Connection: Upgrade, HTTP2-Settings", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"),
        ):
            out = await exchange(port, head("GET /v1/x HTTP/1.1", *extra, "Connection: close"))
            assert statuses(out) == [200]
        for _, _, headers, _ in engine.seen:
            assert not {"upgrade", "connection", "http2-settings"} & {k.decode() for k in headers}

    asyncio.run(with_guard(body))


def test_expect_continue_answered_by_the_guard():
    async def body(port, engine):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head("POST /v1/x HTTP/1.1", "Content-Length: 3", "Expect: 100-continue", "Connection: close"))
        assert await asyncio.wait_for(reader.readline(), 5) == b"HTTP/1.1 100 Continue\r\n"
        writer.write(b"abc")
        rest = await asyncio.wait_for(reader.read(), 5)
        assert b"HTTP/1.1 200" in rest and engine.seen[0][3] == b"abc" and b"expect" not in engine.seen[0][2]
        writer.close()

    asyncio.run(with_guard(body))


# --- property-based: any framing, any split, any path spelling -------------------------

ADMIN = ["/sleep", "/wake_up", "/collective_rpc", "/is_sleeping"]
paths = st.sampled_from(["/v1/x", "/health", "/rouse/boot", *ADMIN])
spellings = st.sampled_from(
    ["{}", "{}/", "/{}", "/v1/..{}", "/v1/%2e%2e{}", "/v1%2f..{}", "/health/../..{}", "{};a", "{}%00"]
)
framing_headers = st.lists(
    st.sampled_from(
        [
            "Content-Length: 4",
            "Content-Length: 0",
            "Content-Length: 40",
            "Content-Length:4",
            "Content-Length : 4",
            "content-length: 04",
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: Chunked",
            "transfer-encoding:  chunked ",
            "Transfer-Encoding: gzip, chunked",
            " Transfer-Encoding: chunked",
            "X-A: b\rContent-Length: 4",
            "Connection: keep-alive",
            "Connection: close",
            "Expect: 100-continue",
            AUTH.strip(),
            "Authorization: Bearer wrong",
        ]
    ),
    max_size=3,
)
# The usual framings, drawn as often as all the odd ones together.
framings = st.one_of(
    st.sampled_from([[], ["Content-Length: 4"], ["Transfer-Encoding: chunked"], [AUTH.strip(), "Content-Length: 4"]]),
    framing_headers,
)
bodies = st.tuples(
    st.sampled_from([b"", b"abcd", b"4\r\nabcd\r\n0\r\n\r\n", b"0\r\n\r\n"]),
    st.sampled_from([b"", SMUGGLED.encode()]),
).map(b"".join)


@st.composite
def attacks(draw):
    """One connection's bytes: a few requests, each a method, an admin or allowed path in
    some spelling, framing headers in any combination, a body that may hold another
    request; the whole split at random points."""
    raw = b""
    for _ in range(draw(st.integers(1, 3))):
        method = draw(st.sampled_from(["GET", "POST", "HEAD"]))
        path = draw(spellings).format(draw(paths)).replace("//", "/", 1) if draw(st.booleans()) else draw(paths)
        version = draw(st.sampled_from(["1.1", "1.1", "1.0"]))
        raw += f"{method} {path} HTTP/{version}\r\nHost: x\r\n".encode()
        raw += "".join(h + "\r\n" for h in draw(framings)).encode() + b"\r\n" + draw(bodies)
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=4)))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


def allowed(target: bytes) -> bool:
    """Not an admin path however decoded, and under an allowed route."""
    path = urllib.parse.unquote(urllib.parse.unquote(target.decode())).lower().split("?")[0]
    return not any(a[1:] in path for a in ADMIN) and (path.startswith("/v1/") or path == "/health")


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(attacks())
def test_engine_only_ever_sees_checked_requests(pieces):
    """Whatever bytes a client sends, every request the engine's own parser reads is one the
    guard allowed: an allowed path, the right key on key routes, never a request smuggled in
    a body; and the engine's parser never meets framing it cannot read."""

    async def body(port, engine):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.002)
            async with asyncio.timeout(0.3):
                while await reader.read(65536):
                    pass
        except (TimeoutError, ConnectionError):
            pass  # the guard may close the connection at any point (a refusal)
        writer.close()
        await asyncio.sleep(0.01)
        assert engine.errors == []
        for method, target, headers, _ in engine.seen:
            assert allowed(target), (pieces, target)
            if target.startswith(b"/v1/"):
                assert headers.get(b"authorization") == f"Bearer {KEY}".encode(), pieces
            assert b"upgrade" not in headers and b"expect" not in headers

    asyncio.run(with_guard(body))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=6), st.data())
def test_chunk_reader_same_whatever_the_split(payloads, data):
    """Chunked framing read in any split gives the same payload and end as read whole (the
    whole-chunk fast path and the step-by-step reader agree)."""
    guard = load_guard()
    stream = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads if p) + b"0\r\n\r\n"
    tail = b"NEXT"
    whole = guard.GuardChunks(keep=True)
    pieces, end = whole.feed(stream + tail)
    assert b"".join(pieces) == b"".join(payloads) and end == len(stream)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    split = guard.GuardChunks(keep=True)
    got, done = [], -1
    for a, b in zip([0, *cuts], [*cuts, len(stream) + len(tail)], strict=True):
        part, end = split.feed((stream + tail)[a:b])
        got += part
        if end >= 0:
            done = a + end
            break
    assert b"".join(got) == b"".join(payloads) and done == len(stream)


WORKERS_SCRIPT = """
import importlib.util, os, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[1]))  # the prelude imports the rules (routes.py)
spec = importlib.util.spec_from_file_location("guard", sys.argv[1])
guard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(guard)
guard.ENGINE_PORT = int(sys.argv[3])
guard.start_guard(sys.argv[4], host="127.0.0.1", port=int(sys.argv[2]), workers=3)
print("ready", flush=True)
time.sleep(600)
"""


def test_worker_processes_share_the_port_and_leave_with_their_parent():
    """start_guard(workers=3): three processes accept on one port (every connection is
    answered, by the same rules), and the forked ones exit once the first is gone."""
    import signal
    import socket
    import subprocess
    import sys

    async def run():
        engine = Engine()
        up = await asyncio.start_server(engine.handle, "127.0.0.1", 0)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        argv = [
            sys.executable,
            "-c",
            WORKERS_SCRIPT,
            str(TEMPLATE),
            str(port),
            str(up.sockets[0].getsockname()[1]),
            KEY,
        ]
        proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.PIPE)
        try:
            assert await asyncio.wait_for(proc.stdout.readline(), 20) == b"ready\n"
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            assert len(kids) == 2, kids
            answers = await asyncio.gather(
                *(exchange(port, head(f"GET /v1/{i} HTTP/1.1", "Connection: close")) for i in range(60)),
                *(exchange(port, head("GET /sleep HTTP/1.1", "Connection: close")) for _ in range(30)),
            )
            assert [statuses(a) for a in answers] == [[200]] * 60 + [[404]] * 30
            assert sorted(t for _, t, _, _ in engine.seen) == sorted(f"/v1/{i}".encode() for i in range(60))
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            up.close()
        deadline = time.monotonic() + 5
        while any(Path(f"/proc/{k}").exists() for k in kids) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        left = [
            k for k in kids if Path(f"/proc/{k}").exists() and "Z" not in Path(f"/proc/{k}/stat").read_text().split()[2]
        ]
        assert left == [], "forked guard processes outlived their parent"

    asyncio.run(run())


def test_engine_answering_before_the_body_ends_closes_the_connection():
    """An engine that answers (413) before the request body has all arrived: the client gets
    the answer, then the connection closes (the rest of the body is never read as requests)."""

    async def early(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(5)
        writer.close()

    async def run():
        guard = load_guard()
        up = await asyncio.start_server(early, "127.0.0.1", 0)
        server = await guard.serve_guard(KEY, "127.0.0.1", 0, ("127.0.0.1", up.sockets[0].getsockname()[1]))
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            writer.write(head("POST /v1/x HTTP/1.1", "Content-Length: 100000") + SMUGGLED.encode())
            out = await asyncio.wait_for(reader.read(), 5)  # read() returns once the guard closes
            assert statuses(out) == [413] and b"x-rouse-boot" in out
            writer.close()
        finally:
            server.close()
            up.close()

    asyncio.run(run())


def test_half_closed_client_still_gets_its_answers():
    """A client that half-closes after pipelining: each request it sent whole is answered,
    in order, then the connection closes (an incomplete one is dropped)."""

    async def body(port, engine):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head("GET /v1/x HTTP/1.1") + head("GET /v1/y HTTP/1.1") + b"GET /v1/partial HT")
        writer.write_eof()
        out = await asyncio.wait_for(reader.read(), 5)
        assert statuses(out) == [200, 200] and out.index(b"saw /v1/x") < out.index(b"saw /v1/y")
        writer.close()
        assert [t for _, t, _, _ in engine.seen] == [b"/v1/x", b"/v1/y"]

    asyncio.run(with_guard(body))
