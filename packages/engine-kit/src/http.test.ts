import { EngineLifecycleError, EngineUnsupportedError, type LifecycleSpecV1 } from "@rouse/engine-spec";
import { describe, expect, it } from "vitest";
import { describeCall, EngineCallTimeoutError, sendEngineCall, urlOf } from "./http.ts";
import { createSpecLifecycleClient } from "./spec-client.ts";

// Injected fetch: no sockets (like the AI SDK's provider tests).
function fakeFetch(routes: Record<string, (init: RequestInit) => Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init: init ?? {} });
    const key = `${init?.method ?? "GET"} ${new URL(url).pathname}`;
    const route = routes[key];
    return route ? route(init ?? {}) : new Response("Not Found", { status: 404 });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const spec: LifecycleSpecV1 = {
  readiness: { probe: { method: "GET", path: "/health" }, portOpensWhenReady: true },
  health: { method: "GET", path: "/health" },
  warmup: { method: "POST", path: "/v1/chat/completions", json: { model: "m" } },
  warmupCount: 2,
  sleep: {
    call: { method: "POST", path: "/sleep", query: { level: "1" } },
    confirm: { call: { method: "GET", path: "/is_sleeping" }, field: "is_sleeping", equals: true },
  },
  wake: { call: { method: "POST", path: "/wake_up" } },
  asleepMeans: "test",
  holdsRequestsWhileAsleep: true,
  metricsPath: "/metrics",
  routes: [{ path: "/health", access: "public" }],
  adminPaths: [],
};
const names = {
  runningRequests: ["r"],
  waitingRequests: ["w"],
  kvCacheUsage: ["k"],
  timeToFirstToken: ["t"],
};

