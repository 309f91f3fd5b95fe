"""rouse_py.check_apps: partial matching and the directory runner."""

import json
import shutil

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from modal_sdk_support import FIXTURES

from rouse_py.check_apps import discover, main, match


def test_match_semantics():
    actual = {"a": 1, "b": [{"name": "x", "k": 1}, {"name": "y"}], "c": None, "s": "abc"}
    assert match({"a": 1}, actual) == []
    assert match({"a": 1.0}, actual) == []
    assert match({"a": True}, {"a": 1}) != []  # bool is not int
    assert match({"b": [{"name": "x"}, {"name": "y"}]}, actual) == []
    assert match({"b": [{"name": "y"}, {"name": "x"}]}, actual) != []  # lists are ordered
    assert match({"b": [{"name": "x"}]}, actual) != []  # and of equal length
    assert match({"b": {"$subset": [{"name": "y"}]}}, actual) == []
    assert match({"b": {"$len": 2}, "s": {"$len": 3}}, actual) == []
    assert match({"c": {"$absent": True}, "zz": {"$absent": True}}, actual) == []
    assert match({"a": {"$absent": True}}, actual) != []
    assert match({"a": {"$any": True}}, actual) == []
    assert match({"missing": 1}, actual) == ["$.missing: missing"]


def test_fixture_directory_passes(capsys):
    cases = discover(FIXTURES)
    assert sorted(c.app.name for c in cases) == [
        "server_snapshot_app.py",
        "sglang_snapshot_app.py",
        "vllm_snapshot_app.py",
    ]
    assert all(c.expect is not None for c in cases)
    assert main([str(FIXTURES), "--proto", "--ruff", "--require-expectations"]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().out


def test_mismatch_and_layout(tmp_path, capsys):
    good = tmp_path / "vllm" / "app.py"
    good.parent.mkdir()
    shutil.copy(FIXTURES / "vllm_snapshot_app.py", good)
    expect = json.loads((FIXTURES / "vllm_snapshot_app.expect.json").read_text())
    expect["apps"][0]["classes"][0]["gpu"] = "H200:1"
    expect["apps"][0]["classes"][0]["methods"][0]["snap"] = False
    (good.parent / "expect.json").write_text(json.dumps(expect))
    shutil.copy(FIXTURES / "invalid" / "snap_without_memory_snapshot.py", tmp_path / "bad.py")

    assert main([str(tmp_path), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert (summary["passed"], summary["failed"]) == (0, 2)
    by_app = {r["app"].split("/")[-1]: r for r in summary["results"]}
    assert by_app["app.py"]["failures"] == [
        '$.apps[0].classes[0].gpu: expected "H200:1", got "H100:1"',
        "$.apps[0].classes[0].methods[0].snap: expected false, got true",
    ]
    assert by_app["bad.py"]["failures"][0].startswith("import failed: InvalidError: A class must have")


def test_expected_import_failure(tmp_path):
    shutil.copy(FIXTURES / "invalid" / "server_with_concurrent.py", tmp_path / "srv.py")
    (tmp_path / "srv.expect.json").write_text(
        json.dumps({"ok": False, "error": {"type": "InvalidError", "module": "modal.exception"}})
    )
    assert main([str(tmp_path)]) == 0


@pytest.mark.parametrize("sub", [["format", "--check"], ["check"]])
def test_ruff_is_available_and_clean(sub):
    import subprocess

    from rouse_py.check_apps import _ruff_cmd

    here = FIXTURES.parent
    paths = [
        str(here),
        str(here.parents[1] / "src" / "rouse_py" / "inspect_app.py"),
        str(here.parents[1] / "src" / "rouse_py" / "check_apps.py"),
    ]
    proc = subprocess.run([*_ruff_cmd(), *sub, *paths], capture_output=True, text=True, cwd=here.parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
@settings(max_examples=200, deadline=None)
def test_match_is_reflexive(value):
    """Every report matches itself (keys starting with '$' are operators, so avoid them)."""
    assume("$" not in json.dumps(value))
    assert match(value, value) == []
