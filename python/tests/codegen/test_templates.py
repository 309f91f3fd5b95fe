"""The templates of every emitted app.py (packages/codegen/src/app/templates/*.py), read
directly: the boot report, the engine helpers, the verified wake (canary), the work before a
CPU-only snapshot (prepare) and the smoke test run here against real local HTTP servers and real child processes. The guard has its
own tests (test_guard_template.py)."""

import importlib
import itertools
import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

TEMPLATES = Path(__file__).resolve().parents[3] / "packages/codegen/src/app/templates"


@pytest.fixture
def templates(monkeypatch):
    """Fresh template modules (boot, engine, canary, smoke, prepare), imported the way their preludes
    import each other; the modules' state (BOOT, constants) starts clean in every test."""
    monkeypatch.syspath_prepend(str(TEMPLATES))
    for name in ("boot", "engine", "canary", "smoke", "prepare"):
        sys.modules.pop(name, None)
    modules = {name: importlib.import_module(name) for name in ("boot", "engine", "canary", "smoke", "prepare")}
    yield modules
    for name in modules:
        sys.modules.pop(name, None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Engine:
    """A real HTTP server on 127.0.0.1 standing in for the engine: answers per path, and
    every request it saw (method, path with query, headers, JSON body)."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.seen: list[tuple[str, str, dict, object]] = []
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                size = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(size)) if size else None
                engine.seen.append((self.command, self.path, dict(self.headers), body))
                status, payload = engine.answers.get(self.path.split("?")[0], (404, {"error": "no"}))
                if callable(payload):
                    payload = payload()
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def engine_server(templates):
    servers = []

    def make(answers: dict) -> Engine:
        server = Engine(answers)
        servers.append(server)
        templates["engine"].ENGINE_PORT = server.port
        return server

    yield make
    for server in servers:
        server.close()


# The boot report


def test_boot_marks_phases_and_reports_one_json_line(templates, capsys):
    boot = templates["boot"]
    assert set(boot.BOOT["phases"]) == {"process_start"}
    boot.boot_mark("engine_spawn")
    boot.boot_mark("engine_ready")
    boot.report_boot()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("ROUSE_BOOT_REPORT ")
    report = json.loads(out[0].removeprefix("ROUSE_BOOT_REPORT "))
    assert report["app"] == boot.APP_NAME and report["restored"] is False
    phases = report["phases"]
    assert list(phases) == ["process_start", "engine_spawn", "engine_ready"]
    assert phases["process_start"] <= phases["engine_spawn"] <= phases["engine_ready"]


# The engine helpers


def test_engine_call_sends_query_body_and_key_and_refuses_other_statuses(templates, engine_server, monkeypatch):
    engine = templates["engine"]
    server = engine_server({"/sleep": (200, {"ok": True}), "/busy": (503, {"error": "loading"})})
    monkeypatch.setenv(engine.API_KEY_ENV, "k-123")
    raw = engine.engine_call("POST", "/sleep", query={"level": "1"}, body={"a": [1]})
    assert json.loads(raw) == {"ok": True}
    method, path, headers, body = server.seen[-1]
    assert (method, path, body) == ("POST", "/sleep?level=1", {"a": [1]})
    assert headers["Authorization"] == "Bearer k-123"
    with pytest.raises(RuntimeError, match=r"GET /busy: HTTP 503"):
        engine.engine_call("GET", "/busy")
    assert json.loads(engine.engine_call("GET", "/busy", ok=(503,))) == {"error": "loading"}


def test_engine_call_ignores_proxy_settings(templates, engine_server, monkeypatch):
    """Every call goes to 127.0.0.1: a proxy in the container's environment is not used."""
    engine = templates["engine"]
    engine_server({"/health": (200, {})})
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert engine.engine_call("GET", "/health") == b"{}"


def served_by_python(port: int, check_env: str | None = None) -> list[str]:
    """A real HTTP server process on 127.0.0.1:port; exits with 3 unless env var check_env is "yes"."""
    code = "import os, runpy, sys\n"
    if check_env:
        code += f"if os.environ.get({check_env!r}) != 'yes': sys.exit(3)\n"
    code += f"sys.argv = ['http.server', '--bind', '127.0.0.1', '{port}']\n"
    code += "runpy.run_module('http.server', run_name='__main__')\n"
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("engine_env", [True, False])
def test_start_engine_and_wait_ready_with_a_real_process(templates, engine_env):
    engine = templates["engine"]
    port = free_port()
    engine.ENGINE_PORT = port
    engine.ENGINE_CMD = served_by_python(port, check_env="ROUSE_TEMPLATE_SEEN")
    engine.ENGINE_ENV = {"ROUSE_TEMPLATE_SEEN": "yes" if engine_env else "no"}
    process = engine.start_engine()
    try:
        if engine_env:  # ENGINE_ENV reaches the engine, on top of the container's environment
            engine.wait_ready(process, timeout=60)  # the template's readiness call: GET /
            assert process.poll() is None
        else:
            with pytest.raises(RuntimeError, match="exited with code 3"):
                engine.wait_ready(process, timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_wait_ready_fails_fast_when_the_engine_exits(templates):
    engine = templates["engine"]
    engine.ENGINE_PORT = free_port()
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match="exited with code 3"):
        engine.wait_ready(process, timeout=60)


def test_wait_ready_times_out_on_an_engine_that_never_answers(templates):
    engine = templates["engine"]
    engine.ENGINE_PORT = free_port()
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(TimeoutError, match="not ready within 2 s"):
            engine.wait_ready(process, timeout=2)
    finally:
        process.kill()
        process.wait()


def test_wait_for_polls_until_the_field_matches(templates, engine_server):
    engine = templates["engine"]
    states = itertools.chain([True, True], itertools.repeat(False))
    engine_server({"/is_sleeping": (200, lambda: {"is_sleeping": next(states)})})
    engine.wait_for("GET", "/is_sleeping", "is_sleeping", False, timeout=30)
    with pytest.raises(TimeoutError, match="is_sleeping != True"):
        engine.wait_for("GET", "/is_sleeping", "is_sleeping", True, timeout=0)


# The work before a CPU-only snapshot


@pytest.mark.parametrize(("imports", "imported"), [(["json", "http.client"], True), (["rouse_no_such_module"], False)])
def test_prepare_imports_in_a_child_and_reads_every_cached_byte(templates, tmp_path, monkeypatch, imports, imported):
    prepare, boot = templates["prepare"], templates["boot"]
    prepare.PREPARE_IMPORTS = imports
    prepare.MODEL_NAME = str(tmp_path)  # the `rouse:else` side: a model folder in the container
    (tmp_path / "sub").mkdir()
    (tmp_path / "model.safetensors").write_bytes(b"x" * 70_000)
    (tmp_path / "sub" / "config.json").write_bytes(b"{}")
    # Stand-in for huggingface_hub (not installed here): the cache folder it would find.
    hub = type(sys)("huggingface_hub")
    hub.snapshot_download = lambda repo, local_files_only: local_files_only and str(tmp_path)
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)
    prepare.prepare()
    assert boot.BOOT["prepare"] == {"imported": imported, "weights_read": 70_002}


