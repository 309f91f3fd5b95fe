import { parseDeployment } from "@rouse/config";
import { EngineExitedError, EngineLifecycleError, EngineUnsupportedError } from "@rouse/engine-spec";
import { accessOf } from "@rouse/engine-spec/conformance";
import { afterEach, describe, expect, it } from "vitest";
import {
  freePort,
  type RunningStandin,
  spawnStandin,
  standinExecutable,
} from "../../../tools/engine-standin/spawn.ts";
import { sglang } from "./plugin.ts";

// The lifecycle client against the STAND-IN ENGINE in SGLang mode, run as a real process.

const config = parseDeployment({ version: 1, model: { id: "org/Model-7B" }, engine: { kind: "sglang" } });
const running: RunningStandin[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function start(args: string[] = []) {
  const standin = await spawnStandin({
    engine: "sglang",
    args: ["--model-path", "org/Model-7B", "--load-ms", "300", ...args],
  });
  running.push(standin);
  return standin;
}

describe("sglang routes", () => {
  it("lets SGLang's own warm-up through its guard: /model_info and /generate (/encode) are keyed, not private", () => {
    // http_server.py _execute_server_warmup calls these on SGLang's own port, with its
    // --api-key; with the guard inside the server, a 404 there keeps /health at 503.
    const { routes, adminPaths } = sglang.lifecycle(
      parseDeployment({ version: 1, model: { id: "org/m" }, engine: { kind: "sglang" } }),
    );
    for (const path of ["/model_info", "/get_model_info", "/generate", "/encode"])
      expect(accessOf(routes, path), path).toBe("key");
    for (const path of adminPaths) expect(accessOf(routes, path), path).toBe("private");
  });
});

describe("sglang lifecycle client against the stand-in engine", () => {
  it("the port opens early with /health 503: waitReady keeps probing until 200", async () => {
    // Loading lasts far longer than the first wait, so that wait fails even on a loaded machine.
    const s = await start(["--load-ms", "3000"]);
    const client = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    const early = await client
      .waitReady({ timeoutMs: 400, process: s.child, intervalMs: 50 })
      .catch((e: unknown) => e);
    expect(String(early)).toMatch(
      /sglang GET \/health: not ready within 400 ms; last probe: (HTTP 503|connection refused)/,
    );
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    expect(await client.health()).toBe(true);
    await client.warmup({ count: 2 });
    const metrics = await client.metrics();
    expect(metrics).toMatchObject({ runningRequests: 0, waitingRequests: 0, kvCacheUsage: 0 });
    expect(metrics.timeToFirstToken?.count).toBe(2);
  });

  it("releases and resumes memory; the answers are final, the sleep state is the client's own", async () => {
    const s = await start(["--sleep-delay-ms", "200"]);
    const client = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    expect(await client.isSleeping()).toBe(false);
    const started = Date.now();
    await client.sleep();
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(await client.isSleeping()).toBe(true);
    await client.wakeUp();
    expect(await client.isSleeping()).toBe(false);
  });

  it("a release while a request runs fails with SGLang's answer, and the engine dies (FACTS.md S3)", async () => {
    const s = await start(["--token-ms", "100"]);
    const client = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    const busy = fetch(`${s.baseUrl}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "org/Model-7B", max_tokens: 30, messages: [] }),
    }).catch(() => undefined);
    // The engine's own gauge says the request runs (~3 s): a fixed pause could end before it
    // arrived on a loaded machine, and the release would then meet an idle engine.
    while ((await client.metrics()).runningRequests === 0) await new Promise((r) => setTimeout(r, 20));
    const error = (await client.sleep().catch((e: unknown) => e)) as EngineLifecycleError;
    expect(error).toBeInstanceOf(EngineLifecycleError);
    expect(error.status).toBe(500);
    expect(error.message).toContain("only when server is idle");
    expect(await client.isSleeping()).toBe(false);
    expect(await s.exited).toBe(1);
    await busy;
  });

  it("does not hold requests sent while released: the caller must (holdsRequestsWhileAsleep is false)", async () => {
    const s = await start(["--sleep-delay-ms", "10"]);
    const client = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    expect(sglang.lifecycle(config).holdsRequestsWhileAsleep).toBe(false);
    await client.sleep();
    const during = await fetch(`${s.baseUrl}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "org/Model-7B", max_tokens: 2, messages: [] }),
    });
    expect(during.status).toBe(503);
    await client.wakeUp();
    await client.warmup({ count: 1 });
  });

  it("fails fast when the engine exits during startup", async () => {
    const s = await start(["--load-ms", "400", "--fail-startup"]);
    const client = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    const error = await client
      .waitReady({ timeoutMs: 30_000, process: s.child, intervalMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineExitedError);
    expect(s.output()).toContain("--fail-startup");
  });

  it("needs the API key on admin routes too (SGLang's key guards all but health and metrics)", async () => {
    const s = await start(["--api-key", "sk-standin"]);
    const anonymous = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await anonymous.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    expect((await anonymous.sleep().catch((e: unknown) => e)) as EngineLifecycleError).toMatchObject({
      status: 401,
    });
    expect((await anonymous.metrics()).runningRequests).toBe(0);
    const keyed = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl, apiKey: "sk-standin" });
    await keyed.sleep();
    await keyed.wakeUp();
  });

  it("says sleep is unsupported when nothing in the config releases memory", async () => {
    const noSleep = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "sglang" },
      snapshot: { enabled: false, gpu: false },
      local: { scaleToZero: "stop" },
    });
    const error = await sglang
      .createLifecycleClient(noSleep, { baseUrl: `http://127.0.0.1:${await freePort()}` })
      .sleep()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnsupportedError);
  });

  it("runs the plugin's own launch argv, with the stand-in as the executable", async () => {
    const port = await freePort();
    const launch = sglang.launch(config, {
      target: "local",
      host: "127.0.0.1",
      port,
      executable: standinExecutable("sglang"),
    });
    const s = await spawnStandin({
      engine: "sglang",
      argv: [...launch.argv, "--load-ms", "100"],
      port,
      env: launch.env,
    });
    running.push(s);
    const client = sglang.createLifecycleClient(config, { baseUrl: s.baseUrl });
    await client.waitReady({ timeoutMs: 10_000, process: s.child, intervalMs: 50 });
    await client.warmup({ count: 1 });
    await client.sleep();
    await client.wakeUp();
  });
});
