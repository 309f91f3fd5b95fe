"""STAND-IN for the ``modal`` package (not Modal): only what a generated app.py needs at import
time, so ``rouse_py.gpu_recipe`` can call the class's container-side methods where the real SDK
cannot be imported. It records the lifecycle decorators' flags (the names of the real SDK's
``_PartialFunctionFlags``) and nothing else: images, volumes and secrets are inert placeholders.
The recipe driver prefers the real SDK and says in its results which one ran.
"""

from __future__ import annotations

__version__ = "stub"


class _Inert:
    """Image/Volume/Secret placeholder: every attribute is a method returning another placeholder."""

    def __init__(self, what: str = "inert"):
        self._what = what

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: _Inert(f"{self._what}.{name}")

    def __repr__(self) -> str:
        return f"<gpu_modal_stub {self._what}>"


Image = _Inert("Image")
Volume = _Inert("Volume")
Secret = _Inert("Secret")
Cls = _Inert("Cls")
Function = _Inert("Function")
Server = _Inert("Server")


class exception:  # noqa: N801 — mirrors modal.exception
    class NotFoundError(Exception):
        pass


def _flagged(flag: str, raw):
    if hasattr(raw, "__wrapped_raw__"):  # stacked decorators keep the first function
        raw.__rouse_flags__ = (*raw.__rouse_flags__, flag)
        return raw

    def marker(*args, **kwargs):
        return raw(*args, **kwargs)

    marker.__wrapped_raw__ = raw
    marker.__rouse_flags__ = (flag,)
    return marker


def enter(*, snap: bool = False):
    return lambda f: _flagged("ENTER_PRE_SNAPSHOT" if snap else "ENTER_POST_SNAPSHOT", f)


def exit():  # noqa: A001 — mirrors modal.exit
    return lambda f: _flagged("EXIT", f)


def web_server(port: int, **_kwargs):
    return lambda f: _flagged("WEB_INTERFACE", f)


def concurrent(**_kwargs):
    return lambda cls: cls


class App:
    def __init__(self, name: str | None = None, **_kwargs):
        self.name = name

    def cls(self, **_kwargs):
        def mark(user_cls):
            user_cls.__rouse_stub_cls__ = True
            return user_cls

        return mark

    def function(self, **_kwargs):
        return lambda f: f

    def local_entrypoint(self, **_kwargs):
        return lambda f: f

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: lambda f: f
