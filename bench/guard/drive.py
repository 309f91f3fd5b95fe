"""Runs the guard benchmark's measurements (issue #16) and writes them as raw JSON.

    python drive.py --bin DIR --app APP_PY --proxy-app APP_PY --out FILE
                    [--warmup S] [--duration S] [--workers N] [--asgi-servers N] [--repeats R]

DIR holds the Go stand-in engine (`standin`) and load generator (`loadgen`); --app is a
generated app.py as emitted for vLLM (in-process guard), --proxy-app the same config
generated for an engine without an ASGI server (transport guard). Every scenario is
measured, one mechanism after the other, in one run:
  direct          the Go stand-in engine, no guard
  guard (×N)      the proxy app's transport guard (its start_guard, served by
                  serve_guard.py) in front of it: what rouse emits for engines without
                  an ASGI server
  asgi direct     standin_asgi.py: a Python stand-in shaped like vLLM's API server
                  (Starlette + uvicorn/httptools on uvloop, one process), no guard
  asgi + guard    the same started as app.py starts vLLM: in the environment its
                  guard_env() makes (its GUARD_MODULE as rouse_guard.py on PYTHONPATH,
                  admin token, boot file, API key variable), with
                  `--middleware rouse_guard.RouseGuard`: what rouse emits for vLLM and SGLang
  asgi … ×N       with --asgi-servers N > 1, both again with N server processes on one
                  socket (vLLM's --api-server-count N), so that one process's core is not
                  the limit of either row
With --repeats R > 1, the paced 256 and 1,000 stream scenarios of the ASGI rows run R times
in all (the report judges their medians): one 5 s window is noisy at the tail.
Needs a Python with uvicorn, starlette, httptools and uvloop (device.sh installs them from
the carried wheels; here an engine's venv has them). No Node: bench/guard/report.ts turns
FILE into bench/results/guard.md + guard.json.
"""

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import guard_cost
from generated_app import load_app

HERE = Path(__file__).resolve().parent
PACE = "20ms"  # one decode step per token
STREAM_TOKENS = 64
UNPACED_TOKENS = 256
API_KEY = "sk-bench-guard-0123456789"
TICKS = os.sysconf("SC_CLK_TCK")
children: list[subprocess.Popen] = []


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def start(argv: list[str], ready: str, log_path: Path, env=None) -> tuple[subprocess.Popen, str]:
    """Starts a process, its stderr to log_path; waits (30 s at most) for its first stdout
    line starting with ready."""
    with log_path.open("w") as log_file:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log_file, text=True, env=env)
    children.append(child)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.startswith(ready):
            return child, line.strip()
        if not line and child.poll() is not None:
            break
    raise RuntimeError(f"{argv[0]}: not ready (exit {child.poll()}); see the log")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of pid and its children (guard worker processes, if any)."""
    total = 0.0
    pids = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def load_run(
    loadgen: str, port: int, c: int, stream: bool, tokens: int, args, cpu_pid=None, cpu_field="guard_cores"
) -> dict:
    """One load generator run; with cpu_pid, that process's cores over the measured window."""
    argv = [
        loadgen,
        f"-url=http://127.0.0.1:{port}",
        f"-c={c}",
        f"-stream={str(stream).lower()}",
    ]
    argv += [
        f"-tokens={tokens}",
        f"-warmup={args.warmup}s",
        f"-duration={args.duration}s",
        f"-key={API_KEY}",
        f"-ramp={args.ramp}s",
    ]
    before = load()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    children.append(child)
    cores = None
    if cpu_pid:
        time.sleep(args.warmup)
        t0, c0 = time.monotonic(), cpu_seconds(cpu_pid)
        time.sleep(args.duration)
        cores = (cpu_seconds(cpu_pid) - c0) / (time.monotonic() - t0)
    out, _ = child.communicate(timeout=args.warmup + args.duration + 60)
    if child.returncode != 0:
        raise RuntimeError(f"loadgen exited {child.returncode}")
    return {**json.loads(out), "guard_cores": None, cpu_field: cores, "load_before": before}


ASGI_ARMS = ("asgi_direct", "asgi_guard", "asgi_direct_n", "asgi_guard_n")


