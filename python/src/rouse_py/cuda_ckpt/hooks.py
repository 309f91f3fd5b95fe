"""Pre-suspend / post-resume hooks: ask the engine to release caches before the checkpoint moves them.

The checkpoint copies every allocated device byte (weights, KV cache, the allocator's cached
blocks, scratch). An engine that frees what it can rebuild before the suspend makes both the
checkpoint and the restore move less. Examples of release actions:

- a PyTorch server: drop its KV/scratch tensors, then ``torch.cuda.empty_cache()``
- vLLM (started with ``--enable-sleep-mode``, dev endpoints on): ``POST /sleep?level=1`` and after resume
  ``POST /wake_up``
- SGLang: ``POST /release_memory_occupation`` (tags e.g. ["kv_cache"]) and ``POST /resume_memory_occupation``

A hook is any object with a ``name`` and a ``__call__() -> dict | None``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Hook(Protocol):
    name: str

    def __call__(self) -> dict[str, Any] | None: ...


class HookFailed(Exception):
    def __init__(self, name: str, cause: BaseException) -> None:
        self.hook = name
        self.cause = cause
        super().__init__(f"hook {name} failed: {cause}")


@dataclass
class CallableHook:
    """Wrap a plain function (in-process use)."""

    name: str
    fn: Callable[[], dict[str, Any] | None]

    def __call__(self) -> dict[str, Any] | None:
        return self.fn()


@dataclass
class HttpHook:
    """An HTTP request that must answer 2xx. Spec form for the CLI: ``[METHOD ]URL[ BODY]`` (default POST)."""

    url: str
    method: str = "POST"
    body: str | None = None
    timeout_s: float = 120.0
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    @property
    def name(self) -> str:
        return f"{self.method} {self.url}"

    @classmethod
    def parse(cls, spec: str, timeout_s: float = 120.0) -> HttpHook:
        parts = spec.strip().split(None, 2)
        if not parts:
            raise ValueError("empty hook spec")
        if parts[0].upper() in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            if len(parts) < 2:
                raise ValueError(f"hook spec {spec!r} has a method but no URL")
            method, url, body = parts[0].upper(), parts[1], parts[2] if len(parts) > 2 else None
        else:
            method, url = "POST", parts[0]
            body = spec.strip()[len(url) :].strip() or None
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"hook URL must start with http:// or https://: {url!r}")
        return cls(url=url, method=method, body=body, timeout_s=timeout_s)

    def __call__(self) -> dict[str, Any] | None:
        data = (
            self.body.encode() if self.body is not None else (b"" if self.method in ("POST", "PUT", "PATCH") else None)
        )
        req = urllib.request.Request(self.url, data=data, method=self.method, headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                status = resp.status
                text = resp.read(65536).decode(errors="replace")
        except urllib.error.HTTPError as e:
            raise RuntimeError(
                f"HTTP {e.code} from {self.method} {self.url}: {e.read(500).decode(errors='replace')}"
            ) from e
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError(f"{self.method} {self.url}: {e}") from e
        out: dict[str, Any] = {"status": status}
        try:
            out["response"] = json.loads(text) if text else None
        except json.JSONDecodeError:
            out["response"] = text[:500]
        return out
