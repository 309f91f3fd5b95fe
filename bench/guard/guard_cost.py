"""The in-process guard's own time per request, measured without a server or a network.

The guard is the module a generated app.py carries (its GUARD_MODULE, written by its
guard_env()), loaded by name as the engine loads it. It wraps a minimal ASGI app that
answers at once; the cost is the time per call with the guard minus the time without it,
for the requests the bench sends (a key route with the right key, the headers Go's client
sends) and for one refused (a wrong key). Rounds alternate the two and the median is kept.

Why it matters for the TTFT targets: the guard does nothing per token, so all it can add to
a stream's first token is this time, once per request ahead of it on the server's one event
loop: at most N times it when N requests arrive together.
"""

import asyncio
import importlib
import statistics
import sys
import time

ROUNDS = 7
CALLS = 50_000


async def _answer(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def _receive():
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message):
    return None


def _scope(key: str) -> dict:
    # What Go's net/http client sends for the bench's requests, in its order.
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"Go-http-client/1.1"),
        (b"content-length", b"96"),
        (b"authorization", b"Bearer " + key.encode()),
        (b"content-type", b"application/json"),
        (b"accept-encoding", b"identity"),
    ]
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "root_path": "",
        "headers": headers,
    }


async def _per_call_us(app, scope: dict, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await app(scope, _receive, _send)
    return (time.perf_counter() - start) / calls * 1e6


async def _status(app, scope: dict) -> int:
    sent = []

    async def record(message):
        sent.append(message)

    await app(scope, _receive, record)
    return sent[0]["status"]


async def _measure(guard, key: str, rounds: int, calls: int) -> dict:
    allowed, refused = _scope(key), _scope(key + "-wrong")
    # Measured only once each path is known to do what its name says.
    for scope, expected in ((allowed, 200), (refused, 401)):
        status = await _status(guard, scope)
        if status != expected:
            raise RuntimeError(f"guard_cost: the guard answered {status} where {expected} was expected")
    bare, passed, denied = [], [], []
    for _ in range(rounds):
        bare.append(await _per_call_us(_answer, allowed, calls))
        passed.append(await _per_call_us(guard, allowed, calls))
        denied.append(await _per_call_us(guard, refused, calls))
    base = statistics.median(bare)
    return {
        "rounds": rounds,
        "calls_per_round": calls,
        "bare_us": round(base, 3),
        "allowed_added_us": round(statistics.median(passed) - base, 3),
        "allowed_added_us_range": [round(min(passed) - base, 3), round(max(passed) - base, 3)],
        "refused_us": round(statistics.median(denied), 3),
    }


def measure(folder: str, module_name: str, environ: dict, key: str, rounds: int = ROUNDS, calls: int = CALLS) -> dict:
    """folder: where guard_env() wrote the module; environ: the engine's environment that
    guard_env() made (the API key's variable, the admin token, the boot file)."""
    sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    finally:
        sys.path.remove(folder)
    guard = module.RouseGuard(_answer, environ)
    try:
        import uvloop

        run = uvloop.run
        loop = "uvloop"
    except ImportError:
        run = asyncio.run
        loop = "asyncio"
    result = run(_measure(guard, key, rounds, calls))
    return {**result, "loop": loop, "python": sys.version.split()[0]}
