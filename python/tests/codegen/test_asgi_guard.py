"""The in-process guard (packages/codegen/src/app/templates/asgi_guard.py) inside a real server,
from the attacker's side: uvicorn (httptools and h11, with and without a root path) serving a
FastAPI app that really has every admin route of both engines, the guard added as vLLM's
`--middleware` adds it, each engine's route table from the emitted presets' plans. Raw
sockets send every admin path in every spelling; the app records which handlers ran.

The same guarantees as the transport guard's tests (test_guard*.py): no admin handler is
ever reached from outside, key routes need exactly one right key (constant-time compare),
/health is open, streams pass token by token; plus the admin token that app.py uses."""

import ast
import json
import os
import socket
import urllib.parse

import pytest
from asgi_guard_support import (
    ADMIN,
    ENGINES,
    KEY,
    KEY_VAR,
    ROOT,
    STREAM_TOKENS,
    TEMPLATE,
    Record,
    Served,
    admin_header,
    all_admin_paths,
    bearer,
    emitted_guard,
    engine_app,
    engine_tables,
    exchange,
    get,
    guard_environ,
    load_guard,
    request_bytes,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_guard_template import reaches_admin, server_views

HTTPS = ("httptools", "h11")
# A request that asks for the boot header (the CLI's probe and cold-start bench send it).
ASK_BOOT = "X-Rouse-Boot: ?"
# "": none; "server": uvicorn's root_path (prefixed to scope["path"]); "app": FastAPI's
# app.root_path, which vLLM's --root-path sets (scope["root_path"] only).
ROOTS = ("", "server", "app")
REFUSED = (400, 404)


@pytest.fixture(
    scope="module",
    params=[(e, h, r) for e in ENGINES for h in HTTPS for r in ROOTS],
    ids=lambda p: "-".join((*p[:2], p[2] + "root" if p[2] else "noroot")),
)
def served(request, tmp_path_factory):
    engine, http, root = request.param
    routes, admin = engine_tables()[engine][:2]
    guard = emitted_guard(engine)
    record = Record()
    boot = tmp_path_factory.mktemp("boot") / "boot.json"
    app = engine_app(record, guard.RouseGuard, guard_environ(boot), ROOT if root == "app" else "")
    server = Served(app, http, ROOT if root == "server" else "")
    server.record, server.admin, server.routes, server.root, server.boot = record, admin, routes, root, boot
    yield server
    server.stop()


# --- the attack corpus -----------------------------------------------------------------


def pct(text: str, upper: bool = False) -> str:
    return "".join((f"%{ord(c):02X}" if upper else f"%{ord(c):02x}") if c.isalnum() or c == "_" else c for c in text)


def spellings(path: str) -> list[str]:
    """An admin path as a client could write it in a request target."""
    bare = path.lstrip("/")
    first, rest = bare[0], bare[1:]
    return [
        path,
        path + "/",
        path + "//",
        path + "/.",
        "/" + path,
        "/./" + bare,
        "/v1/../" + bare,
        "/health/../" + bare,
        "/metrics/../" + bare,
        "/v1/%2e%2e/" + bare,
        "/v1/%2E%2E%2F" + bare,
        "/v1%2f..%2f" + bare,
        "/v1/%252e%252e/" + bare,
        "/%2f" + bare,
        "/" + pct(bare),
        "/" + pct(bare, upper=True),
        f"/%25{ord(first):02x}{rest}",  # double-encoded first letter
        f"{path[:-1]}%25{ord(path[-1]):02x}",  # and last (under a key prefix for /v1/... paths)
        "/" + pct(first) + rest,
        path.upper(),
        "/" + first.upper() + rest,
        path + ";x=1",
        path + "%3bx",
        path + "?level=1",
        path + "#frag",
        path + "%23",
        path + "%00",
        path + "%0a",  # Starlette's route regex ends in "$", which also matches before a final "\n"
        path + "%0A",
        path + "/%0a",
        path + "%0d%0a",
        path + "%20",
        path + "%09",
        path + "%2F",
        "\\" + bare,
        "/v1\\..\\" + bare,
        "/%5c" + bare,
        "http://x" + path,
        "https://x:443" + path,
        "//x" + path,
        ROOT + path,
        "/v1" + path,
        "/metrics" + path,
        "/" + pct(bare.replace("_", "/")),
        "/\u0455" + rest if first == "s" else "/\uff0f" + bare,  # Cyrillic s, fullwidth slash
        path + "\u200b",  # zero-width space
        "/" + urllib.parse.quote("\uff0f" + bare),
    ]


def raw_targets(path: str) -> list[bytes]:
    """Targets that are not valid request-target syntax: each server parser decides."""
    bare = path.lstrip("/").encode()
    return [b"/" + bare + b" x", b"/\xd1\x95" + bare[1:], b"/" + bare + b"\x00", b"*", b"/" + bare + b"\t"]


def assert_refused(served, target, answer, sent_key: bool, before: int):
    """No admin handler of this engine ran for this request, and the answer is a refusal,
    unless the spelling landed on a route that is not this engine's admin one (e.g. SGLang's
    /load_lora_adapter as /v1/load_lora_adapter: vLLM's route in this app, under SGLang's
    keyed /v1/): then that route's answer or the router's redirect to it."""
    ran = served.record.reached[before:]
    assert [r for r in ran if r[0] == "admin" and r[2] in served.admin] == [], (target, ran)
    if ran:
        return
    if answer.status == 307:
        location = urllib.parse.urlsplit(answer.header("location")).path
        assert not any(reaches_admin(v, served.admin) for v in server_views(location)), (target, location)
        return
    allowed = (400, 404) if sent_key else (400, 401, 404)
    assert answer.status in allowed or answer.status is None, (target, answer.raw[:300])


def check_passed_never_admin(record, admin):
    """Every request the guard let through: under any reading a server could make of its
    path (decoded again, dot segments, merged slashes, path parameters), not an admin path."""
    for _, path in record.passed:
        # A route regex's "$" also matches before a final newline.
        for view in {v for p in {path, path.removesuffix("\n")} for v in server_views(p)}:
            assert not reaches_admin(view, admin), (path, view)


def test_every_admin_spelling_refused(served):
    """Every admin path in every spelling, with the API key and a wrong admin token or with
    neither (alternating): no handler of the engine's own admin paths ever runs, and the
    answer to those is a refusal. Without a root path the other engine's admin paths are sent
    too (only "no handler of this engine's admin paths ran" applies to them); under a root
    path (the same guard code) the engine's own, each in a third of the spellings."""
    admin = all_admin_paths() if not served.root else served.admin
    header_sets = [(bearer(), admin_header("x" * len(ADMIN))), ()]
    served.record.clear()
    for i, path in enumerate(admin):
        # Under a root path a third of the spellings per path, a different third each path.
        targets = spellings(path)[i % 3 :: 3] if served.root else spellings(path)
        for n, target in enumerate(targets):
            headers = header_sets[n % 2]
            before = len(served.record.reached)
            answer = get(served.port, target, *headers, method="POST")
            if path in served.admin:
                assert_refused(served, target, answer, bool(headers), before)
        for target in raw_targets(path):
            before = len(served.record.reached)
            answer = exchange(served.port, request_bytes("GET", target, bearer()))
            if path in served.admin:
                assert_refused(served, target, answer, True, before)
    assert served.record.admin_reached(served.admin) == []
    check_passed_never_admin(served.record, served.admin)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"])
def test_admin_refused_for_every_method(served, method):
    served.record.clear()
    for path in served.admin:
        answer = get(served.port, path, bearer(), method=method)
        assert answer.status in REFUSED, (method, path, answer.raw[:200])
    assert served.record.admin_reached() == []


def test_private_paths_are_404_with_guard_body(served):
    """Unlisted routes (docs, openapi) are private too; the refusal is the guard's own."""
    served.record.clear()
    for path in (*served.admin[:3], "/docs", "/openapi.json", "/", "/health/x", "/metricsx"):
        answer = get(served.port, path, bearer())
        assert answer.status == 404, (path, answer.raw[:200])
        assert json.loads(answer.body)["error"]["code"] == 404
        assert answer.header("x-rouse-boot") in ("cold", "restored")
    answer = get(served.port, "/v1/../health")
    assert answer.status == 400 and b"ambiguous path" in answer.body
    assert served.record.reached == [] and served.record.passed == []


# --- routes that pass ----------------------------------------------------------------


@pytest.fixture
def serving(served, request):
    """served, for tests of what must pass (under every root_path setting too: the guard
    checks the path the router matches)."""
    return served


def test_health_open_and_key_routes_need_the_key(serving):
    served = serving
    served.record.clear()
    assert get(served.port, "/health").status == 200
    assert get(served.port, "/v1/models", bearer()).status == 200
    assert get(served.port, "/metrics", bearer()).status == 200
    assert [r[0] for r in served.record.reached] == ["health", "models", "metrics"]
    served.record.clear()
    for target in ("/v1/models", "/metrics", "/v1/chat/completions", "/v1/nothing", "/v1/models?api_key=" + KEY):
        for headers in (
            (),
            (bearer("wrong"),),
            (bearer(KEY[:-1]),),
            (bearer(KEY + "x"),),
            (f"Authorization: {KEY}",),
            (f"Authorization: Basic {KEY}",),
            (f"Authorization: Bearer  {KEY}",),
            (bearer(), bearer()),  # two headers, both right: which one counts is a guess
            (bearer(), bearer("wrong")),
            (bearer("wrong"), bearer()),
            (f"X-Api-Key: {KEY}",),
            (admin_header(ADMIN[:-1]),),
        ):
            answer = get(served.port, target, *headers)
            assert answer.status == 401, (target, headers, answer.raw[:200])
            assert answer.header("www-authenticate") == "Bearer"
    assert served.record.reached == [] and served.record.passed == []


def test_admin_token_reaches_admin_routes(served):
    """The token app.py holds opens every route (it sleeps and wakes the engine on this
    port); a wrong, shortened, lengthened or duplicated one opens nothing."""
    served.record.clear()
    path = served.admin[0]
    answer = get(served.port, path, admin_header(), method="POST")
    assert answer.status == 200 and answer.body == b"admin reached"
    assert served.record.admin_reached() == [("admin", "POST", path)]
    served.record.clear()
    for headers in (
        (admin_header("b" + ADMIN[1:]),),
        (admin_header(ADMIN[:-1]),),
        (admin_header(ADMIN + "x"),),
        (admin_header(ADMIN.upper()),),
        (admin_header(ADMIN), admin_header(ADMIN)),
        (admin_header(ADMIN), admin_header("wrong")),
        (f"X-Rouse-Admin-Token: {ADMIN}",),
        (f"Authorization: Bearer {ADMIN}",),
    ):
        assert get(served.port, path, *headers, method="POST").status in REFUSED, headers
    assert served.record.admin_reached() == []


@pytest.mark.parametrize("http", HTTPS)
@pytest.mark.parametrize("token", ["", "short", "x" * 31])
def test_short_admin_token_opens_nothing(http, token):
    """A token under 32 characters (or none) is as good as no token: sending it exactly
    still gets a refusal."""
    admin = engine_tables()["vllm"][1]
    record = Record()
    server = Served(engine_app(record, emitted_guard("vllm").RouseGuard, guard_environ(admin=token)), http)
    try:
        for path in admin[:5]:
            assert get(server.port, path, admin_header(token), method="POST").status == 404
        assert get(server.port, "/v1/models", admin_header(token)).status == 401
        assert record.reached == []
    finally:
        server.stop()


def test_no_key_configured_leaves_key_routes_open_and_admin_closed():
    """Without ROUSE_GUARD_KEY_ENV (no API key), key routes pass; admin paths stay 404. A key
    variable that is named but unset is an error at start, not an open door."""
    admin = engine_tables()["sglang"][1]
    guard = emitted_guard("sglang")
    record = Record()
    server = Served(engine_app(record, guard.RouseGuard, guard_environ(key=None)), "httptools")
    try:
        assert get(server.port, "/v1/models").status == 200
        assert all(get(server.port, p, method="POST").status == 404 for p in admin)
        assert record.admin_reached() == []
    finally:
        server.stop()
    for environ in ({"ROUSE_GUARD_KEY_ENV": KEY_VAR}, {"ROUSE_GUARD_KEY_ENV": KEY_VAR, KEY_VAR: ""}):
        with pytest.raises(RuntimeError, match=KEY_VAR):
            guard.RouseGuard(None, environ=environ)


def test_guard_reads_os_environ_by_default(monkeypatch):
    """As vLLM builds it (`RouseGuard(app)`, no environ): settings from the process's env."""
    guard = load_guard()
    monkeypatch.setenv("ROUSE_GUARD_KEY_ENV", KEY_VAR)
    monkeypatch.setenv(KEY_VAR, KEY)
    monkeypatch.setenv("ROUSE_ADMIN_TOKEN", ADMIN)
    made = guard.RouseGuard(None)
    assert made.expected == b"Bearer " + KEY.encode() and made.admin == ADMIN.encode()


# --- websockets ------------------------------------------------------------------------


def ws_handshake(port: int, path: str, *headers: str) -> bytes:
    """A websocket opening handshake; the server's first answer."""
    raw = request_bytes(
        "GET",
        path,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *headers,
    ).replace(b"Connection: close\r\n", b"")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        return s.recv(65536)


def test_websockets(serving):
    served = serving
    """A websocket to an admin path (one really is there) is closed before it is accepted,
    in any spelling, even with the key; a key route's needs the key; the admin token opens."""
    served.record.clear()
    admin_ws = all_admin_paths()[0]
    for target in (admin_ws, admin_ws + "/", "/v1/.." + admin_ws, pct(admin_ws), "/docs"):
        for headers in ((), (bearer(),)):
            first = ws_handshake(served.port, target, *headers)
            assert first.startswith(b"HTTP/1.1 4"), (target, first[:100])  # 403, or 400 for a bad path
    assert ws_handshake(served.port, "/v1/realtime").startswith(b"HTTP/1.1 403")
    assert served.record.reached == []
    assert ws_handshake(served.port, "/v1/realtime", bearer()).startswith(b"HTTP/1.1 101")
    assert ws_handshake(served.port, admin_ws, admin_header()).startswith(b"HTTP/1.1 101")
    assert [r[0] for r in served.record.reached] == ["realtime", "admin"]


# --- streams ---------------------------------------------------------------------------


def test_sse_passes_token_by_token(serving):
    served = serving
    """The engine writes token i+1 only after the client has read token i: the stream
    completes only if each token leaves the guard as soon as the engine writes it."""
    served.record.acks.clear()
    body = json.dumps({"model": "m", "stream": True, "messages": []}).encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(
            request_bytes(
                "POST", "/v1/chat/completions", bearer(), ASK_BOOT, "Content-Type: application/json", body=body
            )
        )
        received = b""
        while b"[DONE]" not in received and b"stalled" not in received:
            data = s.recv(65536)
            if not data:
                break
            received += data
            for i in range(STREAM_TOKENS):
                if f'"token": {i}}}'.encode() in received:
                    served.record.acks.setdefault(i, __import__("threading").Event()).set()
    assert b"stalled" not in received and b"[DONE]" in received, received[-300:]
    head = received.split(b"\r\n\r\n", 1)[0].lower()
    assert b"text/event-stream" in head and b"x-rouse-boot: " in head


# --- boot report -----------------------------------------------------------------------


@pytest.mark.parametrize("http", HTTPS)
def test_boot_report_served_and_stamped(http, tmp_path):
    """/rouse/boot serves the file app.py writes (no key needed); refusals, and the engine's
    responses to requests that ask (x-rouse-boot), carry x-rouse-boot following the file's
    latest "restored"; the engine's other responses pass through untouched."""
    boot = tmp_path / "boot.json"
    record = Record()
    server = Served(engine_app(record, emitted_guard("vllm").RouseGuard, guard_environ(boot)), http)
    try:
        answer = get(server.port, "/rouse/boot")
        assert (answer.status, answer.body, answer.header("x-rouse-boot")) == (200, b"{}", "cold")
        for n, restored in enumerate([True, False, True]):
            report = {"restored": restored, "phases": {"n": n}}
            boot.write_text(json.dumps(report))
            stat = boot.stat()
            os.utime(boot, ns=(stat.st_atime_ns, stat.st_mtime_ns + n + 1))  # a new mtime each time
            want = "restored" if restored else "cold"
            answer = get(server.port, "/rouse/boot")
            assert json.loads(answer.body) == report and answer.header("x-rouse-boot") == want
            assert get(server.port, "/health", ASK_BOOT).header("x-rouse-boot") == want
            assert get(server.port, "/v1/models", bearer(), ASK_BOOT).header("x-rouse-boot") == want
            assert get(server.port, "/sleep").header("x-rouse-boot") == want
            assert get(server.port, "/v1/models", bearer()).header("x-rouse-boot") is None
        assert get(server.port, "/rouse/boot", method="POST").status == 404
        boot.write_text('{"restored": tr')  # mid-write: the last good report stays
        os.utime(boot, ns=(0, boot.stat().st_mtime_ns + 100))
        assert get(server.port, "/health", ASK_BOOT).header("x-rouse-boot") == "restored"
        assert [r[0] for r in record.reached] == ["health", "models", "models"] * 3 + ["health"]
    finally:
        server.stop()


def test_boot_report_replaced_within_one_clock_tick_is_read(tmp_path):
    """app.py replaces the report whole (os.replace of a new file). Two reports written within
    one tick of a coarse filesystem clock have the same mtime: the guard should still see the
    second (it is a new file: another inode and size), not keep the first until a later write."""
    guard = load_guard()
    boot = tmp_path / "boot.json"
    boot.write_text(json.dumps({"restored": False}))
    report = guard.BootReport(str(boot))
    report.refresh()
    first = boot.stat().st_mtime_ns
    (tmp_path / "boot.json.tmp").write_text(json.dumps({"restored": True, "phases": {"restore": 1.5}}))
    os.replace(tmp_path / "boot.json.tmp", boot)
    os.utime(boot, ns=(first, first))  # the same tick
    report.refresh()
    assert report.headers == [(b"x-rouse-boot", b"restored")]


# --- the rule itself, checked in the source ---------------------------------------------


def test_secrets_compared_in_constant_time_only():
    """The expected key and the admin token are compared with hmac.compare_digest and with
    nothing else (no ==, !=, `in`, startswith): only `is None` checks besides."""
    tree = ast.parse(TEMPLATE.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr in ("expected", "admin") and isinstance(n.ctx, ast.Load)
    ]
    assert {u.attr for u in uses} == {"expected", "admin"}, "the template no longer has both secrets"
    for use in uses:
        node = parents[use]
        if isinstance(node, ast.Compare):
            assert all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops), ast.unparse(node)
            assert all(isinstance(c, ast.Constant) and c.value is None for c in node.comparators)
        else:
            assert isinstance(node, ast.Call) and ast.unparse(node.func) == "hmac.compare_digest", ast.unparse(node)


