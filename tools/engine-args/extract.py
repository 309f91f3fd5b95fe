#!/usr/bin/env python3
"""Extract the CLI flag definitions of an inference engine from its real source.

    python3 tools/engine-args/extract.py --engine vllm --version 0.33.0 [--cache DIR] [--out FILE]
    python3 tools/engine-args/extract.py --all --write      # regenerate facts/ for pinned versions
    python3 tools/engine-args/extract.py --all --check      # drift check against facts/ (CI)

The engine is never installed, imported or executed: its release archive is fetched from
PyPI (sdist if there is one, else a wheel), its ``*.py`` files are unpacked into a cache and
the argument parser construction is *interpreted* from the ``ast`` of the real code:

* vLLM: ``vllm serve`` = ``ServeSubcommand.subparser_init`` -> ``make_arg_parser`` ->
  ``FrontendArgs.add_cli_args`` + ``AsyncEngineArgs.add_cli_args``.  Most flags come from
  ``get_kwargs(SomeConfig)[field]``; that function (``_compute_kwargs``) is re-implemented here
  over statically evaluated type annotations (Literal -> choices/metavar, bool ->
  BooleanOptionalAction, list -> nargs '+', Optional -> optional_type, dataclass -> JSON ...).
  ``FlexibleArgumentParser`` maps BooleanOptionalAction to ``EnableDisableAction`` so
  ``--enable-x`` also accepts ``--disable-x`` (and ``--no-enable-x``).
* SGLang: ``python -m sglang.launch_server`` = ``prepare_server_args`` ->
  ``ServerArgs.add_cli_args`` -> ``add_cli_args_from_dataclass`` (re-implemented over the
  ``A[T, Arg(...)]`` annotations of the namespace structs) + the manual ``add_argument`` calls.

The two re-implemented engine functions are fingerprinted (hash of their AST); when a new
engine version changes them, the output carries a warning so a human re-checks the logic.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import html
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
PINS_FILE = HERE / "pins.json"
FACTS_DIR = HERE / "facts"
DEFAULT_CACHE = REPO_ROOT / ".cache" / "engine-src"
SCHEMA_VERSION = 1

ENGINES = {
    "vllm": {"dist": "vllm", "package": "vllm"},
    "sglang": {"dist": "sglang", "package": "sglang"},
}

# AST fingerprints (see fingerprint()) of engine functions whose behaviour is re-implemented
# below.  A mismatch does not fail the extraction; it adds a warning to the output.
KNOWN_FINGERPRINTS = {
    # vllm 0.33.0
    "vllm.engine.arg_utils._compute_kwargs": {"f28f19edac9c"},
    "vllm.engine.arg_utils.literal_to_kwargs": {"4da1b5619f00"},
    "vllm.engine.arg_utils.collection_to_kwargs": {"e0fa39916f24"},
    "vllm.utils.argparse_utils.EnableDisableAction": {"2828c4ea4155"},
    "vllm.utils.argparse_utils.FlexibleArgumentParser.parse_args": {"084e66220451"},
    # sglang 0.5.23
    "sglang.srt.arg_groups.arg_utils.add_cli_args_from_dataclass": {"80ce2e537d7a"},
    "sglang.srt.server_args.prepare_server_args": {"9b729db9abc4"},
}


def log(msg: str) -> None:
    print(f"[engine-args] {msg}", file=sys.stderr)


# ----------------------------------------------------------------------------------------
# Download + cache
# ----------------------------------------------------------------------------------------


def cache_root(cli_value: str | None) -> Path:
    if cli_value:
        return Path(cli_value).resolve()
    env = os.environ.get("ROUSE_ENGINE_SRC_CACHE")
    if env:
        return Path(env).resolve()
    return DEFAULT_CACHE


def _index_url() -> str:
    return os.environ.get("ROUSE_PYPI_SIMPLE_URL", "https://pypi.org/simple").rstrip("/")


def _http_get(url: str, accept: str | None = None, timeout: float = 300) -> tuple[bytes, str]:
    headers = {"User-Agent": "rouse-engine-args/1"}
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (https only)
        return resp.read(), resp.headers.get("Content-Type", "")


def _file_version(filename: str) -> str | None:
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) >= 5 else None
    for ext in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(ext):
            stem = filename[: -len(ext)]
            return stem.rsplit("-", 1)[1] if "-" in stem else None
    return None


def list_release_files(dist: str, version: str) -> list[dict]:
    """Files of one release, from the PEP 691 (JSON) or PEP 503 (HTML) simple index."""
    name = re.sub(r"[-_.]+", "-", dist).lower()
    url = f"{_index_url()}/{name}/"
    body, ctype = _http_get(url, accept="application/vnd.pypi.simple.v1+json, text/html;q=0.1")
    files = []
    if "json" in ctype:
        for f in json.loads(body)["files"]:
            files.append(
                {
                    "filename": f["filename"],
                    "url": urllib.parse.urljoin(url, f["url"]),
                    "sha256": (f.get("hashes") or {}).get("sha256"),
                    "size": f.get("size"),
                    "yanked": bool(f.get("yanked")),
                }
            )
    else:
        for m in re.finditer(r"<a\s+[^>]*href=\"([^\"]+)\"[^>]*>([^<]+)</a>", body.decode()):
            href = html.unescape(m.group(1))
            link, _, frag = href.partition("#")
            files.append(
                {
                    "filename": m.group(2).strip(),
                    "url": urllib.parse.urljoin(url, link),
                    "sha256": frag[7:] if frag.startswith("sha256=") else None,
                    "size": None,
                    "yanked": "data-yanked" in m.group(0),
                }
            )
    return [f for f in files if _file_version(f["filename"]) == version]


def choose_file(files: list[dict]) -> dict:
    sdists = [f for f in files if f["filename"].endswith((".tar.gz", ".zip"))]
    if sdists:
        return sorted(sdists, key=lambda f: f["filename"])[0]
    wheels = [f for f in files if f["filename"].endswith(".whl")]
    if not wheels:
        raise SystemExit("no sdist or wheel found for this version")

    def rank(f: dict) -> tuple:
        fn = f["filename"]
        return (
            0 if fn.endswith("-none-any.whl") else 1,
            0 if "x86_64" in fn else 1,
            0 if "cp312" in fn else 1,
            fn,
        )

    return sorted(wheels, key=rank)[0]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_source(engine: str, version: str, cache: Path, timings: dict) -> Path:
    """Return a directory holding the engine package's .py files (downloads on first use)."""
    pkg = ENGINES[engine]["package"]
    src_dir = cache / f"{engine}-{version}"
    marker = src_dir / ".complete.json"
    if marker.is_file():
        timings["cached"] = True
        return src_dir
    timings["cached"] = False
    cache.mkdir(parents=True, exist_ok=True)
    dist_dir = cache / "dist"
    dist_dir.mkdir(exist_ok=True)

    t0 = time.monotonic()
    files = list_release_files(ENGINES[engine]["dist"], version)
    if not files:
        raise SystemExit(f"{engine}=={version}: not found on the package index")
    chosen = choose_file(files)
    archive = dist_dir / chosen["filename"]
    if not (archive.is_file() and chosen["sha256"] and _sha256_file(archive) == chosen["sha256"]):
        log(f"downloading {chosen['url']}")
        tmp = archive.with_suffix(archive.suffix + ".part")
        req = urllib.request.Request(chosen["url"], headers={"User-Agent": "rouse-engine-args/1"})
        with urllib.request.urlopen(req, timeout=600) as resp, open(tmp, "wb") as out:  # noqa: S310
            shutil.copyfileobj(resp, out, 1 << 20)
        digest = _sha256_file(tmp)
        if chosen["sha256"] and digest != chosen["sha256"]:
            tmp.unlink()
            raise SystemExit(f"sha256 mismatch for {chosen['filename']}")
        tmp.rename(archive)
    timings["download_s"] = round(time.monotonic() - t0, 2)
    timings["archive_bytes"] = archive.stat().st_size

    t0 = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f".{engine}-{version}-", dir=cache))
    staging.chmod(0o755)
    count = 0

    def dest_for(member: str) -> Path | None:
        parts = member.split("/")
        if ".." in parts or member.startswith("/") or not member.endswith(".py"):
            return None
        try:
            i = parts.index(pkg)
        except ValueError:
            return None
        # sdist: <name>-<ver>/<pkg>/...   wheel: <pkg>/...
        if i > 1:
            return None
        return staging.joinpath(*parts[i:])

    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                d = dest_for(info.filename)
                if d is None or info.is_dir():
                    continue
                d.parent.mkdir(parents=True, exist_ok=True)
                d.write_bytes(zf.read(info))
                count += 1
    else:
        with tarfile.open(archive, "r:*") as tf:
            for m in tf:
                if not m.isfile():
                    continue
                d = dest_for(m.name)
                if d is None:
                    continue
                d.parent.mkdir(parents=True, exist_ok=True)
                fh = tf.extractfile(m)
                assert fh is not None
                d.write_bytes(fh.read())
                count += 1
    if not (staging / pkg / "__init__.py").is_file():
        shutil.rmtree(staging)
        raise SystemExit(f"{archive.name}: package directory {pkg}/ not found")
    (staging / ".complete.json").write_text(
        json.dumps(
            {"filename": chosen["filename"], "sha256": chosen["sha256"] or _sha256_file(archive),
             "size": archive.stat().st_size, "py_files": count},
            indent=1, sort_keys=True,
        )
    )
    if src_dir.exists():
        shutil.rmtree(src_dir)
    staging.rename(src_dir)
    timings["extract_s"] = round(time.monotonic() - t0, 2)
    return src_dir


# ----------------------------------------------------------------------------------------
# Value model of the interpreter
# ----------------------------------------------------------------------------------------


class Unknown:
    """A value the static interpreter cannot know (runtime state, env, torch, ...)."""

    __slots__ = ("why",)

    def __init__(self, why: str = "") -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"Unknown({self.why})"


def is_unknown(v: Any) -> bool:
    return isinstance(v, Unknown)


class External:
    """Something outside the engine package (stdlib, typing, torch, pydantic ...)."""

    __slots__ = ("dotted",)

    def __init__(self, dotted: str) -> None:
        self.dotted = dotted

    def __repr__(self) -> str:
        return f"External({self.dotted})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, External) and other.dotted == self.dotted

    def __hash__(self) -> int:
        return hash(("External", self.dotted))


class Stub:
    """Hand-written stand-in for a runtime object (e.g. vLLM's current_platform on CUDA)."""

    def __init__(self, name: str, attrs: dict) -> None:
        self.name = name
        self.attrs = attrs


class ModuleVal:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class FuncVal:
    def __init__(self, node, module: "Module", owner: "ClassVal | None" = None,
                 kind: str = "function", bound: Any = None, closure: dict | None = None) -> None:
        self.node = node
        self.module = module
        self.owner = owner
        self.kind = kind  # function | staticmethod | classmethod | lambda
        self.bound = bound  # implicit first argument, or None
        self.closure = closure or {}

    @property
    def qualname(self) -> str:
        name = getattr(self.node, "name", "<lambda>")
        if self.owner is not None:
            return f"{self.module.name}.{self.owner.name}.{name}"
        return f"{self.module.name}.{name}"

    def bind(self, obj: Any) -> "FuncVal":
        return FuncVal(self.node, self.module, self.owner, self.kind, obj, self.closure)


class ClassVal:
    def __init__(self, node: ast.ClassDef, module: "Module") -> None:
        self.node = node
        self.module = module
        self.name = node.name
        self.attrs_override: dict = {}

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.name}"

    def __repr__(self) -> str:
        return f"ClassVal({self.qualname})"


class InstanceVal:
    def __init__(self, cls: ClassVal, attrs: dict) -> None:
        self.cls = cls
        self.attrs = attrs


class EnumMember:
    def __init__(self, cls: ClassVal, name: str, value: Any) -> None:
        self.cls = cls
        self.name = name
        self.value = value


class SuperVal:
    def __init__(self, start_after: ClassVal, obj: Any) -> None:
        self.start_after = start_after
        self.obj = obj


class Wrapped:
    """Result of a type-converter factory: optional_type(x), parse_type(x), parse_dataclass."""

    def __init__(self, kind: str, inner: Any = None, detail: str | None = None) -> None:
        self.kind = kind
        self.inner = inner
        self.detail = detail


class Intrinsic:
    def __init__(self, name: str, fn) -> None:
        self.name = name
        self.fn = fn


