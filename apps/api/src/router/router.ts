import { GatewayError } from "../errors.ts";
import type { ManagedUpstream } from "../upstream/managed.ts";
import type { UpstreamQueue } from "./upstream-queue.ts";
import {
  asBodySource,
  type BodySource,
  classifySendError,
  errorCode,
  type SourcedResponse,
  type UpstreamRequest,
  type UpstreamResponse,
  UpstreamNotReady,
  upstreamErrorKind,
} from "../upstream/types.ts";

export interface RouterOptions {
  /** Longest a request waits for a cold (never seen up / not ready) upstream, or for a free slot. */
  readonly maxWaitMs: number;
  /** Longest a request waits for an upstream that was up and now refuses connections. */
  readonly refusingGraceMs: number;
  /** Times one request is re-sent after a 503 or a refused connection (was-up upstreams); then the error is passed on. */
  readonly maxRetries: number;
  /** Use a higher tier while a lower one is warming (not only while it is down). */
  readonly fallbackWhileWarming: boolean;
  /** A waiting request retries a warming upstream itself at least this often, even if no probe flipped it. */
  readonly retryInPlaceMs: number;
  /** `Retry-After` seconds sent with 503s. */
  readonly retryAfterSeconds: number;
  /** Upstream failures, for metrics (`kind`: refused, reset, timeout, hard, status_503, status_5xx, other). */
  readonly onUpstreamError?: (upstream: string, kind: string) => void;
  /** A request was re-sent to an upstream. */
  readonly onRetry?: (upstream: string) => void;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Filled in while a request is dispatched, so a failed dispatch still reports what it cost. */
export interface DispatchStats {
  coldStart: boolean;
  queueMs: number;
  attempts: number;
  /** The upstream it was queued for or sent to last. */
  upstream?: string;
}

export interface Dispatched {
  readonly upstream: ManagedUpstream;
  /** Its body releases the upstream's slot when it ends, fails or is cancelled. */
  readonly response: SourcedResponse;
  /** Waited for a warming upstream (queued or retried in place). */
  readonly coldStart: boolean;
  /** From dispatch start to the start of the attempt that answered. */
  readonly queueMs: number;
  readonly attempts: number;
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Picks an upstream for a model: the lowest fallback tier that has a usable
 * upstream, weighted by `weight` within a tier. Each upstream has one bounded
 * queue (`UpstreamQueue`): requests beyond its concurrency wait there, and so do
 * requests waiting for it to warm up — a local engine's start or wake too (it is
 * woken by the first request held for it); a full queue is a 503 + Retry-After.
 *
 * Failures are judged per response: a 503 from a ready upstream triggers a health
 * probe (the state changes only if the probe fails) and a bounded retry of that
 * request, after which the 503 is passed on. A refused connection is a cold start
 * when the upstream was never up (wait up to maxWaitMs) and a crash when it was
 * (wait refusingGraceMs, then 503 `upstream_refusing`).
 */
export class Router {
  readonly #byModel = new Map<string, ManagedUpstream[]>();
  readonly #upstreams: readonly ManagedUpstream[];
  readonly #options: RouterOptions;
  readonly #random: () => number;
  readonly #now: () => number;

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
  /** Requests waiting in any upstream's queue now. */
  get waiting(): number {
    let n = 0;
    for (const u of this.#upstreams) n += u.queue.waiting;
    return n;
  }
  /** True when no upstream could take or queue a request of `bytes` now (refuse it before reading its body). */
  everyQueueFull(bytes: number): boolean {
    let live = 0;
    for (const u of this.#upstreams) {
      if (u.state === "down") continue; // answered by the router (upstreams_down), not here
      live++;
      if (u.queue.canAdmit(bytes, u.usable)) return false;
    }
    return live > 0;
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
    const bytes = req.body?.length ?? 0;
    const start = this.#now();
    const deadline = start + o.maxWaitMs;
    let retries = 0;
    let held: ManagedUpstream | undefined;
    let forced: ManagedUpstream | undefined;
    const unhold = () => {
      held?.queue.unhold(bytes);
      held = undefined;
    };
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const { pick, waitable } = forced ? { pick: forced, waitable: [] } : this.#choose(candidates);
        forced = undefined;
        if (pick) {
          unhold();
          const q = pick.queue;
          stats.upstream = pick.name;
          if (!q.tryAcquire()) {
            await q.acquire(bytes, signal, deadline - this.#now(), () => {
              return new GatewayError(
                503,
                "service_unavailable",
                `Upstream '${pick.name}' had no free slot for ${o.maxWaitMs} ms (${q.active} requests in flight); retry later`,
                { code: "queue_timeout", retryAfter: o.retryAfterSeconds },
              );
            });
          }
          stats.attempts++;
          stats.queueMs = this.#now() - start;
          let response: UpstreamResponse;
          try {
            response = await pick.upstream.send({ ...req, signal });
          } catch (err) {
            q.release();
            if (signal.aborted) throw signal.reason;
            if (err instanceof UpstreamNotReady) {
              // A live upstream (local engine) left `ready` since the pick: it is warming now; wait for it.
              stats.coldStart = true;
              continue;
            }
            if (err instanceof GatewayError) throw err; // the upstream's own answer (a local engine's 503/502): final
            o.onUpstreamError?.(pick.name, upstreamErrorKind(err));
            const code = errorCode(err);
            if (code !== undefined && TIMEOUT_CODES.has(code)) {
              pick.suspect();
              throw new GatewayError(
                504,
                "upstream_error",
                `Upstream '${pick.name}' did not answer in time (${code})`,
                {
                  code: "upstream_timeout",
                },
              );
            }
            pick.onFailure(classifySendError(err), code ?? String(err));
            if (pick.state === "refusing") {
              if (retries >= o.maxRetries) throw refusingError(pick, o, this.#now() - start);
              retries++;
              o.onRetry?.(pick.name);
            }
            continue;
          }
          if (response.status === 503) {
            o.onUpstreamError?.(pick.name, "status_503");
            if (pick.state === "warming") {
              // Its health check says it is loading: a cold start, bounded by maxWaitMs, not by the retry budget.
              discard(response);
              q.release();
              stats.coldStart = true;
              continue;
            }
            if (retries >= o.maxRetries) {
              // The retry budget is spent: pass this 503 on as it is.
              return this.#answer(pick, response, stats);
            }
            discard(response);
            q.release();
            pick.suspect();
            retries++;
            o.onRetry?.(pick.name);
            await sleep(Math.min(50 * 2 ** (retries - 1), 1_000), signal);
            continue;
          }
          if (response.status >= 500) o.onUpstreamError?.(pick.name, "status_5xx");
          pick.onSuccess();
          return this.#answer(pick, response, stats);
        }
        if (waitable.length === 0) throw downError(model, candidates, o);
        const warming = waitable.some((w) => w.state === "warming");
        const until = warming ? deadline : Math.min(deadline, start + o.refusingGraceMs);
        const now = this.#now();
        if (now >= until) {
          if (!warming) throw refusingError(waitable[0]!, o, now - start);
          const w = waitable.find((x) => x.state === "warming")!;
          const why = w.upstream.live
            ? `is not ready yet (${w.detail ?? "warming"})`
            : w.everReady
              ? `is up but not ready (${w.detail ?? "health check failing"})`
              : `has not answered since the gateway started (never seen up: ${w.detail ?? "no answer"})`;
          throw new GatewayError(
            503,
            "service_unavailable",
            `Model '${model}' is still starting after ${Math.round(now - start)} ms: upstream '${w.name}' ${why}; retry later`,
            { code: "cold_start_timeout", retryAfter: o.retryAfterSeconds },
          );
        }
        if (!held) {
          waitable[0]!.queue.hold(bytes);
          held = waitable[0]!;
          stats.upstream = held.name;
          // A local engine comes up when someone waits for it: one start/wake for everyone in this queue.
          held.upstream.live?.wake();
          if (held.usable) continue; // it was ready at once (a drain cancelled)
        }
        if (warming) stats.coldStart = true;
        const changed = await waitForChange(waitable, Math.min(o.retryInPlaceMs, until - now), signal);
        if (!changed) {
          // No probe flipped it in time: try the first waitable upstream ourselves (a bounded retry when it was up).
          const w = waitable[0]!;
          if (w.state === "refusing") {
            if (retries >= o.maxRetries) throw refusingError(w, o, this.#now() - start);
            retries++;
            o.onRetry?.(w.name);
          }
          forced = w;
        }
      }
    } catch (err) {
      if (stats.coldStart) stats.queueMs = this.#now() - start;
      throw err;
    } finally {
      unhold();
    }
  }