# --- generated spellings ------------------------------------------------------------------

# Pieces that change how servers read a path: dot segments in every encoding, empty segments,
# backslashes, path parameters, NUL, space, query and fragment marks.
PIECES = [
    "/", "//", "/.", "/..", "/%2e%2e", "/%2E%2e", "/.%2e", "%2f..", "%2F%2e%2e", "/%252e%252e", "%252f..",
    "%5c..", "\\..", ";x", "%3b", "%00", "%20", "?", "#",
]  # fmt: skip


def respell(c: str, how: str) -> str:
    if how == "case":
        return c.swapcase()
    if c == "/" and how != "PCT":
        return c
    return {"pct": f"%{ord(c):02x}", "PCT": f"%{ord(c):02X}", "double": f"%25{ord(c):02x}"}[how]


@st.composite
def generated_targets(draw, admin: list[str], nested: list[str]):
    """An allowed prefix, pieces that change how servers read a path, then an admin path with
    characters percent-encoded (once or twice) or case-flipped."""
    # "/v1" (the key prefix, under which a slip would land) as often as all the others.
    prefix = draw(st.sampled_from(["/v1", "/v1/x"]) | st.sampled_from(["", "/health", "/metrics", "/rouse/boot", ROOT]))
    pieces = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=2)))
    if draw(st.booleans()):  # half the time the admin path alone, respelled
        prefix, pieces = "", ""
    # Admin paths under an allowed prefix (a private exception to a prefix rule) are the
    # likeliest to slip through, so they are drawn as often as all the others together.
    path = draw(st.sampled_from(nested) | st.sampled_from(admin) if nested else st.sampled_from(admin))
    # As it is, one character respelled, or all of them (a slip needs a path that still
    # resolves to the admin one).
    mode = draw(st.sampled_from(["as is", "as is", "one", "one", "all"]))
    spots = {"as is": [], "one": [draw(st.integers(0, len(path) - 1))], "all": range(len(path))}[mode]
    hows = ["pct", "PCT", "double", "case"]
    chars = list(path)
    for i in spots:
        chars[i] = respell(chars[i], draw(st.sampled_from(hows)))
    out = "".join(chars)
    tail = draw(st.sampled_from(["", "/", "//", "/.", "?x", ";x", "%2f", "#x", "%0a", "%0A"]))
    return "/" + (prefix + pieces + out + tail).lstrip("/")


