"""The CUDA checkpoint driver API behind a tiny interface.

`CheckpointDriver` is the Protocol the coordinator talks to; `CudaBindingsDriver`
implements it on `cuda-bindings` (imported lazily, so this module loads on a machine
without CUDA). Tests use a state-machine stand-in instead (tests/cuda_ckpt).
"""

from __future__ import annotations

import enum
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

# CUresult codes we reason about (values from cuda.h; they never change).
CUDA_SUCCESS = 0
CUDA_ERROR_INVALID_VALUE = 1
CUDA_ERROR_OUT_OF_MEMORY = 2
CUDA_ERROR_NOT_INITIALIZED = 3
CUDA_ERROR_NO_DEVICE = 100
CUDA_ERROR_OPERATING_SYSTEM = 304
CUDA_ERROR_ILLEGAL_STATE = 401
CUDA_ERROR_NOT_FOUND = 500
CUDA_ERROR_NOT_READY = 600
CUDA_ERROR_NOT_PERMITTED = 800
CUDA_ERROR_NOT_SUPPORTED = 801
CUDA_ERROR_TIMEOUT = 909
CUDA_ERROR_UNKNOWN = 999

ERROR_NAMES = {
    CUDA_SUCCESS: "CUDA_SUCCESS",
    CUDA_ERROR_INVALID_VALUE: "CUDA_ERROR_INVALID_VALUE",
    CUDA_ERROR_OUT_OF_MEMORY: "CUDA_ERROR_OUT_OF_MEMORY",
    CUDA_ERROR_NOT_INITIALIZED: "CUDA_ERROR_NOT_INITIALIZED",
    CUDA_ERROR_NO_DEVICE: "CUDA_ERROR_NO_DEVICE",
    CUDA_ERROR_OPERATING_SYSTEM: "CUDA_ERROR_OPERATING_SYSTEM",
    CUDA_ERROR_ILLEGAL_STATE: "CUDA_ERROR_ILLEGAL_STATE",
    CUDA_ERROR_NOT_FOUND: "CUDA_ERROR_NOT_FOUND",
    CUDA_ERROR_NOT_READY: "CUDA_ERROR_NOT_READY",
    CUDA_ERROR_NOT_PERMITTED: "CUDA_ERROR_NOT_PERMITTED",
    CUDA_ERROR_NOT_SUPPORTED: "CUDA_ERROR_NOT_SUPPORTED",
    CUDA_ERROR_TIMEOUT: "CUDA_ERROR_TIMEOUT",
    CUDA_ERROR_UNKNOWN: "CUDA_ERROR_UNKNOWN",
}

# The checkpoint API appeared in driver 570 (CUDA 12.8).
MIN_CUDA_DRIVER_VERSION = 12080
MIN_DRIVER_MAJOR = 570
CHECKPOINT_SYMBOLS = (
    "cuCheckpointProcessGetState",
    "cuCheckpointProcessLock",
    "cuCheckpointProcessCheckpoint",
    "cuCheckpointProcessRestore",
    "cuCheckpointProcessUnlock",
    "cuCheckpointProcessGetRestoreThreadId",
)


class ProcessState(enum.StrEnum):
    """CUprocessState, by name."""

    RUNNING = "running"
    LOCKED = "locked"
    CHECKPOINTED = "checkpointed"
    FAILED = "failed"
    CHECKPOINTING = "checkpointing"
    RESTORING = "restoring"


STATE_BY_CODE = {
    0: ProcessState.RUNNING,
    1: ProcessState.LOCKED,
    2: ProcessState.CHECKPOINTED,
    3: ProcessState.FAILED,
    4: ProcessState.CHECKPOINTING,
    5: ProcessState.RESTORING,
}


class CudaCkptError(Exception):
    """Base error. `kind` is stable (JSON `error.kind`); `exit_code` is the CLI's."""

    kind = "error"
    exit_code = 1

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": str(self)}


