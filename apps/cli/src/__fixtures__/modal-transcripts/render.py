"""Renders what the `modal` CLI prints for rouse's calls, with modal 1.6.4's OWN output code.

No Modal server is involved and nothing here was captured from a live account: this
script drives the classes the CLI prints through — RichOutputManager and
FunctionCreationStatus for `modal deploy`, `display_table(json=True)` for the
`list --json` commands — with made-up responses (ids, workspace and URLs are invented),
on a non-TTY stdout, which is how rouse runs the CLI. A real deploy prints more (image
build logs on a cold cache, mount upload progress); the lines rouse parses are these.
The fake `modal` executable next to this directory replays the files it writes.

    python/.venv/bin/python apps/cli/src/__fixtures__/modal-transcripts/render.py
"""

import contextlib
import io
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
APP, CLS, METHOD, WORKSPACE = "rouse-qwen3-8b", "VllmServer", "serve", "rouse-user"  # the default preset's app


def deploy() -> None:
    from modal._output.manager import OutputManager
    from modal._output.rich import RichOutputManager
    from modal._output.status import FunctionCreationStatus
    from modal_proto import api_pb2

    app = os.environ.get("RENDER_APP", APP)
    url = f"https://{WORKSPACE}--{app}-{CLS.lower()}-{METHOD}.modal.run"
    manager = RichOutputManager()
    OutputManager._set(manager)
    with manager.display_object_tree():
        mount = manager.add_status_row()
        mount.message("Creating mount /root/app.py...")
        mount.finish("Created mount /root/app.py")
        with FunctionCreationStatus("Function", f"{CLS}.*") as status:
            response = api_pb2.FunctionCreateResponse()
            definition = response.function.method_definitions[METHOD]
            definition.function_name = METHOD
            definition.web_url = url
            response.function.method_definitions_set = True
            status.set_response(response)
    manager.step_completed("App deployed in 41.337s! 🎉")
    app_url = f"https://modal.com/apps/{WORKSPACE}/main/deployed/{app}"
    manager.print(f"\nView Deployment: [magenta][link={app_url}]{app_url}[/link][/magenta]")


def table(kind: str) -> None:
    from modal._output.manager import OutputManager
    from modal._output.rich import RichOutputManager
    from modal.cli.utils import display_table
    from rich.table import Column

    OutputManager._set(RichOutputManager())
    if kind == "app-list":  # columns of modal/cli/app.py list_
        columns = [Column("App ID"), "Description", "State", "Tasks", "Created at", "Stopped at"]
        rows = [
            ["ap-3dGv0rouseQwen3x8bAbCdE", APP, "deployed", "1", "2026-05-04 09:12:40+00:00", None],
            ["ap-OldStoppedAppAbCdEfGhI", "old-experiment", "stopped", "0", "2026-04-01 10:00:00+00:00", "2026-04-01 11:00:00+00:00"],
        ]
    elif kind == "container-list":  # modal/cli/container.py list_
        columns = [Column("Container ID"), Column("App ID"), "App Name", "Start Time"]
        rows = [["ta-01JROUSECONTAINERAAAAAAAAA1", "ap-3dGv0rouseQwen3x8bAbCdE", APP, "2026-05-04 09:14:02+00:00"]]
    else:  # secret-list, modal/cli/secret.py list_
        columns = ["Name", "Created at", "Created by", "Last used at"]
        rows = [
            ["rouse-api-key", "2026-04-20 08:00:00+00:00", "rouse-user", "2026-05-04 09:14:02+00:00"],
            ["huggingface", "2026-04-20 08:01:00+00:00", "rouse-user", "-"],
        ]
    display_table(columns, rows, json=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        deploy() if sys.argv[1] == "deploy" else table(sys.argv[1])
        sys.exit(0)
    env = {**os.environ, "TERM": "dumb", "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    files = {
        "deploy.narrow.stdout.txt": (["deploy"], {}),  # what a bare pipe gets (rich's 80 columns)
        "deploy.wide.stdout.txt": (["deploy"], {"COLUMNS": "400"}),  # what rouse asks for
        "app-list.json": (["app-list"], {}),
        "container-list.json": (["container-list"], {}),
        "secret-list.json": (["secret-list"], {}),
    }
    for name, (args, extra) in files.items():
        out = subprocess.run([sys.executable, __file__, *args], env={**env, **extra}, capture_output=True, check=True)
        (HERE / name).write_bytes(out.stdout)
        print(f"wrote {name}")
