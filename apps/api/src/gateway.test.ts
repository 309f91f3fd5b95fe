import type { GatewayConfigV1Input } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { createGateway, type GatewayDeps } from "./gateway.ts";
import type { LogEntry } from "./log/logger.ts";
import { sha256Hex } from "./middleware/auth/index.ts";
import { FakeUpstream, ok, sse } from "./test/fake-upstream.ts";

function gateway(config: Partial<GatewayConfigV1Input>, deps: GatewayDeps = {}) {
  const logs: LogEntry[] = [];
  const gw = createGateway({ version: 1, ...config }, { log: (e) => logs.push(e), ...deps });
  return { gw, logs };
}

const keys = [
  { name: "alice", sha256: sha256Hex("sk-alice"), models: ["m1"] },
  { name: "bob", sha256: sha256Hex("sk-bob"), requestsPerMinute: 2 },
  { name: "carol", sha256: sha256Hex("sk-carol") },
];
const alice = { authorization: "Bearer sk-alice", "content-type": "application/json" };
const bob = { authorization: "Bearer sk-bob", "content-type": "application/json" };
const carol = { authorization: "Bearer sk-carol", "content-type": "application/json" };
const post = (body: unknown, headers: Record<string, string> = carol) => ({
  method: "POST",
  headers,
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("gateway routes (app.request)", () => {
  it("proxies chat completions to the upstream serving the model, with gateway headers", async () => {
    const up = new FakeUpstream("up", ["m1"], () => ok({ id: "x", choices: [] }));
    const { gw, logs } = gateway({ auth: { keys } }, { upstreams: [up] });
    const res = await gw.app.request("/v1/chat/completions", post({ model: "m1", messages: [] }, alice));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "x", choices: [] });
    expect(res.headers.get("x-rouse-cold-start")).toBe("false");
    expect(res.headers.get("x-rouse-queue-ms")).toBe("0");
    expect(res.headers.get("x-rouse-upstream")).toBe("up");
    const id = res.headers.get("x-request-id");
    expect(id).toBeTruthy();
    // The upstream gets the body bytes unchanged, the request id, and never the client's key.
    expect(up.sent[0]!.body!.toString()).toBe(JSON.stringify({ model: "m1", messages: [] }));
    expect(up.sent[0]!.headers["x-request-id"]).toBe(id);
    expect(up.sent[0]!.headers.authorization).toBeUndefined();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      requestId: id,
      status: 200,
      upstream: "up",
      model: "m1",
      key: "alice",
      coldStart: false,
    });
    expect(JSON.stringify(logs)).not.toContain("sk-alice");
    expect(JSON.stringify(logs)).not.toContain("messages");
  });

  it("passes SSE streams through", async () => {
    const up = new FakeUpstream("up", ["m1"], () => sse(['{"a":1}', '{"a":2}', "[DONE]"]));
    const { gw, logs } = gateway({ auth: { keys } }, { upstreams: [up] });
    const res = await gw.app.request("/v1/completions", post({ model: "m1", prompt: "x", stream: true }));
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(await res.text()).toBe('data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n');
    expect(logs[0]).toMatchObject({ stream: true, chunks: 3, route: "/v1/completions" });
  });

  it("lists the union of models, filtered by the key's allow-list", async () => {
    const { gw } = gateway(
      { auth: { keys } },
      { upstreams: [new FakeUpstream("a", ["m1", "m2"]), new FakeUpstream("b", ["m2", "m3"])] },
    );
    const all = (await (await gw.app.request("/v1/models", { headers: bob })).json()) as {
      data: { id: string }[];
    };
    expect(all.data.map((m) => m.id).sort()).toEqual(["m1", "m2", "m3"]);
    const mine = (await (await gw.app.request("/v1/models", { headers: alice })).json()) as {
      data: { id: string }[];
    };
    expect(mine.data.map((m) => m.id)).toEqual(["m1"]);
  });

  it("enforces the per-key model allow-list with 403", async () => {
    const { gw } = gateway({ auth: { keys } }, { upstreams: [new FakeUpstream("a", ["m1", "m2"])] });
    const res = await gw.app.request("/v1/chat/completions", post({ model: "m2", messages: [] }, alice));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { type: "permission_error", code: "model_not_allowed", param: "model" },
    });
  });

  it("answers OpenAI-style errors: 401, 400 bad JSON, 400 no model, 404 unknown model, 404 unknown route", async () => {
    const { gw } = gateway({ auth: { keys } }, { upstreams: [new FakeUpstream("a", ["m1"])] });
    const noKey = await gw.app.request("/v1/chat/completions", post({ model: "m1" }, {}));
    expect(noKey.status).toBe(401);
    const badJson = await gw.app.request("/v1/chat/completions", post("{nope"));
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: "invalid_json" } });
    const noModel = await gw.app.request("/v1/chat/completions", post({ messages: [] }));
    expect(await noModel.json()).toMatchObject({ error: { code: "missing_model", param: "model" } });
    const unknown = await gw.app.request("/v1/chat/completions", post({ model: "zzz" }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "model_not_found" } });
    expect(unknown.headers.get("x-rouse-cold-start")).toBe("false");
    const route = await gw.app.request("/v2/whatever", { headers: bob });
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ error: { type: "not_found_error" } });
  });

  it("limits body size (413) and rate per key (429 + Retry-After)", async () => {
    const { gw } = gateway(
      { auth: { keys }, limits: { maxBodyBytes: 64 } },
      { upstreams: [new FakeUpstream("a", ["m1"])] },
    );
    const big = await gw.app.request("/v1/chat/completions", post({ model: "m1", pad: "x".repeat(100) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "request_too_large" } });
    // bob may send 2 per minute.
    expect((await gw.app.request("/v1/chat/completions", post({ model: "m1" }, bob))).status).toBe(200);
    expect((await gw.app.request("/v1/chat/completions", post({ model: "m1" }, bob))).status).toBe(200);
    const limited = await gw.app.request("/v1/chat/completions", post({ model: "m1" }, bob));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("logs bodies only when logging.bodies is on", async () => {
    const up = new FakeUpstream("up", ["m1"], () => ok({ answer: "secret-completion" }));
    const { gw, logs } = gateway({ auth: { keys }, logging: { bodies: true } }, { upstreams: [up] });
    await (
      await gw.app.request("/v1/chat/completions", post({ model: "m1", messages: ["secret-prompt"] }))
    ).text();
    expect(logs[0]!.requestBody).toContain("secret-prompt");
    expect(logs[0]!.responseBody).toContain("secret-completion");
  });

  it("serves healthz, readyz, metrics, openapi.json and docs without auth", async () => {
    const { gw } = gateway({ auth: { keys } }, { upstreams: [new FakeUpstream("a", ["m1"])] });
    expect((await gw.app.request("/healthz")).status).toBe(200);
    expect((await gw.app.request("/readyz")).status).toBe(200);
    await (await gw.app.request("/v1/chat/completions", post({ model: "m1" }))).text();
    const metrics = await (await gw.app.request("/metrics")).text();
    expect(metrics).toContain(
      'rouse_requests_total{route="/v1/chat/completions",status="200",outcome="ok",upstream="a",model="m1"} 1',
    );
    expect(metrics).toContain("rouse_ttft_seconds_bucket");
    expect(metrics).toContain('rouse_queue_depth{upstream="a"} 0');
    expect(metrics).toContain("process_resident_memory_bytes");
    expect(metrics).toContain('rouse_upstream_state{upstream="a",state="ready"} 1');
    const doc = (await (await gw.app.request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/chat/completions",
        "/api/v1/validate",
        "/api/v1/render",
        "/api/v1/presets",
        "/api/v1/upstreams",
      ]),
    );
    expect(doc.components.schemas.ValidateResponse).toMatchObject({ type: "object" });
    const docs = await gw.app.request("/docs");
    expect(docs.headers.get("content-type")).toContain("text/html");
    const html = await docs.text();
    expect(html).toContain("openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    gw.startDraining();
    expect((await gw.app.request("/readyz")).status).toBe(503);
  });

  it("is not ready when every upstream is down", async () => {
    const { gw } = gateway({ auth: { keys } }, { upstreams: [new FakeUpstream("a", ["m1"])] });
    gw.router.upstreams[0]!.state = "down";
    expect((await gw.app.request("/readyz")).status).toBe(503);
    await gw.close();
  });

  it("refuses duplicate upstream names and missing credential variables", () => {
    expect(() =>
      createGateway(
        { version: 1 },
        { upstreams: [new FakeUpstream("a", ["m"]), new FakeUpstream("a", ["n"])] },
      ),
    ).toThrow(/two upstreams/);
    expect(() =>
      createGateway(
        {
          version: 1,
          upstreams: [
            { name: "x", url: "http://127.0.0.1:1", models: ["m"], apiKeyEnv: "ROUSE_TEST_NOT_SET" },
          ],
        },
        { env: {} },
      ),
    ).toThrow(/ROUSE_TEST_NOT_SET is not set/);
  });
});

