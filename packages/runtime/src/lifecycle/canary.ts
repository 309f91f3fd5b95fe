import type { HttpCallV1 } from "@rouse/engine-spec";
import type { CanarySpec } from "./engine-rules.ts";

// Verified wake: an engine can report healthy after a wake that left it serving
// garbage (vLLM level 2 without reload_weights answers token 0 every time). The
// canary is a fixed greedy request recorded before the engine scales down and
// replayed after it comes back, before any traffic is admitted.

export interface CanaryAnswer {
  readonly tokens: readonly (string | number)[];
  readonly logprobs: readonly number[];
}

export interface CanaryVerdict {
  readonly ok: boolean;
  /** What differed, or "identical (16 tokens)". */
  readonly detail: string;
}

/** Sends one HTTP call described as data (with the engine's key) and returns the JSON answer. */
export async function sendJson(
  fetchFn: typeof globalThis.fetch,
  baseUrl: string,
  call: HttpCallV1,
  apiKey: string | undefined,
): Promise<unknown> {
  const url = new URL(call.path, baseUrl);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  if (call.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetchFn(url, {
    method: call.method,
    headers,
    ...(call.json !== undefined ? { body: JSON.stringify(call.json) } : {}),
    signal: AbortSignal.timeout((call.timeoutSeconds ?? 30) * 1000),
  });
  const text = await response.text();
  const ok = call.okStatus ?? [200];
  if (!ok.includes(response.status))
    throw new Error(`${call.method} ${call.path}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function field(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Reads tokens and logprobs out of a canary answer; throws when the engine did not return them. */
export function readCanary(spec: CanarySpec, body: unknown): CanaryAnswer {
  const tokens = field(body, spec.tokensField);
  const logprobs = field(body, spec.logprobsField);
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw new Error(`the canary answer has no tokens at ${spec.tokensField}`);
  if (!Array.isArray(logprobs) || logprobs.length !== tokens.length)
    throw new Error(`the canary answer has no logprob per token at ${spec.logprobsField}`);
  return {
    tokens: tokens.map((t) => (typeof t === "number" ? t : String(t))),
    // The first token of some engines has a null logprob (no context): count it as 0.
    logprobs: logprobs.map((l) => (typeof l === "number" ? l : 0)),
  };
}

/** The same tokens, and every logprob within the tolerance. */
export function compareCanary(spec: CanarySpec, before: CanaryAnswer, after: CanaryAnswer): CanaryVerdict {
  const n = Math.max(before.tokens.length, after.tokens.length);
  for (let i = 0; i < n; i++) {
    if (before.tokens[i] !== after.tokens[i]) {
      return {
        ok: false,
        detail: `token ${i} differs: ${JSON.stringify(before.tokens[i] ?? null)} before, ${JSON.stringify(after.tokens[i] ?? null)} after`,
      };
    }
  }
  for (let i = 0; i < n; i++) {
    const delta = Math.abs(before.logprobs[i]! - after.logprobs[i]!);
    if (!(delta <= spec.logprobTolerance)) {
      return {
        ok: false,
        detail: `logprob of token ${i} moved by ${delta.toFixed(4)} (> ${spec.logprobTolerance}): ${before.logprobs[i]} before, ${after.logprobs[i]} after`,
      };
    }
  }
  return { ok: true, detail: `identical (${n} tokens)` };
}

/** Runs the canary once. */
export async function runCanary(
  spec: CanarySpec,
  fetchFn: typeof globalThis.fetch,
  baseUrl: string,
  apiKey: string | undefined,
): Promise<CanaryAnswer> {
  return readCanary(spec, await sendJson(fetchFn, baseUrl, spec.request, apiKey));
}
