import type { Transition } from "@rouse/runtime";
import { describe, expect, it } from "vitest";
import { createGateway, type GatewayDeps } from "../gateway.ts";
import { sha256Hex } from "../middleware/auth/index.ts";
import { startServer } from "../server.ts";
import { FakeUpstream } from "../test/fake-upstream.ts";
import { readSse } from "./client/sse.ts";
import { type ContainerStats, engineEvents, type FleetSnapshot } from "./fleet.ts";

// The playground's routes through the gateway's own request path (app.request):
// the page is public static text; every byte of data needs a key and counts
// against the key's rate limit.

const keys = [
  { name: "carol", sha256: sha256Hex("sk-carol") },
  { name: "alice", sha256: sha256Hex("sk-alice"), models: ["m1"] },
  { name: "bob", sha256: sha256Hex("sk-bob"), requestsPerMinute: 2 },
];
const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

function gateway(deps: GatewayDeps = {}) {
  const a = new FakeUpstream("a", ["m1"]);
  const b = new FakeUpstream("b", ["m2"]);
  const gw = createGateway({ version: 1, auth: { keys } }, { log: () => {}, upstreams: [a, b], ...deps });
  return { gw, a, b };
}

describe("the page", () => {
  it("is served without a key, with a CSP that allows no inline or foreign script, under 100 KB", async () => {
    const { gw } = gateway();
    let total = 0;
    for (const [path, type] of [
      ["/", "text/html"],
      ["/ui/playground.js", "text/javascript"],
      ["/ui/playground.css", "text/css"],
    ] as const) {
      const res = await gw.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toContain(type);
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self';/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const body = await res.text();
      total += Buffer.byteLength(body);
      if (type === "text/javascript") {
        expect(() => new Function(body)).not.toThrow();
        // Text reaches the DOM as text: no HTML-parsing sink anywhere in the script.
        expect(body).not.toMatch(
          /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|console\./,
        );
      }
      // No CDN, no other origin.
      expect(body).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    }
    expect(total).toBeLessThan(100 * 1024);
    expect((await gw.app.request("/docs")).status).toBe(200);
  });
});

