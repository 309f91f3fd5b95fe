import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../../errors.ts";

export interface RateLimitOptions {
  /** The bucket for this request: a key and its requests per minute; undefined: no limit. */
  readonly limitFor: (c: Context) => { readonly key: string; readonly requestsPerMinute: number } | undefined;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * A token bucket per key: holds up to `requestsPerMinute` tokens, refills at
 * `requestsPerMinute / 60` per second, one token per request. An empty bucket
 * answers 429 with `Retry-After` (seconds until the next token).
 *
 * @example
 * app.use("/v1/*", rateLimit({ limitFor: (c) => ({ key: c.var.principal.name, requestsPerMinute: 600 }) }));
 */
export function rateLimit(options: RateLimitOptions) {
  const take = createTokenBuckets(options.now);
  // Not async: nothing to await before next(), so no promise of its own per request.
  return createMiddleware((c, next) => {
    const limit = options.limitFor(c);
    if (limit) take(limit.key, limit.requestsPerMinute);
    return next();
  });
}

/** The buckets behind `rateLimit`: `take(key, rpm)` spends a token or throws a 429 GatewayError. */
export function createTokenBuckets(
  now: () => number = Date.now,
): (key: string, requestsPerMinute: number) => void {
  const buckets = new Map<string, Bucket>();
  return (key, capacity) => {
    const t = now();
    const perMs = capacity / 60_000;
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: capacity, updated: t };
      buckets.set(key, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + (t - b.updated) * perMs);
      b.updated = t;
    }
    if (b.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
      throw new GatewayError(
        429,
        "rate_limit_error",
        `Rate limit reached for key '${key}': ${capacity} requests per minute`,
        {
          code: "rate_limit_exceeded",
          retryAfter,
        },
      );
    }
    b.tokens -= 1;
  };
}
