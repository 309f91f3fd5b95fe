"""Offline inspector for generated Modal apps.

    python -m rouse_py.inspect_app path/to/app.py [--pretty] [--proto] [--builder-version V]

Imports ``app.py`` by path (``importlib``, under its own module name, never through the
``modal`` CLI), with the environment forced offline, and prints ONE JSON document that
describes every ``modal.App`` bound to a global of the module: its classes (``@app.cls``),
functions (``@app.function``), servers (``@app.server``), local entrypoints and images.

Offline guarantees
------------------
* Before ``modal`` is imported, every ``MODAL_*`` variable is removed from ``os.environ``
  (tokens, profile, environment, image builder version, ...), ``MODAL_CONFIG_PATH`` points
  at a file that does not exist (so ``~/.modal.toml`` is never read) and
  ``MODAL_SERVER_URL`` points at ``http://127.0.0.1:9`` (nothing listens there), so an
  accidental RPC fails fast instead of reaching modal.com.
* ``socket.socket.connect``/``connect_ex``/``socket.getaddrinfo``/``socket.create_connection``
  are replaced by guards that record the attempt and raise ``OfflineViolation``.  Attempts
  are reported in ``network_attempts``; the exit status is 3 when that list is not empty.
* Nothing is hydrated: no ``Client`` is ever created, no ``_load`` coroutine is awaited
  (``--proto`` awaits the Function loader against an in-memory fake stub, see below).

Exit status: 0 ok; 2 the module raised while being imported (the SDK rejected it; the JSON
has ``ok: false`` and ``error``); 3 a network call was attempted; 1 usage error.

Where each field comes from (pinned to modal==1.6.4; re-check on every SDK bump)
-------------------------------------------------------------------------------
Public API (documented, stable):
  * ``modal.App`` instances found in the module globals, ``App.name``.
  * ``Function.info()`` -> ``modal.types.FunctionInfo`` (documented; answered from local
    state without any RPC for functions defined in this process, see
    ``_functions.py:_Function.info``): ``gpus`` (already parsed by the SDK into
    ``(type, count)``), ``cpu``, ``memory_mib``, ``ephemeral_disk_mib``, ``timeout``,
    ``startup_timeout``, ``regions``, ``routing_region``, ``cloud``, ``nonpreemptible``,
    ``max_retries``, ``volumes`` (mount path -> ``VolumeMountInfo(name=...)``),
    ``cloud_bucket_mounts``, ``secrets`` (reprs), ``concurrency_info``, ``batching_info``,
    ``cluster_info``, ``schedule``, ``web_info``, ``method_names``.
  * ``Volume.name`` / ``Secret.name`` of lazy ``from_name`` handles (no hydration needed).

SDK internals (private; valid for modal 1.6.4 only):
  * ``App._local_state`` (``app.py:_LocalAppState``): ``functions``, ``classes``,
    ``local_entrypoints``, ``web_endpoints``, ``tags``.  The public spelling
    ``App.registered_functions/registered_classes/registered_entrypoints`` exists in 1.6.4
    but is deprecated (warns; to be removed in 1.7.0), so it is not used.
  * The free variables of ``_Function._load`` (the closure built in
    ``_functions.py:_Function._from_local``): ``enable_memory_snapshot``,
    ``experimental_options`` (values already ``str()``-ed by the SDK, e.g. ``"True"``),
    ``autoscaler_settings`` (min/max/buffer containers, scaledown/scaleup window, server
    target concurrency), ``max_concurrent_inputs``, ``webhook_config`` (web server port and
    startup timeout), ``http_config`` (``@app.server``), ``is_server``, ``is_sessioned``,
    ``gpu`` (the string exactly as written), ``single_use_containers``, ``block_network``,
    ``restrict_modal_access``, ``i6pn_enabled``, ``cluster_size``.
  * ``_Function._spec`` (``_FunctionSpec``) for the raw gpu argument, ``_source_info``.
  * ``_Cls._user_cls`` and ``_PartialFunction.flags/params`` found by
    ``_partial_function._find_partial_methods_for_user_cls`` (definition order = class
    ``__dict__`` order, parents first) for lifecycle/interface methods.
  * Image chain: each ``_Image`` keeps its build recipe in the closure of its ``_load``
    (``_image.py:_Image._from_args``: ``base_images``, ``dockerfile_function``,
    ``build_function``, ``secrets``, ``gpu_config``, ``validated_volumes``).  The layer's
    creating method is read from ``dockerfile_function.__qualname__`` (e.g.
    ``_Image.uv_pip_install.<locals>.build_dockerfile``) and its arguments from that
    function's closure (``pkgs``, ``vars``, ``cmds``, ``tag``, ``add_python``...).
    Dockerfile commands are rendered by calling ``dockerfile_function(builder_version)``,
    a pure function in 1.6.4 (default builder version: ``LATEST_IMAGE_BUILDER_VERSION``).
  * ``--proto``: runs ``_Function._load`` with fake object ids and a fake stub that
    captures the ``FunctionCreateRequest`` (the exact definition ``modal deploy`` would
    send) and aborts.  This also runs the client-side checks that the SDK only performs at
    deploy time (e.g. one Volume mounted at two paths).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import inspect
import json
import os
import platform
import shlex
import socket
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import Any

PINNED_MODAL_VERSION = "1.6.4"
DEAD_SERVER_URL = "http://127.0.0.1:9"

# --------------------------------------------------------------------------------------
# Offline environment and network guard
# --------------------------------------------------------------------------------------


class OfflineViolation(RuntimeError):
    """Raised when inspected code tries to open a network connection."""


NETWORK_ATTEMPTS: list[dict[str, str]] = []


def force_offline_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Strip MODAL_* settings and point the SDK at a dead loopback server.

    Must run before ``import modal`` (``modal.config`` reads the environment at import).
    Returns the environment (``os.environ`` when none is given).
    """
    env = os.environ if environ is None else environ
    for key in [k for k in env if k.startswith("MODAL_")]:
        del env[key]
    env["MODAL_SERVER_URL"] = DEAD_SERVER_URL
    env["MODAL_CONFIG_PATH"] = os.path.join(tempfile.gettempdir(), "rouse-no-such-dir", "modal.toml")
    env["MODAL_LOGLEVEL"] = "ERROR"
    return env


