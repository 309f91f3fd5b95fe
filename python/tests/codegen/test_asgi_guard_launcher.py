"""The in-process guard's launcher (`python -m rouse_guard MODULE:APP RUN ARGS`, how SGLang is
started), run for real: the template body written as rouse_guard.py, a module with a
module-level FastAPI app (like sglang.srt.entrypoints.http_server) and a runner module that
serves it with uvicorn when run as __main__ (like sglang.launch_server). The guard must be
active in the server the runner starts, and ARGS must reach the runner's sys.argv."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from asgi_guard_support import ADMIN, KEY, KEY_VAR, admin_header, bearer, engine_tables, get

ENGINE_MODULE = """
import sys
from fastapi import FastAPI

app = FastAPI()
reached = []


@app.post("/release_memory_occupation")
async def release():
    reached.append("release")
    return {"released": True}


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/v1/argv")
async def argv():
    return {"argv": sys.argv, "reached": reached}
"""

RUNNER_MODULE = """
import argparse
import uvicorn
from tiny_engine import app  # the same module object the launcher changed

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("--model-path")
parser.add_argument("--flag", action="store_true")
args = parser.parse_args()
uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launcher_env(workdir) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUSE_")}
    return env | {
        "PYTHONPATH": str(workdir),
        "ROUSE_GUARD_KEY_ENV": KEY_VAR,
        KEY_VAR: KEY,
        "ROUSE_ADMIN_TOKEN": ADMIN,
    }


@pytest.fixture
def workdir(tmp_path):
    # The module as an emitted app carries it (GUARD_MODULE: imports, route rules, guard).
    (tmp_path / "rouse_guard.py").write_text(engine_tables()["sglang"][2].read_text())
    (tmp_path / "tiny_engine.py").write_text(ENGINE_MODULE)
    (tmp_path / "tiny_launch.py").write_text(RUNNER_MODULE)
    return tmp_path


def test_launcher_guards_the_runner_server_and_passes_args(workdir):
    port = free_port()
    args = ["--port", str(port), "--model-path", "Qwen/Qwen3-8B with space", "--flag"]
    argv = [sys.executable, "-m", "rouse_guard", "tiny_engine:app", "tiny_launch", *args]
    proc = subprocess.Popen(argv, cwd=workdir, env=launcher_env(workdir), stderr=subprocess.PIPE)
    try:
        assert wait_for_port(proc, port), proc.stderr.read().decode()[-2000:]
        assert get(port, "/health").status == 200
        for target in ("/release_memory_occupation", "/release_memory_occupation/", "/v1/../release_memory_occupation"):
            assert get(port, target, bearer(), method="POST").status in (400, 404), target
        assert get(port, "/docs").status == 404
        assert get(port, "/v1/argv").status == 401
        answer = get(port, "/v1/argv", bearer(), "X-Rouse-Boot: ?")
        assert answer.status == 200 and answer.header("x-rouse-boot") == "cold"
        seen = json.loads(answer.body)
        assert seen["argv"][0].endswith("tiny_launch.py") and seen["argv"][1:] == args
        assert seen["reached"] == []
        # app.py's admin token reaches the admin route through the same server.
        assert get(port, "/release_memory_occupation", admin_header(), method="POST").status == 200
        assert json.loads(get(port, "/v1/argv", bearer()).body)["reached"] == ["release"]
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()


@pytest.mark.parametrize(
    "args",
    [[], ["tiny_engine:app"], ["tiny_engine", "tiny_launch"]],
    ids=["nothing", "no-runner", "no-attribute"],
)
def test_launcher_usage_errors(workdir, args):
    proc = subprocess.run(
        [sys.executable, "-m", "rouse_guard", *args],
        cwd=workdir,
        env=launcher_env(workdir),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0 and "usage: python -m rouse_guard MODULE:APP RUN" in proc.stderr


def start_launcher(workdir, env, port: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "rouse_guard", "tiny_engine:app", "tiny_launch", "--port", str(port)]
    return subprocess.Popen(argv, cwd=workdir, env=env, stderr=subprocess.PIPE)


def wait_for_port(proc: subprocess.Popen, port: int, timeout: float = 30) -> bool:
    """True once the port accepts; False if the process exits first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        assert time.monotonic() < deadline, "neither serving nor exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def test_launcher_without_the_key_serves_nothing(workdir):
    """A key variable named but unset: nothing is served, the admin route least of all (the
    guard is built at the app's first call, so the server answers 500 to everything)."""
    env = launcher_env(workdir)
    del env[KEY_VAR]
    port = free_port()
    proc = start_launcher(workdir, env, port)
    try:
        if wait_for_port(proc, port):
            for target, method in (("/health", "GET"), ("/v1/argv", "GET"), ("/release_memory_occupation", "POST")):
                answer = get(port, target, bearer(), admin_header(), method=method)
                assert answer.status == 500 and b"released" not in answer.body, target
    finally:
        proc.terminate()
        proc.wait(10)
        assert KEY_VAR in proc.stderr.read().decode()
        proc.stderr.close()


def test_launcher_exits_at_once_without_the_key(workdir):
    """Better than 500s until app.py's readiness timeout: main() should fail before running
    the engine (e.g. build RouseGuard once first), so the start fails fast and says why."""
    env = launcher_env(workdir)
    del env[KEY_VAR]
    port = free_port()
    proc = start_launcher(workdir, env, port)
    try:
        assert not wait_for_port(proc, port) and proc.returncode != 0
    finally:
        proc.kill()
        proc.wait(10)
        proc.stderr.close()
