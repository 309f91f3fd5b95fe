#!/usr/bin/env python3
"""results.py RESULT_JSON... [--out-dir bench/results] — turn what the GPU run returned ($OUT/vllm.json,
$OUT/sglang.json from tools/gpu/run-*.sh) into bench/results/gpu.json + gpu.md: the measurements, their
ratios to the cold start of the same engine from the same run, and the targets of issues 15 and 20, each
passed, failed or not measured (never guessed). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tarfile
from pathlib import Path

LOG_TAIL_LINES = 300

STAND_IN_NOTE = (
    "The emitted app's recipe ran its own container-side methods on the GPU, but Modal's GPU memory snapshot "
    "was STOOD IN FOR by a CUDA checkpoint/restore of the engine's process tree (rouse_py.cuda_ckpt): the "
    "process was restored in place, in the same container, so its CPU memory never moved. This is the nearest "
    "a machine without Modal gets to the snapshot path; it is not a Modal snapshot."
)


def _get(d: dict, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _ratio(a, b):
    return (
        round(a / b, 1)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0
        else None
    )


def _target(name: str, engine: str, target: str, measured, passed) -> dict:
    return {
        "target": name,
        "engine": engine,
        "goal": target,
        "measured": measured,
        "pass": None if measured is None else bool(passed),
    }


def _freed(before, ready, asleep):
    """Share of the engine's GPU memory (ready - before) that sleep/release gave back."""
    if None in (before, ready, asleep) or ready - before <= 0:
        return None
    return round((ready - asleep) / (ready - before), 3)


def _serve_local(sl: dict, mode: str) -> dict:
    cycles = sl.get(f"{mode}_cycles") or []
    conc = sl.get(f"{mode}_concurrent") or {}
    held = sl.get(f"{mode}_during_scale_down") or {}
    sent = len(cycles) + conc.get("sent", 0) + len(held.get("statuses", []))
    ok = (
        sum(1 for c in cycles if c.get("status") == 200 and c.get("complete"))
        + conc.get("ok", 0)
        + held.get("ok", 0)
    )
    firsts = [
        c["first_token_s"]
        for c in cycles
        if isinstance(c.get("first_token_s"), (int, float))
    ]
    return (
        {
            "cold_start_s": sl.get(f"{mode}_cold_start_s"),
            "cycles": len(cycles),
            "zero_states": [c.get("zero_state") for c in cycles],
            "first_token_from_zero_s": firsts,
            "first_token_from_zero_max_s": max(firsts) if firsts else None,
            "gpu_used_at_zero_mib": [c.get("gpu_used_at_zero_mib") for c in cycles],
            "concurrent": conc or None,
            "during_scale_down": held or None,
            "requests_sent": sent,
            "requests_served": ok,
            "restarts": _get(sl, f"{mode}_snapshot", "restarts"),
            "errors": {
                k: v
                for k, v in sl.items()
                if k.startswith(mode) and k.endswith("_error")
            },
        }
        if (cycles or conc or held or sl.get(f"{mode}_cold_start_s") is not None)
        else {}
    )


def _prefixed(step: dict, prefix: str, keys: tuple[str, ...]) -> dict:
    """step[prefix + key] for each key, under the bare key."""
    return {k: step.get(prefix + k) for k in keys}


def _canaries(step: dict) -> dict:
    """A step's canary comparisons (`<when>_canary`), by when."""
    return {
        k[: -len("_canary")]: v
        for k, v in step.items()
        if k.endswith("_canary") and isinstance(v, dict)
    }