describe("/api/v1/fleet", () => {
  it("needs a key and shows only the upstreams of the key's models", async () => {
    const { gw } = gateway();
    expect((await gw.app.request("/api/v1/fleet")).status).toBe(401);
    expect((await gw.app.request("/api/v1/fleet", as("sk-wrong"))).status).toBe(401);
    expect((await gw.app.request("/api/v1/fleet/stream")).status).toBe(401);
    const all = (await (await gw.app.request("/api/v1/fleet", as("sk-carol"))).json()) as FleetSnapshot;
    expect(all.upstreams.map((u) => [u.name, u.kind, u.state, u.models])).toEqual([
      ["a", "remote", "unknown", ["m1"]],
      ["b", "remote", "unknown", ["m2"]],
    ]);
    expect(all.gateway).toEqual({ waiting: 0, inFlight: 0 });
    const alice = (await (await gw.app.request("/api/v1/fleet", as("sk-alice"))).json()) as FleetSnapshot;
    expect(alice.upstreams.map((u) => u.name)).toEqual(["a"]);
  });

  it("counts against the key's rate limit like any other call", async () => {
    const { gw } = gateway();
    expect((await gw.app.request("/api/v1/fleet", as("sk-bob"))).status).toBe(200);
    expect((await gw.app.request("/api/v1/fleet", as("sk-bob"))).status).toBe(200);
    const limited = await gw.app.request("/api/v1/fleet/stream", as("sk-bob"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
  });

  it("streams a snapshot at once and on every change, and ends when the gateway drains", async () => {
    const { gw, a } = gateway();
    const res = await gw.app.request("/api/v1/fleet/stream", as("sk-carol"));
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = readSse(res.body!);
    const next = async () => JSON.parse((await events.next()).value as string) as FleetSnapshot;
    const first = await next();
    expect(first.upstreams[0]!.state).toBe("unknown");
    // The feed itself is not a request in flight.
    expect(first.gateway.inFlight).toBe(0);

    a.probeResult = () => ({ ready: false, latencyMs: 1, reason: "503 loading" });
    const managed = gw.router.upstreams[0]!;
    await managed.probe();
    const warming = await next();
    expect(warming.upstreams[0]).toMatchObject({ state: "warming", detail: "warming: 503 loading" });
    await new Promise((r) => setTimeout(r, 30));
    a.probeResult = () => ({ ready: true, latencyMs: 1 });
    await managed.probe();
    const ready = await next();
    expect(ready.upstreams[0]!.state).toBe("ready");
    expect(ready.upstreams[0]!.recent).toEqual([
      { kind: "cold start", at: expect.any(String), ms: expect.any(Number) },
    ]);
    expect(ready.upstreams[0]!.recent[0]!.ms).toBeGreaterThanOrEqual(25);

    gw.startDraining();
    expect((await events.next()).done).toBe(true);
    await gw.close();
  });
});

describe("/api/v1/fleet/stream over a socket", () => {
  it("is a request in flight while open, and ends when the page goes away or the server shuts down", async () => {
    const logs: { route?: string; durationMs?: number }[] = [];
    const { gw } = gateway({ log: (e) => logs.push(e as (typeof logs)[number]) });
    const srv = await startServer(gw, {
      host: "127.0.0.1",
      port: 0,
      log: () => {},
      shutdownDeadlineMs: 10_000,
    });
    const open = async () => {
      const page = new AbortController();
      const res = await fetch(`${srv.url}/api/v1/fleet/stream`, { ...as("sk-carol"), signal: page.signal });
      const events = readSse(res.body!);
      const first = JSON.parse((await events.next()).value as string) as FleetSnapshot;
      return { page, events, first };
    };
    const a = await open();
    expect(gw.inFlight).toBe(1);
    expect(a.first.gateway.inFlight).toBe(0); // not counting itself
    a.page.abort();
    await expect.poll(() => gw.inFlight).toBe(0);
    expect(logs.filter((l) => l.route === "/api/v1/fleet/stream")).toHaveLength(1);

    const b = await open();
    const started = Date.now();
    await srv.close(); // drains: the feed ends by itself instead of holding shutdown to its deadline
    expect(Date.now() - started).toBeLessThan(5_000);
    // Ended (or, if the last bytes lost the race with closing the socket, cut): the page reconnects either way.
    expect(
      await b.events.next().then(
        (r) => r.done,
        () => true,
      ),
    ).toBe(true);
  });
});

describe("Modal containers", () => {
  it("asks the source for each remote upstream, reuses answers for the TTL, and reports failures", async () => {
    const calls: string[] = [];
    let running = 2;
    const containerStats = (name: string): Promise<ContainerStats> | undefined => {
      calls.push(name);
      if (name === "b") return Promise.reject(new Error("Modal refused the token"));
      return Promise.resolve({ running, backlog: 3 });
    };
    const { gw } = gateway({ containerStats });
    const get = async () =>
      (await (await gw.app.request("/api/v1/fleet", as("sk-carol"))).json()) as FleetSnapshot;
    const first = await get();
    expect(first.upstreams[0]!.containers).toEqual({ running: 2, backlog: 3, at: expect.any(String) });
    expect(first.upstreams[1]!.containers).toEqual({ error: "Modal refused the token" });
    await get();
    expect(calls).toEqual(["a", "b"]); // cached
    running = 0;
    const { gw: gw2 } = gateway({ containerStats });
    const cold = (await (await gw2.app.request("/api/v1/fleet", as("sk-carol"))).json()) as FleetSnapshot;
    // The gateway has not noticed the scale-down yet; Modal has.
    expect(cold.upstreams[0]).toMatchObject({
      state: "cold",
      detail: expect.stringContaining("no container running"),
    });
  });

  it("shows nothing for upstreams the source does not know", async () => {
    const { gw } = gateway({ containerStats: () => undefined });
    const snap = (await (await gw.app.request("/api/v1/fleet", as("sk-carol"))).json()) as FleetSnapshot;
    expect(snap.upstreams.map((u) => u.containers)).toEqual([null, null]);
  });
});

describe("engineEvents", () => {
  const t = (from: string, to: string, afterMs: number, at = "2026-01-01T00:00:00.000Z") =>
    ({ from, to, afterMs, at, reason: "" }) as Transition;

  it("reads cold starts and wakes, most recent first, from a local engine's history", () => {
    const history = [
      t("stopped", "starting", 5),
      t("starting", "ready", 1500.4),
      t("ready", "draining", 60_000),
      t("draining", "falling-asleep", 1),
      t("falling-asleep", "sleeping", 30),
      t("sleeping", "waking", 9_000),
      t("waking", "ready", 210),
      t("ready", "draining", 60_000),
      t("draining", "suspending", 1),
      t("suspending", "suspended", 10),
      t("suspended", "resuming", 50),
      t("resuming", "ready", 800),
      t("ready", "draining", 60_000),
      t("draining", "ready", 3), // a request arrived while draining: no wake
    ];
    expect(engineEvents(history, 5).map((e) => [e.kind, e.ms])).toEqual([
      ["wake", 800],
      ["wake", 210],
      ["cold start", 1500],
    ]);
    expect(engineEvents(history, 1)).toHaveLength(1);
  });
});