@pytest.mark.parametrize("http", HTTPS)
@pytest.mark.parametrize("engine", ENGINES)
def test_generated_spellings_never_reach_admin(engine, http):
    routes, admin = engine_tables()[engine][:2]
    record = Record()
    server = Served(engine_app(record, emitted_guard(engine).RouseGuard, guard_environ()), http)

    prefixes = [r for r, access in routes.items() if r.endswith("/") and access != "private"]
    nested = [a for a in admin if any(a.startswith(p) for p in prefixes)]

    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    # With the key three times in four: without it, /v1/ refuses before any path rule matters.
    @given(
        generated_targets(list(admin), nested),
        st.sampled_from(["GET", "POST"]),
        st.sampled_from([True, True, True, False]),
    )
    def never_admin(target, method, with_key):
        record.passed.clear()
        answer = get(server.port, target, *((bearer(),) if with_key else ()), method=method)
        check_passed_never_admin(record, admin)
        # Any answer (e.g. 200 for "/health?/sleep", which is /health), but never from an admin route.
        assert record.admin_reached(admin) == [], (target, answer.raw[:200], record.reached)

    try:
        never_admin()
    finally:
        server.stop()


def test_path_verdicts_are_remembered_within_a_bound():
    """Verdicts are remembered for short paths only, at most 1,024 of them: a client sending
    endless distinct (or huge) paths cannot grow the engine process's memory, and a
    remembered verdict is the one the rules give."""
    guard = load_guard()
    guard.remembered_verdict.cache_clear()
    paths = [f"/v1/models/m{i}" for i in range(3000)] + [f"/x{i}" for i in range(3000)]
    for path in paths:
        want = "ambiguous" if guard.is_ambiguous(path) else guard.route_access(path)
        assert guard.path_verdict(path) == want == guard.path_verdict(path)
    assert guard.remembered_verdict.cache_info().currsize == 1024
    guard.remembered_verdict.cache_clear()
    long_admin = "/" + "a" * 300 + "/../sleep"
    long_key = "/v1/" + "m" * 300
    assert guard.path_verdict(long_admin) == "ambiguous"
    assert guard.path_verdict(long_key) == "key"
    assert guard.remembered_verdict.cache_info().currsize == 0
