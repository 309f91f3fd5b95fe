"""Process-tree discovery on a real tree of sleeping python processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cuda_ckpt_fakes import FakeDriver

from rouse_py.cuda_ckpt import Coordinator, has_nvidia_mappings, process_tree
from rouse_py.cuda_ckpt.core import NoSuchProcess, NotCudaProcess
from rouse_py.cuda_ckpt.proctree import _children_from_task_files, read_stat

# root -> child A -> grandchild A1 ; root -> child B. Each writes its pid into DIR/<role>.
TREE_SCRIPT = textwrap.dedent(
    """
    import os, subprocess, sys, time
    d, role = sys.argv[1], sys.argv[2]
    kids = {"root": ["a", "b"], "a": ["a1"]}.get(role, [])
    procs = [subprocess.Popen([sys.executable, __file__, d, k]) for k in kids]
    open(os.path.join(d, role), "w").write(str(os.getpid()))
    time.sleep(120)
    """
)


@pytest.fixture
def tree(tmp_path: Path):
    script = tmp_path / "tree.py"
    script.write_text(TREE_SCRIPT)
    d = tmp_path / "pids"
    d.mkdir()
    root = subprocess.Popen([sys.executable, str(script), str(d), "root"])
    deadline = time.time() + 20
    roles = ("root", "a", "b", "a1")
    while time.time() < deadline and not all((d / r).exists() and (d / r).read_text() for r in roles):
        time.sleep(0.05)
    pids = {r: int((d / r).read_text()) for r in roles}
    try:
        yield pids
    finally:
        for r in ("a1", "a", "b", "root"):  # only the processes this test started, by id
            try:
                os.kill(pids[r], signal.SIGKILL)
            except ProcessLookupError:
                pass
        root.wait(timeout=10)


@pytest.mark.parametrize("method", ["auto", "scan", "children"])
def test_process_tree_finds_every_descendant(tree, method):
    if method == "children" and _children_from_task_files(os.getpid(), "/proc") is None:
        pytest.skip("kernel without /proc/<pid>/task/*/children (CONFIG_PROC_CHILDREN)")
    pids, used = process_tree(tree["root"], method=method)
    assert pids[0] == tree["root"]
    assert set(pids) == set(tree.values())
    assert pids.index(tree["a"]) < pids.index(tree["a1"])  # breadth-first
    assert used in ("children", "scan")


def test_process_tree_of_a_leaf_and_of_nothing(tree):
    assert process_tree(tree["a1"])[0] == [tree["a1"]]
    assert process_tree(2**22 + 12345)[0] == []


def test_discover_keeps_only_cuda_processes_and_never_itself(tree):
    drv = FakeDriver([tree["a"], tree["a1"], tree["b"]])
    # pretend this command is process "b": it must be skipped even though the driver knows it
    coord = Coordinator(drv, self_pid=tree["b"])
    d = coord.discover(tree["root"], tree=True)
    assert d["targets"] == [tree["a"], tree["a1"]]
    by_pid = {p["pid"]: p for p in d["processes"]}
    assert "no CUDA checkpoint state" in by_pid[tree["root"]]["skipped"]
    assert by_pid[tree["b"]]["skipped"] == "this command itself"
    assert by_pid[tree["a1"]]["ppid"] == tree["a"]
    assert by_pid[tree["a"]]["maps_nvidia"] is False  # plain python: no /dev/nvidia* mapped
    assert "tree.py" in by_pid[tree["a"]]["cmd"]


def test_discover_without_tree_is_the_pid_alone(tree):
    drv = FakeDriver([tree["root"], tree["a"]])
    d = Coordinator(drv).discover(tree["root"], tree=False)
    assert d["targets"] == [tree["root"]]


def test_discover_reports_a_tree_without_cuda(tree):
    with pytest.raises(NotCudaProcess, match=r"process tree of \d+ \(4 processes\) holds no CUDA context"):
        Coordinator(FakeDriver([])).discover(tree["root"], tree=True)
    with pytest.raises(NotCudaProcess, match="CUDA_ERROR_NOT_FOUND"):
        Coordinator(FakeDriver([])).discover(tree["b"], tree=False)


def test_discover_missing_process():
    with pytest.raises(NoSuchProcess):
        Coordinator(FakeDriver([])).discover(2**22 + 12345, tree=True)


def test_stat_parsing_survives_odd_names(tmp_path: Path):
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "stat").write_text("77 (we) ird (name) S 45 77 77 0 -1 4194560 0 0\n")
    assert read_stat(77, str(tmp_path)) == ("we) ird (name", "S", 45)
    assert read_stat(78, str(tmp_path)) is None


def test_nvidia_mapping_probe(tmp_path: Path):
    for pid, text in (
        (10, "7f00-7f01 rw-s 00000000 00:05 12 /dev/nvidiactl\n"),
        (11, "5600-5601 r-xp 0 08:01 1 /usr/bin/python3\n"),
    ):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "maps").write_text(text)
    assert has_nvidia_mappings(10, str(tmp_path)) is True
    assert has_nvidia_mappings(11, str(tmp_path)) is False
    assert has_nvidia_mappings(12, str(tmp_path)) is None
    assert has_nvidia_mappings(os.getpid()) in (True, False)
