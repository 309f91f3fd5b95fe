"""Run a generated app.py's own container-side methods, without Modal, on a real GPU.

    python -m rouse_py.gpu_recipe APP_PY --results FILE --step NAME [--ckpt "python3 -m rouse_py.cuda_ckpt"]
                                 [--modal-site DIR] [--modal auto|stub] [--model NAME] [--no-checkpoint]

Issue 15/20 item 4 ("the emitted app's recipe on the GPU"). Modal would run, in one container:
the ``@modal.enter(snap=True)`` methods (start → ready → warm-up → sleep, and a canary where the
generated class records one), then take a GPU memory snapshot, then in a restored container the
``@modal.enter(snap=False)`` methods (wake → canary → ready) and the ``@modal.web_server`` method
(the guard). This driver calls exactly those methods of the generated class, in that order, and
puts a CUDA checkpoint/restore of the engine's process tree (``rouse_py.cuda_ckpt``) where Modal's
GPU snapshot would be. That is a STAND-IN for Modal's snapshot: the process is not restored in a
new container, its CPU memory never leaves the machine. Then it streams a completion through the
guard and calls the ``@modal.exit`` methods.

The methods are found by their Modal flags, read from the real ``modal`` SDK (``--modal-site``, the
wheels tools/gpu/bundle.sh carries). Where the SDK cannot be imported, a stub that records only what
the decorators need (``rouse_py.gpu_modal_stub``) stands in, and the results say so.

Every phase is recorded into the results JSON (``steps[NAME]``) as soon as it ends, so a run killed
at its time box keeps what it measured. Exit 0 when the recipe ran to the end, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# Modal's flags (modal/_partial_function.py, _PartialFunctionFlags in 1.6.4), by name.
PHASES = ("ENTER_PRE_SNAPSHOT", "ENTER_POST_SNAPSHOT", "WEB_INTERFACE", "EXIT")


class Recorder:
    """Merges values into ``steps[step]`` of a JSON file, writing it after every value."""

    def __init__(self, path: str, step: str):
        self.path, self.step = Path(path), step

    def __call__(self, key: str, value) -> None:
        doc = json.loads(self.path.read_text()) if self.path.exists() else {"steps": {}}
        doc.setdefault("steps", {}).setdefault(self.step, {})[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, default=str) + "\n")
        tmp.replace(self.path)
        print(f"[gpu-recipe] {self.step}.{key} = {json.dumps(value, default=str)[:300]}", flush=True)


def import_modal(modal_site: str | None, force_stub: bool = False):
    """The real modal SDK when importable (from modal_site first), else the named stub."""
    if modal_site and os.path.isdir(modal_site):
        sys.path.insert(0, modal_site)
    try:
        if force_stub:
            raise ImportError("--modal stub")
        import modal  # noqa: F401
        from modal._partial_function import _PartialFunctionFlags  # noqa: F401

        return "real", f"modal {modal.__version__}"
    except Exception as e:  # any import failure: fall back, and say why
        for name in [m for m in sys.modules if m == "modal" or m.startswith("modal.")]:
            del sys.modules[name]
        from rouse_py import gpu_modal_stub

        sys.modules["modal"] = gpu_modal_stub
        return "stub", f"rouse_py.gpu_modal_stub (the real SDK did not import: {type(e).__name__}: {e})"


def load_app(path: str):
    spec = importlib.util.spec_from_file_location("rouse_generated_app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def lifecycle_methods(kind: str, module) -> tuple[str, type, dict[str, list]]:
    """The server class and its methods per phase, in definition order."""
    found = []
    for name, obj in vars(module).items():
        user_cls = _user_cls(kind, obj)
        if user_cls is not None:
            found.append((name, user_cls))
    if len(found) != 1:
        raise SystemExit(f"expected one @app.cls class in the app, found {[n for n, _ in found]}")
    name, user_cls = found[0]
    phases: dict[str, list] = {p: [] for p in PHASES}
    for attr, value in user_cls.__dict__.items():
        raw, flags = _raw_and_flags(kind, value)
        for phase in PHASES:
            if raw is not None and phase in flags:
                phases[phase].append((attr, raw))
    return name, user_cls, phases


def _user_cls(kind: str, obj):
    if kind == "stub":
        return obj if getattr(obj, "__rouse_stub_cls__", False) else None
    import modal
    from modal._utils.async_utils import synchronizer

    if not isinstance(obj, modal.Cls):
        return None
    return synchronizer._translate_in(obj)._user_cls


def _raw_and_flags(kind: str, value):
    if kind == "stub":
        return getattr(value, "__wrapped_raw__", None), set(getattr(value, "__rouse_flags__", ()))
    import modal
    from modal._partial_function import _PartialFunctionFlags
    from modal._utils.async_utils import synchronizer

    if not isinstance(value, modal.partial_function.PartialFunction):
        return None, set()
    inner = synchronizer._translate_in(value)
    names = {p for p in PHASES if hasattr(_PartialFunctionFlags, p) and inner.flags & getattr(_PartialFunctionFlags, p)}
    return inner.raw_f, names


def gpu_used_mib():
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return int(out.stdout.split()[0])
    except Exception:
        return None


def checkpoint(ckpt: list[str], action: str, pid: int) -> dict:
    t0 = time.monotonic()
    out = subprocess.run(
        [*ckpt, action, "--pid", str(pid), "--tree", "--json"], capture_output=True, text=True, timeout=600
    )
    result = {"exit": out.returncode, "wall_s": round(time.monotonic() - t0, 3)}
    try:
        report = json.loads(out.stdout)
        result.update(summary=report.get("summary"), timings_s=report.get("timings_s"), error=report.get("error"))
    except ValueError:
        result["error"] = (out.stderr.strip().splitlines() or [""])[-1][:300]
    return result


def stream_through_guard(port: int, model: str, key: str | None) -> dict:
    """One streamed completion through the app's guard: time to first content, whole text, boot header."""
    body = json.dumps(
        {"model": model, "prompt": "The quick brown fox", "max_tokens": 16, "temperature": 0, "stream": True}
    ).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    headers["X-Rouse-Boot"] = "?"  # ask for the boot header (the in-process guard adds it only then)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", body, headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    t0 = time.monotonic()
    first, text, done = None, "", False
    with opener.open(request, timeout=300) as response:
        boot = response.headers.get("x-rouse-boot")
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                continue
            chunk = json.loads(data)
            if first is None and chunk.get("choices"):
                first = time.monotonic() - t0
            text += "".join(c.get("text") or "" for c in chunk.get("choices", []))
    return {
        "status": response.status,
        "ttft_s": round(first or -1, 4),
        "complete": done,
        "text": text,
        "x_rouse_boot": boot,
    }


