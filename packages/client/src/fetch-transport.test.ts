/** The same client over an injected `fetch` instead of undici's pool (how a Hono app can be tested without sockets). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { AbortError, ApiError, StreamError } from "./errors.ts";
import { collect, fastRetry } from "./__fixtures__/helpers.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let client: RouseClient;
let calls = 0;

beforeAll(async () => {
  engine = await startFakeEngine({ chunkDelayMs: 5 });
  client = createClient({
    baseURL: engine.baseURL,
    retry: fastRetry,
    fetch: (url, init) => {
      calls += 1;
      return fetch(url, init);
    },
  });
});
afterAll(async () => {
  await client.close();
  await engine.close();
});

const messages = [{ role: "user" as const, content: "hi" }];

describe("fetch transport", () => {
  it("goes through the injected fetch", async () => {
    const before = calls;
    const completion = await client.chat.completions.create({ model: engine.model, messages });
    expect(completion.choices[0]?.message.content).toContain("Hello");
    expect(calls - before).toBe(1);
  });

  it("streams, retries, follows 303s", async () => {
    engine.enqueue({ kind: "status", status: 503 }, { kind: "modalRedirect", hops: 2 });
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    expect((await collect(stream.textStream())).join("")).toContain("你好");
    expect(stream.timing).toMatchObject({ attempts: 2, redirects: 2 });
  });

  it("maps errors the same way", async () => {
    await expect(client.chat.completions.create({ model: "nope", messages })).rejects.toBeInstanceOf(
      ApiError,
    );
    engine.enqueue({ kind: "streamError", afterChunks: 1 });
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    await expect(stream.finalText()).rejects.toBeInstanceOf(StreamError);
  });

  it("abort mid-stream closes the connection", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: engine.model, messages, stream: true },
      { signal: controller.signal },
    );
    const request = engine.requests.at(-1)!;
    const error = await (async () => {
      for await (const _ of stream) controller.abort();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    await request.socketClosed;
    expect(request.closedEarly).toBe(true);
  });
});