def summarize_engine(engine: str, doc: dict) -> tuple[dict, list[dict]]:
    steps = doc.get("steps", {})
    lc, sl, rc, ea = (
        steps.get(k, {}) for k in ("lifecycle", "serve_local", "recipe", "eager")
    )
    cold = lc.get("cold_start_s")
    m: dict = {
        "version": lc.get("version"),
        "argv": lc.get("argv"),
        "config_changes": lc.get("config_changes"),
        "argv_facts_check_ok": _get(lc, "argv_facts_check", "report", "ok"),
    }
    m["cold_start_s"] = cold
    m["cold_start_eager_s"] = ea.get("cold_start_s")
    m["warm_ttft_ms"] = (
        statistics.median(lc["warm_ttft_ms"]) if lc.get("warm_ttft_ms") else None
    )
    wakes = [k for k in ("wake1", "wake2") if f"{k}_first_token_s" in lc]
    m["sleep_s"] = [lc.get(f"sleep{i}_s") for i in (1, 2)]
    m["wake_s"] = [lc.get(f"{k}_s") for k in wakes]
    m["wake_to_first_token_s"] = [lc.get(f"{k}_first_token_s") for k in wakes]
    worst_wake = max(m["wake_to_first_token_s"]) if m["wake_to_first_token_s"] else None
    m["cold_over_wake_first_token"] = _ratio(cold, worst_wake)
    m["sleep_freed_share"] = _freed(
        lc.get("gpu_used_before_mib"),
        lc.get("gpu_used_ready_mib"),
        lc.get("gpu_used_asleep1_mib"),
    )
    m["gpu_used_mib"] = {
        k: lc.get(f"gpu_used_{k}_mib")
        for k in ("before", "ready", "asleep1", "checkpointed", "ckpt_alone", "l2")
    }
    m["sleep_ckpt"] = {
        "suspend": lc.get("sleep_ckpt_suspend"),
        "resume": lc.get("sleep_ckpt_resume"),
        "resume_to_first_token_s": lc.get("sleep_ckpt_first_token_s"),
        "cold_over": _ratio(cold, lc.get("sleep_ckpt_first_token_s")),
    }
    m["ckpt_alone"] = (
        {
            "suspend": lc.get("ckpt_alone_suspend"),
            "resume": lc.get("ckpt_alone_resume"),
            "resume_to_first_token_s": lc.get("ckpt_alone_first_token_s"),
            "cold_over": _ratio(cold, lc.get("ckpt_alone_first_token_s")),
        }
        if "ckpt_alone_suspend" in lc
        else None
    )
    m["l2"] = (
        _prefixed(
            lc,
            "l2_",
            (
                "sleep_s",
                "wake_s",
                "reload_weights",
                "reset_prefix_cache_status",
                "first_token_s",
                "identical",
                "canary",
            ),
        )
        if "l2_sleep_s" in lc
        else None
    )
    # Level 2 through rouse's own path (a sleepLevel-2 config: the plugin's client sleeps at level 2
    # and its wakeUp runs the spec's afterWake), with weights on disk in the eager run.
    m["eager_l2"] = (
        _prefixed(
            ea,
            "l2_",
            (
                "after_wake_calls",
                "sleep_s",
                "is_sleeping",
                "wake_and_reload_s",
                "first_token_s",
                "identical",
                "canary",
            ),
        )
        | {
            "gpu_used_mib": ea.get("gpu_used_l2_mib"),
            "gpu_used_ready_mib": ea.get("gpu_used_ready_mib"),
        }
        if "l2_sleep_s" in ea
        else None
    )
    m["eager_canary_after"] = _canaries(ea)
    m["eager_wake_to_first_token_s"] = [
        ea.get(f"{k}_first_token_s")
        for k in ("wake1", "wake2")
        if f"{k}_first_token_s" in ea
    ]
    canaries = _canaries(lc)
    # The canary is recorded once, before the first sleep (off the wake path); what a wake pays
    # is the replay, so the ≤ 100 ms target is judged on the slowest replay.
    m["canary_ms"] = lc.get("canary_ms")
    replays = [
        c["ms"] for c in canaries.values() if isinstance(c.get("ms"), (int, float))
    ]
    m["canary_replay_ms"] = max(replays) if replays else None
    m["canary_after"] = canaries
    m["metrics"] = lc.get("metrics")
    m["serve_local"] = {
        mode: _serve_local(sl, mode)
        for mode in ("sleep", "suspend")
        if _serve_local(sl, mode)
    }
    m["recipe"] = (
        {
            k: rc.get(k)
            for k in (
                "modal",
                "class",
                "methods",
                "canary_in_app",
                "before_snapshot_s",
                "checkpoint_suspend",
                "checkpoint_resume",
                "restore_to_first_token_s",
                "stream_through_guard",
                "guard_without_key_status",
                "admin_from_outside",
                "ok",
                "error",
            )
        }
        if rc
        else None
    )
    m["steps_run"] = {
        k: v.get("_run") | ({"call": v["_call"]} if "_call" in v else {})
        for k, v in steps.items()
        if isinstance(v, dict) and "_run" in v
    }
    m["errors"] = {
        f"{s}.{k}": v
        for s, d in steps.items()
        if isinstance(d, dict)
        for k, v in d.items()
        if k.endswith("_error") or k == "error"
    }

    t: list[dict] = []
    lost_sent = sum(v.get("requests_sent", 0) for v in m["serve_local"].values())
    lost_ok = sum(v.get("requests_served", 0) for v in m["serve_local"].values())
    lost = (lost_sent - lost_ok) if lost_sent else None
    identical = [
        v.get("identical") for k, v in canaries.items() if not k.startswith("l2")
    ]
    if engine == "vllm":
        t.append(
            _target(
                "wake → first token ≥ 50× faster than a cold start",
                engine,
                "≥ 50×",
                m["cold_over_wake_first_token"],
                (m["cold_over_wake_first_token"] or 0) >= 50,
            )
        )
        zero = [
            v.get("first_token_from_zero_max_s")
            for v in [m["serve_local"].get("suspend", {})]
            if v.get("first_token_from_zero_max_s") is not None
        ]
        zero_value = zero[0] if zero else lc.get("sleep_ckpt_first_token_s")
        t.append(
            _target(
                "zero GPU memory (suspended) → first token ≤ 2.5 s",
                engine,
                "≤ 2.5 s",
                zero_value,
                (zero_value or 99) <= 2.5,
            )
        )
        t.append(
            _target(
                "canary adds ≤ 100 ms (slowest replay after a wake/resume)",
                engine,
                "≤ 100 ms",
                m["canary_replay_ms"],
                (m["canary_replay_ms"] or 1e9) <= 100,
            )
        )
    else:
        ratio = m["cold_over_wake_first_token"]
        t.append(
            _target(
                "resume → first token ≥ 20× faster than a cold start",
                engine,
                "≥ 20×",
                ratio,
                (ratio or 0) >= 20,
            )
        )
        t.append(
            _target(
                "release frees ≥ 90% of the engine's GPU memory",
                engine,
                "≥ 0.90",
                m["sleep_freed_share"],
                (m["sleep_freed_share"] or 0) >= 0.9,
            )
        )
    t.append(
        _target("zero requests lost (serve --local)", engine, "0 lost", lost, lost == 0)
    )
    t.append(
        _target(
            "canary identical after every wake/resume",
            engine,
            "all identical",
            (
                f"{sum(1 for x in identical if x)}/{len(identical)}"
                if identical
                else None
            ),
            bool(identical) and all(identical),
        )
    )
    return m, t


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v) or "–"
    return str(v)


