import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../../errors.ts";

export interface BufferedBodyOptions {
  /** One body's limit: 413 beyond it. */
  readonly maxBytes: number;
  /** Shared by every request: bytes of bodies held in memory (being read or queued). */
  readonly budget: BodyBudget;
  readonly retryAfterSeconds?: number;
  /** Checked before reading, with the declared length: an error refuses the request unread. */
  readonly refuseEarly?: (declaredBytes: number) => GatewayError | undefined;
}

/**
 * Bytes of request bodies the gateway holds at once. A request reserves its
 * Content-Length before a byte is read (chunked bodies: chunk by chunk) and gives
 * it back when its upstream answered or it failed; a reservation that does not fit
 * is refused, so a flood of large requests is turned away unread.
 */
export class BodyBudget {
  readonly max: number;
  used = 0;
  constructor(max: number) {
    this.max = max;
  }
  reserve(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }
  release(bytes: number): void {
    this.used -= bytes;
  }
}

function tooLarge(max: number): GatewayError {
  return new GatewayError(
    413,
    "invalid_request_error",
    `Request body is larger than the limit of ${max} bytes`,
    {
      code: "request_too_large",
    },
  );
}

function overloaded(budget: BodyBudget, retryAfter: number): GatewayError {
  return new GatewayError(
    503,
    "service_unavailable",
    `The gateway holds ${budget.used} bytes of queued request bodies (limit ${budget.max}); retry later`,
    { code: "overloaded", retryAfter },
  );
}

/** Reads a Node request body within `max` bytes, reserving each chunk beyond `reserved` in `budget`. */
export function readNodeBody(
  incoming: IncomingMessage,
  max: number,
  budget: BodyBudget,
  reserved: { bytes: number },
  retryAfter: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const fail = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return fail(tooLarge(max));
      if (size > reserved.bytes) {
        const more = size - reserved.bytes;
        if (!budget.reserve(more)) return fail(overloaded(budget, retryAfter));
        reserved.bytes += more;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => fail(err);
    const onClose = () => {
      if (!incoming.complete) fail(new Error("client closed the connection while sending the body"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

async function readWeb(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  budget: BodyBudget,
  reserved: { bytes: number },
  retryAfter: number,
): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    let err: GatewayError | undefined;
    if (size > max) err = tooLarge(max);
    else if (size > reserved.bytes) {
      if (budget.reserve(size - reserved.bytes)) reserved.bytes = size;
      else err = overloaded(budget, retryAfter);
    }
    if (err) {
      await reader.cancel().catch(() => {});
      throw err;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** The Node request behind a Hono context, when served by @hono/node-server. */
function nodeIncoming(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  const incoming = env?.incoming;
  return incoming && typeof incoming.on === "function" ? incoming : undefined;
}

/**
 * Reads the whole request body into `c.var.body` within `maxBytes` (413 beyond,
 * from Content-Length before reading when there is one) and within the shared
 * `budget` (503 `overloaded` before reading; Node then discards the unread body
 * without buffering it, so the client still gets the answer). `c.var.releaseBody()` gives the bytes back; the gateway
 * calls it once the upstream has the body. hono's own `body-limit` cannot reserve
 * bytes before reading, and reads through a Web stream; this reads the socket.
 *
 * @example
 * app.post("/v1/*", bufferedBody({ maxBytes: 4 << 20, budget: new BodyBudget(256 << 20) }), handler);
 */
export function bufferedBody(options: BufferedBodyOptions) {
  const { maxBytes: max, budget } = options;
  const retryAfter = options.retryAfterSeconds ?? 5;
  return createMiddleware<{ Variables: { body: Buffer; releaseBody: () => void } }>(async (c, next) => {
    const declaredText = c.req.header("content-length");
    const declared = declaredText === undefined ? 0 : Number(declaredText);
    if (declared > max) throw tooLarge(max);
    const early = options.refuseEarly?.(declared);
    if (early) throw early;
    const reserved = { bytes: 0 };
    if (declared > 0) {
      if (!budget.reserve(declared)) {
        throw overloaded(budget, retryAfter);
      }
      reserved.bytes = declared;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      budget.release(reserved.bytes);
    };
    c.set("releaseBody", release);
    try {
      const incoming = nodeIncoming(c);
      c.set(
        "body",
        incoming
          ? await readNodeBody(incoming, max, budget, reserved, retryAfter)
          : await readWeb(c.req.raw.body, max, budget, reserved, retryAfter),
      );
      await next();
    } finally {
      release();
    }
  });
}