describe("engine HTTP calls", () => {
  it("names the endpoint with its query and builds the URL under the base", () => {
    expect(describeCall({ method: "POST", path: "/sleep", query: { level: "2" } })).toBe(
      "POST /sleep?level=2",
    );
    expect(urlOf("http://h:1/base", { path: "/x", query: { a: "b" } })).toBe("http://h:1/x?a=b");
  });

  it("sends JSON and the bearer key", async () => {
    const { fetch, calls } = fakeFetch({ "POST /v1/chat/completions": () => new Response("{}") });
    await sendEngineCall(
      "demo",
      { method: "POST", path: "/v1/chat/completions", json: { a: 1 } },
      {
        baseUrl: "http://h:1",
        apiKey: "k",
        fetch,
        timeoutMs: 1000,
      },
    );
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(headers.authorization).toBe("Bearer k");
    expect(headers["content-type"]).toBe("application/json");
    expect(calls[0]!.init.body).toBe('{"a":1}');
  });

  // A fetch that fails as undici does when nothing listens on the port.
  const refusingFetch = (async () => {
    throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
  }) as typeof globalThis.fetch;

  it("turns a network failure into an EngineLifecycleError naming engine and endpoint", async () => {
    const error = await sendEngineCall(
      "demo",
      { method: "GET", path: "/health" },
      { baseUrl: "http://h:1", fetch: refusingFetch, timeoutMs: 100 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineLifecycleError);
    expect(String(error)).toBe(
      "EngineLifecycleError: demo GET /health: connection refused (nothing listens on the port yet)",
    );
  });

  // A fetch that never answers until its signal aborts, as a hung engine does.
  const hangingFetch = (async (_input: unknown, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    })) as typeof globalThis.fetch;

  it("a call that gets no answer in time fails as EngineCallTimeoutError, with its deadline and detail", async () => {
    const error = await sendEngineCall(
      "demo",
      { method: "GET", path: "/health" },
      { baseUrl: "http://h:1", fetch: hangingFetch, timeoutMs: 30 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineCallTimeoutError);
    expect(error).toBeInstanceOf(EngineLifecycleError);
    expect((error as EngineCallTimeoutError).timeoutMs).toBe(30);
    expect((error as EngineCallTimeoutError).detail).toBe("no answer within 30 ms");
    expect((error as Error).message).toBe("demo GET /health: no answer within 30 ms");
  });

  it("the caller's own abort and a refusal are not timeouts", async () => {
    const caller = new AbortController();
    const pending = sendEngineCall(
      "demo",
      { method: "GET", path: "/health" },
      { baseUrl: "http://h:1", fetch: hangingFetch, timeoutMs: 60_000, signal: caller.signal },
    ).catch((e: unknown) => e);
    caller.abort();
    const aborted = await pending;
    expect(aborted).toBeInstanceOf(EngineLifecycleError);
    expect(aborted).not.toBeInstanceOf(EngineCallTimeoutError);
    expect((aborted as EngineLifecycleError).detail).toBe("aborted");

    const refused = await sendEngineCall(
      "demo",
      { method: "GET", path: "/health" },
      { baseUrl: "http://h:1", fetch: refusingFetch, timeoutMs: 100 },
    ).catch((e: unknown) => e);
    expect(refused).not.toBeInstanceOf(EngineCallTimeoutError);
    expect((refused as EngineLifecycleError).detail).toBe(
      "connection refused (nothing listens on the port yet)",
    );
  });
});

describe("createSpecLifecycleClient (injected fetch)", () => {
  it("polls the confirmation until it agrees, and reports what it saw when it never does", async () => {
    let polls = 0;
    const { fetch } = fakeFetch({
      "POST /sleep": () => new Response("{}"),
      "GET /is_sleeping": () => Response.json({ is_sleeping: ++polls >= 3 }),
    });
    const client = createSpecLifecycleClient({
      engine: "demo",
      spec,
      options: { baseUrl: "http://h:1", fetch },
      metricNames: names,
    });
    await client.sleep();
    expect(polls).toBe(3);

    const never = fakeFetch({
      "POST /sleep": () => new Response("{}"),
      "GET /is_sleeping": () => Response.json({ is_sleeping: false }),
    });
    const stuck = createSpecLifecycleClient({
      engine: "demo",
      spec,
      options: { baseUrl: "http://h:1", fetch: never.fetch },
      metricNames: names,
    });
    const error = await stuck.sleep({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(String(error)).toContain("demo GET /is_sleeping: sleep not confirmed within");
    expect(String(error)).toContain("is_sleeping is false, expected true");
  });

  it("an HTTP error carries status and body; a refusal becomes EngineUnsupportedError", async () => {
    const { fetch } = fakeFetch({ "POST /v1/chat/completions": () => new Response("boom", { status: 500 }) });
    const client = createSpecLifecycleClient({
      engine: "demo",
      spec,
      options: { baseUrl: "http://h:1", fetch },
      metricNames: names,
      sleepRefusal: (r) => (r.status === 404 ? "no sleep here" : undefined),
    });
    const warm = (await client.warmup().catch((e: unknown) => e)) as EngineLifecycleError;
    expect(warm.message).toBe(
      "demo POST /v1/chat/completions: warmup request 1 of 2 failed (HTTP 500: boom)",
    );
    expect(await client.sleep().catch((e: unknown) => e)).toBeInstanceOf(EngineUnsupportedError);
  });

  it("reduces /metrics to the numbers every engine reports", async () => {
    const { fetch } = fakeFetch({
      "GET /metrics": () =>
        new Response('r 2\nw{a="1"} 1\nw{a="2"} 4\nk 0.5\nt_bucket{le="1"} 3\nt_sum 1\nt_count 3\n'),
    });
    const m = await createSpecLifecycleClient({
      engine: "demo",
      spec,
      options: { baseUrl: "http://h:1", fetch },
      metricNames: names,
    }).metrics();
    expect(m).toMatchObject({
      runningRequests: 2,
      waitingRequests: 5,
      kvCacheUsage: 0.5,
      timeToFirstToken: { count: 3, sum: 1 },
    });
    expect(m.samples['w{a="2"}']).toBe(4);
  });
});
