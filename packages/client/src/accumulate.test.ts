import { describe, expect, it } from "vitest";
import { chatChunkHasToken, createChatAccumulator } from "./accumulate.ts";
import { readFixture } from "./__fixtures__/helpers.ts";
import { createSseParser } from "./sse.ts";
import type { ChatCompletionChunk } from "./types/chat.ts";

function chunksOf(name: string): ChatCompletionChunk[] {
  const parser = createSseParser();
  return [...parser.push(readFixture(name)), ...parser.end()]
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data) as ChatCompletionChunk);
}

function accumulate(name: string) {
  const acc = createChatAccumulator();
  for (const chunk of chunksOf(name)) acc.add(chunk);
  return acc.result()!;
}

describe("createChatAccumulator on recorded streams", () => {
  it("vLLM reasoning: content, reasoning_content, finish reason and usage", () => {
    const completion = accumulate("vllm-chat-reasoning");
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("Qwen/Qwen3-0.6B");
    const [choice] = completion.choices;
    expect(choice?.message.content).toBe("\n\n你好！👋 今天过得怎么样？ 🌸✨");
    expect(choice?.message.reasoning_content).toMatch(
      /^Okay, the user wants a greeting in Chinese.*"你好" means hello\. Keep it short\.\n$/,
    );
    expect(choice?.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 17, total_tokens: 52, completion_tokens: 35 });
  });

  it("vLLM tool call: `reasoning` and arguments joined across deltas", () => {
    const completion = accumulate("vllm-chat-tool-call");
    const [choice] = completion.choices;
    expect(choice?.message.content).toBe(""); // the role opener's "" (as the openai SDK accumulates it)
    expect(choice?.message.reasoning).toBe(
      "The user asks for the weather in Zürich. I should call get_weather.",
    );
    expect(choice?.message.tool_calls).toEqual([
      {
        id: "chatcmpl-tool-3f6c2b9e8d7a4c1b",
        type: "function",
        function: { name: "get_weather", arguments: '{"city": "Zürich", "unit": "celsius"}' },
      },
    ]);
    expect(JSON.parse(choice!.message.tool_calls![0]!.function.arguments)).toEqual({
      city: "Zürich",
      unit: "celsius",
    });
    expect(choice?.finish_reason).toBe("tool_calls");
  });

  it("SGLang: explicit nulls ignored, matched_stop kept", () => {
    const completion = accumulate("sglang-chat-stream");
    const [choice] = completion.choices;
    expect(choice?.message.content).toBe("こんにちは！😀 Ça va bien，谢谢。");
    expect(choice?.message.reasoning_content).toBe("ユーザーは挨拶を求めている。");
    expect(choice?.matched_stop).toBe(151645);
    expect(completion.usage?.completion_tokens).toBe(17);
  });

  it("counts only chunks that carry output as tokens", () => {
    const chunks = chunksOf("vllm-chat-reasoning");
    expect(chatChunkHasToken(chunks[0]!)).toBe(false); // role opener
    expect(chatChunkHasToken(chunks[1]!)).toBe(true); // reasoning
    expect(chatChunkHasToken(chunks.at(-1)!)).toBe(false); // usage
    expect(chunks.filter(chatChunkHasToken)).toHaveLength(23 + 11);
  });
});
