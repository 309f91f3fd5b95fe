import { describe, expect, it } from "vitest";
import { readFixture } from "./__fixtures__/helpers.ts";
import { createChatAccumulator } from "./accumulate.ts";
import { createSseParser } from "./sse.ts";
import type { ChatCompletionChunk } from "./types/chat.ts";

const chunksOf = (name: string): ChatCompletionChunk[] => {
  const parser = createSseParser();
  return [...parser.push(readFixture(name)), ...parser.end()]
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data) as ChatCompletionChunk);
};

describe("createChatAccumulator", () => {
  it("keeps every streamed token's logprobs, per choice, in order (real vLLM recording, n=2)", () => {
    const chunks = chunksOf("vllm-cpu-chat-stream-n2-logprobs");
    const acc = createChatAccumulator();
    for (const chunk of chunks) acc.add(chunk);
    const result = acc.result()!;
    for (const choice of result.choices) {
      const streamed = chunks
        .flatMap((c) => c.choices)
        .filter((c) => c.index === choice.index)
        .flatMap((c) => c.logprobs?.content ?? []);
      expect(streamed.length).toBeGreaterThan(0);
      expect(choice.logprobs?.content).toEqual(streamed);
      // The tokens' text adds up to the message (special tokens are not rendered in content).
      expect(streamed.map((t) => t.token).join("").replace(/<\|[a-z_]+\|>/g, "")).toBe(choice.message.content);
    }
  });

  it("leaves logprobs out when the stream had none", () => {
    const acc = createChatAccumulator();
    acc.add({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] });
    expect(acc.result()!.choices[0]!.logprobs).toBeUndefined();
  });
});