_GUARD_INSTALLED = False


def install_network_guard() -> None:
    global _GUARD_INSTALLED
    if _GUARD_INSTALLED:
        return
    _GUARD_INSTALLED = True

    def _record(kind: str, target: Any) -> None:
        NETWORK_ATTEMPTS.append({"kind": kind, "target": repr(target)})

    def connect(self, address):  # noqa: ANN001
        if self.family == getattr(socket, "AF_UNIX", object()):
            return _orig_connect(self, address)
        _record("connect", address)
        raise OfflineViolation(f"rouse_py.inspect_app: network access blocked (connect {address!r})")

    def connect_ex(self, address):  # noqa: ANN001
        if self.family == getattr(socket, "AF_UNIX", object()):
            return _orig_connect_ex(self, address)
        _record("connect_ex", address)
        raise OfflineViolation(f"rouse_py.inspect_app: network access blocked (connect_ex {address!r})")

    def getaddrinfo(host, *args, **kwargs):  # noqa: ANN001
        _record("getaddrinfo", host)
        raise OfflineViolation(f"rouse_py.inspect_app: network access blocked (getaddrinfo {host!r})")

    def create_connection(address, *args, **kwargs):  # noqa: ANN001
        _record("create_connection", address)
        raise OfflineViolation(f"rouse_py.inspect_app: network access blocked (create_connection {address!r})")

    _orig_connect = socket.socket.connect
    _orig_connect_ex = socket.socket.connect_ex
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.create_connection = create_connection  # type: ignore[assignment]


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _closure_vars(fn: Any) -> dict[str, Any]:
    """Free variables of a closure, by name (cells that are still empty are skipped)."""
    code = getattr(fn, "__code__", None)
    cells = getattr(fn, "__closure__", None) or ()
    if code is None:
        return {}
    out: dict[str, Any] = {}
    for name, cell in zip(code.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # empty cell
            pass
    return out


def _jsonable(value: Any) -> Any:
    """Best-effort conversion of plain data to JSON (reprs for everything else)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _unwrap(obj: Any) -> Any:
    """synchronicity wrapper (modal.X) -> implementation object (modal._X)."""
    from modal._utils.async_utils import synchronizer

    return synchronizer._translate_in(obj)


def _proto_field(msg: Any, field: str) -> Any:
    """Value of an optional proto field, None when unset."""
    try:
        if msg.HasField(field):
            return getattr(msg, field)
        return None
    except ValueError:  # not an optional field
        return getattr(msg, field)


# --------------------------------------------------------------------------------------
# Volumes, secrets, GPUs
# --------------------------------------------------------------------------------------


def _volume_name(vol: Any) -> str | None:
    return getattr(vol, "_name", None)


def describe_volumes(volumes: dict[Any, Any]) -> tuple[dict[str, str | None], dict[str, dict[str, Any]]]:
    """(mount path -> volume name, mount path -> details) for a volumes= mapping."""
    from modal.cloud_bucket_mount import _CloudBucketMount

    simple: dict[str, str | None] = {}
    details: dict[str, dict[str, Any]] = {}
    for path, vol in (volumes or {}).items():
        key = str(path)
        if isinstance(vol, _CloudBucketMount):
            simple[key] = f"bucket:{vol.bucket_name}"
            details[key] = {"kind": "cloud_bucket", "bucket_name": vol.bucket_name, "read_only": vol.read_only}
            continue
        opts = getattr(vol, "_mount_options", None)
        simple[key] = _volume_name(vol)
        details[key] = {
            "kind": "volume",
            "name": _volume_name(vol),
            "repr": repr(vol),
            "read_only": bool(getattr(opts, "read_only", False)) if opts is not None else False,
            "sub_path": getattr(opts, "sub_path", None) if opts is not None else None,
        }
    return simple, details


def describe_secrets(secrets: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """(names of from_name secrets, details of every secret incl. inline env dicts)."""
    names: list[str] = []
    details: list[dict[str, Any]] = []
    for s in secrets or []:
        name = getattr(s, "_name", None)
        keys = getattr(s, "_keys", None)
        if name:
            names.append(name)
            details.append({"kind": "from_name", "name": name})
        elif keys is not None:
            details.append({"kind": "from_dict", "keys": sorted(keys)})
        else:
            details.append({"kind": "other", "repr": repr(s)})
    return names, details


def describe_gpu(gpu: Any) -> list[dict[str, Any]]:
    from modal._utils.function_utils import parse_gpu_config

    gpus = gpu if isinstance(gpu, list) else ([gpu] if gpu else [])
    out = []
    for g in gpus:
        cfg = parse_gpu_config(g)
        out.append({"type": cfg.gpu_type, "count": cfg.count})
    return out


# --------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------


def _layer_method(qualname: str) -> str:
    # "_Image.uv_pip_install.<locals>.build_dockerfile" -> "uv_pip_install"
    parts = qualname.split(".")
    if len(parts) >= 2 and parts[0] == "_Image":
        return parts[1]
    if "<lambda>" in qualname and "from_registry" in qualname:
        return "from_registry"
    return qualname


def describe_image(image: Any, builder_version: str | None = None) -> dict[str, Any] | None:
    """Walk an (unhydrated) Image's layer chain from base to top."""
    from modal._image import LATEST_IMAGE_BUILDER_VERSION, _Image

    if image is None:
        return None
    image = _unwrap(image)
    if not isinstance(image, _Image):
        return {"repr": repr(image), "error": "not a modal.Image"}
    version = builder_version or LATEST_IMAGE_BUILDER_VERSION

    layers: list[dict[str, Any]] = []
    node: Any = image
    seen = 0
    while node is not None and seen < 500:
        seen += 1
        load_vars = _closure_vars(getattr(node, "_load", None))
        layer: dict[str, Any] = {}
        next_node = None
        if "split_image" in load_vars and "single_layer_image" in load_vars:
            # Image.from_registry(..., add_python=...) wrapper: describe the single-layer recipe.
            inner = load_vars["single_layer_image"]
            inner_vars = _closure_vars(inner._load)
            layer = _describe_from_args_layer(inner_vars, version)
            layer["method"] = "from_registry"
            next_node = None
        elif "base_image" in load_vars and "mount" in load_vars:
            mount = load_vars["mount"]
            layer = {"method": "add_local", "repr": repr(mount)}
            next_node = load_vars["base_image"]
        elif "base_images" in load_vars:
            layer = _describe_from_args_layer(load_vars, version)
            bases = load_vars.get("base_images") or {}
            next_node = bases.get("base") if len(bases) == 1 else None
            if len(bases) > 1:
                layer["base_images"] = {k: repr(v) for k, v in bases.items()}
        else:
            layer = {"method": "opaque", "repr": repr(node)}
        layers.append(layer)
        node = next_node
    layers.reverse()
    return _summarize_layers(layers, version)


def _describe_from_args_layer(load_vars: dict[str, Any], version: str) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    build_function = load_vars.get("build_function")
    dockerfile_function = load_vars.get("dockerfile_function")
    if build_function is not None:
        layer["method"] = "run_function"
        layer["run_function"] = describe_builder_function(build_function)
    if dockerfile_function is not None:
        qual = getattr(dockerfile_function, "__qualname__", repr(dockerfile_function))
        layer.setdefault("method", _layer_method(qual))
        args = {k: _jsonable(v) for k, v in _closure_vars(dockerfile_function).items() if _is_plain(v)}
        if args:
            layer["args"] = args
        try:
            spec = dockerfile_function(version)
            layer["commands"] = list(spec.commands)
        except Exception as exc:  # e.g. add_python version unsupported by this builder version
            layer["render_error"] = f"{type(exc).__name__}: {exc}"
    secrets = load_vars.get("secrets") or []
    if secrets:
        layer["secrets"] = describe_secrets(secrets)[1]
    gpu_config = load_vars.get("gpu_config")
    if gpu_config is not None and getattr(gpu_config, "count", 0):
        layer["gpu"] = {"type": gpu_config.gpu_type, "count": gpu_config.count}
    vols = load_vars.get("validated_volumes") or []
    if vols:
        layer["volumes"] = {str(p): _volume_name(v) for p, v in vols}
    if load_vars.get("force_build"):
        layer["force_build"] = True
    return layer


def _summarize_layers(layers: list[dict[str, Any]], version: str) -> dict[str, Any]:
    base: dict[str, Any] = {"kind": "unknown"}
    python_version = None
    pip: list[str] = []
    apt: list[str] = []
    env: dict[str, str] = {}
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    workdir = None
    run_functions: list[dict[str, Any]] = []
    run_commands: list[str] = []
    for layer in layers:
        m = layer.get("method")
        args = layer.get("args", {})
        if m == "from_registry":
            base = {
                "kind": "registry",
                "ref": args.get("tag"),
                "add_python": args.get("add_python"),
                "setup_dockerfile_commands": args.get("setup_dockerfile_commands") or [],
            }
            python_version = args.get("add_python")
        elif m == "debian_slim":
            base = {"kind": "debian_slim", "python_version": args.get("python_version")}
            python_version = args.get("python_version")
        elif m in ("micromamba", "from_scratch", "from_dockerfile", "from_aws_ecr", "from_gcp_artifact_registry"):
            base = {"kind": m, "args": args}
            python_version = args.get("python_version") or args.get("add_python") or python_version
        elif m in ("pip_install", "uv_pip_install"):
            pip.extend(args.get("pkgs", []))
        elif m == "apt_install":  # 1.6.4 keeps only the shlex-joined string in the closure
            apt.extend(args.get("pkgs") or shlex.split(args.get("package_args", "")))
        elif m == "env":
            env.update(args.get("vars", {}))
        elif m == "workdir":
            workdir = args.get("path")
        elif m == "run_commands":
            run_commands.extend(args.get("cmds", []))
        elif m == "run_function":
            run_functions.append(layer["run_function"])
        elif m == "dockerfile_commands":
            for c in args.get("cmds", []):
                head, _, rest = c.partition(" ")
                if head.upper() == "ENTRYPOINT":
                    with contextlib.suppress(ValueError):
                        entrypoint = json.loads(rest)
                elif head.upper() == "CMD":
                    with contextlib.suppress(ValueError):
                        cmd = json.loads(rest)
        elif m == "cmd":
            cmd = args.get("cmd")
    if base["kind"] == "unknown" and layers and layers[0].get("method") == "opaque":
        base = {"kind": "opaque", "repr": layers[0].get("repr")}
    return {
        "base": base,
        "python_version": python_version,
        "pip_packages": pip,
        "apt_packages": apt,
        "env": env,
        "entrypoint": entrypoint,
        "cmd": cmd,
        "workdir": workdir,
        "run_commands": run_commands,
        "run_functions": run_functions,
        "builder_version": version,
        "layers": layers,
    }


def describe_builder_function(fn: Any) -> dict[str, Any]:
    fn = _unwrap(fn)
    lv = _closure_vars(fn._load)
    info = fn._function_info
    vols, _ = describe_volumes(getattr(fn._spec, "volumes", None) or {})
    names, _details = describe_secrets(lv.get("secrets"))
    return {
        "name": getattr(fn._source_info, "function_name", None) or getattr(fn._raw_f, "__name__", None),
        "gpu": lv.get("gpu"),
        "gpus": describe_gpu(lv.get("gpu")),
        "volumes": vols,
        "secrets": names,
        "timeout": lv.get("timeout"),
        "cpu": _jsonable(info.cpu) if info else None,
        "memory": _jsonable(info.memory_mib) if info else None,
    }


# --------------------------------------------------------------------------------------
# Functions, classes, servers
# --------------------------------------------------------------------------------------

_WEBHOOK_KINDS = {
    "WEBHOOK_TYPE_WEB_SERVER": "web_server",
    "WEBHOOK_TYPE_ASGI_APP": "asgi_app",
    "WEBHOOK_TYPE_WSGI_APP": "wsgi_app",
    "WEBHOOK_TYPE_FUNCTION": "fastapi_endpoint",
}


def describe_webhook(cfg: Any) -> dict[str, Any] | None:
    from modal_proto import api_pb2

    if cfg is None or cfg.type == api_pb2.WEBHOOK_TYPE_UNSPECIFIED:
        return None
    kind = _WEBHOOK_KINDS.get(api_pb2.WebhookType.Name(cfg.type), api_pb2.WebhookType.Name(cfg.type))
    out: dict[str, Any] = {
        "kind": kind,
        "label": cfg.requested_suffix or None,
        "requires_proxy_auth": bool(cfg.requires_proxy_auth),
        "custom_domains": [d.name for d in cfg.custom_domains],
    }
    if kind == "web_server":
        out["port"] = cfg.web_server_port
        out["startup_timeout"] = cfg.web_server_startup_timeout
    if kind == "fastapi_endpoint":
        out["method"] = cfg.method or None
        out["docs"] = bool(cfg.web_endpoint_docs)
    return out


def describe_http_config(cfg: Any) -> dict[str, Any] | None:
    if cfg is None:
        return None
    return {
        "port": cfg.port,
        "routing_region": cfg.proxy_regions[0] if cfg.proxy_regions else None,
        "proxy_regions": list(cfg.proxy_regions),
        "startup_timeout": cfg.startup_timeout,
        "exit_grace_period": cfg.exit_grace_period,
        "h2_enabled": bool(cfg.h2_enabled),
        "unauthenticated": bool(cfg.unauthenticated),
        "direct": cfg.HasField("lift_and_shift_config"),
    }


def describe_methods(user_cls: type) -> list[dict[str, Any]]:
    """Decorated methods of a user class in definition order, with their kinds."""
    from modal._partial_function import _find_partial_methods_for_user_cls
    from modal._partial_function import _PartialFunctionFlags as F

    out = []
    for name, pf in _find_partial_methods_for_user_cls(user_cls, F.all()).items():
        flags = pf.flags
        flag_names = [f.name for f in F if f.name and flags & f]
        raw = pf.raw_f
        entry: dict[str, Any] = {"name": name, "flags": flag_names}
        if flags & F.ENTER_PRE_SNAPSHOT and flags & F.ENTER_POST_SNAPSHOT:
            entry["kind"] = "enter"
            entry["snap"] = "both"
        elif flags & F.ENTER_PRE_SNAPSHOT:
            entry["kind"] = "enter"
            entry["snap"] = True
        elif flags & F.ENTER_POST_SNAPSHOT:
            entry["kind"] = "enter"
            entry["snap"] = False
        elif flags & F.EXIT:
            entry["kind"] = "exit"
        elif flags & F.WEB_INTERFACE:
            web = describe_webhook(pf.params.webhook_config) or {"kind": "web"}
            entry.update(web)
        elif flags & F.BATCHED:
            entry["kind"] = "batched"
            entry["max_batch_size"] = pf.params.batch_max_size
            entry["wait_ms"] = pf.params.batch_wait_ms
        elif flags & F.CALLABLE_INTERFACE:
            entry["kind"] = "method"
        else:
            entry["kind"] = "other"
        if raw is not None:
            entry["is_async"] = inspect.iscoroutinefunction(raw) or inspect.isasyncgenfunction(raw)
            try:
                params = list(inspect.signature(raw).parameters)
                entry["params"] = params[1:] if params and params[0] == "self" else params
            except (TypeError, ValueError):
                pass
        out.append(entry)
    return out


def describe_service_function(fn: Any, builder_version: str | None) -> dict[str, Any]:
    """Everything the SDK recorded for one Function (service function of a class/server too)."""
    fn = _unwrap(fn)
    lv = _closure_vars(fn._load)
    info = fn._function_info  # same object Function.info() returns for local functions
    spec = fn._spec
    autoscaler = lv.get("autoscaler_settings")
    volumes, volume_details = describe_volumes(getattr(spec, "volumes", None) or {})
    secret_names, secret_details = describe_secrets(lv.get("secrets"))
    gpu = lv.get("gpu", getattr(spec, "gpus", None))
    region = info.regions if info else None
    out: dict[str, Any] = {
        "tag": lv.get("tag", getattr(fn, "_tag", None)),
        "gpu": gpu,
        "gpus": [{"type": t, "count": c} for t, c in (info.gpus if info else [])],
        "cpu": _jsonable(info.cpu) if info else None,
        "memory": _jsonable(info.memory_mib) if info else None,
        "ephemeral_disk": info.ephemeral_disk_mib if info else None,
        "volumes": volumes,
        "volume_details": volume_details,
        "secrets": secret_names,
        "secret_details": secret_details,
        "enable_memory_snapshot": bool(lv.get("enable_memory_snapshot", False)),
        "experimental_options": dict(lv.get("experimental_options") or {}),
        "timeout": lv.get("timeout"),
        "startup_timeout": lv.get("startup_timeout"),
        "scaledown_window": _proto_field(autoscaler, "scaledown_window") if autoscaler is not None else None,
        "scaleup_window": _proto_field(autoscaler, "scaleup_window") if autoscaler is not None else None,
        "min_containers": _proto_field(autoscaler, "min_containers") if autoscaler is not None else None,
        "max_containers": _proto_field(autoscaler, "max_containers") if autoscaler is not None else None,
        "buffer_containers": _proto_field(autoscaler, "buffer_containers") if autoscaler is not None else None,
        "region": region,
        "routing_region": lv.get("routing_region"),
        "cloud": lv.get("cloud"),
        "nonpreemptible": bool(info.nonpreemptible) if info else False,
        "retries": info.max_retries if info else None,
        "single_use_containers": bool(lv.get("single_use_containers", False)),
        "block_network": bool(lv.get("block_network", False)),
        "restrict_modal_access": bool(lv.get("restrict_modal_access", False)),
        "i6pn": bool(lv.get("i6pn_enabled", False)),
        "cluster_size": lv.get("cluster_size"),
        "schedule": info.schedule if info else None,
        "concurrency": None,
        "is_server": bool(lv.get("is_server", False)),
        "image": describe_image(lv.get("image", getattr(spec, "image", None)), builder_version),
    }
    max_inputs = lv.get("max_concurrent_inputs")
    target = lv.get("target_concurrent_inputs_int") or None
    if out["is_server"]:
        tc = _proto_field(autoscaler, "target_concurrency_float") if autoscaler is not None else None
        out["target_concurrency"] = tc
        out["max_concurrency"] = max_inputs
    elif max_inputs is not None or target is not None:
        out["concurrency"] = {"max_inputs": max_inputs, "target_inputs": target}
    bi = info.batching_info if info else None
    out["batching"] = {"max_batch_size": bi.max_batch_size, "wait_ms": bi.wait_ms} if bi else None
    return out


def describe_function(fn: Any, builder_version: str | None) -> dict[str, Any]:
    fn = _unwrap(fn)
    out = describe_service_function(fn, builder_version)
    raw = fn._raw_f
    out["name"] = out.pop("tag")
    out["web"] = describe_webhook(fn._webhook_config)
    out["is_generator"] = bool(fn._is_generator)
    out["is_async"] = bool(raw is not None and (inspect.iscoroutinefunction(raw) or inspect.isasyncgenfunction(raw)))
    return out


def describe_class(cls: Any, builder_version: str | None) -> dict[str, Any]:
    cls = _unwrap(cls)
    fn = cls._class_service_function
    out = describe_service_function(fn, builder_version)
    out["service_function"] = out.pop("tag")
    lv = _closure_vars(fn._load)
    user_cls = cls._user_cls
    out = {"name": user_cls.__name__, **out}
    out["http_config"] = describe_http_config(lv.get("http_config"))
    out["methods"] = describe_methods(user_cls)
    out["parameters"] = sorted(
        k for k, v in user_cls.__dict__.items() if type(v).__name__ == "_Parameter"
    )  # modal.parameter() fields
    return out


def describe_server(fn: Any, builder_version: str | None) -> dict[str, Any]:
    fn = _unwrap(fn)
    out = describe_service_function(fn, builder_version)
    lv = _closure_vars(fn._load)
    info = fn._source_info
    user_cls = info.user_cls
    out["name"] = out.pop("tag")
    out["class"] = getattr(user_cls, "__name__", None)
    http = describe_http_config(lv.get("http_config"))
    out["http_config"] = http
    out["port"] = http["port"] if http else None
    out["routing_region"] = http["routing_region"] if http else None
    out["sessioned"] = bool(lv.get("is_sessioned", False))
    out["methods"] = describe_methods(user_cls) if user_cls is not None else []
    out.pop("concurrency", None)
    return out


def describe_entrypoint(tag: str, ep: Any) -> dict[str, Any]:
    ep = _unwrap(ep)
    raw = ep._info.raw_f
    params = []
    with contextlib.suppress(TypeError, ValueError):
        for p in inspect.signature(raw).parameters.values():
            params.append(
                {
                    "name": p.name,
                    "default": None if p.default is inspect.Parameter.empty else _jsonable(p.default),
                    "required": p.default is inspect.Parameter.empty,
                }
            )
    return {
        "name": tag,
        "function": raw.__name__,
        "is_async": inspect.iscoroutinefunction(raw),
        "params": params,
    }


def describe_app(var_names: list[str], app: Any, builder_version: str | None) -> dict[str, Any]:
    app = _unwrap(app)
    st = app._local_state
    class_fn_ids = {id(_unwrap(c)._class_service_function) for c in st.classes.values()}
    functions, servers = [], []
    for fn in st.functions.values():
        fn = _unwrap(fn)
        if id(fn) in class_fn_ids:
            continue
        if _closure_vars(fn._load).get("is_server"):
            servers.append(describe_server(fn, builder_version))
        else:
            functions.append(describe_function(fn, builder_version))
    from modal._utils.name_utils import is_valid_object_name

    name_ok = app.name is None or is_valid_object_name(app.name)
    return {
        "variable": var_names[0],
        "variables": var_names,
        "name": app.name,
        # `modal deploy` rejects invalid names (runner.py check_object_name), import does not.
        "name_valid": name_ok,
        "tags": dict(st.tags),
        "default_image": describe_image(st.image_default, builder_version) if st.image_default else None,
        "classes": [describe_class(c, builder_version) for c in st.classes.values()],
        "functions": functions,
        "servers": servers,
        "local_entrypoints": [describe_entrypoint(t, e) for t, e in st.local_entrypoints.items()],
        "web_endpoints": list(st.web_endpoints),
    }


# --------------------------------------------------------------------------------------
# --proto: capture the FunctionCreateRequest the SDK would send, with a fake stub
# --------------------------------------------------------------------------------------


class _Captured(Exception):
    pass


def capture_function_proto(fn: Any) -> dict[str, Any]:
    """Run the SDK's own Function loader offline.

    Returns ``{"request": FunctionCreateRequest-as-dict}``, or ``{"error": {...}}`` when the
    loader raised before sending it (a client-side check that ``modal deploy`` would hit).
    """
    try:
        return {"request": _capture_function_proto(fn)}
    except Exception as exc:  # noqa: BLE001
        return {"error": {"type": type(exc).__name__, "module": type(exc).__module__, "message": str(exc)}}


def _capture_function_proto(fn: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict
    from modal._load_context import LoadContext

    fn = _unwrap(fn)
    captured: dict[str, Any] = {}

    class _Stub:
        async def FunctionCreate(self, req):  # noqa: N802 - gRPC method name
            captured["request"] = req
            raise _Captured()

        def __getattr__(self, name):
            raise OfflineViolation(f"fake stub: unexpected RPC {name}")

    class _FakeClient:
        _stub = _Stub()

    fake = _FakeClient()
    hydrated: list[Any] = []
    counter = [0]

    by_name: dict[tuple[str, str], str] = {}

    def hydrate(obj: Any) -> None:
        if obj is None or getattr(obj, "_is_hydrated", True):
            return
        counter[0] += 1
        prefix = type(obj)._type_prefixes[0]
        object_id = f"{prefix}-rouse{counter[0]:06d}"
        name = getattr(obj, "_name", None)
        if name:  # two from_name() handles of one Volume/Secret resolve to ONE object id on Modal
            object_id = by_name.setdefault((prefix, name), object_id)
        obj._object_id = object_id
        obj._client = fake
        obj._is_hydrated = True
        hydrated.append(obj)

    try:
        for dep in fn._deps():
            hydrate(dep)
        for m in getattr(_closure_vars(fn._load).get("image"), "_mount_layers", ()):
            hydrate(m)
        ctx = LoadContext(client=fake, environment_name="main", app_id="ap-rouse-offline")
        try:
            asyncio.run(fn._load(fn, None, ctx, None))
        except _Captured:
            pass
    finally:
        for obj in hydrated:
            obj._unhydrate()
    req = captured.get("request")
    return MessageToDict(req, preserving_proto_field_name=True) if req is not None else {}


# --------------------------------------------------------------------------------------
# Import + report
# --------------------------------------------------------------------------------------


def _module_name_for(path: Path) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"rouse_inspected_{stem}"


def import_app_module(path: Path) -> Any:
    name = _module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(path.parent))
    return module


def inspect_file(path: str | os.PathLike[str], *, builder_version: str | None = None, proto: bool = False) -> dict:
    """Import ``path`` and describe its Apps.  Call force_offline_env() before modal is imported."""
    p = Path(path).resolve()
    report: dict[str, Any] = {
        "ok": True,
        "source": str(p),
        "inspector": {
            "modal_version": None,
            "pinned_modal_version": PINNED_MODAL_VERSION,
            "python": platform.python_version(),
        },
        "warnings": [],
        "network_attempts": NETWORK_ATTEMPTS,
        "apps": [],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # Whatever the module prints goes to stderr: stdout carries only the JSON report.
            with contextlib.redirect_stdout(sys.stderr):
                module = import_app_module(p)
        except BaseException as exc:  # noqa: BLE001 - report any import-time rejection
            import modal

            report["inspector"]["modal_version"] = modal.__version__
            report["ok"] = False
            report["error"] = {
                "type": type(exc).__name__,
                "module": type(exc).__module__,
                "message": str(exc),
                "traceback": traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:],
            }
            report["warnings"] = [_warning_dict(w) for w in caught]
            return report
        import modal

        report["inspector"]["modal_version"] = modal.__version__
        apps: dict[int, tuple[list[str], Any]] = {}
        for var, value in vars(module).items():
            if isinstance(value, modal.App):
                apps.setdefault(id(value), ([], value))[0].append(var)
        for var_names, app in apps.values():
            described = describe_app(var_names, app, builder_version)
            if proto:
                st = _unwrap(app)._local_state
                with contextlib.redirect_stdout(sys.stderr):
                    described["protos"] = {tag: capture_function_proto(fn) for tag, fn in st.functions.items()}
                errors = {t: p["error"] for t, p in described["protos"].items() if "error" in p}
                described["deploy_check_errors"] = errors
                if errors:
                    report["deploy_checks_ok"] = False
            report["apps"].append(described)
        if proto:
            report.setdefault("deploy_checks_ok", True)
        report["warnings"] = [_warning_dict(w) for w in caught]
    return report


def _warning_dict(w: warnings.WarningMessage) -> dict[str, Any]:
    return {
        "category": w.category.__name__,
        "message": str(w.message),
        "filename": w.filename,
        "lineno": w.lineno,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rouse_py.inspect_app", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="Modal app file to inspect")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON")
    parser.add_argument("--proto", action="store_true", help="also capture each FunctionCreateRequest (fake stub)")
    parser.add_argument("--builder-version", default=None, help="image builder version used to render layers")
    args = parser.parse_args(argv)

    if not Path(args.path).is_file():
        print(json.dumps({"ok": False, "error": {"type": "FileNotFoundError", "message": args.path}}))
        return 1
    force_offline_env()
    install_network_guard()
    report = inspect_file(args.path, builder_version=args.builder_version, proto=args.proto)
    text = json.dumps(report, indent=2 if args.pretty else None, sort_keys=False, default=repr)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    if not report["ok"]:
        return 2
    if report["network_attempts"]:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