class DriverUnavailable(CudaCkptError):
    """No driver, no bindings, or a driver/bindings without the checkpoint API."""

    kind = "driver_unavailable"
    exit_code = 3


class DriverCallError(CudaCkptError):
    """A cuCheckpoint* call returned an error code."""

    kind = "driver_call"
    exit_code = 7

    def __init__(self, op: str, pid: int, code: int, name: str | None = None) -> None:
        self.op = op
        self.pid = pid
        self.code = int(code)
        self.name = name or ERROR_NAMES.get(self.code, f"CUresult({self.code})")
        super().__init__(f"{op}(pid={pid}) -> {self.name}")

    @property
    def timed_out(self) -> bool:
        return self.code in (CUDA_ERROR_NOT_READY, CUDA_ERROR_TIMEOUT)

    @property
    def permission(self) -> bool:
        return self.code == CUDA_ERROR_NOT_PERMITTED

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": str(self),
            "op": self.op,
            "pid": self.pid,
            "code": self.code,
            "name": self.name,
        }


class CheckpointDriver(Protocol):
    """What the coordinator needs from the driver. Every method raises DriverCallError on a non-success code."""

    def get_state(self, pid: int) -> ProcessState: ...

    def lock(self, pid: int, timeout_ms: int) -> None: ...

    def checkpoint(self, pid: int) -> None: ...

    def restore(self, pid: int) -> None: ...

    def unlock(self, pid: int) -> None: ...

    def restore_thread_id(self, pid: int) -> int: ...

    def info(self) -> dict[str, Any]: ...


def kernel_driver_version(proc_root: str = "/proc") -> str | None:
    """The NVIDIA kernel module's version (e.g. '580.159.04'), or None without a driver."""
    try:
        text = Path(proc_root, "driver/nvidia/version").read_text()
    except OSError:
        return None
    m = re.search(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)", text) or re.search(
        r"\b(\d{3}\.\d+(?:\.\d+)?)\b", text
    )
    return m.group(1) if m else None


