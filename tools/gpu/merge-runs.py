#!/usr/bin/env python3
"""merge-runs.py NEW.json EARLIER.json -o OUT.json — one engine's device results from several calls.

A later call that ran only some steps (ROUSE_GPU_STEPS) leaves the others recorded as skipped; they
are taken from the earlier document instead (itself possibly a merge). Every step says which call
measured it (`_call`: that call's start time), and steps.env.calls lists every call's machine facts,
so results.py's page shows them all. Ratios are computed within one step (one call), never across calls.
"""

import argparse
import json


def skipped(step: dict) -> bool:
    return "skipped" in (step.get("_run") or {})


def calls_of(env: dict) -> list[dict]:
    """The calls a document holds: its own (a raw device JSON) or the list a merge made."""
    if "calls" in env:
        return env["calls"]
    keys = (
        "started_at",
        "finished_at",
        "loadavg",
        "nvidia_smi",
        "node",
        "python_packages",
    )
    return [{k: env[k] for k in keys if k in env}]


def merge(new: dict, earlier: dict) -> dict:
    out = {k: v for k, v in new.items() if k != "steps"}
    ns, es = new.get("steps", {}), earlier.get("steps", {})
    new_env, old_env = ns.get("env", {}), es.get("env", {})
    new_call = new_env.get("started_at", "new")
    old_call = old_env.get("started_at", "earlier")
    calls = calls_of(new_env) + [
        c for c in calls_of(old_env) if c not in calls_of(new_env)
    ]
    steps = {"env": {**new_env, "calls": calls}}
    for name in dict.fromkeys([*es, *ns]):
        if name == "env":
            continue
        mine, theirs = ns.get(name), es.get(name)
        if mine is not None and not skipped(mine):
            steps[name] = {"_call": new_call, **mine}
        elif theirs is not None and not skipped(theirs):
            steps[name] = {"_call": old_call, **theirs}
        elif mine is not None:
            steps[name] = {"_call": new_call, **mine}
        else:
            steps[name] = {"_call": old_call, **theirs}
    out["steps"] = steps
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("new")
    ap.add_argument("earlier")
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    with open(a.new) as f:
        new = json.load(f)
    with open(a.earlier) as f:
        earlier = json.load(f)
    with open(a.out, "w") as f:
        json.dump(merge(new, earlier), f, indent=1)


if __name__ == "__main__":
    main()
