# rouse:prelude
# The route rules of both guards: asgi_guard.py (inside the engine's server) and guard.py
# (a proxy in front of it). Codegen emits this body where either guard has its
# `# rouse:fill route-rules` line, with ROUTES filled from the engine plugin, so the two
# apply the same rules from one source. Real Python that ruff, pyright and pytest read.
# rouse:end-prelude
# Outside access per path, from the engine plugin.
ROUTES = {"/health": "public", "/v1/": "key", "/metrics": "key"}


def route_access(path: str) -> str:
    """The stricter access of path with and without trailing slashes: a server may
    redirect "/sleep/" to "/sleep", so a slash must not dodge a private rule."""
    found = {first_rule(path), first_rule(path.rstrip("/"))}
    return max(found, key=("public", "key", "private").index)


def first_rule(path: str) -> str:
    """The first matching rule wins; rules ending in "/" are prefixes; unlisted: private."""
    for rule, access in ROUTES.items():
        if path == rule or (rule.endswith("/") and path.startswith(rule)):
            return access
    return "private"


def is_ambiguous(path: str) -> bool:
    """Paths a server could resolve differently from route_access: dot segments, empty
    segments ("//"), backslashes, ";" (path parameters, which some servers strip), "%"
    left after decoding (a server that decodes twice), spaces and control characters are
    refused rather than interpreted."""
    segments = path.split("/")
    if segments[0] != "" or any(c in "\\;%" or c <= " " or c == "\x7f" for c in path):
        return True
    return any(s in (".", "..") for s in segments) or "" in segments[1:-1]
