import { describe, expect, it, vi } from "vitest";
import { GatewayError } from "../errors.ts";
import { FakeUpstream, ok, refused } from "../test/fake-upstream.ts";
import { defaultHealthTiming, type HealthTiming, ManagedUpstream } from "../upstream/managed.ts";
import { Router, type RouterOptions } from "./router.ts";

const timing: HealthTiming = {
  ...defaultHealthTiming,
  probeIntervalMs: 10,
  maxProbeIntervalMs: 20,
  coldStartWindowMs: 60_000,
};
const req = { method: "POST", path: "/v1/chat/completions", headers: {}, body: Buffer.from("{}") };

function router(
  ups: FakeUpstream[],
  options: Partial<RouterOptions> & {
    maxWaiting?: number;
    maxConcurrency?: number;
    maxQueuedBytes?: number;
  } = {},
  t: Partial<HealthTiming> = {},
) {
  const managed = ups.map(
    (u) =>
      new ManagedUpstream(u, { ...timing, ...t }, Date.now, {
        maxConcurrency: options.maxConcurrency ?? 100,
        maxWaiting: options.maxWaiting ?? 10,
        maxQueuedBytes: options.maxQueuedBytes ?? 1 << 20,
        retryAfterSeconds: 7,
      }),
  );
  return {
    managed,
    router: new Router(managed, {
      maxWaitMs: 5_000,
      refusingGraceMs: 200,
      maxRetries: 2,
      fallbackWhileWarming: true,
      retryInPlaceMs: 50,
      retryAfterSeconds: 7,
      ...options,
    }),
  };
}

const signal = () => new AbortController().signal;

async function expectGatewayError(p: Promise<unknown>, status: number, code: string): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).status).toBe(status);
  expect((err as GatewayError).code).toBe(code);
  return err as GatewayError;
}

