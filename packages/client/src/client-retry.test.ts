import { Agent, errors as undiciErrors } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { ApiError, ConnectionError, StreamError, TimeoutError } from "./errors.ts";
import { collect, fastRetry, freePort } from "./__fixtures__/helpers.ts";
import type { RetryInfo } from "./retry.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let client: RouseClient;
let retries: RetryInfo[] = [];

beforeAll(async () => {
  engine = await startFakeEngine();
  client = createClient({
    baseURL: engine.baseURL,
    retry: { ...fastRetry, onRetry: (info) => retries.push(info) },
  });
});
afterEach(() => {
  retries = [];
});
afterAll(async () => {
  await client.close();
  await engine.close();
});

const messages = [{ role: "user" as const, content: "hi" }];
const chat = () => client.chat.completions.create({ model: engine.model, messages });
const chatStream = () => client.chat.completions.create({ model: engine.model, messages, stream: true });

function countSince(before: number): number {
  return engine.requests.length - before;
}

describe("retried before the response is used", () => {
  it("502, 503 and 504", async () => {
    const before = engine.requests.length;
    engine.enqueue(
      { kind: "status", status: 502 },
      { kind: "status", status: 503 },
      { kind: "status", status: 504 },
    );
    const completion = await chat();
    expect(completion.choices[0]?.message.content).toContain("Hello");
    expect(countSince(before)).toBe(4);
    expect(retries.map((r) => [r.reason, r.status])).toEqual([
      ["status", 502],
      ["status", 503],
      ["status", 504],
    ]);
    expect(completion.timing.attempts).toBe(4);
  });

  it("the engine's 'loading' answers: 503 while loading, and a 500 that says so", async () => {
    const loading = await startFakeEngine({ loadingRequests: 2 });
    const seen: RetryInfo[] = [];
    const c = createClient({
      baseURL: loading.baseURL,
      retry: { ...fastRetry, onRetry: (i) => seen.push(i) },
    });
    loading.enqueue({
      kind: "status",
      status: 500,
      body: { error: { message: "Model is loading, please wait" } },
    });
    const completion = await c.chat.completions.create({ model: loading.model, messages });
    expect(completion.choices).toHaveLength(1);
    expect(seen.map((r) => [r.reason, r.status])).toEqual([
      ["loading", 500],
      ["status", 503],
      ["status", 503],
    ]);
    await Promise.all([c.close(), loading.close()]);
  });

  it("a connection reset before any byte", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "reset" });
    const completion = await chat();
    expect(completion.object).toBe("chat.completion");
    expect(countSince(before)).toBe(2);
    expect(retries[0]?.reason).toBe("connection");
    expect(retries[0]?.error).toBeInstanceOf(ConnectionError);
  });

  it("a streamed request reset before any byte", async () => {
    engine.enqueue({ kind: "reset" });
    const stream = await chatStream();
    expect(await stream.finalText()).toContain("Hello");
    expect(retries).toHaveLength(1);
  });

  it("connection refused until the server comes up", async () => {
    const port = await freePort();
    const seen: RetryInfo[] = [];
    const c = createClient({
      baseURL: `http://127.0.0.1:${port}`,
      retry: { maxAttempts: 200, baseDelayMs: 5, maxDelayMs: 20, onRetry: (i) => seen.push(i) },
    });
    let late: FakeEngine | undefined;
    const starting = new Promise<void>((resolve) =>
      setTimeout(async () => {
        late = await startFakeEngine({ port });
        resolve();
      }, 150),
    );
    const list = await c.models.list();
    await starting;
    expect(list.data).toHaveLength(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(
      seen.every((r) => r.reason === "connection" && (r.error as ConnectionError).code === "ECONNREFUSED"),
    ).toBe(true);
    await c.close();
    await late?.close();
  });

  it("a connect timeout (raised by undici's connector) is retried, and named as the connect phase", async () => {
    let connects = 0;
    const dispatcher = new Agent({
      connect: (_options, callback) => {
        connects += 1;
        setTimeout(() => callback(new undiciErrors.ConnectTimeoutError(), null), 1);
      },
    });
    const seen: RetryInfo[] = [];
    const c = createClient({
      baseURL: engine.baseURL,
      dispatcher,
      retry: { ...fastRetry, maxAttempts: 3, onRetry: (i) => seen.push(i) },
    });
    const error = await c.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: "connect" });
    expect(connects).toBe(3);
    expect(seen).toHaveLength(2);
    await dispatcher.close();
  });
});

