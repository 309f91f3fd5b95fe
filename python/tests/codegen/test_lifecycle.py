"""The emitted lifecycle, run for real against rouse's stand-in engine (tools/engine-standin): each
app's own enter methods start the engine from its ENGINE_CMD (executable swapped for the
stand-in), wait for it, warm it up and put it to sleep; after a simulated restore they wake
it, and the web server method opens the guard. Then the public side is checked over HTTP:
the boot report says "restored", admin endpoints are refused, inference works with the key."""

import contextlib
import json
import os
import socket
import urllib.error
import urllib.request

import pytest
from codegen_support import REPO, find_node, load_case
from test_guard import import_app

from rouse_py.inspect_app import _unwrap

STANDIN = REPO / "tools" / "engine-standin" / "standin.ts"
KEY = "k-standin-0123"

pytestmark = pytest.mark.skipif(
    find_node() is None or not STANDIN.exists(), reason="needs Node >= 22.18 and the stand-in"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def standin_cmd(argv: list[str], engine: str, port: int) -> list[str]:
    """The plugin's argv with the executable replaced by the stand-in and the port moved."""
    first = next(i for i, a in enumerate(argv) if a == "serve" or a.startswith("--"))
    args = list(argv[first:])
    args[args.index("--port") + 1] = str(port)
    return [find_node(), str(STANDIN), "--engine", engine, "--load-ms", "200", "--token-ms", "5", *args]


def http(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def prepare(case_dir, monkeypatch):
    case = load_case(case_dir)
    module = import_app(case_dir)
    engine_port, public_port = free_port(), free_port()
    monkeypatch.setattr(module, "ENGINE_PORT", engine_port)
    monkeypatch.setattr(module, "PORT", public_port)
    monkeypatch.setattr(
        module, "ENGINE_CMD", standin_cmd(module.ENGINE_CMD, case["plan"]["engine"]["kind"], engine_port)
    )
    key_env = case["config"]["secrets"].get("apiKey") and case["config"]["secrets"]["apiKeyEnv"]
    if key_env:
        monkeypatch.setenv(key_env, KEY)
    return case, module, public_port, ({"Authorization": f"Bearer {KEY}"} if key_env else {})


def user_class(module, case):
    return _unwrap(getattr(module, case["plan"]["className"]))._get_user_cls()


def check_public_side(module, case, port, auth, restored):
    base = f"http://127.0.0.1:{port}"
    status, headers, _ = http("GET", base + "/health")
    assert status == 200 and headers["x-rouse-boot"] == ("restored" if restored else "cold")
    status, _, body = http("GET", base + "/rouse/boot")
    report = json.loads(body)
    assert status == 200 and report["restored"] is restored
    for path in case["plan"]["lifecycle"]["adminPaths"]:
        assert http("POST", base + path, {}, auth)[0] == 404, path
    chat = {
        "model": case["plan"]["model"]["servedName"],
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 4,
    }
    status, _, body = http("POST", base + "/v1/chat/completions", chat, auth)
    assert status == 200, body
    assert json.loads(body)["choices"]
    if auth:
        assert http("POST", base + "/v1/chat/completions", chat)[0] == 401
    return report


@pytest.mark.parametrize("name", ["default", "qwen3-sglang-snapshot", "sglang-key-proxy-auth", "vllm-sleep-level-2"])
def test_snapshot_class_lifecycle(emitted, monkeypatch, capsys, name):
    """`@app.cls` with enter(snap=True) → (snapshot) → enter(snap=False) → web_server."""
    case, module, port, auth = prepare(emitted / "proxied" / name, monkeypatch)
    server = user_class(module, case)()
    monkeypatch.setenv("MODAL_TASK_ID", "ta-snapshotting")
    server.start()
    try:
        phases = module.BOOT["phases"]
        assert list(phases)[:6] == [
            "process_start",
            "engine_spawn",
            "engine_ready",
            "warmup_done",
            "canary_recorded",
            "sleep_done",
        ]
        assert len(server.canary["tokens"]) == 16 and len(server.canary["logprobs"]) == 16
        # Asleep now, as the snapshot would capture it (the confirm poll or the final answer said so).
        if case["plan"]["engine"]["kind"] == "vllm":
            assert json.loads(module.engine_call("GET", "/is_sleeping"))["is_sleeping"] is True
        # A restored container runs with a different task id (Modal rewrites MODAL_TASK_ID).
        monkeypatch.setenv("MODAL_TASK_ID", "ta-restored")
        server.wake_up()
        assert module.BOOT["restored"] is True
        assert {"restore", "wake_done", "canary_checked"} <= set(phases)
        assert module.BOOT["canary"] == {"ok": True, "problem": None, "restarted": False}
        server.serve()
        report = check_public_side(module, case, port, auth, restored=True)
        assert report["phases"]["restore"] >= report["phases"]["sleep_done"]
        assert report["canary"]["ok"] is True
        line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("ROUSE_BOOT_REPORT "))
        assert json.loads(line.removeprefix("ROUSE_BOOT_REPORT "))["restored"] is True
    finally:
        server.stop()
        server.engine.wait(10)


@pytest.mark.parametrize(("name", "restarted"), [("default", True), ("vllm-sleep-level-2", False)])
def test_canary_catches_a_garbage_wake(emitted, monkeypatch, capsys, name, restarted):
    """An engine that answers garbage after a wake (vLLM level 2 without reload_weights, imitated by
    the stand-in's --garbage-after-wake) fails the canary: the engine restarts cold, the event is marked
    and the boot report shows it. The level-2 app reloads the weights in wake_up, so its canary passes."""
    case, module, port, auth = prepare(emitted / "proxied" / name, monkeypatch)
    monkeypatch.setattr(module, "ENGINE_CMD", [*module.ENGINE_CMD, "--garbage-after-wake"])
    server = user_class(module, case)()
    monkeypatch.setenv("MODAL_TASK_ID", "ta-snapshotting")
    server.start()
    first = server.engine
    try:
        monkeypatch.setenv("MODAL_TASK_ID", "ta-restored")
        server.wake_up()
        canary = module.BOOT["canary"]
        assert canary["ok"] is not restarted and canary["restarted"] is restarted
        if restarted:
            assert "tokens differ" in canary["problem"]
            assert {"canary_mismatch", "cold_restart_done"} <= set(module.BOOT["phases"])
            assert first.poll() is not None and server.engine is not first
            assert "ROUSE_CANARY_MISMATCH" in capsys.readouterr().out
        else:
            assert server.engine is first
        server.serve()
        report = check_public_side(module, case, port, auth, restored=True)
        assert report["canary"] == canary
        # Served by an engine that answers properly: the cold one, or the reloaded one.
        status, _, body = http("POST", f"http://127.0.0.1:{port}/v1/completions", module.CANARY_REQUEST, auth)
        assert status == 200 and "!" not in json.loads(body)["choices"][0]["logprobs"]["tokens"]
    finally:
        server.stop()
        server.engine.wait(10)
        if first.poll() is None:
            first.kill()


def test_canary_mismatch_rules(emitted, monkeypatch):
    """Tokens must match exactly; logprobs within CANARY_TOLERANCE; a missing logprob is a mismatch."""
    _, module, _, _ = prepare(emitted / "proxied" / "default", monkeypatch)
    tol = module.CANARY_TOLERANCE
    recorded = {"tokens": ["token_id:1", "token_id:2"], "logprobs": [-0.5, -1.25]}
    same = module.canary_mismatch
    assert same(recorded, recorded) is None
    assert same(recorded, {**recorded, "logprobs": [-0.5 + tol / 2, -1.25 - tol / 2]}) is None
    assert "drift" in same(recorded, {**recorded, "logprobs": [-0.5, -1.25 - 2 * tol]})
    assert "tokens differ" in same(recorded, {**recorded, "tokens": ["token_id:1", "token_id:0"]})
    assert "tokens differ" in same(recorded, {**recorded, "tokens": ["token_id:1"]})
    assert "missing" in same(recorded, {**recorded, "logprobs": [-0.5, None]})


def test_cpu_only_snapshot_starts_the_engine_after_restore(emitted, monkeypatch):
    """CPU-only snapshots: Modal gives snap=True no GPU, so it only prepares (imports, weight reads);
    the engine starts in snap=False, and nothing sleeps or wakes."""
    case, module, port, auth = prepare(emitted / "proxied" / "vllm-cpu-snapshot", monkeypatch)
    spawned = []
    start_engine = module.start_engine
    monkeypatch.setattr(module, "start_engine", lambda: spawned.append(start_engine()) or spawned[-1])
    server = user_class(module, case)()
    monkeypatch.setenv("MODAL_TASK_ID", "ta-snapshotting")
    server.start()
    try:
        assert spawned == [] and not hasattr(server, "engine")
        assert list(module.BOOT["phases"]) == ["process_start", "prepare_done"]
        assert set(module.BOOT["prepare"]) == {"imported", "weights_read"}
        assert not hasattr(module, "sleep") and not hasattr(module, "canary")
        monkeypatch.setenv("MODAL_TASK_ID", "ta-restored")
        server.restore()
        assert len(spawned) == 1
        assert {"engine_spawn_after_restore", "ready_after_restore"} <= set(module.BOOT["phases"])
        server.serve()
        check_public_side(module, case, port, auth, restored=True)
    finally:
        for proc in spawned:
            proc.terminate()
            with contextlib.suppress(Exception):
                proc.wait(10)


def test_cold_boot_reports_cold(emitted, monkeypatch):
    """Without a restore in between (a first boot, or `modal run`), the report says cold."""
    case, module, port, auth = prepare(emitted / "proxied" / "default", monkeypatch)
    server = user_class(module, case)()
    monkeypatch.setenv("MODAL_TASK_ID", "ta-same")
    server.start()
    try:
        server.wake_up()
        server.serve()
        check_public_side(module, case, port, auth, restored=False)
    finally:
        server.stop()
        server.engine.wait(10)


@pytest.mark.parametrize("name", ["vllm-server-snapshot", "sglang-server-plain"])
def test_server_style_lifecycle(emitted, monkeypatch, name):
    """`@app.server`: the last enter method opens the guard itself."""
    case, module, port, auth = prepare(emitted / "proxied" / name, monkeypatch)
    server = user_class(module, case)()
    snapshot = case["config"]["snapshot"]["enabled"]
    monkeypatch.setenv("MODAL_TASK_ID", "ta-1")
    server.start()
    try:
        if snapshot:
            monkeypatch.setenv("MODAL_TASK_ID", "ta-2")
            server.wake_up()
        check_public_side(module, case, port, auth, restored=snapshot)
    finally:
        server.stop()
        server.engine.wait(10)


def test_plain_function_lifecycle(emitted, monkeypatch):
    """Seed 001's shape: one web-server function starts the engine and opens the guard once it is ready."""
    case, module, port, auth = prepare(emitted / "proxied" / "llama31-vllm-openai", monkeypatch)
    spawned = []
    start_engine = module.start_engine
    monkeypatch.setattr(module, "start_engine", lambda: spawned.append(start_engine()) or spawned[-1])
    try:
        _unwrap(module.serve)._raw_f()
        check_public_side(module, case, port, auth, restored=False)
    finally:
        for proc in spawned:
            proc.terminate()
            with contextlib.suppress(Exception):
                proc.wait(10)


def test_engine_exit_fails_fast(emitted, monkeypatch):
    """wait_ready stops at once when the engine process dies, naming its exit code."""
    _, module, _, _ = prepare(emitted / "proxied" / "default", monkeypatch)
    monkeypatch.setattr(module, "ENGINE_CMD", [*module.ENGINE_CMD, "--fail-startup"])
    engine = module.start_engine()
    with pytest.raises(RuntimeError, match="exited with code"):
        module.wait_ready(engine, timeout=60)
    assert os.environ.get("ROUSE_API_KEY") == KEY