def render_md(summary: dict) -> str:
    out = [
        "# GPU run: vLLM 0.20.0 and SGLang 0.5.16 on the lent H200",
        "",
        (
            "Written by `tools/gpu/results.py` from the JSON that `tools/gpu/run-vllm.sh` / `run-sglang.sh` returned "
            "(raw: `gpu.json`; device logs: the `*-logs.tar.gz` of that run). Ratios are to the cold start of the "
            "same engine in the same run (the same call: a step's ratios never mix calls)."
        ),
        "",
        f"> {STAND_IN_NOTE}",
        "",
    ]
    for engine, env in summary["machine"].items():
        out.append(
            f"- {engine} call: GPU {_fmt(env.get('nvidia_smi'))}; {_fmt(env.get('python_packages'))}; "
            f"node {_fmt(env.get('node'))}; load average {_fmt(env.get('loadavg'))}; "
            f"{_fmt(env.get('started_at'))} → {_fmt(env.get('finished_at'))}"
        )
        for call in env.get("calls", [])[1:]:
            # tools/gpu/merge-runs.py: steps a later call skipped come from an earlier one ("call" in Steps).
            out.append(
                f"- {engine}, earlier call {_fmt(call.get('started_at'))} (steps marked with this time): "
                f"load average {_fmt(call.get('loadavg'))}; → {_fmt(call.get('finished_at'))}"
            )
    out += [
        "",
        "## Targets",
        "",
        "| engine | target | measured | result |",
        "|---|---|---|---|",
    ]
    for t in summary["targets"]:
        verdict = (
            "not measured"
            if t["pass"] is None
            else ("**pass**" if t["pass"] else "**FAIL**")
        )
        out.append(
            f"| {t['engine']} | {t['target']} | {_fmt(t['measured'])} | {verdict} |"
        )
    for engine, m in summary["engines"].items():
        out += [
            "",
            f"## {engine} {m.get('version') or ''}",
            "",
            (
                f"argv (the plugin's own, checked against tools/engine-args/facts at this version: "
                f"{'ok' if m.get('argv_facts_check_ok') else m.get('argv_facts_check_ok')}):"
            ),
            "",
            f"    {' '.join(m.get('argv') or [])}",
            "",
            "Changes from the preset:",
            "",
        ]
        out += [f"- {c}" for c in (m.get("config_changes") or [])]
        sc, ca = m.get("sleep_ckpt") or {}, m.get("ckpt_alone") or {}
        rows = [
            ("cold start to ready (compiled)", m.get("cold_start_s"), 1),
            (
                "cold start to ready (eager, weights from disk, caches warm)",
                m.get("cold_start_eager_s"),
                None,
            ),
            (
                "eager engine: wake → first token (÷ the eager cold start)",
                m.get("eager_wake_to_first_token_s"),
                _ratio(
                    m.get("cold_start_eager_s"),
                    max(m.get("eager_wake_to_first_token_s") or [0]) or None,
                ),
            ),
            ("warm time to first token (ms, median)", m.get("warm_ttft_ms"), None),
            ("sleep / release (first, second)", m.get("sleep_s"), None),
            ("wake / resume", m.get("wake_s"), None),
            (
                "wake → first token",
                m.get("wake_to_first_token_s"),
                m.get("cold_over_wake_first_token"),
            ),
            (
                "sleep + CUDA checkpoint: resume → first token",
                sc.get("resume_to_first_token_s"),
                sc.get("cold_over"),
            ),
            (
                "CUDA checkpoint alone (awake): resume → first token",
                ca.get("resume_to_first_token_s"),
                ca.get("cold_over"),
            ),
            (
                "canary (16 tokens, logprobs) recorded before the first sleep, ms",
                m.get("canary_ms"),
                None,
            ),
            (
                "canary replayed after a wake/resume, slowest, ms",
                m.get("canary_replay_ms"),
                None,
            ),
            (
                "GPU memory freed by sleep/release (share of the engine's)",
                m.get("sleep_freed_share"),
                None,
            ),
        ]
        out += ["", "| measured | seconds | cold start ÷ this |", "|---|---|---|"]
        out += [
            f"| {name} | {_fmt(v)} | {_fmt(r) if r is not None else ''} |"
            for name, v, r in rows
        ]
        out += [
            "",
            f"GPU used (MiB): {json.dumps(m.get('gpu_used_mib'))}",
            (
                f"Checkpoint after sleep: suspend {json.dumps(_get(sc, 'suspend', 'summary'))}, "
                f"resume {json.dumps(_get(sc, 'resume', 'summary'))}"
            ),
        ]
        if m.get("eager_l2"):
            out.append(
                "Level 2 through rouse's path (config `snapshot.sleepLevel: 2`; the plugin's client sleeps at "
                "level 2, its wakeUp runs the spec's afterWake), eager engine, 16 GB weights on disk: "
                f"{json.dumps(m.get('eager_l2'))}"
            )
            replays = [
                c.get("ms")
                for k, c in (m.get("eager_canary_after") or {}).items()
                if isinstance(c, dict)
            ]
            out.append(
                f"Eager engine, canary replays after wake/resume: {replays} ms (no CUDA graphs: 16 eager decode "
                "steps); the ≤ 100 ms target is judged on the compiled engine above, the one rouse deploys."
            )
        elif m.get("l2"):
            out.append(
                f"Level 2, dummy weights (reload cannot work without weights on disk): {json.dumps(m.get('l2'))}"
            )
        for mode, s in (m.get("serve_local") or {}).items():
            out += [
                "",
                f"### rouse serve --local, {mode} mode (bundled CLI)",
                "",
                (
                    f"- cold start {_fmt(s.get('cold_start_s'))} s; {s.get('cycles')} cycles idle → "
                    f"{_fmt(s.get('zero_states'))} → request: first token {_fmt(s.get('first_token_from_zero_s'))} s; "
                    f"GPU at zero {_fmt(s.get('gpu_used_at_zero_mib'))} MiB"
                ),
                f"- concurrent during a wake: {json.dumps(s.get('concurrent'))}",
                f"- sent while it scaled to zero: {json.dumps(s.get('during_scale_down'))}",
                (
                    f"- requests served {s.get('requests_served')} of {s.get('requests_sent')}; restarts "
                    f"{_fmt(s.get('restarts'))}; errors {json.dumps(s.get('errors')) if s.get('errors') else 'none'}"
                ),
            ]
        r = m.get("recipe")
        if r:
            out += [
                "",
                "### The emitted app's recipe (generated app.py, its own methods)",
                "",
                (
                    f"- modal: {_fmt(_get(r, 'modal', 'note'))}; class {_fmt(r.get('class'))}; methods "
                    f"{json.dumps(r.get('methods'))}; canary in the app: {_fmt(r.get('canary_in_app'))}"
                ),
                (
                    f"- before the snapshot (start → ready → warm-up → sleep): {_fmt(r.get('before_snapshot_s'))} s; "
                    f"checkpoint (stand-in for the snapshot) {json.dumps(_get(r, 'checkpoint_suspend', 'summary'))}"
                ),
                f"- restore → first token through the guard: {_fmt(r.get('restore_to_first_token_s'))} s; "
                f"stream {json.dumps(r.get('stream_through_guard'))}; guard without key → "
                f"{_fmt(r.get('guard_without_key_status'))}; ok {_fmt(r.get('ok'))}"
                + (f"; error {r['error']}" if r.get("error") else ""),
            ]
            if r.get("admin_from_outside"):
                out.append(
                    "- admin routes from outside, on the public port (GET, with the API key, no admin "
                    f"token): {json.dumps(r['admin_from_outside'])}"
                )
        out += ["", f"Steps: {json.dumps(m.get('steps_run'))}"]
        if m.get("errors"):
            out += ["", "Errors recorded:", ""] + [
                f"- `{k}`: {str(v)[:300]}" for k, v in m["errors"].items()
            ]
    return "\n".join(out) + "\n"