describe("Retry-After", () => {
  it("delay-seconds are honoured instead of the backoff", async () => {
    engine.enqueue({ kind: "status", status: 503, headers: { "retry-after": "0.05" } });
    await chat();
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ retryAfterMs: 50, delayMs: 50 });
  });

  it("an HTTP date is honoured (a past date means now)", async () => {
    engine.enqueue({
      kind: "status",
      status: 503,
      headers: { "retry-after": new Date(Date.now() - 60_000).toUTCString() },
    });
    await chat();
    expect(retries[0]).toMatchObject({ retryAfterMs: 0, delayMs: 0 });
  });

  it("an HTTP date in the future is waited for", async () => {
    const date = new Date(Date.now() + 1000).toUTCString(); // whole seconds: 0–1000 ms from now
    engine.enqueue({ kind: "loading", retryAfter: date });
    await chat();
    expect(retries[0]?.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(retries[0]?.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(retries[0]?.delayMs).toBe(retries[0]?.retryAfterMs);
  });

  it("is capped by retry.maxRetryAfterMs", async () => {
    engine.enqueue({ kind: "status", status: 503, headers: { "retry-after": "3600" } });
    await client.chat.completions.create(
      { model: engine.model, messages },
      { retry: { maxRetryAfterMs: 5, onRetry: (i) => retries.push(i) } },
    );
    expect(retries[0]).toMatchObject({ retryAfterMs: 3_600_000, delayMs: 5 });
  });
});

describe("not retried", () => {
  it.each([400, 401, 404, 500])("%i", async (status) => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "status", status });
    await expect(chat()).rejects.toMatchObject({ name: "ApiError", status, attempts: 1 });
    expect(countSince(before)).toBe(1);
    expect(retries).toEqual([]);
  });

  it("an error mid-stream (`data: {error}`)", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "streamError", afterChunks: 3, style: "data" });
    const stream = await chatStream();
    const chunks: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).error?.message).toBe("CUDA out of memory while decoding");
    expect(chunks).toHaveLength(3);
    expect(countSince(before)).toBe(1);
    expect(retries).toEqual([]);
  });

  it("an `event: error` mid-stream", async () => {
    engine.enqueue({ kind: "streamError", afterChunks: 2, style: "event", message: "engine died" });
    const stream = await chatStream();
    await expect(stream.finalText()).rejects.toMatchObject({
      name: "StreamError",
      error: { message: "engine died" },
    });
    expect(stream.timing.end).toBeDefined();
  });

  it("a connection reset after the stream began", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "resetMidStream", afterChunks: 2 });
    const stream = await chatStream();
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).message).toMatch(/broke/);
    expect(countSince(before)).toBe(1);
    expect(retries).toEqual([]);
  });

  it("anything when retry is false", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "status", status: 503 });
    await expect(
      client.chat.completions.create({ model: engine.model, messages }, { retry: false }),
    ).rejects.toMatchObject({ status: 503, attempts: 1 });
    expect(countSince(before)).toBe(1);
  });
});

describe("giving up", () => {
  it("after maxAttempts, with the last answer and a hint", async () => {
    engine.setReady(false);
    try {
      const error = (await client.chat.completions
        .create({ model: engine.model, messages }, { retry: { maxAttempts: 3 } })
        .catch((e: unknown) => e)) as ApiError;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(503);
      expect(error.attempts).toBe(3);
      expect(error.error?.message).toMatch(/loading/);
      expect(error.hint).toMatch(/waitUntilReady/);
      expect(error.hint).toContain("3 attempt(s)");
    } finally {
      engine.setReady(true);
    }
  });

  it("when the next wait would pass maxElapsedMs", async () => {
    engine.enqueue({ kind: "status", status: 503, headers: { "retry-after": "10" } });
    await expect(
      client.chat.completions.create({ model: engine.model, messages }, { retry: { maxElapsedMs: 1000 } }),
    ).rejects.toMatchObject({ status: 503, attempts: 1 });
  });

  it("a refused connection reports the code and a hint", async () => {
    const port = await freePort();
    const c = createClient({ baseURL: `http://127.0.0.1:${port}`, retry: { ...fastRetry, maxAttempts: 2 } });
    const error = (await c.models.list().catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe("ECONNREFUSED");
    expect(error.attempts).toBe(2);
    expect(error.hint).toMatch(/Nothing is listening/);
    await c.close();
  });
});
