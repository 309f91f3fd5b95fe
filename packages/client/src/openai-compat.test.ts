/**
 * The same requests through the official `openai` SDK and through this client,
 * against the same local server: the results must agree.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { ApiError, StreamError } from "./errors.ts";
import { collect } from "./__fixtures__/helpers.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let sdk: OpenAI;
let rouse: RouseClient;

beforeAll(async () => {
  engine = await startFakeEngine({ reasoning: "Think first.", apiKey: "sk-x" });
  sdk = new OpenAI({ baseURL: engine.baseURL, apiKey: "sk-x", maxRetries: 0 });
  rouse = createClient({ baseURL: engine.url, apiKey: "sk-x", retry: false });
});
afterAll(async () => {
  await rouse.close();
  await engine.close();
});

/** Drop what is not part of the answer (SDK-private fields) by a JSON round trip. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const tools = [
  {
    type: "function" as const,
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { location: { type: "string" } } },
    },
  },
];

describe("openai SDK and @rouse/client agree", () => {
  const requests = [
    { name: "plain", body: { messages: [{ role: "user" as const, content: "Hi 👋" }] } },
    { name: "max_tokens", body: { messages: [{ role: "user" as const, content: "Hi" }], max_tokens: 2 } },
    { name: "tools", body: { messages: [{ role: "user" as const, content: "Weather?" }], tools } },
    {
      name: "json_object",
      body: {
        messages: [{ role: "user" as const, content: "JSON" }],
        response_format: { type: "json_object" as const },
      },
    },
  ];

  for (const { name, body } of requests) {
    it(`chat completion (${name})`, async () => {
      const expected = await sdk.chat.completions.create({ model: engine.model, ...body });
      const actual = await rouse.chat.completions.create({ model: engine.model, ...body });
      expect(plain(actual)).toEqual(plain(expected));
    });

    it(`streamed chat completion (${name}), usage included`, async () => {
      const request = {
        model: engine.model,
        ...body,
        stream: true as const,
        stream_options: { include_usage: true },
      };
      const expected = await collect(await sdk.chat.completions.create(request));
      const stream = await rouse.chat.completions.create(request);
      const actual = await collect(stream);
      expect(plain(actual)).toEqual(plain(expected));
      expect(stream.usage).toEqual(expected.at(-1)?.usage);
    });
  }

  it("the SDK's stream helper and finalMessage() build the same message", async () => {
    const request = {
      model: engine.model,
      messages: [{ role: "user" as const, content: "Weather?" }],
      tools,
      stream: true as const,
    };
    const runner = sdk.chat.completions.stream(request);
    const expected = await runner.finalMessage();
    const message = await (await rouse.chat.completions.create(request)).finalMessage();
    expect(message.tool_calls).toEqual(expected.tool_calls);
    expect(message.content ?? null).toEqual(expected.content ?? null);
  });

  it("completions, plain and streamed", async () => {
    const body = { model: engine.model, prompt: "Once upon" };
    expect(plain(await rouse.completions.create(body))).toEqual(plain(await sdk.completions.create(body)));
    const expected = await collect(await sdk.completions.create({ ...body, stream: true }));
    const actual = await collect(await rouse.completions.create({ ...body, stream: true }));
    expect(plain(actual)).toEqual(plain(expected));
  });

  it("models.list", async () => {
    const page = await sdk.models.list();
    expect(plain((await rouse.models.list()).data)).toEqual(plain(page.data));
  });

  it("embeddings (the SDK asks for base64 and decodes it; floats are the same)", async () => {
    const body = { model: engine.model, input: ["hello", "world"] };
    const expected = await sdk.embeddings.create(body);
    const actual = await rouse.embeddings.create(body);
    expect(plain(actual)).toEqual(plain(expected));
  });

  it("an HTTP error: same status and engine message", async () => {
    const body = { model: "missing", messages: [{ role: "user" as const, content: "x" }] };
    const expected = (await sdk.chat.completions.create(body).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    const actual = (await rouse.chat.completions.create(body).catch((e: unknown) => e)) as ApiError;
    expect(expected).toBeInstanceOf(OpenAI.NotFoundError);
    expect(actual).toBeInstanceOf(ApiError);
    expect(actual.status).toBe(expected.status);
    expect(actual.error).toEqual(expected.error);
  });

  it("an error event mid-stream: both stop after the same chunks with the engine's message", async () => {
    const body = {
      model: engine.model,
      messages: [{ role: "user" as const, content: "x" }],
      stream: true as const,
    };
    const run = async (iterable: AsyncIterable<unknown>) => {
      const chunks: unknown[] = [];
      try {
        for await (const chunk of iterable) chunks.push(chunk);
      } catch (error) {
        return { chunks, error };
      }
      return { chunks, error: undefined };
    };
    engine.enqueue({ kind: "streamError", afterChunks: 3, message: "KV cache exhausted" });
    const expected = await run(await sdk.chat.completions.create(body));
    engine.enqueue({ kind: "streamError", afterChunks: 3, message: "KV cache exhausted" });
    const actual = await run(await rouse.chat.completions.create(body));
    expect(plain(actual.chunks)).toEqual(plain(expected.chunks));
    expect(expected.error).toBeInstanceOf(OpenAI.APIError);
    expect((expected.error as Error).message).toContain("KV cache exhausted");
    expect(actual.error).toBeInstanceOf(StreamError);
    expect((actual.error as StreamError).error?.message).toBe("KV cache exhausted");
  });

  it("a wrong key: both get 401", async () => {
    const badSdk = new OpenAI({ baseURL: engine.baseURL, apiKey: "nope", maxRetries: 0 });
    const badRouse = createClient({ baseURL: engine.baseURL, apiKey: "nope", retry: false });
    const expected = (await badSdk.models.list().catch((e: unknown) => e)) as { status: number };
    const actual = (await badRouse.models.list().catch((e: unknown) => e)) as ApiError;
    expect(actual.status).toBe(expected.status);
    expect(actual.status).toBe(401);
    await badRouse.close();
  });
});
