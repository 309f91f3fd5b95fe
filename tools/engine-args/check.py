#!/usr/bin/env python3
"""Check an engine command line against extracted engine-argument facts.

    python3 tools/engine-args/check.py --facts tools/engine-args/facts/vllm-0.33.0.json < argv.json
    python3 tools/engine-args/check.py --engine sglang < argv.json      # pinned facts file

stdin: a JSON array of strings, either a full command
  ["vllm", "serve", "<model>", "--port", "8000", ...]
  ["python", "-m", "sglang.launch_server", "--model-path", "<model>", ...]   (or ["sglang", "serve", ...])
or just the arguments after the launcher (then required flags are not checked unless --full).
A JSON object {"argv": [...]} is accepted too.

stdout: {"ok": bool, "problems": [{"flag", "problem"}], "warnings": [{"flag", "problem"}], ...}
exit status: 0 ok, 1 problems found, 2 bad input.

The parsing mirrors what the engine's parser does with the argv (argparse rules, plus vLLM's
FlexibleArgumentParser pre-processing: `_`->`-` in names, `--json-flag.key value`, `-O3`).
Anything argparse would only accept as an *abbreviation* of a longer flag is reported,
because such argv breaks as soon as the engine adds a flag with the same prefix.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEG_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def load_facts(path: str | None, engine: str | None) -> dict:
    if path:
        return json.loads(Path(path).read_text())
    pins = json.loads((HERE / "pins.json").read_text())
    return json.loads((HERE / "facts" / f"{engine}-{pins[engine]}.json").read_text())


def option_index(flags: dict) -> dict[str, tuple[str, bool]]:
    """Every accepted option string -> (canonical flag, is_negation)."""
    idx: dict[str, tuple[str, bool]] = {}
    for name, f in flags.items():
        idx[name] = (name, False)
        for a in f.get("aliases", []):
            idx[a] = (name, False)
        for n in f.get("negations", []):
            idx[n] = (name, True)
    return idx


def is_option_like(tok: str) -> bool:
    """argparse: starts with '-', is not a negative number, is not '-' alone, has no space."""
    if not tok.startswith("-") or tok == "-":
        return False
    if NEG_NUMBER.match(tok):
        return False
    if " " in tok and "=" not in tok.split(" ", 1)[0]:
        return False
    return True


def strip_launcher(engine: str, argv: list[str]) -> tuple[list[str], bool, str | None]:
    """Return (arguments, whether a launcher prefix was recognised, error)."""
    if not argv:
        return [], False, None
    base = os.path.basename(argv[0])
    is_python = re.fullmatch(r"python(\d+(\.\d+)*)?", base) is not None
    if engine == "vllm":
        if base == "vllm":
            if len(argv) > 1 and argv[1] == "serve":
                return argv[2:], True, None
            return argv[1:], True, f"only `vllm serve` is described by these facts (got `vllm {argv[1:2]}`)"
        if is_python and argv[1:3] == ["-m", "vllm.entrypoints.cli.main"]:
            if argv[3:4] == ["serve"]:
                return argv[4:], True, None
            return argv[3:], True, "only the `serve` subcommand is described by these facts"
        if is_python and argv[1:2] == ["-m"]:
            return argv[3:], True, f"unknown vLLM launcher module {argv[2:3]}"
    if engine == "sglang":
        if is_python and argv[1:3] == ["-m", "sglang.launch_server"]:
            return argv[3:], True, None
        if is_python and argv[1:3] == ["-m", "sglang.compile_deep_gemm"]:
            return argv[3:], True, "entrypoint:sglang.compile_deep_gemm"
        if base == "sglang" and argv[1:2] == ["serve"]:
            return argv[2:], True, None
        if is_python and argv[1:2] == ["-m"]:
            return argv[3:], True, f"unknown SGLang launcher module {argv[2:3]}"
        if base == "sglang":
            return argv[1:], True, "only `sglang serve` / `python -m sglang.launch_server` are described"
    return list(argv), False, None


# --- value parsers (mirroring the engine's argparse `type=` callables) ------------------


def _vllm_hr_int(v: str) -> int:
    v = v.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgGtT])", v)
    if m:
        number, suffix = m.groups()
        if suffix in "kmgt":
            return int(float(number) * {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}[suffix])
        if "." in number:
            raise ValueError(f"decimals are not allowed with binary suffix {suffix}")
        return int(number) * {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[suffix]
    return int(v)


def _sglang_hr_int(v: str) -> int:
    v = v.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)", v)
    if m:
        number, suffix = m.groups()
        if suffix.endswith("i"):
            if "." in number:
                raise ValueError(f"decimals are not allowed with IEC suffix {suffix}")
            return int(number) * {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}[suffix]
        return int(float(number) * {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[suffix])
    return int(v)


def _expand_hr_json(v: str) -> str:
    parts = re.split(r'("(?:[^"\\]|\\.)*")', v)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"\b\d+(?:\.\d+)?[kKmMgGtT]\b", lambda m: str(_vllm_hr_int(m.group())), parts[i])
    return "".join(parts)


def convert(f: dict, raw: str):
    """Return the converted value or raise ValueError with a reason."""
    parser = f.get("parser") or "str"
    t = f.get("type")
    if f.get("nullable") and raw in ("", "None"):
        return None
    if f.get("noneMeansUnset") and raw.lower() == "none":
        return ""
    v = raw
    for step in f.get("normalize") or []:
        if step[0] == "lower":
            v = v.lower()
        elif step[0] == "upper":
            v = v.upper()
        elif step[0] == "strip":
            v = v.strip(*step[1:])
        elif step[0] == "replace":
            v = v.replace(step[1], step[2])
    if parser == "vllm.human_readable_int_or_auto":
        if v.strip() == "-1" or v.strip().lower() == "auto":
            return -1
        return _vllm_hr_int(v)
    if parser == "vllm.human_readable_int":
        return _vllm_hr_int(v)
    if parser == "sglang.human_readable_int":
        return _sglang_hr_int(v)
    if t == "int":
        return int(v)
    if t == "float":
        return float(v)
    if t == "json":
        try:
            return json.loads(v)
        except json.JSONDecodeError as e:
            if parser.startswith("dataclass:"):
                try:
                    return json.loads(_expand_hr_json(v))
                except (json.JSONDecodeError, ValueError):
                    pass
            raise ValueError(f"invalid JSON ({e.msg})") from None
    if parser == "json_object_or_str" and re.match(r"(?s)^\s*{.*}\s*$", v):
        try:
            return json.loads(v)
        except json.JSONDecodeError as e:
            raise ValueError(f"looks like a JSON object but is invalid JSON ({e.msg})") from None
    return v


def check(facts: dict, argv: list[str], full: bool | None = None, allow_unknown_values: bool = False) -> dict:
    engine = facts["engine"]
    flags = dict(facts["flags"])
    pdef = facts.get("parser", {})
    problems: list[dict] = []
    warnings: list[dict] = []

    def problem(flag: str, msg: str) -> None:
        problems.append({"flag": flag, "problem": msg})

    def warn(flag: str, msg: str) -> None:
        warnings.append({"flag": flag, "problem": msg})

    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return {"ok": False, "problems": [{"flag": "", "problem": "argv must be a JSON array of strings"}],
                "warnings": []}
    args, launcher, err = strip_launcher(engine, argv)
    if err and err.startswith("entrypoint:"):
        ep = facts.get("entrypoints", {}).get(err.split(":", 1)[1])
        if ep is None:
            problem(argv[0], f"entrypoint {err.split(':', 1)[1]} not described by these facts")
        else:
            if not ep.get("inheritsFlagsOf"):
                flags = {}
            flags.update(ep["flags"])
    elif err:
        problem(argv[0], err)
    index = option_index(flags)
    check_required = launcher if full is None else full

    seen: dict[str, int] = {}
    positionals: list[str] = []

    def validate(flag: str, canonical: str, values: list[str]) -> None:
        f = flags[canonical]
        for raw in values:
            try:
                val = convert(f, raw)
            except (ValueError, ArithmeticError) as e:
                problem(flag, f"bad value {raw!r} for {canonical} (type {f.get('type')}): {e}")
                continue
            choices = f.get("choices")
            if choices:
                if val is None and f.get("nullable"):
                    continue
                if val not in choices:
                    extra = " (engine parser is opaque; compared the raw value)" if f.get("opaqueParser") else ""
                    problem(flag, f"value {raw!r} not in choices of {canonical}: {choices}{extra}")
                continue
            known = f.get("knownValues")
            if known and val not in (None, "") and val not in known:
                msg = (f"value {raw!r} is not one of the values {canonical} knows in this engine version "
                       f"(argparse accepts any string; the engine validates later, plugins may add values)")
                (warn if allow_unknown_values else problem)(flag, msg)

    i = 0
    while i < len(args):
        tok = args[i]
        if tok == "--":
            positionals.extend(args[i + 1:])
            break
        if not is_option_like(tok):
            positionals.append(tok)
            i += 1
            continue
        name, eq, inline = tok.partition("=")
        has_inline = bool(eq)
        shown = name
        # vLLM FlexibleArgumentParser pre-processing
        if pdef.get("optimizationLevelShorthand") and tok.startswith("-O") and not tok.startswith("--"):
            target = "--optimization-level"
            if tok != "-O":
                level = tok[3:] if tok[2:3] == "=" else tok[2:]
                if target in flags:
                    validate(tok, target, [level])
                seen[target] = seen.get(target, 0) + 1
                i += 1
                continue
            if i + 1 < len(args) and args[i + 1] in {"0", "1", "2", "3"}:
                name = target
        if pdef.get("underscoresAsDashes") and name.startswith("--"):
            head, dot, rest = name[2:].partition(".")
            name = "--" + head.replace("_", "-") + dot + rest
        if pdef.get("dottedJsonKeys") and "." in name:
            base = name.split(".", 1)[0]
            if has_inline:
                i += 1
            else:
                if i + 1 >= len(args):
                    problem(shown, f"{shown} expects a value")
                    break
                i += 2
            if base not in index:
                problem(shown, f"unknown flag {base} (used with dotted key {shown})")
                continue
            canonical, _neg = index[base]
            f = flags[canonical]
            if not f.get("takesValue") or f.get("type") in ("int", "float"):
                problem(shown, f"{canonical} does not take a JSON object, so dotted keys are invalid")
            elif f.get("type") != "json" and f.get("parser") != "json_object_or_str":
                warn(shown, f"dotted keys turn {canonical} into a JSON string; the flag is not a JSON flag")
            seen.setdefault(canonical, 0)
            continue
        if name not in index:
            msg = f"unknown flag {shown}"
            if name.startswith("--") and pdef.get("allowAbbrev", True):
                matches = sorted(o for o in index if o.startswith(name))
                canon = sorted({index[o][0] for o in matches})
                if len(canon) == 1:
                    msg += (f"; argparse would accept it only as an abbreviation of {matches[0]} "
                            f"- use the full flag name")
                elif len(canon) > 1:
                    msg += f"; argparse rejects it as ambiguous ({', '.join(matches[:6])}{' ...' if len(matches) > 6 else ''})"
            problem(shown, msg)
            i += 1
            while not has_inline and i < len(args) and not is_option_like(args[i]):
                i += 1  # skip the unknown flag's values
            continue
        canonical, negated = index[name]
        f = flags[canonical]
        if canonical in seen and not f.get("repeatable"):
            warn(shown, f"{canonical} given more than once; the last occurrence wins")
        seen[canonical] = seen.get(canonical, 0) + 1
        if f.get("deprecated"):
            warn(shown, f"{canonical} is deprecated in {engine} {facts.get('version')}")
        if not f.get("takesValue"):
            if has_inline:
                problem(shown, f"{shown} takes no value (argparse: ignored explicit argument {inline!r})")
            i += 1
            continue
        nargs = f.get("nargs")
        values: list[str] = []
        i += 1
        if has_inline:
            values = [inline]
        else:
            limit = {None: 1, "?": 1, "*": None, "+": None}.get(nargs, nargs if isinstance(nargs, int) else 1)
            while i < len(args) and not is_option_like(args[i]) and args[i] != "--" and (
                    limit is None or len(values) < limit):
                values.append(args[i])
                i += 1
        need = {None: 1, "?": 0, "*": 0, "+": 1}.get(nargs, nargs if isinstance(nargs, int) else 1)
        if len(values) < need:
            problem(shown, f"{shown} expects {'a value' if need == 1 else f'{need} values'}")
            continue
        validate(shown, canonical, values)

    # positionals
    max_pos = sum(1 for p in facts.get("positionals", []) if p.get("nargs") in (None, "?"))
    if len(positionals) > max_pos:
        extra = positionals[max_pos:]
        problem(extra[0], f"unexpected positional argument(s) {extra} (a flag value not consumed?)")
    if engine == "vllm":
        if "--model" in seen:
            warn("--model", "vLLM warns: with `vllm serve` give the model as the first positional argument")
        if launcher and not positionals and "--served-model-name" in seen and "--config" not in seen:
            problem("--served-model-name", "vLLM raises ValueError: with --served-model-name the model must be "
                                           "the first positional argument of `vllm serve`")
        if launcher and args and positionals and args[0] != positionals[0]:
            warn(positionals[0], "vLLM expects the model tag directly after `serve`")
    if check_required:
        for name, f in sorted(flags.items()):
            if f.get("required") and name not in seen:
                problem(name, f"required flag {name} is missing")
    return {"ok": not problems, "engine": engine, "version": facts.get("version"),
            "problems": problems, "warnings": warnings}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check engine argv (JSON on stdin) against facts.")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--facts", help="facts JSON written by extract.py")
    src.add_argument("--engine", choices=["vllm", "sglang"], help="use facts/<engine>-<pinned>.json")
    ap.add_argument("--full", action="store_true", help="also check required flags when no launcher is given")
    ap.add_argument("--allow-unknown-values", action="store_true",
                    help="values outside knownValues (not argparse choices) are warnings, not problems")
    ns = ap.parse_args(argv)
    try:
        facts = load_facts(ns.facts, ns.engine)
        data = json.load(sys.stdin)
    except (OSError, json.JSONDecodeError, KeyError) as e:
        print(json.dumps({"ok": False, "problems": [{"flag": "", "problem": f"bad input: {e}"}], "warnings": []}))
        return 2
    if isinstance(data, dict):
        data = data.get("argv")
    result = check(facts, data, full=True if ns.full else None, allow_unknown_values=ns.allow_unknown_values)
    print(json.dumps(result, indent=1))
    if not result["ok"]:
        for p in result["problems"]:
            print(f"engine-args check: {p['flag']}: {p['problem']}", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
