import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { ApiError } from "./errors.ts";
import { collect, fastRetry } from "./__fixtures__/helpers.ts";
import { ChatStream } from "./stream.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let client: RouseClient;

beforeAll(async () => {
  engine = await startFakeEngine({ reasoning: "The user says hi. Answer warmly.", apiKey: "sk-test" });
  client = createClient({ baseURL: engine.url, apiKey: "sk-test", retry: fastRetry });
});
afterAll(async () => {
  await client.close();
  await engine.close();
});

const messages = [{ role: "user" as const, content: "Say hi 👋" }];

describe("chat.completions.create", () => {
  it("returns the parsed completion with timing and request id (non-enumerable)", async () => {
    const completion = await client.chat.completions.create({ model: engine.model, messages });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message.content).toBe(
      "Hello! 👋 Rouse is warm: 你好，世界。 Ready when you are.",
    );
    expect(completion.choices[0]?.message.reasoning_content).toBe("The user says hi. Answer warmly.");
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(completion.requestId).toMatch(/^req-/);
    const t = completion.timing;
    expect(t.attempts).toBe(1);
    expect(t.start).toBeLessThanOrEqual(t.headers!);
    expect(t.headers).toBeLessThanOrEqual(t.firstByte!);
    expect(t.firstByte).toBeLessThanOrEqual(t.end!);
    expect(Object.keys(completion)).not.toContain("timing");
    expect(JSON.parse(JSON.stringify(completion))).not.toHaveProperty("timing");
  });

  it("sends the bearer key, JSON body, user agent and extra body fields", async () => {
    await client.chat.completions.create(
      { model: engine.model, messages, top_k: 20, chat_template_kwargs: { enable_thinking: false } },
      { extraBody: { guided_choice: ["a", "b"] }, headers: { "X-Trace": "t1" } },
    );
    const request = engine.requests.at(-1)!;
    expect(request.headers.authorization).toBe("Bearer sk-test");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["user-agent"]).toMatch(/^rouse-client\//);
    expect(request.headers["x-trace"]).toBe("t1");
    expect(request.body).toMatchObject({
      top_k: 20,
      guided_choice: ["a", "b"],
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it("returns tool calls", async () => {
    const completion = await client.chat.completions.create({
      model: engine.model,
      messages,
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      tool_choice: "auto",
    });
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls?.[0]?.function.name).toBe("get_weather");
    expect(JSON.parse(choice!.message.tool_calls![0]!.function.arguments)).toEqual({
      location: "Paris",
      unit: "celsius",
    });
  });

  it("passes response_format through", async () => {
    const completion = await client.chat.completions.create({
      model: engine.model,
      messages,
      response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object" } } },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toHaveProperty("answer");
  });

  it("streams typed chunks with timing, usage and the final text", async () => {
    const stream = await client.chat.completions.create({
      model: engine.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream).toBeInstanceOf(ChatStream);
    const chunks = await collect(stream);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(stream.usage?.completion_tokens).toBeGreaterThan(0);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Hello! 👋 Rouse is warm: 你好，世界。 Ready when you are.");
    expect(await stream.finalText()).toBe(text);
    expect((await stream.finalMessage()).reasoning_content).toBe("The user says hi. Answer warmly.");

    const t = stream.timing;
    const tokenChunks = chunks.filter(
      (c) => c.choices[0]?.delta.content || c.choices[0]?.delta.reasoning_content,
    );
    expect(t.tokenTimes).toHaveLength(tokenChunks.length);
    expect(t.firstToken).toBe(t.tokenTimes[0]);
    expect(t.start).toBeLessThanOrEqual(t.headers!);
    expect(t.headers).toBeLessThanOrEqual(t.firstByte!);
    expect(t.firstByte).toBeLessThanOrEqual(t.firstToken!);
    expect([...t.tokenTimes].sort((a, b) => a - b)).toEqual(t.tokenTimes);
    expect(t.tokenTimes.at(-1)).toBeLessThanOrEqual(t.end!);
  });

  it("textStream yields only the text deltas", async () => {
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    const pieces = await collect(stream.textStream());
    expect(pieces.join("")).toBe("Hello! 👋 Rouse is warm: 你好，世界。 Ready when you are.");
    expect(pieces.every((p) => p.length > 0)).toBe(true);
  });

  it("finalText works without iterating, and a stream can be iterated only once", async () => {
    const stream = await client.chat.completions.create({
      model: engine.model,
      messages,
      stream: true,
      max_tokens: 3,
    });
    expect(await stream.finalText()).toBe("Hello! 👋 Rouse ");
    expect((await stream.finalCompletion()).choices[0]?.finish_reason).toBe("length");
    const chunks = await collect(stream);
    expect(chunks.length).toBeGreaterThan(3);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/once/);
  });

  it("streams tool-call deltas that accumulate into the call", async () => {
    const stream = await client.chat.completions.create({
      model: engine.model,
      messages,
      stream: true,
      tools: [{ type: "function", function: { name: "get_weather" } }],
    });
    const message = await stream.finalMessage();
    expect(message.tool_calls?.[0]?.function).toEqual({
      name: "get_weather",
      arguments: '{"location": "Paris", "unit": "celsius"}',
    });
  });
});

describe("completions, models, embeddings", () => {
  it("completions.create, plain and streamed", async () => {
    const plain = await client.completions.create({ model: engine.model, prompt: "Once upon a time" });
    expect(plain.object).toBe("text_completion");
    const stream = await client.completions.create({
      model: engine.model,
      prompt: "Once upon a time",
      stream: true,
    });
    expect(await stream.finalText()).toBe(plain.choices[0]?.text);
    expect(stream.timing.tokenTimes.length).toBeGreaterThan(0);
  });

  it("models.list", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([engine.model]);
    expect(list.timing.end).toBeDefined();
  });

  it("embeddings.create", async () => {
    const result = await client.embeddings.create({ model: engine.model, input: ["a", "bc"] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toHaveLength(8);
  });
});

describe("errors", () => {
  it("401 without the right key: ApiError with the engine's body and a hint", async () => {
    const bad = createClient({ baseURL: engine.baseURL, apiKey: "wrong", retry: fastRetry });
    const error = await bad.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, body: { error: "Unauthorized" }, attempts: 1 });
    expect((error as ApiError).error?.message).toBe("Unauthorized");
    expect((error as ApiError).hint).toMatch(/apiKey|API key/);
    await bad.close();
  });

  it("404 for an unknown model carries the engine's message and request id", async () => {
    const error = (await client.chat.completions
      .create({ model: "nope", messages })
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(404);
    expect(error.error).toMatchObject({ message: "The model `nope` does not exist.", type: "NotFoundError" });
    expect(error.message).toContain("does not exist");
    expect(error.hint).toContain("models.list()");
  });

  it("an error status on a streamed request rejects the create call", async () => {
    await expect(
      client.chat.completions.create({ model: "nope", messages, stream: true }),
    ).rejects.toMatchObject({
      name: "ApiError",
      status: 404,
    });
  });

  it("a 200 answer that is not JSON is an ApiError with a hint", async () => {
    engine.enqueue({ kind: "status", status: 200, body: "<html>hello</html>" });
    const error = (await client.models.list().catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.hint).toMatch(/OpenAI-compatible/);
  });
});

describe("Modal proxy auth", () => {
  it("sends Modal-Key and Modal-Secret", async () => {
    const guarded = await startFakeEngine({ modalProxyAuth: { key: "wk-1", secret: "ws-1" } });
    const without = createClient({ baseURL: guarded.baseURL, retry: false });
    const error = (await without.models.list().catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(401);
    expect(error.body).toBe("modal-http: missing credentials for proxy authorization");
    expect(error.hint).toContain("modalProxyAuth");

    const withAuth = createClient({
      baseURL: guarded.baseURL,
      modalProxyAuth: { key: "wk-1", secret: "ws-1" },
    });
    expect((await withAuth.models.list()).data).toHaveLength(1);
    expect(guarded.requests.at(-1)?.headers).toMatchObject({ "modal-key": "wk-1", "modal-secret": "ws-1" });
    await Promise.all([without.close(), withAuth.close(), guarded.close()]);
  });
});

describe("pool", () => {
  it("reuses keep-alive connections and opens no more than pool.connections", async () => {
    const pooled = createClient({ baseURL: engine.baseURL, apiKey: "sk-test", pool: { connections: 2 } });
    const before = engine.requests.length;
    await Promise.all(Array.from({ length: 8 }, () => pooled.models.list()));
    await pooled.models.list();
    const ports = new Set(engine.requests.slice(before).map((r) => r.remotePort));
    expect(engine.requests.length - before).toBe(9);
    expect(ports.size).toBeLessThanOrEqual(2);
    await pooled.close();
  });
});