def test_prepare_reads_nothing_when_the_weights_are_not_cached(templates, monkeypatch):
    prepare, boot = templates["prepare"], templates["boot"]
    hub = type(sys)("huggingface_hub")

    def not_cached(repo, local_files_only):
        raise OSError("not in the cache")

    hub.snapshot_download = not_cached
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)
    prepare.prepare()
    assert boot.BOOT["prepare"] == {"imported": True, "weights_read": 0}


# The verified wake

logprob = st.one_of(st.none(), st.floats(min_value=-30, max_value=0))
recording = st.lists(st.tuples(st.integers(0, 50_000), logprob), min_size=1, max_size=16).map(
    lambda pairs: {"tokens": [t for t, _ in pairs], "logprobs": [lp for _, lp in pairs]}
)


def canary_module():
    sys.path.insert(0, str(TEMPLATES))
    try:
        return importlib.import_module("canary")
    finally:
        sys.path.remove(str(TEMPLATES))


@given(recording)
def test_a_replay_equal_to_the_recording_matches(recorded):
    assert canary_module().canary_mismatch(recorded, json.loads(json.dumps(recorded))) is None


@given(recording, st.data())
def test_any_changed_token_is_a_mismatch(recorded, data):
    i = data.draw(st.integers(0, len(recorded["tokens"]) - 1))
    replayed = {**recorded, "tokens": list(recorded["tokens"])}
    replayed["tokens"][i] += data.draw(st.integers(1, 10))
    assert canary_module().canary_mismatch(recorded, replayed).startswith("tokens differ")


