export interface WaitQueueOptions {
  /** Requests that may wait at once; one more is refused at once. */
  readonly maxWaiting: number;
  /** Longest a request waits, from its arrival. */
  readonly maxWaitMs: number;
}

export type WaitOutcome = "released" | "full" | "deadline" | "aborted";

interface Waiter {
  resolve(outcome: WaitOutcome): void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Requests held while their engine starts, wakes or resumes. Bounded in size
 * and in time: a full queue or a passed deadline is an answer (the caller turns
 * it into 503 + Retry-After), never an unbounded hang. `releaseAll` lets every
 * waiter re-check the engine at once; a waiter that finds it not ready yet
 * waits again with the deadline it arrived with.
 */
export class WaitQueue {
  readonly options: WaitQueueOptions;
  readonly #waiters = new Set<Waiter>();

  constructor(options: WaitQueueOptions) {
    this.options = options;
  }

  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Waits until `releaseAll`, the deadline (a monotonic ms time) or an abort.
   * `admit`: this is the request's first wait, so a full queue refuses it.
   */
  wait(deadline: number, now: number, admit: boolean, signal?: AbortSignal): Promise<WaitOutcome> {
    if (admit && this.#waiters.size >= this.options.maxWaiting) return Promise.resolve("full");
    if (now >= deadline) return Promise.resolve("deadline");
    if (signal?.aborted) return Promise.resolve("aborted");
    return new Promise<WaitOutcome>((resolve) => {
      const waiter: Waiter = {
        resolve: (outcome) => {
          if (!this.#waiters.delete(waiter)) return;
          clearTimeout(waiter.timer);
          if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
          resolve(outcome);
        },
        timer: undefined,
        onAbort: undefined,
        signal,
      };
      this.#waiters.add(waiter);
      waiter.timer = setTimeout(() => waiter.resolve("deadline"), deadline - now);
      if (signal) {
        waiter.onAbort = () => waiter.resolve("aborted");
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
    });
  }

  /** Wakes every waiter (each re-checks the engine). */
  releaseAll(): void {
    for (const w of [...this.#waiters]) w.resolve("released");
  }
}
