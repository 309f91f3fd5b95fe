"""Against the real driver: run on the device (an NVIDIA driver >= 570, cuda-bindings, torch)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rouse_py.cuda_ckpt.driver import MIN_DRIVER_MAJOR, kernel_driver_version

SRC = Path(__file__).resolve().parents[2] / "src"


def _gpu() -> bool:
    v = kernel_driver_version()
    if not v:
        return False
    try:
        if int(v.split(".")[0]) < MIN_DRIVER_MAJOR:
            return False
        return importlib.util.find_spec("cuda.bindings") is not None
    except (ValueError, ImportError):
        return False


gpu = _gpu()
torch_present = importlib.util.find_spec("torch") is not None
pytestmark = pytest.mark.skipif(not gpu, reason="needs an NVIDIA driver ≥570: run on the device")
needs_torch = pytest.mark.skipif(gpu and not torch_present, reason="needs torch with CUDA")

# A CUDA process: 512 MiB of random int64 with a checksum; answers each stdin line with
# "ok" if the checksum still holds; "busy" keeps a kernel + synchronize in flight for ~3 s.
ENGINE = textwrap.dedent(
    """
    import sys, threading, torch
    a = torch.empty(64 << 20, dtype=torch.int64, device="cuda").random_()
    s = int(a.sum())
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() == "busy":
            threading.Thread(target=lambda: (torch.cuda._sleep(int(6e9)), torch.cuda.synchronize())).start()
            print("busy", flush=True)
        else:
            print("ok" if int(a.sum()) == s else "CORRUPT", flush=True)
    """
)
# A parent with no CUDA that starts the engine above.
PARENT = textwrap.dedent(
    """
    import subprocess, sys
    c = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdin=sys.stdin, stdout=sys.stdout)
    c.wait()
    """
)


def cli(*args: str, timeout: float = 120) -> tuple[int, dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run(
        [sys.executable, "-m", "rouse_py.cuda_ckpt", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    print(r.stdout[-3000:], r.stderr[-1000:])
    return r.returncode, json.loads(r.stdout)


class Engine:
    def __init__(self, with_parent: bool = False) -> None:
        argv = [sys.executable, "-c", PARENT, ENGINE] if with_parent else [sys.executable, "-c", ENGINE]
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "READY"

    def ask(self, line: str = "check") -> str:
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self) -> None:
        self.p.stdin.close()
        self.p.wait(timeout=60)


def test_the_real_driver_is_usable():
    from rouse_py.cuda_ckpt import CudaBindingsDriver

    info = CudaBindingsDriver().info()
    assert int(info["driver_version"].split(".")[0]) >= MIN_DRIVER_MAJOR


def test_a_process_without_cuda_is_refused():
    p = subprocess.Popen(["sleep", "60"])
    try:
        code, rep = cli("suspend", "--pid", str(p.pid))
        assert code == 4 and rep["error"]["kind"] == "not_cuda"
    finally:
        p.kill()
        p.wait()


@needs_torch
def test_suspend_frees_the_gpu_and_resume_keeps_the_data():
    e = Engine()
    pid = str(e.p.pid)
    try:
        code, st = cli("state", "--pid", pid)
        assert code == 0 and st["tree_state"] == "running"
        assert st["discovery"]["processes"][0]["maps_nvidia"] is True
        code, rep = cli("suspend", "--pid", pid)
        assert code == 0 and rep["final_states"][pid] == "checkpointed"
        assert rep["summary"]["gpu_bytes"] >= 512 << 20
        code, st = cli("state", "--pid", pid)
        assert st["tree_state"] == "suspended" and not st["processes"][0]["gpu_bytes"]
        code, rep = cli("resume", "--pid", pid)
        assert code == 0 and rep["final_states"][pid] == "running"
        assert e.ask() == "ok"
    finally:
        cli("resume", "--pid", pid)
        e.close()


@needs_torch
def test_tree_suspend_skips_the_parent_without_cuda():
    e = Engine(with_parent=True)
    root = str(e.p.pid)
    try:
        code, rep = cli("suspend", "--pid", root, "--tree")
        assert code == 0
        assert len(rep["discovery"]["targets"]) == 1 and rep["discovery"]["targets"][0] != int(root)
        code, rep = cli("resume", "--pid", root, "--tree")
        assert code == 0 and e.ask() == "ok"
    finally:
        cli("resume", "--pid", root, "--tree")
        e.close()


@needs_torch
def test_lock_timeout_leaves_the_process_running():
    e = Engine()
    pid = str(e.p.pid)
    try:
        assert e.ask("busy") == "busy"
        time.sleep(0.3)
        code, rep = cli("suspend", "--pid", pid, "--timeout-ms", "300")
        assert code == 5, rep.get("error")
        assert rep["final_states"][pid] == "running"
        time.sleep(3.5)
        assert e.ask() == "ok"
    finally:
        cli("resume", "--pid", pid)
        e.close()
