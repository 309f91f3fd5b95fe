"""The inspector's JSON for hand-written fixtures modelled on seeds 000 and 004, and @app.server."""

from modal_sdk_support import FIXTURES


def only(items, **kw):
    hits = [i for i in items if all(i.get(k) == v for k, v in kw.items())]
    assert len(hits) == 1, (kw, items)
    return hits[0]


def methods(entry):
    return [(m["name"], m["kind"], m.get("snap")) for m in entry["methods"]]


def test_vllm_snapshot_fixture(inspect):
    code, report, stderr = inspect(FIXTURES / "vllm_snapshot_app.py")
    assert code == 0, stderr
    assert report["ok"] is True
    assert report["inspector"]["modal_version"] == "1.6.4"
    assert report["network_attempts"] == []
    assert report["warnings"] == []
    (app,) = report["apps"]
    assert app["name"] == "example-ministral3-inference"
    assert app["variable"] == "app"
    assert app["name_valid"] is True
    assert app["functions"] == [] and app["servers"] == []
    cls = only(app["classes"], name="VllmServer")
    assert cls["service_function"] == "VllmServer.*"
    assert cls["gpu"] == "H100:1"
    assert cls["gpus"] == [{"type": "H100", "count": 1}]
    assert cls["volumes"] == {"/root/.cache/huggingface": "huggingface-cache", "/root/.cache/vllm": "vllm-cache"}
    assert cls["secrets"] == []
    assert cls["enable_memory_snapshot"] is True
    assert cls["experimental_options"] == {"enable_gpu_snapshot": "True"}  # SDK str()-s the values
    assert cls["scaledown_window"] == 900
    assert cls["timeout"] == 600 and cls["startup_timeout"] == 600
    assert cls["concurrency"] == {"max_inputs": 32, "target_inputs": None}
    assert cls["min_containers"] is None and cls["max_containers"] is None and cls["region"] is None
    assert methods(cls) == [
        ("start", "enter", True),
        ("wake_up", "enter", False),
        ("serve", "web_server", None),
        ("stop", "exit", None),
    ]
    serve = only(cls["methods"], name="serve")
    assert serve["port"] == 8000 and serve["startup_timeout"] == 600
    assert serve["requires_proxy_auth"] is False and serve["is_async"] is False and serve["params"] == []
    assert app["web_endpoints"] == ["VllmServer.serve"]
    (ep,) = app["local_entrypoints"]
    assert ep["name"] == "test" and ep["is_async"] is True
    assert [p["name"] for p in ep["params"]] == ["test_timeout", "content", "twice"]

    image = cls["image"]
    assert image["base"] == {
        "kind": "registry",
        "ref": "nvidia/cuda:12.9.0-devel-ubuntu22.04",
        "add_python": "3.12",
        "setup_dockerfile_commands": [],
    }
    assert image["python_version"] == "3.12"
    assert image["entrypoint"] == []
    assert image["pip_packages"] == ["vllm==0.13.0", "huggingface-hub==0.36.0", "flashinfer-python==0.5.3"]
    assert image["env"] == {
        "HF_XET_HIGH_PERFORMANCE": "1",
        "VLLM_SERVER_DEV_MODE": "1",
        "TORCHINDUCTOR_COMPILE_THREADS": "1",
    }
    assert [layer["method"] for layer in image["layers"]] == [
        "from_registry",
        "dockerfile_commands",
        "uv_pip_install",
        "env",
        "env",
    ]
    assert image["layers"][1]["commands"] == ["FROM base", "ENTRYPOINT []"]
    assert image["run_functions"] == []


def test_sglang_snapshot_fixture(inspect):
    code, report, stderr = inspect(FIXTURES / "sglang_snapshot_app.py")
    assert code == 0, stderr
    assert report["network_attempts"] == []
    (app,) = report["apps"]
    assert app["name"] == "example-sglang-snapshot"
    cls = only(app["classes"], name="SGLang")
    assert cls["gpu"] == "H100!:1"
    assert cls["gpus"] == [{"type": "H100!", "count": 1}]  # "!" kept: no automatic upgrade to H200
    assert cls["volumes"] == {
        "/root/.cache/huggingface": "huggingface-cache",
        "/root/.cache/deepgemm": "deepgemm-cache",
    }
    assert cls["enable_memory_snapshot"] is True
    assert cls["experimental_options"] == {"enable_gpu_snapshot": "True"}
    assert cls["concurrency"] == {"max_inputs": 1000, "target_inputs": 10}
    assert cls["timeout"] == 300  # the SDK default
    assert cls["scaledown_window"] is None
    assert methods(cls) == [
        ("startup", "enter", True),
        ("wake_up", "enter", False),
        ("serve", "web_server", None),
        ("stop", "exit", None),
    ]
    assert only(cls["methods"], name="serve")["port"] == 8000
    assert [e["name"] for e in app["local_entrypoints"]] == ["test"]

    image = cls["image"]
    assert image["base"]["kind"] == "registry"
    assert image["base"]["ref"] == "lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime"
    assert image["base"]["add_python"] is None
    assert image["entrypoint"] == []
    assert image["pip_packages"] == ["huggingface-hub==0.36.0"]
    assert image["env"] == {
        "HF_HUB_CACHE": "/root/.cache/huggingface",
        "HF_XET_HIGH_PERFORMANCE": "1",
        "SGLANG_ENABLE_JIT_DEEPGEMM": "1",
        "TORCHINDUCTOR_COMPILE_THREADS": "1",
    }
    (rf,) = image["run_functions"]
    assert rf["name"] == "compile_deep_gemm"
    assert rf["gpu"] == "H100!:1"
    assert rf["volumes"] == {"/root/.cache/deepgemm": "deepgemm-cache", "/root/.cache/huggingface": "huggingface-cache"}
    assert rf["timeout"] == 3600
    layer_methods = [layer["method"] for layer in image["layers"]]
    assert layer_methods == [
        "from_registry",
        "dockerfile_commands",
        "uv_pip_install",
        "env",
        "env",
        "run_function",
        "env",
    ]
    # the env set before run_function is visible to the build step, the last one is not
    assert layer_methods.index("run_function") < len(layer_methods) - 1


