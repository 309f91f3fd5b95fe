import { GatewayError } from "../errors.ts";

export interface UpstreamQueueLimits {
  /** Requests sent to the upstream at once. */
  readonly maxConcurrency: number;
  /** Requests that may wait (for a slot or for a cold start). */
  readonly maxWaiting: number;
  /** Body bytes that may wait. */
  readonly maxQueuedBytes: number;
  readonly retryAfterSeconds: number;
}

interface Waiter {
  readonly bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * One upstream's admission control: at most `maxConcurrency` requests in flight;
 * the rest wait here, visibly (count and bytes), in FIFO order, up to
 * `maxWaiting` requests and `maxQueuedBytes` bytes; beyond that a 503 with
 * Retry-After. Requests waiting for the upstream to warm up are counted here too
 * (`hold`), so one queue bounds everything waiting on this upstream.
 */
export class UpstreamQueue {
  readonly name: string;
  readonly limits: UpstreamQueueLimits;
  /** Requests sent and not finished. */
  active = 0;
  /** Requests waiting (for a slot or a cold start). */
  waiting = 0;
  waitingBytes = 0;
  readonly #waiters: Waiter[] = [];

  constructor(name: string, limits: UpstreamQueueLimits) {
    this.name = name;
    this.limits = limits;
  }

  /** Takes a slot now if one is free (the hot path: no promise). */
  tryAcquire(): boolean {
    if (this.active < this.limits.maxConcurrency && this.#waiters.length === 0) {
      this.active++;
      return true;
    }
    return false;
  }

  /** Waits for a slot, FIFO; rejects with 503 queue_full beyond the bounds, or on abort/deadline. */
  acquire(bytes: number, signal: AbortSignal, timeoutMs: number, onTimeout: () => Error): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    this.#admit(bytes);
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        this.#leave(bytes);
      };
      const w: Waiter = {
        bytes,
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      };
      const onAbort = () => w.reject(signal.reason);
      const timer = setTimeout(() => w.reject(onTimeout()), Math.max(0, timeoutMs));
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(w);
    });
  }

  /**
   * Could a request of `bytes` get in now — a free slot (when the upstream takes requests)
   * or room to wait? Lets the gateway refuse before reading a body no queue could hold.
   */
  canAdmit(bytes: number, usable: boolean): boolean {
    const l = this.limits;
    if (usable && this.active < l.maxConcurrency && this.#waiters.length === 0) return true;
    return this.waiting < l.maxWaiting && this.waitingBytes + bytes <= l.maxQueuedBytes;
  }

  /** Gives a slot back; the longest waiter gets it. */
  release(): void {
    const next = this.#waiters[0];
    if (next)
      next.resolve(); // the slot passes on: `active` stays
    else this.active--;
  }

  /** Counts a request waiting for a cold start (no slot); `unhold` when it stops waiting. */
  hold(bytes: number): void {
    this.#admit(bytes);
  }
  unhold(bytes: number): void {
    this.#leave(bytes);
  }

  #admit(bytes: number): void {
    const l = this.limits;
    if (this.waiting >= l.maxWaiting || this.waitingBytes + bytes > l.maxQueuedBytes) {
      throw new GatewayError(
        503,
        "service_unavailable",
        `Upstream '${this.name}' is busy: ${this.active} requests in flight and ${this.waiting} waiting ` +
          `(${this.waitingBytes} bytes; limits ${l.maxWaiting} requests, ${l.maxQueuedBytes} bytes); retry later`,
        { code: "queue_full", retryAfter: l.retryAfterSeconds },
      );
    }
    this.waiting++;
    this.waitingBytes += bytes;
  }

  #leave(bytes: number): void {
    this.waiting--;
    this.waitingBytes -= bytes;
  }
}
