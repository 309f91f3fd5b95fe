import type { ServerResponse } from "node:http";
import { GatewayError } from "../errors.ts";
import type { RequestRecord } from "../middleware/access-log/index.ts";
import type { Principal } from "../middleware/auth/index.ts";
import type { DispatchStats, Router } from "../router/router.ts";
import { isEventStream, passHeaders, pipeToNode, toWebResponse } from "./pipe.ts";

/** One OpenAI-style request to forward, however it arrived (Hono route or the Node fast path). */
export interface ProxyInput {
  readonly record: RequestRecord;
  readonly principal: Principal;
  readonly body: Buffer;
  /** `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`. */
  readonly route: string;
  /** `""` or `?…` */
  readonly search: string;
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /** Aborted when the client goes away (Web path). */
  readonly clientSignal?: AbortSignal;
  /** The Node response to write to directly (@hono/node-server's `c.env.outgoing`). */
  readonly outgoing?: ServerResponse;
}

/** What the proxy core needs from the gateway. */
export interface ProxyDeps {
  readonly router: Router;
  readonly captureBytes: number;
  /** Tracks a response being piped: `cut` ends it at the shutdown deadline; returns the unregister function. */
  readonly track: (cut: () => void) => () => void;
}

/** The response was written to `outgoing`. */
export const SENT = Symbol("sent");

/** Gateway headers on every answer to a proxied route, errors included. */
export function gatewayHeaders(record: RequestRecord): Record<string, string> {
  return {
    "x-rouse-cold-start": record.coldStart ? "true" : "false",
    "x-rouse-queue-ms": String(Math.round(record.queueMs ?? 0)),
    "x-request-id": record.id,
  };
}

/**
 * The proxy core: checks the request's model (and the key's allow-list), lets the
 * router pick an upstream (waiting through cold starts), then passes the upstream
 * response through unchanged. Throws GatewayError for answers the gateway makes
 * itself; ends `record` when the response is over.
 */
export function createProxy({ router, captureBytes, track }: ProxyDeps) {
  return async function proxy(input: ProxyInput): Promise<Response | typeof SENT> {
    const { record: rec, body: raw } = input;
    rec.route = input.route;
    rec.bytesIn = raw.length;
    rec.key = input.principal.name;
    let payload: { model?: unknown; stream?: unknown } | null;
    try {
      payload = JSON.parse(raw.toString("utf8")) as typeof payload;
    } catch {
      throw new GatewayError(400, "invalid_request_error", "The request body is not valid JSON", {
        code: "invalid_json",
      });
    }
    const model = payload?.model;
    if (typeof model !== "string" || model === "") {
      throw new GatewayError(400, "invalid_request_error", "You must provide a model parameter", {
        code: "missing_model",
        param: "model",
      });
    }
    rec.model = model;
    rec.stream = payload?.stream === true;
    if (captureBytes > 0) rec.requestBody = raw.subarray(0, captureBytes).toString("utf8");
    const allowed = input.principal.models;
    if (allowed && !allowed.has(model)) {
      throw new GatewayError(403, "permission_error", `This API key may not use the model '${model}'`, {
        code: "model_not_allowed",
        param: "model",
      });
    }

    // Cancel the upstream work (queue wait, upstream request, stream) when the client goes away.
    const abort = new AbortController();
    const onClientGone = () => {
      if (!abort.signal.aborted) abort.abort(new Error("client closed the connection"));
    };
    const out = input.outgoing;
    const onOutClose = () => {
      if (out && !out.writableFinished) onClientGone();
    };
    const clientSignal = input.clientSignal;
    if (out) out.once("close", onOutClose);
    else if (clientSignal) {
      if (clientSignal.aborted) onClientGone();
      else clientSignal.addEventListener("abort", onClientGone, { once: true });
    }
    const detach = () => {
      out?.off("close", onOutClose);
      clientSignal?.removeEventListener("abort", onClientGone);
    };

    const headers: Record<string, string> = {
      "content-type": input.contentType ?? "application/json",
      accept: input.accept ?? "*/*",
      "x-request-id": rec.id,
    };
    const stats: DispatchStats = { coldStart: false, queueMs: 0, attempts: 0 };
    let d: Awaited<ReturnType<Router["dispatch"]>>;
    try {
      d = await router.dispatch(
        model,
        { method: "POST", path: input.route + input.search, headers, body: raw },
        abort.signal,
        stats,
      );
    } catch (err) {
      rec.coldStart = stats.coldStart;
      rec.queueMs = stats.queueMs;
      rec.attempts = stats.attempts;
      // Queued or sent somewhere: that upstream is the metric's label, also when the client left.
      rec.upstream = stats.upstream;
      detach();
      if (abort.signal.aborted) {
        rec.outcome = "client_closed";
        throw new GatewayError(499 as number, "invalid_request_error", "client closed the connection", {
          code: "client_closed",
        });
      }
      throw err;
    }
    rec.upstream = d.upstream.name;
    rec.coldStart = d.coldStart;
    rec.queueMs = d.queueMs;
    rec.attempts = d.attempts;
    rec.status = d.response.status;
    rec.deferred = true;
    const res = d.response;
    const outHeaders = passHeaders(res.headers, {
      "x-rouse-cold-start": d.coldStart ? "true" : "false",
      "x-rouse-queue-ms": String(Math.round(d.queueMs)),
      "x-rouse-upstream": d.upstream.name,
      "x-request-id": rec.id,
    });
    const sse = isEventStream(res.headers);
    if (res.status >= 500) rec.outcome = "upstream_error";
    const pipeOptions = {
      record: rec,
      upstream: d.upstream.name,
      abort: onClientGone,
      captureBytes,
      onDone: detach,
      track,
    };
    if (out && !out.headersSent) {
      pipeToNode(out, res.status, outHeaders, res.body, sse, pipeOptions);
      return SENT;
    }
    return toWebResponse(res.status, outHeaders, res.body, sse, pipeOptions);
  };
}
