"""Every emitted app (all presets + a random sample of valid configs) imported by the real
modal SDK (modal==1.6.4, offline): what the SDK recorded must be what the config asked for.

See python/MODAL_FACTS.md for the SDK rules these assertions rely on.
"""

import ast

import pytest
from codegen_support import (
    expected_methods,
    expected_secrets,
    expected_volume_names,
    gpu_string,
    load_case,
    methods,
    service_entry,
    service_kind,
)

from rouse_py.app_literals import constant

REMOVED_NAMES = (
    "keep_warm",
    "concurrency_limit",
    "container_idle_timeout",
    "allow_concurrent_inputs",
    "modal.gpu",
    "Mount",
)


def assert_endpoint(endpoint, app, cfg):
    """The endpoint the plan reports (renderApp's ``endpoint``; `rouse deploy` and `rouse logs`
    find the app's URL and logs by it) is the one the SDK registered, and of the kind the
    config asks for."""
    assert endpoint["kind"] == service_kind(cfg)
    if endpoint["kind"] == "server":
        assert [s["name"] for s in app["servers"]] == [endpoint["object"]]
        assert "method" not in endpoint and app["web_endpoints"] == []
    elif endpoint["kind"] == "function":
        assert [f["name"] for f in app["functions"]] == [endpoint["object"]]
        assert "method" not in endpoint and app["web_endpoints"] == [endpoint["object"]]
    else:
        assert [c["name"] for c in app["classes"]] == [endpoint["object"]]
        assert app["web_endpoints"] == [f"{endpoint['object']}.{endpoint['method']}"]


def check_app(case_dir, inspect_app):
    case = load_case(case_dir)
    cfg, plan = case["config"], case["plan"]
    code, report, stderr = inspect_app(case_dir / "app.py")
    assert report is not None, stderr
    assert report["ok"] is True, report.get("error")
    assert code == 0, stderr
    assert report["network_attempts"] == []
    assert report["deploy_checks_ok"] is True, [a["deploy_check_errors"] for a in report["apps"]]
    # Deprecation warnings would mean the app uses names the next SDK removes.
    assert [w for w in report["warnings"] if "eprecat" in w["category"] + w["message"]] == []

    (app,) = report["apps"]
    assert app["variable"] == "app" and app["name"] == cfg["name"] and app["name_valid"] is True
    entry = service_entry(app, cfg, plan)
    assert_endpoint(plan["endpoint"], app, cfg)
    kind = service_kind(cfg)
    scaling, snap = cfg["scaling"], cfg["snapshot"]

    # Resources
    assert entry["gpu"] == gpu_string(cfg)
    assert entry["gpus"] == [{"type": cfg["resources"]["gpu"].upper(), "count": cfg["resources"]["count"]}]
    assert entry["cpu"] == cfg["resources"].get("cpu")
    assert entry["memory"] == cfg["resources"].get("memory")
    assert entry["volumes"] == expected_volume_names(cfg, plan)
    assert entry["secrets"] == expected_secrets(cfg)

    # Snapshots: CPU memory snapshot flag, GPU snapshot as the SDK str()-s it.
    assert entry["enable_memory_snapshot"] is snap["enabled"]
    gpu_snapshot = snap["enabled"] and snap["gpu"]
    assert entry["experimental_options"] == ({"enable_gpu_snapshot": "True"} if gpu_snapshot else {})

    # Scaling and timeouts
    assert entry["scaledown_window"] == scaling["scaledownWindow"]
    assert entry["startup_timeout"] == scaling["startupTimeout"]
    # @app.server takes no timeout: its service function keeps the SDK default (MODAL_FACTS §4).
    assert entry["timeout"] == (300 if kind == "server" else scaling["timeout"])
    assert entry["min_containers"] == (scaling["minContainers"] or None)
    assert entry["max_containers"] == scaling.get("maxContainers")
    assert entry["buffer_containers"] == scaling.get("bufferContainers")
    region = scaling.get("region")
    assert entry["region"] == ([region] if isinstance(region, str) else region)

    # Serving: concurrency, port, auth, lifecycle methods in order with their snap flags
    port = cfg["serving"]["port"]
    assert methods(entry) == expected_methods(cfg, plan)
    if kind == "server":
        assert entry["target_concurrency"] == float(scaling.get("targetInputs") or scaling["maxInputs"])
        assert entry["max_concurrency"] == scaling["maxInputs"]
        http = entry["http_config"]
        assert http["port"] == port and http["startup_timeout"] == scaling["startupTimeout"]
        assert http["unauthenticated"] is (not cfg["serving"]["proxyAuth"])
        # Requests are routed through the containers' region (the first, for a list); Modal's default otherwise.
        routing = region if isinstance(region, str) else (region[0] if region else "us-east")
        assert http["routing_region"] == routing and http["proxy_regions"] == [routing]
        assert app["web_endpoints"] == []
    else:
        assert entry["concurrency"] == {
            "max_inputs": scaling["maxInputs"],
            "target_inputs": scaling.get("targetInputs"),
        }
        web = entry["web"] if kind == "function" else next(m for m in entry["methods"] if m["kind"] == "web_server")
        assert web["kind"] == "web_server" and web["port"] == port
        assert web["startup_timeout"] == scaling["startupTimeout"]
        assert web["requires_proxy_auth"] is cfg["serving"]["proxyAuth"]
        if kind == "cls":
            assert web["is_async"] is False and web["params"] == []
        assert app["web_endpoints"] == (["serve"] if kind == "function" else [f"{plan['className']}.serve"])

    # Image: base, pinned packages, env as strings, build-time steps
    image, recipe = entry["image"], plan["image"]
    base = recipe["base"]
    if base["kind"] == "registry":
        assert image["base"]["kind"] == "registry" and image["base"]["ref"] == base["ref"]
        assert image["base"]["add_python"] == base.get("addPython")
    else:
        assert image["base"] == {"kind": "debian_slim", "python_version": base["python"]}
    assert image["pip_packages"] == recipe["packages"]
    assert image["entrypoint"] == ([] if recipe["clearEntrypoint"] else None)
    env = {e["name"]: e["value"] for e in recipe["env"]}
    assert image["env"] == env
    assert all(isinstance(v, str) for v in image["env"].values())
    for name, value in cfg["env"].items():
        assert image["env"][name] == value
    run_functions = image["run_functions"]
    expected_steps = (["download_weights"] if cfg["caches"]["bakeWeights"] else []) + [
        s["name"] for s in recipe["buildSteps"]
    ]
    assert [f["name"] for f in run_functions] == expected_steps
    steps = recipe["buildSteps"]
    for step, fn in zip(steps, run_functions[len(run_functions) - len(steps) :]):
        assert fn["gpu"] == (gpu_string(cfg) if step["gpu"] else None)

    # The smoke test
    (ep,) = app["local_entrypoints"]
    assert ep["name"] == "test" and [p["name"] for p in ep["params"]] == ["timeout"]
    return case, report


