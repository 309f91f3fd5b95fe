"""Parses argv lists with SGLang's OWN server-args parser (ServerArgs.add_cli_args on plain argparse).

stdin: a JSON list of argv lists (flags only, no executable). stdout: one JSON list, per argv either
{"ok": true, "args": {dest: value}} or {"ok": false, "error": "..."} (argparse's message).
`ServerArgs.__post_init__` is not run: it loads the model's config, which needs the model.
"""

import argparse
import contextlib
import io
import json
import sys

from sglang.srt.server_args import ServerArgs


def main() -> None:
    results = []
    for argv in json.load(sys.stdin):
        parser = argparse.ArgumentParser()
        ServerArgs.add_cli_args(parser)
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                ns = parser.parse_args(argv)
            results.append({"ok": True, "args": json.loads(json.dumps(vars(ns), default=str))})
        except SystemExit:
            results.append({"ok": False, "error": err.getvalue().strip().splitlines()[-1:]})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
