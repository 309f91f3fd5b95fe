import type { CompletionUsage, EngineSamplingParams, StreamOptions } from "./common.ts";

export interface CompletionCreateParamsBase extends EngineSamplingParams {
  model: string;
  prompt: string | string[] | number[] | number[][];
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  echo?: boolean | null;
  logprobs?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  suffix?: string | null;
  user?: string;
  stream_options?: StreamOptions | null;
}
export interface CompletionCreateParamsStreaming extends CompletionCreateParamsBase {
  stream: true;
}
export interface CompletionCreateParamsNonStreaming extends CompletionCreateParamsBase {
  stream?: false | null;
}
export type CompletionCreateParams = CompletionCreateParamsStreaming | CompletionCreateParamsNonStreaming;

export interface CompletionChoice {
  index: number;
  text: string;
  finish_reason: "stop" | "length" | "content_filter" | (string & {}) | null;
  logprobs?: {
    tokens?: string[];
    token_logprobs?: Array<number | null>;
    top_logprobs?: Array<Record<string, number> | null>;
    text_offset?: number[];
  } | null;
  stop_reason?: string | number | null;
  matched_stop?: string | number | null;
}

/** Both the whole answer and each streamed chunk have this shape. */
export interface Completion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
}