def check_source(case_dir):
    """What the SDK cannot see: argv and env as data, and no removed or dangerous names."""
    case = load_case(case_dir)
    source = (case_dir / "app.py").read_text()
    tree = ast.parse(source)
    assigned = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    # Data only: literals and references to the app's own constants (MODEL_NAME, ENGINE_PORT).
    assert constant(tree, "ENGINE_CMD") == case["plan"]["launch"]["argv"]
    argv = case["plan"]["launch"]["argv"]
    assert ast.literal_eval(assigned["PORT"]) == case["config"]["serving"]["port"]
    routes = {}
    for r in case["plan"]["lifecycle"]["routes"]:
        routes.setdefault(r["path"], r["access"])  # first match wins, as in the guard
    if case["plan"]["guard"] == "in-process":
        # The engine serves the public port on 0.0.0.0 (MODAL_FACTS §3: web servers must listen
        # there), with the guard module inside its server: vLLM's --middleware, else the launcher.
        assert "0.0.0.0" in argv and "127.0.0.1" not in argv
        assert isinstance(assigned["ENGINE_PORT"], ast.Name) and assigned["ENGINE_PORT"].id == "PORT"
        assert argv[-2:] == ["--middleware", "rouse_guard.RouseGuard"] or argv[1:3] == ["-m", "rouse_guard"]
        module = ast.parse(ast.literal_eval(assigned["GUARD_MODULE"]))
        guard_routes = next(
            n.value for n in module.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "ROUTES"
        )
        assert ast.literal_eval(guard_routes) == routes
        assert "ROUTES" not in assigned and "start_guard" not in source
    else:
        # The engine binds loopback only; the guard alone faces 0.0.0.0.
        assert "0.0.0.0" not in argv and "127.0.0.1" in argv
        assert ast.literal_eval(assigned["ENGINE_PORT"]) == case["plan"]["ports"]["engine"]
        assert ast.literal_eval(assigned["ROUTES"]) == routes
    for name in REMOVED_NAMES:
        assert name not in source, name
    assert "shell=True" not in source
    api_key = case["config"]["secrets"].get("apiKey")
    if api_key:
        assert 'os.environ["' in source and "API_KEY_ENV" in source


@pytest.mark.parametrize("check", ["sdk", "source"])
def test_preset_app(preset_case, inspect_app, check):
    if check == "sdk":
        check_app(preset_case, inspect_app)
    else:
        check_source(preset_case)


@pytest.mark.parametrize("check", ["sdk", "source"])
def test_proxied_app(proxied_case, inspect_app, check):
    """The presets behind the proxy guard (a plugin whose server runs no ASGI middleware)."""
    if check == "sdk":
        check_app(proxied_case, inspect_app)
    else:
        check_source(proxied_case)


@pytest.mark.parametrize("check", ["sdk", "source"])
def test_random_config_app(random_case, inspect_app, check):
    if check == "sdk":
        check_app(random_case, inspect_app)
    else:
        check_source(random_case)
