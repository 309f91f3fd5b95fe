#!/usr/bin/env python3
"""Probe: can a tree whose processes share GPU memory through CUDA IPC be restored, in any order?

Each experiment starts a fresh 2-worker group (rank 0 exports a buffer, rank 1 imports it),
suspends it through the library (lock all, checkpoint all), then tries one way back:

  reverse            restore the importer first, then the exporter, then unlock both
  exporter_first     restore + unlock the exporter, then restore + unlock the importer
  importer_released  the importer closes its IPC mapping before the suspend; normal resume
A failed restore is retried once to see whether the process is still recoverable.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "python" / "src"))

from measure import Child  # noqa: E402

from rouse_py.cuda_ckpt import Coordinator, CudaBindingsDriver, default_reader  # noqa: E402


def main() -> None:
    out = Path(os.environ.get("OUT") or "/tmp/ipc-probe")
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "ipc-probe-workers.log", "a")  # noqa: SIM115
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    drv = CudaBindingsDriver()
    gpu = default_reader()
    results: dict[str, Any] = {"driver": drv.info(), "experiments": {}}
    t0 = time.time()

    def say(msg: str) -> None:
        print(f"[{time.time() - t0:6.1f}s] {msg}", flush=True)

    import urllib.request  # noqa: PLC0415

    def http(port: int, path: str, method: str = "GET", timeout: float = 15) -> dict[str, Any]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", data=b"" if method == "POST" else None, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())
        except Exception as e:
            return {"ok": False, "error": repr(e)[:200]}

    for name in ("reverse", "exporter_first", "importer_released"):
        rec: dict[str, Any] = {}
        results["experiments"][name] = rec
        g = Child(
            [
                sys.executable,
                str(HERE / "group.py"),
                "--workers",
                "2",
                "--ipc",
                "--weights-gb",
                "1",
                "--kv-gb",
                "0",
                "--shared-gb",
                "1",
            ],
            env,
            log,
            f"group-{name}",
        )
        try:
            info = g.ready(120)
            exp, imp = (w["pid"] for w in info["workers"])
            eport, iport = (w["port"] for w in info["workers"])
            rec["pids"] = {"exporter": exp, "importer": imp}
            if name == "importer_released":
                rec["drop_shared"] = http(iport, "/drop_shared", "POST")
            co = Coordinator(drv, gpu=gpu)
            try:
                rec["suspend"] = {
                    k: v for k, v in co.suspend([exp, imp]).items() if k in ("ok", "summary", "steps", "final_states")
                }
            except Exception as e:
                rec["suspend"] = {"error": repr(e)}
            steps = []

            def step(op: str, pid: int) -> bool:
                t = time.perf_counter()
                try:
                    getattr(drv, op)(pid)
                    steps.append({"op": op, "pid": pid, "ok": True, "s": round(time.perf_counter() - t, 3)})
                    return True
                except Exception as e:
                    steps.append({"op": op, "pid": pid, "ok": False, "error": str(e)})
                    return False

            if name == "reverse":
                plan = [("restore", imp), ("restore", exp), ("unlock", imp), ("unlock", exp)]
            elif name == "exporter_first":
                plan = [("restore", exp), ("unlock", exp), ("restore", imp), ("unlock", imp)]
            else:
                plan = [("restore", exp), ("restore", imp), ("unlock", exp), ("unlock", imp)]
            for op, pid in plan:
                if not step(op, pid) and op == "restore":
                    time.sleep(1)
                    step(op, pid)  # retry once: is the process still recoverable?
            rec["resume_steps"] = steps
            rec["states"] = {}
            for pid in (exp, imp):
                try:
                    rec["states"][pid] = drv.get_state(pid).value
                except Exception as e:
                    rec["states"][pid] = repr(e)
            rec["check"] = {"exporter": http(eport, "/check"), "importer": http(iport, "/check")}
        except Exception as e:
            rec["exception"] = repr(e)
        say(f"{name}: {json.dumps(rec)[:1500]}")
        g.stop(10)
        (out / "ipc-probe.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