def test_server_fixture(inspect):
    code, report, stderr = inspect(FIXTURES / "server_snapshot_app.py")
    assert code == 0, stderr
    assert report["network_attempts"] == []
    (app,) = report["apps"]
    assert app["classes"] == [] and app["functions"] == []
    srv = only(app["servers"], name="VllmServer")
    assert srv["is_server"] is True
    assert srv["class"] == "VllmServer"
    assert srv["port"] == 8000
    assert srv["http_config"] == {
        "port": 8000,
        "routing_region": "us-east",
        "proxy_regions": ["us-east"],
        "startup_timeout": 1200,
        "exit_grace_period": 0,
        "h2_enabled": False,
        "unauthenticated": True,
        "direct": False,
    }
    assert srv["gpu"] == "A100-80GB:2" and srv["gpus"] == [{"type": "A100-80GB", "count": 2}]
    assert srv["volumes"] == {"/root/.cache/huggingface": "huggingface-cache"}
    assert srv["secrets"] == ["huggingface-secret"]
    assert srv["enable_memory_snapshot"] is True
    assert srv["experimental_options"] == {"enable_gpu_snapshot": "True"}
    assert srv["target_concurrency"] == 8 and srv["max_concurrency"] == 16
    assert (srv["min_containers"], srv["max_containers"], srv["scaledown_window"]) == (0, 4, 300)
    assert srv["region"] == ["us-east", "us-west"]  # compute_region=
    assert srv["startup_timeout"] == 1200
    assert srv["sessioned"] is False
    assert methods(srv) == [("start", "enter", True), ("wake", "enter", False), ("stop", "exit", None)]
    assert srv["image"]["base"] == {"kind": "debian_slim", "python_version": "3.12"}
    assert srv["image"]["apt_packages"] == ["curl"]
    assert [e["name"] for e in app["local_entrypoints"]] == ["main"]


def test_proto_capture_matches_summary(inspect):
    """--proto: the FunctionCreateRequest the SDK itself builds agrees with the summary."""
    code, report, stderr = inspect(FIXTURES / "vllm_snapshot_app.py", "--proto")
    assert code == 0, stderr
    assert report["deploy_checks_ok"] is True
    (app,) = report["apps"]
    fn = app["protos"]["VllmServer.*"]["request"]["function"]
    assert fn["checkpointing_enabled"] is True
    assert fn["experimental_options"] == {"enable_gpu_snapshot": "True"}
    assert fn["resources"]["gpu_config"] == {"gpu_type": "H100", "count": 1}
    assert fn["max_concurrent_inputs"] == 32
    assert fn["timeout_secs"] == 600
    assert fn["autoscaler_settings"] == {"scaledown_window": 900}
    assert [m["mount_path"] for m in fn["volume_mounts"]] == ["/root/.cache/huggingface", "/root/.cache/vllm"]
    hook = fn["method_definitions"]["serve"]["webhook_config"]
    assert hook["type"] == "WEBHOOK_TYPE_WEB_SERVER" and hook["web_server_port"] == 8000
    assert hook["web_server_startup_timeout"] == 600


def test_server_proto(inspect):
    code, report, stderr = inspect(FIXTURES / "server_snapshot_app.py", "--proto")
    assert code == 0, stderr
    assert report["deploy_checks_ok"] is True
    fn = report["apps"][0]["protos"]["VllmServer"]["request"]["function"]
    assert fn["is_server"] is True
    assert fn["checkpointing_enabled"] is True
    assert fn["http_config"]["port"] == 8000
    assert fn["resources"]["gpu_config"] == {"gpu_type": "A100-80GB", "count": 2}
    assert fn["autoscaler_settings"]["target_concurrency_float"] == 8
