"""The in-process guard's own time per request, measured without a server or a network.

The guard is the module a generated app.py carries (its GUARD_MODULE, written by its
guard_env()), loaded from the file the engine imports. It wraps a minimal ASGI app that
answers at once; the cost is the time per call with the guard minus the time without it,
for the requests the bench sends (a key route with the right key, the headers Go's client
sends) and for one refused (a wrong key). Each round times the bare app, the allowed request
and the refused one in turn; the medians over the rounds are kept.

Why it matters for the TTFT targets: the guard does nothing per token, so all it can add to
a stream's first token is this time, once per request ahead of it on the server's one event
loop: at most N times it when N requests arrive together.
"""

import asyncio
import itertools
import statistics
import sys
import time
from pathlib import Path

from generated_app import load_app

ROUNDS = 7
CALLS = 50_000
_loads = itertools.count()


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


def measure(module_file: Path, environ: dict, key: str, rounds: int = ROUNDS, calls: int = CALLS) -> dict:
    """module_file: the guard module guard_env() wrote; environ: the engine's environment
    that guard_env() made (the API key's variable, the admin token, the boot file)."""
    # Loaded from its file under a name of its own, so a second app's guard is never a cached first.
    module = load_app(module_file, f"rouse_guard_cost_{next(_loads)}")
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
