import type { LifecycleSpecV1 } from "@rouse/engine-spec";

/** Largest logprob drift a canary accepts (see canaryV1Schema.logprobTolerance). */
export const CANARY_LOGPROB_TOLERANCE = 0.02;

/**
 * The verified-wake request both engines answer the same way: OpenAI `/v1/completions`
 * (not chat, so no chat template or reasoning parser shapes it), a fixed prompt, greedy,
 * 16 tokens, each token's logprob at `choices.0.logprobs.{tokens,token_logprobs}`.
 * `extra` carries an engine's own fields (vLLM: `return_tokens_as_token_ids`).
 */
export function completionsCanary(
  model: string | undefined,
  extra: Readonly<Record<string, unknown>> = {},
): NonNullable<LifecycleSpecV1["canary"]> {
  return {
    request: {
      method: "POST",
      path: "/v1/completions",
      json: {
        model,
        prompt: "The capital of France is",
        max_tokens: 16,
        temperature: 0,
        logprobs: 1,
        ...extra,
      },
      timeoutSeconds: 120,
    },
    tokensField: "choices.0.logprobs.tokens",
    logprobsField: "choices.0.logprobs.token_logprobs",
    logprobTolerance: CANARY_LOGPROB_TOLERANCE,
  };
}