def summarize(docs: dict[str, dict]) -> dict:
    summary: dict = {
        "stand_in": STAND_IN_NOTE,
        "machine": {},
        "engines": {},
        "targets": [],
    }
    for engine, doc in docs.items():
        summary["machine"][engine] = _get(doc, "steps", "env", default={})
        m, t = summarize_engine(engine, doc)
        summary["engines"][engine] = m
        summary["targets"] += t
    return summary


def step_logs(tar_path: Path) -> str:
    """The steps' own output (logs/*.out, the suite's and driver's lines) from a logs tarball, tails only."""
    parts = []
    with tarfile.open(tar_path) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not (member.isfile() and member.name.endswith(".out")):
                continue
            lines = tar.extractfile(member).read().decode(errors="replace").splitlines()
            cut = (
                f" (last {LOG_TAIL_LINES} of {len(lines)} lines)"
                if len(lines) > LOG_TAIL_LINES
                else ""
            )
            parts.append(
                f"==== {member.name}{cut}\n" + "\n".join(lines[-LOG_TAIL_LINES:])
            )
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "results", nargs="+", help="vllm.json / sglang.json as the device returned them"
    )
    ap.add_argument("--out-dir", default="bench/results")
    ap.add_argument(
        "--logs",
        nargs="*",
        default=[],
        help="vllm-logs.tar.gz / sglang-logs.tar.gz: each step's output "
        f"(last {LOG_TAIL_LINES} lines) goes to gpu-<engine>.log",
    )
    args = ap.parse_args(argv)
    docs = {}
    for path in args.results:
        name = Path(path).stem
        if name not in ("vllm", "sglang"):
            ap.error(
                f"{path}: expected vllm.json or sglang.json (the names run-*.sh writes)"
            )
        docs[name] = json.loads(Path(path).read_text())
    summary = summarize(docs)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu.json").write_text(
        json.dumps({"summary": summary, "raw": docs}, indent=1) + "\n"
    )
    (out / "gpu.md").write_text(render_md(summary))
    # Several tarballs of one engine (calls merged by merge-runs.py): one log, each call under its file name.
    per_engine: dict[str, list[str]] = {}
    for path in args.logs:
        engine = Path(path).name.split("-logs")[0]
        per_engine.setdefault(engine, []).append(path)
    for engine, paths in per_engine.items():
        parts = [step_logs(Path(p)) for p in paths]
        if len(paths) > 1:
            parts = [f"##### call: {p}\n{text}" for p, text in zip(paths, parts)]
        (out / f"gpu-{engine}.log").write_text("\n".join(parts))
    print(f"wrote {out / 'gpu.md'} and {out / 'gpu.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
