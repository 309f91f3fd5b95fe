import type { FailureKind, Upstream } from "./types.ts";

/**
 * - `unknown`: never contacted; requests go to it (that is how a scaled-to-zero deployment wakes).
 * - `ready`: its last answer was a real response.
 * - `warming`: refusing / 503 / health not ready, for less than the cold-start window:
 *   requests wait for it (retry in place) instead of failing.
 * - `down`: failing for longer than the window, or hard failures (DNS, TLS): skipped.
 */
export type UpstreamState = "unknown" | "ready" | "warming" | "down";

export interface HealthTiming {
  /** How long an upstream may keep failing and still count as warming. */
  readonly coldStartWindowMs: number;
  /** First probe delay while warming; grows ×1.5 up to maxProbeIntervalMs. */
  readonly probeIntervalMs: number;
  readonly maxProbeIntervalMs: number;
  /** Probe interval while down. */
  readonly downProbeIntervalMs: number;
  /** Consecutive hard failures (DNS, TLS) that mark an upstream down at once. */
  readonly hardFailuresToDown: number;
}

export const defaultHealthTiming: HealthTiming = {
  coldStartWindowMs: 10 * 60_000,
  probeIntervalMs: 200,
  maxProbeIntervalMs: 2_000,
  downProbeIntervalMs: 5_000,
  hardFailuresToDown: 3,
};

/**
 * An upstream plus what the gateway has learned about it. Failures move it to
 * `warming` (and start a probe loop that flips it back to `ready`), or to `down`
 * once they have lasted past the cold-start window.
 */
export class ManagedUpstream {
  readonly upstream: Upstream;
  readonly timing: HealthTiming;
  state: UpstreamState = "unknown";
  everReady = false;
  /** Start of the current failure streak. */
  failingSince: number | undefined;
  hardFailures = 0;
  checkedAt: number | undefined;
  latencyMs: number | undefined;
  detail: string | undefined;
  readonly #listeners = new Set<() => void>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #interval: number;
  #probing = false;
  readonly #closed = new AbortController();

  constructor(upstream: Upstream, timing: HealthTiming = defaultHealthTiming, now: () => number = Date.now) {
    this.upstream = upstream;
    this.timing = timing;
    this.#now = now;
    this.#interval = timing.probeIntervalMs;
  }

  get name(): string {
    return this.upstream.name;
  }
  /** Can a request be sent to it right now without waiting? */
  get usable(): boolean {
    return this.state === "ready" || this.state === "unknown";
  }

  onSuccess(latencyMs?: number): void {
    this.failingSince = undefined;
    this.hardFailures = 0;
    this.everReady = true;
    this.checkedAt = this.#now();
    if (latencyMs !== undefined) this.latencyMs = latencyMs;
    this.detail = undefined;
    this.#stopProbing();
    this.#set("ready");
  }

  onFailure(kind: FailureKind, detail: string): void {
    const now = this.#now();
    this.failingSince ??= now;
    this.checkedAt = now;
    this.detail = detail;
    if (kind === "hard") this.hardFailures++;
    const tooLong = now - this.failingSince > this.timing.coldStartWindowMs;
    const down = tooLong || this.hardFailures >= this.timing.hardFailuresToDown;
    if (this.state !== "warming" && !down) this.#interval = this.timing.probeIntervalMs;
    this.#set(down ? "down" : "warming");
    this.#scheduleProbe();
  }

  /** Calls `fn` on every state change; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** One probe now (used by `/api/v1/upstreams?probe=true` and the probe loop). */
  async probe(): Promise<void> {
    const result = await this.upstream.probe(this.#closed.signal);
    if (this.#closed.signal.aborted) return;
    if (result.ready) this.onSuccess(result.latencyMs);
    else {
      this.latencyMs = result.latencyMs;
      this.onFailure(result.hard ? "hard" : "not-ready", result.reason);
    }
  }

  async close(): Promise<void> {
    this.#closed.abort();
    this.#stopProbing();
    await this.upstream.close();
  }

  #set(state: UpstreamState): void {
    if (state === this.state) return;
    this.state = state;
    for (const fn of [...this.#listeners]) fn();
  }

  #scheduleProbe(): void {
    if (this.#timer || this.#probing || this.#closed.signal.aborted) return;
    const delay = this.state === "down" ? this.timing.downProbeIntervalMs : this.#interval;
    this.#interval = Math.min(this.#interval * 1.5, this.timing.maxProbeIntervalMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#probing = true;
      this.probe()
        .catch(() => {})
        .finally(() => {
          this.#probing = false;
          if (this.state === "warming" || this.state === "down") this.#scheduleProbe();
        });
    }, delay);
    this.#timer.unref();
  }

  #stopProbing(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
