import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { sseErrorEvent } from "../errors.ts";
import type { RequestRecord } from "../middleware/access-log/index.ts";
import type { BodySource, UpstreamResponse } from "../upstream/types.ts";

// Moving an upstream response to the client: bytes pass through unchanged, with
// backpressure (pause the upstream while the client socket is full). When the
// client goes away the upstream request is cancelled; when the upstream dies
// mid-stream an SSE stream ends with an OpenAI-style error event, not a hang.

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
  "date",
  "server",
]);

/** Upstream response headers minus hop-by-hop ones, plus the gateway's. */
export function passHeaders(
  upstream: UpstreamResponse["headers"],
  extra: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const v = upstream[name];
    if (v === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = v;
  }
  for (const name in extra) out[name] = extra[name]!;
  return out;
}

export function isEventStream(headers: UpstreamResponse["headers"]): boolean {
  const ct = headers["content-type"];
  return typeof ct === "string" && ct.startsWith("text/event-stream");
}

export interface PipeOptions {
  readonly record: RequestRecord;
  /** The upstream's name, for the error event. */
  readonly upstream: string;
  /** Cancels the upstream request (the client went away). */
  readonly abort: () => void;
  /** Keep up to this many response bytes in `record.responseBody` (logging.bodies). */
  readonly captureBytes: number;
  /** Called once the response is over, however it ended. */
  readonly onDone?: () => void;
  /** Registers the cut for the shutdown deadline; returns the unregister function. */
  readonly track?: (cut: () => void) => () => void;
}

/** The SSE event a stream gets when the server cuts it at its shutdown deadline. */
export const SHUTDOWN_EVENT = sseErrorEvent(
  "service_unavailable",
  "The rouse gateway is shutting down and cut this stream at its shutdown deadline; retry the request",
  "server_shutdown",
);

/** The outcome of a stream that failed mid-body. */
function failureOutcome(err: Error): "timeout" | "upstream_error" {
  return (err as { code?: string }).code === "UND_ERR_BODY_TIMEOUT" ? "timeout" : "upstream_error";
}

const MAX_CAPTURE = 64 * 1024;

function captureInto(record: RequestRecord, chunk: Buffer, limit: number): void {
  const have = record.responseBody?.length ?? 0;
  if (have >= limit) return;
  record.responseBody = (record.responseBody ?? "") + chunk.subarray(0, limit - have).toString("utf8");
}

function midStreamError(upstream: string, err: unknown): string {
  const why = err instanceof Error ? err.message : String(err);
  return sseErrorEvent(
    "upstream_error",
    `upstream '${upstream}' failed mid-stream: ${why}`,
    "upstream_disconnected",
  );
}

/** Accounts one chunk on its way to the client: first byte, sizes, optional body capture. */
function recordChunk(rec: PipeOptions["record"], chunk: Buffer, capture: number): void {
  if (rec.ttftMs === undefined) rec.firstByte();
  rec.bytesOut += chunk.length;
  rec.chunks++;
  if (capture > 0) captureInto(rec, chunk, capture);
}

/** Writes the upstream response straight to a Node ServerResponse. */
export function pipeToNode(
  out: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: BodySource,
  sse: boolean,
  o: PipeOptions,
): void {
  const rec = o.record;
  const capture = Math.min(o.captureBytes, MAX_CAPTURE);
  let finished = false;
  let untrack: (() => void) | undefined;
  const finish = (error?: string, outcome?: RequestRecord["outcome"]) => {
    if (finished) return;
    finished = true;
    untrack?.();
    out.off("drain", onDrain);
    out.off("close", onClose);
    if (error !== undefined) rec.error = error;
    if (outcome !== undefined) rec.outcome = outcome;
    rec.end();
    o.onDone?.();
  };
  const onDrain = () => body.resume();
  const onClose = () => {
    if (out.writableFinished) return;
    // The client went away before the end: stop the upstream generating for no one.
    o.abort();
    body.cancel();
    finish("client_closed", "client_closed");
  };
  untrack = o.track?.(() => {
    if (finished) return;
    // Finished first: cancelling the body reports an error we must not turn into a second event.
    finish("server_shutdown", "shutdown");
    if (sse) out.end(SHUTDOWN_EVENT);
    else out.destroy();
    body.cancel();
  });
  out.writeHead(status, headers);
  out.on("drain", onDrain);
  out.on("close", onClose);
  body.start({
    onData(chunk) {
      if (finished) return;
      recordChunk(rec, chunk, capture);
      if (!out.write(chunk)) body.pause();
    },
    onEnd() {
      if (finished) return;
      out.end();
      finish();
    },
    onError(err) {
      if (finished) return;
      if (out.destroyed) return finish("client_closed", "client_closed");
      if (sse) out.end(midStreamError(o.upstream, err));
      // A half-sent JSON body cannot be repaired: cut the connection so the client sees a failure.
      else out.destroy(err);
      finish(`upstream_error: ${err.message}`, failureOutcome(err));
    },
  });
  // SSE whose first chunk is not here yet: send the head now, so the client sees the
  // response start before the first token. (When it is here, head and chunk go out in one write.)
  if (sse && rec.chunks === 0 && !finished) out.flushHeaders();
}

/** The same, as a Web Response (for `app.request` and non-Node runtimes). */
export function toWebResponse(
  status: number,
  headers: Record<string, string | string[]>,
  body: BodySource,
  sse: boolean,
  o: PipeOptions,
): Response {
  const rec = o.record;
  const capture = Math.min(o.captureBytes, MAX_CAPTURE);
  let finished = false;
  let untrack: (() => void) | undefined;
  const finish = (error?: string, outcome?: RequestRecord["outcome"]) => {
    if (finished) return;
    finished = true;
    untrack?.();
    if (error !== undefined) rec.error = error;
    if (outcome !== undefined) rec.outcome = outcome;
    rec.end();
    o.onDone?.();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        untrack = o.track?.(() => {
          if (finished) return;
          finish("server_shutdown", "shutdown");
          if (sse) {
            controller.enqueue(Buffer.from(SHUTDOWN_EVENT));
            controller.close();
          } else controller.error(new Error("server shutdown"));
          body.cancel();
        });
        body.start({
          onData(chunk) {
            if (finished) return;
            recordChunk(rec, chunk, capture);
            controller.enqueue(chunk);
            if ((controller.desiredSize ?? 0) <= 0) body.pause();
          },
          onEnd() {
            if (finished) return;
            controller.close();
            finish();
          },
          onError(err) {
            if (finished) return;
            if (sse) {
              controller.enqueue(Buffer.from(midStreamError(o.upstream, err)));
              controller.close();
            } else {
              controller.error(err);
            }
            finish(`upstream_error: ${err.message}`, failureOutcome(err));
          },
        });
      },
      pull() {
        body.resume();
      },
      cancel() {
        o.abort();
        body.cancel();
        finish("client_closed", "client_closed");
      },
    },
    { highWaterMark: 16 },
  );
  const h = new Headers();
  for (const name in headers) {
    const v = headers[name]!;
    if (Array.isArray(v)) for (const x of v) h.append(name, x);
    else h.set(name, v);
  }
  return new Response(stream, { status, headers: h });
}
