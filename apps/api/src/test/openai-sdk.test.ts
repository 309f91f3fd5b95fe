// The gateway over a real socket, driven by the official `openai` SDK, in front
// of the stand-in upstream (also on a real socket). No timing assertions except
// generous upper bounds that catch hangs.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createGateway, type GatewayDeps } from "../gateway.ts";
import type { LogEntry } from "../log/logger.ts";
import { sha256Hex } from "../middleware/auth/index.ts";
import { type RunningServer, startServer } from "../server.ts";
import { type FakeEngine, type FakeEngineOptions, startFakeEngine } from "@rouse/client/testing";

const KEY = "sk-test-gateway-key";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

interface Setup {
  up: FakeEngine;
  srv: RunningServer;
  client: OpenAI;
  logs: LogEntry[];
}

async function setup(
  standin: FakeEngineOptions = {},
  queue: { maxWaiting?: number; maxWaitMs?: number } = {},
  deps: GatewayDeps = {},
): Promise<Setup> {
  const up = await startFakeEngine({
    model: "standin",
    tokens: 6,
    chunkDelayMs: 5,
    apiKey: "upstream-secret",
    ...standin,
  });
  cleanups.push(() => up.close());
  const logs: LogEntry[] = [];
  const gw = createGateway(
    {
      version: 1,
      auth: { keys: [{ name: "tester", sha256: sha256Hex(KEY) }] },
      queue,
      upstreams: [{ name: "standin", url: `${up.url}/v1`, models: ["standin"], apiKeyEnv: "STANDIN_KEY" }],
    },
    {
      env: { STANDIN_KEY: "upstream-secret" },
      log: (e) => logs.push(e),
      health: { probeIntervalMs: 25, maxProbeIntervalMs: 100 },
      retryInPlaceMs: 100,
      retryAfterSeconds: 3,
      ...deps,
    },
  );
  const srv = await startServer(gw, { host: "127.0.0.1", port: 0, log: () => {}, shutdownDeadlineMs: 2_000 });
  cleanups.push(() => srv.close());
  const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 15_000 });
  return { up, srv, client, logs };
}

