# rouse:prelude
# The engine helpers of every emitted app.py: start the engine process, call it on
# 127.0.0.1, wait until it is ready (guard_env and ADMIN_TOKEN are guard_host.py's). Real
# Python that ruff and pytest read directly (see ../emit/template.ts for the markers). This prelude is not emitted: its imports join
# app.py's import block, and the names below are defined in app.py's header and engine
# section (the values here serve tests and linters only).
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ENGINE_PORT = 8001
STARTUP_TIMEOUT = 600
API_KEY_ENV = "ROUSE_TEMPLATE_API_KEY"
ENGINE_CMD = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "8001"]
ENGINE_ENV = {"ROUSE_TEMPLATE": "1"}
ADMIN_TOKEN = "template-admin-token"


def guard_env() -> dict:
    return dict(os.environ)


# rouse:end-prelude
# Plain urllib without proxies: every engine call goes to 127.0.0.1.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_engine() -> subprocess.Popen:
    cmd = list(ENGINE_CMD)
    print(*cmd)
    # rouse:fill secret-args
    # rouse:if engine-env
    return subprocess.Popen(cmd, env={**os.environ, **ENGINE_ENV})
    # rouse:end-if
    # rouse:if guard-in-process
    return subprocess.Popen(cmd, env=guard_env())
    # rouse:end-if
    # rouse:if no-engine-env
    return subprocess.Popen(cmd)
    # rouse:end-if


def engine_call(method, path, *, query=None, body=None, ok=(200,), timeout=30):
    """One HTTP call to the engine on 127.0.0.1: the body, or an error for other statuses."""
    url = f"http://127.0.0.1:{ENGINE_PORT}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    headers = {"Content-Type": "application/json"}
    # rouse:if guard-in-process
    headers["X-Rouse-Admin"] = ADMIN_TOKEN  # past the guard, to the admin routes too
    # rouse:end-if
    # rouse:if api-key
    if API_KEY_ENV in os.environ:  # the engine checks the key as well
        headers["Authorization"] = "Bearer " + os.environ[API_KEY_ENV]
    # rouse:end-if
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    if status not in ok:
        raise RuntimeError(f"{method} {path}: HTTP {status}: {raw[:300]!r}")
    return raw


def wait_ready(engine: subprocess.Popen, timeout: float = STARTUP_TIMEOUT) -> None:
    """Polls the readiness probe; fails fast when the engine process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine.poll() is not None:
            raise RuntimeError(f"the engine exited with code {engine.returncode}")
        try:
            engine_call("GET", "/", timeout=5)  # rouse:fill readiness
            return
        except (OSError, http.client.HTTPException, RuntimeError):  # not ready yet
            time.sleep(1)
    raise TimeoutError(f"the engine was not ready within {timeout:.0f} s")


# rouse:if wait-for
def wait_for(method, path, field, equals, timeout):
    """Polls `path` until its JSON `field` equals `equals`: some calls return early."""
    deadline = time.monotonic() + timeout
    while json.loads(engine_call(method, path)).get(field) != equals:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path}: {field} != {equals!r} after {timeout:.0f} s")
        time.sleep(0.5)


# rouse:end-if
