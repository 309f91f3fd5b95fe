import { UpstreamQueue, type UpstreamQueueLimits } from "../router/upstream-queue.ts";
import type { FailureKind, LiveUpstream, Upstream } from "./types.ts";

/**
 * - `unknown`: never contacted; requests go to it (that is how a scaled-to-zero deployment wakes).
 * - `ready`: its last answer was a real response.
 * - `warming`: never seen up and refusing, or alive but its health check says not ready, for less
 *   than the cold-start window: requests wait for it (a cold start) instead of failing.
 * - `refusing`: it was up and now refuses connections (crashed, restarting): requests wait only a
 *   short grace (`refusingGraceMs`), then get 503 `upstream_refusing`.
 * - `down`: failing for longer than its window, or hard failures (DNS, TLS): skipped.
 */
export type UpstreamState = "unknown" | "ready" | "warming" | "refusing" | "down";
export const UPSTREAM_STATES: readonly UpstreamState[] = ["unknown", "ready", "warming", "refusing", "down"];

export interface HealthTiming {
  /** How long an upstream may keep failing and still count as warming. */
  readonly coldStartWindowMs: number;
  /** How long an upstream that was up may keep refusing before it is down. */
  readonly refusingDownMs: number;
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
  refusingDownMs: 30_000,
  probeIntervalMs: 200,
  maxProbeIntervalMs: 2_000,
  downProbeIntervalMs: 5_000,
  hardFailuresToDown: 3,
};

const unboundedQueue: UpstreamQueueLimits = {
  maxConcurrency: Number.POSITIVE_INFINITY,
  maxWaiting: Number.POSITIVE_INFINITY,
  maxQueuedBytes: Number.POSITIVE_INFINITY,
  retryAfterSeconds: 5,
};

/**
 * An upstream plus what the gateway has learned about it. Failures move it to
 * `warming` (and start a probe loop that flips it back to `ready`), or to `down`
 * once they have lasted past the cold-start window.
 */
export class ManagedUpstream {
  readonly upstream: Upstream;
  readonly timing: HealthTiming;
  /** Its concurrency slots and its one bounded queue. */
  readonly queue: UpstreamQueue;
  state: UpstreamState = "unknown";
  /** When it last gave a real answer (epoch ms). */
  lastOkAt: number | undefined;
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
  readonly #unfollow: (() => void) | undefined;

  constructor(
    upstream: Upstream,
    timing: HealthTiming = defaultHealthTiming,
    now: () => number = Date.now,
    limits: UpstreamQueueLimits = unboundedQueue,
  ) {
    this.upstream = upstream;
    this.timing = timing;
    this.queue = new UpstreamQueue(upstream.name, limits);
    this.#now = now;
    this.#interval = timing.probeIntervalMs;
    const live = upstream.live;
    if (live) {
      // It says when its state changes: followed at once, never probed on a timer.
      this.#unfollow = live.subscribe(() => this.#follow(live));
      this.#follow(live);
    }
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
    this.lastOkAt = this.checkedAt;
    if (latencyMs !== undefined) this.latencyMs = latencyMs;
    this.detail = undefined;
    this.#stopProbing();
    this.#set("ready");
  }

  onFailure(kind: FailureKind, detail: string): void {
    if (this.upstream.live) {
      this.#follow(this.upstream.live);
      return;
    }
    const now = this.#now();
    this.failingSince ??= now;
    this.checkedAt = now;
    this.detail = detail;
    if (kind === "hard") this.hardFailures++;
    // Refused by an upstream that answered before: a crash or restart, not a cold start.
    const refusing = kind === "refused" && this.everReady;
    const window = refusing ? this.timing.refusingDownMs : this.timing.coldStartWindowMs;
    const tooLong = now - this.failingSince > window;
    const down = tooLong || this.hardFailures >= this.timing.hardFailuresToDown;
    const next: UpstreamState = down ? "down" : refusing ? "refusing" : "warming";
    if (this.state !== next && !down) this.#interval = this.timing.probeIntervalMs;
    this.#set(next);
    this.#scheduleProbe();
  }

  /**
   * One response said 503 (or timed out) while the upstream is thought ready: check
   * its health now instead of sending the whole model into the cold-start path.
   * The state changes only if the probe says so.
   */
  suspect(): void {
    if (this.upstream.live) return;
    if (this.#timer || this.#probing || this.#closed.signal.aborted) return;
    this.#probeThenFollowUp();
  }

  /** One probe now; while the upstream is not ready, the next one is scheduled (backing off). */
  #probeThenFollowUp(): void {
    this.#probing = true;
    this.probe()
      .catch(() => {})
      .finally(() => {
        this.#probing = false;
        if (this.state === "warming" || this.state === "refusing" || this.state === "down")
          this.#scheduleProbe();
      });
  }

  /** Calls `fn` on every state change; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** One probe now (used by `/api/v1/upstreams?probe=true` and the probe loop). */
  async probe(): Promise<void> {
    if (this.upstream.live) return this.#follow(this.upstream.live);
    const result = await this.upstream.probe(this.#closed.signal);
    if (this.#closed.signal.aborted) return;
    if (result.ready) this.onSuccess(result.latencyMs);
    else {
      this.latencyMs = result.latencyMs;
      this.onFailure(result.kind ?? (result.hard ? "hard" : "not-ready"), result.reason);
    }
  }

  async close(): Promise<void> {
    this.#closed.abort();
    this.#stopProbing();
    this.#unfollow?.();
    await this.upstream.close();
  }

  /** A live upstream's own state, taken as it is (asleep for hours is no failure streak). */
  #follow(live: LiveUpstream): void {
    const r = live.readiness();
    if (r.state === "ready") {
      this.onSuccess();
      return;
    }
    this.checkedAt = this.#now();
    this.detail = r.detail;
    this.#set(r.state);
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
      this.#probeThenFollowUp();
    }, delay);
    this.#timer.unref();
  }

  #stopProbing(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
