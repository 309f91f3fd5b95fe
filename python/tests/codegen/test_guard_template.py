"""The guard template itself (packages/codegen/src/app/templates/guard.py), read directly:
whatever request target a client sends, a path the guard forwards never reaches an admin
endpoint, however the engine's server might resolve it. Property-based, with each emitted
preset's real route table and admin paths."""

import itertools
import posixpath
import sys
import urllib.parse
from pathlib import Path

from codegen_support import load_case
from codegen_support import load_template as load_guard_template
from hypothesis import given, settings
from hypothesis import strategies as st

TEMPLATE = Path(__file__).resolve().parents[3] / "packages/codegen/src/app/templates/guard.py"
_names = itertools.count()


def load_template(routes: dict | None = None):
    return load_guard_template(TEMPLATE, f"rouse_guard_template_{next(_names)}", routes)


def server_views(path: str):
    """The paths a server could route `path` (the decoded path the guard decided on) to:
    decoding again, backslashes as slashes, path parameters stripped, dot segments
    resolved, empty segments merged, trailing slashes dropped (a redirect)."""
    for p in {path, urllib.parse.unquote(path)}:
        p = p.replace("\\", "/").split(";", 1)[0]
        merged = "/" + "/".join(s for s in p.split("/") if s)
        for q in {p, merged, posixpath.normpath(merged) if merged != "/" else "/"}:
            yield q
            yield q.rstrip("/") or "/"


def reaches_admin(view: str, admin: list[str]) -> bool:
    return any(view == a or (a.endswith("/") and view.startswith(a)) for a in admin)


def targets(admin: list[str], routes: dict):
    """Request paths shaped like an attack: an allowed route's prefix, pieces that change how
    servers read a path, then an admin path in some spelling."""
    tricky = ["/", "/..", "/.", "/%2e%2e", "/%2E.", "%2f..", "%2F%2e", "/%252e%252e", "%5c..", "\\..", "//"]
    tricky += [";x", "%3b", "%00", " ", "%20", "/x", "%25"]
    prefixes = [""] + [r.rstrip("/") for r, access in routes.items() if access != "private"]
    # Admin paths under an allowed prefix (a private exception to a prefix rule) are the
    # likeliest to slip through, so they are drawn as often as all the others together.
    nested = [a for a in admin if any(a.startswith(p + "/") for p in prefixes if p)] or admin
    spellings = st.sampled_from(["{}", "{}/", "{}//", "UPPER", "pct"])
    tail = st.tuples(st.one_of(st.sampled_from(nested), st.sampled_from(admin)), spellings).map(spell)
    return st.tuples(st.sampled_from(prefixes), st.lists(st.sampled_from(tricky), max_size=3), tail).map(
        lambda t: "/" + (t[0] + "".join(t[1]) + t[2]).lstrip("/")
    )


def spell(pair) -> str:
    path, how = pair
    if how == "UPPER":
        return path.upper()
    if how == "pct":
        return "".join(f"%{ord(c):02x}" if c.isalpha() else c for c in path)
    return how.format(path)


def check_case(case_dir):
    case = load_case(case_dir)
    lifecycle = case["plan"]["lifecycle"]
    routes = {}
    for r in lifecycle["routes"]:
        routes.setdefault(r["path"], r["access"])
    admin = lifecycle["adminPaths"]
    guard = load_template(routes)

    @settings(max_examples=1000, deadline=None, derandomize=True)
    @given(targets(admin, routes))
    def forwarded_never_admin(raw: str):
        path = urllib.parse.unquote(raw)  # as the guard decides
        if guard.is_ambiguous(path) or guard.route_access(path) == "private":
            return  # refused
        for view in server_views(path):
            assert not reaches_admin(view, admin), (raw, path, view)

    forwarded_never_admin()
    # The property can fail: an admin path passes when the guard's refusal is bypassed.
    assert any(reaches_admin(v, admin) for v in server_views(admin[0]))


def test_forwarded_paths_never_reach_admin(proxied_case):
    check_case(proxied_case)


def test_template_defaults_are_safe():
    """The template as it stands (its own ROUTES): admin-like and unlisted paths are private."""
    guard = load_template()
    assert guard.route_access("/health") == "public"
    assert guard.route_access("/v1/chat/completions") == "key"
    for path in ("/sleep", "/wake_up", "/collective_rpc", "/", "/docs", "/health/x"):
        assert guard.route_access(path) == "private", path
    for path in ("/v1/../sleep", "//sleep", "/v1\\..\\sleep", "/sleep;x", "/v1/%2e", "/v1/x%00", "/v1/%"):
        assert guard.is_ambiguous(path), path
    assert not guard.is_ambiguous("/v1/models/Qwen/Qwen3-8B")


def test_event_loop_uvloop_when_present(monkeypatch):
    """uvloop's loop where the image has it; asyncio's where it does not (no crash)."""
    import asyncio
    import types

    guard = load_template()
    monkeypatch.setitem(sys.modules, "uvloop", None)  # not installed
    loop = guard.new_event_loop()
    assert type(loop).__module__.startswith("asyncio")
    loop.close()
    made = []
    fake = types.SimpleNamespace(new_event_loop=lambda: made.append(asyncio.new_event_loop()) or made[-1])
    monkeypatch.setitem(sys.modules, "uvloop", fake)
    assert guard.new_event_loop() is made[0]
    made[0].close()


def test_key_compared_in_constant_time_only():
    """Timing cannot be asserted here, so the structure is: the expected key is compared with
    hmac.compare_digest and with nothing else (no ==, !=, `in`, startswith)."""
    import ast

    tree = ast.parse(TEMPLATE.read_text())
    uses = []
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Name) and child.id == "expected" and isinstance(child.ctx, ast.Load):
                uses.append(node)
    assert uses, "the template no longer has an `expected` key"
    for node in uses:
        if isinstance(node, ast.Compare):
            assert all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops), ast.unparse(node)
            assert all(isinstance(c, ast.Constant) and c.value is None for c in node.comparators)
        else:
            assert isinstance(node, ast.Call) and ast.unparse(node.func) == "hmac.compare_digest", ast.unparse(node)
