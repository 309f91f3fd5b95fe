import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { sectionText } from "./shared.ts";

/** Health check + one streamed chat, from `modal run` (local entrypoint) and `python app.py`. */
export function emitClient(p: PyPrinter, plan: AppPlan): void {
  p.import("json").import("time").import("urllib.request");
  if (plan.apiKey || plan.proxyAuth) p.import("os");
  const comment = sectionText(
    "Smoke test",
    "`modal run app.py` starts a temporary replica and runs `test` on your machine; `python app.py` checks the deployed app. Standard library only, so it runs wherever modal does.",
  );
  p.definition(
    { header: "def smoke_test(url: str, timeout: float = STARTUP_TIMEOUT) -> None:", comment },
    () => {
      p.code('"""Waits for /health, then streams one chat completion and prints it."""');
      p.code('headers = {"Content-Type": "application/json"}');
      if (plan.apiKey) {
        p.code("key = os.environ.get(API_KEY_ENV)");
        p.block("if not key:", () =>
          p.code('raise SystemExit(f"set {API_KEY_ENV} to the API key clients send")'),
        );
        p.code('headers["Authorization"] = f"Bearer {key}"');
      }
      if (plan.proxyAuth) {
        p.code("token_id, token_secret = (os.environ.get(name) for name in PROXY_TOKEN_ENV)");
        p.block("if not (token_id and token_secret):", () =>
          p.code('raise SystemExit(" and ".join(PROXY_TOKEN_ENV) + ": set a Modal proxy token")'),
        );
        p.code('headers.update({"Modal-Key": token_id, "Modal-Secret": token_secret})');
      }
      p.verbatim(String.raw`
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
`);
    },
  );

  const { local, deployed } = urls(plan);
  p.definition(
    { header: "def test(timeout: int = STARTUP_TIMEOUT):", decorators: ["@app.local_entrypoint()"] },
    () => p.code(`smoke_test(${local}, timeout)`),
  );
  p.blank(2);
  p.block('if __name__ == "__main__":', () => {
    p.comment("After `modal deploy app.py`, the app can be looked up by name from anywhere.");
    p.block("try:", () => p.code(`url = ${deployed}`));
    p.block("except modal.exception.NotFoundError as e:", () => {
      p.code('hint = f"{APP_NAME} is not deployed: run `modal deploy {__file__}` first"');
      p.code("raise SystemExit(hint) from e");
    });
    p.code("smoke_test(url)");
  });
}

/** Where the URL comes from, inside `modal run` and for a deployed app (fixed names only). */
function urls(plan: AppPlan): { local: string; deployed: string } {
  const cls = plan.className;
  if (plan.style === "server") {
    return { local: `${cls}.get_url()`, deployed: `modal.Server.from_name(APP_NAME, "${cls}").get_url()` };
  }
  if (plan.snapshot.enabled) {
    return {
      local: `${cls}().serve.get_web_url()`,
      deployed: `modal.Cls.from_name(APP_NAME, "${cls}")().serve.get_web_url()`,
    };
  }
  return {
    local: "serve.get_web_url()",
    deployed: 'modal.Function.from_name(APP_NAME, "serve").get_web_url()',
  };
}
