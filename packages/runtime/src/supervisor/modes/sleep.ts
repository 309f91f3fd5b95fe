import { type EngineRun, messageOf } from "../engine-run.ts";
import type { ModeHost } from "./host.ts";

// `local.scaleToZero: sleep`: the engine's own sleep mode (vLLM /sleep, SGLang memory
// release). The process and its compiled kernels stay; the wake is verified by the canary.

/** ready → (draining) → falling-asleep → sleeping, or stopping when the engine will not sleep. */
export async function sleepScaleDown(host: ModeHost, run: EngineRun, why: string, started: number): Promise<void> {
  host.set("falling-asleep", why);
  await host.recordCanary(run);
  if (!host.current(run)) return;
  try {
    await run.sleep(host.sleepLevel, host.lifecycleTimeoutMs);
  } catch (error) {
    if (!host.current(run)) return;
    return host.stop(`sleep failed (${messageOf(error)}); stopping the engine instead to free its memory`);
  }
  if (!host.current(run)) return;
  host.set("sleeping", `asleep after ${Math.round(performance.now() - started)} ms (${host.asleepMeans()})`);
  host.scaledDown("sleep", started);
}

/** sleeping → waking → ready (wake, after-wake steps, canary), or stopping to cold-start. */
export async function sleepWake(host: ModeHost, run: EngineRun): Promise<void> {
  const started = performance.now();
  host.set("waking", "woken for requests");
  try {
    await run.wake(host.lifecycleTimeoutMs);
  } catch (error) {
    if (!host.current(run)) return;
    return host.stop(`wake failed (${messageOf(error)}); stopping it to cold-start instead`);
  }
  if (!host.current(run)) return;
  if (!(await host.verifyCanary(run, "sleep"))) return;
  host.woke("sleep", started);
}