class TypeVal:
    """A statically evaluated typing construct.

    kind: prim (name) | generic (origin, args) | literal (values) | union (args) |
          annotated (args[0] type, meta) | classvar | any | opaque (module)
    """

    def __init__(self, kind: str, name: str = "", args: tuple = (), values: tuple = (),
                 meta: tuple = (), module: str = "") -> None:
        self.kind = kind
        self.name = name
        self.args = tuple(args)
        self.values = tuple(values)
        self.meta = tuple(meta)
        self.module = module

    def key(self) -> tuple:
        return (self.kind, self.name, tuple(_tkey(a) for a in self.args),
                tuple(repr(v) for v in self.values), self.module)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeVal) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        if self.kind == "prim":
            return self.name
        if self.kind == "literal":
            return f"Literal{list(self.values)}"
        if self.kind in ("generic", "union", "annotated"):
            return f"{self.kind}:{self.name}[{', '.join(map(repr, self.args))}]"
        return f"{self.kind}:{self.name or self.module}"


def _tkey(a: Any) -> Any:
    if isinstance(a, TypeVal):
        return a.key()
    if isinstance(a, ClassVal):
        return ("class", a.qualname)
    return repr(a)


PRIM_NAMES = {"int", "float", "str", "bool", "NoneType", "dict", "list", "tuple", "set",
              "frozenset", "type", "bytes", "object", "complex"}
NONE_T = TypeVal("prim", "NoneType")
# Builtins that are both callables the interpreter models (list(x)) and types (list[str]).
BUILTIN_TYPE_INTRINSICS = {"list", "tuple", "set", "frozenset", "dict"}

TYPING_MODULES = {"typing", "typing_extensions"}
GENERIC_ALIASES = {
    "List": "list", "Dict": "dict", "Set": "set", "FrozenSet": "frozenset", "Tuple": "tuple",
    "Type": "type", "DefaultDict": "dict",
}
OPAQUE_TYPING = {"Callable", "Sequence", "Mapping", "Iterable", "MutableMapping", "Iterator",
                 "AbstractSet", "Collection", "Awaitable", "Coroutine", "Generator",
                 "TypedDict", "Protocol", "Hashable", "Pattern", "IO"}


