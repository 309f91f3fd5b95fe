import { afterEach, describe, expect, it } from "vitest";
import { HOLDS_GPU } from "../state/states.ts";
import type { SupervisorEvent } from "../supervisor/events.ts";
import {
  chat,
  count,
  type Harness,
  path,
  quick,
  standinConfig,
  standinExecutableFor,
  startHarness,
  streamChat,
  until,
} from "../test/harness.ts";

// Several models on one GPU that do not fit awake together, against STAND-IN
// ENGINES (tools/engine-standin, not engines) spawned as real processes.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const engineOf = (name: string, utilization: number) => ({
  config: standinConfig(name, {
    engine: { gpuMemoryUtilization: utilization },
    local: { scaleToZero: "sleep" },
  }),
  source: `${name}.yaml`,
});

/** Largest GPU share held at once, replaying the transition events. */
function peakUsage(events: readonly SupervisorEvent[], share: Record<string, number>): number {
  const holding = new Map<string, boolean>();
  let peak = 0;
  for (const e of events) {
    if (e.type !== "transition") continue;
    holding.set(e.engine, HOLDS_GPU.has(e.transition.to));
    const used = [...holding].reduce((sum, [name, holds]) => sum + (holds ? share[name]! : 0), 0);
    peak = Math.max(peak, used);
  }
  return peak;
}

describe("GPU memory swapping", () => {
  it("two models that do not fit together take turns: the other one sleeps first", async () => {
    h = await startHarness(
      [engineOf("a", 0.6), engineOf("b", 0.6)],
      () => quick({ executable: standinExecutableFor("vllm") }),
      {
        preload: true,
      },
    );
    expect(h.engines.plan).toEqual({ usage: [1.2], allAwake: false });
    const [a, b] = [h.engine("a"), h.engine("b")];
    await until(a, "ready");
    expect(b.state).toBe("stopped"); // preload only what fits

    expect((await chat(h.openai, "b")).text.length).toBeGreaterThan(0);
    expect(path(a).slice(-3)).toEqual(["draining", "falling-asleep", "sleeping"]);
    expect(a.history.at(-3)!.reason).toBe("evicted: GPU memory for 'b' (least recently used)");
    expect(b.state).toBe("ready");

    expect((await chat(h.openai, "a")).text.length).toBeGreaterThan(0);
    expect(a.state).toBe("ready");
    expect(b.state).toBe("sleeping");
    expect(count(a, "starting")).toBe(1); // woken, never restarted
    expect(peakUsage(h.events, { a: 0.6, b: 0.6 })).toBeLessThanOrEqual(0.6);
    const snap = h.engines.snapshot();
    expect(snap.memory).toMatchObject({ capacity: 1, allAwake: false, holders: ["a"] });
  });

  it("the least recently used engine sleeps first", async () => {
    h = await startHarness(
      [engineOf("a", 0.5), engineOf("b", 0.5), engineOf("c", 0.5)],
      () => quick({ executable: standinExecutableFor("vllm") }),
      { preload: true },
    );
    const [a, b, c] = [h.engine("a"), h.engine("b"), h.engine("c")];
    await until(a, "ready");
    await until(b, "ready");
    expect(c.state).toBe("stopped");
    await chat(h.openai, "b");
    await chat(h.openai, "a"); // a is now the most recently used
    await chat(h.openai, "c");
    expect([a.state, b.state, c.state]).toEqual(["ready", "sleeping", "ready"]);
    expect(peakUsage(h.events, { a: 0.5, b: 0.5, c: 0.5 })).toBeLessThanOrEqual(1);
  });

  it("an engine evicted while serving drains first: its stream completes, then it sleeps", async () => {
    h = await startHarness(
      [engineOf("a", 0.6), engineOf("b", 0.6)],
      () => quick({ executable: standinExecutableFor("vllm", { values: { "token-ms": 30 } }) }),
      { preload: true },
    );
    const [a, b] = [h.engine("a"), h.engine("b")];
    await until(a, "ready");
    const stream = streamChat(h.openai, "a", 60); // ~1.8 s
    // Wait for the events instead of fixed pauses: a's stream is being served, then b's request
    // evicts a, which drains (a pause could end before the stream started on a loaded machine).
    while (a.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    const other = chat(h.openai, "b");
    await until(a, "draining");
    expect(a.inFlight).toBe(1);
    expect(b.state).toBe("stopped"); // waits for the memory
    expect((await stream).split(" ")).toHaveLength(60);
    await other;
    expect(path(a).slice(-3)).toEqual(["draining", "falling-asleep", "sleeping"]);
    expect(path(b)).toEqual(["starting", "ready"]);
    expect(peakUsage(h.events, { a: 0.6, b: 0.6 })).toBeLessThanOrEqual(0.6);
  });
});
