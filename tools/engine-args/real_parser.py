#!/usr/bin/env python3
"""Run argv fragments through an engine's REAL argument parser and report what they set.

    <engine python> tools/engine-args/real_parser.py vllm   < cases.json
    PYTHONPATH=<sglang install> <python with torch> tools/engine-args/real_parser.py sglang < cases.json

stdin : {"cases": [["--ho", "0.0.0.0"], ...]}  (each case is appended after a minimal valid argv)
stdout: {"engine", "version", "python", "options": {option string: [dest, nargs]},
         "samples": {option string: a value its type and choices accept},
         "results": [{"ok": bool, "dests": [dest, ...], "error": str | null}, ...]}

or, to read a plugin's whole launch argv back (the argv-real-parser tests):
stdin : {"argvs": [["serve", "org/m", "--api-key=-x"], ...]}  (vLLM: from `serve`; SGLang: flags only)
stdout: {"engine", "version", "python", "parsed": [{"ok": bool, "args": {dest: value} | null, "error": str | null}]}

`dests` are the argparse dests the case's elements assigned (recorded on the namespace, so a
flag set to its default value still counts). `options` is the parser's own option table, to
compare with the facts. Needs the engine importable: vLLM (the CPU build) or SGLang's
`sglang.srt.server_args` (pip install --no-deps sglang plus a few small modules, see
packages/engine-sglang/README.md).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys

UNSET = object()


class ParseError(Exception):
    pass


ACCUMULATING = (argparse._AppendAction, argparse._AppendConstAction, argparse._CountAction)


class Recording(argparse.Namespace):
    """Records every dest assigned after construction.

    Every dest is pre-set, so argparse's own default-setting writes nothing; to a sentinel,
    except for actions that read the old value (append, count): to a copy of the default.
    """

    def __init__(self, actions):
        for a in actions:
            value = copy.copy(a.default) if isinstance(a, ACCUMULATING) and not isinstance(a.default, str) else UNSET
            object.__setattr__(self, a.dest, value)
        object.__setattr__(self, "_assigned", [])

    def __setattr__(self, name, value):
        self._assigned.append(name)
        object.__setattr__(self, name, value)


def no_exit(parser: argparse.ArgumentParser) -> None:
    def error(message):
        raise ParseError(message)

    for p in [parser, *[a for act in parser._actions if isinstance(act, argparse._SubParsersAction)
                        for a in act.choices.values()]]:
        p.error = error
        # --help / usage text must not mix into the JSON on stdout.
        p._print_message = lambda message, file=None: sys.stderr.write(message or "")
        p.exit = lambda status=0, message=None: (_ for _ in ()).throw(ParseError(f"exit {status}: {message}"))


def vllm_parser():
    import vllm
    from vllm.entrypoints.cli.serve import ServeSubcommand
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    top = FlexibleArgumentParser(prog="vllm")
    sub = ServeSubcommand().subparser_init(top.add_subparsers())
    no_exit(top)
    return vllm.__version__, sub, ["Qwen/Qwen3-0.6B"], top


def sglang_parser():
    from importlib.metadata import version

    from sglang.srt.server_args import ServerArgs

    parser = argparse.ArgumentParser(prog="sglang serve")
    ServerArgs.add_cli_args(parser)
    no_exit(parser)
    return version("sglang"), parser, ["--model-path", "Qwen/Qwen3-0.6B"], parser


def nargs_of(action: argparse.Action):
    if action.nargs == 0:
        return 0
    if action.nargs is None:
        return 1
    return action.nargs


def sample_value(action: argparse.Action):
    """A value the action's type and choices accept, or None."""
    candidates = [str(c) for c in (action.choices or [])][:3] + ["1", "0.5", "auto", "{}", "x", "true"]
    for raw in candidates:
        try:
            value = action.type(raw) if callable(action.type) else raw
        except Exception:  # noqa: BLE001 - any refusal means "not this one"
            continue
        if action.choices is not None and value not in action.choices and raw not in action.choices:
            continue
        return raw
    return None


def parse_whole(engine: str, argvs: list[list[str]]) -> list[dict]:
    """Each argv through a fresh whole parser (vLLM's top `vllm` parser, so its own argv
    preprocessing runs); the namespace as JSON (values that are not JSON as their str)."""
    results = []
    for argv in argvs:
        *_, whole = vllm_parser() if engine == "vllm" else sglang_parser()
        try:
            ns = whole.parse_args(argv)
            results.append({"ok": True, "args": json.loads(json.dumps(vars(ns), default=str)), "error": None})
        except (ParseError, argparse.ArgumentError, ValueError, IndexError, TypeError, SystemExit) as e:
            results.append({"ok": False, "args": None, "error": f"{type(e).__name__}: {e}"})
    return results


def main() -> int:
    engine = sys.argv[1]
    version, parser, base, _ = vllm_parser() if engine == "vllm" else sglang_parser()
    request = json.load(sys.stdin)
    if "argvs" in request:
        json.dump({"engine": engine, "version": version, "python": sys.version.split()[0],
                   "parsed": parse_whole(engine, request["argvs"])}, sys.stdout)
        return 0
    cases = request["cases"]
    dests = [a for a in parser._actions if a.dest is not argparse.SUPPRESS]
    base_ns = Recording(dests)
    parser.parse_args(base, namespace=base_ns)
    base_assigned = set(base_ns._assigned)
    results = []
    for case in cases:
        ns = Recording(dests)
        try:
            parser.parse_args([*base, *case], namespace=ns)
            # Base flags assign their dests too; keep only what the case added.
            assigned = [d for d in dict.fromkeys(ns._assigned) if d not in base_assigned or ns._assigned.count(d) > 1]
            results.append({"ok": True, "dests": assigned, "error": None})
        except (ParseError, argparse.ArgumentError, ValueError, IndexError, TypeError) as e:
            results.append({"ok": False, "dests": list(dict.fromkeys(ns._assigned)), "error": f"{type(e).__name__}: {e}"})
    options = {s: [a.dest, nargs_of(a)] for s, a in parser._option_string_actions.items()}
    samples = {}
    for s, a in parser._option_string_actions.items():
        if nargs_of(a) != 0 and (v := sample_value(a)) is not None:
            samples[s] = v
    json.dump({"engine": engine, "version": version, "python": sys.version.split()[0], "options": options,
               "samples": samples, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
