import { ENGINE_STATES, type EngineState, type LocalEngines, type SupervisorEvent } from "@rouse/runtime";
import type { Registry } from "../metrics/registry.ts";

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/**
 * The local engines' metrics in the gateway's registry (one `/metrics`): state,
 * time in each state, cold starts (spawn → ready), wakes, scale-downs and crashes
 * (requests waiting for an engine are the gateway's `rouse_queue_depth` and
 * `rouse_cold_start_wait_seconds`: it holds them). Returns the supervisors' event handler.
 */
export function registerEngineMetrics(registry: Registry, engines: () => LocalEngines | undefined) {
  const state = registry.gauge("rouse_engine_state", "1 for the local engine's current state.", [
    "engine",
    "state",
  ]);
  const timeIn = registry.counter(
    "rouse_engine_state_seconds_total",
    "Time the local engine has spent in each state.",
    ["engine", "state"],
  );
  const inFlight = registry.gauge(
    "rouse_engine_requests_in_flight",
    "Requests the local engine is serving.",
    ["engine"],
  );
  const coldStart = registry.histogram(
    "rouse_engine_cold_start_seconds",
    "Local engine spawn → ready (healthy and warmed up).",
    ["engine"],
    SECONDS_BUCKETS,
  );
  const wake = registry.histogram(
    "rouse_engine_wake_seconds",
    "Local engine asleep/suspended → ready.",
    ["engine", "via"],
    SECONDS_BUCKETS,
  );
  const scaleDown = registry.histogram(
    "rouse_engine_scale_down_seconds",
    "Local engine ready → scaled to zero (sleep, stop or suspend).",
    ["engine", "via"],
    SECONDS_BUCKETS,
  );
  const crashes = registry.counter(
    "rouse_engine_crashes_total",
    "Unexpected local engine exits, by what followed.",
    ["engine", "action"],
  );
  const canary = registry.counter(
    "rouse_engine_canary_checks_total",
    "Canaries replayed after a wake or resume (verified wake), by result; a mismatch restarts the engine cold.",
    ["engine", "via", "result"],
  );
  const canarySeconds = registry.histogram(
    "rouse_engine_canary_seconds",
    "Time a canary replay took (added to the wake).",
    ["engine"],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  const seen = new Map<string, number>();

  registry.onCollect(() => {
    const fleet = engines();
    if (!fleet) return;
    for (const s of fleet.supervisors) {
      for (const st of ENGINE_STATES) state.set([s.name, st], s.state === st ? 1 : 0);
      inFlight.set([s.name], s.inFlight);
      const times = s.snapshot({ history: 0 }).stats.timeInStateMs;
      for (const [st, ms] of Object.entries(times) as [EngineState, number][]) {
        const key = `${s.name}\u0001${st}`;
        const delta = ms / 1000 - (seen.get(key) ?? 0);
        if (delta > 0) timeIn.inc([s.name, st], delta);
        seen.set(key, ms / 1000);
      }
    }
  });

  return (e: SupervisorEvent): void => {
    if (e.type === "cold-start") coldStart.observe([e.engine], e.ms / 1000);
    else if (e.type === "wake") wake.observe([e.engine, e.via], e.ms / 1000);
    else if (e.type === "scale-down") scaleDown.observe([e.engine, e.via], e.ms / 1000);
    else if (e.type === "crash") crashes.inc([e.engine, e.action]);
    else if (e.type === "canary") {
      canary.inc([e.engine, e.via, e.ok ? "match" : "mismatch"]);
      canarySeconds.observe([e.engine], e.ms / 1000);
    }
  };
}
