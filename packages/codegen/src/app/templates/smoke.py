# rouse:prelude
# The smoke test of every emitted app.py: wait for /health, then stream one chat
# completion. Real Python that ruff and pytest read directly (see ../emit/template.ts
# for the markers). This prelude is not emitted: its imports join app.py's import block,
# and the names below are defined in app.py's header (the values here serve tests and
# linters only).
import json
import os
import time
import urllib.request

MINUTES = 60
MODEL = "template-model"
STARTUP_TIMEOUT = 600
API_KEY_ENV = "ROUSE_TEMPLATE_API_KEY"
PROXY_TOKEN_ENV = ["ROUSE_PROXY_TOKEN_ID", "ROUSE_PROXY_TOKEN_SECRET"]


# rouse:end-prelude
def smoke_test(url: str, timeout: float = STARTUP_TIMEOUT) -> None:
    """Waits for /health, then streams one chat completion and prints it."""
    headers = {"Content-Type": "application/json"}
    # rouse:if api-key
    key = os.environ.get(API_KEY_ENV)
    if not key:
        raise SystemExit(f"set {API_KEY_ENV} to the API key clients send")
    headers["Authorization"] = f"Bearer {key}"
    # rouse:end-if
    # rouse:if proxy-auth
    token_id, token_secret = (os.environ.get(name) for name in PROXY_TOKEN_ENV)
    if not (token_id and token_secret):
        raise SystemExit(" and ".join(PROXY_TOKEN_ENV) + ": set a Modal proxy token")
    headers.update({"Modal-Key": token_id, "Modal-Secret": token_secret})
    # rouse:end-if
    deadline = time.monotonic() + timeout
    print(f"Waiting for {url}/health (a cold start can take minutes)")
    while True:
        try:
            request = urllib.request.Request(url + "/health", headers=headers)
            with urllib.request.urlopen(request, timeout=60):
                break
        except OSError as e:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} is not healthy after {timeout:.0f} s") from e
            time.sleep(5)

    payload = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Tell me a joke."}],
        "max_tokens": 256,
        "stream": True,
    }
    print(f"Streaming a chat completion from {url}")
    data = json.dumps(payload).encode()
    request = urllib.request.Request(url + "/v1/chat/completions", data, headers)
    with urllib.request.urlopen(request, timeout=5 * MINUTES) as response:
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line.removeprefix("data: "))["choices"]:
                print(choice["delta"].get("content") or "", end="", flush=True)
        print(f"\n(container: {response.headers.get('x-rouse-boot')})")