describe("gateway with the official openai SDK over a real socket", () => {
  it("plain chat completion, with cold-start headers and the upstream's own credentials", async () => {
    const { client, up, logs } = await setup();
    const { data, response } = await client.chat.completions
      .create({ model: "standin", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("The quick brown fox jumps over");
    expect(response.headers.get("x-rouse-cold-start")).toBe("false");
    expect(Number(response.headers.get("x-rouse-queue-ms"))).toBeGreaterThanOrEqual(0);
    expect(up.stats.authorizations).toEqual(["Bearer upstream-secret"]);
    expect(logs.find((l) => l.msg === "request")).toMatchObject({
      status: 200,
      key: "tester",
      coldStart: false,
    });
  });

  it("streamed chat completion arrives chunk by chunk", async () => {
    const { client } = await setup();
    const stream = await client.chat.completions.create({
      model: "standin",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const parts: string[] = [];
    for await (const chunk of stream) parts.push(chunk.choices[0]?.delta.content ?? "");
    expect(parts.join("")).toBe("The quick brown fox jumps over");
    expect(parts.filter((p) => p !== "").length).toBe(6);
  });

  it("completions, embeddings and models", async () => {
    const { client } = await setup();
    const c = await client.completions.create({ model: "standin", prompt: "x", max_tokens: 2 });
    expect(c.choices[0]!.text).toBe("The quick");
    const e = await client.embeddings.create({ model: "standin", input: ["a", "b"] });
    expect(e.data).toHaveLength(2);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["standin"]);
  });

  it("errors arrive as the SDK's typed errors", async () => {
    const { client, srv } = await setup();
    await expect(client.chat.completions.create({ model: "nope", messages: [] })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    const wrongKey = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    const err = await wrongKey.chat.completions
      .create({ model: "standin", messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
  });

  it("a client that disconnects mid-stream cancels the upstream request", async () => {
    const { client, up } = await setup({ tokens: 1000, chunkDelayMs: 10 });
    const stream = await client.chat.completions.create({ model: "standin", messages: [], stream: true });
    const aborted = up.nextAbort();
    let n = 0;
    for await (const _chunk of stream) {
      if (++n === 3) stream.controller.abort();
    }
    await withTimeout(aborted, 5_000, "the upstream never saw the client's disconnect");
    expect(up.stats.aborted).toBe(1);
    expect(up.stats.completed).toBe(0);
  });

  it("an upstream that dies mid-stream ends the stream with an error event, not a hang", async () => {
    const { client } = await setup({ tokens: 100, dieAfterTokens: 3 });
    const stream = await client.chat.completions.create({ model: "standin", messages: [], stream: true });
    const parts: string[] = [];
    const consume = (async () => {
      for await (const chunk of stream) parts.push(chunk.choices[0]?.delta.content ?? "");
    })();
    const err = await withTimeout(
      consume.then(
        () => undefined,
        (e: unknown) => e,
      ),
      5_000,
      "the stream hung",
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toContain("failed mid-stream");
    expect(parts.join("")).toBe("The quick brown");
  });

  it("waits for an upstream that refuses connections while it starts, then succeeds with cold-start headers", async () => {
    // The upstream's boot clock starts in setup, before the request: 2 s, so that the request
    // still meets a refusing upstream when setup is slow on a loaded machine (400 ms was not sure).
    const { client, logs } = await setup({ refuseForMs: 2_000 });
    const { data, response } = await client.chat.completions
      .create({ model: "standin", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("The quick brown fox jumps over");
    expect(response.headers.get("x-rouse-cold-start")).toBe("true");
    expect(Number(response.headers.get("x-rouse-queue-ms"))).toBeGreaterThan(0);
    expect(logs.find((l) => l.msg === "request")).toMatchObject({ coldStart: true, status: 200 });
  });

  it("waits through 503s (engine loading) the same way", async () => {
    const { client } = await setup({ loadingForMs: 2_000 }); // as above: outlasts a slow setup
    const { response } = await client.chat.completions
      .create({ model: "standin", messages: [] })
      .withResponse();
    expect(response.headers.get("x-rouse-cold-start")).toBe("true");
  });

  it("beyond the queue bound: 503 with Retry-After", async () => {
    const { client } = await setup({ refuseForMs: 60_000 }, { maxWaiting: 0 });
    const err = await client.chat.completions
      .create({ model: "standin", messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(503);
    expect(apiErr.code).toBe("queue_full");
    expect(apiErr.headers?.get("retry-after")).toBe("3");
    // It hit a cold upstream but did not wait for it.
    expect(apiErr.headers?.get("x-rouse-cold-start")).toBe("false");
    expect(apiErr.headers?.get("x-rouse-queue-ms")).toBe("0");
  });

  it("past the wait deadline: 503 with Retry-After", async () => {
    const { client } = await setup({ refuseForMs: 60_000 }, { maxWaitMs: 300 });
    const err = await client.chat.completions
      .create({ model: "standin", messages: [] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("cold_start_timeout");
  });

  it("graceful shutdown lets a stream in flight finish and refuses new connections", async () => {
    const { client, srv } = await setup({ tokens: 20, chunkDelayMs: 20 });
    const stream = await client.chat.completions.create({ model: "standin", messages: [], stream: true });
    const parts: string[] = [];
    const consume = (async () => {
      for await (const chunk of stream) parts.push(chunk.choices[0]?.delta.content ?? "");
    })();
    const closed = srv.close();
    // Refused from the moment shutdown starts, while the stream still runs. (Asked right away: once
    // the port is free, another process on a busy machine may bind it, and would answer.)
    await expect(fetch(`${srv.url}/healthz`)).rejects.toThrow();
    expect(srv.server.listening).toBe(false);
    await withTimeout(consume, 5_000, "the stream did not finish during shutdown");
    await withTimeout(closed, 5_000, "shutdown hung");
    expect(parts.filter((p) => p !== "")).toHaveLength(20);
  });
});

describe("startServer safety", () => {
  it("refuses allowNoAuthOnLoopback on a non-loopback host, and no keys without it", async () => {
    const open = createGateway({ version: 1, auth: { allowNoAuthOnLoopback: true } }, { log: () => {} });
    await expect(startServer(open, { host: "0.0.0.0", port: 0, log: () => {} })).rejects.toThrow(
      /not loopback/,
    );
    const closed = createGateway({ version: 1 }, { log: () => {} });
    await expect(startServer(closed, { host: "127.0.0.1", port: 0, log: () => {} })).rejects.toThrow(
      /no auth.keys/,
    );
  });
});

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
