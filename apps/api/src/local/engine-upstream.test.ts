import { parseDeployment } from "@rouse/config";
import { LocalEngines } from "@rouse/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { standinExecutable } from "../../../../tools/engine-standin/spawn.ts";
import { GatewayError } from "../errors.ts";
import { Router } from "../router/router.ts";
import { collectBody } from "../upstream/types.ts";
import { defaultHealthTiming, ManagedUpstream } from "../upstream/managed.ts";
import { EngineUpstream } from "./engine-upstream.ts";

// The gateway's router and queue in front of one engine supervisor, with the
// STAND-IN ENGINE (tools/engine-standin: a vLLM imitation, not an engine) as a
// real process: the gateway's queue is the only place a request waits.

const config = parseDeployment({
  version: 1,
  name: "a",
  model: { id: "standin/a", servedName: ["a"] },
  engine: { kind: "vllm" },
  local: { scaleToZero: "sleep" },
});
const gpu = { present: true, how: "stand-in engine (tests)" };
const body = Buffer.from(
  JSON.stringify({ model: "a", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
);
const req = {
  method: "POST",
  path: "/v1/chat/completions",
  headers: { "content-type": "application/json" },
  body,
};

let engines: LocalEngines | undefined;
afterEach(async () => {
  await engines?.close({ drainTimeoutMs: 1_000 });
  engines = undefined;
});

const standin = [...standinExecutable("vllm"), "--load-ms=300", "--sleep-delay-ms=20", "--wake-delay-ms=200"];

async function setup(options: { coldStartWindowMs?: number; executable?: string[] } = {}) {
  engines = await LocalEngines.create([{ config }], {
    gpu,
    supervisor: () => ({
      executable: options.executable ?? standin,
      scaleDownAfterMs: 60_000,
      startupTimeoutMs: 15_000,
    }),
  });
  const supervisor = engines.supervisors[0]!;
  const upstream = new EngineUpstream(supervisor);
  const timing = { ...defaultHealthTiming, coldStartWindowMs: options.coldStartWindowMs ?? 60_000 };
  const managed = new ManagedUpstream(upstream, timing, Date.now, {
    maxConcurrency: Number.POSITIVE_INFINITY,
    maxWaiting: 8,
    maxQueuedBytes: 1 << 20,
    retryAfterSeconds: 3,
  });
  const router = new Router([managed], {
    maxWaitMs: 15_000,
    refusingGraceMs: 200,
    maxRetries: 1,
    fallbackWhileWarming: false,
    // Longer than any wait here: a request must be woken by the engine's own state change.
    retryInPlaceMs: 60_000,
    retryAfterSeconds: 3,
  });
  return { supervisor, managed, router };
}

const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 10));
};

describe("EngineUpstream behind the router", () => {
  it("requests for a stopped engine wait in the gateway's queue; one start serves them all", async () => {
    const { supervisor, managed, router } = await setup();
    expect(managed.state).toBe("warming"); // followed from the engine, not probed
    expect(managed.detail).toBe("engine 'a' is stopped");
    const sent = Array.from({ length: 5 }, () => router.dispatch("a", req, new AbortController().signal));
    await until(() => managed.queue.waiting === 5);
    expect(supervisor.busy).toBe(true); // the first held request woke it
    const answers = await Promise.all(sent);
    for (const d of answers) {
      expect(d.coldStart).toBe(true);
      expect(d.response.status).toBe(200);
      await collectBody(d.response.body);
    }
    expect(supervisor.history.filter((t) => t.to === "starting")).toHaveLength(1);
    expect(managed.queue.waiting).toBe(0);
    expect(supervisor.inFlight).toBe(0);
    expect(supervisor.snapshot().stats.requests).toBe(5);
  });

  it("asleep past the cold-start window is still warming, never down; a probe does not wake it", async () => {
    const { supervisor, managed, router } = await setup({ coldStartWindowMs: 50 });
    supervisor.start();
    await until(() => managed.state === "ready");
    supervisor.scaleToZero();
    await until(() => supervisor.state === "sleeping");
    await new Promise((r) => setTimeout(r, 150));
    await managed.probe();
    expect(managed.state).toBe("warming");
    expect(supervisor.state).toBe("sleeping");
    const d = await router.dispatch("a", req, new AbortController().signal);
    await collectBody(d.response.body);
    expect(supervisor.history.map((t) => t.to).slice(-3)).toEqual(["sleeping", "waking", "ready"]);
    expect(managed.state).toBe("ready");
  });

  it("a failed engine answers for itself: engine_failed with its reason, at once", async () => {
    const { supervisor, managed, router } = await setup({ executable: ["/nonexistent/vllm"] });
    supervisor.wake();
    await until(() => supervisor.state === "failed");
    expect(managed.state).toBe("down");
    const error = await router.dispatch("a", req, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 503, code: "engine_failed" });
    expect((error as Error).message).toContain("/nonexistent/vllm");
  });
});
