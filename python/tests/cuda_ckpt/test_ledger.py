"""Resume checks that the restore fits before touching anything (the ledger of suspended bytes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cuda_ckpt_fakes import C, FakeDriver, FakeGpu, R

from rouse_py.cuda_ckpt import Coordinator, InsufficientGpuMemory, Ledger
from rouse_py.cuda_ckpt.cli import main

PIDS = [101, 102]
GiB = 1 << 30


@pytest.fixture
def sleeper():
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield p.pid
    finally:
        p.kill()
        p.wait(timeout=10)


def test_ledger_round_trip_and_pid_reuse_guard(tmp_path: Path, sleeper):
    led = Ledger(tmp_path)
    led.save(sleeper, 5 * GiB)
    assert led.load(sleeper) == 5 * GiB
    rec = json.loads((tmp_path / f"{sleeper}.json").read_text())
    rec["starttime"] = "1"  # another process that once had this pid
    (tmp_path / f"{sleeper}.json").write_text(json.dumps(rec))
    assert led.load(sleeper) is None
    led.drop(sleeper)
    assert led.load(sleeper) is None and not (tmp_path / f"{sleeper}.json").exists()
    assert Ledger(tmp_path / "none").load(os.getpid()) is None


def make(tmp_path: Path, total: int = 8 * GiB):
    drv = FakeDriver(list(PIDS), gpu_bytes=2 * GiB)
    gpu = FakeGpu(drv, total=total)
    # the fake pids are not real processes: the ledger's pid-reuse guard sees no start time for them
    return drv, gpu, Coordinator(drv, gpu=gpu, ledger=Ledger(tmp_path, proc_root=str(tmp_path / "noproc")))


def test_resume_refuses_a_restore_that_cannot_fit(tmp_path: Path):
    drv, gpu, co = make(tmp_path)
    co.suspend(PIDS)
    gpu.other_used = 5 * GiB  # another engine took the GPU meanwhile: 3 GiB free, 4 GiB needed
    with pytest.raises(InsufficientGpuMemory) as ei:
        co.resume(PIDS)
    assert ei.value.exit_code == 11 and ei.value.need == 4 * GiB and ei.value.free == 3 * GiB
    assert not drv.ops("restore", "unlock") and drv.states == {p: C for p in PIDS}
    gpu.other_used = 0  # it let go
    assert co.resume(PIDS)["memory_check"]["need_bytes"] == 4 * GiB
    assert drv.states == {p: R for p in PIDS}
    assert not list(tmp_path.glob("*.json"))  # ledger emptied on resume


def test_force_skips_the_check(tmp_path: Path):
    drv, gpu, co = make(tmp_path)
    co.suspend(PIDS)
    gpu.other_used = 7 * GiB
    assert co.resume(PIDS, force=True)["ok"]
    assert drv.states == {p: R for p in PIDS}


def test_cli_exit_code_and_verbose_log(sleeper, capsys):
    drv = FakeDriver([sleeper], gpu_bytes=6 * GiB)
    gpu = FakeGpu(drv, total=8 * GiB)
    assert main(["suspend", "--pid", str(sleeper), "-v"], driver_factory=lambda: drv, gpu_factory=lambda: gpu) == 0
    err = capsys.readouterr().err
    assert f"suspend: lock pid {sleeper} ..." in err and f"suspend: checkpoint pid {sleeper} ok" in err
    gpu.other_used = 4 * GiB
    code = main(["resume", "--pid", str(sleeper), "--json"], driver_factory=lambda: drv, gpu_factory=lambda: gpu)
    rep = json.loads(capsys.readouterr().out)
    assert code == 11 and rep["error"]["kind"] == "insufficient_gpu_memory" and drv.states[sleeper] is C
    assert rep["error"]["need_bytes"] == 6 * GiB
    gpu.other_used = 0
    assert main(["resume", "--pid", str(sleeper)], driver_factory=lambda: drv, gpu_factory=lambda: gpu) == 0
    assert drv.states[sleeper] is R