def unauthenticated_status(port: int) -> int:
    """The guard must refuse /v1 without the key (it is the only thing on the public port)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models")
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# Both engines' admin routes (GET only: harmless if one were reached; a reached one answers 200 or
# 405, the guard's refusal is 404).
ADMIN_PROBES = (
    "/is_sleeping",
    "/sleep",
    "/wake_up",
    "/collective_rpc",
    "/server_info",
    "/release_memory_occupation",
    "/resume_memory_occupation",
    "/get_server_info",
    "/flush_cache",
)


def admin_statuses(port: int, key: str | None) -> dict:
    """What the public port answers for each admin route, with the API key (never the admin token)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    out = {}
    for path in ADMIN_PROBES:
        try:
            with opener.open(
                urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers), timeout=30
            ) as r:
                out[path] = r.status
        except urllib.error.HTTPError as e:
            out[path] = e.code
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("app")
    ap.add_argument("--results", required=True)
    ap.add_argument("--step", required=True)
    ap.add_argument("--ckpt", default=f"{sys.executable} -m rouse_py.cuda_ckpt")
    ap.add_argument("--modal-site", default=os.environ.get("ROUSE_MODAL_SITE"))
    ap.add_argument("--modal", choices=("auto", "stub"), default="auto", help="stub: skip the real SDK")
    ap.add_argument("--model", help="model name to send (default: the app's MODEL)")
    ap.add_argument("--no-checkpoint", action="store_true", help="skip the CUDA checkpoint (machines without one)")
    args = ap.parse_args(argv)
    r = Recorder(args.results, args.step)

    kind, modal_note = import_modal(args.modal_site, force_stub=args.modal == "stub")
    r("modal", {"kind": kind, "note": modal_note})
    # Modal sets MODAL_TASK_ID per container; a restored container has a new one (how wake_up tells).
    os.environ["MODAL_TASK_ID"] = "gpu-recipe-snapshotted"
    os.environ.setdefault("ROUSE_API_KEY", "gpu-recipe-key")
    t = time.monotonic()
    module = load_app(args.app)
    r("import_s", round(time.monotonic() - t, 3))
    name, user_cls, phases = lifecycle_methods(kind, module)
    r("class", name)
    r("methods", {p: [m for m, _ in phases[p]] for p in PHASES})
    canary_names = sorted(n for n in vars(module) if "canary" in n.lower())
    r("canary_in_app", canary_names or "absent")
    key = os.environ.get(getattr(module, "API_KEY_ENV", "ROUSE_API_KEY"))
    port = getattr(module, "PORT", 8000)
    model = args.model or getattr(module, "MODEL", "llm")
    ckpt = args.ckpt.split()
    server = user_cls()
    ok = False
    try:
        # Before the snapshot: start → ready → warm-up → sleep (→ canary), all inside the snap=True methods.
        t0 = time.monotonic()
        for attr, raw in phases["ENTER_PRE_SNAPSHOT"]:
            t = time.monotonic()
            raw(server)
            r(f"{attr}_s", round(time.monotonic() - t, 3))
        r("before_snapshot_s", round(time.monotonic() - t0, 3))
        r("boot_marks_before", dict(getattr(module, "BOOT", {})))
        r("gpu_used_before_snapshot_mib", gpu_used_mib())
        engine = getattr(server, "engine", None)
        pid = getattr(engine, "pid", None)
        r("engine_pid", pid)

        # Modal's GPU snapshot would happen here. STAND-IN: a CUDA checkpoint of the engine tree.
        if not args.no_checkpoint and pid:
            s = checkpoint(ckpt, "suspend", pid)
            r("checkpoint_suspend", s)
            r("gpu_used_checkpointed_mib", gpu_used_mib())
            t_restore = time.monotonic()
            res = checkpoint(ckpt, "resume", pid) if s["exit"] == 0 else {"skipped": "suspend failed"}
            r("checkpoint_resume", res)
        else:
            t_restore = time.monotonic()
            r("checkpoint_suspend", "skipped (--no-checkpoint)")

        # After restore: wake (→ canary) → ready, then the guard.
        os.environ["MODAL_TASK_ID"] = "gpu-recipe-restored"
        for attr, raw in phases["ENTER_POST_SNAPSHOT"]:
            t = time.monotonic()
            raw(server)
            r(f"{attr}_s", round(time.monotonic() - t, 3))
        for attr, raw in phases["WEB_INTERFACE"]:
            t = time.monotonic()
            raw(server)
            r(f"{attr}_s", round(time.monotonic() - t, 3))
        r("boot_marks_after", dict(getattr(module, "BOOT", {})))
        streamed = stream_through_guard(port, model, key)
        r("restore_to_first_token_s", round(time.monotonic() - t_restore, 3))
        r("stream_through_guard", streamed)
        r("guard_without_key_status", unauthenticated_status(port))
        again = stream_through_guard(port, model, key)
        r("second_stream_identical", again["text"] == streamed["text"])
        r("admin_from_outside", admin_statuses(port, key))
        ok = streamed["status"] == 200 and streamed["complete"]
    except BaseException as e:  # record, then still run the exit methods
        r("error", f"{type(e).__name__}: {e}")
    finally:
        for attr, raw in phases["EXIT"]:
            try:
                raw(server)
                r(f"{attr}_done", True)
            except Exception as e:
                r(f"{attr}_error", f"{type(e).__name__}: {e}")
    r("ok", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