class CudaBindingsDriver:
    """CheckpointDriver on `cuda.bindings.driver` (cuda-bindings ≥ 12.8)."""

    def __init__(self) -> None:
        self._driver_version = kernel_driver_version()
        try:
            from cuda.bindings import driver as cu  # noqa: PLC0415 (lazy on purpose)
        except ImportError as e:
            raise DriverUnavailable(
                f"cuda-bindings is not importable ({e}); install it: pip install 'cuda-bindings>=12.8'"
                + self._driver_suffix()
            ) from e
        try:
            import cuda.bindings as cb  # noqa: PLC0415

            self._bindings_version = str(getattr(cb, "__version__", "unknown"))
        except ImportError:  # pragma: no cover
            self._bindings_version = "unknown"
        self._cu = cu
        missing = [s for s in CHECKPOINT_SYMBOLS if not hasattr(cu, s)]
        if missing:
            raise DriverUnavailable(
                f"cuda-bindings {self._bindings_version} lacks {missing[0]} (needs cuda-bindings >= 12.8)"
                + self._driver_suffix()
            )
        try:
            (err,) = cu.cuInit(0)
        except Exception as e:  # the bindings raise when libcuda.so cannot be loaded
            raise DriverUnavailable(
                f"cannot load the NVIDIA driver library libcuda.so ({e})" + self._driver_suffix()
            ) from e
        if int(err) != CUDA_SUCCESS:
            raise DriverUnavailable(f"cuInit(0) -> {self._name(err)}" + self._driver_suffix())
        err, ver = cu.cuDriverGetVersion()
        self._cuda_driver_version = int(ver) if int(err) == CUDA_SUCCESS else None
        self._check_symbols()
        self._lock = threading.Lock()

    # -- helpers -------------------------------------------------------------------------------

    def _driver_suffix(self) -> str:
        return f"; NVIDIA driver {self._driver_version}" if self._driver_version else "; no NVIDIA kernel driver found"

    def _name(self, err: Any) -> str:
        name = getattr(err, "name", None)
        return str(name) if name else ERROR_NAMES.get(int(err), f"CUresult({int(err)})")

    def _check_symbols(self) -> None:
        """Ask libcuda for each checkpoint symbol so a too-old driver is named precisely."""
        cu = self._cu
        cuda_ver = self._cuda_driver_version or 0
        if cuda_ver and cuda_ver < MIN_CUDA_DRIVER_VERSION:
            raise DriverUnavailable(
                f"driver supports CUDA {cuda_ver // 1000}.{cuda_ver % 1000 // 10}, which lacks cuCheckpointProcessLock "
                f"(needs driver >= {MIN_DRIVER_MAJOR}, CUDA 12.8)" + self._driver_suffix()
            )
        get_proc = getattr(cu, "cuGetProcAddress", None)
        flags = getattr(getattr(cu, "CUdriverProcAddress_flags", None), "CU_GET_PROC_ADDRESS_DEFAULT", 0)
        if get_proc is None:
            return
        for sym in CHECKPOINT_SYMBOLS:
            try:
                res = get_proc(sym.encode(), max(cuda_ver, MIN_CUDA_DRIVER_VERSION), flags)
                found = int(res[0]) == CUDA_SUCCESS and bool(int(res[1]))
            except Exception:  # older bindings' signature differs; the call itself will tell
                return
            if not found:
                raise DriverUnavailable(
                    f"the driver's libcuda lacks {sym} (cuGetProcAddress -> {self._name(res[0])}); "
                    f"needs driver >= {MIN_DRIVER_MAJOR}" + self._driver_suffix()
                )

    def _call(self, op: str, pid: int, fn: Any, *args: Any) -> Any:
        try:
            res = fn(pid, *args)
        except Exception as e:  # missing symbol in libcuda surfaces here in some bindings versions
            raise DriverUnavailable(f"{op} is not callable ({e})" + self._driver_suffix()) from e
        err = res[0]
        if int(err) != CUDA_SUCCESS:
            raise DriverCallError(op, pid, int(err), self._name(err))
        return res[1] if len(res) > 1 else None

    # -- CheckpointDriver -------------------------------------------------------------------------

    def get_state(self, pid: int) -> ProcessState:
        state = self._call("cuCheckpointProcessGetState", pid, self._cu.cuCheckpointProcessGetState)
        return STATE_BY_CODE.get(int(state), ProcessState.FAILED)

    def lock(self, pid: int, timeout_ms: int) -> None:
        args = None
        if timeout_ms > 0:
            args = self._cu.CUcheckpointLockArgs()
            args.timeoutMs = int(timeout_ms)
        self._call("cuCheckpointProcessLock", pid, self._cu.cuCheckpointProcessLock, args)

    def checkpoint(self, pid: int) -> None:
        self._call("cuCheckpointProcessCheckpoint", pid, self._cu.cuCheckpointProcessCheckpoint, None)

    def restore(self, pid: int) -> None:
        self._call("cuCheckpointProcessRestore", pid, self._cu.cuCheckpointProcessRestore, None)

    def unlock(self, pid: int) -> None:
        self._call("cuCheckpointProcessUnlock", pid, self._cu.cuCheckpointProcessUnlock, None)

    def restore_thread_id(self, pid: int) -> int:
        return int(
            self._call("cuCheckpointProcessGetRestoreThreadId", pid, self._cu.cuCheckpointProcessGetRestoreThreadId)
        )

    def info(self) -> dict[str, Any]:
        v = self._cuda_driver_version
        return {
            "driver_version": self._driver_version,
            "cuda_driver_version": f"{v // 1000}.{v % 1000 // 10}" if v else None,
            "cuda_bindings": self._bindings_version,
            "caller_pid": os.getpid(),
        }