  #answer(pick: ManagedUpstream, response: UpstreamResponse, stats: DispatchStats): Dispatched {
    return {
      upstream: pick,
      response: {
        status: response.status,
        headers: response.headers,
        body: releasing(asBodySource(response.body), pick.queue),
      },
      coldStart: stats.coldStart,
      queueMs: stats.queueMs,
      attempts: stats.attempts,
    };
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
        } else if (c.state === "warming" || c.state === "refusing") {
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

function refusingError(u: ManagedUpstream, o: RouterOptions, waitedMs: number): GatewayError {
  const since = u.failingSince !== undefined ? ` since ${new Date(u.failingSince).toISOString()}` : "";
  const lastOk = u.lastOkAt !== undefined ? ` (last good answer ${new Date(u.lastOkAt).toISOString()})` : "";
  return new GatewayError(
    503,
    "service_unavailable",
    `Upstream '${u.name}' was up${lastOk} and now refuses connections (${u.detail ?? "refused"})${since}; ` +
      `waited ${Math.round(waitedMs)} ms; this is not a cold start`,
    { code: "upstream_refusing", retryAfter: o.retryAfterSeconds },
  );
}

function downError(model: string, candidates: readonly ManagedUpstream[], o: RouterOptions): Error {
  // A live upstream that is down answers for itself (a failed local engine: why, and how to restart it).
  for (const c of candidates) {
    const r = c.upstream.live?.readiness();
    if (r?.state === "down" && r.error) return r.error;
  }
  const why = candidates.map((c) => `'${c.name}' ${c.state}${c.detail ? ` (${c.detail})` : ""}`).join(", ");
  return new GatewayError(503, "service_unavailable", `Every upstream for model '${model}' is down: ${why}`, {
    code: "upstreams_down",
    retryAfter: o.retryAfterSeconds,
  });
}

/** Releases the upstream's slot once, when the body ends, fails or is cancelled. */
function releasing(body: BodySource, queue: UpstreamQueue): BodySource {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    queue.release();
  };
  return {
    start(sink) {
      body.start({
        onData: (c) => sink.onData(c),
        onEnd() {
          release();
          sink.onEnd();
        },
        onError(err) {
          release();
          sink.onError(err);
        },
      });
    },
    pause: () => body.pause(),
    resume: () => body.resume(),
    cancel(reason) {
      release();
      body.cancel(reason);
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
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
