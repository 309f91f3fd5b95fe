import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { TimeoutError } from "./errors.ts";
import { collect, fastRetry } from "./__fixtures__/helpers.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let client: RouseClient;

beforeAll(async () => {
  engine = await startFakeEngine();
  client = createClient({
    baseURL: engine.baseURL,
    retry: fastRetry,
    timeouts: { firstByteMs: 150, idleMs: 150 },
  });
});
afterAll(async () => {
  await client.close();
  await engine.close();
});

const messages = [{ role: "user" as const, content: "hi" }];

describe("timeouts by phase", () => {
  it("firstByte: no answer at all; not retried (the engine may be working on it)", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "hang" });
    const error = (await client.chat.completions
      .create({ model: engine.model, messages })
      .catch((e: unknown) => e)) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.phase).toBe("firstByte");
    expect(error.timeoutMs).toBe(150);
    expect(error.hint).toMatch(/cold-starting/);
    expect(engine.requests.length - before).toBe(1);
    await engine.requests.at(-1)!.socketClosed;
  });

  it("firstByte covers headers without a body (a queued stream)", async () => {
    engine.enqueue({ kind: "headersThenStall" });
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    await expect(collect(stream)).rejects.toMatchObject({ name: "TimeoutError", phase: "firstByte" });
  });

  it("idle: the stream stalls after it began", async () => {
    engine.enqueue({ kind: "stallMidStream", afterChunks: 3 });
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    const chunks: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: "idle", timeoutMs: 150 });
    expect(chunks).toHaveLength(3);
    await engine.requests.at(-1)!.socketClosed;
  });

  it("per-request timeouts override the client's", async () => {
    engine.enqueue({ kind: "delay", ms: 300 });
    const completion = await client.chat.completions.create(
      { model: engine.model, messages },
      { timeouts: { firstByteMs: 5_000 } },
    );
    expect(completion.object).toBe("chat.completion");
  });

  it("slow chunks within idleMs are fine", async () => {
    engine.setChunkDelay(30);
    try {
      const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
      expect(await stream.finalText()).toContain("Hello");
    } finally {
      engine.setChunkDelay(0);
    }
  });
});
