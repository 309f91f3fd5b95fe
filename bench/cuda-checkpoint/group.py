"""A multi-process engine: one parent (no CUDA) and N worker processes (worker.serve).

With --ipc, rank 0 exports a buffer to every other rank through CUDA IPC (torch.multiprocessing
sends CUDA tensors as IPC handles), as tensor-parallel engines do with shared buffers.
Prints `READY {"parent": pid, "workers": [{pid, port, ...}, ...]}` and waits until killed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import worker  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--backend", choices=("torch", "py"), default="torch")
    ap.add_argument("--unit", type=int, default=worker.GiB)
    ap.add_argument("--weights-gb", type=float, default=2)
    ap.add_argument("--kv-gb", type=float, default=2)
    ap.add_argument("--shared-gb", type=float, default=1)
    ap.add_argument("--ipc", action="store_true")
    a = ap.parse_args()
    if a.backend == "torch":
        import torch.multiprocessing as mp  # noqa: PLC0415  (the parent never touches CUDA)
    else:
        import multiprocessing as mp  # noqa: PLC0415
    ctx = mp.get_context("spawn")
    cfg = {"backend": a.backend, "unit": a.unit, "weights_gb": a.weights_gb, "kv_gb": a.kv_gb, "shared_gb": a.shared_gb}
    ready = ctx.Queue()
    peers = [ctx.Queue() for _ in range(a.workers - 1)] if a.ipc else []
    procs = []
    for rank in range(a.workers):
        kw = {}
        if a.ipc and rank == 0:
            kw["share_out"] = peers
        if a.ipc and rank > 0:
            kw["share_in"] = peers[rank - 1]
        p = ctx.Process(target=worker.serve, args=(cfg, rank, ready), kwargs=kw, daemon=False)
        p.start()
        procs.append(p)
    infos = sorted((ready.get(timeout=300) for _ in procs), key=lambda i: i["rank"])
    print("READY " + json.dumps({"parent": os.getpid(), "ipc": a.ipc, "workers": infos}), flush=True)

    def bye(*_: object) -> None:
        for p in procs:
            if p.is_alive():
                p.kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, bye)
    while any(p.is_alive() for p in procs):
        time.sleep(0.5)


if __name__ == "__main__":
    main()
