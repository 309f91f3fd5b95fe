"""Process-tree discovery through /proc (Linux)."""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path


def pid_exists(pid: int, proc_root: str = "/proc") -> bool:
    return Path(proc_root, str(pid)).is_dir()


def read_stat(pid: int, proc_root: str = "/proc") -> tuple[str, str, int] | None:
    """(comm, state letter, ppid) from /proc/<pid>/stat, or None if the process is gone.

    comm may hold spaces and parentheses, so split at the LAST ')'.
    """
    try:
        text = Path(proc_root, str(pid), "stat").read_text()
    except OSError:
        return None
    lpar, rpar = text.find("("), text.rfind(")")
    if lpar < 0 or rpar < 0:
        return None
    rest = text[rpar + 1 :].split()
    if len(rest) < 2:
        return None
    return text[lpar + 1 : rpar], rest[0], int(rest[1])


def read_ppid(pid: int, proc_root: str = "/proc") -> int | None:
    st = read_stat(pid, proc_root)
    return st[2] if st else None


def cmdline(pid: int, proc_root: str = "/proc", limit: int = 200) -> str:
    try:
        raw = Path(proc_root, str(pid), "cmdline").read_bytes()
    except OSError:
        return ""
    text = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    if not text:
        st = read_stat(pid, proc_root)
        text = f"[{st[0]}]" if st else ""
    return text[:limit]


def owner_uid(pid: int, proc_root: str = "/proc") -> int | None:
    try:
        return Path(proc_root, str(pid)).stat().st_uid
    except OSError:
        return None


def has_nvidia_mappings(pid: int, proc_root: str = "/proc") -> bool | None:
    """True if /proc/<pid>/maps maps a /dev/nvidia* device file; None if unreadable (permissions, gone)."""
    try:
        with open(Path(proc_root, str(pid), "maps"), "rb") as f:
            for line in f:
                if b"/dev/nvidia" in line:
                    return True
    except OSError:
        return None
    return False


def _children_from_task_files(pid: int, proc_root: str) -> list[int] | None:
    """Children via /proc/<pid>/task/*/children (CONFIG_PROC_CHILDREN); None when the files don't exist."""
    task_dir = Path(proc_root, str(pid), "task")
    try:
        tids = list(task_dir.iterdir())
    except OSError:
        return None
    seen_file = False
    out: list[int] = []
    for t in tids:
        try:
            text = (t / "children").read_text()
        except FileNotFoundError:
            continue
        except OSError:
            continue
        seen_file = True
        out.extend(int(x) for x in text.split())
    return out if seen_file else None


def _children_by_scan(proc_root: str) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir(proc_root):
        if not entry.name.isdigit():
            continue
        ppid = read_ppid(int(entry.name), proc_root)
        if ppid is not None:
            kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def process_tree(root: int, proc_root: str = "/proc", method: str = "auto") -> tuple[list[int], str]:
    """All live processes of the tree rooted at `root`, root first, breadth-first; plus the method used.

    method: "children" (task/*/children files), "scan" (ppid of every /proc entry) or "auto"
    (children files where the kernel has them, else scan).
    """
    if not pid_exists(root, proc_root):
        return [], method
    use = method
    if method == "auto":
        use = "children" if _children_from_task_files(root, proc_root) is not None else "scan"
    scan = _children_by_scan(proc_root) if use == "scan" else {}
    order: list[int] = []
    seen: set[int] = set()
    queue = deque([root])
    while queue:
        pid = queue.popleft()
        if pid in seen:
            continue
        seen.add(pid)
        order.append(pid)
        if use == "children":
            kids = _children_from_task_files(pid, proc_root) or []
        else:
            kids = scan.get(pid, [])
        queue.extend(sorted(k for k in kids if k not in seen))
    return order, use
