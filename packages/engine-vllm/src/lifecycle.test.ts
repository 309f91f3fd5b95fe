import { parseDeployment } from "@rouse/config";
import { EngineExitedError, EngineLifecycleError, EngineUnsupportedError } from "@rouse/engine-spec";
import { afterEach, describe, expect, it } from "vitest";
import {
  type RunningStandin,
  spawnStandin,
  standinExecutable,
  freePort,
} from "../../../tools/engine-standin/spawn.ts";
import { vllm } from "./plugin.ts";

// The lifecycle client against the STAND-IN ENGINE (tools/engine-standin), run as a
// real process that imitates vLLM's HTTP surface and quirks.

const config = parseDeployment({ version: 1, model: { id: "org/Model-7B" }, engine: { kind: "vllm" } });
const running: RunningStandin[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function start(args: string[] = [], env: NodeJS.ProcessEnv = { VLLM_SERVER_DEV_MODE: "1" }) {
  const standin = await spawnStandin({
    engine: "vllm",
    args: [
      "serve",
      "org/Model-7B",
      "--served-model-name",
      "org/Model-7B",
      "llm",
      "--load-ms",
      "200",
      ...args,
    ],
    env,
  });
  running.push(standin);
  return standin;
}

function chat(baseUrl: string, body: object = {}, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "llm",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 4,
      ...body,
    }),
  });
}

