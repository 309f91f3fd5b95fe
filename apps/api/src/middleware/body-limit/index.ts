import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../../errors.ts";

export interface BodyLimitOptions {
  readonly maxBytes: number;
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

/** Reads a Node request body, refusing more than `max` bytes with a 413 GatewayError. */
export function readNodeBody(incoming: IncomingMessage, max: number): Promise<Buffer> {
  const declared = incoming.headers["content-length"];
  if (declared !== undefined && Number(declared) > max) return Promise.reject(tooLarge(max));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      if (!incoming.complete) onError(new Error("client closed the connection while sending the body"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

async function readWeb(body: ReadableStream<Uint8Array> | null, max: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(max);
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
 * Reads the whole request body into `c.var.body` (a Buffer), refusing bodies over
 * `maxBytes` with an OpenAI-style 413 — from `Content-Length` before reading when
 * the client sent one, else as soon as the count passes the limit. On Node it
 * reads the socket directly, skipping the Web-stream conversion.
 *
 * @example
 * app.post("/v1/*", bodyLimit({ maxBytes: 4 * 1024 * 1024 }), (c) => c.text(`${c.var.body.length} bytes`));
 */
export function bodyLimit(options: BodyLimitOptions) {
  const max = options.maxBytes;
  return createMiddleware<{ Variables: { body: Buffer } }>(async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > max) throw tooLarge(max);
    const incoming = nodeIncoming(c);
    c.set("body", incoming ? await readNodeBody(incoming, max) : await readWeb(c.req.raw.body, max));
    await next();
  });
}
