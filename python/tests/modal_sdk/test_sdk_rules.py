"""Executable record of modal 1.6.4's client-side rules (see python/MODAL_FACTS.md).

Each case is a tiny app body.  Outcomes:
  ("ok",)                        imports cleanly and passes the --proto deploy-time client checks
  ("import", ErrType, substring)  the SDK raises while the module is imported (decoration time)
  ("deploy", ErrType, substring)  imports cleanly; the SDK's Function loader raises (modal deploy)
All cases run in ONE subprocess (fresh interpreter, offline env, network guard) for speed.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

OK = ("ok",)

CASES = {
    # --- memory snapshots -------------------------------------------------------------------
    "cls_snap_true_requires_enable_memory_snapshot": (
        """
        @app.cls()
        class C:
            @modal.enter(snap=True)
            def a(self): pass
        """,
        ("import", "InvalidError", "A class must have `enable_memory_snapshot=True`"),
    ),
    "gpu_snapshot_option_without_memory_snapshot_is_not_checked": (
        """
        @app.cls(gpu="H100", experimental_options={"enable_gpu_snapshot": True})
        class C:
            @modal.enter()
            def a(self): pass
            @modal.method()
            def m(self): pass
        """,
        OK,
    ),
    "gpu_snapshot_without_gpu_is_not_checked": (
        """
        @app.cls(enable_memory_snapshot=True, experimental_options={"enable_gpu_snapshot": True})
        class C:
            @modal.enter(snap=True)
            def a(self): pass
            @modal.method()
            def m(self): pass
        """,
        OK,
    ),
    "gpu_snapshot_multi_gpu_is_not_checked": (
        """
        @app.cls(gpu="H100:8", enable_memory_snapshot=True, experimental_options={"enable_gpu_snapshot": True})
        class C:
            @modal.enter(snap=True)
            def a(self): pass
            @modal.web_server(8000)
            def serve(self): pass
        """,
        OK,
    ),
    "enter_snap_true_and_false_stacked": (
        """
        @app.cls(enable_memory_snapshot=True)
        class C:
            @modal.enter(snap=True)
            @modal.enter(snap=False)
            def a(self): pass
        """,
        OK,
    ),
    "enter_with_parameter_not_checked": (
        """
        @app.cls()
        class C:
            @modal.enter()
            def a(self, x): pass
        """,
        OK,
    ),
    "enter_async_allowed": (
        """
        @app.cls()
        class C:
            @modal.enter()
            async def a(self): pass
            @modal.exit()
            async def b(self): pass
        """,
        OK,
    ),
    "enter_and_method_cannot_stack": (
        """
        @app.cls()
        class C:
            @modal.enter()
            @modal.method()
            def a(self): pass
        """,
        ("import", "InvalidError", "Interface decorators cannot be combined with lifecycle decorators"),
    ),
    # --- @modal.concurrent ------------------------------------------------------------------
    "concurrent_on_method_rejected": (
        """
        @app.cls()
        class C:
            @modal.concurrent(max_inputs=4)
            @modal.method()
            def a(self): pass
        """,
        ("import", "InvalidError", "cannot be used on methods; decorate the class instead"),
    ),
    "concurrent_above_app_cls_rejected": (
        """
        @modal.concurrent(max_inputs=4)
        @app.cls()
        class C:
            @modal.method()
            def a(self): pass
        """,
        ("import", "InvalidError", "Cannot stack `@modal.concurrent` on top of `@app.cls()`"),
    ),
    "concurrent_requires_max_inputs": (
        """
        @app.cls()
        @modal.concurrent(target_inputs=4)
        class C:
            @modal.method()
            def a(self): pass
        """,
        ("import", "TypeError", "missing required argument: `max_inputs`"),
    ),
    "concurrent_target_above_max_rejected": (
        """
        @app.cls()
        @modal.concurrent(max_inputs=4, target_inputs=8)
        class C:
            @modal.method()
            def a(self): pass
        """,
        ("import", "InvalidError", "`target_inputs` parameter cannot be greater than `max_inputs`"),
    ),
    "concurrent_max_inputs_has_no_client_upper_bound": (
        """
        @app.cls()
        @modal.concurrent(max_inputs=100000)
        class C:
            @modal.method()
            def a(self): pass
        """,
        OK,
    ),
    "concurrent_fractional_target_rejected_outside_servers": (
        """
        @app.cls()
        @modal.concurrent(max_inputs=4, target_inputs=1.5)
        class C:
            @modal.method()
            def a(self): pass
        """,
        ("import", "InvalidError", "fractional values are only supported for Servers"),
    ),
    # --- @modal.web_server ------------------------------------------------------------------
    "web_server_async_rejected": (
        """
        @app.cls()
        class C:
            @modal.web_server(8000)
            async def serve(self): pass
        """,
        ("import", "InvalidError", "can't be applied to an async function"),
    ),
    "web_server_with_parameter_rejected": (
        """
        @app.cls()
        class C:
            @modal.web_server(8000)
            def serve(self, x): pass
        """,
        ("import", "InvalidError", "can't have parameters"),
    ),
    "web_server_port_must_be_int_in_range": (
        """
        @app.cls()
        class C:
            @modal.web_server("8000")
            def serve(self): pass
        """,
        ("import", "InvalidError", "First argument of `@web_server` must be a local port"),
    ),
    "web_server_startup_timeout_positive": (
        """
        @app.cls()
        class C:
            @modal.web_server(8000, startup_timeout=0)
            def serve(self): pass
        """,
        ("import", "InvalidError", "`startup_timeout` argument of `@web_server` must be positive"),
    ),
    "web_server_and_method_may_coexist": (
        """
        @app.cls()
        class C:
            @modal.web_server(8000)
            def serve(self): pass
            @modal.method()
            def m(self): pass
        """,
        OK,
    ),
    "web_function_retries_rejected": (
        """
        @app.function(retries=3)
        @modal.web_server(8000)
        def f(): pass
        """,
        ("import", "InvalidError", "Web Functions do not support retries"),
    ),
    # --- removed / renamed names ------------------------------------------------------------
    "keep_warm_removed": (
        "@app.function(keep_warm=1)\ndef f(): pass",
        ("import", "DeprecationError", "'keep_warm' parameter has been renamed to 'min_containers'"),
    ),
    "concurrency_limit_removed": (
        "@app.function(concurrency_limit=1)\ndef f(): pass",
        ("import", "DeprecationError", "'concurrency_limit' parameter has been renamed to 'max_containers'"),
    ),
    "container_idle_timeout_removed": (
        "@app.cls(container_idle_timeout=60)\nclass C:\n    @modal.method()\n    def a(self): pass",
        ("import", "DeprecationError", "'container_idle_timeout' parameter has been renamed to 'scaledown_window'"),
    ),
    "allow_concurrent_inputs_removed": (
        "@app.function(allow_concurrent_inputs=10)\ndef f(): pass",
        ("import", "DeprecationError", "Use the '@modal.concurrent' decorator instead"),
    ),
    "modal_gpu_module_removed": (
        "@app.function(gpu=modal.gpu.H100())\ndef f(): pass",
        ("import", "AttributeError", "module 'modal' has no attribute 'gpu'"),
    ),
    "modal_Mount_removed": (
        "m = modal.Mount.from_local_dir('.')",
        ("import", "AttributeError", "module 'modal' has no attribute 'Mount'"),
    ),
    "web_endpoint_renamed": (
        "@app.function()\n@modal.web_endpoint()\ndef f(): pass",
        ("import", "DeprecationError", "renamed to `@modal.fastapi_endpoint`"),
    ),
    "max_inputs_param_only_1": (
        "@app.function(max_inputs=2)\ndef f(): pass",
        ("import", "InvalidError", "Only `max_inputs=1` is currently supported"),
    ),
    # --- GPU strings --------------------------------------------------------------------------
    "gpu_bang_suffix": ('@app.function(gpu="H100!")\ndef f(): pass', OK),
    "gpu_count_syntax": ('@app.function(gpu="A100-80GB:2")\ndef f(): pass', OK),
    "gpu_lowercase_is_uppercased": ('@app.function(gpu="h100:8")\ndef f(): pass', OK),
    "gpu_list_fallbacks": ('@app.function(gpu=["H100", "A100-80GB:2"])\ndef f(): pass', OK),
    "gpu_unknown_type_not_checked_client_side": ('@app.function(gpu="H1000")\ndef f(): pass', OK),
    "gpu_count_zero_not_checked_client_side": ('@app.function(gpu="H100:0")\ndef f(): pass', OK),
    "gpu_count_must_be_int": (
        '@app.function(gpu="H100:x")\ndef f(): pass',
        ("import", "InvalidError", "Invalid GPU count: x"),
    ),
    "gpu_must_be_str": (
        "@app.function(gpu=1)\ndef f(): pass",
        ("import", "InvalidError", "Value must be a string or `None`"),
    ),
    # --- region, timeouts, autoscaler -------------------------------------------------------
    "region_str": ('@app.function(region="us-east")\ndef f(): pass', OK),
    "region_list": ('@app.function(region=["us-east", "eu"])\ndef f(): pass', OK),
    "region_int_rejected": ("@app.function(region=5)\ndef f(): pass", ("import", "TypeError", "not iterable")),
    "scaledown_window_min_2": (
        "@app.function(scaledown_window=1)\ndef f(): pass",
        ("import", "InvalidError", "`scaledown_window` must be between 2 and 3600"),
    ),
    "scaledown_window_max_3600": (
        "@app.function(scaledown_window=3601)\ndef f(): pass",
        ("import", "InvalidError", "`scaledown_window` must be between 2 and 3600"),
    ),
    "scaledown_window_3600_ok": ("@app.function(scaledown_window=3600)\ndef f(): pass", OK),
    "timeout_none_rejected": (
        "@app.function(timeout=None)\ndef f(): pass",
        ("import", "InvalidError", "`timeout` parameter cannot be set to None"),
    ),
    "timeout_no_client_upper_bound": ("@app.function(timeout=100000)\ndef f(): pass", OK),
    "timeout_negative_fails_at_deploy": (
        "@app.function(timeout=-5)\ndef f(): pass",
        ("deploy", "ValueError", "Value out of range: -5"),
    ),
    "min_gt_max_containers_rejected": (
        "@app.function(min_containers=3, max_containers=1)\ndef f(): pass",
        ("import", "InvalidError", "cannot be greater than `max_containers`"),
    ),
    "buffer_containers_negative_rejected": (
        "@app.function(buffer_containers=-1)\ndef f(): pass",
        ("import", "ValueError", "Value out of range: -1"),
    ),
    "startup_timeout_separate_from_timeout": (
        "@app.cls(startup_timeout=1200, timeout=60)\nclass C:\n    @modal.method()\n    def a(self): pass",
        OK,
    ),
    "cpu_limit_below_request_fails_at_deploy": (
        "@app.function(cpu=(4, 2))\ndef f(): pass",
        ("deploy", "InvalidError", "Cannot specify a CPU limit lower than request"),
    ),
    # --- experimental_options ---------------------------------------------------------------
    "experimental_options_keys_unchecked": ('@app.function(experimental_options={"bogus": 1})\ndef f(): pass', OK),
    "flash_option_requires_target_inputs": (
        """
        @app.cls(experimental_options={"flash": True})
        @modal.concurrent(max_inputs=4)
        class C:
            @modal.method()
            def a(self): pass
        """,
        ("import", "TypeError", "not yet supported for Flash functions"),
    ),
    # --- env / images -----------------------------------------------------------------------
    "image_env_values_must_be_str": (
        'img = modal.Image.debian_slim().env({"A": 1})',
        ("import", "InvalidError", "Image ENV variables must be strings"),
    ),
    "image_env_none_rejected": (
        'img = modal.Image.debian_slim().env({"A": None})',
        ("import", "InvalidError", "Image ENV variables must be strings"),
    ),
    "function_env_values_must_be_str": (
        '@app.function(env={"A": 1})\ndef f(): pass',
        ("import", "InvalidError", "value for key 'A' has type int"),
    ),
    "uv_pip_install_flags_rejected": (
        'img = modal.Image.debian_slim().uv_pip_install("--pre vllm")',
        ("import", "InvalidError", "cannot contain other arguments"),
    ),
    "run_function_lambda_rejected": (
        "img = modal.Image.debian_slim().run_function(lambda: None)",
        ("import", "InvalidError", "does not support lambda functions"),
    ),
    # --- volumes / secrets / names ----------------------------------------------------------
    "volume_must_be_volume_object": (
        '@app.function(volumes={"/data": "my-vol"})\ndef f(): pass',
        ("import", "InvalidError", "is not usable as a volume"),
    ),
    "volume_path_absolute": (
        '@app.function(volumes={"data": modal.Volume.from_name("v")})\ndef f(): pass',
        ("import", "InvalidError", "must be a canonical, absolute path"),
    ),
    "volume_same_object_twice_import_time": (
        'v = modal.Volume.from_name("v")\n@app.function(volumes={"/a": v, "/b": v})\ndef f(): pass',
        ("import", "InvalidError", "The same Volume cannot be mounted in multiple locations"),
    ),
    "volume_same_name_twice_deploy_time": (
        '@app.function(volumes={"/a": modal.Volume.from_name("v"), "/b": modal.Volume.from_name("v")})\ndef f(): pass',
        ("deploy", "InvalidError", "The same Volume cannot be mounted in multiple locations"),
    ),
    "volume_name_checked_eagerly": (
        'v = modal.Volume.from_name("bad name!")',
        ("import", "InvalidError", "Invalid Volume name"),
    ),
    "function_secret_must_be_secret_object_deploy_time": (
        '@app.function(secrets=["my-secret"])\ndef f(): pass',
        ("deploy", "AttributeError", "'str' object has no attribute 'object_id'"),
    ),
    "cls_custom_init_rejected": (
        "@app.cls()\nclass C:\n    def __init__(self): pass\n    @modal.method()\n    def a(self): pass",
        ("import", "InvalidError", "cannot have a custom constructor"),
    ),
    "duplicate_local_entrypoint_rejected": (
        "@app.local_entrypoint()\ndef main(): pass\n@app.local_entrypoint(name='main')\ndef main2(): pass",
        ("import", "InvalidError", "Duplicate local entrypoint name: main"),
    ),
    # --- @app.server ------------------------------------------------------------------------
    "server_snap_true_requires_enable_memory_snapshot": (
        """
        @app.server(port=8000)
        class C:
            @modal.enter(snap=True)
            def a(self): pass
        """,
        ("import", "InvalidError", "Server must have `enable_memory_snapshot=True`"),
    ),
    "server_with_memory_and_gpu_snapshot": (
        """
        @app.server(port=8000, gpu="H100", enable_memory_snapshot=True,
                    experimental_options={"enable_gpu_snapshot": True})
        class C:
            @modal.enter(snap=True)
            def a(self): pass
            @modal.enter(snap=False)
            def b(self): pass
        """,
        OK,
    ),
    "server_requires_enter": (
        "@app.server(port=8000)\nclass C:\n    @modal.exit()\n    def a(self): pass",
        ("import", "InvalidError", "Server class must have an @modal.enter()"),
    ),
    "server_rejects_concurrent": (
        """
        @app.server(port=8000)
        @modal.concurrent(max_inputs=4)
        class C:
            @modal.enter()
            def a(self): pass
        """,
        ("import", "InvalidError", "cannot be decorated with `@modal.concurrent()`"),
    ),
    "server_rejects_method": (
        """
        @app.server(port=8000)
        class C:
            @modal.enter()
            def a(self): pass
            @modal.method()
            def m(self): pass
        """,
        ("import", "InvalidError", "cannot have `@modal.method()` decorated functions"),
    ),
    "server_web_server_method_not_rejected": (
        """
        @app.server(port=8000)
        class C:
            @modal.enter()
            def a(self): pass
            @modal.web_server(8000)
            def serve(self): pass
        """,
        OK,
    ),
    "server_has_no_timeout_param": (
        "@app.server(port=8000, timeout=600)\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "TypeError", "unexpected keyword argument 'timeout'"),
    ),
    "server_has_no_region_param": (
        "@app.server(port=8000, region='us-east')\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "TypeError", "unexpected keyword argument 'region'"),
    ),
    "server_rejects_custom_init": (
        "@app.server(port=8000)\nclass C:\n    def __init__(self): pass\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "cannot have a custom __init__ method"),
    ),
    "server_rejects_parameter": (
        "@app.server(port=8000)\nclass C:\n    x: int = modal.parameter()\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "cannot use modal.parameter()"),
    ),
    "server_fractional_target_concurrency": (
        "@app.server(port=8000, target_concurrency=1.5)\nclass C:\n    @modal.enter()\n    def a(self): pass",
        OK,
    ),
    "server_target_above_max_concurrency_rejected": (
        "@app.server(port=8000, target_concurrency=10, max_concurrency=5)\n"
        "class C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "`target_concurrency` argument cannot be greater than `max_concurrency`"),
    ),
    "server_routing_region_required": (
        "@app.server(port=8000, routing_region='')\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "The `routing_region` argument must be passed"),
    ),
    "server_port_range": (
        "@app.server(port=0)\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "Port must be a positive integer between 1 and 65535"),
    ),
    "server_exit_grace_period_max_3600": (
        "@app.server(port=8000, exit_grace_period=3601)\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "must not exceed 3600 seconds"),
    ),
    "server_scaleup_window_positive": (
        "@app.server(port=8000, scaleup_window=0)\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "`scaleup_window` must be > 0"),
    ),
    "server_scaledown_window_bounds": (
        "@app.server(port=8000, scaledown_window=1)\nclass C:\n    @modal.enter()\n    def a(self): pass",
        ("import", "InvalidError", "`scaledown_window` must be between 2 and 3600"),
    ),
    "sessioned_only_on_server": (
        "@app.cls()\n@modal.sessioned()\nclass C:\n    @modal.method()\n    def a(self): pass",
        ("import", "InvalidError", "`@modal.sessioned()` can only be used with `@app.server()`"),
    ),
}

DRIVER = """
import json, sys
from rouse_py import inspect_app as ia
ia.force_offline_env()
ia.install_network_guard()
out = {}
for path in sys.argv[1:]:
    out[path] = ia.inspect_file(path, proto=True)
print(json.dumps(out, default=repr))
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("rules")
    paths = {}
    for name, (body, _) in CASES.items():
        p = d / f"case_{name}.py"
        p.write_text("import modal\n\napp = modal.App('rouse-rules')\n\n" + textwrap.dedent(body).strip() + "\n")
        paths[name] = str(p)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *paths.values()],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC), "HOME": str(d)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = json.loads(proc.stdout)
    return {name: reports[p] for name, p in paths.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_rule(results, name):
    _, expected = CASES[name]
    report = results[name]
    assert report["network_attempts"] == []
    if expected[0] == "import":
        assert report["ok"] is False, f"expected the SDK to reject {name} at import"
        assert report["error"]["type"] == expected[1], report["error"]
        assert expected[2] in report["error"]["message"], report["error"]["message"]
        return
    assert report["ok"] is True, report.get("error")
    errors = [e for app in report["apps"] for e in app["deploy_check_errors"].values()]
    if expected[0] == "ok":
        assert errors == [] and report["deploy_checks_ok"] is True
    else:
        assert len(errors) == 1, errors
        assert errors[0]["type"] == expected[1]
        assert expected[2] in errors[0]["message"], errors[0]["message"]
