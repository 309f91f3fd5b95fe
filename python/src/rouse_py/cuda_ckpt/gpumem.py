"""GPU memory per process and per device: NVML (pynvml) if importable, else nvidia-smi, else nothing."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any, Protocol


class GpuMemoryReader(Protocol):
    source: str

    def per_process(self) -> dict[int, int] | None:
        """pid -> bytes of GPU memory the driver attributes to it (all GPUs summed); None if unknown."""
        ...

    def device_used(self) -> int | None:
        """Bytes of GPU memory in use on all GPUs together; None if unknown."""
        ...

    def device_free(self) -> int | None:
        """Bytes of GPU memory free on all GPUs together; None if unknown."""
        ...


class NullReader:
    source = "none"

    def per_process(self) -> dict[int, int] | None:
        return None

    def device_used(self) -> int | None:
        return None

    def device_free(self) -> int | None:
        return None


class NvmlReader:
    source = "nvml"

    def __init__(self) -> None:
        import pynvml  # noqa: PLC0415 (optional dependency: nvidia-ml-py)

        pynvml.nvmlInit()
        self._nv: Any = pynvml
        self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]

    def per_process(self) -> dict[int, int] | None:
        out: dict[int, int] = {}
        for h in self._handles:
            for p in self._nv.nvmlDeviceGetComputeRunningProcesses(h):
                used = p.usedGpuMemory
                out[int(p.pid)] = out.get(int(p.pid), 0) + (int(used) if used is not None else 0)
        return out

    def device_used(self) -> int | None:
        return sum(int(self._nv.nvmlDeviceGetMemoryInfo(h).used) for h in self._handles)

    def device_free(self) -> int | None:
        return sum(int(self._nv.nvmlDeviceGetMemoryInfo(h).free) for h in self._handles)


class NvidiaSmiReader:
    source = "nvidia-smi"

    def __init__(self, exe: str) -> None:
        self._exe = exe

    def _query(self, args: list[str]) -> list[list[str]] | None:
        try:
            res = subprocess.run(
                [self._exe, *args, "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if res.returncode != 0:
            return None
        return [[c.strip() for c in line.split(",")] for line in res.stdout.splitlines() if line.strip()]

    def per_process(self) -> dict[int, int] | None:
        rows = self._query(["--query-compute-apps=pid,used_memory"])
        if rows is None:
            return None
        out: dict[int, int] = {}
        for row in rows:
            try:
                pid, mib = int(row[0]), int(row[1])
            except (ValueError, IndexError):
                continue
            out[pid] = out.get(pid, 0) + mib * 1024 * 1024
        return out

    def _gpu_sum(self, field: str) -> int | None:
        rows = self._query([f"--query-gpu={field}"])
        if rows is None:
            return None
        try:
            return sum(int(r[0]) for r in rows) * 1024 * 1024
        except (ValueError, IndexError):
            return None

    def device_used(self) -> int | None:
        return self._gpu_sum("memory.used")

    def device_free(self) -> int | None:
        return self._gpu_sum("memory.free")


def default_reader() -> GpuMemoryReader:
    try:
        return NvmlReader()
    except Exception:  # no pynvml, or NVML could not initialise
        pass
    exe = shutil.which("nvidia-smi")
    if exe:
        return NvidiaSmiReader(exe)
    return NullReader()
