import type { CompletionUsage, EngineSamplingParams, LogProbs, StreamOptions } from "./common.ts";

export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool";

export interface ChatContentPartText {
  type: "text";
  text: string;
}
export interface ChatContentPartImage {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}
export interface ChatContentPartAudio {
  type: "input_audio";
  input_audio: { data: string; format: "wav" | "mp3" };
}
export type ChatContentPart = ChatContentPartText | ChatContentPartImage | ChatContentPartAudio;

export interface ChatMessageToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type ChatMessageParam =
  | { role: "system" | "developer"; content: string | ChatContentPartText[]; name?: string }
  | { role: "user"; content: string | ChatContentPart[]; name?: string }
  | {
      role: "assistant";
      content?: string | ChatContentPartText[] | null;
      name?: string;
      tool_calls?: ChatMessageToolCall[];
      /** Some chat templates (vLLM, SGLang) accept prior reasoning back. */
      reasoning_content?: string | null;
    }
  | { role: "tool"; content: string | ChatContentPartText[]; tool_call_id: string };

export interface FunctionDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
}

export interface ChatTool {
  type: "function";
  function: FunctionDefinition;
}

export type ChatToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: {
        name: string;
        description?: string;
        schema?: Record<string, unknown>;
        strict?: boolean | null;
      };
    };

export interface ChatCompletionCreateParamsBase extends EngineSamplingParams {
  model: string;
  messages: ChatMessageParam[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  reasoning_effort?: "minimal" | "low" | "medium" | "high" | null;
  user?: string;
  stream_options?: StreamOptions | null;
}

export interface ChatCompletionCreateParamsStreaming extends ChatCompletionCreateParamsBase {
  stream: true;
}
export interface ChatCompletionCreateParamsNonStreaming extends ChatCompletionCreateParamsBase {
  stream?: false | null;
}
export type ChatCompletionCreateParams =
  | ChatCompletionCreateParamsStreaming
  | ChatCompletionCreateParamsNonStreaming;

/** The assistant's message. `reasoning_content` (vLLM ≤0.10, SGLang) and `reasoning` (newer vLLM) carry thinking. */
export interface ChatCompletionMessage {
  role: "assistant";
  content: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: ChatMessageToolCall[] | null;
  refusal?: string | null;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call" | "abort";

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason | (string & {}) | null;
  logprobs?: LogProbs | null;
  /** vLLM: the stop string or token id that ended generation. */
  stop_reason?: string | number | null;
  /** SGLang: the stop string or token id that ended generation. */
  matched_stop?: string | number | null;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string | null;
  type?: "function" | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface ChatCompletionChunkDelta {
  role?: "assistant" | null;
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: ChatCompletionChunkToolCall[] | null;
  refusal?: string | null;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: ChatCompletionChunkDelta;
  finish_reason: FinishReason | (string & {}) | null;
  logprobs?: LogProbs | null;
  stop_reason?: string | number | null;
  matched_stop?: string | number | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  /** Present on the last chunk with `stream_options.include_usage` (and on every chunk with vLLM's `continuous_usage_stats`). */
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
}
