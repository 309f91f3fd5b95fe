import functools

import pytest
from codegen_support import case_dirs, emitted_dir, find_node

from rouse_py.check_apps import run_inspector


def pytest_generate_tests(metafunc):
    """`preset_case`, `random_case`, `rejected_case`, `proxied_case` (the presets behind the
    proxy guard): one test per emitted app folder."""
    for group in ("preset", "random", "rejected", "proxied"):
        name = f"{group}_case"
        if name in metafunc.fixturenames:
            if find_node() is None:
                metafunc.parametrize(name, [pytest.param(None, marks=pytest.mark.skip(reason="needs Node >= 22.18"))])
                continue
            dirs = case_dirs("presets" if group == "preset" else group)
            metafunc.parametrize(name, dirs, ids=[d.name for d in dirs])


@functools.cache
def _inspect(path: str):
    return run_inspector(path, "--proto")


@pytest.fixture
def inspect_app():
    """inspect_app(path) -> (exit code, report, stderr), with deploy-time client checks (--proto)."""
    return lambda path: _inspect(str(path))


@pytest.fixture(scope="session")
def emitted():
    return emitted_dir()
