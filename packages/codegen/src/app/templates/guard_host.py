# rouse:prelude
# The container's side of the in-process guard (asgi_guard.py runs in the engine process):
# the module file, the admin token and the boot report the engine process reads. Real
# Python that ruff, pyright and pytest read directly (see ../emit/template.ts for the
# markers). This prelude is not emitted: its imports join app.py's import block, and the
# names below are defined elsewhere in app.py (the values here serve tests and linters only).
import json
import os
import secrets
import tempfile

API_KEY_ENV = "ROUSE_TEMPLATE_API_KEY"
ENGINE_ENV: dict = {}
BOOT: dict = {"app": "template", "restored": False, "phases": {}}
GUARD_MODULE = "# the text of asgi_guard.py\n"
GUARD_MODULE_NAME = "rouse_guard"
# rouse:end-prelude
# A random token only this container knows: with it, app.py's own calls pass the guard to
# the admin endpoints (sleep, wake) it answers 404 for everyone else. In a snapshot it is
# in memory on both sides, so a restored container's engine still accepts it.
ADMIN_TOKEN = secrets.token_urlsafe(32)
GUARD_FILES: dict = {}


def guard_env() -> dict:
    """The engine process's environment: ENGINE_ENV on top of the container's, plus what
    the guard reads there: its module (written here, to a private folder on PYTHONPATH),
    the admin token, the boot report's file and the name of the API key's variable."""
    folder = tempfile.mkdtemp(prefix="rouse-guard-")
    with open(os.path.join(folder, GUARD_MODULE_NAME + ".py"), "w") as f:
        f.write(GUARD_MODULE)
    GUARD_FILES["boot"] = os.path.join(folder, "boot.json")
    write_boot_file()
    env = {**os.environ, **ENGINE_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (folder, env.get("PYTHONPATH")) if p)
    env["ROUSE_ADMIN_TOKEN"] = ADMIN_TOKEN
    env["ROUSE_BOOT_FILE"] = GUARD_FILES["boot"]
    # rouse:if api-key
    env["ROUSE_GUARD_KEY_ENV"] = API_KEY_ENV
    # rouse:end-if
    return env


def write_boot_file() -> None:
    """The boot report where the guard reads it: replaced whole, never seen half-written."""
    file = GUARD_FILES.get("boot")
    if file:
        with open(file + ".tmp", "w") as f:
            json.dump(BOOT, f)
        os.replace(file + ".tmp", file)
