export interface CrashPolicyOptions {
  /** Delay before the first restart. Default 1 s. */
  readonly initialDelayMs: number;
  /** Cap on the restart delay. Default 30 s. */
  readonly maxDelayMs: number;
  /** This many crashes within `windowMs` mark the engine failed. Default 5. */
  readonly maxCrashes: number;
  /** Default 10 minutes. */
  readonly windowMs: number;
}

export const defaultCrashPolicy: CrashPolicyOptions = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 10 * 60_000,
};

export type CrashVerdict =
  | { readonly action: "restart"; readonly delayMs: number; readonly crashesInWindow: number }
  | { readonly action: "fail"; readonly crashesInWindow: number };

/**
 * Capped exponential backoff over the crashes inside a sliding window: the
 * n-th crash in the window waits initial × 2^(n-1), at most maxDelayMs;
 * the maxCrashes-th gives up.
 */
export class CrashPolicy {
  readonly options: CrashPolicyOptions;
  readonly #crashes: number[] = [];

  constructor(options: Partial<CrashPolicyOptions> = {}) {
    this.options = { ...defaultCrashPolicy, ...options };
  }

  /** Records a crash at `now` (ms) and says what to do. */
  crashed(now: number): CrashVerdict {
    const { windowMs, maxCrashes, initialDelayMs, maxDelayMs } = this.options;
    while (this.#crashes.length > 0 && now - this.#crashes[0]! > windowMs) this.#crashes.shift();
    this.#crashes.push(now);
    const n = this.#crashes.length;
    if (n >= maxCrashes) return { action: "fail", crashesInWindow: n };
    return {
      action: "restart",
      delayMs: Math.min(maxDelayMs, initialDelayMs * 2 ** (n - 1)),
      crashesInWindow: n,
    };
  }

  /** Forgets past crashes (an explicit restart of a failed engine). */
  reset(): void {
    this.#crashes.length = 0;
  }
}