class ParserRecorder:
    """Captures add_argument calls for one argparse parser."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "flexible" (vLLM FlexibleArgumentParser) | "argparse"
        self.actions: list[dict] = []


class ParserVal:
    def __init__(self, recorder: ParserRecorder, group: str | None = None) -> None:
        self.recorder = recorder
        self.group = group
        self.attrs: dict = {}


class SubparsersVal:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.created: list[ParserVal] = []


class ReturnSignal(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class RaiseSignal(Exception):
    pass


class BudgetExceeded(Exception):
    pass


# ----------------------------------------------------------------------------------------
# Source modules
# ----------------------------------------------------------------------------------------


class Module:
    def __init__(self, name: str, relpath: str, tree: ast.Module, is_pkg: bool) -> None:
        self.name = name
        self.relpath = relpath
        self.tree = tree
        self.is_pkg = is_pkg
        # name -> list of bindings (history, last wins);  typing-only bindings separate
        self.bindings: dict[str, list[tuple]] = {}
        self.typing_bindings: dict[str, list[tuple]] = {}
        self.star_imports: list[str] = []
        self.cache: dict = {}
        self._collect(tree.body, self.bindings)

    def _resolve_rel(self, level: int, mod: str | None) -> str:
        if level == 0:
            return mod or ""
        base = self.name.split(".")
        if not self.is_pkg:
            base = base[:-1]
        if level > 1:
            base = base[: len(base) - (level - 1)]
        return ".".join(base + ([mod] if mod else []))

    def _bind(self, table: dict, name: str, binding: tuple, fallback: bool = False) -> None:
        if fallback and name in table:
            return
        table.setdefault(name, []).append(binding)

    def _collect(self, body: list, table: dict, fallback: bool = False) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    if a.asname:
                        self._bind(table, a.asname, ("module", a.name), fallback)
                    else:
                        first = a.name.split(".")[0]
                        self._bind(table, first, ("module", first), fallback)
            elif isinstance(stmt, ast.ImportFrom):
                base = self._resolve_rel(stmt.level, stmt.module)
                for a in stmt.names:
                    if a.name == "*":
                        self.star_imports.append(base)
                    else:
                        self._bind(table, a.asname or a.name, ("from", base, a.name), fallback)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        self._bind(table, t.id, ("expr", stmt.value, stmt.lineno), fallback)
                    elif isinstance(t, (ast.Tuple, ast.List)):
                        for i, el in enumerate(t.elts):
                            if isinstance(el, ast.Name):
                                self._bind(table, el.id, ("unknown", stmt.lineno), fallback)
            elif isinstance(stmt, ast.AnnAssign):
                if isinstance(stmt.target, ast.Name) and stmt.value is not None:
                    self._bind(table, stmt.target.id, ("expr", stmt.value, stmt.lineno), fallback)
            elif isinstance(stmt, ast.ClassDef):
                self._bind(table, stmt.name, ("class", stmt), fallback)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._bind(table, stmt.name, ("func", stmt), fallback)
            elif isinstance(stmt, ast.If):
                t = stmt.test
                neg = isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not)
                inner = t.operand if neg else t
                is_tc = (isinstance(inner, ast.Name) and inner.id == "TYPE_CHECKING") or (
                    isinstance(inner, ast.Attribute) and inner.attr == "TYPE_CHECKING")
                if is_tc:
                    typing_body, runtime_body = (stmt.orelse, stmt.body) if neg else (stmt.body, stmt.orelse)
                    self._collect(typing_body, self.typing_bindings)
                    self._collect(runtime_body, table, fallback)
                else:
                    self._collect(stmt.body, table, fallback)
                    self._collect(stmt.orelse, table, True)
            elif isinstance(stmt, ast.Try):
                self._collect(stmt.body, table, fallback)
                for h in stmt.handlers:
                    self._collect(h.body, table, True)
                self._collect(stmt.orelse, table, fallback)
                self._collect(stmt.finalbody, table, fallback)
            elif isinstance(stmt, ast.With):
                self._collect(stmt.body, table, fallback)


class SourceTree:
    def __init__(self, root: Path, package: str) -> None:
        self.root = root
        self.package = package
        self.files_read: dict[str, str] = {}
        self.modules: dict[str, Module | None] = {}

    def find(self, modname: str) -> tuple[Path, bool] | None:
        parts = modname.split(".")
        if not parts or parts[0] != self.package:
            return None
        p = self.root.joinpath(*parts)
        if (p / "__init__.py").is_file():
            return p / "__init__.py", True
        if p.with_suffix(".py").is_file():
            return p.with_suffix(".py"), False
        if p.is_dir():
            return p, True  # namespace package
        return None

    def load(self, modname: str) -> Module | None:
        if modname in self.modules:
            return self.modules[modname]
        found = self.find(modname)
        mod = None
        if found is not None:
            path, is_pkg = found
            if path.is_dir():
                tree = ast.parse("")
                rel = str(path.relative_to(self.root)) + "/"
            else:
                data = path.read_bytes()
                rel = path.relative_to(self.root).as_posix()
                self.files_read[rel] = hashlib.sha256(data).hexdigest()
                tree = ast.parse(data.decode("utf-8"), filename=rel)
            mod = Module(modname, rel, tree, is_pkg)
        self.modules[modname] = mod
        return mod

    def is_internal(self, modname: str) -> bool:
        return modname.split(".")[0] == self.package


def fingerprint(node: ast.AST) -> str:
    """Hash of a function's/class's AST without docstrings or line numbers."""
    node = copy.deepcopy(node)
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            n.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(node, annotate_fields=False).encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------------------
# Interpreter
# ----------------------------------------------------------------------------------------


class Interp:
    MAX_DEPTH = 40

    def __init__(self, tree: SourceTree, stubs: dict | None = None, sys_argv: list | None = None,
                 skip_calls: set | None = None) -> None:
        self.tree = tree
        self.stubs = stubs or {}
        self.sys_argv = sys_argv or ["prog"]
        self.skip_calls = skip_calls or set()
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.intercepts: dict = {}  # qualname -> python callable(interp, args, kwargs, node)
        self.depth = 0
        self.steps = 0
        self.step_budget = 2_000_000
        self.field_cache: dict = {}

    def warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)

    # --- name resolution -------------------------------------------------------------

    def module(self, name: str) -> Module | None:
        return self.tree.load(name)

    def lookup_global(self, mod: Module, name: str, typing_view: bool = False) -> Any:
        key = (name, typing_view)
        if key in mod.cache:
            return mod.cache[key]
        mod.cache[key] = Unknown(f"recursive {mod.name}.{name}")
        val = self._lookup_global(mod, name, typing_view)
        mod.cache[key] = val
        return val

    def _lookup_global(self, mod: Module, name: str, typing_view: bool) -> Any:
        if typing_view and name in mod.typing_bindings:
            hist = mod.typing_bindings[name]
        elif name in mod.bindings:
            hist = mod.bindings[name]
        else:
            for star in mod.star_imports:
                smod = self.module(star)
                if smod is not None and (name in smod.bindings or name in smod.typing_bindings):
                    return self.lookup_global(smod, name, typing_view)
            if name in BUILTINS:
                return BUILTINS[name]
            if name == "__name__":
                return mod.name
            return Unknown(f"unbound {mod.name}.{name}")
        val = self._eval_binding(mod, hist[-1], typing_view)
        if is_unknown(val):
            # `X = defstruct(..., namespace=vars(X))` style rebinding: keep the class.
            for b in reversed(hist[:-1]):
                if b[0] == "class":
                    return self._eval_binding(mod, b, typing_view)
        return val

    def _eval_binding(self, mod: Module, b: tuple, typing_view: bool) -> Any:
        kind = b[0]
        if kind == "module":
            return self.module_value(b[1])
        if kind == "from":
            return self.import_from(b[1], b[2], typing_view)
        if kind == "expr":
            return self.eval(b[1], Frame(mod, typing_view=typing_view))
        if kind == "class":
            return ClassVal(b[1], mod)
        if kind == "func":
            return FuncVal(b[1], mod)
        return Unknown("unsupported binding")

    def module_value(self, name: str) -> Any:
        if self.tree.is_internal(name):
            return ModuleVal(name) if self.module(name) is not None else Unknown(f"no module {name}")
        return ModuleVal(name)

    def import_from(self, base: str, attr: str, typing_view: bool = False) -> Any:
        if (base, attr) in self.stubs:
            return self.stubs[(base, attr)]
        if not self.tree.is_internal(base):
            return External(f"{base}.{attr}")
        mod = self.module(base)
        if mod is None:
            return Unknown(f"missing module {base}")
        if attr in mod.bindings or (typing_view and attr in mod.typing_bindings):
            return self.lookup_global(mod, attr, typing_view)
        sub = f"{base}.{attr}"
        if self.module(sub) is not None:
            return ModuleVal(sub)
        return self.lookup_global(mod, attr, typing_view)

    # --- attribute access ------------------------------------------------------------

    def getattr(self, obj: Any, name: str) -> Any:
        if is_unknown(obj):
            return Unknown(f"{obj.why}.{name}")
        if isinstance(obj, ModuleVal):
            if (obj.name, name) in self.stubs:
                return self.stubs[(obj.name, name)]
            if self.tree.is_internal(obj.name):
                return self.import_from(obj.name, name)
            if obj.name == "sys" and name == "argv":
                return list(self.sys_argv)
            return External(f"{obj.name}.{name}")
        if isinstance(obj, External):
            if obj.dotted == "sys" and name == "argv":
                return list(self.sys_argv)
            return External(f"{obj.dotted}.{name}")
        if isinstance(obj, Stub):
            return obj.attrs.get(name, Unknown(f"{obj.name}.{name}"))
        if isinstance(obj, ClassVal):
            return self.class_attr(obj, name, None)
        if isinstance(obj, InstanceVal):
            if name in obj.attrs:
                return obj.attrs[name]
            return self.class_attr(obj.cls, name, obj)
        if isinstance(obj, SuperVal):
            mro = self.mro(obj.obj if isinstance(obj.obj, ClassVal) else obj.obj.cls)
            names = [c.qualname for c in mro]
            start = names.index(obj.start_after.qualname) + 1 if obj.start_after.qualname in names else 1
            for c in mro[start:]:
                found = self._own_class_attr(c, name, obj.obj)
                if found is not None:
                    return found
            return Unknown(f"super().{name}")
        if isinstance(obj, FuncVal):
            if name == "__doc__":
                return ast.get_docstring(obj.node, clean=False) if not isinstance(obj.node, ast.Lambda) else None
            if name == "__name__":
                return getattr(obj.node, "name", "<lambda>")
            return Unknown(f"func.{name}")
        if isinstance(obj, EnumMember):
            if name == "name":
                return obj.name
            if name == "value":
                return obj.value
            return Unknown(f"enum.{name}")
        if isinstance(obj, ParserVal):
            return ParserMethod(obj, name)
        if isinstance(obj, SubparsersVal):
            return ParserMethod(obj, name)
        # plain python values: bound builtin methods
        return PyMethod(obj, name)

    def mro(self, cls: ClassVal) -> list[ClassVal]:
        out: list[ClassVal] = []
        seen = set()

        def visit(c: ClassVal) -> None:
            if c.qualname in seen:
                return
            seen.add(c.qualname)
            out.append(c)
            for b in self.class_bases(c):
                if isinstance(b, ClassVal):
                    visit(b)

        visit(cls)
        return out

    def class_bases(self, cls: ClassVal) -> list:
        return [self.eval(b, Frame(cls.module)) for b in cls.node.bases]

    def _own_class_attr(self, c: ClassVal, name: str, obj: Any) -> Any:
        if name in c.attrs_override:
            return c.attrs_override[name]
        found = None
        for stmt in c.node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                kind = "function"
                for d in stmt.decorator_list:
                    dn = d.id if isinstance(d, ast.Name) else getattr(d, "attr", "")
                    if dn in ("staticmethod", "classmethod"):
                        kind = dn
                    if dn == "property":
                        kind = "property"
                found = FuncVal(stmt, c.module, c, kind)
            elif isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                found = ("expr", stmt.value)
            elif (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                  and stmt.target.id == name and stmt.value is not None):
                found = ("expr", stmt.value)
            elif isinstance(stmt, ast.ClassDef) and stmt.name == name:
                found = ClassVal(stmt, c.module)
        if found is None:
            return None
        if isinstance(found, tuple):
            return self.eval(found[1], ClassFrame(self, c))
        if isinstance(found, FuncVal):
            if found.kind == "staticmethod":
                return found
            if found.kind == "classmethod":
                target = obj.cls if isinstance(obj, InstanceVal) else (obj if obj is not None else c)
                return found.bind(target)
            if found.kind == "property":
                if isinstance(obj, InstanceVal):
                    return self.call(found.bind(obj), [], {}, None)
                return Unknown("property")
            if isinstance(obj, InstanceVal):
                return found.bind(obj)
        return found

    def class_attr(self, cls: ClassVal, name: str, obj: Any) -> Any:
        if name == "__name__":
            return cls.name
        if name == "__doc__":
            return ast.get_docstring(cls.node, clean=False)
        if name == "__qualname__":
            return cls.name
        for c in self.mro(cls):
            found = self._own_class_attr(c, name, obj if obj is not None else cls)
            if found is not None:
                return found
        return Unknown(f"{cls.qualname}.{name}")

    # --- classes ---------------------------------------------------------------------

    def base_names(self, cls: ClassVal) -> set[str]:
        """Dotted names of all (transitive) external bases + qualnames of internal ones."""
        out: set[str] = set()
        for c in self.mro(cls):
            out.add(c.qualname)
            for b in self.class_bases(c):
                if isinstance(b, External):
                    out.add(b.dotted)
                elif b is BUILTINS.get("dict") or (isinstance(b, External) and b.dotted == "builtins.dict"):
                    out.add("builtins.dict")
                elif isinstance(b, TypeVal) and b.kind == "prim":
                    out.add(f"builtins.{b.name}")
                elif isinstance(b, TypeVal) and b.kind == "generic":
                    out.add(f"builtins.{b.name}")
        return out

    def is_dataclass(self, cls: ClassVal) -> bool:
        for c in self.mro(cls):
            for d in c.node.decorator_list:
                fn = d.func if isinstance(d, ast.Call) else d
                v = self.eval(fn, Frame(c.module))
                if isinstance(v, External) and v.dotted.split(".")[-1] == "dataclass":
                    return True
                if isinstance(v, FuncVal) and v.qualname == "vllm.config.utils.config":
                    return True
        return False

    def is_record(self, cls: ClassVal) -> bool:
        return self.is_dataclass(cls) or "msgspec.Struct" in self.base_names(cls)

    def is_enum(self, cls: ClassVal) -> bool:
        return any(n.startswith("enum.") for n in self.base_names(cls))

    def is_typeddict(self, cls: ClassVal) -> bool:
        return any(n.split(".")[-1] == "TypedDict" for n in self.base_names(cls))

    def is_dict_subclass(self, cls: ClassVal) -> bool:
        names = self.base_names(cls)
        return "builtins.dict" in names and not self.is_typeddict(cls)

    def enum_members(self, cls: ClassVal) -> list[EnumMember]:
        out = []
        for stmt in cls.node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                n = stmt.targets[0].id
                if n.startswith("_"):
                    continue
                out.append(EnumMember(cls, n, self.eval(stmt.value, Frame(cls.module))))
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                out.append(EnumMember(cls, stmt.target.id, self.eval(stmt.value, Frame(cls.module))))
        return out

    def record_fields(self, cls: ClassVal) -> list[dict]:
        """Fields of a dataclass / msgspec Struct: inherited first, ClassVar skipped."""
        if cls.qualname in self.field_cache:
            return self.field_cache[cls.qualname]
        fields: dict[str, dict] = {}
        for base in reversed(self.mro(cls)[1:]):
            if self.is_record(base):
                for f in self.record_fields_own(base):
                    fields[f["name"]] = f
        for f in self.record_fields_own(cls):
            fields[f["name"]] = f
        out = list(fields.values())
        self.field_cache[cls.qualname] = out
        return out

    def record_fields_own(self, cls: ClassVal) -> list[dict]:
        out = []
        body = cls.node.body
        for i, stmt in enumerate(body):
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            ann = stmt.annotation
            t = self.eval_type(ann, cls.module)
            if isinstance(t, TypeVal) and t.kind in ("classvar", "initvar"):
                continue
            doc = None
            if i + 1 < len(body) and isinstance(body[i + 1], ast.Expr) and isinstance(
                    getattr(body[i + 1], "value", None), ast.Constant) and isinstance(body[i + 1].value.value, str):
                doc = body[i + 1].value.value
            out.append({"name": stmt.target.id, "annotation": ann, "module": cls.module, "owner": cls,
                        "has_default": stmt.value is not None, "value": stmt.value,
                        "line": stmt.lineno, "doc": doc})
        return out

    # --- types -----------------------------------------------------------------------

    def eval_type(self, node: ast.AST, mod: Module, typing_view: bool = False) -> Any:
        return self.to_type(self.eval(node, Frame(mod, typing_view=typing_view)), mod, typing_view)

    def to_type(self, v: Any, mod: Module | None = None, typing_view: bool = False) -> Any:
        if v is None:
            return NONE_T
        if isinstance(v, TypeVal):
            return v
        if isinstance(v, Intrinsic) and v.name in BUILTIN_TYPE_INTRINSICS:
            return TypeVal("prim", v.name)
        if isinstance(v, str) and mod is not None:  # forward reference
            try:
                node = ast.parse(v, mode="eval").body
            except SyntaxError:
                return TypeVal("opaque", module="<str>")
            return self.eval_type(node, mod, typing_view)
        if isinstance(v, External):
            mod_name, _, attr = v.dotted.rpartition(".")
            if mod_name == "builtins" and attr in PRIM_NAMES:
                return TypeVal("prim", attr)
            if mod_name in TYPING_MODULES or mod_name in ("collections.abc", "types"):
                if attr == "Any":
                    return TypeVal("any", module="typing")
                if attr in GENERIC_ALIASES:
                    return TypeVal("generic", GENERIC_ALIASES[attr])
                if attr == "NoneType":
                    return NONE_T
                return TypeVal("opaque", attr, module=mod_name)
            return TypeVal("opaque", attr, module=mod_name or "?")
        if isinstance(v, ClassVal):
            return v
        if isinstance(v, Unknown):
            return TypeVal("opaque", module="?")
        return TypeVal("opaque", module="?")

    def subscript_type(self, base: Any, items: list, frame: "Frame") -> Any:
        """base[items] where base is a typing construct; returns TypeVal or NotImplemented."""
        mod = frame.module
        tv = frame.typing_view
        if isinstance(base, Intrinsic) and base.name in BUILTIN_TYPE_INTRINSICS:
            base = External(f"builtins.{base.name}")  # `list[str]`, `dict[str, Any]` ...
        if isinstance(base, External):
            mod_name, _, attr = base.dotted.rpartition(".")
            if mod_name in TYPING_MODULES:
                if attr == "Literal":
                    vals: list = []
                    for it in items:
                        if isinstance(it, TypeVal) and it.kind == "literal":
                            vals.extend(it.values)
                        else:
                            vals.append(it)
                    return TypeVal("literal", values=vals)
                if attr == "Optional":
                    return make_union([self.to_type(items[0], mod, tv), NONE_T])
                if attr == "Union":
                    return make_union([self.to_type(i, mod, tv) for i in items])
                if attr == "Annotated":
                    return TypeVal("annotated", args=(self.to_type(items[0], mod, tv),), meta=tuple(items[1:]))
                if attr == "ClassVar":
                    return TypeVal("classvar")
                if attr in GENERIC_ALIASES:
                    return TypeVal("generic", GENERIC_ALIASES[attr], args=[self._type_arg(i, mod, tv) for i in items])
                if attr in ("Required", "NotRequired", "ReadOnly", "Final"):
                    return self.to_type(items[0], mod, tv)
                return TypeVal("opaque", attr, module=mod_name)
            if mod_name == "builtins" and attr in ("list", "dict", "set", "frozenset", "tuple", "type"):
                return TypeVal("generic", attr, args=[self._type_arg(i, mod, tv) for i in items])
            if mod_name == "dataclasses" and attr == "InitVar":
                return TypeVal("initvar")
            if attr in ("SkipValidation",):
                return self.to_type(items[0], mod, tv)
            return TypeVal("opaque", attr, module=mod_name)
        if isinstance(base, TypeVal):
            if base.kind == "generic" and not base.args:
                return TypeVal("generic", base.name, args=[self._type_arg(i, mod, tv) for i in items])
            return base  # parametrising a generic alias with TypeVars
        if isinstance(base, ClassVal):
            return base
        return NotImplemented

    def _type_arg(self, it: Any, mod: Module, tv: bool) -> Any:
        if it is Ellipsis:
            return Ellipsis
        if isinstance(it, list):  # Callable[[args], ret]
            return TypeVal("opaque", "args")
        return self.to_type(it, mod, tv)

    # --- evaluation ------------------------------------------------------------------

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.step_budget:
            raise BudgetExceeded()

    def eval(self, node: ast.AST, frame: "Frame") -> Any:
        self.tick()
        m = getattr(self, "eval_" + type(node).__name__, None)
        if m is None:
            return Unknown(type(node).__name__)
        try:
            return m(node, frame)
        except (ReturnSignal, BudgetExceeded):
            raise
        except RaiseSignal:
            raise
        except RecursionError:
            return Unknown("recursion")
        except Exception as e:  # noqa: BLE001 - anything unmodelled is Unknown
            return Unknown(f"{type(node).__name__}: {type(e).__name__}: {e}")

    def eval_Constant(self, node, frame):
        return node.value

    def eval_Name(self, node, frame):
        return frame.lookup(self, node.id)

    def eval_Attribute(self, node, frame):
        return self.getattr(self.eval(node.value, frame), node.attr)

    def eval_Tuple(self, node, frame):
        return tuple(self._eval_elts(node.elts, frame))

    def eval_List(self, node, frame):
        return list(self._eval_elts(node.elts, frame))

    def eval_Set(self, node, frame):
        vals = self._eval_elts(node.elts, frame)
        try:
            return set(vals)
        except TypeError:
            return Unknown("unhashable set")

    def _eval_elts(self, elts, frame) -> list:
        out = []
        for e in elts:
            if isinstance(e, ast.Starred):
                v = self.eval(e.value, frame)
                if isinstance(v, (list, tuple, set)):
                    out.extend(v)
                else:
                    out.append(Unknown("starred"))
            else:
                out.append(self.eval(e, frame))
        return out

    def eval_Dict(self, node, frame):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                d = self.eval(v, frame)
                if isinstance(d, dict):
                    out.update(d)
                else:
                    out["__unknown_splat__"] = d
            else:
                kv = self.eval(k, frame)
                try:
                    out[kv] = self.eval(v, frame)
                except TypeError:
                    pass
        return out

    def eval_JoinedStr(self, node, frame):
        parts = []
        for p in node.values:
            if isinstance(p, ast.Constant):
                parts.append(str(p.value))
            else:
                v = self.eval(p.value, frame)
                if not isinstance(v, (str, int, float, bool, type(None), list, tuple)):
                    return Unknown("fstring")
                if p.conversion == ord("r"):
                    v = repr(v)
                spec = self.eval(p.format_spec, frame) if p.format_spec else ""
                if is_unknown(spec):
                    return Unknown("fstring")
                parts.append(format(v, spec))
        return "".join(parts)

    def eval_FormattedValue(self, node, frame):
        return Unknown("formatted")

    def eval_Lambda(self, node, frame):
        return FuncVal(node, frame.module, kind="lambda", closure=dict(frame.locals))

    def eval_IfExp(self, node, frame):
        t = self.truth(self.eval(node.test, frame))
        if t is None:
            self.note(f"{frame.module.relpath}:{node.lineno}: condition not statically known; assumed false")
            return self.eval(node.orelse, frame)
        return self.eval(node.body if t else node.orelse, frame)

    def truth(self, v: Any) -> bool | None:
        if is_unknown(v):
            return None
        if isinstance(v, (ModuleVal, External, ClassVal, FuncVal, InstanceVal, Stub, TypeVal)):
            return True
        try:
            return bool(v)
        except Exception:  # noqa: BLE001
            return None

    def eval_BoolOp(self, node, frame):
        if isinstance(node.op, ast.And):
            last: Any = True
            for v in node.values:
                last = self.eval(v, frame)
                t = self.truth(last)
                if t is None:
                    return Unknown("and")
                if not t:
                    return last
            return last
        last = False
        for v in node.values:
            last = self.eval(v, frame)
            t = self.truth(last)
            if t is None:
                return Unknown("or")
            if t:
                return last
        return last

    def eval_UnaryOp(self, node, frame):
        v = self.eval(node.operand, frame)
        if isinstance(node.op, ast.Not):
            t = self.truth(v)
            return Unknown("not") if t is None else (not t)
        if is_unknown(v):
            return v
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return +v
        if isinstance(node.op, ast.Invert):
            return ~v
        return Unknown("unary")

    def eval_BinOp(self, node, frame):
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        if isinstance(node.op, ast.BitOr) and (_typeish(left) or _typeish(right)):
            return make_union([self.to_type(left, frame.module, frame.typing_view),
                               self.to_type(right, frame.module, frame.typing_view)])
        if is_unknown(left) or is_unknown(right):
            return Unknown("binop")
        ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
               ast.Pow: lambda a, b: a ** b, ast.BitOr: lambda a, b: a | b, ast.BitAnd: lambda a, b: a & b,
               ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b}
        fn = ops.get(type(node.op))
        if fn is None:
            return Unknown("binop")
        return fn(left, right)

    def eval_Compare(self, node, frame):
        left = self.eval(node.left, frame)
        for op, comp in zip(node.ops, node.comparators):
            right = self.eval(comp, frame)
            if is_unknown(left) or is_unknown(right):
                return Unknown("compare")
            if isinstance(op, ast.In):
                if isinstance(right, (str, list, tuple, set, dict, frozenset)):
                    r = left in right
                else:
                    return Unknown("in")
            elif isinstance(op, ast.NotIn):
                if isinstance(right, (str, list, tuple, set, dict, frozenset)):
                    r = left not in right
                else:
                    return Unknown("not in")
            elif isinstance(op, ast.Is):
                r = left is right if (left is None or right is None or isinstance(left, bool)) else Unknown("is")
            elif isinstance(op, ast.IsNot):
                r = left is not right if (left is None or right is None or isinstance(left, bool)) else Unknown("is")
            elif isinstance(op, ast.Eq):
                r = left == right
            elif isinstance(op, ast.NotEq):
                r = left != right
            else:
                ops = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
                       ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b}
                r = ops[type(op)](left, right)
            if is_unknown(r):
                return r
            if not r:
                return False
            left = right
        return True

    def eval_Subscript(self, node, frame):
        base = self.eval(node.value, frame)
        sl = node.slice
        if isinstance(sl, ast.Tuple):
            items = self._eval_elts(sl.elts, frame)
            key: Any = tuple(items)
        elif isinstance(sl, ast.Slice):
            lo = self.eval(sl.lower, frame) if sl.lower else None
            hi = self.eval(sl.upper, frame) if sl.upper else None
            st = self.eval(sl.step, frame) if sl.step else None
            if any(is_unknown(x) for x in (lo, hi, st)) or is_unknown(base):
                return Unknown("slice")
            return base[slice(lo, hi, st)]
        else:
            key = self.eval(sl, frame)
            items = [key]
        t = self.subscript_type(base, items, frame)
        if t is not NotImplemented:
            return t
        if is_unknown(base):
            return base
        if isinstance(base, (dict, list, tuple, str)):
            if is_unknown(key):
                return Unknown("subscript key")
            try:
                return base[key]
            except (KeyError, IndexError) as e:
                return Unknown(f"missing key {e}")
        return Unknown("subscript")

    def eval_Starred(self, node, frame):
        return Unknown("starred")

    def _comprehension(self, gens, frame, emit) -> bool:
        def rec(i: int, fr: Frame) -> bool:
            if i == len(gens):
                emit(fr)
                return True
            g = gens[i]
            it = self.eval(g.iter, fr)
            seq = self.iterate(it)
            if seq is None:
                return False
            for item in seq:
                sub = fr.child()
                self.assign(g.target, item, sub)
                ok = True
                for cond in g.ifs:
                    t = self.truth(self.eval(cond, sub))
                    if t is None:
                        return False
                    if not t:
                        ok = False
                        break
                if ok and not rec(i + 1, sub):
                    return False
            return True

        return rec(0, frame)

    def eval_ListComp(self, node, frame):
        out: list = []
        ok = self._comprehension(node.generators, frame, lambda fr: out.append(self.eval(node.elt, fr)))
        return out if ok else Unknown("listcomp")

    def eval_GeneratorExp(self, node, frame):
        return self.eval_ListComp(node, frame)

    def eval_SetComp(self, node, frame):
        v = self.eval_ListComp(node, frame)
        return v if is_unknown(v) else set(v)

    def eval_DictComp(self, node, frame):
        out: dict = {}
        ok = self._comprehension(
            node.generators, frame,
            lambda fr: out.__setitem__(self.eval(node.key, fr), self.eval(node.value, fr)))
        return out if ok else Unknown("dictcomp")

    def iterate(self, v: Any) -> list | None:
        if isinstance(v, dict):
            return list(v.keys())
        if isinstance(v, (list, tuple, set, frozenset, str)):
            if isinstance(v, (set, frozenset)):
                try:
                    return sorted(v, key=repr)
                except TypeError:
                    return list(v)
            return list(v)
        if isinstance(v, ClassVal) and self.is_enum(v):
            return self.enum_members(v)
        return None

    def eval_Call(self, node, frame):
        func = self.eval(node.func, frame)
        args: list = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, frame)
                if isinstance(v, (list, tuple)):
                    args.extend(v)
                else:
                    args.append(Unknown("*args"))
            else:
                args.append(self.eval(a, frame))
        kwargs: dict = {}
        for k in node.keywords:
            v = self.eval(k.value, frame)
            if k.arg is None:
                if isinstance(v, dict):
                    kwargs.update(v)
                else:
                    kwargs["__unknown_splat__"] = v
            else:
                kwargs[k.arg] = v
        return self.call(func, args, kwargs, node, frame)

    def call(self, func: Any, args: list, kwargs: dict, node, frame: "Frame | None" = None) -> Any:
        site = (frame.module.relpath if frame else "?", getattr(node, "lineno", 0))
        if isinstance(func, Intrinsic):
            return func.fn(self, args, kwargs, site)
        if isinstance(func, ParserMethod):
            return func.call(self, args, kwargs, site)
        if isinstance(func, PyMethod):
            return func.call(self, args, kwargs)
        if isinstance(func, External):
            fn = EXTERNAL_CALLS.get(func.dotted)
            if fn is not None:
                return fn(self, args, kwargs, site)
            return Unknown(f"call {func.dotted}")
        if isinstance(func, FuncVal):
            q = func.qualname
            if q in self.intercepts:
                return self.intercepts[q](self, func, args, kwargs, site)
            if getattr(func.node, "name", None) in self.skip_calls or q in self.skip_calls:
                return Unknown(f"skipped {q}")
            return self.invoke(func, args, kwargs)
        if isinstance(func, ClassVal):
            return self.instantiate(func, args, kwargs)
        if isinstance(func, SuperVal):
            return Unknown("super call")
        return Unknown("call of unknown")

    def instantiate(self, cls: ClassVal, args: list, kwargs: dict) -> Any:
        if not self.is_record(cls):
            return Unknown(f"instance of {cls.qualname}")
        fields = self.record_fields(cls)
        attrs: dict = {}
        for f, a in zip(fields, args):
            attrs[f["name"]] = a
        for k, v in kwargs.items():
            attrs[k] = v
        for f in fields:
            if f["name"] not in attrs:
                if f["has_default"]:
                    val = f["value"]
                    if isinstance(val, ast.Call):  # field(default=...) / Field(...)
                        dv = next((k.value for k in val.keywords if k.arg == "default"), None)
                        attrs[f["name"]] = self.eval(dv, Frame(f["module"])) if dv is not None else Unknown("factory")
                    else:
                        attrs[f["name"]] = self.eval(val, Frame(f["module"]))
                else:
                    attrs[f["name"]] = Unknown("missing field")
        return InstanceVal(cls, attrs)

    def invoke(self, func: FuncVal, args: list, kwargs: dict) -> Any:
        if self.depth >= self.MAX_DEPTH:
            return Unknown("depth")
        node = func.node
        frame = Frame(func.module, parent_locals=func.closure, current_class=func.owner)
        a = node.args
        params = list(a.posonlyargs) + list(a.args)
        actual = list(args)
        if func.bound is not None:
            actual = [func.bound] + actual
        if func.bound is not None and params:
            frame.self_obj = func.bound
        defaults = [None] * (len(params) - len(a.defaults)) + list(a.defaults)
        for i, p in enumerate(params):
            if i < len(actual):
                frame.locals[p.arg] = actual[i]
            elif p.arg in kwargs:
                frame.locals[p.arg] = kwargs.pop(p.arg)
            elif defaults[i] is not None:
                frame.locals[p.arg] = self.eval(defaults[i], Frame(func.module))
            else:
                frame.locals[p.arg] = Unknown(f"missing arg {p.arg}")
        if a.vararg:
            frame.locals[a.vararg.arg] = tuple(actual[len(params):])
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            if p.arg in kwargs:
                frame.locals[p.arg] = kwargs.pop(p.arg)
            elif d is not None:
                frame.locals[p.arg] = self.eval(d, Frame(func.module))
            else:
                frame.locals[p.arg] = Unknown(f"missing kwarg {p.arg}")
        if a.kwarg:
            frame.locals[a.kwarg.arg] = dict(kwargs)
        if isinstance(node, ast.Lambda):
            return self.eval(node.body, frame)
        self.depth += 1
        try:
            self.exec_block(node.body, frame)
        except ReturnSignal as r:
            return r.value
        except RaiseSignal:
            return Unknown(f"{func.qualname} raised")
        finally:
            self.depth -= 1
        return None

    # --- statements ------------------------------------------------------------------

    def exec_block(self, stmts: list, frame: "Frame") -> None:
        for s in stmts:
            self.exec_stmt(s, frame)

    def exec_stmt(self, s: ast.stmt, frame: "Frame") -> None:
        self.tick()
        if isinstance(s, ast.Expr):
            self.eval(s.value, frame)
        elif isinstance(s, ast.Assign):
            v = self.eval(s.value, frame)
            for t in s.targets:
                self.assign(t, v, frame)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.assign(s.target, self.eval(s.value, frame), frame)
        elif isinstance(s, ast.AugAssign):
            cur = self.eval(s.target if not isinstance(s.target, ast.Name) else ast.Name(s.target.id, ast.Load()), frame)
            val = self.eval(s.value, frame)
            if isinstance(cur, list) and isinstance(val, (list, tuple)) and isinstance(s.op, ast.Add):
                cur.extend(val)
                new = cur
            elif isinstance(cur, set) and isinstance(val, (set, frozenset)) and isinstance(s.op, ast.BitOr):
                cur |= val
                new = cur
            elif not is_unknown(cur) and not is_unknown(val) and isinstance(s.op, ast.Add):
                try:
                    new = cur + val
                except TypeError:
                    new = Unknown("augassign")
            else:
                new = Unknown("augassign")
            self.assign(s.target, new, frame)
        elif isinstance(s, ast.Return):
            raise ReturnSignal(self.eval(s.value, frame) if s.value is not None else None)
        elif isinstance(s, ast.If):
            t = self.truth(self.eval(s.test, frame))
            if t is None:
                self.note(f"{frame.module.relpath}:{s.lineno}: condition not statically known; assumed false")
                self.exec_block(s.orelse, frame)
            elif t:
                self.exec_block(s.body, frame)
            else:
                self.exec_block(s.orelse, frame)
        elif isinstance(s, ast.For):
            seq = self.iterate(self.eval(s.iter, frame))
            if seq is None:
                self.warn(f"unknown iterable at {frame.module.relpath}:{s.lineno}; loop skipped")
                return
            for item in seq:
                self.assign(s.target, item, frame)
                self.exec_block(s.body, frame)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Subscript):
                    obj = self.eval(t.value, frame)
                    key = self.eval(t.slice, frame)
                    if isinstance(obj, dict) and key in obj:
                        del obj[key]
                    elif isinstance(obj, dict):
                        self.warn(f"del of missing key {key!r} at {frame.module.relpath}:{s.lineno}")
                elif isinstance(t, ast.Name):
                    frame.locals.pop(t.id, None)
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            tmp = Module.__new__(Module)
            tmp.name = frame.module.name
            tmp.is_pkg = frame.module.is_pkg
            table: dict = {}
            tmp.star_imports = []
            Module._collect(tmp, [s], table)
            for name, hist in table.items():
                frame.locals[name] = self._eval_binding(frame.module, hist[-1], frame.typing_view)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame.locals[s.name] = FuncVal(s, frame.module, closure=dict(frame.locals))
        elif isinstance(s, ast.ClassDef):
            frame.locals[s.name] = ClassVal(s, frame.module)
        elif isinstance(s, ast.Try):
            try:
                self.exec_block(s.body, frame)
            except RaiseSignal:
                pass
            self.exec_block(s.finalbody, frame)
        elif isinstance(s, ast.With):
            self.exec_block(s.body, frame)
        elif isinstance(s, ast.Raise):
            raise RaiseSignal()
        elif isinstance(s, (ast.Pass, ast.Assert, ast.Global, ast.Nonlocal, ast.Break, ast.Continue)):
            pass
        else:  # while, match, ...
            self.warn(f"unsupported statement {type(s).__name__} at {frame.module.relpath}:{s.lineno}")

    def assign(self, target: ast.AST, value: Any, frame: "Frame") -> None:
        if isinstance(target, ast.Name):
            frame.locals[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (list, tuple)) and len(value) == len(target.elts):
                for t, v in zip(target.elts, value):
                    self.assign(t, v, frame)
            else:
                for t in target.elts:
                    self.assign(t, Unknown("unpack"), frame)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, frame)
            key = self.eval(target.slice, frame)
            if isinstance(obj, (dict, list)) and not is_unknown(key):
                try:
                    obj[key] = value
                except (TypeError, IndexError):
                    pass
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, frame)
            if isinstance(obj, InstanceVal):
                obj.attrs[target.attr] = value
            elif isinstance(obj, ParserVal):
                obj.attrs[target.attr] = value


class Frame:
    def __init__(self, module: Module, parent_locals: dict | None = None, typing_view: bool = False,
                 current_class: ClassVal | None = None) -> None:
        self.module = module
        self.locals: dict = dict(parent_locals or {})
        self.typing_view = typing_view
        self.current_class = current_class
        self.self_obj: Any = None

    def child(self) -> "Frame":
        f = Frame(self.module, self.locals, self.typing_view, self.current_class)
        f.self_obj = self.self_obj
        return f

    def lookup(self, interp: Interp, name: str) -> Any:
        if name in self.locals:
            return self.locals[name]
        if name == "super" and self.current_class is not None:
            cls, obj = self.current_class, self.self_obj
            return Intrinsic("super", lambda i, a, k, s: SuperVal(cls, obj if obj is not None else cls))
        return interp.lookup_global(self.module, name, self.typing_view)


class ClassFrame(Frame):
    """Evaluation scope of a class body: earlier class attributes, then module globals."""

    def __init__(self, interp: Interp, cls: ClassVal) -> None:
        super().__init__(cls.module)
        self.cls = cls

    def lookup(self, interp: Interp, name: str) -> Any:
        if name in self.locals:
            return self.locals[name]
        for stmt in self.cls.node.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                return interp._own_class_attr(self.cls, name, None)
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and stmt.target.id == name and stmt.value is not None):
                return interp._own_class_attr(self.cls, name, None)
        return interp.lookup_global(self.module, name, self.typing_view)


def _typeish(v: Any) -> bool:
    if isinstance(v, TypeVal) or v is None:
        return isinstance(v, TypeVal) or False
    if isinstance(v, ClassVal):
        return True
    if isinstance(v, External):
        return True
    return False


def make_union(items: list) -> TypeVal:
    flat: list = []
    for t in items:
        if isinstance(t, TypeVal) and t.kind == "union":
            flat.extend(t.args)
        else:
            flat.append(t)
    out: list = []
    for t in flat:
        if not any(_tkey(t) == _tkey(o) for o in out):
            out.append(t)
    return TypeVal("union", "Union", args=out)


class PyMethod:
    """A method of a plain Python value (list.append, str.replace, dict.items ...)."""

    SAFE = {
        list: {"append", "extend", "remove", "pop", "insert", "index", "copy", "count", "sort"},
        dict: {"get", "items", "keys", "values", "pop", "update", "setdefault", "copy"},
        set: {"add", "update", "discard", "remove", "copy", "union", "difference", "intersection"},
        str: {"replace", "join", "split", "lower", "upper", "strip", "lstrip", "rstrip", "startswith",
              "endswith", "format", "removeprefix", "removesuffix", "title", "capitalize", "rsplit"},
        tuple: {"index", "count"},
    }

    def __init__(self, obj: Any, name: str) -> None:
        self.obj = obj
        self.name = name

    def call(self, interp: Interp, args: list, kwargs: dict) -> Any:
        obj = self.obj
        allowed = next((names for t, names in self.SAFE.items() if isinstance(obj, t)), set())
        if self.name not in allowed:
            return Unknown(f"method {type(obj).__name__}.{self.name}")
        if any(is_unknown(a) for a in args) or any(is_unknown(v) for v in kwargs.values()):
            if self.name in ("append", "add", "extend", "update", "insert"):
                interp.warn(f"unknown value added via {type(obj).__name__}.{self.name}")
            return Unknown("method arg")
        try:
            r = getattr(obj, self.name)(*args, **kwargs)
        except (ValueError, KeyError, TypeError, IndexError) as e:
            interp.warn(f"{type(obj).__name__}.{self.name}{tuple(args)} failed: {e}")
            return Unknown("method failed")
        if self.name in ("items", "keys", "values"):
            return list(r)
        return r


class ParserMethod:
    def __init__(self, parser: Any, name: str) -> None:
        self.parser = parser
        self.name = name

    def call(self, interp: Interp, args: list, kwargs: dict, site: tuple) -> Any:
        p = self.parser
        if isinstance(p, SubparsersVal):
            if self.name == "add_parser":
                new = ParserVal(ParserRecorder(p.kind))
                p.created.append(new)
                return new
            return Unknown("subparsers")
        if self.name == "add_argument":
            p.recorder.actions.append({"args": list(args), "kwargs": dict(kwargs), "group": p.group,
                                       "site": f"{site[0]}:{site[1]}"})
            return Unknown("action")
        if self.name in ("add_argument_group", "add_mutually_exclusive_group"):
            title = kwargs.get("title", args[0] if args else p.group)
            return ParserVal(p.recorder, title if isinstance(title, str) else p.group)
        if self.name == "add_subparsers":
            return SubparsersVal(p.recorder.kind)
        return Unknown(f"parser.{self.name}")


# ----------------------------------------------------------------------------------------
# Builtins / stdlib modelled by the interpreter
# ----------------------------------------------------------------------------------------


def _b_list(interp, args, kwargs, site):
    if not args:
        return []
    seq = interp.iterate(args[0])
    return list(seq) if seq is not None else Unknown("list()")


def _b_tuple(interp, args, kwargs, site):
    r = _b_list(interp, args, kwargs, site)
    return r if is_unknown(r) else tuple(r)


def _b_set(interp, args, kwargs, site):
    r = _b_list(interp, args, kwargs, site)
    try:
        return r if is_unknown(r) else set(r)
    except TypeError:
        return Unknown("set()")


def _b_sorted(interp, args, kwargs, site):
    r = _b_list(interp, args[:1], {}, site)
    if is_unknown(r):
        return r
    if kwargs.get("key") is not None:
        return Unknown("sorted key")
    try:
        return sorted(r, reverse=bool(kwargs.get("reverse", False)))
    except TypeError:
        return Unknown("sorted")


def _b_dict(interp, args, kwargs, site):
    out = dict(args[0]) if args and isinstance(args[0], dict) else {}
    if args and not isinstance(args[0], dict):
        return Unknown("dict()")
    out.update(kwargs)
    return out


def _b_len(interp, args, kwargs, site):
    try:
        return len(args[0])
    except Exception:  # noqa: BLE001
        return Unknown("len")


def _b_str(interp, args, kwargs, site):
    if args and isinstance(args[0], (str, int, float, bool)):
        return str(args[0])
    return Unknown("str()")


def _b_getattr(interp, args, kwargs, site):
    v = interp.getattr(args[0], args[1]) if len(args) >= 2 and isinstance(args[1], str) else Unknown("getattr")
    if is_unknown(v) and len(args) >= 3:
        return args[2]
    return v


def _b_isinstance(interp, args, kwargs, site):
    return Unknown("isinstance")


def _get_args(interp, args, kwargs, site):
    t = interp.to_type(args[0]) if args else None
    if isinstance(t, TypeVal):
        if t.kind == "literal":
            return tuple(t.values)
        if t.kind in ("union", "generic", "annotated"):
            return tuple(t.args)
    return Unknown("get_args")


def structural_copy(v: Any) -> Any:
    """deepcopy of containers only; interpreter objects (functions, classes) are shared."""
    if isinstance(v, dict):
        return {k: structural_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [structural_copy(x) for x in v]
    if isinstance(v, set):
        return set(v)
    if isinstance(v, tuple):
        return tuple(structural_copy(x) for x in v)
    return v


def _deepcopy(interp, args, kwargs, site):
    return structural_copy(args[0]) if args else Unknown("deepcopy")


def _argparse_parser(interp, args, kwargs, site):
    return ParserVal(ParserRecorder("argparse"))


def _noop(interp, args, kwargs, site):
    return None


BUILTINS: dict[str, Any] = {
    "list": Intrinsic("list", _b_list),
    "tuple": Intrinsic("tuple", _b_tuple),
    "set": Intrinsic("set", _b_set),
    "frozenset": Intrinsic("frozenset", _b_set),
    "sorted": Intrinsic("sorted", _b_sorted),
    "dict": Intrinsic("dict", _b_dict),
    "len": Intrinsic("len", _b_len),
    "getattr": Intrinsic("getattr", _b_getattr),
    "isinstance": Intrinsic("isinstance", _b_isinstance),
    "print": Intrinsic("print", _noop),
    "True": True, "False": False, "None": None, "Ellipsis": Ellipsis,
}
for _n in ("int", "float", "str", "bool", "bytes", "object", "type", "complex"):
    BUILTINS.setdefault(_n, External(f"builtins.{_n}"))

EXTERNAL_CALLS = {
    "typing.get_args": _get_args,
    "typing_extensions.get_args": _get_args,
    "copy.deepcopy": _deepcopy,
    "copy.copy": _deepcopy,
    "argparse.ArgumentParser": _argparse_parser,
    "builtins.str": _b_str,
    "warnings.warn": _noop,
}


def flatten_hints(t: Any) -> list:
    """vLLM's get_type_hints(): strip Annotated, flatten Union."""
    if isinstance(t, TypeVal) and t.kind == "annotated":
        return flatten_hints(t.args[0])
    if isinstance(t, TypeVal) and t.kind == "union":
        out: list = []
        for a in t.args:
            for x in flatten_hints(a):
                if not any(_tkey(x) == _tkey(o) for o in out):
                    out.append(x)
        return out
    return [t]


