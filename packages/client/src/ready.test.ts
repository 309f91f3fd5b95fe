import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { AbortError, ApiError, ConnectionError, TimeoutError } from "./errors.ts";
import { freePort } from "./__fixtures__/helpers.ts";
import type { ReadyProgress } from "./ready.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let client: RouseClient;

beforeAll(async () => {
  engine = await startFakeEngine();
  client = createClient({ baseURL: `${engine.url}/v1/` });
});
afterAll(async () => {
  await client.close();
  await engine.close();
});

describe("health()", () => {
  it("probes /health at the root, not under /v1", async () => {
    const result = await client.health();
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(engine.requests.at(-1)?.url).toBe("/health");
  });

  it("reports a failing probe without throwing", async () => {
    engine.setReady(false);
    try {
      const result = await client.health();
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.status).toBe(503);
        expect(result.error).toBeInstanceOf(ApiError);
      }
    } finally {
      engine.setReady(true);
    }
  });

  it("takes another path", async () => {
    expect((await client.health({ path: "/v1/models" })).ok).toBe(true);
    expect(engine.requests.at(-1)?.url).toBe("/v1/models");
  });
});

describe("waitUntilReady()", () => {
  it("polls through 'loading' answers and reports progress", async () => {
    const loading = await startFakeEngine({ loadingRequests: 3 });
    const c = createClient({ baseURL: loading.url });
    const progress: ReadyProgress[] = [];
    const result = await c.waitUntilReady({ intervalMs: 5, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ attempts: 4, status: 200 });
    expect(progress.map((p) => [p.attempt, p.ready, p.lastStatus])).toEqual([
      [1, false, 503],
      [2, false, 503],
      [3, false, 503],
      [4, true, 200],
    ]);
    expect(progress[0]?.lastError).toBeInstanceOf(ApiError);
    expect(progress[0]?.nextDelayMs).toBe(5);
    expect(progress.map((p) => p.elapsedMs)).toEqual(
      [...progress.map((p) => p.elapsedMs)].sort((a, b) => a - b),
    );
    await Promise.all([c.close(), loading.close()]);
  });

  it("waits for a server that is not listening yet", async () => {
    const port = await freePort();
    const c = createClient({ baseURL: `http://127.0.0.1:${port}` });
    const progress: ReadyProgress[] = [];
    let late: FakeEngine | undefined;
    const timer = setTimeout(async () => {
      late = await startFakeEngine({ port });
    }, 100);
    const result = await c.waitUntilReady({ intervalMs: 10, onProgress: (p) => progress.push(p) });
    clearTimeout(timer);
    expect(result.attempts).toBeGreaterThan(1);
    expect(progress[0]?.lastError).toBeInstanceOf(ConnectionError);
    expect(progress[0]?.lastStatus).toBeUndefined();
    await c.close();
    await late?.close();
  });

  it("follows Modal's 303 on the health probe", async () => {
    engine.enqueue({ kind: "modalRedirect", hops: 2, path: "/health" });
    expect(await client.waitUntilReady({ intervalMs: 5 })).toMatchObject({ attempts: 1 });
  });

  it("gives up at the deadline with a TimeoutError (phase deadline)", async () => {
    engine.setReady(false);
    try {
      const error = (await client
        // 1 s: several probes answer 503 before the deadline even when a loaded machine slows the first
        .waitUntilReady({ deadlineMs: 1_000, intervalMs: 10 })
        .catch((e: unknown) => e)) as TimeoutError;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.phase).toBe("deadline");
      expect(error.message).toContain("last status 503");
      expect(error.attempts).toBeGreaterThan(1);
    } finally {
      engine.setReady(true);
    }
  });

  it("the deadline also cuts a probe that hangs", async () => {
    // A fresh engine: a probe aborted by an earlier test may still reach the shared one and take the script.
    const hanging = await startFakeEngine();
    const c = createClient({ baseURL: hanging.url });
    hanging.enqueue({ kind: "hang", path: "/health" });
    await expect(c.waitUntilReady({ deadlineMs: 100 })).rejects.toMatchObject({ phase: "deadline" });
    expect(hanging.requests).toHaveLength(1);
    await Promise.all([c.close(), hanging.close()]);
  });

  it("stops at once on 401: waiting will not fix a wrong key", async () => {
    const guarded = await startFakeEngine({ apiKey: "right" });
    const c = createClient({ baseURL: guarded.url, apiKey: "wrong" });
    const progress: ReadyProgress[] = [];
    await expect(
      c.waitUntilReady({ intervalMs: 5, onProgress: (p) => progress.push(p) }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(progress).toEqual([]);
    await Promise.all([c.close(), guarded.close()]);
  });

  it("honours the caller's signal", async () => {
    engine.setReady(false);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      await expect(
        client.waitUntilReady({ intervalMs: 5, signal: controller.signal }),
      ).rejects.toBeInstanceOf(AbortError);
    } finally {
      engine.setReady(true);
    }
  });
});
