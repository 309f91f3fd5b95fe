import { runCheckpoint } from "../../suspend/cuda-checkpoint.ts";
import { type EngineRun, messageOf } from "../engine-run.ts";
import type { ModeHost } from "./host.ts";

// `local.scaleToZero: suspend`: a CUDA-driver checkpoint of the engine's process tree.
// The engine sleeps first when its plugin can (less to move, and safe if anything
// reached it); from the checkpoint's start until the resume is done the engine's
// gate lets nothing through.

/** ready → (draining) → suspending → suspended, or stopping when the checkpoint fails. */
export async function suspendScaleDown(
  host: ModeHost,
  run: EngineRun,
  plugin: Parameters<EngineRun["releaseHook"]>[0],
  why: string,
  started: number,
): Promise<void> {
  host.set("suspending", why);
  await host.recordCanary(run);
  if (!host.current(run)) return;
  // Sleep first when the engine can: less moves to host, and a request that reaches a
  // sleeping engine waits, while one that reaches a checkpointed awake vLLM kills it.
  let slept = "";
  if (host.canSleep()) {
    try {
      await run.sleep(host.sleepLevel, host.lifecycleTimeoutMs);
      slept = "asleep, then ";
    } catch (error) {
      if (!host.current(run)) return;
      run.gate.phase = "open";
      run.slept = false;
      host.note(`sleep before the checkpoint failed (${messageOf(error)}); checkpointing it awake`);
    }
  }
  run.gate.phase = "checkpointed";
  const result = await runCheckpoint(host.checkpoint, "suspend", {
    pid: run.proc.pid ?? 0,
    preSuspendHttp: run.slept ? [] : run.releaseHook(plugin),
  });
  if (!host.current(run)) return;
  if (result.verdict === "ok") {
    host.set("suspended", `${slept}GPU memory checkpointed to host in ${Math.round(result.durationMs)} ms`);
    host.scaledDown("suspend", started);
    return;
  }
  // Not checkpointed: the engine runs as before (asleep, if it slept).
  run.gate.phase = run.slept ? "asleep" : "open";
  if (result.verdict === "unavailable") host.suspendUnavailable(result.detail);
  await host.stop(
    `suspend ${result.verdict} (exit ${result.exitCode}: ${result.detail}); stopping the engine instead`,
  );
}

/** suspended → resuming → ready (restore, wake if it slept, canary), back to suspended, or stopping. */
export async function suspendResume(host: ModeHost, run: EngineRun): Promise<void> {
  const started = performance.now();
  host.set("resuming", "woken for requests");
  const result = await runCheckpoint(host.checkpoint, "resume", { pid: run.proc.pid ?? 0 });
  if (!host.current(run)) return;
  if (result.verdict === "no-room") {
    host.set("suspended", `the restore would not fit in free GPU memory yet (${result.detail}); retrying in 2 s`);
    host.retryIn(2_000);
    return;
  }
  if (result.verdict !== "ok") {
    return host.stop(
      `resume ${result.verdict} (exit ${result.exitCode}: ${result.detail}); stopping it to cold-start instead`,
    );
  }
  // Restored: the engine is as it was before the checkpoint, asleep or awake.
  run.gate.phase = run.slept ? "asleep" : "open";
  try {
    if (run.slept) await run.wake(host.lifecycleTimeoutMs);
    else await run.client.waitReady({ timeoutMs: 60_000, process: run.proc.child, signal: run.exit.signal });
  } catch (error) {
    if (!host.current(run)) return;
    return host.stop(`not serving after resume (${messageOf(error)}); stopping it to cold-start instead`);
  }
  if (!host.current(run)) return;
  if (!(await host.verifyCanary(run, "suspend"))) return;
  host.woke("suspend", started);
}