def is_prim(t: Any, name: str) -> bool:
    return isinstance(t, TypeVal) and (
        (t.kind == "prim" and t.name == name) or (t.kind == "generic" and t.name == name))


def literal_values(t: Any) -> list:
    out: list = []
    for h in flatten_hints(t):
        if isinstance(h, TypeVal) and h.kind == "literal":
            out.extend(h.values)
        elif isinstance(h, TypeVal) and h.kind == "generic" and h.args:
            for a in h.args:
                if isinstance(a, TypeVal) and a.kind == "literal":
                    out.extend(a.values)
    return out


# ----------------------------------------------------------------------------------------
# vLLM: re-implementation of engine/arg_utils.py::_compute_kwargs over static types
# ----------------------------------------------------------------------------------------


class VllmKwargs:
    HUMAN_READABLE_INT_ARGS = {"max_num_batched_tokens", "max_num_scheduled_tokens", "kv_cache_memory_bytes",
                               "safetensors_prefetch_block_size", "max_num_queued_tokens"}

    def __init__(self, interp: Interp) -> None:
        self.i = interp
        self.cache: dict = {}
        arg_utils = interp.module("vllm.engine.arg_utils")
        self.arg_utils = arg_utils
        self.fn = {n: interp.lookup_global(arg_utils, n) for n in (
            "optional_type", "parse_type", "human_readable_int", "human_readable_int_or_auto",
            "union_dict_and_str")}

    def is_not_builtin(self, t: Any) -> bool:
        if isinstance(t, ClassVal):
            return True
        if isinstance(t, TypeVal):
            if t.kind in ("prim",):
                return False
            if t.kind == "generic":
                return t.name not in ("list", "dict", "tuple", "set", "frozenset", "type")
            return True
        return True

    def contains(self, hints: list, name: str) -> bool:
        if name == "Literal":
            return any(isinstance(h, TypeVal) and h.kind == "literal" for h in hints)
        return any(is_prim(h, name) for h in hints)

    def get(self, h: list, name: str) -> Any:
        return next(x for x in h if (is_prim(x, name) if name != "Literal" else
                                     isinstance(x, TypeVal) and x.kind == "literal"))

    def literal_to_kwargs(self, hints: list) -> dict:
        lit = self.get(hints, "Literal")
        options = list(lit.values)
        opt_type = type(options[0])
        if not all(isinstance(o, opt_type) for o in options):
            raise ValueError(f"mixed literal types {options}")
        key = "metavar" if self.contains(hints, "str") else "choices"
        return {"type": External(f"builtins.{opt_type.__name__}"), key: sorted(options)}

    def collection_to_kwargs(self, hints: list, name: str) -> dict:
        t = self.get(hints, name)
        types = list(t.args)
        if not types:
            raise ValueError(f"bare {name} type")
        elem = types[0]
        if isinstance(elem, TypeVal) and elem.kind == "union":
            if not any(is_prim(a, "str") for a in elem.args):
                raise ValueError("union element without str")
            elem = TypeVal("prim", "str")
        nargs: Any = "+" if name != "tuple" or Ellipsis in types else len(types)
        return {"type": self.type_fn(elem), "nargs": nargs}

    def type_fn(self, t: Any) -> Any:
        if isinstance(t, TypeVal) and t.kind == "prim":
            return External(f"builtins.{t.name}")
        if isinstance(t, TypeVal) and t.kind == "literal":
            return t  # a Literal used as `type`; converted below like vLLM does
        return Wrapped("opaque-type", detail=repr(t))

    def compute(self, cls: ClassVal) -> dict:
        if cls.qualname in self.cache:
            return self.cache[cls.qualname]
        i = self.i
        out: dict = {}
        for f in i.record_fields(cls):
            name = f["name"]
            try:
                out[name] = self.field_kwargs(f)
            except Exception as e:  # noqa: BLE001
                out[name] = {"__error__": f"{cls.name}.{name}: {e}"}
        self.cache[cls.qualname] = out
        return out

    def field_kwargs(self, f: dict) -> dict:
        i = self.i
        t = i.eval_type(f["annotation"], f["module"])
        hints = flatten_hints(t)
        hints = [TypeVal("prim", "dict") if isinstance(h, ClassVal) and i.is_dict_subclass(h) else h
                 for h in hints]
        dataclass_cls = next((h for h in hints if isinstance(h, ClassVal) and i.is_dataclass(h)), None)
        name = f["name"]
        kw: dict = {"default": Unknown("default"), "help": f.get("doc") or ""}
        kw["__field__"] = f"{f['owner'].name}.{name}"
        kw["__site__"] = f"{f['module'].relpath}:{f['line']}"
        key_set = {_tkey(h) for h in hints}
        if dataclass_cls is not None:
            kw["type"] = Wrapped("parse_dataclass", detail=dataclass_cls.name)
        elif key_set == {_tkey(TypeVal("prim", "bool")), _tkey(TypeVal("prim", "str")), _tkey(NONE_T)}:
            kw["type"] = External("builtins.str")
            kw["nargs"] = "?"
            kw["const"] = True
        elif self.contains(hints, "bool"):
            kw["action"] = External("argparse.BooleanOptionalAction")
        elif self.contains(hints, "Literal"):
            kw.update(self.literal_to_kwargs(hints))
        elif self.contains(hints, "tuple"):
            kw.update(self.collection_to_kwargs(hints, "tuple"))
        elif self.contains(hints, "list"):
            kw.update(self.collection_to_kwargs(hints, "list"))
        elif self.contains(hints, "set"):
            kw.update(self.collection_to_kwargs(hints, "set"))
        elif self.contains(hints, "int"):
            if name == "max_model_len":
                kw["type"] = self.fn["human_readable_int_or_auto"]
            elif name in self.HUMAN_READABLE_INT_ARGS:
                kw["type"] = self.fn["human_readable_int"]
            else:
                kw["type"] = External("builtins.int")
        elif self.contains(hints, "float"):
            kw["type"] = External("builtins.float")
        elif self.contains(hints, "dict") and (self.contains(hints, "str") or any(
                self.is_not_builtin(h) for h in hints)):
            kw["type"] = self.fn["union_dict_and_str"]
        elif self.contains(hints, "dict"):
            kw["type"] = Wrapped("parse_type", External("json.loads"))
        elif self.contains(hints, "str") or any(self.is_not_builtin(h) for h in hints):
            kw["type"] = External("builtins.str")
        else:
            raise ValueError(f"Unsupported type {hints} for argument {name}")
        if isinstance(kw.get("type"), TypeVal) and kw["type"].kind == "literal":
            kw.update(self.literal_to_kwargs([kw["type"]]))
        if any(_tkey(h) == _tkey(NONE_T) for h in hints) and not self.contains(hints, "bool"):
            kw["type"] = Wrapped("optional_type", kw["type"])
            if kw.get("choices"):
                kw["choices"].append(None)
        # Values the *static* (TYPE_CHECKING) annotation documents, for fields whose
        # runtime annotation is plain `str` (e.g. QuantizationMethods = str at runtime).
        if not kw.get("choices") and not kw.get("metavar"):
            tv = i.eval_type(f["annotation"], f["module"], typing_view=True)
            lits = [v for v in literal_values(tv) if v is not None]
            if lits:
                kw["__known__"] = sorted(set(lits), key=repr)
        return kw


