"""Ordering and rollback of the Coordinator against FakeDriver, on every failure path."""

from __future__ import annotations

import pytest
from cuda_ckpt_fakes import C, FakeDriver, FakeGpu, L, R

from rouse_py.cuda_ckpt import CallableHook, Coordinator, InvalidState, NotCudaProcess, OperationFailed, ProcessState
from rouse_py.cuda_ckpt.driver import (
    CUDA_ERROR_NOT_PERMITTED,
    CUDA_ERROR_NOT_READY,
    CUDA_ERROR_NOT_SUPPORTED,
    CUDA_ERROR_OUT_OF_MEMORY,
    CUDA_ERROR_UNKNOWN,
)

PIDS = [101, 102, 103]


@pytest.fixture(params=[False, True], ids=["sequential", "parallel"])
def parallel(request):
    return request.param


def make(parallel: bool, states=None):
    drv = FakeDriver(states or list(PIDS))
    return drv, Coordinator(drv, gpu=FakeGpu(drv), parallel=parallel)


def last_index(calls, op):
    return max(i for i, c in enumerate(calls) if c[0] == op)


def first_index(calls, op):
    return min(i for i, c in enumerate(calls) if c[0] == op)


def test_suspend_locks_all_before_checkpointing_any(parallel):
    drv, co = make(parallel)
    rep = co.suspend(PIDS)
    assert rep["ok"]
    assert drv.states == {p: C for p in PIDS}
    calls = drv.ops("lock", "checkpoint", "restore", "unlock")
    assert sorted(p for op, p in calls if op == "lock") == PIDS
    assert last_index(calls, "lock") < first_index(calls, "checkpoint")
    assert rep["summary"]["gpu_bytes"] == 3 * (1 << 30)
    assert rep["summary"]["freed_bytes"] == 3 * (1 << 30)
    assert set(rep["final_states"].values()) == {"checkpointed"}
    assert [s["op"] for s in rep["steps"]].count("checkpoint") == 3


def test_resume_restores_all_before_unlocking_any(parallel):
    drv, co = make(parallel, {p: C for p in PIDS})
    rep = co.resume(PIDS)
    assert rep["ok"] and drv.states == {p: R for p in PIDS}
    calls = drv.ops("lock", "checkpoint", "restore", "unlock")
    assert last_index(calls, "restore") < first_index(calls, "unlock")
    assert rep["summary"]["gpu_bytes"] == 3 * (1 << 30)


def test_round_trip_and_noops(parallel):
    drv, co = make(parallel)
    co.suspend(PIDS)
    assert co.suspend(PIDS)["noop"] is True  # already suspended: nothing touched
    co.resume(PIDS)
    n = len(drv.ops("lock", "checkpoint", "restore", "unlock"))
    assert co.resume(PIDS)["noop"] is True
    assert len(drv.ops("lock", "checkpoint", "restore", "unlock")) == n
    assert drv.states == {p: R for p in PIDS}


@pytest.mark.parametrize("bad", [1, 2])
def test_lock_failure_unlocks_the_locked_ones(parallel, bad):
    drv, co = make(parallel)
    drv.inject("lock", PIDS[bad], CUDA_ERROR_UNKNOWN)
    with pytest.raises(OperationFailed) as ei:
        co.suspend(PIDS)
    assert ei.value.kind == "operation_failed" and ei.value.exit_code == 7
    assert drv.states == {p: R for p in PIDS}
    assert not drv.ops("checkpoint")
    assert ei.value.report["rollback"]["complete"] is True


def test_lock_timeout_is_reported_as_such(parallel):
    drv, co = make(parallel)
    drv.inject("lock", PIDS[2], CUDA_ERROR_NOT_READY)
    with pytest.raises(OperationFailed) as ei:
        co.suspend(PIDS, timeout_ms=500)
    assert ei.value.kind == "lock_timeout" and ei.value.exit_code == 5
    assert "500 ms" in str(ei.value)
    assert drv.states == {p: R for p in PIDS}


