import { Pool } from "undici";
import type { Dispatcher } from "undici";
import type {
  BodySink,
  BodySource,
  ProbeResult,
  Upstream,
  UpstreamRequest,
  UpstreamResponse,
} from "./types.ts";
import { classifySendError, errorCode } from "./types.ts";

export interface HttpUpstreamOptions {
  readonly name: string;
  /** Base URL of an OpenAI-compatible server, with or without `/v1`. */
  readonly url: string;
  readonly models: readonly string[];
  readonly weight?: number;
  readonly tier?: number;
  readonly healthPath?: string;
  /** Sent as `Authorization: Bearer …`. */
  readonly apiKey?: string;
  /** Modal proxy auth (`Modal-Key` / `Modal-Secret`). */
  readonly modalProxyAuth?: { readonly key: string; readonly secret: string };
  /** Keep-alive connections per upstream (the gateway sets its maxConcurrency). Default 256. */
  readonly connections?: number;
  /** TCP/TLS connect timeout. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for a response head (a Modal cold start holds it). Default 10 minutes. */
  readonly headersTimeoutMs?: number;
  /** Longest silence between body chunks. Default 5 minutes. */
  readonly bodyTimeoutMs?: number;
  readonly probeTimeoutMs?: number;
}

/** Splits `https://host/prefix/v1` into the origin and the path prefix (`/prefix`). */
export function splitBaseUrl(url: string): { origin: string; prefix: string } {
  const u = new URL(url);
  let prefix = u.pathname.replace(/\/+$/, "");
  if (prefix.endsWith("/v1")) prefix = prefix.slice(0, -3);
  return { origin: u.origin, prefix };
}

/**
 * An OpenAI-compatible HTTP server as an upstream, over one undici keep-alive
 * pool. Bodies pass through as bytes.
 *
 * @example
 * const up = new HttpUpstream({ name: "qwen", url: "https://me--rouse-qwen.modal.run/v1", models: ["qwen"] });
 * const res = await up.send({ method: "POST", path: "/v1/chat/completions", headers, body, signal });
 */
export class HttpUpstream implements Upstream {
  readonly name: string;
  readonly url: string;
  readonly models: readonly string[];
  readonly weight: number;
  readonly tier: number;
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #healthPath: string;
  readonly #auth: Record<string, string>;
  readonly #probeTimeoutMs: number;

  constructor(options: HttpUpstreamOptions) {
    this.name = options.name;
    this.url = options.url;
    this.models = options.models;
    this.weight = options.weight ?? 1;
    this.tier = options.tier ?? 0;
    const { origin, prefix } = splitBaseUrl(options.url);
    this.#prefix = prefix;
    this.#healthPath = prefix + (options.healthPath ?? "/health");
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    const auth: Record<string, string> = {};
    if (options.apiKey) auth.authorization = `Bearer ${options.apiKey}`;
    if (options.modalProxyAuth) {
      auth["modal-key"] = options.modalProxyAuth.key;
      auth["modal-secret"] = options.modalProxyAuth.secret;
    }
    this.#auth = auth;
    this.#pool = new Pool(origin, {
      // One more than the router ever sends at once, so a health probe never waits behind requests.
      connections: (options.connections ?? 256) + 1,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: options.headersTimeoutMs ?? 10 * 60_000,
      bodyTimeout: options.bodyTimeoutMs ?? 5 * 60_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    });
  }

  /**
   * One request over the pool with undici's low-level `dispatch` API: no Readable,
   * no AsyncResource, no AbortSignal inside undici — the body is pushed straight to
   * the sink (see BodySource), with pause/resume for backpressure.
   */
  send(req: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const signal = req.signal;
      let controller: Dispatcher.DispatchController | undefined;
      let sink: BodySink | undefined;
      let buffered: Buffer[] | undefined;
      let ended = false;
      let failure: Error | undefined;
      let headed = false;
      const onAbort = () => {
        const reason = signal.reason instanceof Error ? signal.reason : new Error("aborted");
        if (controller) controller.abort(reason);
        else failure = reason;
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const detach = () => signal.removeEventListener("abort", onAbort);
      const body: BodySource = {
        start(s) {
          if (sink) throw new Error("body already started");
          sink = s;
          if (buffered) for (const chunk of buffered) s.onData(chunk);
          buffered = undefined;
          if (failure && headed) s.onError(failure);
          else if (ended) s.onEnd();
        },
        pause: () => controller?.pause(),
        resume: () => controller?.resume(),
        cancel: (reason) => {
          detach();
          if (!ended && !failure) controller?.abort(reason ?? new Error("cancelled"));
        },
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(ctl) {
          controller = ctl;
          if (failure || signal.aborted) ctl.abort(failure ?? new Error("aborted"));
        },
        onResponseStart(_ctl, statusCode, headers) {
          if (statusCode < 200) return; // 1xx: informational
          headed = true;
          resolve({ status: statusCode, headers: headers as UpstreamResponse["headers"], body });
        },
        onResponseData(_ctl, chunk) {
          if (sink) sink.onData(chunk);
          else if (buffered) buffered.push(chunk);
          else buffered = [chunk];
        },
        onResponseEnd() {
          detach();
          ended = true;
          sink?.onEnd();
        },
        onResponseError(_ctl, err) {
          detach();
          if (!headed) return reject(err);
          if (ended || failure) return;
          failure = err;
          sink?.onError(err);
        },
      };
      this.#pool.dispatch(
        {
          method: req.method as Dispatcher.HttpMethod,
          path: this.#prefix + req.path,
          headers: { ...req.headers, ...this.#auth },
          body: req.body ?? null,
        },
        handler,
      );
    });
  }

  async probe(signal: AbortSignal): Promise<ProbeResult> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.#probeTimeoutMs);
    try {
      const res = await this.#pool.request({
        method: "GET",
        path: this.#healthPath,
        headers: this.#auth,
        signal: AbortSignal.any([signal, timeout]),
      });
      await res.body.dump();
      const latencyMs = performance.now() - started;
      // A server without the health route (404) is up; 5xx means still loading (vLLM answers 503 while asleep).
      if (res.statusCode >= 500) return { ready: false, latencyMs, reason: `health ${res.statusCode}` };
      return { ready: true, latencyMs };
    } catch (err) {
      const latencyMs = performance.now() - started;
      const code = errorCode(err) ?? (timeout.aborted ? "timeout" : "error");
      const kind = timeout.aborted ? "not-ready" : classifySendError(err);
      return { ready: false, latencyMs, reason: code, hard: kind === "hard", kind };
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