def vllm_intercepts(interp: Interp) -> None:
    vk = VllmKwargs(interp)

    def get_kwargs(i, func, args, kwargs, site):
        cls = args[0] if args else kwargs.get("cls")
        if not isinstance(cls, ClassVal):
            return Unknown("get_kwargs arg")
        data = vk.compute(cls)
        for name, kw in data.items():
            if "__error__" in kw:
                i.warn(f"get_kwargs: {kw['__error__']}")
        return structural_copy(data)

    def optional_type(i, func, args, kwargs, site):
        return Wrapped("optional_type", args[0] if args else None)

    def parse_type(i, func, args, kwargs, site):
        return Wrapped("parse_type", args[0] if args else None)

    interp.intercepts["vllm.engine.arg_utils.get_kwargs"] = get_kwargs
    interp.intercepts["vllm.engine.arg_utils.optional_type"] = optional_type
    interp.intercepts["vllm.engine.arg_utils.parse_type"] = parse_type


# ----------------------------------------------------------------------------------------
# SGLang: re-implementation of arg_groups/arg_utils.py::add_cli_args_from_dataclass
# ----------------------------------------------------------------------------------------


def sglang_intercepts(interp: Interp, record_field_overrides: dict) -> None:
    def fields_of(cls: ClassVal) -> list[dict]:
        if cls.qualname in record_field_overrides:
            return record_field_overrides[cls.qualname]()
        return interp.record_fields(cls)

    def add_cli_args_from_dataclass(i, func, args, kwargs, site):
        parser = args[0]
        cls = args[1] if len(args) > 1 else kwargs.get("cls")
        only = kwargs.get("fields")
        if not isinstance(parser, ParserVal) or not isinstance(cls, ClassVal):
            i.warn("add_cli_args_from_dataclass: unexpected arguments")
            return None
        for f in fields_of(cls):
            if only is not None and f["name"] not in only:
                continue
            hint = i.eval_type(f["annotation"], f["module"])
            raw, meta = _sg_unwrap_annotated(i, hint)
            if meta is None or meta.get("no_cli"):
                continue
            name = f["name"]
            cli_name = meta.get("cli_name") or "--" + name.replace("_", "-")
            names = [cli_name] + list(meta.get("aliases") or [])
            has_default = f["has_default"]
            auto_dest = cli_name.lstrip("-").replace("-", "_")
            kw: dict = {"help": meta.get("help", "")}
            if name != auto_dest:
                kw["dest"] = name
            kw["__field__"] = f"{f['owner'].name}.{name}"
            kw["__site__"] = f"{f['module'].relpath}:{f['line']}"
            if meta.get("action") is not None:
                kw["action"] = meta["action"]
                if meta.get("action_kwargs"):
                    kw.update(meta["action_kwargs"])
                _sg_add(parser, names, kw, site)
                continue
            inner, _optional = _sg_unwrap_optional(raw)
            if isinstance(inner, TypeVal) and inner.kind == "literal":
                vals = list(inner.values)
                kw["choices"] = meta.get("choices") or vals
                kw["type"] = meta.get("type_parser") or _sg_infer(
                    TypeVal("prim", type(vals[0]).__name__) if vals else TypeVal("prim", "str"))
                if meta.get("const") is not None:
                    kw["const"] = meta["const"]
                _sg_add(parser, names, kw, site)
                continue
            if isinstance(inner, TypeVal) and inner.kind == "generic" and inner.name == "list" and meta.get(
                    "type_parser") is None:
                elem = inner.args[0] if inner.args else TypeVal("prim", "str")
                kw["type"] = _sg_infer(elem)
                kw["nargs"] = meta.get("nargs") or "+"
                if meta.get("choices"):
                    kw["choices"] = meta["choices"]
                if meta.get("const") is not None:
                    kw["const"] = meta["const"]
                _sg_add(parser, names, kw, site)
                continue
            if is_prim(inner, "bool") and isinstance(inner, TypeVal) and inner.kind == "prim":
                kw["action"] = "store_true"
                _sg_add(parser, names, kw, site)
                continue
            kw["type"] = meta.get("type_parser") or _sg_infer(inner)
            if meta.get("choices"):
                kw["choices"] = meta["choices"]
            if meta.get("nargs"):
                kw["nargs"] = meta["nargs"]
            if meta.get("const") is not None:
                kw["const"] = meta["const"]
            req = meta.get("required")
            if (req is True or (req is None and not has_default)) and any(n.startswith("-") for n in names):
                kw["required"] = True
            _sg_add(parser, names, kw, site)
        return None

    interp.intercepts["sglang.srt.arg_groups.arg_utils.add_cli_args_from_dataclass"] = add_cli_args_from_dataclass


