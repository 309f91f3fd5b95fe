"""The real rouse_py.cuda_ckpt command line over a file-backed fake driver, for `measure.py --dry-run`.

A process counts as "CUDA" when a py-backend worker runs in it (its cmdline has worker.py or it
is a spawn child of group.py); states persist in $DRYRUN_STATE between invocations. No GPU needed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python" / "src"))

from rouse_py.cuda_ckpt.cli import main  # noqa: E402
from rouse_py.cuda_ckpt.driver import CUDA_ERROR_ILLEGAL_STATE, CUDA_ERROR_NOT_FOUND, DriverCallError, ProcessState  # noqa: E402
from rouse_py.cuda_ckpt.gpumem import NullReader  # noqa: E402

STEP = {
    "lock": ("running", "locked"),
    "checkpoint": ("locked", "checkpointed"),
    "restore": ("checkpointed", "locked"),
    "unlock": ("locked", "running"),
}


class FileFakeDriver:
    _mu = threading.Lock()  # --parallel calls come from several threads

    def __init__(self) -> None:
        self.path = Path(os.environ.get("DRYRUN_STATE", "/tmp/cuda-ckpt-dryrun.json"))

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def _is_cuda(self, pid: int) -> bool:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"worker.py" in cmd or b"multiprocessing.spawn" in cmd and b"resource_tracker" not in cmd

    def get_state(self, pid: int) -> ProcessState:
        if not self._is_cuda(pid):
            raise DriverCallError("cuCheckpointProcessGetState", pid, CUDA_ERROR_NOT_FOUND)
        return ProcessState(self._load().get(str(pid), "running"))

    def _op(self, op: str, pid: int) -> None:
        with self._mu:
            self._op_locked(op, pid)

    def _op_locked(self, op: str, pid: int) -> None:
        st = self._load()
        need, after = STEP[op]
        if st.get(str(pid), "running") != need:
            raise DriverCallError(op, pid, CUDA_ERROR_ILLEGAL_STATE)
        st[str(pid)] = after
        self.path.write_text(json.dumps(st))

    def lock(self, pid: int, timeout_ms: int) -> None:
        self._op("lock", pid)

    def checkpoint(self, pid: int) -> None:
        self._op("checkpoint", pid)

    def restore(self, pid: int) -> None:
        self._op("restore", pid)

    def unlock(self, pid: int) -> None:
        self._op("unlock", pid)

    def restore_thread_id(self, pid: int) -> int:
        return pid

    def info(self) -> dict[str, Any]:
        return {"driver_version": "dry-run", "cuda_driver_version": None, "cuda_bindings": None}


if __name__ == "__main__":
    sys.exit(main(driver_factory=FileFakeDriver, gpu_factory=NullReader))