def engine_and_guards(args, pace: str, logs: Path) -> dict:
    """The stand-in engine, the guard as emitted (one process) and, with --workers N > 1,
    a second guard of N processes on one port; the ASGI stand-in without and with the
    in-process guard, in one process and (--asgi-servers N > 1) in N."""
    engine, line = start(
        [str(args.bin / "standin"), "-port=0", f"-pace={pace}"], "listening", logs / f"standin-{pace}.log"
    )
    setup = {"engine": engine, "engine_port": int(line.split()[1]), "guards": {}}
    for workers in sorted({1, args.workers}):
        port = free_port()
        argv = [sys.executable, str(HERE / "serve_guard.py"), str(args.proxy_app), f"--port={port}"]
        argv += [f"--engine-port={setup['engine_port']}", f"--key={API_KEY}", f"--workers={workers}"]
        guard, line = start(argv, "guard ready", logs / f"guard-{pace}-x{workers}.log")
        setup["guards"][workers] = (guard, port)
        setup["loop"] = line.removeprefix("guard ready ").strip()
    seconds = {"20ms": "0.02", "0s": "0"}[pace]
    asgi = [sys.executable, str(HERE / "standin_asgi.py"), f"--pace={seconds}"]
    guarded = [f"--middleware={args.middleware}"]
    arms = [("asgi_direct", [], None), ("asgi_guard", guarded, args.engine_env)]
    if args.asgi_servers > 1:
        servers = [f"--servers={args.asgi_servers}"]
        arms += [("asgi_direct_n", servers, None), ("asgi_guard_n", guarded + servers, args.engine_env)]
    for name, extra, env in arms:
        process, line = start(asgi + extra, "listening", logs / f"{name}-{pace}.log", env)
        setup[name] = (process, int(line.split()[1]))
    return setup