def _sg_add(parser: ParserVal, names: list, kw: dict, site: tuple) -> None:
    parser.recorder.actions.append({"args": names, "kwargs": kw, "group": parser.group,
                                    "site": f"{site[0]}:{site[1]}"})


def _sg_unwrap_annotated(i: Interp, t: Any) -> tuple:
    if isinstance(t, TypeVal) and t.kind == "annotated":
        inner = t.args[0]
        for m in t.meta:
            if isinstance(m, InstanceVal) and m.cls.name == "Arg":
                return inner, dict(m.attrs)
            if isinstance(m, str):
                return inner, {"help": m}
            if is_unknown(m):
                i.warn(f"unknown Annotated metadata: {m.why}")
        return inner, None
    return t, None


def _sg_unwrap_optional(t: Any) -> tuple:
    if isinstance(t, TypeVal) and t.kind == "union":
        non_none = [a for a in t.args if _tkey(a) != _tkey(NONE_T)]
        if len(non_none) == 1:
            return non_none[0], True
    return t, False


def _sg_infer(t: Any) -> Any:
    for n in ("str", "int", "float"):
        if isinstance(t, TypeVal) and t.kind == "prim" and t.name == n:
            return External(f"builtins.{n}")
    return External("builtins.str")


# ----------------------------------------------------------------------------------------
# Turning recorded add_argument calls into facts
# ----------------------------------------------------------------------------------------