describe("Router", () => {
  it("routes by model and 404s unknown models", async () => {
    const a = new FakeUpstream("a", ["m1"]);
    const b = new FakeUpstream("b", ["m2"]);
    const { router: r } = router([a, b]);
    expect((await r.dispatch("m2", req, signal())).upstream.name).toBe("b");
    expect(r.models().sort()).toEqual(["m1", "m2"]);
    await expectGatewayError(r.dispatch("nope", req, signal()), 404, "model_not_found");
  });

  it("splits traffic by weight within a tier", async () => {
    const a = new FakeUpstream("a", ["m"], undefined, { weight: 1 });
    const b = new FakeUpstream("b", ["m"], undefined, { weight: 3 });
    const rolls = [0.1, 0.3, 0.5, 0.9];
    let i = 0;
    const { router: r } = router([a, b], { random: () => rolls[i++ % rolls.length]! });
    const picks = [];
    for (let k = 0; k < 4; k++) picks.push((await r.dispatch("m", req, signal())).upstream.name);
    expect(picks).toEqual(["a", "b", "b", "b"]);
  });

  it("prefers the lowest tier and falls back while it is warming", async () => {
    let primaryUp = false;
    const primary = new FakeUpstream("primary", ["m"], () => (primaryUp ? ok({}) : refused()));
    primary.probeResult = () => ({ ready: false, latencyMs: 1, reason: "ECONNREFUSED" });
    const backup = new FakeUpstream("backup", ["m"], undefined, { tier: 1 });
    const { router: r, managed } = router([primary, backup]);
    const first = await r.dispatch("m", req, signal());
    expect(first.upstream.name).toBe("backup");
    expect(first.attempts).toBe(2);
    expect(first.coldStart).toBe(false);
    expect(managed[0]!.state).toBe("warming");
    primaryUp = true;
    managed[0]!.onSuccess();
    expect((await r.dispatch("m", req, signal())).upstream.name).toBe("primary");
    await Promise.all(managed.map((m) => m.close()));
  });

  it("waits for a warming upstream instead of falling back when fallbackWhileWarming is off", async () => {
    let up = false;
    const primary = new FakeUpstream("primary", ["m"], () => (up ? ok({}) : refused()));
    primary.probeResult = () =>
      up ? { ready: true, latencyMs: 1 } : { ready: false, latencyMs: 1, reason: "ECONNREFUSED" };
    const backup = new FakeUpstream("backup", ["m"], undefined, { tier: 1 });
    const { router: r, managed } = router([primary, backup], { fallbackWhileWarming: false });
    setTimeout(() => {
      up = true;
    }, 60);
    const d = await r.dispatch("m", req, signal());
    expect(d.upstream.name).toBe("primary");
    expect(d.coldStart).toBe(true);
    expect(d.queueMs).toBeGreaterThan(0);
    expect(backup.sent).toHaveLength(0);
    await Promise.all(managed.map((m) => m.close()));
  });

  it("retries a cold upstream in place (503s, then up) and reports the wait", async () => {
    const u = new FakeUpstream("u", ["m"], (_r, n) =>
      n < 3 ? ok({ loading: true }, 503) : ok({ done: true }),
    );
    u.probeResult = () => ({ ready: false, latencyMs: 1, reason: "health 503" });
    const { router: r, managed } = router([u]);
    const d = await r.dispatch("m", req, signal());
    expect(d.response.status).toBe(200);
    expect(d.attempts).toBe(3);
    expect(d.coldStart).toBe(true);
    expect(managed[0]!.state).toBe("ready");
    await managed[0]!.close();
  });

  it("answers 503 + Retry-After when the queue is full", async () => {
    const u = new FakeUpstream("u", ["m"], () => refused());
    u.probeResult = () => ({ ready: false, latencyMs: 1, reason: "ECONNREFUSED" });
    // A long wait: the first request is still queued when the second comes, however slow the machine
    // (it is aborted below, so the test does not wait it out).
    const { router: r, managed } = router([u], { maxWaiting: 1, maxWaitMs: 30_000 });
    const ac = new AbortController();
    const waiting = r.dispatch("m", req, ac.signal).catch((e: unknown) => e);
    while (r.waiting === 0) await new Promise((res) => setTimeout(res, 5));
    expect(r.waiting).toBe(1);
    const err = await expectGatewayError(r.dispatch("m", req, signal()), 503, "queue_full");
    expect(err.retryAfter).toBe(7);
    ac.abort(new Error("client gone"));
    expect(await waiting).toBeInstanceOf(Error);
    expect(r.waiting).toBe(0);
    await managed[0]!.close();
  });

  it("gives up at the deadline with 503 cold_start_timeout", async () => {
    const u = new FakeUpstream("u", ["m"], () => refused());
    u.probeResult = () => ({ ready: false, latencyMs: 1, reason: "ECONNREFUSED" });
    const { router: r, managed } = router([u], { maxWaitMs: 100 });
    const stats = { coldStart: false, queueMs: 0, attempts: 0 };
    await expectGatewayError(r.dispatch("m", req, signal(), stats), 503, "cold_start_timeout");
    expect(stats.coldStart).toBe(true);
    expect(stats.queueMs).toBeGreaterThanOrEqual(100);
    await managed[0]!.close();
  });

  it("fails fast when every upstream is down", async () => {
    const u = new FakeUpstream("u", ["m"], () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere"), { code: "ENOTFOUND" });
    });
    u.probeResult = () => ({ ready: false, latencyMs: 1, reason: "ENOTFOUND", hard: true });
    const { router: r, managed } = router([u], {}, { hardFailuresToDown: 1 });
    await expectGatewayError(r.dispatch("m", req, signal()), 503, "upstreams_down");
    expect(managed[0]!.state).toBe("down");
    await managed[0]!.close();
  });

  it("marks an upstream down once failures outlast the cold-start window, and back up on a good probe", async () => {
    let now = 0;
    const u = new FakeUpstream("u", ["m"]);
    u.probeResult = () => ({ ready: true, latencyMs: 2 });
    const m = new ManagedUpstream(
      u,
      { ...timing, coldStartWindowMs: 1_000, downProbeIntervalMs: 10 },
      () => now,
    );
    m.onFailure("refused", "ECONNREFUSED");
    expect(m.state).toBe("warming");
    now = 500;
    m.onFailure("refused", "ECONNREFUSED");
    expect(m.state).toBe("warming");
    now = 1_500;
    m.onFailure("refused", "ECONNREFUSED");
    expect(m.state).toBe("down");
    // The down-probe loop (every 10 ms) finds it up: polled, as a fixed pause can end first under load.
    await vi.waitFor(() => expect(m.state).toBe("ready"), { timeout: 5_000, interval: 10 });
    expect(m.latencyMs).toBe(2);
    await m.close();
  });

  it("tells a refusing upstream that was up from a cold start, and marks it down after refusingDownMs", async () => {
    let now = 0;
    const u = new FakeUpstream("u", ["m"]);
    u.probeResult = () => ({ ready: false, latencyMs: 1, reason: "ECONNREFUSED", kind: "refused" });
    const m = new ManagedUpstream(
      u,
      { ...timing, refusingDownMs: 1_000, probeIntervalMs: 60_000 },
      () => now,
    );
    m.onFailure("refused", "ECONNREFUSED");
    expect(m.state).toBe("warming"); // never seen up: a cold start
    m.onSuccess();
    m.onFailure("refused", "ECONNREFUSED");
    expect(m.state).toBe("refusing"); // was up: a crash
    now = 1_500;
    m.onFailure("refused", "ECONNREFUSED");
    expect(m.state).toBe("down");
    await m.close();
  });

  it("a 503 with a healthy probe leaves the upstream ready and passes the 503 on after maxRetries", async () => {
    const u = new FakeUpstream("u", ["m"], () => ok({ busy: true }, 503));
    const retries: string[] = [];
    const { router: r, managed } = router([u], { maxRetries: 1, onRetry: (n) => retries.push(n) });
    const d = await r.dispatch("m", req, signal());
    expect(d.response.status).toBe(503);
    expect(d.attempts).toBe(2);
    expect(d.coldStart).toBe(false);
    expect(retries).toEqual(["u"]);
    expect(managed[0]!.state).toBe("ready");
    await managed[0]!.close();
  });
});
