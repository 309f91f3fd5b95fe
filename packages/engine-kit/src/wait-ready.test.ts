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
function slowHealth(delayMs: number, status = 200): Promise<string> {
  server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(status).end(status === 200 ? "ok" : "loading"), delayMs);
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

  it("a probe the deadline cuts short does not hide what the engine answered before (HTTP 503)", async () => {
    // Each 503 takes 60 ms and the pause is 1 ms, so the deadline almost always lands inside a
    // probe; the error must still say 503, not "no answer within 1 ms" (seen in CI under load).
    // The first probe must end before the deadline (else "no answer" is the truth): deadlines of
    // 450 ms and more leave it room on a loaded machine.
    const baseUrl = await slowHealth(60, 503);
    const probe = { method: "GET" as const, path: "/health" };
    for (const timeoutMs of [450, 530, 610]) {
      await expect(
        waitUntilReady("sglang", probe, { baseUrl }, { timeoutMs, intervalMs: 1 }),
      ).rejects.toThrow(new RegExp(`not ready within ${timeoutMs} ms; last probe: HTTP 503: loading$`));
    }
  });

  it("a probe that never answered before the deadline says so", async () => {
    const baseUrl = await slowHealth(5_000, 503);
    const probe = { method: "GET" as const, path: "/health" };
    await expect(
      waitUntilReady("sglang", probe, { baseUrl }, { timeoutMs: 300, intervalMs: 1 }),
    ).rejects.toThrow(/not ready within 300 ms; last probe: no answer within 300 ms/);
  });
});
