"""FakeDriver: a stand-in for the CUDA checkpoint driver API, for tests without a GPU.

It keeps the per-process state machine the driver enforces (wrong-state calls return
CUDA_ERROR_ILLEGAL_STATE, unknown pids CUDA_ERROR_NOT_FOUND), logs every call in order,
and lets a test inject an error code for (op, pid), optionally moving the process to a state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from rouse_py.cuda_ckpt.driver import (
    CUDA_ERROR_ILLEGAL_STATE,
    CUDA_ERROR_NOT_FOUND,
    DriverCallError,
    ProcessState,
)

R, L, C = ProcessState.RUNNING, ProcessState.LOCKED, ProcessState.CHECKPOINTED

# op -> (state required, state after)
TRANSITIONS = {
    "lock": (R, L),
    "checkpoint": (L, C),
    "restore": (C, L),
    "unlock": (L, R),
}


@dataclass
class Injected:
    code: int
    state_after: ProcessState | None = None
    times: int = 1  # how many calls fail; -1 forever


class FakeDriver:
    def __init__(self, pids: dict[int, ProcessState] | list[int] | None = None, gpu_bytes: int = 1 << 30) -> None:
        if isinstance(pids, dict):
            self.states = dict(pids)
        else:
            self.states = {p: R for p in (pids or [])}
        self.gpu_bytes = {p: gpu_bytes for p in self.states}
        self.calls: list[tuple[str, int]] = []
        self.errors: dict[tuple[str, int], Injected] = {}
        self._mu = threading.Lock()

    def inject(self, op: str, pid: int, code: int, *, state_after: ProcessState | None = None, times: int = 1) -> None:
        self.errors[(op, pid)] = Injected(code, state_after, times)

    def _maybe_fail(self, op: str, pid: int) -> None:
        inj = self.errors.get((op, pid))
        if inj and inj.times != 0:
            if inj.times > 0:
                inj.times -= 1
            if inj.state_after is not None:
                self.states[pid] = inj.state_after
            raise DriverCallError(op, pid, inj.code)

    def _op(self, op: str, pid: int) -> None:
        with self._mu:
            self.calls.append((op, pid))
            self._maybe_fail(op, pid)
            if pid not in self.states:
                raise DriverCallError(op, pid, CUDA_ERROR_NOT_FOUND)
            need, after = TRANSITIONS[op]
            if self.states[pid] is not need:
                raise DriverCallError(op, pid, CUDA_ERROR_ILLEGAL_STATE)
            self.states[pid] = after

    # CheckpointDriver
    def get_state(self, pid: int) -> ProcessState:
        with self._mu:
            self.calls.append(("get_state", pid))
            self._maybe_fail("get_state", pid)
            if pid not in self.states:
                raise DriverCallError("get_state", pid, CUDA_ERROR_NOT_FOUND)
            return self.states[pid]

    def lock(self, pid: int, timeout_ms: int) -> None:
        self._op("lock", pid)

    def checkpoint(self, pid: int) -> None:
        self._op("checkpoint", pid)

    def restore(self, pid: int) -> None:
        self._op("restore", pid)

    def unlock(self, pid: int) -> None:
        self._op("unlock", pid)

    def restore_thread_id(self, pid: int) -> int:
        return pid + 1

    def info(self) -> dict[str, Any]:
        return {"driver_version": "fake", "cuda_driver_version": "13.0", "cuda_bindings": "fake"}

    # helpers for assertions
    def ops(self, *names: str) -> list[tuple[str, int]]:
        return [c for c in self.calls if c[0] in names]


class FakeGpu:
    """GpuMemoryReader over a FakeDriver: a process holds its bytes unless checkpointed;
    `other_used` is memory some other engine holds meanwhile."""

    source = "fake"

    def __init__(self, drv: FakeDriver, total: int = 80 << 30) -> None:
        self.drv = drv
        self.total = total
        self.other_used = 0

    def per_process(self) -> dict[int, int] | None:
        return {p: b for p, b in self.drv.gpu_bytes.items() if self.drv.states.get(p) is not C}

    def device_used(self) -> int | None:
        return sum(self.per_process().values()) + self.other_used

    def device_free(self) -> int | None:
        return self.total - self.device_used()
