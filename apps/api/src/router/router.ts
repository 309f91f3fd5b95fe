import { GatewayError } from "../errors.ts";
import type { ManagedUpstream } from "../upstream/managed.ts";
import {
  asBodySource,
  classifySendError,
  errorCode,
  type SourcedResponse,
  type UpstreamRequest,
  type UpstreamResponse,
} from "../upstream/types.ts";

export interface RouterOptions {
  /** Requests that may wait for a cold upstream at once. */
  readonly maxWaiting: number;
  /** Longest a request waits for a cold upstream. */
  readonly maxWaitMs: number;
  /** Use a higher tier while a lower one is warming (not only while it is down). */
  readonly fallbackWhileWarming: boolean;
  /** A waiting request retries a warming upstream itself at least this often, even if no probe flipped it. */
  readonly retryInPlaceMs: number;
  /** `Retry-After` seconds sent with 503s. */
  readonly retryAfterSeconds: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Filled in while a request is dispatched, so a failed dispatch still reports what it cost. */
export interface DispatchStats {
  coldStart: boolean;
  queueMs: number;
  attempts: number;
}

export interface Dispatched {
  readonly upstream: ManagedUpstream;
  readonly response: SourcedResponse;
  /** Waited for a warming upstream (queued or retried in place). */
  readonly coldStart: boolean;
  /** From dispatch start to the start of the attempt that answered. */
  readonly queueMs: number;
  readonly attempts: number;
}

/**
 * Picks an upstream for a model: the lowest fallback tier that has a usable
 * upstream, weighted by `weight` within a tier. While the candidates are warming,
 * the request waits in a bounded queue until one is ready (or retries one in
 * place), up to a deadline; a full queue, the deadline, or every candidate down
 * give 503 + Retry-After.
 */
export class Router {
  readonly #byModel = new Map<string, ManagedUpstream[]>();
  readonly #upstreams: readonly ManagedUpstream[];
  readonly #options: RouterOptions;
  readonly #random: () => number;
  readonly #now: () => number;
  #waiting = 0;

  constructor(upstreams: readonly ManagedUpstream[], options: RouterOptions) {
    this.#upstreams = upstreams;
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
    for (const u of upstreams) {
      for (const m of u.upstream.models) {
        const list = this.#byModel.get(m) ?? [];
        list.push(u);
        this.#byModel.set(m, list);
      }
    }
    for (const list of this.#byModel.values()) list.sort((a, b) => a.upstream.tier - b.upstream.tier);
  }

  get upstreams(): readonly ManagedUpstream[] {
    return this.#upstreams;
  }
  /** Requests waiting for a cold upstream now. */
  get waiting(): number {
    return this.#waiting;
  }
  models(): string[] {
    return [...this.#byModel.keys()];
  }
  hasModel(model: string): boolean {
    return this.#byModel.has(model);
  }

  async dispatch(
    model: string,
    req: Omit<UpstreamRequest, "signal">,
    signal: AbortSignal,
    stats: DispatchStats = { coldStart: false, queueMs: 0, attempts: 0 },
  ): Promise<Dispatched> {
    const candidates = this.#byModel.get(model);
    if (!candidates) {
      throw new GatewayError(404, "not_found_error", `The model '${model}' does not exist on this gateway`, {
        code: "model_not_found",
        param: "model",
      });
    }
    const o = this.#options;
    const start = this.#now();
    const deadline = start + o.maxWaitMs;
    let queued = false;
    let forced: ManagedUpstream | undefined;
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const { pick, waitable } = forced ? { pick: forced, waitable: [] } : this.#choose(candidates);
        forced = undefined;
        if (pick) {
          stats.attempts++;
          const attemptStart = this.#now();
          stats.queueMs = attemptStart - start;
          let response: UpstreamResponse;
          try {
            response = await pick.upstream.send({ ...req, signal });
          } catch (err) {
            if (signal.aborted) throw signal.reason;
            if (err instanceof GatewayError) throw err; // the upstream's own answer (a local engine's 503/502): final
            pick.onFailure(classifySendError(err), errorCode(err) ?? String(err));
            continue;
          }
          if (response.status === 503) {
            discard(response);
            pick.onFailure("not-ready", "503");
            continue;
          }
          pick.onSuccess();
          return {
            upstream: pick,
            response: {
              status: response.status,
              headers: response.headers,
              body: asBodySource(response.body),
            },
            coldStart: stats.coldStart,
            queueMs: stats.queueMs,
            attempts: stats.attempts,
          };
        }
        if (waitable.length === 0) {
          throw new GatewayError(503, "service_unavailable", `Every upstream for model '${model}' is down`, {
            code: "upstreams_down",
            retryAfter: o.retryAfterSeconds,
          });
        }
        const now = this.#now();
        if (now >= deadline) {
          throw new GatewayError(
            503,
            "service_unavailable",
            `Model '${model}' is still starting after ${Math.round(now - start)} ms; retry later`,
            { code: "cold_start_timeout", retryAfter: o.retryAfterSeconds },
          );
        }
        if (!queued) {
          if (this.#waiting >= o.maxWaiting) {
            throw new GatewayError(
              503,
              "service_unavailable",
              `Model '${model}' is starting and ${this.#waiting} requests are already waiting for it; retry later`,
              { code: "queue_full", retryAfter: o.retryAfterSeconds },
            );
          }
          queued = true;
          this.#waiting++;
        }
        stats.coldStart = true;
        const changed = await waitForChange(waitable, Math.min(o.retryInPlaceMs, deadline - now), signal);
        // No probe flipped it in time: try the first warming upstream ourselves.
        if (!changed) forced = waitable[0];
      }
    } catch (err) {
      if (stats.coldStart) stats.queueMs = this.#now() - start;
      throw err;
    } finally {
      if (queued) this.#waiting--;
    }
  }

