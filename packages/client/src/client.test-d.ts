/** Type-level tests (checked by `tsc`, not run). */
import { expectTypeOf } from "vitest";
import {
  type ChatStream,
  type CompletionStream,
  createClient,
  type RequestTiming,
  type WithMeta,
} from "./index.ts";
import type { ChatCompletion, ChatCompletionChunk, Completion } from "./types/index.ts";

const client = createClient({ baseURL: "http://127.0.0.1:8000" });
const messages = [{ role: "user" as const, content: "hi" }];

// `stream: true` gives a ChatStream, anything else the parsed completion with timing.
expectTypeOf(
  client.chat.completions.create({ model: "m", messages, stream: true }),
).resolves.toEqualTypeOf<ChatStream>();
expectTypeOf(client.chat.completions.create({ model: "m", messages })).resolves.toEqualTypeOf<
  WithMeta<ChatCompletion>
>();
expectTypeOf(client.chat.completions.create({ model: "m", messages, stream: false })).resolves.toEqualTypeOf<
  WithMeta<ChatCompletion>
>();
declare const maybe: boolean;
expectTypeOf(client.chat.completions.create({ model: "m", messages, stream: maybe })).resolves.toEqualTypeOf<
  ChatStream | WithMeta<ChatCompletion>
>();
expectTypeOf(
  client.completions.create({ model: "m", prompt: "p", stream: true }),
).resolves.toEqualTypeOf<CompletionStream>();
expectTypeOf(client.completions.create({ model: "m", prompt: "p" })).resolves.toEqualTypeOf<
  WithMeta<Completion>
>();

async function streams(stream: ChatStream) {
  for await (const chunk of stream) expectTypeOf(chunk).toEqualTypeOf<ChatCompletionChunk>();
  expectTypeOf(stream.textStream()).toExtend<AsyncIterable<string>>();
  expectTypeOf(stream.timing).toEqualTypeOf<RequestTiming>();
  expectTypeOf(await stream.finalText()).toBeString();
  const message = await stream.finalMessage();
  expectTypeOf(message.reasoning_content).toEqualTypeOf<string | null | undefined>();
}
void streams;

// Reasoning fields and tool calls are typed.
async function nonStream() {
  const completion = await client.chat.completions.create({ model: "m", messages });
  expectTypeOf(completion.choices[0]!.message.reasoning).toEqualTypeOf<string | null | undefined>();
  expectTypeOf(completion.timing.tokenTimes).toEqualTypeOf<number[]>();
}
void nonStream;

// @ts-expect-error: model is required
void client.chat.completions.create({ messages });
// @ts-expect-error: unknown role
void client.chat.completions.create({ model: "m", messages: [{ role: "robot", content: "x" }] });
