import { describe, expect, it } from "vitest";
import { EngineStateMachine } from "./machine.ts";
import {
  canTransition,
  ENGINE_STATES,
  type EngineState,
  IllegalTransitionError,
  TRANSITIONS,
} from "./states.ts";

function at(state: EngineState, now = () => 0) {
  return new EngineStateMachine({ engine: "e", initial: state, now, wallClock: () => 0 });
}

describe("transition table", () => {
  const pairs = ENGINE_STATES.flatMap((from) => ENGINE_STATES.map((to) => [from, to] as const));

  it.each(pairs.filter(([f, t]) => canTransition(f, t)))("%s → %s is allowed", (from, to) => {
    const sm = at(from);
    const t = sm.to(to, "test");
    expect(sm.state).toBe(to);
    expect(t).toMatchObject({ from, to, reason: "test" });
  });

  it.each(pairs.filter(([f, t]) => !canTransition(f, t)))(
    "%s → %s throws and changes nothing",
    (from, to) => {
      const sm = at(from);
      expect(() => sm.to(to, "test")).toThrow(IllegalTransitionError);
      expect(() => sm.to(to, "why")).toThrow(`engine 'e': illegal transition ${from} → ${to} (why)`);
      expect(sm.state).toBe(from);
      expect(sm.history).toHaveLength(0);
    },
  );

  it("every state can be left and reached", () => {
    for (const s of ENGINE_STATES) expect(TRANSITIONS[s].length).toBeGreaterThan(0);
    const reachable = new Set(Object.values(TRANSITIONS).flat());
    expect(ENGINE_STATES.filter((s) => !reachable.has(s))).toEqual([]);
  });

  it("the main paths of each mode are walkable", () => {
    const walk = (...path: EngineState[]) => {
      const sm = at(path[0]!);
      for (const s of path.slice(1)) sm.to(s, "walk");
      return sm.state;
    };
    // sleep mode, stop mode, suspend mode, crash + restart, give up + manual restart
    expect(
      walk("stopped", "starting", "ready", "draining", "falling-asleep", "sleeping", "waking", "ready"),
    ).toBe("ready");
    expect(walk("stopped", "starting", "ready", "draining", "stopping", "stopped", "starting")).toBe(
      "starting",
    );
    expect(walk("ready", "draining", "suspending", "suspended", "resuming", "ready")).toBe("ready");
    expect(walk("ready", "stopped", "starting", "failed", "starting", "ready")).toBe("ready");
    // failures fall back to stopping the process
    expect(walk("ready", "draining", "falling-asleep", "stopping", "stopped")).toBe("stopped");
    expect(walk("sleeping", "waking", "stopping", "stopped")).toBe("stopped");
    expect(walk("suspended", "resuming", "suspended")).toBe("suspended");
  });

  it("cannot serve from a scaled-to-zero state without waking first", () => {
    for (const s of ["stopped", "sleeping", "suspended", "failed"] as const)
      expect(canTransition(s, "ready")).toBe(false);
  });
});

describe("EngineStateMachine", () => {
  it("records timestamped transitions with reasons and how long each state lasted", () => {
    let now = 0;
    const sm = new EngineStateMachine({ engine: "e", now: () => now, wallClock: () => Date.UTC(2025, 0, 1) });
    now = 100;
    sm.to("starting", "preload");
    now = 350;
    sm.to("ready", "healthy");
    now = 1000;
    expect(sm.history.map((t) => [t.from, t.to, t.reason, t.afterMs])).toEqual([
      ["stopped", "starting", "preload", 100],
      ["starting", "ready", "healthy", 250],
    ]);
    expect(sm.history[0]!.at).toBe("2025-01-01T00:00:00.000Z");
    const time = sm.timeInState();
    expect([time.stopped, time.starting, time.ready, time.sleeping]).toEqual([100, 250, 650, 0]);
  });

  it("keeps a bounded history and tells listeners", () => {
    const sm = new EngineStateMachine({ engine: "e", initial: "ready", historySize: 3 });
    const seen: string[] = [];
    const off = sm.onTransition((t) => seen.push(t.to));
    for (let i = 0; i < 3; i++) {
      sm.to("draining", "idle");
      sm.to("ready", "cancelled");
    }
    off();
    sm.to("draining", "unheard");
    expect(sm.history).toHaveLength(3);
    expect(seen).toHaveLength(6);
  });
});
