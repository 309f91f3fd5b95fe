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
const standin = (loadMs = 100) => [
  ...standinExecutable("vllm"),
  `--load-ms=${loadMs}`,
  "--token-ms=5",
  "--sleep-delay-ms=30",
];

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
    expect(metrics).toMatch(/rouse_engine_queue_wait_seconds_count\{engine="b",outcome="served"\} 1/);
    expect(metrics).toMatch(/rouse_engine_state_seconds_total\{engine="a",state="ready"\} [0-9.]+/);
  });

  it("the supervisor's own refusals pass through the gateway unchanged: 503 + Retry-After, naming the engine", async () => {
    local = await serveLocal([{ config: config("a") }], {
      port: 0,
      gateway,
      preload: false,
      log: () => {},
      deps: { log: () => {} },
      engines: {
        supervisor: () => ({ executable: standin(800), queue: { maxWaiting: 1, retryAfterSeconds: 9 } }),
      },
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
    expect(error.code).toBe("engine_queue_full");
    expect(error.headers?.get("retry-after")).toBe("9");
    expect(error.message).toContain("engine 'a'");
  });
});
