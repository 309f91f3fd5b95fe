import { vllm } from "@rouse/engine-vllm";
import { describe, expect, it } from "vitest";
import { EngineRequestError } from "../errors.ts";
import { standinConfig } from "../test/harness.ts";
import { EngineSupervisor } from "./supervisor.ts";

// The supervisor without an engine process: what happens before anything is spawned.

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

  it("an engine that cannot get its memory fails, and its waiting requests are told why", async () => {
    const s = new EngineSupervisor({
      config: standinConfig("a"),
      plugin: vllm,
      memory: { reserve: () => Promise.reject(new Error("no room on GPU 0")), release: () => {} },
    });
    const error = (await s.acquire().catch((e: unknown) => e)) as EngineRequestError;
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({ status: 503, code: "engine_failed" });
    expect(error.message).toContain("start failed: no room on GPU 0");
    expect(s.history.map((t) => [t.from, t.to])).toEqual([["stopped", "failed"]]);
    // refused at once from now on, without a new attempt
    await expect(s.acquire()).rejects.toMatchObject({ code: "engine_failed" });
    await s.close();
  });

  it("after close, requests are refused as shutting down", async () => {
    const s = new EngineSupervisor({ config: standinConfig("a"), plugin: vllm });
    await s.close();
    await expect(s.acquire()).rejects.toMatchObject({ status: 503, code: "engine_shutting_down" });
  });
});
