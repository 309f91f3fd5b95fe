import type { Readable } from "node:stream";

// The seam between the router and whatever serves a model. An HTTP upstream (a
// rouse deployment on Modal, any OpenAI-compatible server) is one implementation;
// a local engine supervisor (start on demand, sleep/wake) is another: it only has
// to answer `send` and `probe` and report "not ready" while its engine loads.

export interface UpstreamRequest {
  readonly method: string;
  /** Path under the OpenAI API root, with query: `/v1/chat/completions`. */
  readonly path: string;
  /** Lower-case header names; the upstream adds its own credentials. */
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  /** Aborted when the client goes away or the gateway gives up. */
  readonly signal: AbortSignal;
}

/** Receives a response body. */
export interface BodySink {
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** The upstream failed after the response head (connection lost mid-body, body timeout). */
  onError(err: Error): void;
}

/**
 * A response body as a push source with flow control — the raw bytes, unparsed.
 * Lighter than a Readable on the hot path; `readableBody` adapts a Readable.
 */
export interface BodySource {
  /** Starts delivery (once): chunks to `onData`, then `onEnd` or `onError`. */
  start(sink: BodySink): void;
  pause(): void;
  resume(): void;
  /** Stops the upstream request and releases it. */
  cancel(reason?: Error): void;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The raw bytes: a BodySource (the fast path) or any Readable (adapted with `readableBody`). */
  readonly body: BodySource | Readable;
}

/** A response whose body is a BodySource (what the router hands on). */
export interface SourcedResponse extends UpstreamResponse {
  readonly body: BodySource;
}

export function isBodySource(body: BodySource | Readable): body is BodySource {
  return (
    typeof (body as Partial<BodySource>).start === "function" &&
    typeof (body as Partial<BodySource>).cancel === "function"
  );
}

export function asBodySource(body: BodySource | Readable): BodySource {
  return isBodySource(body) ? body : readableBody(body);
}

/** A Readable as a BodySource (for upstreams built on Node streams). */
export function readableBody(readable: Readable): BodySource {
  let started = false;
  return {
    start(sink) {
      if (started) throw new Error("body already started");
      started = true;
      readable.on("data", (chunk: Buffer | string) =>
        sink.onData(typeof chunk === "string" ? Buffer.from(chunk) : chunk),
      );
      readable.once("end", () => sink.onEnd());
      readable.on("error", (err: Error) => sink.onError(err));
    },
    pause: () => readable.pause(),
    resume: () => readable.resume(),
    cancel: (reason) => {
      readable.on("error", () => {});
      readable.destroy(reason);
    },
  };
}

/** Reads a whole body (small bodies: errors, tests). */
export function collectBody(body: BodySource): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.start({
      onData: (c) => chunks.push(c),
      onEnd: () => resolve(Buffer.concat(chunks)),
      onError: reject,
    });
  });
}

export type ProbeResult =
  | { readonly ready: true; readonly latencyMs: number }
  | {
      readonly ready: false;
      readonly latencyMs: number;
      readonly reason: string;
      /** A failure that is no cold start (bad DNS name, TLS error): counts towards "down" at once. */
      readonly hard?: boolean;
      /** What failed; default: `hard` when hard, else `not-ready` (it answered, not ready). */
      readonly kind?: FailureKind;
    };

/** What a live upstream says about itself now. */
export type Readiness =
  | { readonly state: "ready" }
  /** Coming up (or able to, on `wake()`): requests wait for it in its queue. */
  | { readonly state: "warming"; readonly detail: string }
  /** It will not serve until someone acts; `error` is its own answer to requests meanwhile. */
  | { readonly state: "down"; readonly detail: string; readonly error?: Error };

/**
 * An upstream that knows its own state and can be woken (a local engine): the
 * gateway follows it instead of probing, holds requests in the upstream's one
 * queue while it is not ready, and wakes it when a request waits.
 */
export interface LiveUpstream {
  readiness(): Readiness;
  /** Calls `fn` whenever `readiness()` may have changed; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void;
  /** A request is waiting: bring it up (idempotent). */
  wake(): void;
}

/** Thrown by a live upstream's `send` when it is not ready after all: the router waits for it. */
export class UpstreamNotReady extends Error {
  override readonly name = "UpstreamNotReady";
}

export interface Upstream {
  readonly name: string;
  /** Where it is, for humans (`/api/v1/upstreams`); never contains credentials. */
  readonly url: string;
  readonly models: readonly string[];
  /** Share of traffic among upstreams of the same model and tier. */
  readonly weight: number;
  /** Fallback tier: lower first. */
  readonly tier: number;
  /**
   * Sends one request; resolves when the response head arrives. Rejects with an
   * error whose `code` says why (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) when no
   * response came; a 503 response means "not ready yet".
   */
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Is it ready to serve? (HTTP: GET healthPath.) Never throws. */
  probe(signal: AbortSignal): Promise<ProbeResult>;
  /** Present when it reports its own state (then it is followed, not probed). */
  readonly live?: LiveUpstream;
  close(): Promise<void>;
}

/** Upstream failures that mean "not up yet / starting": retried in place while warming. */
const NOT_READY_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);
/** Failures that no waiting fixes. */
const HARD_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * - `refused`: no answer at connection level (refused, reset): a cold start if the upstream
 *   was never up, a crash if it was.
 * - `not-ready`: it answered, but not ready (health 5xx).
 * - `hard`: no waiting fixes it (DNS, TLS).
 */
export type FailureKind = "refused" | "not-ready" | "hard";

export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NOT_READY_CODES.has(code) || HARD_CODES.has(code))) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

export function classifySendError(err: unknown): FailureKind {
  const code = errorCode(err);
  return code !== undefined && HARD_CODES.has(code) ? "hard" : "refused";
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

/** The `kind` label of rouse_upstream_errors_total for a send/stream error. */
export function upstreamErrorKind(err: unknown): "refused" | "reset" | "timeout" | "hard" | "other" {
  const code = errorCode(err);
  if (code === undefined) return "other";
  if (TIMEOUT_CODES.has(code)) return "timeout";
  if (code === "ECONNREFUSED") return "refused";
  if (HARD_CODES.has(code)) return "hard";
  if (NOT_READY_CODES.has(code)) return "reset";
  return "other";
}