describe("vllm lifecycle client against the stand-in engine", () => {
  it("waits for the port, warms up, reads health and metrics", async () => {
    const s = await start();
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    expect(await client.health()).toBe(true);
    await client.warmup({ count: 2 });
    const metrics = await client.metrics();
    expect(metrics.runningRequests).toBe(0);
    expect(metrics.waitingRequests).toBe(0);
    expect(metrics.kvCacheUsage).toBe(0);
    expect(metrics.timeToFirstToken?.count).toBe(2);
    expect(metrics.samples['vllm:num_requests_running{engine="0",model_name="org/Model-7B"}']).toBe(0);
  });

  it("sleep that answers before the engine sleeps: the client polls /is_sleeping until it agrees", async () => {
    // vLLM 0.33 answers after sleeping (FACTS.md V5); the client must not depend on it.
    const s = await start(["--sleep-delay-ms", "400", "--sleep-returns-early"]);
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });

    // The raw call: answered at once, still awake.
    const raw = await fetch(`${s.baseUrl}/sleep?level=1`, { method: "POST" });
    expect(raw.status).toBe(200);
    expect(await client.isSleeping()).toBe(false);
    await client.wakeUp();

    const started = Date.now();
    await client.sleep();
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(await client.isSleeping()).toBe(true);
    expect(await client.health()).toBe(true); // /health stays 200 while asleep
    await client.wakeUp();
    expect(await client.isSleeping()).toBe(false);
  });

  it("sleep that answers after sleeping (vLLM 0.33) is confirmed at once", async () => {
    const s = await start(["--sleep-delay-ms", "300"]);
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    const raw = await fetch(`${s.baseUrl}/sleep?level=1`, { method: "POST" });
    expect(await raw.json()).toEqual({ status: "sleeping", level: 1 });
    expect(await client.isSleeping()).toBe(true);
    await client.wakeUp();
    await client.sleep({ level: 2 });
    expect(await client.isSleeping()).toBe(true);
  });

  it("sleep level 2: wakeUp reloads the weights and resets the prefix cache, so output is right again", async () => {
    // --garbage-after-wake: the stand-in answers "!" after a wake until reload_weights (as vLLM does).
    const s = await start(["--sleep-delay-ms", "50", "--garbage-after-wake"]);
    const level = (sleepLevel: 1 | 2) =>
      parseDeployment({ version: 1, model: { id: "org/Model-7B" }, engine: { kind: "vllm" }, snapshot: { sleepLevel } });
    const tokens = async () => {
      const r = await fetch(`${s.baseUrl}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(vllm.lifecycle(level(2)).canary!.request.json),
      });
      return ((await r.json()) as { choices: Array<{ logprobs: { tokens: string[] } }> }).choices[0]!.logprobs.tokens;
    };
    const one = vllm.createLifecycleClient(level(1), { baseUrl: s.baseUrl });
    await one.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    const good = await tokens();
    expect(good).toHaveLength(16);
    await one.sleep({ level: 2 });
    await one.wakeUp();
    expect(await tokens()).not.toEqual(good); // a bare wake after level 2: garbage
    const two = vllm.createLifecycleClient(level(2), { baseUrl: s.baseUrl });
    await two.sleep({ level: 2 });
    await two.wakeUp();
    expect(await tokens()).toEqual(good);
  });

  it("a level-2 config sleeps at level 2 when no level is asked (the configured level, not 1)", async () => {
    const s = await start(["--sleep-delay-ms", "50"]);
    const config2 = parseDeployment({
      version: 1,
      model: { id: "org/Model-7B" },
      engine: { kind: "vllm" },
      snapshot: { sleepLevel: 2 },
    });
    const canaryRequest = vllm.lifecycle(config2).canary!.request.json;
    const tokens = async () => {
      const r = await fetch(`${s.baseUrl}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(canaryRequest),
      });
      return ((await r.json()) as { choices: Array<{ logprobs: { tokens: string[] } }> }).choices[0]!.logprobs.tokens;
    };
    const client = vllm.createLifecycleClient(config2, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    const good = await tokens();
    await client.sleep();
    // A bare wake (no afterWake): the stand-in drops its weights only at level 2, as vLLM does.
    await fetch(`${s.baseUrl}/wake_up`, { method: "POST" });
    expect(await tokens()).not.toEqual(good);
    await client.sleep();
    await client.wakeUp(); // afterWake: reload_weights, reset_prefix_cache
    expect(await tokens()).toEqual(good);
  });

  it("holds requests sent while asleep until wake", async () => {
    const s = await start(["--sleep-delay-ms", "50"]);
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    await client.sleep();
    let answered = false;
    const pending = chat(s.baseUrl).then(async (r) => {
      answered = true;
      return r.json();
    });
    // Held, not lost: the engine counts it as waiting (polled: on a loaded machine the request may
    // take a while to arrive), and it stays unanswered for a while after that.
    while ((await client.metrics()).waitingRequests === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 400));
    expect(answered).toBe(false);
    expect((await client.metrics()).waitingRequests).toBe(1);
    await client.wakeUp();
    const body = (await pending) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content.split(" ")).toHaveLength(4);
  });

  it("says sleep is unsupported when the engine has no sleep routes (no VLLM_SERVER_DEV_MODE)", async () => {
    const s = await start([], {});
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    const error = await client.sleep().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnsupportedError);
    expect(String(error)).toContain("VLLM_SERVER_DEV_MODE");
  });

  it("says sleep is unsupported, without a request, when nothing in the config sleeps", async () => {
    const noSleep = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "vllm" },
      snapshot: { enabled: false, gpu: false },
      local: { scaleToZero: "stop" },
    });
    const port = await freePort();
    const error = await vllm
      .createLifecycleClient(noSleep, { baseUrl: `http://127.0.0.1:${port}` })
      .sleep()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnsupportedError);
  });

  it("fails fast with EngineExitedError when the engine dies during startup, and explains why", async () => {
    const s = await start([
      "--load-ms",
      "400",
      "--fail-startup",
      "ValueError: Sleep mode is not supported on current platform.",
    ]);
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    const started = Date.now();
    const error = await client
      .waitReady({ timeoutMs: 30_000, process: s.child, intervalMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineExitedError);
    expect((error as EngineExitedError).exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(vllm.explainExit!(s.output())).toMatch(/sleep mode needs a CUDA or ROCm GPU/);
  });

  it("reports a crash after startup as unhealthy, naming the engine on the next call", async () => {
    const s = await start(["--crash-after", "600"]);
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    await s.exited;
    expect(await client.health()).toBe(false);
    const error = await client.warmup().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineLifecycleError);
    expect(String(error)).toMatch(
      /^EngineLifecycleError: vllm POST \/v1\/chat\/completions: .*connection refused/,
    );
  });

  it("times out: readiness at its deadline, saying what the last probe saw; a slow call at the client's timeout", async () => {
    const s = await start(["--load-ms", "5000"]);
    const client = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl, timeoutMs: 300 });
    const error = await client
      .waitReady({ timeoutMs: 500, process: s.child, intervalMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineLifecycleError);
    expect(String(error)).toMatch(
      /vllm GET \/health: not ready within 500 ms; last probe: connection refused/,
    );

    const slow = await start(["--token-ms", "200"]);
    const impatient = vllm.createLifecycleClient(config, { baseUrl: slow.baseUrl, timeoutMs: 300 });
    await impatient.waitReady({ timeoutMs: 10_000, process: slow.child, intervalMs: 50 });
    const timeout = await impatient.warmup({ count: 1 }).catch((e: unknown) => e);
    expect(String(timeout)).toContain("vllm POST /v1/chat/completions: no answer within 300 ms");
  });

  it("sends the API key; without it /v1 answers 401 and the error says so", async () => {
    const s = await start(["--api-key", "sk-standin"]);
    const keyed = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl, apiKey: "sk-standin" });
    await keyed.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    await keyed.warmup({ count: 1 });
    const anonymous = vllm.createLifecycleClient(config, { baseUrl: s.baseUrl });
    const error = (await anonymous.warmup({ count: 1 }).catch((e: unknown) => e)) as EngineLifecycleError;
    expect(error.status).toBe(401);
    expect(error.message).toContain("Unauthorized");
    // vLLM's key guards /v1 only: metrics stay readable (rouse's route rules key them from outside).
    expect((await anonymous.metrics()).runningRequests).toBe(0);
  });

  it("runs the plugin's own launch argv and env, with the stand-in as the executable", async () => {
    const keyed = parseDeployment({
      version: 1,
      model: { id: "org/Model-7B" },
      engine: { kind: "vllm" },
      secrets: { apiKey: "k", apiKeyEnv: "MY_KEY" },
    });
    const port = await freePort();
    const launch = vllm.launch(keyed, {
      target: "local",
      host: "127.0.0.1",
      port,
      executable: standinExecutable("vllm"),
    });
    const argv = [...launch.argv, "--load-ms", "100"];
    for (const a of launch.argsFromEnv ?? []) argv.push(a.flag, "from-env");
    const s = await spawnStandin({ engine: "vllm", argv, port, env: launch.env });
    running.push(s);
    const client = vllm.createLifecycleClient(keyed, { baseUrl: s.baseUrl, apiKey: "from-env" });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    await client.warmup({ count: 1 });
    await client.sleep();
    await client.wakeUp();
    const models = (await (
      await fetch(`${s.baseUrl}/v1/models`, { headers: { authorization: "Bearer from-env" } })
    ).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toEqual(["org/Model-7B", "llm"]);
  });
});
