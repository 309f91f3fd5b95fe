"""Command line: python -m rouse_py.cuda_ckpt {suspend,resume,state} --pid PID [--tree] [--timeout-ms N] [--json]."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from .core import Coordinator, OperationFailed
from .driver import CheckpointDriver, CudaBindingsDriver, CudaCkptError
from .gpumem import GpuMemoryReader, NullReader, default_reader
from .hooks import HttpHook
from .ledger import Ledger

EXIT_CODES = """exit codes: 0 ok; 2 usage; 3 driver/bindings lack the checkpoint API; 4 no such process or no CUDA
process; 5 lock timeout (all running again); 6 permission; 7 a step failed (rolled back); 8 rollback
incomplete (see final_states); 9 hook failed; 10 processes in a state that forbids the action;
11 resume refused: the restore would not fit in the free GPU memory (nothing touched; retry later);
12 a restore failed: the engine cannot be resumed (kill it and start it again)"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m rouse_py.cuda_ckpt",
        description="Suspend/resume every CUDA process of an engine through the CUDA checkpoint driver API "
        "(GPU memory moves to host memory and back; driver >= 570).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="action", required=True)
    for name, help_ in (
        ("suspend", "lock all, then checkpoint all (GPU memory -> host)"),
        ("resume", "restore all, then unlock all (host -> GPU memory)"),
        ("state", "print each process's checkpoint state"),
    ):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--pid", type=int, required=True, help="the engine's process (the root of its tree with --tree)")
        s.add_argument("--tree", action="store_true", help="act on every CUDA process of the tree under --pid")
        s.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
        s.add_argument("--tree-method", choices=("auto", "children", "scan"), default="auto", help=argparse.SUPPRESS)
        s.add_argument(
            "-v", "--verbose", action="store_true", help="log each driver call on stderr as it starts and ends"
        )
        if name != "state":
            s.add_argument(
                "--parallel",
                action="store_true",
                help="run each phase's per-process calls concurrently (phases stay ordered)",
            )
            s.add_argument(
                "--post-resume-http",
                action="append",
                default=[],
                metavar="SPEC",
                help="'[METHOD ]URL[ BODY]' called after resume (and, on suspend, when a failed suspend is rolled back)",
            )
            s.add_argument("--hook-timeout-s", type=float, default=120.0)
        if name == "resume":
            s.add_argument(
                "--force",
                action="store_true",
                help="restore even if the free GPU memory looks too small for what the processes held at suspend",
            )
        if name == "suspend":
            s.add_argument(
                "--timeout-ms", type=int, default=30_000, help="lock timeout per process, ms (0: wait forever)"
            )
            s.add_argument(
                "--pre-suspend-http",
                action="append",
                default=[],
                metavar="SPEC",
                help="'[METHOD ]URL[ BODY]' that makes the engine release caches before the suspend (default POST)",
            )
    return p


def _human(report: dict[str, Any]) -> str:
    lines = []
    if report.get("action") == "state":
        lines.append(f"tree state: {report['tree_state']}")
        for pr in report["processes"]:
            gb = pr.get("gpu_bytes")
            lines.append(
                f"  pid {pr['pid']}: {pr['state']}" + (f", {gb / 1e9:.2f} GB on GPU" if gb is not None else "")
            )
        return "\n".join(lines)
    s = report.get("summary") or {}
    lines.append(
        f"{report['action']}: {'ok' if report.get('ok') else 'FAILED'}{' (no-op: ' + report['note'] + ')' if report.get('noop') else ''}"
    )
    for k, v in s.items():
        lines.append(f"  {k}: {v}")
    lines.append(f"  total_s: {report['timings_s'].get('total')}")
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None,
    *,
    driver_factory: Callable[[], CheckpointDriver] = CudaBindingsDriver,
    gpu_factory: Callable[[], GpuMemoryReader] = default_reader,
) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    out: dict[str, Any] = {"action": args.action, "ok": False, "root_pid": args.pid}
    try:
        pre = [HttpHook.parse(x, args.hook_timeout_s) for x in getattr(args, "pre_suspend_http", [])]
        post = [HttpHook.parse(x, args.hook_timeout_s) for x in getattr(args, "post_resume_http", [])]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    code = 0
    try:
        t = time.perf_counter()
        driver = driver_factory()
        out["driver"] = driver.info()
        out["driver_init_s"] = round(time.perf_counter() - t, 6)
        try:
            gpu = gpu_factory()
        except Exception:
            gpu = NullReader()
        on_step = None
        if args.verbose:

            def on_step(msg: str) -> None:
                print(f"[{time.perf_counter() - t0:8.3f}s] {msg}", file=sys.stderr, flush=True)

        coord = Coordinator(
            driver, gpu=gpu, parallel=getattr(args, "parallel", False), ledger=Ledger(), on_step=on_step
        )
        disc = coord.discover(args.pid, tree=args.tree, method=args.tree_method)
        out["discovery"] = disc
        if args.action == "suspend":
            rep = coord.suspend(disc["targets"], timeout_ms=args.timeout_ms, pre_hooks=pre, post_hooks=post)
        elif args.action == "resume":
            rep = coord.resume(disc["targets"], post_hooks=post, force=args.force)
        else:
            rep = coord.state(disc["targets"])
        out.update(rep)
    except OperationFailed as e:
        out.update(e.report)
        out["ok"] = False
        out["error"] = {"kind": e.kind, "message": str(e)}
        code = e.exit_code
    except CudaCkptError as e:
        out["error"] = e.to_json()
        code = e.exit_code
    out["cli_s"] = round(time.perf_counter() - t0, 6)
    if code:
        print(f"rouse cuda_ckpt {args.action}: {out['error']['kind']}: {out['error']['message']}", file=sys.stderr)
    if args.json:
        print(json.dumps(out, indent=1, default=str))
    elif not code:
        print(_human(out))
    return code
