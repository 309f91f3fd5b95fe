import { afterEach, describe, expect, it } from "vitest";
import {
  chat,
  count,
  type Harness,
  path,
  quick,
  standinConfig,
  standinExecutableFor,
  startHarness,
  until,
  untilEntered,
} from "../test/harness.ts";

// Verified wake (issues #15/#20), against the STAND-IN ENGINE (tools/engine-standin:
// a vLLM/SGLang imitation, not an engine). Its greedy completions are fixed by the
// prompt; `--drift-after-wake` makes every wake leave wrong weights that /health
// does not see, and a level-2 sleep loses the weights until reload_weights (what
// vLLM 0.20 does on the H200, shared/gpu/README.md).

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const sleepy = (name: string) => standinConfig(name, { local: { scaleToZero: "sleep" } });

describe("verified wake", () => {
  it("records a canary before the engine sleeps and replays it after the wake, before traffic", async () => {
    h = await startHarness(
      [{ config: sleepy("a") }],
      () => quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 300 }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "sleeping");
    expect(a.snapshot().canary).toMatchObject({ enabled: true, recorded: true, checks: 0 });
    await chat(h.openai, "a");
    const snap = a.snapshot();
    expect(snap.canary).toMatchObject({ checks: 1, mismatches: 0, last: null });
    expect(snap.stats.canary.count).toBe(2); // recorded once, replayed once
    expect(h.events.filter((e) => e.type === "canary")).toEqual([
      expect.objectContaining({ engine: "a", via: "sleep", ok: true, detail: "identical (16 tokens)" }),
    ]);
    // the canary ran before the engine was ready again: waking → ready, no request in between
    // (read from the wake on: the engine may already idle again when the test is slow to look)
    const woke = path(a).lastIndexOf("waking");
    expect(path(a).slice(woke, woke + 2)).toEqual(["waking", "ready"]);
  });

  it("a wake that leaves the engine answering differently restarts it cold, and says so", async () => {
    h = await startHarness(
      [{ config: sleepy("a") }],
      () =>
        quick({
          executable: standinExecutableFor("vllm", { flags: ["--drift-after-wake"] }),
          scaleDownAfterMs: 300,
        }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "sleeping");
    const pid = a.pid;
    const answers = await Promise.all([chat(h.openai, "a"), chat(h.openai, "a")]);
    expect(answers.every((x) => x.text.length > 0)).toBe(true);
    expect(a.pid).not.toBe(pid); // a new process served them
    expect(count(a, "starting")).toBe(2);
    const snap = a.snapshot();
    expect(snap.canary.mismatches).toBe(1);
    expect(snap.canary.last).toMatchObject({
      via: "sleep",
      detail: expect.stringMatching(/^token 0 differs/),
    });
    expect(a.history.find((t) => t.to === "stopping")!.reason).toMatch(
      /^canary mismatch after wake: token 0 differs.*; restarting the engine cold$/,
    );
    expect(a.logs.text()).toContain("canary mismatch after wake");
    expect(h.events).toContainEqual(expect.objectContaining({ type: "canary", ok: false }));
  });

  it("level 2 (snapshot.sleepLevel): the plugin's after-wake steps (reload_weights, reset_prefix_cache) run before the canary", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "sleep" }, snapshot: { sleepLevel: 2 } }) }],
      () => quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 300 }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "sleeping");
    const pid = a.pid;
    await chat(h.openai, "a");
    expect(a.pid).toBe(pid);
    expect(a.snapshot().canary).toMatchObject({ checks: 1, mismatches: 0 });
    const notes = a.logs
      .tail()
      .filter((l) => l.stream === "supervisor")
      .map((l) => l.line);
    expect(notes).toContain("after wake: POST /collective_rpc");
    expect(notes.some((l) => l.startsWith("after wake: POST /reset_prefix_cache"))).toBe(true);
  });

  it("level 2 without those steps would serve garbage: the canary catches it", async () => {
    h = await startHarness(
      [{ config: sleepy("a") }],
      () =>
        quick({
          executable: standinExecutableFor("vllm"),
          scaleDownAfterMs: 300,
          sleepLevel: 2,
          rules: { afterWake: [] }, // a plugin spec that forgot them
        }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "sleeping");
    await chat(h.openai, "a");
    expect(a.snapshot().canary.mismatches).toBe(1);
    expect(a.snapshot().canary.last!.detail).toMatch(/token 0 differs: "[a-z-]+" before, "!" after/);
    expect(count(a, "starting")).toBe(2);
  });
});

describe("nothing reaches an engine that is released or checkpointed", () => {
  it("SGLang: requests and status polls while released never reach the engine (one that dies if they did)", async () => {
    h = await startHarness(
      [{ config: standinConfig("s", { engine: { kind: "sglang" }, local: { scaleToZero: "sleep" } }) }],
      () =>
        quick({
          executable: standinExecutableFor("sglang", {
            flags: ["--die-if-called-while-released"],
            values: { "wake-delay-ms": 300 },
          }),
          scaleDownAfterMs: 300,
        }),
      { preload: true },
    );
    const s = h.engine("s");
    await until(s, "sleeping");
    const pid = s.pid;
    const polls = Array.from({ length: 5 }, () =>
      fetch(`${h!.server.url}/api/v1/engines/s`).then((r) => r.json()),
    );
    const answers = await Promise.all([
      chat(h.openai, "s"),
      chat(h.openai, "s"),
      chat(h.openai, "s"),
      ...polls,
    ]);
    expect(answers).toHaveLength(8);
    expect(s.pid).toBe(pid); // the same process: nothing killed it
    expect(h.events.some((e) => e.type === "crash")).toBe(false);
    expect(count(s, "waking")).toBe(1);
    const gate = s.snapshot().gate!;
    expect(gate.refused).toBe(0);
    expect(gate.sent.asleep).toBe(1); // the resume call, and nothing else
    expect(s.logs.text()).not.toContain("scheduler died");
  });

  it("the SGLang stand-in does die when probed while released (so the test above can fail)", async () => {
    h = await startHarness(
      [{ config: standinConfig("s", { engine: { kind: "sglang" }, local: { scaleToZero: "sleep" } }) }],
      () =>
        quick({
          executable: standinExecutableFor("sglang", { flags: ["--die-if-called-while-released"] }),
          scaleDownAfterMs: 300,
        }),
      { preload: true },
    );
    const s = h.engine("s");
    await until(s, "sleeping");
    // Read from before the probe: the crash may be recorded before the fetch returns.
    const seen = path(s).length;
    await fetch(`${s.baseUrl}/health`).catch(() => undefined);
    await untilEntered(s, "stopped", seen);
    expect(s.logs.text()).toContain("scheduler died: GET /health while GPU memory is released");
  });
});
