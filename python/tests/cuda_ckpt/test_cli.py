"""The command line, with FakeDriver injected, and without any driver at all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cuda_ckpt_fakes import C, FakeDriver, FakeGpu, R

from rouse_py.cuda_ckpt.cli import main
from rouse_py.cuda_ckpt.driver import CUDA_ERROR_NOT_READY
from rouse_py.cuda_ckpt.hooks import HttpHook

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def sleeper():
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield p.pid
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)


def run(argv, drv, capsys):
    code = main(argv, driver_factory=lambda: drv, gpu_factory=lambda: FakeGpu(drv))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if "--json" in argv else out.out), out.err


def test_suspend_resume_state_json(sleeper, capsys):
    drv = FakeDriver([sleeper])
    code, rep, _ = run(["suspend", "--pid", str(sleeper), "--json"], drv, capsys)
    assert code == 0 and rep["ok"] and drv.states[sleeper] is C
    assert rep["discovery"]["targets"] == [sleeper]
    assert rep["summary"]["gpu_bytes"] == 1 << 30
    assert rep["driver"]["driver_version"] == "fake"
    code, rep, _ = run(["state", "--pid", str(sleeper), "--json"], drv, capsys)
    assert code == 0 and rep["tree_state"] == "suspended"
    code, rep, _ = run(["resume", "--pid", str(sleeper), "--json"], drv, capsys)
    assert code == 0 and drv.states[sleeper] is R and rep["final_states"] == {str(sleeper): "running"}


def test_human_output(sleeper, capsys):
    drv = FakeDriver([sleeper])
    code, out, _ = run(["suspend", "--pid", str(sleeper)], drv, capsys)
    assert code == 0 and out.startswith("suspend: ok")


def test_exit_codes(sleeper, capsys):
    drv = FakeDriver([])
    code, rep, err = run(["suspend", "--pid", str(sleeper), "--json"], drv, capsys)
    assert code == 4 and rep["error"]["kind"] == "not_cuda" and "not_cuda" in err
    code, rep, _ = run(["resume", "--pid", "4194000", "--json"], drv, capsys)
    assert code == 4 and rep["error"]["kind"] == "no_such_process"
    drv = FakeDriver([sleeper])
    drv.inject("lock", sleeper, CUDA_ERROR_NOT_READY)
    code, rep, _ = run(["suspend", "--pid", str(sleeper), "--timeout-ms", "50", "--json"], drv, capsys)
    assert code == 5 and rep["error"]["kind"] == "lock_timeout" and drv.states[sleeper] is R
    assert rep["final_states"] == {str(sleeper): "running"}


def test_bad_hook_spec_is_a_usage_error(sleeper, capsys):
    code = main(
        ["suspend", "--pid", str(sleeper), "--pre-suspend-http", "ftp://x"], driver_factory=lambda: FakeDriver([])
    )
    assert code == 2


def test_without_a_driver_the_command_says_so(sleeper):
    """On CI (no NVIDIA driver) the real command must fail cleanly with exit code 3 and name the cause."""
    if Path("/proc/driver/nvidia/version").exists():
        pytest.skip("this machine has an NVIDIA driver")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    res = subprocess.run(
        [sys.executable, "-m", "rouse_py.cuda_ckpt", "suspend", "--pid", str(sleeper), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert res.returncode == 3, res.stderr
    rep = json.loads(res.stdout)
    assert rep["error"]["kind"] == "driver_unavailable"
    assert "cuda-bindings" in rep["error"]["message"] or "libcuda" in rep["error"]["message"]


class _Handler(BaseHTTPRequestHandler):
    hits: list[tuple[str, str, bytes]] = []

    def _reply(self, code: int) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        _Handler.hits.append((self.command, self.path, self.rfile.read(n)))
        body = b'{"freed_bytes": 123}'
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        self._reply(500 if self.path.startswith("/fail") else 200)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *a):
        pass


@pytest.fixture
def http_server():
    srv = HTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Handler.hits = []
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_http_hook_parse():
    assert HttpHook.parse("http://h/x").method == "POST"
    h = HttpHook.parse('PUT http://h/x {"tags": ["kv_cache"]}')
    assert (h.method, h.url, h.body) == ("PUT", "http://h/x", '{"tags": ["kv_cache"]}')
    assert HttpHook.parse("http://h/x {}").body == "{}"
    for bad in ("", "GET", "ftp://x"):
        with pytest.raises(ValueError):
            HttpHook.parse(bad)


def test_http_hooks_through_the_cli(sleeper, http_server, capsys):
    drv = FakeDriver([sleeper])
    argv = ["suspend", "--pid", str(sleeper), "--json", "--pre-suspend-http", f"{http_server}/release"]
    code, rep, _ = run(argv, drv, capsys)
    assert code == 0 and _Handler.hits[0][:2] == ("POST", "/release")
    assert rep["hooks"][0]["result"]["response"] == {"freed_bytes": 123}
    code, rep, _ = run(
        ["resume", "--pid", str(sleeper), "--json", "--post-resume-http", f"GET {http_server}/regrow"], drv, capsys
    )
    assert code == 0 and _Handler.hits[-1][:2] == ("GET", "/regrow")


def test_failing_http_hook_aborts_before_lock(sleeper, http_server, capsys):
    drv = FakeDriver([sleeper])
    argv = ["suspend", "--pid", str(sleeper), "--json", "--pre-suspend-http", f"{http_server}/fail"]
    code, rep, _ = run(argv, drv, capsys)
    assert code == 9 and "HTTP 500" in rep["hooks"][0]["error"]["message"]
    assert not drv.ops("lock") and drv.states[sleeper] is R
