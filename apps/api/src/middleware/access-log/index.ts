import { createMiddleware } from "hono/factory";
import type { Outcome } from "../../metrics/gateway-metrics.ts";

/**
 * What the gateway knows about one request; handlers fill it in, and it is
 * reported once (one log line, one set of metric updates) when the response has
 * been fully sent — for a stream, at its end, not when the handler returns.
 */
export class RequestRecord {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  /** performance.now() at arrival. */
  readonly start: number;
  /** Route label (bounded set: the route pattern, never the raw path). */
  route = "";
  status = 0;
  upstream: string | undefined;
  model: string | undefined;
  stream = false;
  coldStart = false;
  queueMs: number | undefined;
  ttftMs: number | undefined;
  durationMs: number | undefined;
  attempts: number | undefined;
  key: string | undefined;
  bytesIn: number | undefined;
  bytesOut = 0;
  chunks = 0;
  error: string | undefined;
  /** How it ended; unset: derived from the status when it ends. */
  outcome: Outcome | undefined;
  /** The handler ends the record itself (streaming responses). */
  deferred = false;
  requestBody: string | undefined;
  responseBody: string | undefined;
  #ended = false;
  readonly #onEnd: (r: RequestRecord) => void;

  constructor(id: string, method: string, path: string, onEnd: (r: RequestRecord) => void) {
    this.id = id;
    this.method = method;
    this.path = path;
    this.start = performance.now();
    this.#onEnd = onEnd;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Marks the first response byte written to the client. */
  firstByte(): void {
    if (this.ttftMs === undefined) this.ttftMs = performance.now() - this.start;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.durationMs = performance.now() - this.start;
    if (this.ttftMs === undefined && this.status !== 0) this.ttftMs = this.durationMs;
    this.#onEnd(this);
  }
}

export interface AccessLogOptions {
  /** Called once per request when its response is complete. */
  readonly onEnd: (record: RequestRecord) => void;
  /** Called once per request on arrival, before anything else of it runs. */
  readonly onStart?: () => void;
}

/**
 * Creates `c.var.record` for each request and ends it after the handler — unless
 * the handler set `record.deferred` (it streams, and ends the record itself).
 *
 * @example
 * app.use(accessLog({ onEnd: (r) => console.log(JSON.stringify({ id: r.id, status: r.status, ms: r.durationMs })) }));
 */
export function accessLog(options: AccessLogOptions) {
  const { onEnd, onStart } = options;
  return createMiddleware<{ Variables: { record: RequestRecord; requestId?: string } }>(async (c, next) => {
    onStart?.();
    const id = c.get("requestId") ?? crypto.randomUUID();
    const record = new RequestRecord(id, c.req.method, c.req.path, onEnd);
    c.set("record", record);
    await next();
    if (!record.deferred) {
      record.status = c.res.status;
      if (!record.route) record.route = record.status === 404 ? "(unmatched)" : "(other)";
      record.end();
    }
  });
}
