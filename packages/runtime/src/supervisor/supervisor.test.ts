import { vllm } from "@rouse/engine-vllm";
import { describe, expect, it } from "vitest";
import { EngineRequestError } from "../errors.ts";
import { standinConfig, standinExecutableFor, until } from "../test/harness.ts";
import { EngineSupervisor } from "./supervisor.ts";

// The supervisor alone, with no gateway in front: its settings, admission and wake trigger.

describe("EngineSupervisor", () => {
  it("reads its settings from the config", () => {
    const s = new EngineSupervisor({
      config: standinConfig("a", {
        engine: { gpuMemoryUtilization: 0.4 },
        resources: { count: 2 },
        scaling: { scaledownWindow: 120, minContainers: 1 },
        model: { servedName: ["a", "alias"] },
      }),
      plugin: vllm,
    });
    expect(s.snapshot()).toMatchObject({
      name: "a",
      engine: "vllm",
      models: ["a", "alias"],
      mode: "stop",
      state: "stopped",
      pid: null,
      scaleDownAfterMs: 120_000,
      pinned: true,
      gpuDemand: [0.4, 0.4],
      history: [],
    });
  });

  it("a stopped engine is not admitted to: it says so, and wake() brings it up", async () => {
    const s = new EngineSupervisor({
      config: standinConfig("a"),
      plugin: vllm,
      executable: standinExecutableFor("vllm"),
      gpu: { present: true, how: "stand-in engine (tests)" },
    });
    const states: string[] = [];
    s.onStateChange((t) => states.push(t.to));
    expect(() => s.acquire()).toThrow(expect.objectContaining({ code: "engine_not_ready", status: 503 }));
    expect(s.refusal()?.message).toBe("engine 'a' is stopped");
    s.wake();
    s.wake(); // one start, however often asked
    await until(s, "ready");
    expect(states).toEqual(["starting", "ready"]);
    const lease = s.acquire();
    expect(s.inFlight).toBe(1);
    lease.release();
    lease.release();
    expect(s.inFlight).toBe(0);
    await s.close();
  });

  it("an engine that cannot get its memory fails, and is refused with why from then on", async () => {
    const s = new EngineSupervisor({
      config: standinConfig("a"),
      plugin: vllm,
      memory: { reserve: () => Promise.reject(new Error("no room on GPU 0")), release: () => {} },
    });
    s.wake();
    await until(s, "failed");
    const error = s.refusal()!;
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({ status: 503, code: "engine_failed" });
    expect(error.message).toContain("start failed: no room on GPU 0");
    expect(s.history.map((t) => [t.from, t.to])).toEqual([["stopped", "failed"]]);
    // refused at once from now on, without a new attempt
    s.wake();
    expect(() => s.acquire()).toThrow(expect.objectContaining({ code: "engine_failed" }));
    expect(s.history).toHaveLength(1);
    await s.close();
  });

  it("after close, requests are refused as shutting down", async () => {
    const s = new EngineSupervisor({ config: standinConfig("a"), plugin: vllm });
    await s.close();
    expect(() => s.acquire()).toThrow(expect.objectContaining({ status: 503, code: "engine_shutting_down" }));
  });
});
