# rouse:prelude
# The verified wake of every emitted app.py that sleeps: record one greedy generation
# before the snapshot, replay it after every wake, restart the engine cold on a mismatch.
# Real Python that ruff and pytest read directly (see ../emit/template.ts for the
# markers). This prelude is not emitted: its imports join app.py's import block, and the
# names it imports from the boot and engine templates are defined in app.py as well.
import http.client
import json
import subprocess

from boot import BOOT, boot_mark
from engine import engine_call, start_engine, wait_ready

# rouse:end-prelude
# Verified wake: an engine can report healthy after a wake that left it serving garbage,
# so one fixed greedy generation is recorded before the sleep and replayed after every
# wake, before traffic. Tokens must match exactly; each logprob within CANARY_TOLERANCE.
CANARY_REQUEST = {"prompt": "The capital of France is", "max_tokens": 16}
CANARY_TOLERANCE = 0.02
# Refused or broken answers, HTTP errors, and answers without the expected fields.
CANARY_ERRORS = (
    OSError,
    http.client.HTTPException,
    RuntimeError,
    LookupError,
    TypeError,
    ValueError,
)


def canary() -> dict:
    """One greedy generation: its tokens and their logprobs."""
    raw = engine_call("POST", "/v1/completions", body=CANARY_REQUEST)  # rouse:fill call
    answer = json.loads(raw)
    tokens = answer["choices"][0]["logprobs"]["tokens"]  # rouse:fill tokens
    logprobs = answer["choices"][0]["logprobs"]["token_logprobs"]  # rouse:fill logprobs
    return {"tokens": tokens, "logprobs": logprobs}


def canary_mismatch(recorded: dict, replayed: dict) -> str | None:
    """None when the replay matches the recording, else what differs."""
    if replayed["tokens"] != recorded["tokens"]:
        return f"tokens differ: {recorded['tokens']!r} then {replayed['tokens']!r}"
    drift = 0.0
    for before, after in zip(recorded["logprobs"], replayed["logprobs"]):
        if (before is None) != (after is None):
            return "logprobs differ: one is missing"
        if before is not None:
            drift = max(drift, abs(before - after))
    if drift > CANARY_TOLERANCE:
        return f"logprobs drift by {drift:.4f} (tolerance {CANARY_TOLERANCE})"
    return None


def verify_wake(engine: subprocess.Popen, recorded: dict) -> subprocess.Popen:
    """Replays the canary before traffic; on a mismatch restarts the engine cold and says so."""
    try:
        problem = canary_mismatch(recorded, canary())
    except CANARY_ERRORS as e:  # a woken engine that cannot answer has failed too
        problem = f"the canary request failed: {e}"
    BOOT["canary"] = {"ok": problem is None, "problem": problem, "restarted": False}
    if problem is None:
        return engine
    boot_mark("canary_mismatch")
    print("ROUSE_CANARY_MISMATCH", json.dumps(BOOT["canary"]), flush=True)
    # Cold restart: the woken engine cannot be trusted; a fresh one loads from disk.
    engine.terminate()
    try:
        engine.wait(timeout=60)
    except subprocess.TimeoutExpired:
        engine.kill()
        engine.wait()
    engine = start_engine()
    wait_ready(engine)
    BOOT["canary"]["restarted"] = True
    boot_mark("cold_restart_done")
    return engine
