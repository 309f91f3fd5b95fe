"""A stand-in inference engine for the CUDA checkpoint measurement.

It holds "weights" (random data with a checksum), a "KV cache" (a filled scratch buffer) and,
optionally, freed blocks left in PyTorch's caching allocator, and it answers on a loopback HTTP
control channel:

    GET  /info     sizes and allocator stats
    GET  /check    verify every checksum and run a small matmul; {"ok": bool, ...}
    POST /release  drop the KV cache, then torch.cuda.empty_cache()  (the pre-suspend hook)
    POST /regrow   allocate and fill the KV cache again               (the post-resume hook)
    POST /busy?s=N keep a CUDA call in flight for ~N s (a kernel + synchronize, in a thread)
    POST /drop_shared  an IPC importer drops the buffer it imported (ipc_probe.py)
    POST /quit     exit

Modes: `serve` (one engine process), `borrow` (grab N GB of GPU memory, hold until stdin closes
or a line arrives: "another engine using the GPU while the first is suspended").
Backends: `torch` (CUDA) or `py` (bytearrays on the host, for a dry run without a GPU).
Used standalone and by group.py (several workers under one parent, optionally sharing memory
through CUDA IPC).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

GiB = 1 << 30


class PyBackend:
    """Host bytearrays: exercises the control flow on a machine without a GPU."""

    name = "py"

    def __init__(self, unit: int) -> None:
        self.unit = unit

    def alloc_random(self, nbytes: int, seed: int) -> Any:
        return bytearray(os.urandom(nbytes))

    def alloc_fill(self, nbytes: int, value: int) -> Any:
        return bytearray([value & 0xFF]) * nbytes

    def checksum(self, t: Any) -> str:
        return hashlib.sha256(t).hexdigest()[:32]

    def release(self) -> None:
        pass

    def stats(self) -> dict[str, int]:
        return {}

    def busy(self, seconds: float) -> None:
        time.sleep(seconds)

    def probe(self) -> bool:
        return True

    def share(self, t: Any) -> Any:
        return bytes(t)

    def nbytes(self, t: Any) -> int:
        return len(t)


class TorchBackend:
    name = "torch"

    def __init__(self, unit: int) -> None:
        import torch  # noqa: PLC0415

        self.torch = torch
        self.unit = unit
        torch.cuda.init()
        self.dev = torch.device("cuda", 0)
        torch.zeros(1, device=self.dev)  # create the context now

    def alloc_random(self, nbytes: int, seed: int) -> Any:
        t = self.torch.empty(nbytes // 8, dtype=self.torch.int64, device=self.dev)
        g = self.torch.Generator(device=self.dev)
        g.manual_seed(seed)
        t.random_(generator=g)
        return t

    def alloc_fill(self, nbytes: int, value: int) -> Any:
        t = self.torch.empty(nbytes // 8, dtype=self.torch.int64, device=self.dev)
        t.fill_(value)
        return t

    def checksum(self, t: Any) -> str:
        """Two int64 sums (wrapping), the second weighted by row index: position-sensitive, deterministic."""
        torch = self.torch
        rows = t.view(-1, 4096).sum(dim=1)
        w = torch.arange(1, rows.numel() + 1, device=self.dev, dtype=torch.int64)
        return f"{int(rows.sum()) & (2**64 - 1):016x}{int((rows * w).sum()) & (2**64 - 1):016x}"

    def release(self) -> None:
        self.torch.cuda.synchronize()
        self.torch.cuda.empty_cache()

    def stats(self) -> dict[str, int]:
        return {
            "allocated": int(self.torch.cuda.memory_allocated()),
            "reserved": int(self.torch.cuda.memory_reserved()),
        }

    def busy(self, seconds: float) -> None:
        self.torch.cuda._sleep(int(seconds * 2.0e9))  # ~1.98 GHz SM clock on H100/H200
        self.torch.cuda.synchronize()

    def probe(self) -> bool:
        a = self.torch.ones(1024, 1024, device=self.dev)
        return bool(((a @ a) == 1024).all())

    def share(self, t: Any) -> Any:
        return t  # torch.multiprocessing sends CUDA tensors as IPC handles

    def nbytes(self, t: Any) -> int:
        return t.numel() * t.element_size()


class Engine:
    def __init__(self, be: Any, rank: int, weights: int, kv: int, cached: int, chunk: int, seed: int) -> None:
        self.be, self.rank, self.kv_bytes, self.chunk = be, rank, kv, chunk
        t0 = time.perf_counter()
        self.weights = []
        left, i = weights, 0
        while left > 0:
            n = min(chunk, left)
            self.weights.append(be.alloc_random(n, seed * 1000 + rank * 100 + i))
            left, i = left - n, i + 1
        self.weights_sum = [be.checksum(w) for w in self.weights]
        self.kv: list[Any] = []
        self.kv_sum: list[str] = []
        self.regrow()
        if cached:  # a freed temporary: stays reserved in the caching allocator until empty_cache()
            tmp = be.alloc_fill(cached, 7)
            del tmp
        self.shared: Any = None
        self.shared_sum: str | None = None
        self.setup_s = time.perf_counter() - t0
        self.lock = threading.Lock()

    def regrow(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        self.kv, self.kv_sum = [], []
        left = self.kv_bytes
        while left > 0:
            n = min(2 * self.chunk, left)
            t = self.be.alloc_fill(n, 0x5A + self.rank)
            self.kv.append(t)
            left -= n
        self.kv_sum = [self.be.checksum(t) for t in self.kv]
        return {"kv_bytes": self.kv_bytes, "seconds": time.perf_counter() - t0}

    def release(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        before = self.be.stats()
        self.kv, self.kv_sum = [], []
        self.be.release()
        after = self.be.stats()
        freed = before.get("reserved", 0) - after.get("reserved", 0)
        return {"freed_reserved_bytes": freed, "stats": after, "seconds": time.perf_counter() - t0}

    def check(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        w_ok = [self.be.checksum(w) for w in self.weights] == self.weights_sum
        kv_ok = [self.be.checksum(t) for t in self.kv] == self.kv_sum
        sh_ok = self.shared is None or self.be.checksum(self.shared) == self.shared_sum
        probe = self.be.probe()
        return {
            "ok": bool(w_ok and kv_ok and sh_ok and probe),
            "weights_ok": w_ok,
            "kv_ok": kv_ok,
            "shared_ok": sh_ok,
            "matmul_ok": probe,
            "seconds": time.perf_counter() - t0,
        }

    def info(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "rank": self.rank,
            "backend": self.be.name,
            "weights_bytes": sum(self.be.nbytes(w) for w in self.weights),
            "kv_bytes": sum(self.be.nbytes(t) for t in self.kv),
            "shared_bytes": self.be.nbytes(self.shared) if self.shared is not None else 0,
            "setup_s": self.setup_s,
            **self.be.stats(),
        }


def make_handler(engine: Engine, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def _send(self, code: int, obj: Any) -> None:
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            u = urlparse(self.path)
            q = parse_qs(u.query)
            try:
                if u.path == "/info":
                    return self._send(200, engine.info())
                if u.path == "/check":
                    with engine.lock:
                        return self._send(200, engine.check())
                if u.path == "/release":
                    with engine.lock:
                        return self._send(200, engine.release())
                if u.path == "/regrow":
                    with engine.lock:
                        return self._send(200, engine.regrow())
                if u.path == "/drop_shared":  # an IPC importer closes its mapping of the exporter's buffer
                    with engine.lock:
                        engine.shared, engine.shared_sum = None, None
                        engine.be.release()
                    return self._send(200, {"dropped": True})
                if u.path == "/busy":
                    s = float(q.get("s", ["3"])[0])
                    threading.Thread(target=engine.be.busy, args=(s,), daemon=True).start()
                    return self._send(200, {"busy_s": s})
                if u.path == "/quit":
                    stop.set()
                    return self._send(200, {"bye": True})
                return self._send(404, {"error": u.path})
            except Exception as e:  # report, keep serving
                return self._send(500, {"error": repr(e)})

        do_GET = _route  # noqa: N815
        do_POST = _route  # noqa: N815

        def log_message(self, *a: Any) -> None:
            pass

    return H


def make_backend(name: str, unit: int) -> Any:
    return TorchBackend(unit) if name == "torch" else PyBackend(unit)


def serve(
    cfg: dict[str, Any], rank: int = 0, ready: Any = None, share_out: list[Any] | None = None, share_in: Any = None
) -> None:
    """Build the engine, start the control server, announce READY, serve until /quit."""
    unit = int(cfg["unit"])
    be = make_backend(cfg["backend"], unit)
    eng = Engine(
        be,
        rank,
        int(cfg["weights_gb"] * unit),
        int(cfg["kv_gb"] * unit),
        int(cfg.get("cached_gb", 0) * unit),
        chunk=min(GiB, unit),
        seed=int(cfg.get("seed", 1)),
    )
    if share_out is not None:  # rank 0 of an IPC group: export a buffer to every peer
        eng.shared = be.alloc_random(int(cfg["shared_gb"] * unit), 4242)
        eng.shared_sum = be.checksum(eng.shared)
        for q in share_out:
            q.put((be.share(eng.shared), eng.shared_sum))
    if share_in is not None:
        t, s = share_in.get(timeout=120)
        eng.shared, eng.shared_sum = t, s
    stop = threading.Event()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(eng, stop))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    info = {**eng.info(), "port": srv.server_address[1]}
    if ready is not None:
        ready.put(info)
    else:
        print("READY " + json.dumps(info), flush=True)
    stop.wait()
    srv.shutdown()


def borrow(cfg: dict[str, Any]) -> None:
    """Take `borrow_gb` of GPU memory (1 GiB blocks, as much as fits), report, hold until stdin says go."""
    unit = int(cfg["unit"])
    be = make_backend(cfg["backend"], unit)
    want = int(cfg["borrow_gb"] * unit)
    held, got, err = [], 0, None
    t0 = time.perf_counter()
    step = min(GiB, unit)
    while got + step <= want:
        try:
            held.append(be.alloc_fill(step, 3))
        except Exception as e:  # out of memory: keep what we have
            err = repr(e)[:200]
            break
        got += step
    print(
        "READY "
        + json.dumps({"pid": os.getpid(), "borrowed_bytes": got, "seconds": time.perf_counter() - t0, "error": err}),
        flush=True,
    )
    sys.stdin.readline()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("serve", "borrow"), default="serve")
    ap.add_argument("--backend", choices=("torch", "py"), default="torch")
    ap.add_argument("--unit", type=int, default=GiB, help="bytes per 'GB' argument (GiB; tiny for a dry run)")
    ap.add_argument("--weights-gb", type=float, default=10)
    ap.add_argument("--kv-gb", type=float, default=28)
    ap.add_argument("--cached-gb", type=float, default=0)
    ap.add_argument("--borrow-gb", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    cfg = {k: getattr(a, k) for k in ("backend", "unit", "weights_gb", "kv_gb", "cached_gb", "borrow_gb", "seed")}
    if a.mode == "borrow":
        borrow(cfg)
    else:
        serve(cfg)


if __name__ == "__main__":
    main()
