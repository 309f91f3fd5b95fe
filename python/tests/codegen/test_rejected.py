"""Configs rouse refuses, proven from both sides: rouse's error names the field and the fix, and
the same app emitted anyway (`unchecked: true`, tests only) is refused by Modal itself."""

from codegen_support import load_case

from rouse_py.check_apps import run_inspector

# packages/codegen/src/__fixtures__/rejected.ts: (rouse code, config path, where Modal fails).
EXPECTED = {
    "volume-mounted-twice": ("volume_mounted_twice", ["caches", "compile"], "deploy"),
    "sglang-deepgemm-on-weights-volume": ("volume_mounted_twice", ["caches", "deepgemm"], "deploy"),
    "env-line-break": ("env_line_break", ["env", "GREETING"], "build"),
}


def test_rejected_config(rejected_case):
    case = load_case(rejected_case)
    code, path, when = EXPECTED[case["name"]]

    # rouse's side: a ConfigError (validate refuses it too) whose issue names the field and the fix.
    error = case["error"]
    assert error is not None and error["name"] == "ConfigError"  # a config rule since issue #13
    (issue,) = [i for i in error["issues"] if i["severity"] == "error"]
    assert issue["severity"] == "error" and issue["code"] == code and issue["path"] == path
    assert issue["fix"]

    # Modal's side, for the same app emitted without rouse's check.
    exit_code, report, stderr = run_inspector(rejected_case / "app.py", "--proto")
    assert report is not None, stderr
    assert report["network_attempts"] == []
    assert report["ok"] is True  # importing is fine: Modal refuses later
    if when == "deploy":
        # `modal deploy`'s client-side checks (MODAL_FACTS §7: two from_name() handles of one
        # Volume at two paths fail only at deploy).
        assert report["deploy_checks_ok"] is False
        (app,) = report["apps"]
        messages = [e["message"] for e in app["deploy_check_errors"].values()]
        assert any(case["sdk"]["match"] in m for m in messages), messages
    else:
        # The image build: Image.env renders one Dockerfile ENV line per variable, and this
        # value's line break splits it in two (the second line is no Dockerfile instruction).
        (app,) = report["apps"]
        (cls,) = app["classes"]
        (env_layer,) = [layer for layer in cls["image"]["layers"] if layer["method"] == "env"]
        (bad,) = [c for c in env_layer["commands"] if c.startswith(case["sdk"]["match"])]
        assert "\n" in bad
        dockerfile_lines = "\n".join(env_layer["commands"]).split("\n")
        assert any(line and line.split()[0].upper() not in ("FROM", "ENV") for line in dockerfile_lines)
