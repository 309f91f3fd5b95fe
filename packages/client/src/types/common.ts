/** Token accounting, as OpenAI, vLLM and SGLang report it. */
export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** `stream_options` of a streamed request. */
export interface StreamOptions {
  /** Ask for one last chunk with `choices: []` and the request's `usage`. */
  include_usage?: boolean;
  /** vLLM: put running `usage` on every chunk. */
  continuous_usage_stats?: boolean;
}

/**
 * The error object engines answer with. OpenAI and recent vLLM/SGLang nest it
 * under `{"error": {...}}`; older vLLM sends it bare with `"object": "error"`.
 */
export interface EngineErrorBody {
  message: string;
  type?: string | null;
  param?: string | null;
  code?: string | number | null;
  object?: "error";
}

/** Log probabilities, kept loose: engines differ in the details. */
export interface LogProbs {
  content?: Array<{
    token: string;
    logprob: number;
    bytes?: number[] | null;
    top_logprobs?: Array<{ token: string; logprob: number; bytes?: number[] | null }>;
  }> | null;
  [key: string]: unknown;
}

/**
 * Sampling parameters vLLM and SGLang accept beyond the OpenAI set. Unknown
 * extras go through `RequestOptions.extraBody`.
 */
export interface EngineSamplingParams {
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  min_tokens?: number;
  ignore_eos?: boolean;
  skip_special_tokens?: boolean;
  include_stop_str_in_output?: boolean;
  stop_token_ids?: number[];
  /** vLLM/SGLang: passed to the chat template (e.g. `{ enable_thinking: false }`). */
  chat_template_kwargs?: Record<string, unknown>;
  /** SGLang: return reasoning apart from content. */
  separate_reasoning?: boolean;
  /** vLLM scheduling priority (lower runs first) when the engine uses priority scheduling. */
  priority?: number;
}
