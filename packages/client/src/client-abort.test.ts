import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { AbortError } from "./errors.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let client: RouseClient;

beforeAll(async () => {
  engine = await startFakeEngine({ chunkDelayMs: 20 });
  client = createClient({ baseURL: engine.baseURL, retry: { baseDelayMs: 1 } });
});
afterAll(async () => {
  await client.close();
  await engine.close();
});

const messages = [{ role: "user" as const, content: "hi" }];

describe("cancellation closes the upstream connection", () => {
  it("AbortSignal mid-stream: the iterator throws AbortError and the server sees the socket close", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: engine.model, messages, stream: true },
      { signal: controller.signal },
    );
    const request = engine.requests.at(-1)!;
    let received = 0;
    const error = await (async () => {
      for await (const _chunk of stream) {
        received += 1;
        if (received === 2) controller.abort(new Error("user pressed stop"));
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toMatchObject({ message: "user pressed stop" });
    await request.socketClosed;
    expect(request.closedEarly).toBe(true);
    expect(received).toBeLessThan(10);
    expect(stream.timing.end).toBeDefined();
  });

  it("aborting stops the iteration even when the rest was already buffered (as a fetch body does)", async () => {
    engine.setChunkDelay(0);
    try {
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model: engine.model, messages, stream: true },
        { signal: controller.signal },
      );
      const text = await stream.finalText(); // all chunks are in
      let seen = 0;
      const error = await (async () => {
        for await (const _chunk of stream) {
          seen += 1;
          controller.abort();
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(seen).toBe(1);
      expect(await stream.finalText()).toBe(text); // the completed answer stays readable
    } finally {
      engine.setChunkDelay(20);
    }
  });

  it("breaking out of the loop closes the connection too", async () => {
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    const request = engine.requests.at(-1)!;
    for await (const _chunk of stream) break;
    await request.socketClosed;
    expect(request.closedEarly).toBe(true);
    await expect(stream.finalText()).rejects.toBeInstanceOf(AbortError);
  });

  it("stream.cancel() closes it without iterating", async () => {
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    const request = engine.requests.at(-1)!;
    stream.cancel();
    await request.socketClosed;
    expect(request.closedEarly).toBe(true);
  });

  it("abort before the answer (a hanging cold start) closes the connection", async () => {
    engine.enqueue({ kind: "hang" });
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: engine.model, messages },
      { signal: controller.signal },
    );
    while (engine.requests.at(-1)?.body === undefined || engine.requests.length === 0) await tick();
    const request = engine.requests.at(-1)!;
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    await request.socketClosed;
  });

  it("an already-aborted signal sends nothing", async () => {
    const before = engine.requests.length;
    await expect(
      client.chat.completions.create({ model: engine.model, messages }, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(engine.requests.length).toBe(before);
  });

  it("abort while waiting to retry", async () => {
    engine.enqueue({ kind: "status", status: 503, headers: { "retry-after": "30" } });
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: engine.model, messages },
      { signal: controller.signal, retry: { onRetry: () => controller.abort() } },
    );
    await expect(pending).rejects.toMatchObject({ name: "AbortError", attempts: 1 });
  });

  it("completed streams leave their connections in the pool", async () => {
    engine.setChunkDelay(0);
    try {
      const before = engine.requests.length;
      for (let i = 0; i < 5; i++) {
        const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
        await stream.finalText();
      }
      // Were connections closed after each stream, there would be 5 ports (undici may alternate between 2).
      const ports = new Set(engine.requests.slice(before).map((r) => r.remotePort));
      expect(ports.size).toBeLessThanOrEqual(2);
    } finally {
      engine.setChunkDelay(20);
    }
  });
});

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}
