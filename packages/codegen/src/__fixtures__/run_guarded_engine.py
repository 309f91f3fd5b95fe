"""Starts a REAL vLLM (the CPU build) the way an emitted app.py does, guard inside.

    python run_guarded_engine.py APP_PY VLLM PORT

Imports app.py (the real modal SDK), points its ENGINE_CMD at the CPU build's `vllm` and at
PORT, and calls the app's own start_engine() (guard module written, guard_env, --api-key from
the secret's variable) and wait_ready(). Then prints one JSON line: the admin token, what the
app's own engine_call got from an admin route (it carries the token), and a chat completion
streamed through the guard with the official openai SDK. Stops the engine when stdin closes.
"""

import importlib.util
import json
import signal
import subprocess
import sys

import openai


def main(app_py: str, vllm: str, port: int) -> None:
    # SIGTERM ends this process through `finally`, so the engine is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    spec = importlib.util.spec_from_file_location("emitted_app", app_py)
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    cmd = app.ENGINE_CMD
    assert cmd[0] == "vllm" and cmd[-2:] == [
        "--middleware",
        "rouse_guard.RouseGuard",
    ], cmd
    cmd[0] = vllm
    cmd[cmd.index("--port") + 1] = str(port)
    app.ENGINE_PORT = port
    engine = app.start_engine()
    try:
        app.wait_ready(engine, timeout=600)
        admin = json.loads(app.engine_call("GET", "/is_sleeping"))
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1",
            api_key=app.os.environ[app.API_KEY_ENV],
        )
        stream = client.chat.completions.create(
            model=app.MODEL,
            messages=[{"role": "user", "content": "hi"}],
            max_tokens=8,
            stream=True,
        )
        chunks = sum(1 for _ in stream)
        report = {"token": app.ADMIN_TOKEN, "admin": admin, "chunks": chunks}
        print(json.dumps(report), flush=True)
        sys.stdin.read()  # until the test is done
    finally:
        engine.terminate()
        try:
            engine.wait(60)
        except subprocess.TimeoutExpired:
            engine.kill()
            engine.wait(10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