def engine_env(app_py: Path) -> tuple[dict, str, str, str]:
    """The environment a generated app.py gives its engine (guard_env(): the guard module
    written to a private folder on PYTHONPATH, admin token, boot file, the API key's
    variable), with the API key set as the container's secret sets it; that folder; the
    middleware its ENGINE_CMD names after --middleware (as vLLM reads it); and the sha256 of
    the guard module, to name the version measured."""
    app = load_app(app_py, "rouse_bench_app_in_process")
    if not hasattr(app, "guard_env") or not isinstance(getattr(app, "GUARD_MODULE", None), str):
        raise SystemExit(f"{app_py}: no guard_env()/GUARD_MODULE: not an app with the in-process guard")
    cmd = app.ENGINE_CMD
    if "--middleware" not in cmd[:-1]:
        raise SystemExit(f"{app_py}: its ENGINE_CMD names no --middleware: not a vLLM app")
    os.environ[app.API_KEY_ENV] = API_KEY
    env = app.guard_env()
    module_sha256 = hashlib.sha256(app.GUARD_MODULE.encode()).hexdigest()
    return env, os.path.dirname(app.GUARD_FILES["boot"]), cmd[cmd.index("--middleware") + 1], module_sha256


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("uvloop", "aiohttp", "uvicorn", "starlette", "httptools"):
        try:
            out[name] = __import__(name).__version__
        except ImportError:
            out[name] = None
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", type=Path, required=True)
    ap.add_argument("--app", type=Path, required=True, help="app.py as emitted (in-process guard)")
    ap.add_argument("--proxy-app", type=Path, required=True, help="the same config's app with the transport guard")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--logs", type=Path, help="folder for the processes' logs (default: --out's)")
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--duration", type=float, default=6)
    ap.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="seconds over which the load generator's workers start, spread evenly (default: the warm-up; 0: all at once)",
    )
    ap.add_argument("--workers", type=int, default=1, help="also measure a guard of N processes (SO_REUSEPORT)")
    ap.add_argument(
        "--asgi-servers", type=int, default=1, help="also measure the ASGI rows with N server processes"
    )
    ap.add_argument("--repeats", type=int, default=1, help="runs of the ASGI rows at paced 256 and 1,000")
    ap.add_argument(
        "--only", action="append", default=[], help="run only scenarios whose name contains this (repeatable)"
    )
    ap.add_argument("--arms", default="", help="run only these rows, comma-separated (e.g. asgi_direct,asgi_guard)")
    ap.add_argument("--machine", default="", help="a name for the machine, for the report")
    ap.add_argument("--commit", default="", help="the rouse commit the apps were generated at")
    args = ap.parse_args()
    # Bad options stop the run before anything starts, naming the option.
    chosen = set(args.arms.split(",")) if args.arms else None
    known = {"direct", "guard", "guard_workers", *ASGI_ARMS}
    if chosen is not None and not chosen <= known:
        raise SystemExit(f"--arms: unknown {', '.join(sorted(chosen - known))} (known: {', '.join(sorted(known))})")
    for name in ("workers", "asgi_servers", "repeats"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.ramp is None:
        args.ramp = args.warmup
    if not 0 <= args.ramp <= args.warmup:
        # Workers still starting inside the measured window would make it a ramp, not N streams.
        raise SystemExit(f"--ramp must be between 0 and --warmup ({args.warmup}), got {args.ramp}")
    try:
        for name in ("uvicorn", "starlette", "httptools", "uvloop"):
            __import__(name)
    except ImportError as e:
        raise SystemExit(
            f"drive.py: {e.name} is missing from {sys.executable}: run it with a Python that has uvicorn, "
            "starlette, httptools and uvloop (device.sh installs them from the carry's wheels)"
        ) from e
    # Stopped from outside (timeout, a kill): the children are killed on the way out too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # 1,000 streams take 2,000+ descriptors in the guard: the soft limit up to the hard one.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    logs = args.logs or args.out.parent
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": args.machine,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cpu": cpu_model(),
        "load_at_start": load(),
        "guard_python": sys.executable,
        **versions(),
        "nofile": [hard, hard],
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "ramp_s": args.ramp,
        "pace": PACE,
        "stream_tokens": STREAM_TOKENS,
        "unpaced_tokens": UNPACED_TOKENS,
        "app": "default preset, API key on",
        "workers": args.workers,
        "asgi_servers": args.asgi_servers,
        "repeats": args.repeats,
        "only": args.only,
        "arms": args.arms,
        "asgi_guard_source": "app.py's GUARD_MODULE, written by its guard_env()",
        "rouse_commit": args.commit,
    }
    log(f"guard bench: {env['cores']} cores, load {env['load_at_start']}, {sys.executable}")
    loadgen = str(args.bin / "loadgen")
    rows = []

    def write(env, rows):
        args.out.write_text(json.dumps({"env": env, "rows": rows}, indent=2) + "\n")

    def wanted(arm: str) -> bool:
        return chosen is None or arm in chosen

    def compare(scenario, setup, c, stream, tokens, repeat=0):
        """All rows of a scenario; a repeat (repeat > 0) runs only the ASGI ones."""
        if args.only and not any(part in scenario for part in args.only):
            return
        row: dict = {"scenario": scenario}
        if repeat:
            row["repeat"] = repeat
        else:
            if wanted("direct"):
                row["direct"] = load_run(loadgen, setup["engine_port"], c, stream, tokens, args)
            for workers, (guard, port) in setup["guards"].items():
                name = "guard" if workers == 1 else "guard_workers"
                if wanted(name):
                    row[name] = load_run(loadgen, port, c, stream, tokens, args, guard.pid)
        # Repeats alternate the order of the ASGI rows, so a drift of the machine over a
        # scenario's runs does not always favour the same row.
        order = ASGI_ARMS if repeat % 2 == 0 else tuple(reversed(ASGI_ARMS))
        for name in (a for a in order if a in setup and wanted(a)):
            engine, port = setup[name]
            row[name] = load_run(loadgen, port, c, stream, tokens, args, engine.pid, "engine_cores")
        rows.append(row)
        # After every scenario, so a run stopped at its time limit still leaves its rows.
        write({**env, "load_at_end": load(), "partial": True}, rows)
        rate = "tok_per_s" if stream else "req_per_s"
        log(
            f"{scenario}{f' (repeat {repeat})' if repeat else ''}: "
            + " · ".join(
                ([f"direct {row['direct'][rate]:.0f}"] if "direct" in row else [])
                + [
                    f"{k} {row[k][rate]:.0f} ({row[k]['guard_cores']:.2f} cores, {row[k]['errors']} errors)"
                    for k in ("guard", "guard_workers")
                    if k in row
                ]
                + [
                    f"{k} {row[k][rate]:.0f} (engine {row[k]['engine_cores']:.2f} cores, {row[k]['errors']} errors)"
                    for k in ASGI_ARMS
                    if k in row
                ]
            )
        )

    args.engine_env, guard_folder, args.middleware, env["asgi_guard_sha256"] = engine_env(args.app)
    module_file = Path(guard_folder) / (args.middleware.rpartition(".")[0] + ".py")
    env["asgi_guard_cost"] = guard_cost.measure(module_file, args.engine_env, API_KEY)
    log(f"in-process guard, alone: {env['asgi_guard_cost']}")
    try:
        paced = engine_and_guards(args, PACE, logs)
        env["guard_loop"] = paced["loop"]
        for c in (1, 64, 256, 1000):
            compare(f"paced stream, {c} concurrent", paced, c, True, STREAM_TOKENS)
        for c in (1, 64, 256):
            compare(f"non-stream, {c} concurrent", paced, c, False, 1)
        for repeat in range(1, args.repeats):
            for c in (256, 1000):
                compare(f"paced stream, {c} concurrent", paced, c, True, STREAM_TOKENS, repeat)
        asgi = [paced[a][0] for a in ASGI_ARMS if a in paced]
        for p in [paced["engine"], *(g for g, _ in paced["guards"].values()), *asgi]:
            p.kill()
        unpaced = engine_and_guards(args, "0s", logs)
        for c in (64, 256):
            compare(f"unpaced stream, {c} concurrent", unpaced, c, True, UNPACED_TOKENS)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        shutil.rmtree(guard_folder, ignore_errors=True)
    env["load_at_end"] = load()
    write(env, rows)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