def describe_type(i: Interp, engine: str, t: Any) -> dict:
    """Map an argparse `type=` callable to {type, parser, nullable, ...}."""
    if t is None:
        return {"type": "str", "parser": "str"}
    if isinstance(t, External):
        name = t.dotted
        if name in ("builtins.int",):
            return {"type": "int", "parser": "int"}
        if name in ("builtins.float",):
            return {"type": "float", "parser": "float"}
        if name in ("builtins.str",):
            return {"type": "str", "parser": "str"}
        if name in ("builtins.bool",):
            return {"type": "str", "parser": "bool()"}
        if name in ("json.loads", "orjson.loads"):
            return {"type": "json", "parser": "json"}
        return {"type": "str", "parser": name}
    if isinstance(t, Wrapped):
        if t.kind == "optional_type":
            d = describe_type(i, engine, t.inner)
            d["nullable"] = True
            return d
        if t.kind == "parse_type":
            return describe_type(i, engine, t.inner)
        if t.kind == "parse_dataclass":
            return {"type": "json", "parser": f"dataclass:{t.detail}", "dottedKeys": True}
        return {"type": "str", "parser": t.kind}
    if isinstance(t, FuncVal):
        q = t.qualname
        short = getattr(t.node, "name", "<lambda>")
        if isinstance(t.node, ast.Lambda):
            norm = lambda_normalizer(t.node)
            d = {"type": "str", "parser": "lambda"}
            if norm is not None:
                d["normalize"] = norm
            else:
                d["opaque"] = True
            return d
        if short == "human_readable_int":
            return {"type": "int", "parser": f"{engine}.human_readable_int"}
        if short == "human_readable_int_or_auto":
            return {"type": "int", "parser": f"{engine}.human_readable_int_or_auto"}
        if short == "union_dict_and_str":
            return {"type": "str", "parser": "json_object_or_str"}
        if short in ("json_list_type",):
            return {"type": "json", "parser": "json"}
        if short in ("nullable_str",):
            return {"type": "str", "parser": "str", "nullable": True}
        if short in ("parse_reasoning_parser",):
            return {"type": "str", "parser": "str", "noneMeansUnset": True}
        loads = any(isinstance(n, ast.Attribute) and n.attr == "loads" for n in ast.walk(t.node))
        return {"type": "json" if loads else "str", "parser": q, "opaque": True}
    return {"type": "str", "parser": "unknown", "opaque": True}


def lambda_normalizer(node: ast.Lambda) -> list | None:
    """`lambda s: s.lower().replace("-", "_")` -> [["lower"], ["replace", "-", "_"]]."""
    if len(node.args.args) != 1:
        return None
    param = node.args.args[0].arg
    steps: list = []
    cur = node.body
    while isinstance(cur, ast.Call) and isinstance(cur.func, ast.Attribute):
        name = cur.func.attr
        if name not in ("lower", "upper", "strip", "replace") or cur.keywords:
            return None
        if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in cur.args):
            return None
        steps.append([name] + [a.value for a in cur.args])
        cur = cur.func.value
    if isinstance(cur, ast.Name) and cur.id == param and steps:
        return list(reversed(steps))
    return None


def _clean_choice_list(i: Interp, v: Any, where: str) -> tuple[list | None, bool]:
    if v is None:
        return None, False
    if is_unknown(v):
        i.warn(f"{where}: choices not statically known ({v.why})")
        return None, False
    seq = i.iterate(v)
    if seq is None:
        i.warn(f"{where}: choices not iterable")
        return None, False
    vals = []
    nullable = False
    for x in seq:
        if x is None:
            nullable = True
        elif isinstance(x, EnumMember):
            vals.append(x.value if isinstance(x.value, (str, int, float)) else x.name)
        elif isinstance(x, (str, int, float, bool)):
            vals.append(x)
        else:
            i.warn(f"{where}: unknown choice value {x!r}")
    return sorted(set(vals), key=lambda z: (type(z).__name__, z)), nullable


def _custom_action_nargs(i: Interp, cls: ClassVal) -> Any:
    init = i.class_attr(cls, "__init__", None)
    if isinstance(init, FuncVal):
        a = init.node.args
        params = list(a.posonlyargs) + list(a.args)
        defaults = [None] * (len(params) - len(a.defaults)) + list(a.defaults)
        for p, d in zip(params, defaults):
            if p.arg == "nargs" and d is not None:
                return i.eval(d, Frame(init.module))
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            if p.arg == "nargs" and d is not None:
                return i.eval(d, Frame(init.module))
    return None


# "Deprecated. Use ...", "(Deprecated: ...)", "--x is deprecated", "has been deprecated",
# "deprecated and will be removed" -- but not "allow deprecated methods" or "will be deprecated".
DEPRECATED_RE = re.compile(
    r"^\W*deprecated\b|\b(is|are|been|now)\s+deprecated\b|\bdeprecated\s*[,;:]?\s*(and\s+will|use\b|in\s+favou?r)",
    re.I)


def build_facts(i: Interp, engine: str, recorder: ParserRecorder) -> dict:
    flags: dict = {}
    index: dict = {}
    positionals = []
    for act in recorder.actions:
        opts = [o for o in act["args"] if isinstance(o, str)]
        kw = act["kwargs"]
        where = act["site"]
        if len(opts) != len(act["args"]):
            i.warn(f"{where}: non-literal option string")
        if not opts:
            continue
        if not opts[0].startswith("-"):
            positionals.append({"dest": opts[0], "nargs": kw.get("nargs"), "definedAt": where})
            continue
        if "__unknown_splat__" in kw:
            i.warn(f"{where}: add_argument(**unknown) for {opts}")
        longs = [o for o in opts if o.startswith("--")]
        canonical = longs[0] if longs else opts[0]
        aliases = [o for o in opts if o != canonical]
        action = kw.get("action")
        nargs = kw.get("nargs")
        entry: dict = {"aliases": sorted(aliases), "definedAt": where}
        if kw.get("__field__"):
            entry["field"] = kw["__field__"]
            entry["fieldAt"] = kw.get("__site__")
        if act.get("group"):
            entry["group"] = act["group"]
        negations: list = []
        deprecated = bool(kw.get("deprecated") is True)
        takes_value: Any = True
        action_name = "store"
        if action is None or action == "store":
            pass
        elif isinstance(action, str):
            action_name = action
            if action in ("store_true", "store_false", "store_const", "count", "help", "version", "append_const"):
                takes_value = False
                nargs = 0
        elif isinstance(action, External) and action.dotted.endswith("BooleanOptionalAction"):
            takes_value = False
            nargs = 0
            if recorder.kind == "flexible" and _has_enable_disable_action(i):
                action_name = "EnableDisableAction"
                for o in opts:
                    if o.startswith("--"):
                        negations.append("--no-" + o[2:])
                        for pre, inv in (("--enable-", "--disable-"), ("--disable-", "--enable-")):
                            if o.startswith(pre):
                                negations.append(inv + o[len(pre):])
            else:
                action_name = "BooleanOptionalAction"
                negations = ["--no-" + o[2:] for o in opts if o.startswith("--")]
        elif isinstance(action, ClassVal):
            action_name = action.name
            if "deprecat" in action.name.lower():
                deprecated = True
            if nargs is None and "nargs" not in kw:
                nargs = _custom_action_nargs(i, action)
            if nargs == 0:
                takes_value = False
        else:
            i.warn(f"{where}: unknown action for {canonical}")
            action_name = "unknown"
        if takes_value:
            entry.update(describe_type(i, engine, kw.get("type")))
        else:
            entry["type"] = "bool"
        if entry.get("opaque"):
            entry.pop("opaque")
            entry["opaqueParser"] = True
        choices, choice_null = _clean_choice_list(i, kw.get("choices"), f"{where} {canonical}")
        known = None
        metavar = kw.get("metavar")
        if isinstance(metavar, (list, tuple)):
            known, _ = _clean_choice_list(i, metavar, f"{where} {canonical} metavar")
        elif kw.get("__known__"):
            known, _ = _clean_choice_list(i, kw["__known__"], f"{where} {canonical} known")
        if choice_null:
            entry["nullable"] = True
        if isinstance(nargs, Unknown):
            i.warn(f"{where}: nargs unknown for {canonical}")
            nargs = None
        if "const" in kw and nargs == "?":
            entry["constWhenBare"] = kw["const"] if isinstance(kw["const"], (str, int, float, bool)) else True
        help_text = kw.get("help")
        if isinstance(help_text, str) and DEPRECATED_RE.search(help_text.split("\n\n")[0][:400]):
            deprecated = True
        entry.update({
            "takesValue": bool(takes_value),
            "action": action_name,
            "nargs": nargs if nargs not in (None,) else None,
            "choices": choices,
            "knownValues": known if not choices else None,
            "negatable": bool(negations),
            "negations": sorted(set(negations)),
            "deprecated": deprecated,
            "required": bool(kw.get("required") is True),
            "dest": kw.get("dest") if isinstance(kw.get("dest"), str) else canonical.lstrip("-").replace("-", "_"),
            "repeatable": action_name in ("append", "extend", "count"),
        })
        entry.setdefault("nullable", False)
        if canonical in flags:
            i.warn(f"{where}: conflicting option string {canonical} (argparse would raise)")
        flags[canonical] = entry
        for o in [canonical] + aliases + entry["negations"]:
            if o in index and index[o] != canonical:
                i.warn(f"{where}: option string {o} defined twice ({index[o]}, {canonical})")
            index[o] = canonical
    return {"flags": flags, "positionals": positionals}


# ----------------------------------------------------------------------------------------
# Engine drivers
# ----------------------------------------------------------------------------------------


def _has_enable_disable_action(i: Interp) -> bool:
    """vLLM maps BooleanOptionalAction to EnableDisableAction (adding `--disable-x` for
    `--enable-x`) only in releases whose argparse_utils defines it (not 0.32.0)."""
    mod = i.module("vllm.utils.argparse_utils")
    return mod is not None and any(
        isinstance(n, ast.ClassDef) and n.name == "EnableDisableAction" for n in ast.walk(mod.tree))


def check_fingerprints(i: Interp, targets: list[tuple[str, str, str | None]]) -> dict:
    out = {}
    for key, modname, attr in targets:
        mod = i.module(modname)
        node = None
        if mod is not None:
            parts = key.split(".")
            name = parts[-1]
            for n in ast.walk(mod.tree):
                if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name:
                    node = n
                    break
        if node is None:
            i.warn(f"fingerprint: {key} not found")
            continue
        fp = fingerprint(node)
        out[key] = fp
        if fp not in KNOWN_FINGERPRINTS.get(key, set()):
            i.warn(f"re-implemented engine code changed: {key} fingerprint {fp} "
                   f"(known: {sorted(KNOWN_FINGERPRINTS.get(key, set()))}); review extract.py")
    return out


def extract_vllm(tree: SourceTree) -> tuple[dict, Interp]:
    stubs = {
        # vLLM resolves current_platform lazily; model the CUDA platform.
        ("vllm.platforms", "current_platform"): Stub("current_platform", {"device_type": "cuda",
                                                                          "device_name": "cuda"}),
    }
    i = Interp(tree, stubs=stubs, sys_argv=["vllm", "serve"],
               skip_calls={"load_general_plugins", "init_logger", "pre_register_and_update"})
    vllm_intercepts(i)
    serve = i.module("vllm.entrypoints.cli.serve")
    sub_cls = i.lookup_global(serve, "ServeSubcommand")
    init = i.class_attr(sub_cls, "subparser_init", None)
    subparsers = SubparsersVal("flexible")  # main.py builds subparsers from FlexibleArgumentParser
    i.call(init, [Unknown("self"), subparsers], {}, None)
    if not subparsers.created:
        raise SystemExit("vllm: ServeSubcommand.subparser_init did not create a parser")
    rec = subparsers.created[0].recorder
    facts = build_facts(i, "vllm", rec)
    # Values validated after parsing against registries (not argparse choices).
    registries = [
        ("--tool-call-parser", "vllm.tool_parsers", "_TOOL_PARSERS_TO_REGISTER"),
        ("--reasoning-parser", "vllm.reasoning", "_REASONING_PARSERS_TO_REGISTER"),
    ]
    for flag, modname, var in registries:
        mod = i.module(modname)
        reg = i.lookup_global(mod, var) if mod else Unknown("")
        if isinstance(reg, dict) and flag in facts["flags"]:
            f = facts["flags"][flag]
            f["knownValues"] = sorted(k for k in reg if isinstance(k, str))
            f["knownValuesFrom"] = f"{mod.relpath}:{var}"
        else:
            i.warn(f"registry {modname}.{var} not found")
    fps = check_fingerprints(i, [
        ("vllm.engine.arg_utils._compute_kwargs", "vllm.engine.arg_utils", None),
        ("vllm.engine.arg_utils.literal_to_kwargs", "vllm.engine.arg_utils", None),
        ("vllm.engine.arg_utils.collection_to_kwargs", "vllm.engine.arg_utils", None),
        *([("vllm.utils.argparse_utils.EnableDisableAction", "vllm.utils.argparse_utils", None)]
          if _has_enable_disable_action(i) else []),
        ("vllm.utils.argparse_utils.FlexibleArgumentParser.parse_args", "vllm.utils.argparse_utils", None),
    ])
    facts["parser"] = {
        "class": "FlexibleArgumentParser",
        "entrypoint": ["vllm", "serve"],
        "definedIn": "vllm/entrypoints/cli/serve.py:ServeSubcommand.subparser_init",
        "underscoresAsDashes": True,
        "dottedJsonKeys": True,
        "optimizationLevelShorthand": True,
        "allowAbbrev": True,
        "modelPositional": True,
    }
    facts["fingerprints"] = fps
    facts["assumptions"] = ["platform=cuda (current_platform stub)", "no vLLM plugins installed",
                            "environment variables unset", "sys.argv=['vllm','serve'] (no --help)"]
    return facts, i


