"""Parses argv lists with vLLM's OWN `vllm serve` parser (FlexibleArgumentParser + ServeSubcommand).

stdin: a JSON list of argv lists (each starting with "serve"). stdout: one JSON list, per argv either
{"ok": true, "args": {dest: value}} or {"ok": false, "error": "..."} (argparse's message).
Run with the CPU build's Python (tools/engine-cpu): it imports vLLM, never starts it.
"""

import contextlib
import io
import json
import sys

from vllm.entrypoints.cli.serve import ServeSubcommand
from vllm.utils.argparse_utils import FlexibleArgumentParser


def parser() -> FlexibleArgumentParser:
    top = FlexibleArgumentParser()
    ServeSubcommand().subparser_init(top.add_subparsers())
    return top


def main() -> None:
    results = []
    for argv in json.load(sys.stdin):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                ns = parser().parse_args(argv)
            results.append({"ok": True, "args": json.loads(json.dumps(vars(ns), default=str))})
        except SystemExit:
            results.append({"ok": False, "error": err.getvalue().strip().splitlines()[-1:]})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
