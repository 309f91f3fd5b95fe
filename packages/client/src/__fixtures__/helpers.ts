import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { RetryOptions } from "../retry.ts";

/** Retries that take milliseconds, with the jitter pinned at half the ceiling. */
export const fastRetry: RetryOptions = { baseDelayMs: 2, maxDelayMs: 10, random: () => 0.5 };

export const FIXTURES = ["vllm-chat-reasoning", "vllm-chat-tool-call", "sglang-chat-stream"] as const;

export function readFixture(name: string): Buffer {
  return readFileSync(new URL(`./${name}.chunks.txt`, import.meta.url));
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** A port nothing listens on (free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A server that answers every request with `body` as an event stream, written
 * in pieces of the given sizes (cycled) with a short pause between writes, so
 * chunk boundaries land mid-line and mid-character on the client's side.
 */
export async function startReplayServer(
  body: Buffer,
  pieceSizes: number[],
): Promise<{ baseURL: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let offset = 0;
      for (let i = 0; offset < body.length; i++) {
        const size = pieceSizes[i % pieceSizes.length]!;
        res.write(body.subarray(offset, offset + size));
        offset += size;
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
