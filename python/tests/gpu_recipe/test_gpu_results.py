"""tools/gpu/results.py on sample device JSON (hand-written in the layout run-*.sh writes, numbers from
the carry README's measurements): ratios, targets passed / failed / not measured, the stand-in note."""

import copy
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("gpu_results", REPO / "tools/gpu/results.py")
results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(results)

CANARY_OK = {"sameTokens": True, "identical": True, "maxLogprobDiff": 0, "tokens": 16, "ms": 40}


def vllm_doc():
    cycle = {
        "zero_state": "suspended",
        "first_token_s": 1.9,
        "status": 200,
        "complete": True,
        "gpu_used_at_zero_mib": 600,
    }
    return {
        "steps": {
            "env": {"nvidia_smi": "NVIDIA H200, 143771 MiB, 580.159.04", "loadavg": "1.0 0.8 0.5"},
            "lifecycle": {
                "version": "0.20.0",
                "argv": ["python3", "-m", "vllm.entrypoints.cli.main", "serve", "/root/m8b"],
                "argv_facts_check": {"exit": 0, "report": {"ok": True}},
                "config_changes": ["model.id: the 8B-shaped Llama"],
                "cold_start_s": 101.0,
                "warm_ttft_ms": [14, 13, 14],
                "canary_ms": 45,
                "gpu_used_before_mib": 500,
                "gpu_used_ready_mib": 43000,
                "gpu_used_asleep1_mib": 1500,
                "sleep1_s": 9.9,
                "sleep2_s": 0.35,
                "wake1_s": 0.6,
                "wake2_s": 0.57,
                "wake1_first_token_s": 0.62,
                "wake2_first_token_s": 0.6,
                "wake1_canary": CANARY_OK,
                "wake2_canary": CANARY_OK,
                "sleep_ckpt_canary": CANARY_OK,
                "sleep_ckpt_first_token_s": 2.1,
                "l2_sleep_s": 0.04,
                "l2_canary": {"identical": False},
                "_run": {"rc": 0, "status": "ok", "s": 170},
            },
            "serve_local": {
                "suspend_cold_start_s": 50.0,
                "suspend_cycles": [cycle, cycle],
                "suspend_concurrent": {"sent": 8, "ok": 8, "statuses": [200] * 8},
                "suspend_during_scale_down": {"ok": 4, "statuses": [200] * 4},
                "sleep_cycles": [dict(cycle, zero_state="sleeping", first_token_s=0.7)],
            },
            "recipe": {"modal": {"kind": "real", "note": "modal 1.6.4"}, "ok": True, "restore_to_first_token_s": 2.2},
        }
    }


def sglang_doc():
    return {
        "steps": {
            "lifecycle": {
                "version": "0.5.16",
                "cold_start_s": 115.0,
                "gpu_used_before_mib": 500,
                "gpu_used_ready_mib": 116530,
                "gpu_used_asleep1_mib": 2402,
                "wake1_first_token_s": 1.9,
                "wake2_first_token_s": 2.0,
                "wake1_canary": CANARY_OK,
                "wake2_canary": CANARY_OK,
            },
            "serve_local": {"sleep_cycles": [{"status": 200, "complete": True, "first_token_s": 2.1}]},
        }
    }


def targets(summary, engine):
    return {t["target"]: t for t in summary["targets"] if t["engine"] == engine}


def test_ratios_and_passing_targets():
    s = results.summarize({"vllm": vllm_doc(), "sglang": sglang_doc()})
    v = s["engines"]["vllm"]
    assert v["cold_over_wake_first_token"] == round(101 / 0.62, 1)
    assert v["sleep_freed_share"] == round((43000 - 1500) / (43000 - 500), 3)
    tv = targets(s, "vllm")
    assert tv["wake → first token ≥ 50× faster than a cold start"]["pass"] is True
    # measured through serve --local in suspend mode (the worst of the cycles)
    assert tv["zero GPU memory (suspended) → first token ≤ 2.5 s"]["measured"] == 1.9
    assert tv["zero requests lost (serve --local)"]["measured"] == 0
    assert tv["canary identical after every wake/resume"]["measured"] == "3/3"  # l2 (dummy weights) excluded
    ts = targets(s, "sglang")
    assert ts["resume → first token ≥ 20× faster than a cold start"]["measured"] == round(115 / 2.0, 1)
    assert ts["release frees ≥ 90% of the engine's GPU memory"]["pass"] is True
    assert all(t["pass"] for t in s["targets"]), [t for t in s["targets"] if not t["pass"]]


def test_failures_are_failures():
    doc = vllm_doc()
    lc, sl = doc["steps"]["lifecycle"], doc["steps"]["serve_local"]
    lc["wake2_first_token_s"] = 3.0  # 101 / 3 < 50
    lc["canary_ms"] = 45  # the recording is off the wake path: only replays count
    lc["wake2_canary"] = dict(CANARY_OK, identical=False, ms=180)
    sl["suspend_concurrent"] = {"sent": 8, "ok": 7, "statuses": [200] * 7 + [502]}
    sl["suspend_cycles"][1] = dict(sl["suspend_cycles"][1], first_token_s=2.6)
    tv = targets(results.summarize({"vllm": doc}), "vllm")
    assert {k: t["pass"] for k, t in tv.items()} == {k: False for k in tv}
    assert tv["zero requests lost (serve --local)"]["measured"] == 1


