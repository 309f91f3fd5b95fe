import functools
import os

import pytest

from rouse_py.check_apps import run_inspector

# Credentials/URLs that must be ignored: the inspector strips every MODAL_* variable and
# points the SDK at a dead loopback port before importing modal.
HOSTILE_ENV = {
    "MODAL_TOKEN_ID": "ak-rouse-bogus",
    "MODAL_TOKEN_SECRET": "as-rouse-bogus",
    "MODAL_SERVER_URL": "https://api.modal.com",
    "MODAL_ENVIRONMENT": "prod",
    "MODAL_IMAGE_BUILDER_VERSION": "2023.12",
}


@functools.cache
def _inspect(path: str, *extra: str):
    old = {k: os.environ.get(k) for k in HOSTILE_ENV}
    os.environ.update(HOSTILE_ENV)
    try:
        return run_inspector(path, *extra)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def inspect():
    """inspect(path, *flags) -> (exit code, report dict, stderr); cached per (path, flags)."""

    def run(path, *extra):
        return _inspect(str(path), *extra)

    return run