def extract_sglang(tree: SourceTree) -> tuple[dict, Interp]:
    i = Interp(tree, sys_argv=["sglang", "serve"], skip_calls={"load_plugins"})
    sa_mod = i.module("sglang.srt.server_args")
    if sa_mod is None:
        raise SystemExit("sglang: sglang/srt/server_args.py not found")
    server_args_cls = i.lookup_global(sa_mod, "ServerArgs")
    if not isinstance(server_args_cls, ClassVal):
        raise SystemExit("sglang: ServerArgs class not found")
    src = ast.unparse(sa_mod.tree)
    overrides = {}
    if "collect_input_fields(_INPUT_NAMESPACES)" in src:
        # ServerArgs = msgspec.defstruct(fields of every namespace struct in
        # _INPUT_NAMESPACES + ServerArgs' own annotations); see server_args.py.
        def server_args_fields() -> list[dict]:
            namespaces = i.lookup_global(sa_mod, "_INPUT_NAMESPACES")
            out: dict = {}
            for ns in namespaces if isinstance(namespaces, list) else []:
                if isinstance(ns, ClassVal):
                    for f in i.record_fields(ns):
                        out[f["name"]] = f
                else:
                    i.warn("sglang: unknown namespace in _INPUT_NAMESPACES")
            for f in i.record_fields_own(server_args_cls):
                out[f["name"]] = f
            return list(out.values())

        overrides[server_args_cls.qualname] = server_args_fields
    sglang_intercepts(i, overrides)
    parser = ParserVal(ParserRecorder("argparse"))
    add = i.class_attr(server_args_cls, "add_cli_args", None)
    i.call(add, [parser], {}, None)
    facts = build_facts(i, "sglang", parser.recorder)
    # `python -m sglang.compile_deep_gemm`: its __main__ block builds its own parser.
    cdg = i.module("sglang.compile_deep_gemm")
    rec = interpret_main_parser(i, cdg) if cdg is not None else None
    if rec is not None:
        extra = build_facts(i, "sglang", rec)["flags"]
        own = {k: v for k, v in extra.items() if k not in facts["flags"]}
        missing = sorted(set(facts["flags"]) - set(extra))
        facts["entrypoints"] = {"sglang.compile_deep_gemm": {
            "definedIn": f"{cdg.relpath}:__main__",
            "inheritsFlagsOf": "sglang.launch_server" if not missing else None,
            "flags": own,
        }}
    else:
        i.warn("sglang.compile_deep_gemm: no argparse parser found in its __main__ block")
    fps = check_fingerprints(i, [
        ("sglang.srt.arg_groups.arg_utils.add_cli_args_from_dataclass", "sglang.srt.arg_groups.arg_utils", None),
        ("sglang.srt.server_args.prepare_server_args", "sglang.srt.server_args", None),
    ])
    facts["parser"] = {
        "class": "argparse.ArgumentParser",
        "entrypoint": ["python", "-m", "sglang.launch_server"],
        "definedIn": "sglang/srt/server_args.py:prepare_server_args",
        "underscoresAsDashes": False,
        "dottedJsonKeys": False,
        "optimizationLevelShorthand": False,
        "allowAbbrev": True,
        "modelPositional": False,
    }
    facts["fingerprints"] = fps
    facts["assumptions"] = ["no SGLang plugins loaded", "environment variables unset",
                            "parser registries not imported before parsing (fresh process)"]
    return facts, i


def interpret_main_parser(i: Interp, mod: Module) -> ParserRecorder | None:
    """Run a module's `if __name__ == "__main__":` block up to `parse_args`, return its parser."""
    for stmt in mod.tree.body:
        if not (isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test)):
            continue
        frame = Frame(mod)
        for s in stmt.body:
            if "parse_args" in ast.unparse(s) or "parse_known_args" in ast.unparse(s):
                break
            i.exec_stmt(s, frame)
        for v in frame.locals.values():
            if isinstance(v, ParserVal):
                return v.recorder
    return None



# ----------------------------------------------------------------------------------------
# FP8: where the engine loads FP8 checkpoints (Fp8Config.get_min_capability)
# ----------------------------------------------------------------------------------------

FP8_MODULES = {
    "vllm": "vllm.model_executor.layers.quantization.fp8",
    "sglang": "sglang.srt.layers.quantization.fp8",
}
# FP8 tensor cores exist from compute capability 8.9 (Ada, Hopper, Blackwell); below it the
# engines run FP8 checkpoints weight-only (vLLM: MarlinFP8ScaledMMLinearKernel, "for GPUs
# that lack FP8 hardware support"). A hardware fact, not read from the engine source.
FP8_FULL_SPEED_CAPABILITY = 89


def fp8_facts(tree: SourceTree, engine: str, warn) -> dict | None:
    """{"minCapability", "fullSpeedCapability", "source": "file:line"} from Fp8Config.get_min_capability.

    The last `return` of the method is the CUDA answer (earlier ones are NPU/MUSA/ROCm
    branches); `return 100 if self.use_mxfp8 else 80` is read as the plain-FP8 branch, 80.
    """
    mod = tree.load(FP8_MODULES[engine])
    if mod is None:
        warn(f"fp8: {FP8_MODULES[engine]} not found")
        return None
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.ClassDef) and node.name == "Fp8Config":
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "get_min_capability":
                    returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
                    last = max(returns, key=lambda r: r.lineno) if returns else None
                    value = last.value if last else None
                    if isinstance(value, ast.IfExp):
                        value = value.orelse
                    if isinstance(value, ast.Constant) and isinstance(value.value, int):
                        return {"minCapability": value.value, "fullSpeedCapability": FP8_FULL_SPEED_CAPABILITY,
                                "source": f"{mod.relpath}:{last.lineno}"}
    warn(f"fp8: Fp8Config.get_min_capability not understood in {mod.relpath}")
    return None


def extract(engine: str, version: str, cache: Path, timings: dict | None = None) -> dict:
    timings = {} if timings is None else timings
    src_dir = ensure_source(engine, version, cache, timings)
    t0 = time.monotonic()
    tree = SourceTree(src_dir, ENGINES[engine]["package"])
    facts, interp = (extract_vllm if engine == "vllm" else extract_sglang)(tree)
    fp8 = fp8_facts(tree, engine, interp.warn)
    if fp8:
        facts["fp8"] = fp8
    timings["analyze_s"] = round(time.monotonic() - t0, 2)
    meta = json.loads((src_dir / ".complete.json").read_text())
    out = {
        "schema": SCHEMA_VERSION,
        "engine": engine,
        "version": version,
        "distribution": {"filename": meta["filename"], "sha256": meta["sha256"], "size": meta["size"]},
        "source": dict(sorted(tree.files_read.items())),
        **facts,
        "notes": sorted(interp.notes),
        "warnings": sorted(interp.warnings),
    }
    return out


def dumps(facts: dict) -> str:
    """Deterministic JSON: sorted keys, one line per flag / source file (diff-friendly)."""
    def enc(v: Any) -> str:
        return json.dumps(v, sort_keys=True, ensure_ascii=False)

    keys = sorted(facts)
    lines = ["{"]
    for n, k in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        v = facts[k]
        if isinstance(v, dict) and k in ("flags", "source", "fingerprints", "entrypoints") and v:
            lines.append(f" {enc(k)}: {{")
            sub = sorted(v)
            for m, sk in enumerate(sub):
                lines.append(f"  {enc(sk)}: {enc(v[sk])}{',' if m < len(sub) - 1 else ''}")
            lines.append(f" }}{comma}")
        elif isinstance(v, list) and v:
            lines.append(f" {enc(k)}: [")
            for m, item in enumerate(v):
                lines.append(f"  {enc(item)}{',' if m < len(v) - 1 else ''}")
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {enc(k)}: {enc(v)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------
# Programmatic entry for tests: extract from an in-memory / on-disk source tree
# ----------------------------------------------------------------------------------------


def extract_from_dir(engine: str, src_dir: Path) -> dict:
    tree = SourceTree(src_dir, ENGINES[engine]["package"])
    facts, interp = (extract_vllm if engine == "vllm" else extract_sglang)(tree)
    facts["warnings"] = sorted(interp.warnings)
    facts["notes"] = sorted(interp.notes)
    facts["source"] = dict(sorted(tree.files_read.items()))
    return facts


# ----------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------


def load_pins() -> dict:
    return json.loads(PINS_FILE.read_text())


def facts_path(engine: str, version: str) -> Path:
    return FACTS_DIR / f"{engine}-{version}.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=sorted(ENGINES))
    ap.add_argument("--version", help="engine version (default: pinned in pins.json)")
    ap.add_argument("--all", action="store_true", help="every engine at its pinned version")
    ap.add_argument("--cache", help="source cache dir (default $ROUSE_ENGINE_SRC_CACHE or .cache/engine-src)")
    ap.add_argument("--out", help="write facts JSON here (default: stdout)")
    ap.add_argument("--write", action="store_true", help="write facts/<engine>-<version>.json")
    ap.add_argument("--check", action="store_true", help="compare with facts/<engine>-<version>.json; exit 1 on drift")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the extraction produced warnings")
    ap.add_argument("--timings", action="store_true", help="print download/extract/analyze timings to stderr")
    args = ap.parse_args(argv)

    pins = load_pins()
    if args.all:
        targets = sorted(pins.items())
    elif args.engine:
        targets = [(args.engine, args.version or pins[args.engine])]
    else:
        ap.error("--engine or --all is required")
    cache = cache_root(args.cache)
    rc = 0
    for engine, version in targets:
        timings: dict = {}
        t0 = time.monotonic()
        facts = extract(engine, version, cache, timings)
        timings["total_s"] = round(time.monotonic() - t0, 2)
        if args.timings:
            log(f"{engine} {version}: {json.dumps(timings, sort_keys=True)}")
        text = dumps(facts)
        if facts["warnings"]:
            for w in facts["warnings"]:
                log(f"{engine}: warning: {w}")
            if args.strict:
                rc = 1
        if args.check:
            path = facts_path(engine, version)
            if not path.is_file():
                log(f"{engine}: {path} missing")
                rc = 1
            elif path.read_text() != text:
                old = json.loads(path.read_text())
                _report_drift(engine, old, facts)
                rc = 1
            else:
                log(f"{engine} {version}: facts up to date ({len(facts['flags'])} flags)")
        if args.write:
            FACTS_DIR.mkdir(exist_ok=True)
            facts_path(engine, version).write_text(text)
            log(f"wrote {facts_path(engine, version).relative_to(REPO_ROOT)} ({len(facts['flags'])} flags)")
        if args.out:
            Path(args.out).write_text(text)
        elif not args.write and not args.check:
            sys.stdout.write(text)
    return rc


def _report_drift(engine: str, old: dict, new: dict) -> None:
    of, nf = old.get("flags", {}), new.get("flags", {})
    for k in sorted(set(of) - set(nf)):
        log(f"{engine}: drift: flag removed {k}")
    for k in sorted(set(nf) - set(of)):
        log(f"{engine}: drift: flag added {k}")
    for k in sorted(set(of) & set(nf)):
        if of[k] != nf[k]:
            keys = sorted(x for x in set(of[k]) | set(nf[k]) if of[k].get(x) != nf[k].get(x))
            log(f"{engine}: drift: {k} changed: {', '.join(keys)}")
    for key in ("source", "distribution", "warnings", "notes", "parser", "positionals"):
        if old.get(key) != new.get(key):
            log(f"{engine}: drift: '{key}' differs")


if __name__ == "__main__":
    sys.exit(main())
