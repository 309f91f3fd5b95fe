/** Recorded vLLM/SGLang streams served over real HTTP in awkward pieces, read by the client. */
import { describe, expect, it } from "vitest";
import { createChatAccumulator } from "./accumulate.ts";
import { createClient } from "./client.ts";
import { collect, FIXTURES, readFixture, startReplayServer } from "./__fixtures__/helpers.ts";
import { createSseParser } from "./sse.ts";
import type { ChatCompletionChunk } from "./types/chat.ts";

function expectedChunks(bytes: Buffer): ChatCompletionChunk[] {
  const parser = createSseParser();
  return [...parser.push(bytes), ...parser.end()]
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data) as ChatCompletionChunk);
}

describe.each(FIXTURES)("%s replayed over HTTP", (name) => {
  const bytes = readFixture(name);
  const expected = expectedChunks(bytes);

  it.each([[[1]], [[3, 5, 7]], [[64]], [[1000]], [[bytes.length]]])(
    "in pieces of %j bytes: the same chunks, final message and token timings",
    async (pieces) => {
      const server = await startReplayServer(bytes, pieces);
      const client = createClient({ baseURL: server.baseURL, retry: false });
      try {
        const stream = await client.chat.completions.create({ model: "m", messages: [], stream: true });
        const chunks = await collect(stream);
        expect(chunks).toEqual(expected);

        const acc = createChatAccumulator();
        for (const chunk of expected) acc.add(chunk);
        expect(await stream.finalCompletion()).toEqual(acc.result());
        expect(stream.usage).toEqual(expected.at(-1)?.usage);
        expect(stream.timing.tokenTimes.length).toBe(
          expected.filter((c) =>
            c.choices.some(
              (x) => x.delta.content || x.delta.reasoning_content || x.delta.reasoning || x.delta.tool_calls,
            ),
          ).length,
        );
      } finally {
        await client.close();
        await server.close();
      }
    },
  );
});