def test_permission_error_on_lock(parallel):
    drv, co = make(parallel)
    drv.inject("lock", PIDS[0], CUDA_ERROR_NOT_PERMITTED)
    with pytest.raises(OperationFailed) as ei:
        co.suspend(PIDS)
    assert ei.value.kind == "permission" and ei.value.exit_code == 6
    assert drv.states == {p: R for p in PIDS}


@pytest.mark.parametrize("bad", [0, 1, 2])
def test_checkpoint_failure_restores_then_unlocks_everyone(parallel, bad):
    drv, co = make(parallel)
    drv.inject("checkpoint", PIDS[bad], CUDA_ERROR_NOT_SUPPORTED)  # e.g. a UVM allocation
    with pytest.raises(OperationFailed) as ei:
        co.suspend(PIDS)
    assert ei.value.kind == "operation_failed"
    assert drv.states == {p: R for p in PIDS}
    rb = [(s["op"], s["pid"]) for s in ei.value.report["steps"] if s["phase"] == "rollback"]
    restores = [i for i, (op, _) in enumerate(rb) if op == "restore"]
    unlocks = [i for i, (op, _) in enumerate(rb) if op == "unlock"]
    assert sorted(p for op, p in rb if op == "unlock") == PIDS  # every locked process unlocked
    assert not restores or max(restores) < min(unlocks)  # restore all before unlocking any
    if not parallel:
        assert sorted(p for op, p in rb if op == "restore") == PIDS[:bad]


def test_checkpoint_failure_that_breaks_the_process_is_reported(parallel):
    drv, co = make(parallel)
    drv.inject("checkpoint", PIDS[1], CUDA_ERROR_UNKNOWN, state_after=ProcessState.FAILED)
    with pytest.raises(OperationFailed) as ei:
        co.suspend(PIDS)
    assert ei.value.kind == "rollback_incomplete" and ei.value.exit_code == 8
    assert ei.value.report["final_states"][PIDS[1]] == "failed"
    others = [p for p in PIDS if p != PIDS[1]]
    assert all(drv.states[p] is R for p in others)  # no one else left locked


def test_rollback_keeps_going_when_one_restore_fails(parallel):
    drv, co = make(parallel)
    drv.inject("checkpoint", PIDS[2], CUDA_ERROR_UNKNOWN)
    drv.inject("restore", PIDS[0], CUDA_ERROR_OUT_OF_MEMORY)
    with pytest.raises(OperationFailed) as ei:
        co.suspend(PIDS)
    assert ei.value.kind == "rollback_incomplete"
    if not parallel:
        assert drv.states[PIDS[0]] is C and drv.states[PIDS[1]] is R and drv.states[PIDS[2]] is R


def test_restore_failure_leaves_the_tree_suspended_as_a_whole(parallel):
    drv, co = make(parallel, {p: C for p in PIDS})
    drv.inject("restore", PIDS[1], CUDA_ERROR_OUT_OF_MEMORY)
    with pytest.raises(OperationFailed) as ei:
        co.resume(PIDS)
    assert ei.value.kind == "restore_failed" and ei.value.exit_code == 12
    assert "kill the engine" in str(ei.value)
    assert drv.states == {p: C for p in PIDS}  # the ones restored before the failure were checkpointed again
    assert not drv.ops("unlock")
    if not parallel:
        assert drv.ops("checkpoint") == [("checkpoint", PIDS[0])]


def test_unlock_failure_still_unlocks_the_others(parallel):
    drv, co = make(parallel, {p: C for p in PIDS})
    drv.inject("unlock", PIDS[0], CUDA_ERROR_UNKNOWN)
    with pytest.raises(OperationFailed) as ei:
        co.resume(PIDS)
    assert drv.states[PIDS[1]] is R and drv.states[PIDS[2]] is R
    assert ei.value.report["final_states"][PIDS[0]] == "locked"


