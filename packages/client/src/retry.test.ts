import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, isLoadingAnswer, parseRetryAfter, resolveRetry } from "./retry.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads delay-seconds, fractions included", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("0.05", now)).toBe(50);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
  });

  it("ignores absent or unreadable values", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
  });
});

describe("backoffDelay (full jitter)", () => {
  it("stays in [0, min(cap, base·2^(n-1))) for any draw", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseDelayMs, maxDelayMs, draw) => {
          const delay = backoffDelay(attempt, { baseDelayMs, maxDelayMs, random: () => draw });
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          if (ceiling >= 1) expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it("doubles the ceiling per attempt until the cap", () => {
    const retry = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, retry))).toEqual([99, 199, 399, 799, 999, 999]);
  });
});

describe("isLoadingAnswer", () => {
  it("spots engines that say they are loading", () => {
    expect(isLoadingAnswer(503, { error: { message: "Model is loading" } })).toBe(true);
    expect(isLoadingAnswer(500, { error: "Server is starting up" })).toBe(true);
    expect(isLoadingAnswer(500, "engine not ready")).toBe(true);
    expect(isLoadingAnswer(404, { detail: "model warming up" })).toBe(true);
  });

  it("leaves other errors alone", () => {
    expect(isLoadingAnswer(400, { error: { message: "Model is loading" } })).toBe(false);
    expect(isLoadingAnswer(500, { error: { message: "CUDA out of memory" } })).toBe(false);
    expect(isLoadingAnswer(404, { error: { message: "The model `x` does not exist." } })).toBe(false);
  });
});

describe("resolveRetry", () => {
  it("layers options and turns retries off with false", () => {
    expect(resolveRetry({ maxAttempts: 3 }, { baseDelayMs: 1 })).toMatchObject({
      maxAttempts: 3,
      baseDelayMs: 1,
    });
    expect(resolveRetry({ maxAttempts: 3 }, false).maxAttempts).toBe(1);
    expect(resolveRetry({ maxAttempts: undefined }).maxAttempts).toBe(10);
  });
});
