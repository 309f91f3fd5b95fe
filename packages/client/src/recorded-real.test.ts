/**
 * Streams and bodies captured from a REAL vLLM 0.32.0 (CPU build, tiny random model;
 * see __fixtures__/README.md), read back by the SSE parser split at every byte
 * offset and by the client over HTTP. The text is random tokens; the structure is
 * what a real engine sends.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { collect, readFixture, startReplayServer } from "./__fixtures__/helpers.ts";
import { createClient } from "./client.ts";
import { ApiError } from "./errors.ts";
import { createSseParser, type SseEvent } from "./sse.ts";
import { startFakeEngine } from "./test-server.ts";
import type { ChatCompletion, ChatCompletionChunk } from "./types/chat.ts";
import type { Completion } from "./types/completions.ts";

interface Recorded {
  /** The status line's code and the content type, from `<name>.headers.txt`. */
  status: number;
  contentType: string;
}

function recorded(name: string): Recorded {
  const text = readFileSync(new URL(`./__fixtures__/${name}.headers.txt`, import.meta.url), "utf8");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
  const contentType = /^content-type: (.*)$/im.exec(text)?.[1] ?? "";
  return { status, contentType };
}

function body(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}.body.json`, import.meta.url), "utf8");
}

function parseAll(chunks: Uint8Array[]): SseEvent[] {
  const parser = createSseParser();
  const out: SseEvent[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

interface StreamCase {
  name: string;
  kind: "chat" | "completion";
  /** Choices (`n`). */
  n: number;
  /** Tokens per choice: `max_tokens` with `ignore_eos`, fewer when aborted (read from usage). */
  tokens: number;
  finish: "length" | "abort";
  /** Sent `stream_options.include_usage`. */
  usage: boolean;
}

const STREAMS: StreamCase[] = [
  { name: "vllm-cpu-chat-stream-usage", kind: "chat", n: 1, tokens: 24, finish: "length", usage: true },
  { name: "vllm-cpu-chat-stream-n2-logprobs", kind: "chat", n: 2, tokens: 6, finish: "length", usage: true },
  {
    name: "vllm-cpu-completion-stream",
    kind: "completion",
    n: 1,
    tokens: 16,
    finish: "length",
    usage: false,
  },
  // SIGTERM to the engine mid-stream: the choice ends with finish_reason "abort", usage still
  // follows; and one chunk carries two tokens (" serverJumps"): vLLM coalesces when it falls behind
  { name: "vllm-cpu-chat-stream-sigterm", kind: "chat", n: 1, tokens: 13, finish: "abort", usage: true },
];

type Chunk = ChatCompletionChunk | Completion;
type ChunkChoice = ChatCompletionChunk["choices"][number] | Completion["choices"][number];
const choicesOf = (chunk: Chunk): ChunkChoice[] => chunk.choices;

describe.each(STREAMS)("$name (recorded from vLLM 0.32.0 CPU)", (c) => {
  const bytes = readFixture(c.name);
  const whole = parseAll([bytes]);
  const chunks = whole.slice(0, -1).map((e) => JSON.parse(e.data) as Chunk);
  const pieceOf = (choice: ChunkChoice): string | null | undefined =>
    "delta" in choice ? choice.delta.content : choice.text;

  it("was a 200 text/event-stream of JSON chunks ending in [DONE]", () => {
    expect(recorded(c.name)).toEqual({ status: 200, contentType: "text/event-stream; charset=utf-8" });
    expect(whole.at(-1)).toEqual({ event: "message", data: "[DONE]", id: undefined });
    expect(whole.every((e) => e.event === "message" && e.id === undefined)).toBe(true);
  });

  it(`every two-piece split gives the same events (${bytes.length + 1} splits)`, () => {
    for (let offset = 0; offset <= bytes.length; offset++) {
      const events = parseAll([bytes.subarray(0, offset), bytes.subarray(offset)]);
      if (JSON.stringify(events) !== JSON.stringify(whole))
        expect.fail(`split at byte ${offset} changed the events`);
    }
  });

  it("one byte at a time gives the same events", () => {
    expect(parseAll(Array.from(bytes, (b) => new Uint8Array([b])))).toEqual(whole);
  });

  it("has the structure vLLM streams: one id, one finish per choice, usage last", () => {
    const object = c.kind === "chat" ? "chat.completion.chunk" : "text_completion";
    expect(new Set(chunks.map((x) => x.id)).size).toBe(1);
    expect(chunks.every((x) => x.object === object && x.model === "tiny")).toBe(true);

    const usageChunk = chunks.at(-1)!;
    const body = c.usage ? chunks.slice(0, -1) : chunks;
    if (c.usage) {
      expect(usageChunk.choices).toEqual([]);
      const u = usageChunk.usage!;
      expect(u.completion_tokens).toBe(c.n * c.tokens);
      expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    }
    expect(body.every((x) => x.usage === undefined && x.choices.length === 1)).toBe(true);

    for (let index = 0; index < c.n; index++) {
      const mine = body.map((x) => choicesOf(x)[0]!).filter((x) => x.index === index);
      if (c.kind === "chat") {
        // a role-only opening chunk (content ""), then one chunk per token
        expect((mine[0] as ChatCompletionChunk["choices"][number]).delta).toEqual({
          role: "assistant",
          content: "",
        });
        mine.shift();
      }
      // at most one chunk per token (more than one token per chunk when the server falls behind)
      expect(mine.length).toBeGreaterThan(1);
      expect(mine.length).toBeLessThanOrEqual(c.tokens);
      expect(mine.every((x) => typeof pieceOf(x) === "string")).toBe(true);
      expect(mine.slice(0, -1).every((x) => x.finish_reason === null)).toBe(true);
      expect(mine.at(-1)!.finish_reason).toBe(c.finish);
    }
  });

  it.each([[[1]], [[7, 64]], [[bytes.length]]])(
    "through the client over HTTP in pieces of %j bytes: same chunks, text per choice, usage",
    async (pieces) => {
      const server = await startReplayServer(bytes, pieces);
      const client = createClient({ baseURL: server.baseURL, retry: false });
      try {
        const stream =
          c.kind === "chat"
            ? await client.chat.completions.create({ model: "tiny", messages: [], stream: true })
            : await client.completions.create({ model: "tiny", prompt: "", stream: true });
        expect(await collect(stream as AsyncIterable<Chunk>)).toEqual(chunks);
        const final = (await stream.finalCompletion()) as ChatCompletion | Completion;
        expect(final.choices.map((x) => x.index)).toEqual([...Array(c.n).keys()]);
        for (const choice of final.choices) {
          const text = chunks
            .flatMap(choicesOf)
            .filter((x) => x.index === choice.index)
            .map((x) => pieceOf(x) ?? "")
            .join("");
          expect("message" in choice ? choice.message.content : choice.text).toBe(text);
          expect(choice.finish_reason).toBe(c.finish);
        }
        expect(stream.usage).toEqual(c.usage ? chunks.at(-1)!.usage : undefined);
      } finally {
        await client.close();
        await server.close();
      }
    },
  );
});

describe("non-streamed bodies recorded from vLLM 0.32.0 CPU, through the client", () => {
  it("a chat completion comes back as the engine sent it", async () => {
    const name = "vllm-cpu-chat";
    expect(recorded(name)).toEqual({ status: 200, contentType: "application/json" });
    const engine = await startFakeEngine();
    const client = createClient({ baseURL: engine.baseURL, retry: false });
    try {
      engine.enqueue({
        kind: "status",
        status: 200,
        body: body(name),
        headers: { "content-type": "application/json" },
      });
      const completion = await client.chat.completions.create({ model: "tiny", messages: [] });
      expect(completion).toEqual(JSON.parse(body(name)));
      expect(completion.choices[0]?.finish_reason).toBe("length");
      expect(completion.usage).toMatchObject({ completion_tokens: 16 });
      expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + 16);
    } finally {
      await client.close();
      await engine.close();
    }
  });

  it.each([
    ["vllm-cpu-error-unknown-model", 404, "NotFoundError", /does not exist/],
    ["vllm-cpu-error-max-tokens", 400, "BadRequestError", /cannot be greater than max_model_len/],
    // stream: true changes nothing: the request is rejected before any event is sent
    ["vllm-cpu-error-max-tokens-stream", 400, "BadRequestError", /cannot be greater than max_model_len/],
  ] as const)("%s: an ApiError %i with the engine's error", async (name, status, type, message) => {
    expect(recorded(name)).toEqual({ status, contentType: "application/json" });
    const engine = await startFakeEngine();
    const client = createClient({ baseURL: engine.baseURL, retry: false });
    try {
      engine.enqueue({
        kind: "status",
        status,
        body: body(name),
        headers: { "content-type": "application/json" },
      });
      const error = await client.chat.completions
        .create({ model: "tiny", messages: [], stream: name.endsWith("-stream") })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      const api = error as ApiError;
      expect(api.status).toBe(status);
      expect(api.body).toEqual(JSON.parse(body(name)));
      expect(api.error).toMatchObject({ type, code: status });
      expect(api.error?.message).toMatch(message);
      expect(api.message).toMatch(message);
    } finally {
      await client.close();
      await engine.close();
    }
  });
});
