"""Suspend / resume a set of CUDA processes as one unit, with rollback on every failure path.

State machine per process (CUprocessState):

    RUNNING --lock--> LOCKED --checkpoint--> CHECKPOINTED --restore--> LOCKED --unlock--> RUNNING

Ordering across processes (engines whose workers share memory through CUDA IPC need it):
suspend locks ALL before checkpointing ANY; resume restores ALL before unlocking ANY.
Rollback follows the same rule: restore everything checkpointed, then unlock everything locked.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .driver import CheckpointDriver, CudaCkptError, DriverCallError, ProcessState
from .gpumem import GpuMemoryReader, NullReader
from .hooks import Hook
from .ledger import Ledger
from .proctree import cmdline, has_nvidia_mappings, owner_uid, pid_exists, process_tree, read_ppid

GB = 1e9


class NoSuchProcess(CudaCkptError):
    kind = "no_such_process"
    exit_code = 4


class NotCudaProcess(CudaCkptError):
    kind = "not_cuda"
    exit_code = 4


class PermissionDenied(CudaCkptError):
    kind = "permission"
    exit_code = 6


class InvalidState(CudaCkptError):
    kind = "invalid_state"
    exit_code = 10


class InsufficientGpuMemory(CudaCkptError):
    """Resume refused before touching anything: the restore would not fit in the free GPU memory."""

    kind = "insufficient_gpu_memory"
    exit_code = 11

    def __init__(self, message: str, need: int, free: int) -> None:
        super().__init__(message)
        self.need, self.free = need, free

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "need_bytes": self.need, "free_bytes": self.free}


# Slack kept free beyond what the processes held at suspend when checking that a restore fits.
RESTORE_MARGIN_BYTES = 256 << 20


class OperationFailed(CudaCkptError):
    """A step failed. `report` holds what was done, the rollback, and the final states.

    kind: lock_timeout (5), permission (6), operation_failed (7, rolled back cleanly),
    rollback_incomplete (8: some process is NOT back in its starting state — see report.final_states),
    hook_failed (9), restore_failed (12: a process could not be restored; on driver 580 it stays
    checkpointed for good — kill the engine and start it again).
    """

    EXIT = {
        "lock_timeout": 5,
        "permission": 6,
        "operation_failed": 7,
        "rollback_incomplete": 8,
        "hook_failed": 9,
        "restore_failed": 12,
    }

    def __init__(self, kind: str, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.kind = kind
        self.exit_code = self.EXIT.get(kind, 7)
        self.report = report


def _err_json(e: BaseException) -> dict[str, Any]:
    if isinstance(e, CudaCkptError):
        return e.to_json()
    return {"kind": type(e).__name__, "message": str(e)}


def _gb(n: int | None) -> float | None:
    return None if n is None else round(n / GB, 3)


class Coordinator:
    """Drives a driver (real or fake) over a list of pids. Not re-entrant; one operation at a time."""

    def __init__(
        self,
        driver: CheckpointDriver,
        *,
        gpu: GpuMemoryReader | None = None,
        parallel: bool = False,
        clock: Callable[[], float] = time.perf_counter,
        proc_root: str = "/proc",
        self_pid: int | None = None,
        ledger: Ledger | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        self.driver = driver
        self.gpu = gpu or NullReader()
        self.parallel = parallel
        self.clock = clock
        self.proc_root = proc_root
        self.self_pid = os.getpid() if self_pid is None else self_pid
        self.ledger = ledger
        self.on_step = on_step
        self._mu = threading.Lock()
        self._steps: list[dict[str, Any]] = []
        self._t0 = clock()

    # -- discovery ---------------------------------------------------------------------------------

    def discover(self, pid: int, *, tree: bool, method: str = "auto") -> dict[str, Any]:
        """Find the CUDA processes: `pid` alone, or every process of its tree that has a checkpoint state.

        A process counts as CUDA when cuCheckpointProcessGetState succeeds for it; the /proc maps test
        (/dev/nvidia* mapped) is recorded beside it for diagnosis.
        """
        t = self.clock()
        if not pid_exists(pid, self.proc_root):
            raise NoSuchProcess(f"no process {pid}")
        if tree:
            pids, how = process_tree(pid, self.proc_root, method)
        else:
            pids, how = [pid], "single"
        procs: list[dict[str, Any]] = []
        targets: list[int] = []
        euid = os.geteuid()
        for p in pids:
            info: dict[str, Any] = {
                "pid": p,
                "ppid": read_ppid(p, self.proc_root),
                "cmd": cmdline(p, self.proc_root),
                "maps_nvidia": has_nvidia_mappings(p, self.proc_root),
            }
            uid = owner_uid(p, self.proc_root)
            foreign = uid is not None and euid != 0 and uid != euid
            if p == self.self_pid:
                info["skipped"] = "this command itself"
                procs.append(info)
                continue
            try:
                info["state"] = self.driver.get_state(p).value
                targets.append(p)
            except DriverCallError as e:
                if e.permission or (foreign and e.code != 0 and info["maps_nvidia"] is None):
                    raise PermissionDenied(
                        f"pid {p} is owned by uid {uid}, this command runs as uid {euid}: {e.name}; "
                        "run as that user or as root"
                    ) from e
                info["skipped"] = f"no CUDA checkpoint state ({e.name})"
            procs.append(info)
        if not targets:
            detail = "; ".join(
                f"pid {i['pid']}: {i.get('skipped')}, /dev/nvidia* mapped: {i['maps_nvidia']}" for i in procs
            )
            scope = f"process tree of {pid} ({len(pids)} processes)" if tree else f"process {pid}"
            raise NotCudaProcess(f"{scope} holds no CUDA context the checkpoint API knows: {detail}")
        return {
            "root_pid": pid,
            "tree": tree,
            "method": how,
            "targets": targets,
            "processes": procs,
            "seconds": round(self.clock() - t, 6),
        }

    # -- building blocks ---------------------------------------------------------------------------

    def _record(self, op: str, pid: int, t0: float, ok: bool, err: BaseException | None, phase: str) -> None:
        step = {
            "phase": phase,
            "op": op,
            "pid": pid,
            "ok": ok,
            "t_start_s": round(t0 - self._t0, 6),
            "seconds": round(self.clock() - t0, 6),
        }
        if err is not None:
            step["error"] = _err_json(err)
        with self._mu:
            self._steps.append(step)

    def _phase(
        self, op: str, pids: Sequence[int], fn: Callable[[int], None], *, stop_on_error: bool, phase: str
    ) -> tuple[list[int], list[tuple[int, BaseException]], float]:
        """Apply fn to each pid (sequentially, or all at once with parallel=True). Returns ok pids, failures, wall s."""
        t_phase = self.clock()
        done: list[int] = []
        failed: list[tuple[int, BaseException]] = []

        def one(p: int) -> BaseException | None:
            t0 = self.clock()
            if self.on_step:
                self.on_step(f"{phase}: {op} pid {p} ...")
            try:
                fn(p)
            except Exception as e:  # any failure counts; the driver's are DriverCallError
                self._record(op, p, t0, False, e, phase)
                if self.on_step:
                    self.on_step(f"{phase}: {op} pid {p} FAILED after {self.clock() - t0:.3f}s: {e}")
                return e
            self._record(op, p, t0, True, None, phase)
            if self.on_step:
                self.on_step(f"{phase}: {op} pid {p} ok {self.clock() - t0:.3f}s")
            return None

        if self.parallel and len(pids) > 1:
            with ThreadPoolExecutor(max_workers=len(pids)) as ex:
                results = list(ex.map(one, pids))
            for p, e in zip(pids, results, strict=True):
                (failed.append((p, e)) if e else done.append(p))
        else:
            for p in pids:
                e = one(p)
                if e is None:
                    done.append(p)
                else:
                    failed.append((p, e))
                    if stop_on_error:
                        break
        return done, failed, self.clock() - t_phase

    def _states(self, pids: Iterable[int]) -> dict[int, ProcessState | None]:
        out: dict[int, ProcessState | None] = {}
        for p in pids:
            try:
                out[p] = self.driver.get_state(p)
            except Exception:
                out[p] = None
        return out

    def _run_hooks(
        self, hooks: Sequence[Hook], phase: str, report: dict[str, Any], *, stop: bool
    ) -> BaseException | None:
        first: BaseException | None = None
        for h in hooks:
            t0 = self.clock()
            entry: dict[str, Any] = {"phase": phase, "name": h.name}
            try:
                entry["result"] = h()
                entry["ok"] = True
            except Exception as e:
                entry["ok"] = False
                entry["error"] = _err_json(e)
                first = first or e
            entry["seconds"] = round(self.clock() - t0, 6)
            report["hooks"].append(entry)
            if first is not None and stop:
                break
        return first

    def _rollback_to_running(self, pids: Sequence[int]) -> dict[str, Any]:
        """Restore every CHECKPOINTED pid, then unlock every LOCKED pid. Never stops early."""
        before = self._states(pids)
        to_restore = [p for p in pids if before[p] is ProcessState.CHECKPOINTED]
        restored, _, _ = self._phase("restore", to_restore, self.driver.restore, stop_on_error=False, phase="rollback")
        to_unlock = [p for p in pids if before[p] is ProcessState.LOCKED or p in restored]
        self._phase("unlock", to_unlock, self.driver.unlock, stop_on_error=False, phase="rollback")
        after = self._states(pids)
        bad = {p: (s.value if s else None) for p, s in after.items() if s is not ProcessState.RUNNING}
        return {
            "complete": not bad,
            "states": {p: (s.value if s else None) for p, s in after.items()},
            "not_running": bad,
        }

    def _rollback_to_checkpointed(
        self, restored: Sequence[int], pids: Sequence[int], initial: dict[int, ProcessState]
    ) -> dict[str, Any]:
        """Resume failed part-way: checkpoint again what this call restored, so the tree stays suspended as a whole."""
        self._phase("checkpoint", list(restored), self.driver.checkpoint, stop_on_error=False, phase="rollback")
        after = self._states(pids)
        moved = {p: (s.value if s else None) for p, s in after.items() if s is not initial[p]}
        return {
            "complete": not moved,
            "states": {p: (s.value if s else None) for p, s in after.items()},
            "changed": moved,
        }

    def _new_report(self, action: str, pids: Sequence[int]) -> dict[str, Any]:
        with self._mu:
            self._steps = []
        self._t0 = self.clock()
        return {
            "action": action,
            "ok": False,
            "pids": list(pids),
            "parallel": self.parallel,
            "hooks": [],
            "timings_s": {},
        }

    def _finish(self, report: dict[str, Any], t_start: float) -> dict[str, Any]:
        report["timings_s"]["total"] = round(self.clock() - t_start, 6)
        with self._mu:
            report["steps"] = list(self._steps)
        return report

    def _fail(self, report: dict[str, Any], t_start: float, kind: str, message: str) -> OperationFailed:
        report["error"] = {"kind": kind, "message": message}
        return OperationFailed(kind, message, self._finish(report, t_start))

    def _precheck(self, pids: Sequence[int], report: dict[str, Any]) -> dict[int, ProcessState]:
        states: dict[int, ProcessState] = {}
        for p in pids:
            try:
                states[p] = self.driver.get_state(p)
            except DriverCallError as e:
                if e.permission:
                    raise PermissionDenied(f"pid {p}: {e}") from e
                raise NotCudaProcess(f"pid {p}: {e} (not a CUDA process, or it exited)") from e
        report["states_before"] = {p: s.value for p, s in states.items()}
        return states

    def _bytes(self, pids: Sequence[int]) -> dict[str, Any]:
        per = self.gpu.per_process()
        out: dict[str, Any] = {"source": self.gpu.source, "device_used": self.gpu.device_used()}
        if per is not None:
            out["per_pid"] = {p: per.get(p, 0) for p in pids}
            out["total"] = sum(out["per_pid"].values())
        return out

    # -- operations --------------------------------------------------------------------------------

    def suspend(
        self,
        pids: Sequence[int],
        *,
        timeout_ms: int = 30_000,
        pre_hooks: Sequence[Hook] = (),
        post_hooks: Sequence[Hook] = (),
    ) -> dict[str, Any]:
        """RUNNING -> CHECKPOINTED for every pid: hooks, lock all, checkpoint all.

        On failure everything is put back to RUNNING (and `post_hooks` run to undo `pre_hooks`),
        then OperationFailed is raised with the report.
        """
        pids = list(pids)
        report = self._new_report("suspend", pids)
        t_start = self.clock()
        states = self._precheck(pids, report)
        if all(s is ProcessState.CHECKPOINTED for s in states.values()):
            report.update(ok=True, noop=True, note="already suspended")
            return self._finish(report, t_start)
        bad = {p: s.value for p, s in states.items() if s is not ProcessState.RUNNING}
        if bad:
            raise InvalidState(
                f"cannot suspend: not every process is running ({bad}); run `resume` first to bring them all back"
            )

        t = self.clock()
        err = self._run_hooks(pre_hooks, "pre_suspend", report, stop=True)
        report["timings_s"]["pre_hooks"] = round(self.clock() - t, 6)
        if err is not None:
            self._run_hooks(post_hooks, "rollback", report, stop=False)
            raise self._fail(report, t_start, "hook_failed", f"pre-suspend hook failed ({err}); nothing was locked")
        report["bytes_before"] = self._bytes(pids)

        for op, fn in (("lock", lambda p: self.driver.lock(p, timeout_ms)), ("checkpoint", self.driver.checkpoint)):
            done, failed, secs = self._phase(op, pids, fn, stop_on_error=True, phase="suspend")
            report["timings_s"][op] = round(secs, 6)
            if failed:
                rb = self._rollback_to_running(pids)
                report["rollback"] = rb
                self._run_hooks(post_hooks, "rollback", report, stop=False)
                report["final_states"] = rb["states"]
                p, e = failed[0]
                if not rb["complete"]:
                    raise self._fail(
                        report,
                        t_start,
                        "rollback_incomplete",
                        f"{op} of pid {p} failed ({e}); rollback left {rb['not_running']} not running",
                    )
                if isinstance(e, DriverCallError) and e.timed_out and op == "lock":
                    raise self._fail(
                        report,
                        t_start,
                        "lock_timeout",
                        f"lock of pid {p} did not complete within {timeout_ms} ms ({e.name}): it kept CUDA work "
                        "in flight; every process is running again",
                    )
                if isinstance(e, DriverCallError) and e.permission:
                    raise self._fail(
                        report, t_start, "permission", f"{op} of pid {p}: {e}; every process is running again"
                    )
                raise self._fail(
                    report, t_start, "operation_failed", f"{op} of pid {p} failed ({e}); every process is running again"
                )

        after = self._bytes(pids)
        report["bytes_after"] = after
        before = report["bytes_before"]
        total = before.get("total")
        ck = report["timings_s"]["checkpoint"]
        report["summary"] = {
            "processes": len(pids),
            "gpu_bytes": total,
            "gpu_gb": _gb(total),
            "freed_bytes": (before["device_used"] - after["device_used"])
            if before.get("device_used") is not None and after.get("device_used") is not None
            else None,
            "lock_s": report["timings_s"]["lock"],
            "checkpoint_s": ck,
            "checkpoint_gb_per_s": round(total / GB / ck, 3) if total and ck > 0 else None,
        }
        report["final_states"] = {p: (s.value if s else None) for p, s in self._states(pids).items()}
        if self.ledger is not None:
            for p, b in (before.get("per_pid") or {}).items():
                if b:
                    self.ledger.save(p, b)
        report["ok"] = True
        return self._finish(report, t_start)

    def _check_room(self, to_restore: Sequence[int], report: dict[str, Any]) -> None:
        """Refuse (touching nothing) a restore that cannot fit in the free GPU memory."""
        if self.ledger is None or not to_restore:
            return
        held = {p: self.ledger.load(p) for p in to_restore}
        need = sum(b for b in held.values() if b)
        free = self.gpu.device_free()
        report["memory_check"] = {
            "need_bytes": need,
            "free_bytes": free,
            "margin_bytes": RESTORE_MARGIN_BYTES,
            "per_pid": held,
        }
        if need and free is not None and need + RESTORE_MARGIN_BYTES > free:
            raise InsufficientGpuMemory(
                f"restore needs {need / GB:.2f} GB of GPU memory (what the processes held at suspend) but "
                f"{free / GB:.2f} GB is free: let the other engine release the GPU, then resume again (nothing was "
                "touched; a restore that runs out of memory can leave the process unrecoverable)",
                need,
                free,
            )

    def resume(self, pids: Sequence[int], *, post_hooks: Sequence[Hook] = (), force: bool = False) -> dict[str, Any]:
        """-> RUNNING for every pid: restore all CHECKPOINTED, then unlock all LOCKED, then hooks.

        First checks that what the processes held at suspend fits in the free GPU memory
        (InsufficientGpuMemory otherwise; `force` skips the check). If a restore still fails, what
        this call restored is checkpointed again, so the tree stays suspended as a whole.
        """
        pids = list(pids)
        report = self._new_report("resume", pids)
        t_start = self.clock()
        states = self._precheck(pids, report)
        if all(s is ProcessState.RUNNING for s in states.values()):
            report.update(ok=True, noop=True, note="already running")
            return self._finish(report, t_start)
        bad = {
            p: s.value
            for p, s in states.items()
            if s not in (ProcessState.RUNNING, ProcessState.LOCKED, ProcessState.CHECKPOINTED)
        }
        if bad:
            raise InvalidState(f"cannot resume: processes in states {bad}")

        to_restore = [p for p in pids if states[p] is ProcessState.CHECKPOINTED]
        if not force:
            self._check_room(to_restore, report)
        restored, failed, secs = self._phase(
            "restore", to_restore, self.driver.restore, stop_on_error=True, phase="resume"
        )
        report["timings_s"]["restore"] = round(secs, 6)
        if failed:
            rb = self._rollback_to_checkpointed(restored, pids, states)
            report["rollback"] = rb
            report["final_states"] = rb["states"]
            p, e = failed[0]
            if not rb["complete"]:
                raise self._fail(
                    report,
                    t_start,
                    "rollback_incomplete",
                    f"restore of pid {p} failed ({e}); rollback incomplete: {rb['states']}",
                )
            raise self._fail(
                report,
                t_start,
                "restore_failed",
                f"restore of pid {p} failed ({e}); the other processes were checkpointed again, so the tree is "
                "suspended as a whole. On driver 580 a process whose restore failed could not be restored again "
                "(the next try returned CUDA_ERROR_OPERATING_SYSTEM): kill the engine's processes and start it "
                "again. Known causes: too little free GPU memory (resume checks this first unless --force), a "
                "process that imported CUDA IPC memory from another process (CUDA_ERROR_INVALID_VALUE)",
            )

        to_unlock = [p for p in pids if states[p] is ProcessState.LOCKED or p in restored]
        _, failed, secs = self._phase("unlock", to_unlock, self.driver.unlock, stop_on_error=False, phase="resume")
        report["timings_s"]["unlock"] = round(secs, 6)
        final = self._states(pids)
        report["final_states"] = {p: (s.value if s else None) for p, s in final.items()}
        if failed:
            p, e = failed[0]
            raise self._fail(
                report, t_start, "operation_failed", f"unlock of pid {p} failed ({e}); states: {report['final_states']}"
            )

        after = self._bytes(pids)
        report["bytes_after"] = after
        if self.ledger is not None:
            for p in pids:
                self.ledger.drop(p)
        total = after.get("total")
        rs = report["timings_s"]["restore"]
        report["summary"] = {
            "processes": len(pids),
            "gpu_bytes": total,
            "gpu_gb": _gb(total),
            "restore_s": rs,
            "unlock_s": report["timings_s"]["unlock"],
            "restore_gb_per_s": round(total / GB / rs, 3) if total and rs > 0 else None,
        }
        t = self.clock()
        err = self._run_hooks(post_hooks, "post_resume", report, stop=False)
        report["timings_s"]["post_hooks"] = round(self.clock() - t, 6)
        if err is not None:
            raise self._fail(report, t_start, "hook_failed", f"resumed, but a post-resume hook failed: {err}")
        report["ok"] = True
        return self._finish(report, t_start)

    def state(self, pids: Sequence[int]) -> dict[str, Any]:
        states = self._states(pids)
        per = self.gpu.per_process() or {}
        procs = []
        for p in pids:
            s = states[p]
            entry: dict[str, Any] = {"pid": p, "state": s.value if s else None, "gpu_bytes": per.get(p)}
            if s is not None and s is not ProcessState.RUNNING:
                try:
                    entry["restore_tid"] = self.driver.restore_thread_id(p)
                except Exception:
                    entry["restore_tid"] = None
            procs.append(entry)
        vals = {s for s in states.values()}
        agg = (
            "running"
            if vals == {ProcessState.RUNNING}
            else "suspended"
            if vals == {ProcessState.CHECKPOINTED}
            else "locked"
            if vals == {ProcessState.LOCKED}
            else "mixed"
        )
        return {
            "action": "state",
            "ok": True,
            "tree_state": agg,
            "processes": procs,
            "device_used": self.gpu.device_used(),
        }