  /** The lowest tier with a usable upstream (weighted pick), and what may be waited for. */
  #choose(candidates: readonly ManagedUpstream[]): { pick?: ManagedUpstream; waitable: ManagedUpstream[] } {
    const waitable: ManagedUpstream[] = [];
    let i = 0;
    while (i < candidates.length) {
      const tier = candidates[i]!.upstream.tier;
      let total = 0;
      let usable = 0;
      let warming = false;
      let j = i;
      for (; j < candidates.length && candidates[j]!.upstream.tier === tier; j++) {
        const c = candidates[j]!;
        if (c.usable) {
          total += c.upstream.weight;
          usable++;
        } else if (c.state === "warming") {
          waitable.push(c);
          warming = true;
        }
      }
      if (usable === 1) {
        for (let k = i; k < j; k++) if (candidates[k]!.usable) return { pick: candidates[k]!, waitable };
      }
      if (usable > 1) {
        let r = this.#random() * total;
        let last: ManagedUpstream | undefined;
        for (let k = i; k < j; k++) {
          const c = candidates[k]!;
          if (!c.usable) continue;
          last = c;
          r -= c.upstream.weight;
          if (r < 0) return { pick: c, waitable };
        }
        return { pick: last!, waitable };
      }
      if (warming && !this.#options.fallbackWhileWarming) break;
      i = j;
    }
    return { waitable };
  }
}

/** Drains a response we do not pass on (a 503), keeping the connection reusable. */
function discard(res: UpstreamResponse): void {
  const noop = () => {};
  asBodySource(res.body).start({ onData: noop, onEnd: noop, onError: noop });
}

/** Resolves true when any of `upstreams` changes state, false after `ms`; rejects on abort. */
function waitForChange(
  upstreams: readonly ManagedUpstream[],
  ms: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (value: boolean | Error) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      for (const off of offs) off();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    const timer = setTimeout(() => done(false), Math.max(0, ms));
    signal.addEventListener("abort", onAbort, { once: true });
    for (const u of upstreams) offs.push(u.onChange(() => done(true)));
  });
}
