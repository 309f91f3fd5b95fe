import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { RetryOptions } from "../retry.ts";
import { replay, startFakeEngine } from "../test-server.ts";

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

/** The fake upstream answering every request with `body`, written in pieces (see `replay`). */
export async function startReplayServer(
  body: Buffer,
  pieceSizes: number[],
): Promise<{ baseURL: string; close(): Promise<void> }> {
  const fake = await startFakeEngine({ behave: replay(body, pieceSizes) });
  return { baseURL: fake.baseURL, close: () => fake.close() };
}
