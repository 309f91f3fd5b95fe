import { APIError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import {
  chat,
  count,
  type Harness,
  path,
  quick,
  standinConfig,
  standinExecutableFor,
  startHarness,
  streamChat,
  until,
} from "../test/harness.ts";

// Draining, and the gateway's bounded wait queue in front of an engine, against the STAND-IN ENGINE (not an engine).

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("drain", () => {
  it("never scales down with a request in flight: the stream finishes, then the engine sleeps", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "sleep" } }) }],
      () => quick({ executable: standinExecutableFor("vllm", { values: { "token-ms": 40 } }) }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "ready");
    const stream = streamChat(h.openai, "a", 60); // ~2.4 s: far longer than the pause below, even on a loaded machine
    while (a.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    a.scaleToZero();
    expect(a.state).toBe("draining");
    expect(a.inFlight).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.state).toBe("draining"); // still waiting for the stream
    const text = await stream;
    expect(text.split(" ")).toHaveLength(60); // every token arrived
    await until(a, "sleeping");
    expect(path(a).slice(-3)).toEqual(["draining", "falling-asleep", "sleeping"]);
  });

  it("a request arriving while draining for idleness cancels the drain", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "sleep" } }) }],
      () => quick({ executable: standinExecutableFor("vllm", { values: { "token-ms": 40 } }) }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "ready");
    // ~2 s: the drain is still on when the second request comes, with a wide margin on a loaded machine.
    const first = streamChat(h.openai, "a", 50);
    while (a.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    a.scaleToZero();
    const second = chat(h.openai, "a");
    await Promise.all([first, second]);
    expect(path(a)).toEqual(["starting", "ready", "draining", "ready"]);
    expect(a.history.at(-1)!.reason).toBe("drain cancelled: requests arrived");
  });
});

// Requests wait for a start in the gateway's queue (the one queue in the path); its bounds hold for engines.
describe("wait queue", () => {
  it("beyond maxWaiting: 503 + Retry-After at once; the others are served by one start", async () => {
    h = await startHarness(
      [{ config: standinConfig("a") }],
      () => quick({ executable: standinExecutableFor("vllm", { values: { "load-ms": 800 } }) }),
      { queue: { maxWaiting: 2 }, retryAfterSeconds: 7 },
    );
    const results = await Promise.allSettled([chat(h.openai, "a"), chat(h.openai, "a"), chat(h.openai, "a")]);
    const rejected = results
      .filter((r) => r.status === "rejected")
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    const error = rejected[0] as APIError;
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(503);
    expect(error.code).toBe("queue_full");
    expect(error.headers?.get("retry-after")).toBe("7");
    expect(error.message).toContain("queue is full");
    expect(count(h.engine("a"), "starting")).toBe(1);
  });

  it("past the deadline: 503 + Retry-After, and the start goes on for later requests", async () => {
    h = await startHarness(
      [{ config: standinConfig("a") }],
      () => quick({ executable: standinExecutableFor("vllm", { values: { "load-ms": 1_000 } }) }),
      { queue: { maxWaitMs: 200 } },
    );
    const error = (await chat(h.openai, "a").catch((e: unknown) => e)) as APIError;
    expect(error.status).toBe(503);
    expect(error.code).toBe("cold_start_timeout");
    expect(error.message).toContain("engine 'a' is starting");
    expect(error.headers?.get("retry-after")).toBe("5");
    await until(h.engine("a"), "ready");
    expect((await chat(h.openai, "a")).text.length).toBeGreaterThan(0);
  });
});

describe("leases", () => {
  it("a client that goes away mid-stream releases the engine", async () => {
    h = await startHarness(
      [{ config: standinConfig("a") }],
      () => quick({ executable: standinExecutableFor("vllm", { values: { "token-ms": 50 } }) }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "ready");
    const abort = new AbortController();
    const stream = await h.openai.chat.completions.create(
      { model: "a", messages: [{ role: "user", content: "hi" }], max_tokens: 100, stream: true },
      { signal: abort.signal },
    );
    const seen = (async () => {
      for await (const _ of stream) {
        expect(a.inFlight).toBe(1);
        abort.abort();
      }
    })();
    await seen.catch(() => {});
    const deadline = Date.now() + 5_000;
    while (a.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(a.inFlight).toBe(0);
  });
});
