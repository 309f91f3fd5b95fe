"""What each suspended process held on the GPU, kept between the `suspend` and `resume` commands.

`resume` reads it to refuse a restore that cannot fit: on driver 580 a restore that fails for
lack of GPU memory (CUDA_ERROR_OUT_OF_MEMORY) leaves the process checkpointed, but the next
restore then fails with CUDA_ERROR_OPERATING_SYSTEM and the process never runs again (seen on
the H100, see bench/results/cuda-checkpoint.md). So the free memory is checked first.

One JSON file per pid under $ROUSE_CUDA_CKPT_STATE_DIR (default /tmp/rouse-cuda-ckpt-<uid>),
tagged with the process start time so a reused pid is not mistaken for the suspended one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .proctree import read_stat


def default_dir() -> Path:
    return Path(os.environ.get("ROUSE_CUDA_CKPT_STATE_DIR") or f"/tmp/rouse-cuda-ckpt-{os.geteuid()}")


def _starttime(pid: int, proc_root: str) -> str | None:
    try:
        text = Path(proc_root, str(pid), "stat").read_text()
    except OSError:
        return None
    if read_stat(pid, proc_root) is None:
        return None
    fields = text[text.rfind(")") + 1 :].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of stat: starttime


class Ledger:
    def __init__(self, directory: Path | str | None = None, proc_root: str = "/proc") -> None:
        self.dir = Path(directory) if directory is not None else default_dir()
        self.proc_root = proc_root

    def _path(self, pid: int) -> Path:
        return self.dir / f"{pid}.json"

    def save(self, pid: int, gpu_bytes: int) -> None:
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            rec = {
                "pid": pid,
                "starttime": _starttime(pid, self.proc_root),
                "gpu_bytes": int(gpu_bytes),
                "at": time.time(),
            }
            tmp = self._path(pid).with_suffix(".tmp")
            tmp.write_text(json.dumps(rec))
            tmp.replace(self._path(pid))
        except OSError:
            pass  # best effort: resume then runs without the memory check

    def load(self, pid: int) -> int | None:
        try:
            rec = json.loads(self._path(pid).read_text())
        except (OSError, ValueError):
            return None
        if rec.get("starttime") != _starttime(pid, self.proc_root):
            return None
        return int(rec["gpu_bytes"])

    def drop(self, pid: int) -> None:
        try:
            self._path(pid).unlink()
        except OSError:
            pass
