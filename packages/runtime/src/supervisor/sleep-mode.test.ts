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
  streamChat,
  until,
  untilEntered,
} from "../test/harness.ts";

// `sleep` mode against the STAND-IN ENGINE (tools/engine-standin: imitates vLLM's
// and SGLang's sleep endpoints and their quirks; not an engine), spawned as real
// processes through the plugins' own argv and lifecycle clients.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function isSleepingOnEngine(url: string): Promise<boolean> {
  const body = (await (await fetch(`${url}/is_sleeping`)).json()) as { is_sleeping: boolean };
  return body.is_sleeping;
}

describe("sleep mode (stand-in engine)", () => {
  it("idle → sleeps via the engine's sleep mode; a request wakes it, once for all concurrent requests", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "sleep" } }) }],
      // 1 s idle: after the wake, the checks below run before the engine idles again even when
      // a loaded machine is slow to run them.
      () => quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 1_000 }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "sleeping");
    expect(path(a)).toEqual(["starting", "ready", "draining", "falling-asleep", "sleeping"]);
    expect(await isSleepingOnEngine(a.baseUrl!)).toBe(true);
    const pid = a.pid;

    const answers = await Promise.all([chat(h.openai, "a"), streamChat(h.openai, "a"), chat(h.openai, "a")]);
    expect(answers).toHaveLength(3);
    expect(count(a, "waking")).toBe(1);
    expect(a.pid).toBe(pid); // same process: woken, not restarted
    expect(count(a, "starting")).toBe(1);
    expect(await isSleepingOnEngine(a.baseUrl!)).toBe(false);
    const snap = a.snapshot();
    expect(snap.stats.wake.count).toBe(1);
    expect(snap.stats.timeInStateMs.sleeping).toBeGreaterThan(0);
    expect(h.events.filter((e) => e.type === "wake")).toEqual([
      expect.objectContaining({ engine: "a", via: "sleep" }),
    ]);
  });

  it("an engine that answers /sleep before it sleeps is confirmed through its own state endpoint", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "sleep" } }) }],
      () =>
        quick({
          executable: standinExecutableFor("vllm", {
            flags: ["--sleep-returns-early"],
            values: { "sleep-delay-ms": 400 },
          }),
          scaleDownAfterMs: 200,
        }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "sleeping");
    // `sleeping` only once the engine itself says so, ~400 ms after it answered: the time the
    // supervisor itself recorded in `falling-asleep` (timing it here by polling both states could
    // miss most of that time when the test process is starved on a loaded machine).
    const asleep = a.history.at(-1)!;
    expect(asleep).toMatchObject({ from: "falling-asleep", to: "sleeping" });
    expect(asleep.afterMs).toBeGreaterThan(250);
    expect(await isSleepingOnEngine(a.baseUrl!)).toBe(true);
  });

  it("SGLang (no gating while released): requests are held by the supervisor until the memory is resumed", async () => {
    h = await startHarness(
      [
        {
          config: standinConfig("s", {
            engine: { kind: "sglang", gpuMemoryUtilization: 0.8 },
            local: { scaleToZero: "sleep" },
          }),
        },
      ],
      () => quick({ executable: standinExecutableFor("sglang"), scaleDownAfterMs: 200 }),
      { preload: true },
    );
    const s = h.engine("s");
    await until(s, "sleeping");
    const seen = path(s).length - 1; // from the sleep on (it may idle again after the answers)
    // the stand-in answers 503 to requests while released: only held requests succeed
    const answers = await Promise.all([chat(h.openai, "s"), chat(h.openai, "s")]);
    expect(answers.every((a) => a.text.length > 0)).toBe(true);
    expect(path(s).slice(seen, seen + 3)).toEqual(["sleeping", "waking", "ready"]);
  });

  it("an engine that cannot sleep is stopped instead, and cold-started on the next request", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "sleep" } }) }],
      // Without VLLM_SERVER_DEV_MODE=1, vLLM has no /sleep (404).
      () =>
        quick({
          executable: standinExecutableFor("vllm"),
          env: { VLLM_SERVER_DEV_MODE: "0" },
          scaleDownAfterMs: 200,
        }),
      { preload: true },
    );
    const a = h.engine("a");
    await untilEntered(a, "stopped");
    expect(path(a)).toEqual(["starting", "ready", "draining", "falling-asleep", "stopping", "stopped"]);
    expect(a.history.at(-2)!.reason).toMatch(
      /^sleep failed \(.*VLLM_SERVER_DEV_MODE.*\); stopping the engine instead/,
    );
    expect((await chat(h.openai, "a")).text.length).toBeGreaterThan(0);
    expect(count(a, "starting")).toBe(2);
  });
});
