#!/usr/bin/env python3
"""Measure GPU suspend/resume through `python -m rouse_py.cuda_ckpt` in one device call.

Steps (each writes partial results to OUT/cuda-checkpoint.json as it goes; a step is skipped
when the time budget left is too small for it):

 1. environment (GPU, driver, bindings, host memory)
 2. pinned and pageable host<->device copy bandwidth: the limit for moving bytes
 3. (a) one PyTorch process with >= 40 GB resident: W GB weights (checksummed), K GB "KV cache",
    C GB freed-but-cached allocator blocks
    - failure paths: lock timeout while a CUDA call is in flight; a non-CUDA pid; a cuInit-only pid
    - cycles without release (everything allocated moves), the first one lending the GPU to
      another process while suspended
    - cycles with release (pre-suspend hook: drop KV + empty_cache; post-resume hook: regrow KV)
    - restore while another process holds the GPU (expected to fail and leave the engine
      suspended), then resume after it lets go
 4. (b) a 3-worker engine under one parent, suspended as a tree, sequential and --parallel
 5. (b') the same with rank 0's buffer shared to the others through CUDA IPC
Pick with --scenarios (default a,b,b_ipc); a_exp is (a) with PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True.
Device runs: bench/results/cuda-checkpoint.{md,json,log}.

Run `--dry-run` on a machine without a GPU: py-backend workers and a file-backed fake driver.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SRC = REPO / "python" / "src"
GiB = 1 << 30
GB = 1e9


def med(xs: list[float | None]) -> float | None:
    v = [x for x in xs if isinstance(x, (int, float))]
    return round(statistics.median(v), 4) if v else None


class Child:
    """A started process whose stdout we read line by line (READY lines) in a thread."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Any, name: str) -> None:
        self.name = name
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.PIPE, text=True, env=env)
        self.q: queue.Queue[str] = queue.Queue()
        self.log = log
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            if line.startswith("READY "):
                self.q.put(line[6:])
            else:
                self.log.write(f"[{self.name}] {line}")
                self.log.flush()

    def ready(self, timeout: float) -> dict[str, Any]:
        try:
            return json.loads(self.q.get(timeout=timeout))
        except queue.Empty:
            raise RuntimeError(f"{self.name} not ready within {timeout}s (exit code {self.p.poll()})") from None

    def say(self, line: str = "go") -> None:
        try:
            assert self.p.stdin is not None
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def stop(self, timeout: float = 20) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)


