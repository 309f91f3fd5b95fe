import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntilReady } from "./wait-ready.ts";

// SGLang's /health runs a one-token generation and polls for its answer once a second,
// so a healthy engine answers it in just over 1 s. Found on the H200 (bench/results/gpu.md):
// a probe cut at 1 s never saw it succeed, and rouse waited for an engine that was ready.

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** Only a slow `/health` (a timing decoy for the probe's timeout, not an OpenAI fake: engine-kit has no client dependency). */
function slowHealth(delayMs: number): Promise<string> {
  server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200).end("ok"), delayMs);
  });
  return new Promise((resolve) =>
    server!.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`),
    ),
  );
}

describe("waitUntilReady", () => {
  it("gives each probe the probe's own timeout: a /health that takes 1.3 s counts as ready", async () => {
    const baseUrl = await slowHealth(1_300);
    const probe = { method: "GET" as const, path: "/health", timeoutSeconds: 5 };
    await expect(
      waitUntilReady("sglang", probe, { baseUrl }, { timeoutMs: 4_000, intervalMs: 50 }),
    ).resolves.toBeUndefined();
  });

  it("a probe without its own timeout is cut at max(1 s, 4 × interval), and the deadline names what it saw", async () => {
    const baseUrl = await slowHealth(1_300);
    const probe = { method: "GET" as const, path: "/health" };
    await expect(
      waitUntilReady("sglang", probe, { baseUrl }, { timeoutMs: 2_500, intervalMs: 50 }),
    ).rejects.toThrow(/not ready within 2500 ms/);
  });
});