@given(recording, st.data())
def test_logprob_drift_is_judged_against_the_tolerance(recorded, data):
    canary = canary_module()
    present = [i for i, lp in enumerate(recorded["logprobs"]) if lp is not None]
    if not present:
        return
    i = data.draw(st.sampled_from(present))
    drift = data.draw(st.floats(min_value=0, max_value=1))
    replayed = {**recorded, "logprobs": list(recorded["logprobs"])}
    replayed["logprobs"][i] -= drift
    problem = canary.canary_mismatch(recorded, replayed)
    actual = abs(recorded["logprobs"][i] - replayed["logprobs"][i])
    if actual > canary.CANARY_TOLERANCE:
        assert problem is not None and problem.startswith("logprobs drift by")
    else:
        assert problem is None


@given(recording, st.data())
def test_a_logprob_missing_on_one_side_only_is_a_mismatch(recorded, data):
    i = data.draw(st.integers(0, len(recorded["tokens"]) - 1))
    replayed = {**recorded, "logprobs": list(recorded["logprobs"])}
    replayed["logprobs"][i] = -1.0 if recorded["logprobs"][i] is None else None
    assert canary_module().canary_mismatch(recorded, replayed) == "logprobs differ: one is missing"


def completion(tokens, logprobs) -> dict:
    return {"choices": [{"logprobs": {"tokens": tokens, "token_logprobs": logprobs}}]}


def test_verify_wake_keeps_an_engine_whose_replay_matches(templates, engine_server):
    canary, boot = templates["canary"], templates["boot"]
    server = engine_server({"/v1/completions": (200, completion([1, 2], [-0.5, -0.25]))})
    recorded = canary.canary()
    assert recorded == {"tokens": [1, 2], "logprobs": [-0.5, -0.25]}
    assert server.seen[-1][3] == canary.CANARY_REQUEST
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert canary.verify_wake(process, recorded) is process
        assert boot.BOOT["canary"] == {"ok": True, "problem": None, "restarted": False}
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ((200, completion([1, 3], [-0.5, -0.25])), "tokens differ"),
        ((200, completion([1, 2], [-0.5, -0.9])), "logprobs drift by 0.6500"),
        ((200, completion([1, 2], [-0.5, None])), "logprobs differ"),
        ((500, {"error": "broken"}), "the canary request failed: POST /v1/completions: HTTP 500"),
        ((200, {"choices": []}), "the canary request failed"),  # no expected fields
        ((200, b"not json"), "the canary request failed"),
    ],
)
def test_verify_wake_restarts_the_engine_cold_on_any_failure(
    templates, engine_server, capsys, monkeypatch, answer, problem
):
    canary, boot, engine = templates["canary"], templates["boot"], templates["engine"]
    engine_server({"/v1/completions": answer})
    # The cold restart runs the real start_engine: ENGINE_CMD, a real server on a fresh
    # port, which wait_ready then polls.
    port = free_port()
    engine.ENGINE_CMD = served_by_python(port)

    def start_on_fresh_port():
        engine.ENGINE_PORT = port
        return engine.start_engine()

    monkeypatch.setattr(canary, "start_engine", start_on_fresh_port)
    woken = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    recorded = {"tokens": [1, 2], "logprobs": [-0.5, -0.25]}
    fresh = canary.verify_wake(woken, recorded)
    try:
        assert woken.poll() is not None  # the woken engine was stopped
        assert fresh is not woken and fresh.poll() is None
        assert boot.BOOT["canary"]["ok"] is False and boot.BOOT["canary"]["restarted"] is True
        assert boot.BOOT["canary"]["problem"].startswith(problem)
        assert {"canary_mismatch", "cold_restart_done"} <= set(boot.BOOT["phases"])
        line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("ROUSE_CANARY_MISMATCH ")]
        assert json.loads(line[0].removeprefix("ROUSE_CANARY_MISMATCH "))["problem"].startswith(problem)
    finally:
        fresh.terminate()
        fresh.wait(timeout=30)


# The smoke test


def sse(*pieces: str) -> bytes:
    events = [json.dumps({"choices": [{"delta": {"content": p}}]}) for p in pieces]
    return "".join(f"data: {e}\n\n" for e in [*events, "[DONE]"]).encode()