class Measure:
    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        self.t0 = time.time()
        self.out = Path(a.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.wlog = open(self.out / "workers.log", "a")  # noqa: SIM115
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.env["PYTHONPATH"] = os.pathsep.join(x for x in (str(SRC), os.environ.get("PYTHONPATH", "")) if x)
        if a.dry_run:
            self.env["DRYRUN_STATE"] = str(self.out / "dryrun-state.json")
            self.cli_cmd = [sys.executable, str(HERE / "dryrun_cli.py")]
            self.backend, self.unit = "py", 1 << 20
        else:
            self.cli_cmd = [sys.executable, "-m", "rouse_py.cuda_ckpt"]
            self.backend, self.unit = "torch", GiB
        self.children: list[Child] = []
        self.res: dict[str, Any] = {
            "schema": "rouse.bench.cuda-checkpoint/1",
            "started_unix": int(self.t0),
            "dry_run": a.dry_run,
            "config": {k: v for k, v in vars(a).items() if k != "out"},
            "unit_bytes": self.unit,
            "env": {},
            "h2d": None,
            "scenarios": {},
            "failure_paths": {},
            "skipped": [],
        }

    # -- plumbing ----------------------------------------------------------------------------------

    def log(self, msg: str) -> None:
        print(f"[{time.time() - self.t0:6.1f}s] {msg}", flush=True)

    def left(self) -> float:
        return self.a.budget_s - (time.time() - self.t0)

    def save(self) -> None:
        self.res["elapsed_s"] = round(time.time() - self.t0, 1)
        tmp = self.out / "cuda-checkpoint.json.tmp"
        tmp.write_text(json.dumps(self.res, indent=1, default=str))
        tmp.replace(self.out / "cuda-checkpoint.json")

    def want(self, name: str, need_s: float) -> bool:
        if self.left() < need_s:
            self.log(f"SKIP {name}: {self.left():.0f}s left < {need_s:.0f}s needed")
            self.res["skipped"].append({"step": name, "left_s": round(self.left()), "needed_s": need_s})
            self.save()
            return False
        return True

    def sh(self, argv: list[str], timeout: float = 30) -> str | None:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env)
            return r.stdout if r.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            return None

    def smi(self, query: str) -> list[list[str]] | None:
        out = self.sh(["nvidia-smi", f"--query-{query}", "--format=csv,noheader,nounits"])
        if out is None:
            return None
        return [[c.strip() for c in ln.split(",")] for ln in out.splitlines() if ln.strip()]

    def gpu_used(self) -> int | None:
        rows = self.smi("gpu=memory.used")
        return sum(int(r[0]) for r in rows) * (1 << 20) if rows else None

    def gpu_total(self) -> int | None:
        rows = self.smi("gpu=memory.total")
        return sum(int(r[0]) for r in rows) * (1 << 20) if rows else None

    def gpu_procs(self) -> dict[int, int]:
        rows = self.smi("compute-apps=pid,used_memory") or []
        out: dict[int, int] = {}
        for r in rows:
            try:
                out[int(r[0])] = int(r[1]) * (1 << 20)
            except (ValueError, IndexError):
                pass
        return out

    @staticmethod
    def rss(pid: int) -> int | None:
        try:
            for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1]) * 1024
        except OSError:
            return None
        return None

    def cli(self, action: str, pid: int, *extra: str, timeout: float = 240) -> dict[str, Any]:
        argv = [*self.cli_cmd, action, "--pid", str(pid), "--json", *extra]
        t = time.perf_counter()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env)
        except subprocess.TimeoutExpired as e:
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            return {
                "rc": None,
                "timeout": True,
                "wall_s": round(time.perf_counter() - t, 3),
                "argv": argv[2:],
                "stderr": err[-3000:],
            }
        wall = time.perf_counter() - t
        try:
            rep = json.loads(p.stdout)
        except ValueError:
            rep = {"stdout": p.stdout[-2000:]}
        rep["rc"] = p.returncode
        rep["wall_s"] = round(wall, 4)
        if p.stderr.strip():
            rep["stderr"] = p.stderr[-1500:]
        return rep

    def http(self, port: int, method: str, path: str, timeout: float = 120) -> dict[str, Any]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", data=b"" if method == "POST" else None, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())
        except Exception as e:
            return {"ok": False, "error": repr(e)[:300]}

    def spawn(self, script: str, args: list[str], name: str, env: dict[str, str] | None = None) -> Child:
        c = Child(
            [sys.executable, str(HERE / script), "--backend", self.backend, "--unit", str(self.unit), *args],
            {**self.env, **(env or {})},
            self.wlog,
            name,
        )
        self.children.append(c)
        return c

    @staticmethod
    def slim(rep: dict[str, Any], keep_discovery: bool = False) -> dict[str, Any]:
        keys = [
            "rc",
            "ok",
            "wall_s",
            "cli_s",
            "driver_init_s",
            "error",
            "summary",
            "timings_s",
            "final_states",
            "rollback",
            "noop",
            "stderr",
            "timeout",
        ]
        out = {k: rep[k] for k in keys if k in rep}
        out["hooks"] = [
            {k: h.get(k) for k in ("phase", "name", "ok", "seconds", "error")} for h in rep.get("hooks", [])
        ]
        out["steps"] = [{k: s.get(k) for k in ("phase", "op", "pid", "ok", "seconds")} for s in rep.get("steps", [])]
        if keep_discovery and "discovery" in rep:
            out["discovery"] = rep["discovery"]
        return out

    # -- steps -------------------------------------------------------------------------------------

    def env_info(self) -> None:
        e: dict[str, Any] = {"python": sys.version.split()[0]}
        rows = self.smi(
            "gpu=name,driver_version,memory.total,memory.used,pcie.link.gen.current,pcie.link.width.current"
        )
        e["gpus"] = rows
        for mod in ("torch", "cuda.bindings", "pynvml"):
            out = self.sh([sys.executable, "-c", f"import {mod} as m; print(getattr(m, '__version__', 'present'))"])
            e[mod] = out.strip() if out else None
        try:
            e["thp"] = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().strip()
        except OSError:
            e["thp"] = None
        try:
            mi = Path("/proc/meminfo").read_text().splitlines()
            e["meminfo"] = {
                ln.split(":")[0]: ln.split(":")[1].strip()
                for ln in mi
                if ln.split(":")[0] in ("MemTotal", "MemFree", "MemAvailable")
            }
        except OSError:
            pass
        e["nproc"] = os.cpu_count()
        e["kernel"] = os.uname().release
        self.res["env"] = e
        self.log(f"env: {json.dumps(e)}")
        self.save()

    def h2d(self) -> None:
        if self.a.dry_run:
            self.res["h2d"] = {"dry_run": True}
            return
        code = r"""
import json, time, torch
n = 4 << 30
d = torch.empty(n, dtype=torch.uint8, device="cuda")
def t(f, reps):
    f(); torch.cuda.synchronize()
    xs = []
    for _ in range(reps):
        torch.cuda.synchronize(); s = time.perf_counter(); f(); torch.cuda.synchronize(); xs.append(time.perf_counter() - s)
    return n / sorted(xs)[len(xs) // 2] / 1e9
h = torch.empty(n, dtype=torch.uint8, pin_memory=True); h.fill_(1)
r = {"bytes": n, "pinned_h2d_gb_s": t(lambda: d.copy_(h, non_blocking=True), 7), "pinned_d2h_gb_s": t(lambda: h.copy_(d, non_blocking=True), 7)}
del h
p = torch.empty(n, dtype=torch.uint8); p.fill_(1)
r["pageable_h2d_gb_s"] = t(lambda: d.copy_(p), 3); r["pageable_d2h_gb_s"] = t(lambda: p.copy_(d), 3)
print(json.dumps(r))
"""
        out = self.sh([sys.executable, "-c", code], timeout=120)
        self.res["h2d"] = json.loads(out.strip().splitlines()[-1]) if out else {"error": "h2d probe failed"}
        self.log(f"copy bandwidth: {self.res['h2d']}")
        self.save()

    def cycle(
        self,
        scen: str,
        idx: int,
        root: int,
        ports: list[int],
        pids: list[int],
        *,
        tree: bool,
        release: bool,
        parallel: bool,
        lend: bool = False,
        verbose: bool = False,
        cli_timeout: float = 240,
        check_timeout: float = 120,
    ) -> dict[str, Any]:
        rec: dict[str, Any] = {"cycle": idx, "release": release, "parallel": parallel}
        common = (["--tree"] if tree else []) + (["--parallel"] if parallel else []) + (["-v"] if verbose else [])
        sus, res = list(common), list(common)
        if release:
            for port in ports:
                sus += [
                    "--pre-suspend-http",
                    f"POST http://127.0.0.1:{port}/release",
                    "--post-resume-http",
                    f"POST http://127.0.0.1:{port}/regrow",
                ]
                res += ["--post-resume-http", f"POST http://127.0.0.1:{port}/regrow"]
        rec["gpu_used_before"] = self.gpu_used()
        procs = self.gpu_procs()
        rec["smi_bytes_before"] = {p: procs.get(p) for p in pids}
        rec["host_rss_before"] = {p: self.rss(p) for p in pids}
        s = self.cli("suspend", root, *sus, timeout=cli_timeout)
        rec["suspend"] = self.slim(s, keep_discovery=idx == 1)
        if s.get("rc") != 0:  # where did each process end up?
            rec["states_after_failed_suspend"] = {p: self.cli("state", p, timeout=30).get("tree_state") for p in pids}
            self.log(f"  suspend failed/timed out: {rec['states_after_failed_suspend']}; stderr: {s.get('stderr')}")
        rec["gpu_used_suspended"] = self.gpu_used()
        rec["host_rss_suspended"] = {p: self.rss(p) for p in pids}
        if lend and s.get("rc") == 0:
            rec["lend"] = self.lend()
        r = self.cli("resume", root, *res, timeout=cli_timeout)
        rec["resume"] = self.slim(r)
        rec["gpu_used_after"] = self.gpu_used()
        rec["check"] = [self.http(p, "GET", "/check", timeout=check_timeout) for p in ports]
        rec["ok"] = s.get("rc") == 0 and r.get("rc") == 0 and all(c.get("ok") for c in rec["check"])
        if idx == 1:
            self.res.setdefault("examples", {})[scen] = {"suspend": s, "resume": r}
        ss, rs = s.get("summary") or {}, r.get("summary") or {}
        self.log(
            f"{scen} #{idx}: suspend rc={s.get('rc')} {ss.get('gpu_gb')} GB ckpt {ss.get('checkpoint_s')}s "
            f"({ss.get('checkpoint_gb_per_s')} GB/s) | resume rc={r.get('rc')} restore {rs.get('restore_s')}s "
            f"({rs.get('restore_gb_per_s')} GB/s) total {(r.get('timings_s') or {}).get('total')}s | "
            f"GPU used {rec['gpu_used_before']} -> {rec['gpu_used_suspended']} -> {rec['gpu_used_after']} | check ok={rec['ok']}"
        )
        if not rec["ok"]:
            self.log(
                f"  suspend error={s.get('error')} stderr={s.get('stderr')} | resume error={r.get('error')} stderr={r.get('stderr')} | check={rec['check']}"
            )
        return rec

    def lend(self) -> dict[str, Any]:
        """While the engine is suspended, another process takes (almost) the whole GPU, then lets go."""
        free = (self.gpu_total() or 0) - (self.gpu_used() or 0)
        want = max(free - GiB, 0) / self.unit if not self.a.dry_run else 4
        t = time.perf_counter()
        b = self.spawn("worker.py", ["--mode", "borrow", "--borrow-gb", f"{want:.3f}"], "borrower")
        try:
            info = b.ready(120)
            info["gpu_used_while_lent"] = self.gpu_used()
        except RuntimeError as e:
            info = {"error": str(e)}
        b.say()
        b.p.wait(timeout=60)
        info["wall_s"] = round(time.perf_counter() - t, 3)
        info["gpu_free_before"] = free
        self.log(f"  lent the GPU while suspended: {info}")
        return info

    def summarize(self, scen: str, cycles: list[dict[str, Any]], live_bytes: int, note: str) -> dict[str, Any]:
        def g(c: dict[str, Any], side: str, k: str) -> Any:
            return ((c.get(side) or {}).get("summary") or {}).get(k)

        def tot(c: dict[str, Any], side: str, k: str) -> Any:
            return ((c.get(side) or {}).get("timings_s") or {}).get(k)

        good = [c for c in cycles if c.get("ok")]
        moved = med([g(c, "suspend", "gpu_bytes") for c in good])
        ck = med([g(c, "suspend", "checkpoint_s") for c in good])
        rs = med([g(c, "resume", "restore_s") for c in good])
        to_serve = med([tot(c, "resume", "total") for c in good])
        s = {
            "scenario": scen,
            "note": note,
            "cycles": len(cycles),
            "cycles_ok": len(good),
            "live_bytes": live_bytes,
            "live_gb": round(live_bytes / GB, 3),
            "moved_bytes_median": moved,
            "moved_gb": round(moved / GB, 3) if moved else None,
            "lock_s": med([g(c, "suspend", "lock_s") for c in good]),
            "checkpoint_s": ck,
            "checkpoint_s_each": [g(c, "suspend", "checkpoint_s") for c in cycles],
            "checkpoint_gb_s": round(moved / GB / ck, 3) if moved and ck else None,
            "restore_s": rs,
            "restore_s_each": [g(c, "resume", "restore_s") for c in cycles],
            "restore_gb_s": round(moved / GB / rs, 3) if moved and rs else None,
            "resume_to_serving_s": to_serve,
            "suspend_cli_wall_s": med([(c.get("suspend") or {}).get("wall_s") for c in good]),
            "resume_cli_wall_s": med([(c.get("resume") or {}).get("wall_s") for c in good]),
            "restore_s_per_moved_gb": round(rs / (moved / GB), 4) if moved and rs else None,
            "restore_s_per_live_gb": round(rs / (live_bytes / GB), 4) if live_bytes and rs else None,
            "goal_resume_s": round(live_bytes / GB / 4, 3),
            "freed_gb_while_suspended": med(
                [
                    (c["gpu_used_before"] - c["gpu_used_suspended"]) / GB
                    for c in good
                    if c.get("gpu_used_before") is not None and c.get("gpu_used_suspended") is not None
                ]
            ),
        }
        s["goal_met"] = bool(to_serve is not None and to_serve <= s["goal_resume_s"])
        h2d = (self.res.get("h2d") or {}).get("pinned_h2d_gb_s")
        if h2d and moved:
            s["pinned_h2d_gb_s"] = round(h2d, 2)
            s["restore_at_pinned_h2d_s"] = round(moved / GB / h2d, 3)
            s["restore_vs_pinned_h2d"] = round(rs / (moved / GB / h2d), 1) if rs else None
        self.log(f"SUMMARY {scen}: {json.dumps(s)}")
        return s

    def scenario_a(self, key: str = "a", env: dict[str, str] | None = None) -> None:
        """One engine process. key "a": default allocator; "a_exp": PYTORCH_CUDA_ALLOC_CONF=expandable_segments."""
        a = self.a
        exp = key == "a_exp"
        w = self.spawn(
            "worker.py",
            ["--weights-gb", str(a.weights_gb), "--kv-gb", str(a.kv_gb), "--cached-gb", str(a.cached_gb)],
            f"engine-{key}",
            env=env,
        )
        info = w.ready(180)
        pid, port = info["pid"], info["port"]
        self.log(f"({key}) engine up: {info}")
        A: dict[str, Any] = {"engine": info, "env": env or {}, "smi_bytes_at_start": self.gpu_procs().get(pid)}
        self.res["scenarios"][key] = A
        A["state"] = self.cli("state", pid)
        self.save()
        if not exp:
            self.failure_paths(pid, port)
        live = int(info["weights_bytes"])
        n_plain, n_rel = (a.cycles_a, a.cycles_a_release) if not exp else (a.cycles_exp, a.cycles_exp_release)

        def plain() -> None:
            cyc: list[dict[str, Any]] = []
            A["no_release"] = cyc
            for i in range(1, n_plain + 1):
                if not self.want(f"{key}/no_release#{i}", 90):
                    break
                cyc.append(
                    self.cycle(
                        f"{key}_no_release",
                        i,
                        pid,
                        [port],
                        [pid],
                        tree=False,
                        release=False,
                        parallel=False,
                        lend=(i == 1 and not exp),
                    )
                )
                self.save()
            if cyc:
                A["summary_no_release"] = self.summarize(
                    f"{key}_no_release", cyc, live, "everything allocated moves: weights + KV + cached blocks"
                )
            self.save()

        def released() -> None:
            cyc: list[dict[str, Any]] = []
            A["release"] = cyc
            for i in range(1, n_rel + 1):
                if not self.want(f"{key}/release#{i}", 40):
                    break
                cyc.append(
                    self.cycle(f"{key}_release", i, pid, [port], [pid], tree=False, release=True, parallel=False)
                )
                self.save()
            if cyc:
                note = "pre-suspend hook drops KV + empty_cache; post-resume hook regrows KV"
                A["summary_release"] = self.summarize(
                    f"{key}_release", cyc, live, note + (" (expandable segments)" if exp else "")
                )
            self.save()

        def blocked() -> None:
            if self.want(f"{key}/restore_blocked", 60):
                A["restore_blocked"] = self.restore_blocked(pid, port)
                self.save()

        order = [released, blocked, plain] if exp else [plain, released, blocked]
        for step in order:
            step()
        self.http(port, "POST", "/quit", timeout=10)
        try:
            w.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.log(f"engine ({key}) did not exit on /quit: killing it")
            w.stop(5)

    def failure_paths(self, pid: int, port: int) -> None:
        a = self.a
        fp = self.res["failure_paths"]
        self.http(port, "POST", "/busy?s=4")
        time.sleep(0.3)
        r = self.cli("suspend", pid, "--timeout-ms", "500")
        fp["lock_timeout_busy"] = self.slim(r)
        if r.get("rc") == 0:  # the driver took the lock anyway: put it back
            fp["lock_timeout_busy"]["resume"] = self.slim(self.cli("resume", pid))
        fp["lock_timeout_busy"]["state_after"] = self.cli("state", pid).get("tree_state")
        time.sleep(4.0)
        fp["lock_timeout_busy"]["check_after"] = self.http(port, "GET", "/check")
        self.log(
            f"failure path lock timeout: rc={r.get('rc')} error={r.get('error')} state_after={fp['lock_timeout_busy']['state_after']} check={fp['lock_timeout_busy']['check_after'].get('ok')}"
        )
        sleeper = subprocess.Popen(["sleep", "120"])
        r = self.cli("suspend", sleeper.pid)
        fp["not_cuda_pid"] = self.slim(r, keep_discovery=True)
        self.log(f"failure path non-CUDA pid: rc={r.get('rc')} error={r.get('error')}")
        sleeper.kill()
        sleeper.wait()
        if not a.dry_run:
            ci = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from cuda.bindings import driver as d; import sys, time; d.cuInit(0); print('x', flush=True); time.sleep(120)",
                ],
                stdout=subprocess.PIPE,
                env=self.env,
                text=True,
            )
            ci.stdout.readline()  # type: ignore[union-attr]
            r = self.cli("state", ci.pid)
            fp["cuinit_only_pid"] = self.slim(r, keep_discovery=True)
            self.log(f"cuInit-only pid: rc={r.get('rc')} error={r.get('error')} tree_state={r.get('tree_state')}")
            ci.kill()
            ci.wait()
        r = self.cli("resume", pid)
        fp["resume_running_is_noop"] = {"rc": r.get("rc"), "noop": r.get("noop")}
        self.save()

    def restore_blocked(self, pid: int, port: int) -> dict[str, Any]:
        rel = f"POST http://127.0.0.1:{port}/release"
        reg = f"POST http://127.0.0.1:{port}/regrow"
        out: dict[str, Any] = {}
        s = self.cli("suspend", pid, "--pre-suspend-http", rel, "--post-resume-http", reg)
        out["suspend"] = self.slim(s)
        need = (s.get("summary") or {}).get("gpu_bytes") or GiB
        free = (self.gpu_total() or 0) - (self.gpu_used() or 0)
        hog_gb = max(free - need // 2, 0) / self.unit if not self.a.dry_run else 4
        hog = self.spawn("worker.py", ["--mode", "borrow", "--borrow-gb", f"{hog_gb:.3f}"], "hog")
        try:
            out["hog"] = hog.ready(120)
        except RuntimeError as e:
            out["hog"] = {"error": str(e)}
        out["gpu_free_with_hog"] = (self.gpu_total() or 0) - (self.gpu_used() or 0)
        r = self.cli("resume", pid, "--post-resume-http", reg)
        out["resume_while_hogged"] = self.slim(r)
        out["resume_while_hogged"]["memory_check"] = r.get("memory_check")
        out["state_while_hogged"] = self.cli("state", pid).get("tree_state")
        hog.say()
        hog.p.wait(timeout=60)
        r2 = self.cli("resume", pid, "--post-resume-http", reg)
        out["resume_after_hog_left"] = self.slim(r2)
        out["check"] = self.http(port, "GET", "/check", timeout=30)
        self.log(
            f"restore while another process holds the GPU: first resume rc={r.get('rc')} ({(r.get('error') or {}).get('message')}); "
            f"state then {out['state_while_hogged']}; after it left: rc={r2.get('rc')} ({(r2.get('error') or {}).get('message')}), "
            f"restore {(r2.get('summary') or {}).get('restore_s')}s, check ok={out['check'].get('ok')}"
        )
        return out

    def scenario_b(self, ipc: bool) -> None:
        a = self.a
        key = "b_ipc" if ipc else "b"
        args = [
            "--workers",
            str(a.workers),
            "--weights-gb",
            str(a.b_weights_gb),
            "--kv-gb",
            str(a.b_kv_gb),
            "--shared-gb",
            str(a.b_shared_gb),
        ]
        g = self.spawn("group.py", args + (["--ipc"] if ipc else []), f"group{'-ipc' if ipc else ''}")
        info = g.ready(240)
        parent = info["parent"]
        ports = [w["port"] for w in info["workers"]]
        pids = [w["pid"] for w in info["workers"]]
        self.log(f"({key}) group up: parent {parent}, workers {pids}")
        B: dict[str, Any] = {"group": info}
        self.res["scenarios"][key] = B
        live = sum(int(w["weights_bytes"]) for w in info["workers"]) + (
            int(info["workers"][0]["shared_bytes"]) if ipc else 0
        )
        seq: list[dict[str, Any]] = []
        par: list[dict[str, Any]] = []
        B["sequential"], B["parallel"] = seq, par
        n = a.cycles_b if not ipc else 1
        for i in range(1, n + 1):
            if not self.want(f"{key}/seq#{i}", 45):
                break
            seq.append(
                self.cycle(
                    f"{key}_seq",
                    i,
                    parent,
                    ports,
                    pids,
                    tree=True,
                    release=False,
                    parallel=False,
                    verbose=ipc,
                    cli_timeout=a.ipc_timeout_s if ipc else 240,
                    check_timeout=20 if ipc else 120,
                )
            )
            self.save()
            if not seq[-1]["ok"]:
                break
        if all(c["ok"] for c in seq):
            for i in range(1, n + 1):
                if not self.want(f"{key}/parallel#{i}", 45):
                    break
                par.append(
                    self.cycle(
                        f"{key}_par",
                        i,
                        parent,
                        ports,
                        pids,
                        tree=True,
                        release=False,
                        parallel=True,
                        verbose=ipc,
                        cli_timeout=a.ipc_timeout_s if ipc else 240,
                        check_timeout=20 if ipc else 120,
                    )
                )
                self.save()
        B["summary_sequential"] = self.summarize(
            f"{key}_seq", seq, live, f"{a.workers} workers suspended as one tree, one process at a time"
        )
        if par:
            B["summary_parallel"] = self.summarize(
                f"{key}_par", par, live, f"{a.workers} workers, each phase's calls concurrent"
            )
        self.save()
        g.stop()

    def run(self) -> None:
        try:
            self.env_info()
            self.h2d()
            exp_env = {"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
            table = {
                "a": (lambda: self.scenario_a("a"), 200),
                "a_exp": (lambda: self.scenario_a("a_exp", exp_env), 80),
                "b": (lambda: self.scenario_b(False), 60),
                "b_ipc": (lambda: self.scenario_b(True), 45),
            }
            steps = [(n, *table[n]) for n in self.a.scenarios.split(",") if n]
            for name, fn, need in steps:
                if not self.want(name, need):
                    continue
                try:
                    fn()
                except Exception as e:  # keep going: later scenarios still measure
                    self.log(f"scenario {name} failed: {e!r}")
                    self.res["scenarios"].setdefault(name, {})["exception"] = repr(e)
                self.save()
        finally:
            for c in self.children:
                c.stop(5)
            self.table()
            self.save()

    def table(self) -> None:
        rows = []
        for sc in self.res["scenarios"].values():
            for k, v in sc.items():
                if k.startswith("summary") and isinstance(v, dict):
                    rows.append(v)
        self.res["table"] = rows
        h = self.res.get("h2d") or {}
        print("\n== cuda-checkpoint results ==", flush=True)
        print(
            f"pinned H2D {h.get('pinned_h2d_gb_s')} GB/s, D2H {h.get('pinned_d2h_gb_s')} GB/s; pageable H2D {h.get('pageable_h2d_gb_s')} GB/s"
        )
        print(
            "scenario | ok/cycles | live GB | moved GB | ckpt s | ckpt GB/s | restore s | restore GB/s | resume->serving s | goal s | s/moved GB | s/live GB | x pinned-H2D"
        )
        for r in rows:
            print(
                f"{r['scenario']} | {r['cycles_ok']}/{r['cycles']} | {r['live_gb']} | {r['moved_gb']} | {r['checkpoint_s']} | {r['checkpoint_gb_s']} | "
                f"{r['restore_s']} | {r['restore_gb_s']} | {r['resume_to_serving_s']} | {r['goal_resume_s']} | {r['restore_s_per_moved_gb']} | "
                f"{r['restore_s_per_live_gb']} | {r.get('restore_vs_pinned_h2d')}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.environ.get("OUT") or "/tmp/cuda-ckpt-out")
    ap.add_argument("--budget-s", type=float, default=480)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--weights-gb", type=float, default=10, help="GiB of checksummed weights in (a)")
    ap.add_argument("--kv-gb", type=float, default=28, help="GiB of KV cache in (a)")
    ap.add_argument("--cached-gb", type=float, default=4, help="GiB freed but kept by the caching allocator in (a)")
    ap.add_argument("--cycles-a", type=int, default=2)
    ap.add_argument("--cycles-a-release", type=int, default=3)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--b-weights-gb", type=float, default=3)
    ap.add_argument("--b-kv-gb", type=float, default=1)
    ap.add_argument("--b-shared-gb", type=float, default=2)
    ap.add_argument("--cycles-b", type=int, default=2)
    ap.add_argument("--cycles-exp", type=int, default=1, help="no-release cycles with expandable segments")
    ap.add_argument("--cycles-exp-release", type=int, default=2)
    ap.add_argument("--ipc-timeout-s", type=float, default=240, help="CLI timeout in the CUDA IPC scenario")
    ap.add_argument("--scenarios", default="a,b,b_ipc", help="comma list of a, a_exp, b, b_ipc")
    a = ap.parse_args()
    Measure(a).run()


if __name__ == "__main__":
    main()