def test_resume_finishes_a_half_done_suspend(parallel):
    drv, co = make(parallel, {101: C, 102: L, 103: R})
    rep = co.resume(PIDS)
    assert rep["ok"] and drv.states == {p: R for p in PIDS}
    assert drv.ops("restore") == [("restore", 101)]


def test_suspend_refuses_a_half_suspended_tree(parallel):
    drv, co = make(parallel, {101: C, 102: R, 103: R})
    with pytest.raises(InvalidState, match="run `resume` first"):
        co.suspend(PIDS)
    assert not drv.ops("lock", "checkpoint", "restore", "unlock")


def test_vanished_process_is_not_cuda(parallel):
    drv, co = make(parallel)
    with pytest.raises(NotCudaProcess):
        co.suspend([*PIDS, 999])
    assert drv.states == {p: R for p in PIDS}


def test_hooks_run_before_lock_and_after_unlock(parallel):
    drv, co = make(parallel)
    seen = []
    pre = CallableHook("release", lambda: seen.append(("pre", len(drv.ops("lock")))) or {"freed": 1})
    post = CallableHook("regrow", lambda: seen.append(("post", dict(drv.states))) or None)
    rep = co.suspend(PIDS, pre_hooks=[pre], post_hooks=[post])
    assert seen == [("pre", 0)]  # nothing locked yet when the engine releases its caches
    assert rep["hooks"][0]["result"] == {"freed": 1}
    co.resume(PIDS, post_hooks=[post])
    assert seen[-1] == ("post", {p: R for p in PIDS})


def test_failed_pre_hook_locks_nothing_and_undoes(parallel):
    drv, co = make(parallel)
    undone = []

    def boom():
        raise RuntimeError("engine said no")

    with pytest.raises(OperationFailed) as ei:
        co.suspend(
            PIDS, pre_hooks=[CallableHook("release", boom)], post_hooks=[CallableHook("undo", lambda: undone.append(1))]
        )
    assert ei.value.kind == "hook_failed" and ei.value.exit_code == 9
    assert not drv.ops("lock") and undone == [1]


def test_failed_suspend_runs_the_undo_hook(parallel):
    drv, co = make(parallel)
    drv.inject("checkpoint", PIDS[1], CUDA_ERROR_UNKNOWN)
    undone = []
    with pytest.raises(OperationFailed):
        co.suspend(PIDS, post_hooks=[CallableHook("undo", lambda: undone.append(dict(drv.states)))])
    assert undone == [{p: R for p in PIDS}]  # after everything is running again


def test_failed_post_hook_is_reported_after_a_good_resume(parallel):
    drv, co = make(parallel, {p: C for p in PIDS})

    def boom():
        raise RuntimeError("regrow failed")

    with pytest.raises(OperationFailed) as ei:
        co.resume(PIDS, post_hooks=[CallableHook("regrow", boom)])
    assert ei.value.kind == "hook_failed" and drv.states == {p: R for p in PIDS}


def test_state_aggregates(parallel):
    drv, co = make(parallel)
    assert co.state(PIDS)["tree_state"] == "running"
    co.suspend(PIDS)
    st = co.state(PIDS)
    assert st["tree_state"] == "suspended"
    assert st["processes"][0]["restore_tid"] == PIDS[0] + 1
    assert st["processes"][0]["gpu_bytes"] is None  # checkpointed: no GPU memory
    drv.states[101] = R
    assert co.state(PIDS)["tree_state"] == "mixed"


def test_steps_carry_timings(parallel):
    ticks = iter(range(1000))
    drv = FakeDriver(list(PIDS))
    co = Coordinator(drv, parallel=False, clock=lambda: float(next(ticks)))
    rep = co.suspend(PIDS)
    assert all(s["seconds"] > 0 for s in rep["steps"])
    assert rep["timings_s"]["lock"] > 0 and rep["timings_s"]["checkpoint"] > 0