def test_smoke_test_waits_for_health_and_prints_the_stream(templates, engine_server, capsys, monkeypatch):
    smoke = templates["smoke"]
    health = iter([503, 503, 200])
    server = engine_server({"/v1/chat/completions": (200, sse("Why ", "not?"))})
    server.answers["/health"] = (200, lambda: {})
    statuses = []

    class Health:  # a cold start: /health answers 503 twice, then 200
        def get(self, path, default):
            if path != "/health":
                return dict.get(server_answers, path, default)
            statuses.append(next(health))
            return statuses[-1], {}

    server_answers = dict(server.answers)
    server.answers = Health()
    monkeypatch.setattr(smoke.time, "sleep", lambda _: None)
    monkeypatch.setenv(smoke.API_KEY_ENV, "secret")
    monkeypatch.setenv("ROUSE_PROXY_TOKEN_ID", "wk-1")
    monkeypatch.setenv("ROUSE_PROXY_TOKEN_SECRET", "ws-1")
    smoke.smoke_test(f"http://127.0.0.1:{server.port}", timeout=30)
    out = capsys.readouterr().out
    assert "Why not?" in out and statuses == [503, 503, 200]
    method, path, headers, body = server.seen[-1]
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert body["model"] == smoke.MODEL and body["stream"] is True
    for _, _, sent, _ in server.seen:  # every request carries the key and the proxy token
        assert sent["Authorization"] == "Bearer secret"
        assert (sent["Modal-Key"], sent["Modal-Secret"]) == ("wk-1", "ws-1")


def test_smoke_test_refuses_to_run_without_the_api_key(templates, monkeypatch):
    smoke = templates["smoke"]
    monkeypatch.delenv(smoke.API_KEY_ENV, raising=False)
    with pytest.raises(SystemExit, match=smoke.API_KEY_ENV):
        smoke.smoke_test("http://127.0.0.1:9", timeout=1)


def test_smoke_test_gives_up_on_an_unhealthy_url(templates, monkeypatch):
    smoke = templates["smoke"]
    monkeypatch.setenv(smoke.API_KEY_ENV, "secret")
    monkeypatch.setenv("ROUSE_PROXY_TOKEN_ID", "wk-1")
    monkeypatch.setenv("ROUSE_PROXY_TOKEN_SECRET", "ws-1")
    monkeypatch.setattr(smoke.time, "sleep", lambda _: None)
    with pytest.raises(TimeoutError, match="is not healthy after 0 s"):
        smoke.smoke_test(f"http://127.0.0.1:{free_port()}", timeout=0)


def test_guard_env_hands_the_engine_process_its_guard(templates, monkeypatch, tmp_path):
    """guard_host.py, the container's side of the in-process guard, with a real child process:
    the module it writes is importable there (PYTHONPATH, before any the image sets), the admin
    token, the boot file and the API key's variable name arrive, and ENGINE_ENV is on top."""
    sys.modules.pop("guard_host", None)
    host = importlib.import_module("guard_host")
    monkeypatch.setattr(host, "GUARD_MODULE", "MARK = 'the guard module'\n")
    monkeypatch.setattr(host, "ENGINE_ENV", {"FROM_ENGINE_ENV": "1"})
    monkeypatch.setattr(host, "API_KEY_ENV", "MY_KEY")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    host.BOOT["restored"] = True
    env = host.guard_env()
    probe = (
        "import json, os, rouse_guard; print(json.dumps([rouse_guard.MARK, os.environ['ROUSE_ADMIN_TOKEN'],"
        " os.environ['ROUSE_GUARD_KEY_ENV'], os.environ['FROM_ENGINE_ENV'], os.environ['PYTHONPATH'],"
        " json.load(open(os.environ['ROUSE_BOOT_FILE']))['restored']]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    mark, token, key_var, engine_env, path, restored = json.loads(out.stdout)
    assert (mark, token, key_var, engine_env, restored) == ("the guard module", host.ADMIN_TOKEN, "MY_KEY", "1", True)
    assert len(host.ADMIN_TOKEN) >= 32  # what the guard requires before the token opens anything
    folder = Path(env["ROUSE_BOOT_FILE"]).parent
    assert path.split(":") == [str(folder), str(tmp_path)]
    assert (folder.stat().st_mode & 0o777) == 0o700  # a private folder: no one else swaps the module
    # write_boot_file replaces the report whole; the guard reads the newest.
    host.BOOT["restored"] = False
    host.write_boot_file()
    assert json.loads(Path(env["ROUSE_BOOT_FILE"]).read_text())["restored"] is False
    assert sorted(p.name for p in folder.iterdir()) == ["boot.json", "rouse_guard.py"]
    sys.modules.pop("guard_host", None)