def test_missing_measurements_are_not_measured_never_passed():
    doc = copy.deepcopy(vllm_doc())
    doc["steps"] = {"env": {}, "lifecycle": {"_run": {"skipped": "budget"}}}
    tv = targets(results.summarize({"vllm": doc}), "vllm")
    assert all(t["pass"] is None and t["measured"] is None for t in tv.values())
    md = results.render_md(results.summarize({"vllm": doc}))
    assert "not measured" in md and "**pass**" not in md


def test_writes_md_and_json_saying_what_stood_in(tmp_path):
    (tmp_path / "vllm.json").write_text(json.dumps(vllm_doc()))
    (tmp_path / "sglang.json").write_text(json.dumps(sglang_doc()))
    assert results.main([str(tmp_path / "vllm.json"), str(tmp_path / "sglang.json"), "--out-dir", str(tmp_path)]) == 0
    md = (tmp_path / "gpu.md").read_text()
    assert "STOOD IN FOR by a CUDA checkpoint" in md and "load average 1.0 0.8 0.5" in md
    out = json.loads((tmp_path / "gpu.json").read_text())
    assert out["raw"]["vllm"]["steps"]["lifecycle"]["cold_start_s"] == 101.0


def test_refuses_files_it_does_not_know(tmp_path):
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(SystemExit):
        results.main([str(tmp_path / "other.json"), "--out-dir", str(tmp_path)])


def test_step_logs_come_from_the_tarball(tmp_path):
    import tarfile

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "lifecycle.out").write_text("\n".join(f"line {i}" for i in range(1000)))
    (logs / "lifecycle-engine.log").write_text("engine noise")
    with tarfile.open(tmp_path / "vllm-logs.tar.gz", "w:gz") as tar:
        tar.add(logs, arcname="logs")
    (tmp_path / "vllm.json").write_text(json.dumps(vllm_doc()))
    results.main(
        [str(tmp_path / "vllm.json"), "--out-dir", str(tmp_path), "--logs", str(tmp_path / "vllm-logs.tar.gz")]
    )
    text = (tmp_path / "gpu-vllm.log").read_text()
    assert "==== logs/lifecycle.out (last 300 of 1000 lines)" in text
    assert "line 999" in text and "line 699\n" not in text and "engine noise" not in text


merge_spec = importlib.util.spec_from_file_location("gpu_merge", REPO / "tools/gpu/merge-runs.py")
merge_runs = importlib.util.module_from_spec(merge_spec)
merge_spec.loader.exec_module(merge_runs)


def test_merge_takes_skipped_steps_from_the_earlier_call_and_says_so():
    earlier = vllm_doc()
    earlier["steps"]["env"]["started_at"] = "T1"
    new = copy.deepcopy(earlier)
    new["steps"]["env"].update(loadavg="0.1 0.1 0.1", started_at="T2")
    new["steps"]["lifecycle"]["cold_start_s"] = 99.0
    skipped = {"_run": {"skipped": "not in ROUSE_GPU_STEPS"}}
    new["steps"]["serve_local"] = skipped
    new["steps"]["eager"] = {"_run": {"rc": 0, "status": "ok"}, "cold_start_s": 40.0}
    earlier["steps"].pop("eager", None)
    merged = merge_runs.merge(new, earlier)
    steps = merged["steps"]
    assert steps["lifecycle"]["cold_start_s"] == 99.0 and steps["lifecycle"]["_call"] == "T2"
    assert steps["serve_local"] == {**earlier["steps"]["serve_local"], "_call": "T1"}
    assert steps["eager"]["_call"] == "T2"
    assert steps["env"]["loadavg"] == "0.1 0.1 0.1"
    assert [c["started_at"] for c in steps["env"]["calls"]] == ["T2", "T1"]
    # a third call on top of the merge: each step keeps the call that measured it
    third = {"steps": {"env": {"started_at": "T3"}, "eager": {"_run": {"rc": 0}, "cold_start_s": 41.0}}}
    again = merge_runs.merge(third, merged)["steps"]
    assert again["eager"]["_call"] == "T3" and again["lifecycle"]["_call"] == "T2"
    assert again["serve_local"]["_call"] == "T1"
    assert [c["started_at"] for c in again["env"]["calls"]] == ["T3", "T2", "T1"]
    # a step skipped in both calls stays, as skipped, from the new one
    both = merge_runs.merge({"steps": {"recipe": skipped}}, {"steps": {"recipe": skipped}})
    assert both["steps"]["recipe"]["_call"] == "new" and "skipped" in both["steps"]["recipe"]["_run"]
