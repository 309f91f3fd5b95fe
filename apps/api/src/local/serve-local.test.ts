import { parseDeployment } from "@rouse/config";
import OpenAI, { type APIError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { standinExecutable } from "../../../../tools/engine-standin/spawn.ts";
import { sha256Hex } from "../middleware/auth/index.ts";
import { type ServingLocal, serveLocal } from "./serve-local.ts";

// `rouse serve --local` end to end: the gateway in front of engine supervisors,
// with STAND-IN ENGINES (tools/engine-standin: vLLM imitations, not engines) as
// real processes, driven with the official openai SDK.

const config = (name: string, over: Record<string, unknown> = {}) =>
  parseDeployment({
    version: 1,
    name,
    model: { id: `standin/${name}`, servedName: [name] },
    engine: { kind: "vllm", gpuMemoryUtilization: 0.6 },
    local: { scaleToZero: "sleep" },
    ...over,
  });
// Valued options in --k=v form so the stand-in cannot take the plugin's `serve MODEL` as their values.
const standin = (loadMs = 100, flags: string[] = []) => [
  ...standinExecutable("vllm"),
  ...flags,
  `--load-ms=${loadMs}`,
  "--token-ms=5",
  "--sleep-delay-ms=30",
];

// The stand-in imitates GPU engines on this CPU machine.
const gpu = { present: true, how: "stand-in engine (tests)" };
// The SDK always sends a key, and the gateway refuses unknown ones even on loopback.
const gateway = { auth: { keys: [{ name: "test", sha256: sha256Hex("k") }], allowNoAuthOnLoopback: true } };

let local: ServingLocal | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

describe("serveLocal", () => {
  it("routes by model through the supervisors, swaps two engines that do not fit, and reports them", async () => {
    local = await serveLocal(
      [
        { config: config("a"), source: "a.yaml" },
        { config: config("b"), source: "b.yaml" },
      ],
      {
        port: 0,
        gateway,
        log: () => {},
        deps: { log: () => {} },
        engines: {
          gpu,
          supervisor: () => ({ executable: standin(), scaleDownAfterMs: 60_000, startupTimeoutMs: 15_000 }),
        },
      },
    );
    const openai = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: "k", maxRetries: 0 });
    const a = await openai.chat.completions
      .create({ model: "a", messages: [{ role: "user", content: "hi" }], max_tokens: 3 })
      .withResponse();
    expect(a.data.choices[0]!.message.content).toBeTruthy();
    expect(a.response.headers.get("x-rouse-upstream")).toBe("a");
    const stream = await openai.chat.completions.create({
      model: "b",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.split(" ")).toHaveLength(3);

    const list = (await (await fetch(`${local.url}/api/v1/engines`)).json()) as {
      engines: { name: string; state: string; history: { to: string }[] }[];
      memory: { allAwake: boolean };
    };
    expect(list.memory.allAwake).toBe(false);
    expect(list.engines.map((e) => [e.name, e.state])).toEqual([
      ["a", "sleeping"],
      ["b", "ready"],
    ]);
    const one = await fetch(`${local.url}/api/v1/engines/b`);
    expect(((await one.json()) as { source: string }).source).toBe("b.yaml");
    expect((await fetch(`${local.url}/api/v1/engines/nope`)).status).toBe(404);
    const logs = (await (await fetch(`${local.url}/api/v1/engines/a/logs?lines=5`)).json()) as {
      lines: unknown[];
    };
    expect(logs.lines.length).toBeGreaterThan(0);

    const metrics = await (await fetch(`${local.url}/metrics`)).text();
    expect(metrics).toContain('rouse_engine_state{engine="a",state="sleeping"} 1');
    expect(metrics).toMatch(/rouse_engine_cold_start_seconds_count\{engine="b"\} 1/);
    expect(metrics).toMatch(/rouse_engine_scale_down_seconds_count\{engine="a",via="sleep"\} 1/);
    // b's request waited through b's start (a swapped out first) in the gateway's queue
    expect(metrics).toMatch(/rouse_cold_start_wait_seconds_count\{upstream="b",model="b"\} 1/);
    expect(metrics).toContain('rouse_queue_depth{upstream="b"} 0');
    expect(metrics).toMatch(/rouse_engine_state_seconds_total\{engine="a",state="ready"\} [0-9.]+/);
  });

  it("a full queue for a starting engine: 503 + Retry-After at once; the one waiting is served", async () => {
    local = await serveLocal([{ config: config("a") }], {
      port: 0,
      gateway: { ...gateway, queue: { maxWaiting: 1 } },
      preload: false,
      log: () => {},
      deps: { log: () => {}, retryAfterSeconds: 9 },
      engines: { gpu, supervisor: () => ({ executable: standin(800) }) },
    });
    const openai = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: "k", maxRetries: 0 });
    const ask = () =>
      openai.chat.completions.create({
        model: "a",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 2,
      });
    const [first, second] = await Promise.allSettled([ask(), ask()]);
    expect(first.status).toBe("fulfilled");
    const error = (second as PromiseRejectedResult).reason as APIError;
    expect(error.status).toBe(503);
    expect(error.code).toBe("queue_full");
    expect(error.headers?.get("retry-after")).toBe("9");
    expect(error.message).toContain("queue is full");
  });

  it("the gateway's queue is the one queue in the path: its bounds and deadline hold while an engine starts", async () => {
    local = await serveLocal([{ config: config("a") }], {
      port: 0,
      gateway: { ...gateway, queue: { maxWaiting: 2, maxWaitMs: 600 } },
      preload: false,
      log: () => {},
      deps: { log: () => {} },
      engines: { gpu, supervisor: () => ({ executable: standin(5_000) }) },
    });
    const openai = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: "k", maxRetries: 0 });
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        openai.chat.completions.create({
          model: "a",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 2,
        }),
      ),
    );
    const elapsed = performance.now() - started;
    const codes = results.map((r) => ((r as PromiseRejectedResult).reason as APIError).code).sort();
    expect(codes).toEqual([
      "cold_start_timeout",
      "cold_start_timeout",
      "queue_full",
      "queue_full",
      "queue_full",
    ]);
    // maxWaitMs 600, not the engine's 5 s boot (nor startupTimeout's 10 minutes)
    expect(elapsed).toBeLessThan(4_000);
    // one start for all of them, which goes on for later requests
    const a = local.engines.byName("a")!;
    expect(a.history.filter((t) => t.to === "starting")).toHaveLength(1);
    expect(a.state).toBe("starting");
  });

  it("a stream the engine breaks ends with the one mid-stream code, naming the engine and its exit", async () => {
    local = await serveLocal([{ config: config("a", { local: { scaleToZero: "stop" } }) }], {
      port: 0,
      gateway,
      log: () => {},
      deps: { log: () => {} },
      engines: {
        gpu,
        supervisor: () => ({
          executable: [...standin(50), "--token-ms=40", "--crash-after=1500"],
          crash: { initialDelayMs: 30_000 },
        }),
      },
    });
    const openai = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: "k", maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: "a",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 200,
      stream: true,
    });
    const error = await (async () => {
      for await (const _ of stream);
    })().then(
      () => undefined,
      (e: unknown) => e as APIError,
    );
    expect(error?.code).toBe("upstream_disconnected");
    expect(error?.message).toContain("engine 'a' exited (code 1) mid-stream");
  });

  it("a canary mismatch after a wake shows in /metrics and the engine's status", async () => {
    local = await serveLocal([{ config: config("a") }], {
      port: 0,
      gateway,
      log: () => {},
      deps: { log: () => {} },
      engines: {
        gpu,
        supervisor: () => ({ executable: standin(100, ["--drift-after-wake"]), scaleDownAfterMs: 300 }),
      },
    });
    const a = local.engines.byName("a")!;
    while (a.state !== "sleeping") await new Promise((r) => setTimeout(r, 20));
    const openai = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: "k", maxRetries: 0 });
    await openai.chat.completions.create({
      model: "a",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 2,
    });
    const metrics = await (await fetch(`${local.url}/metrics`)).text();
    expect(metrics).toContain('rouse_engine_canary_checks_total{engine="a",via="sleep",result="mismatch"} 1');
    expect(metrics).toMatch(/rouse_engine_canary_seconds_count\{engine="a"\} 1/);
    const status = (await (await fetch(`${local.url}/api/v1/engines/a`)).json()) as {
      canary: { mismatches: number; last: { detail: string } };
    };
    expect(status.canary.mismatches).toBe(1);
    expect(status.canary.last.detail).toMatch(/^token 0 differs/);
  });
});
