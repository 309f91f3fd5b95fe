"""bench/guard/guard_cost.py: the in-process guard's own time per request, measured with the
module a generated app carries (the default preset's golden app.py, unchanged)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench/guard"))

import guard_cost  # noqa: E402
from generated_app import load_app  # noqa: E402

KEY = "sk-guard-cost-0123456789"


@pytest.fixture(scope="module")
def guard_setup():
    app = load_app(ROOT / "packages/codegen/src/__golden__/default.py", "rouse_guard_cost_app")
    before = os.environ.get(app.API_KEY_ENV)
    os.environ[app.API_KEY_ENV] = KEY
    try:
        env = app.guard_env()
    finally:
        if before is None:
            del os.environ[app.API_KEY_ENV]
        else:
            os.environ[app.API_KEY_ENV] = before
    module_file = Path(app.GUARD_FILES["boot"]).parent / f"{app.GUARD_MODULE_NAME}.py"
    return module_file, env


def test_measures_the_emitted_guard_on_the_paths_it_names(guard_setup):
    module_file, env = guard_setup
    cost = guard_cost.measure(module_file, env, KEY, rounds=2, calls=200)
    assert cost["rounds"] == 2 and cost["calls_per_round"] == 200
    assert cost["bare_us"] > 0 and cost["refused_us"] > 0
    low, high = cost["allowed_added_us_range"]
    assert low <= cost["allowed_added_us"] <= high
    assert cost["loop"] in ("uvloop", "asyncio")


def test_refuses_to_measure_when_the_allowed_request_would_be_refused(guard_setup):
    # A wrong key would make "allowed" requests 401s: timing those would report the wrong path.
    module_file, env = guard_setup
    with pytest.raises(RuntimeError, match="answered 401 where 200 was expected"):
        guard_cost.measure(module_file, env, "not-the-key", rounds=1, calls=10)


def test_refuses_to_measure_when_the_guard_lets_everything_through(guard_setup):
    # Without a key configured the "refused" request passes: the measurement says so.
    module_file, env = guard_setup
    open_env = {k: v for k, v in env.items() if k != "ROUSE_GUARD_KEY_ENV"}
    with pytest.raises(RuntimeError, match="answered 200 where 401 was expected"):
        guard_cost.measure(module_file, open_env, KEY, rounds=1, calls=10)
