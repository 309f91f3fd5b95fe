#!/usr/bin/env python3
"""merge-runs.py NEW.json EARLIER.json -o OUT.json — one engine's device results from two calls.

A later call that ran only some steps (ROUSE_GPU_STEPS) leaves the others recorded as skipped; they
are taken from the earlier call instead. Every step says which call measured it (`_call`: "new" or
"earlier"), and the earlier call's machine facts are kept under steps.env.earlier_call, so results.py's
page shows both. Ratios are computed within one step (one call), never across calls.
"""

import argparse
import json


def skipped(step: dict) -> bool:
    return "skipped" in (step.get("_run") or {})


def merge(new: dict, earlier: dict) -> dict:
    out = {k: v for k, v in new.items() if k != "steps"}
    ns, es = new.get("steps", {}), earlier.get("steps", {})
    steps = {"env": {**ns.get("env", {}), "earlier_call": es.get("env", {})}}
    for name in dict.fromkeys([*es, *ns]):
        if name == "env":
            continue
        mine, theirs = ns.get(name), es.get(name)
        if mine is not None and not skipped(mine):
            steps[name] = {**mine, "_call": "new"}
        elif theirs is not None and not skipped(theirs):
            steps[name] = {**theirs, "_call": "earlier"}
        elif mine is not None:
            steps[name] = {**mine, "_call": "new"}
        else:
            steps[name] = {**theirs, "_call": "earlier"}
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
