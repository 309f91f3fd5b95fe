"""The inspector never touches the network, and SDK rejections are reported, not hidden."""

import pytest
from modal_sdk_support import FIXTURES, INVALID

NETWORK = FIXTURES / "network"


@pytest.mark.parametrize("name", ["vllm_snapshot_app", "sglang_snapshot_app", "server_snapshot_app"])
def test_fixtures_import_offline(inspect, name):
    code, report, stderr = inspect(FIXTURES / f"{name}.py")
    assert code == 0, stderr
    assert report["network_attempts"] == []


def test_hostile_env_is_neutralised(inspect):
    """MODAL_TOKEN_*/MODAL_SERVER_URL set by the caller (conftest.HOSTILE_ENV) never reach the SDK."""
    code, report, stderr = inspect(NETWORK / "reads_config.py")
    assert code == 0, stderr
    line = next(x for x in stderr.splitlines() if x.startswith("ROUSE_CONFIG"))
    assert "server_url=http://127.0.0.1:9" in line
    assert "token_id=None" in line and "token_secret=None" in line
    assert "environment=None" in line and "image_builder_version=None" in line


def test_guard_reports_swallowed_internet_access(inspect):
    code, report, _ = inspect(NETWORK / "dials_out.py")
    assert code == 3
    assert report["ok"] is True  # the module itself imported fine...
    assert report["network_attempts"] == [{"kind": "create_connection", "target": "('example.com', 443)"}]


def test_guard_reports_swallowed_modal_rpc(inspect):
    """An RPC goes to the dead loopback server URL (never modal.com) and is reported."""
    code, report, stderr = inspect(NETWORK / "hydrates_volume.py")
    assert code == 3, stderr
    targets = {a["target"] for a in report["network_attempts"]}
    assert targets == {"('127.0.0.1', 9)"}


@pytest.mark.parametrize(
    ("name", "error_type", "message"),
    [
        (
            "snap_without_memory_snapshot",
            "InvalidError",
            "A class must have `enable_memory_snapshot=True` to use `snap=True` on its methods.",
        ),
        (
            "server_with_concurrent",
            "InvalidError",
            "Server class Server cannot be decorated with `@modal.concurrent()`. "
            "Please use `target_concurrency` param instead.",
        ),
        (
            "removed_keep_warm",
            "DeprecationError",
            "Deprecated on 2025-02-24: The 'keep_warm' parameter has been renamed to 'min_containers'.",
        ),
        (
            "async_web_server",
            "InvalidError",
            "The `@modal.web_server` decorator can't be applied to an async function.",
        ),
    ],
)
def test_sdk_rejects_at_import(inspect, name, error_type, message):
    code, report, _ = inspect(INVALID / f"{name}.py")
    assert code == 2
    assert report["ok"] is False
    assert report["error"]["type"] == error_type
    assert report["error"]["module"] == "modal.exception"
    assert report["error"]["message"] == message
    assert report["network_attempts"] == []


def test_deploy_time_check_needs_proto(inspect):
    path = INVALID / "volume_mounted_twice.py"
    code, report, _ = inspect(path)
    assert code == 0 and report["ok"] is True  # import-time checks pass (two distinct handles)

    code, report, _ = inspect(path, "--proto")
    assert code == 0
    assert report["deploy_checks_ok"] is False
    (app,) = report["apps"]
    err = app["deploy_check_errors"]["Server.*"]
    assert err["type"] == "InvalidError"
    assert "same Volume cannot be mounted in multiple locations" in err["message"]
