/** Build the whole answer from streamed chunks, as the non-streamed request would have returned it. */
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatMessageToolCall,
} from "./types/chat.ts";
import type { Completion } from "./types/completions.ts";

export interface Accumulator<TChunk, TFinal> {
  add(chunk: TChunk): void;
  /** The answer so far; `undefined` before the first chunk. */
  result(): TFinal | undefined;
}

export function createChatAccumulator(): Accumulator<ChatCompletionChunk, ChatCompletion> {
  let head: ChatCompletionChunk | undefined;
  let usage: ChatCompletion["usage"];
  const choices = new Map<number, ChatCompletionChoice & { toolCalls: Map<number, ChatMessageToolCall> }>();

  return {
    add(chunk) {
      head ??= chunk;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices ?? []) {
        let choice = choices.get(c.index);
        if (choice === undefined) {
          choice = {
            index: c.index,
            message: { role: "assistant", content: null },
            finish_reason: null,
            toolCalls: new Map(),
          };
          choices.set(c.index, choice);
        }
        const { message } = choice;
        const d = c.delta ?? {};
        // Like the openai SDK's stream helper: an empty string still makes content a string.
        if (typeof d.content === "string") message.content = (message.content ?? "") + d.content;
        if (d.reasoning_content)
          message.reasoning_content = (message.reasoning_content ?? "") + d.reasoning_content;
        if (d.reasoning) message.reasoning = (message.reasoning ?? "") + d.reasoning;
        if (d.refusal) message.refusal = (message.refusal ?? "") + d.refusal;
        for (const t of d.tool_calls ?? []) {
          let call = choice.toolCalls.get(t.index);
          if (call === undefined) {
            call = { id: "", type: "function", function: { name: "", arguments: "" } };
            choice.toolCalls.set(t.index, call);
          }
          if (t.id) call.id = t.id;
          if (t.function?.name) call.function.name += t.function.name;
          if (t.function?.arguments) call.function.arguments += t.function.arguments;
        }
        // Per-token logprobs arrive with each delta; the whole answer carries them all.
        if (c.logprobs?.content) {
          choice.logprobs = { content: [...(choice.logprobs?.content ?? []), ...c.logprobs.content] };
        }
        if (c.finish_reason) choice.finish_reason = c.finish_reason;
        if (c.stop_reason !== undefined) choice.stop_reason = c.stop_reason;
        if (c.matched_stop !== undefined) choice.matched_stop = c.matched_stop;
      }
    },
    result() {
      if (head === undefined) return undefined;
      const out: ChatCompletion = {
        id: head.id,
        object: "chat.completion",
        created: head.created,
        model: head.model,
        choices: [...choices.values()]
          .sort((a, b) => a.index - b.index)
          .map(({ toolCalls, ...choice }) => ({
            ...choice,
            message: {
              ...choice.message,
              ...(toolCalls.size > 0
                ? { tool_calls: [...toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call) }
                : {}),
            },
          })),
      };
      if (usage) out.usage = usage;
      if (head.system_fingerprint) out.system_fingerprint = head.system_fingerprint;
      return out;
    },
  };
}

export function createCompletionAccumulator(): Accumulator<Completion, Completion> {
  let head: Completion | undefined;
  let usage: Completion["usage"];
  const choices = new Map<number, Completion["choices"][number]>();
  return {
    add(chunk) {
      head ??= chunk;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices ?? []) {
        const choice = choices.get(c.index) ?? { index: c.index, text: "", finish_reason: null };
        choice.text += c.text ?? "";
        if (c.finish_reason) choice.finish_reason = c.finish_reason;
        if (c.stop_reason !== undefined) choice.stop_reason = c.stop_reason;
        if (c.matched_stop !== undefined) choice.matched_stop = c.matched_stop;
        choices.set(c.index, choice);
      }
    },
    result() {
      if (head === undefined) return undefined;
      const out: Completion = {
        id: head.id,
        object: "text_completion",
        created: head.created,
        model: head.model,
        choices: [...choices.values()].sort((a, b) => a.index - b.index),
      };
      if (usage) out.usage = usage;
      return out;
    },
  };
}

/** Does this chat chunk carry generated output (text, reasoning, a tool call, a refusal)? */
export function chatChunkHasToken(chunk: ChatCompletionChunk): boolean {
  for (const c of chunk.choices ?? []) {
    const d = c.delta;
    if (d === undefined || d === null) continue;
    if (d.content || d.reasoning_content || d.reasoning || d.refusal) return true;
    if (d.tool_calls?.some((t) => t.function?.arguments || t.function?.name)) return true;
  }
  return false;
}

export function completionChunkHasToken(chunk: Completion): boolean {
  return (chunk.choices ?? []).some((c) => Boolean(c.text));
}
