"""Engine-agnostic GPU suspend/resume through the CUDA checkpoint driver API (driver >= 570).

    python -m rouse_py.cuda_ckpt {suspend,resume,state} --pid PID [--tree] [--timeout-ms N] [--json]

The driver sits behind `CheckpointDriver` (a Protocol); `Coordinator` holds the ordering and
rollback logic; `cuda-bindings` is imported only when `CudaBindingsDriver` is built.
"""

from .core import (
    Coordinator,
    InsufficientGpuMemory,
    InvalidState,
    NoSuchProcess,
    NotCudaProcess,
    OperationFailed,
    PermissionDenied,
)
from .driver import (
    CheckpointDriver,
    CudaBindingsDriver,
    CudaCkptError,
    DriverCallError,
    DriverUnavailable,
    ProcessState,
)
from .gpumem import GpuMemoryReader, default_reader
from .hooks import CallableHook, Hook, HttpHook
from .ledger import Ledger
from .proctree import has_nvidia_mappings, process_tree

__all__ = [
    "CallableHook",
    "CheckpointDriver",
    "Coordinator",
    "CudaBindingsDriver",
    "CudaCkptError",
    "DriverCallError",
    "DriverUnavailable",
    "GpuMemoryReader",
    "Hook",
    "HttpHook",
    "InsufficientGpuMemory",
    "InvalidState",
    "Ledger",
    "NoSuchProcess",
    "NotCudaProcess",
    "OperationFailed",
    "PermissionDenied",
    "ProcessState",
    "default_reader",
    "has_nvidia_mappings",
    "process_tree",
]