describe("control API (app.request)", () => {
  const { gw } = gateway(
    { auth: { keys } },
    {
      upstreams: [new FakeUpstream("a", ["m1"])],
      renderer: { render: async ({ config }) => ({ fileName: "app.py", source: `# ${config.name}\n`, warnings: [] }) },
    },
  );

  it("validates rouse.yaml text with line:column issues", async () => {
    const text = "version: 1\nmodel:\n  id: Qwen/Qwen3-8B\nengine:\n  kind: vllm\n  bogus: 1\n";
    const res = await gw.app.request("/api/v1/validate", post({ text }, carol));
    const body = (await res.json()) as {
      ok: boolean;
      issues: { code: string; line?: number; column?: number }[];
    };
    expect(res.status).toBe(200);
    expect(body.ok).toBe(false);
    const issue = body.issues.find((i) => i.code === "unknown_key");
    expect(issue).toMatchObject({ line: 6, column: 3 });
  });

  it("validates config data and presets", async () => {
    const good = await gw.app.request("/api/v1/validate", post({ preset: "default" }, carol));
    expect(await good.json()).toMatchObject({ ok: true, config: { version: 1 } });
    const bad = await gw.app.request("/api/v1/validate", post({ config: { version: 1 } }, carol));
    expect(await bad.json()).toMatchObject({ ok: false });
    const wrongShape = await gw.app.request("/api/v1/validate", post({ yaml: "x" }, carol));
    expect(wrongShape.status).toBe(400);
    const noPreset = await gw.app.request("/api/v1/validate", post({ preset: "nope" }, carol));
    expect(noPreset.status).toBe(404);
  });

  it("renders a config through the renderer, 422 with issues when invalid", async () => {
    const res = await gw.app.request("/api/v1/render", post({ preset: "default" }, carol));
    expect(await res.json()).toMatchObject({ fileName: "app.py", source: "# rouse-qwen3-8b\n" });
    const bad = await gw.app.request("/api/v1/render", post({ config: { version: 1 } }, carol));
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_config" }, issues: expect.any(Array) });
  });

  it("renders app.py with the real codegen by default", async () => {
    const real = createGateway({ version: 1, auth: { keys } }, { log: () => {} });
    const res = await real.app.request("/api/v1/render", post({ preset: "default" }, carol));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { fileName: string; source: string; warnings: unknown[] };
    expect(body.fileName).toBe("app.py");
    expect(body.source).toContain("import modal");
    expect(body.source).toContain("rouse-qwen3-8b");
  });

  it("lists presets and upstreams (auth required)", async () => {
    const presets = (await (await gw.app.request("/api/v1/presets", { headers: carol })).json()) as {
      presets: { name: string; engine: string; gpu: string }[];
    };
    expect(presets.presets[0]).toMatchObject({ name: "default", engine: "vllm", gpu: "H100" });
    const ups = await (await gw.app.request("/api/v1/upstreams", { headers: alice })).json();
    expect(ups).toEqual({ upstreams: [{ name: "a", url: "fake://a", models: ["m1"], state: "unknown" }] });
    const probed = (await (
      await gw.app.request("/api/v1/upstreams?probe=true", { headers: alice })
    ).json()) as {
      upstreams: { state: string; latencyMs?: number }[];
    };
    expect(probed.upstreams[0]).toMatchObject({ state: "ready", latencyMs: 1 });
    expect((await gw.app.request("/api/v1/presets")).status).toBe(401);
  });
});
