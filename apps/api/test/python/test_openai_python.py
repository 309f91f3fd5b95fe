"""The rouse gateway driven by the official `openai` Python SDK.

Starts the fake upstream (packages/client/src/test-server.ts, @rouse/client/testing) and the gateway
(apps/api/src/main.ts) as Node subprocesses on loopback, then talks to the gateway
with `openai.OpenAI`. Needs Node >= 24 (ROUSE_NODE, .tools/node, or PATH).
Run: python/.venv/bin/python -m pytest -q apps/api/test/python
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

openai = pytest.importorskip("openai")

ROOT = Path(__file__).resolve().parents[4]
KEY = "sk-python-sdk-test"


def _node() -> str:
    candidates = [
        os.environ.get("ROUSE_NODE"),
        str(ROOT / ".tools/node/node_modules/node/bin/node"),
        shutil.which("node"),
    ]
    for c in candidates:
        if c and Path(c).exists():
            return c
    pytest.skip("node not found (set ROUSE_NODE)")
    raise AssertionError  # unreachable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 (loopback only)
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up")


class Stack:
    def __init__(self, tmp: Path, standin_args: list[str], gateway: dict[str, object] | None = None) -> None:
        node = _node()
        self.procs: list[subprocess.Popen[str]] = []
        up_port = _free_port()
        self.procs.append(
            subprocess.Popen(
                [node, "packages/client/src/test-server.ts", "--port", str(up_port), "--model", "standin"]
                + standin_args,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                text=True,
            )
        )
        gw_port = _free_port()
        config = tmp / "gateway.yaml"
        config.write_text(
            json.dumps(
                {
                    "version": 1,
                    "listen": {"host": "127.0.0.1", "port": gw_port},
                    "auth": {"keys": [{"name": "python", "sha256": hashlib.sha256(KEY.encode()).hexdigest()}]},
                    "queue": {"maxWaitMs": 20000},
                    "upstreams": [{"name": "standin", "url": f"http://127.0.0.1:{up_port}/v1", "models": ["standin"]}],
                    **(gateway or {}),
                }
            )
        )
        self.log = (tmp / "gateway.log").open("w")
        self.procs.append(
            subprocess.Popen(
                [node, "--conditions=@rouse/source", "apps/api/src/main.ts", "--config", str(config)],
                cwd=ROOT,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
        self.url = f"http://127.0.0.1:{gw_port}"
        _wait(f"{self.url}/healthz")
        self.client = openai.OpenAI(base_url=f"{self.url}/v1", api_key=KEY, max_retries=0, timeout=20)

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.log.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path, ["--tokens", "6", "--chunk-delay-ms", "5"])
    yield s
    s.close()


def test_chat_plain(stack: Stack) -> None:
    raw = stack.client.chat.completions.with_raw_response.create(
        model="standin", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-rouse-cold-start"] == "false"
    assert int(raw.headers["x-rouse-queue-ms"]) >= 0
    assert raw.headers["x-request-id"]
    completion = raw.parse()
    assert completion.choices[0].message.content == "The quick brown fox jumps over"


def test_chat_streamed(stack: Stack) -> None:
    stream = stack.client.chat.completions.create(
        model="standin", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    parts = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert "".join(parts) == "The quick brown fox jumps over"


def test_models_and_errors(stack: Stack) -> None:
    assert [m.id for m in stack.client.models.list().data] == ["standin"]
    with pytest.raises(openai.NotFoundError):
        stack.client.chat.completions.create(model="nope", messages=[])
    bad = openai.OpenAI(base_url=f"{stack.url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="standin", messages=[])


def test_cold_start_wait(tmp_path: Path) -> None:
    # The upstream refuses connections for 5 s (engine still loading; longer than the gateway takes to start on
    # a loaded machine): the request waits and succeeds.
    s = Stack(tmp_path, ["--tokens", "3", "--refuse-ms", "5000"])
    try:
        raw = s.client.chat.completions.with_raw_response.create(model="standin", messages=[])
        assert raw.headers["x-rouse-cold-start"] == "true"
        assert int(raw.headers["x-rouse-queue-ms"]) > 0
        assert raw.parse().choices[0].message.content == "The quick brown"
    finally:
        s.close()


def test_upstream_that_was_up_and_now_refuses(tmp_path: Path) -> None:
    # Issue #14 item 5: a crash is not a cold start. After one good answer the upstream dies; the next
    # request gets 503 upstream_refusing after the short grace, not a 20 s cold-start wait.
    s = Stack(tmp_path, ["--tokens", "3"], {"timeouts": {"refusingGraceMs": 300}})
    try:
        s.client.chat.completions.create(model="standin", messages=[])
        s.procs[0].kill()
        s.procs[0].wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(openai.InternalServerError) as caught:
            s.client.chat.completions.create(model="standin", messages=[])
        assert time.monotonic() - started < 10
        assert caught.value.status_code == 503
        assert caught.value.code == "upstream_refusing"
        assert "was up" in caught.value.message
        assert caught.value.response.headers["retry-after"].isdigit()
    finally:
        s.close()


def test_random_models_do_not_grow_metrics(stack: Stack) -> None:
    # Issue #14 item 2: label values only from configured models; unknown ones share `other`.
    for i in range(100):
        with pytest.raises(openai.NotFoundError):
            stack.client.chat.completions.create(model=f"random-{i}-{os.urandom(4).hex()}", messages=[])
    with urllib.request.urlopen(f"{stack.url}/metrics", timeout=5) as r:  # noqa: S310 (loopback only)
        text = r.read().decode()
    assert "random-" not in text
    assert 'model="other"} 100' in text
    assert "process_resident_memory_bytes" in text


def test_rate_limit_is_one_path(tmp_path: Path) -> None:
    # Issue #14 item 1: a key limited to 1 request/minute is limited on every route alike.
    keys = [{"name": "slow", "sha256": hashlib.sha256(KEY.encode()).hexdigest(), "requestsPerMinute": 1}]
    s = Stack(tmp_path, ["--tokens", "3"], {"auth": {"keys": keys}})
    try:
        assert [m.id for m in s.client.models.list().data] == ["standin"]
        with pytest.raises(openai.RateLimitError):
            s.client.chat.completions.create(model="standin", messages=[])
    finally:
        s.close()
