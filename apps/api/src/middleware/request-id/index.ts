import { createMiddleware } from "hono/factory";

export interface RequestIdOptions {
  /** Header read and written. Default `x-request-id`. */
  readonly headerName?: string;
  /** Makes an id when the client sent none (or an unusable one). Default: `crypto.randomUUID()`. */
  readonly generate?: () => string;
}

const SAFE_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** The client's id when it is a short safe token, else a generated one. */
export function resolveRequestId(
  incoming: string | undefined,
  generate: () => string = () => crypto.randomUUID(),
): string {
  return incoming !== undefined && SAFE_ID.test(incoming) ? incoming : generate();
}

/**
 * Gives every request an id: the client's `x-request-id` when it is a short safe
 * token, else a new UUID. Sets `c.var.requestId` and echoes it on the response.
 * Handlers that write to the socket themselves (streaming proxy) add the header.
 *
 * @example
 * app.use(requestId());
 * app.get("/", (c) => c.text(c.var.requestId));
 */
export function requestId(options: RequestIdOptions = {}) {
  const headerName = options.headerName ?? "x-request-id";
  const generate = options.generate ?? (() => crypto.randomUUID());
  return createMiddleware<{ Variables: { requestId: string } }>(async (c, next) => {
    const id = resolveRequestId(c.req.header(headerName), generate);
    c.set("requestId", id);
    await next();
    if (!c.res.headers.has("x-hono-already-sent")) c.res.headers.set(headerName, id);
  });
}
