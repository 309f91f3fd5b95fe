import { execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { type DeploymentConfigV1, parseDeployment } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { sglang } from "@rouse/engine-sglang";
import { vllm } from "@rouse/engine-vllm";
import {
  type Canary,
  canary,
  compareCanary,
  gpuUsedMiB,
  now,
  type Recorder,
  seconds,
  stopChild,
  streamCompletion,
} from "./common.ts";
import { CARRY_VERSION, type Engine, gpuConfig } from "./configs.ts";

// Issue 15/20 item 1: the engine plugin's lifecycle against the real engine, from the
// plugin's OWN argv and env (launch()), driven by the plugin's OWN lifecycle client and
// metrics parser. Only the carry's limits are added, through the config (configs.ts).

export const PLUGINS: Record<Engine, EnginePluginV1> = { vllm, sglang };

export interface LifecycleOptions {
  readonly engine: Engine;
  readonly model: string;
  readonly port: number;
  readonly log: string;
  readonly gpuMemoryUtilization: number;
  readonly eager: boolean;
  readonly realWeights: boolean;
  /** Also checkpoint the engine while awake (moves all its GPU memory: slow). */
  readonly checkpointAwake: boolean;
  /** vLLM sleep level 2 → wake → reload_weights → reset_prefix_cache (needs real weights). */
  readonly level2: boolean;
  /** The CUDA checkpoint command's argv prefix. */
  readonly ckpt: readonly string[];
  /** tools/engine-args/check.py and the facts dir, to check the argv at the version that runs. */
  readonly factsCheck?: { readonly python: string; readonly script: string; readonly facts: string };
}

export function launchSpec(engine: Engine, config: DeploymentConfigV1, port: number) {
  return PLUGINS[engine].launch(config, { target: "local", host: "127.0.0.1", port });
}

/** The plugin's argv with the executable (`local.executable`) swapped for the spelling check.py reads. */
export function checkableArgv(engine: Engine, argv: readonly string[], executableLength: number): string[] {
  const args = argv.slice(executableLength);
  return engine === "vllm" ? ["vllm", ...args] : ["python", "-m", "sglang.launch_server", ...args];
}

function run(cmd: string, args: readonly string[], input?: string, timeoutMs = 120_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = now();
    const child = execFile(
      cmd,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({
          // execFile's error.code is the exit status, or a string such as ENOENT when it never ran
          code: error
            ? typeof (error as { code?: unknown }).code === "number"
              ? (error as { code: number }).code
              : 1
            : 0,
          stdout,
          stderr,
          ms: now() - started,
        }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `python -m rouse_py.cuda_ckpt ACTION --pid P --tree --json`: wall time and the report's summary. */
export async function checkpoint(ckpt: readonly string[], action: "suspend" | "resume", pid: number) {
  const result = await run(
    ckpt[0]!,
    [...ckpt.slice(1), action, "--pid", String(pid), "--tree", "--json"],
    undefined,
    300_000,
  );
  let report: { summary?: unknown; timings_s?: unknown; error?: unknown } | undefined;
  try {
    report = JSON.parse(result.stdout);
  } catch {}
  return {
    exit: result.code,
    wall_s: seconds(result.ms),
    ok: result.code === 0,
    summary: report?.summary,
    timings_s: report?.timings_s,
    error: result.code === 0 ? undefined : (report?.error ?? result.stderr.trim().split("\n").at(-1)),
  };
}

export async function runLifecycle(r: Recorder, o: LifecycleOptions): Promise<void> {
  const { config: input, changes } = gpuConfig({
    engine: o.engine,
    model: o.model,
    servedName: "m8b",
    role: "lifecycle",
    mode: "sleep",
    gpuMemoryUtilization: o.gpuMemoryUtilization,
    eager: o.eager,
    realWeights: o.realWeights,
  });
  const config = parseDeployment(input);
  const spec = launchSpec(o.engine, config, o.port);
  r("version", CARRY_VERSION[o.engine]);
  r("config_changes", changes);
  r("argv", spec.argv);
  r("env", spec.env);
  r("eager", o.eager);
  if (o.factsCheck) {
    const checked = await run(
      o.factsCheck.python,
      [o.factsCheck.script, "--facts", `${o.factsCheck.facts}/${o.engine}-${CARRY_VERSION[o.engine]}.json`],
      JSON.stringify(checkableArgv(o.engine, spec.argv, config.local.executable?.length ?? 0)),
    );
    r("argv_facts_check", { exit: checked.code, report: safeJson(checked.stdout) });
  }

  const base = `http://127.0.0.1:${o.port}`;
  const client = PLUGINS[o.engine].createLifecycleClient(config, { baseUrl: base });
  const gpuIdle = await gpuUsedMiB();
  r("gpu_used_before_mib", gpuIdle);
  const log = createWriteStream(o.log);
  const started = now();
  const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
    env: { ...process.env, ...spec.env, HF_HUB_OFFLINE: "1", VLLM_NO_USAGE_STATS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const pid = child.pid!;
  try {
    await client.waitReady({ timeoutMs: 400_000, process: child, intervalMs: 250 });
    r("cold_start_s", seconds(now() - started));
    const gpuReady = await gpuUsedMiB();
    r("gpu_used_ready_mib", gpuReady);

    let t = now();
    await client.warmup({});
    r("warmup_s", seconds(now() - t));
    const warm: number[] = [];
    let reference = "";
    for (let i = 0; i < 3; i++) {
      const c = await streamCompletion(base, "m8b");
      warm.push(c.ttftMs);
      reference = c.text;
    }
    r("warm_ttft_ms", warm.map(Math.round));
    await r.part("metrics", async () => {
      const m = await client.metrics();
      r("metrics", {
        runningRequests: m.runningRequests,
        waitingRequests: m.waitingRequests,
        kvCacheUsage: m.kvCacheUsage,
        ttftCount: m.timeToFirstToken?.count,
        ttftSum: m.timeToFirstToken?.sum,
        samples: Object.keys(m.samples).length,
      });
    });
    const canary0 = (await r.part("canary_before", () => canary(base, "m8b"))) as Canary | undefined;
    if (canary0) r("canary_ms", Math.round(canary0.ms));

    // After a wake/resume: time to first token, greedy text identical, canary replayed.
    const afterWake = async (key: string, wakeStarted: number) => {
      const c = await streamCompletion(base, "m8b");
      r(`${key}_first_token_s`, seconds(now() - wakeStarted));
      r(`${key}_ttft_ms`, Math.round(c.ttftMs));
      r(`${key}_identical`, c.text === reference);
      if (canary0) {
        const again = await canary(base, "m8b");
        r(`${key}_canary`, { ...compareCanary(canary0, again), ms: Math.round(again.ms) });
      }
    };

    // Sleep (vLLM L1) / release (SGLang), wake/resume, twice: the first sleep is slower.
    for (const cycle of [1, 2]) {
      await r.part(`sleep${cycle}`, async () => {
        t = now();
        await client.sleep({ level: 1 });
        r(`sleep${cycle}_s`, seconds(now() - t));
        r(`gpu_used_asleep${cycle}_mib`, await gpuUsedMiB());
        // vLLM has /is_sleeping; SGLang answers from the client's own state (no probe reaches a released engine).
        r(`is_sleeping${cycle}`, await client.isSleeping());
        t = now();
        await client.wakeUp({});
        r(`wake${cycle}_s`, seconds(now() - t));
        r(`is_sleeping_after_wake${cycle}`, await client.isSleeping());
        await afterWake(`wake${cycle}`, t);
      });
    }
    if (gpuReady !== null && gpuIdle !== null) {
      // recorded for the results writer: share of the engine's GPU memory that sleep freed
      r("engine_gpu_mib", gpuReady - gpuIdle);
    }

    // Sleep, then CUDA-checkpoint what is left (what `suspend` does when the plugin can sleep).
    await r.part("sleep_ckpt", async () => {
      await client.sleep({ level: 1 });
      const s = await checkpoint(o.ckpt, "suspend", pid);
      r("sleep_ckpt_suspend", s);
      r("gpu_used_checkpointed_mib", await gpuUsedMiB());
      t = now();
      const res = await checkpoint(o.ckpt, "resume", pid);
      r("sleep_ckpt_resume", res);
      await client.wakeUp({});
      r("sleep_ckpt_resume_wake_s", seconds(now() - t));
      await afterWake("sleep_ckpt", t);
    });

    if (o.checkpointAwake) {
      // No request may reach an engine checkpointed awake (README: the vLLM engine core segfaults).
      await r.part("ckpt_alone", async () => {
        const s = await checkpoint(o.ckpt, "suspend", pid);
        r("ckpt_alone_suspend", s);
        r("gpu_used_ckpt_alone_mib", await gpuUsedMiB());
        t = now();
        r("ckpt_alone_resume", await checkpoint(o.ckpt, "resume", pid));
        await afterWake("ckpt_alone", t);
      });
    }

    if (o.level2 && o.engine === "vllm") {
      // Level 2 the way rouse runs it: a config with snapshot.sleepLevel 2, whose lifecycle spec
      // sleeps at level 2 and whose afterWake (reload_weights → reset_prefix_cache) the plugin's
      // own client runs inside wakeUp(). Needs weights on disk (with dummy weights the reload fails).
      await r.part("l2", async () => {
        const l2Config = parseDeployment({ ...input, snapshot: { ...input.snapshot, sleepLevel: 2 } });
        const l2Spec = PLUGINS.vllm.lifecycle(l2Config);
        r(
          "l2_after_wake_calls",
          (l2Spec.afterWake ?? []).map((c) => `${c.method} ${c.path}`),
        );
        const l2 = PLUGINS.vllm.createLifecycleClient(l2Config, { baseUrl: base });
        t = now();
        await l2.sleep();
        r("l2_sleep_s", seconds(now() - t));
        r("gpu_used_l2_mib", await gpuUsedMiB());
        r("l2_is_sleeping", await l2.isSleeping());
        t = now();
        await l2.wakeUp(); // wake, then the spec's afterWake calls, in order
        r("l2_wake_and_reload_s", seconds(now() - t));
        await afterWake("l2", t);
      });
    }

    await r.part("metrics_after", async () => {
      const m = await client.metrics();
      r("metrics_after", { ttftCount: m.timeToFirstToken?.count, runningRequests: m.runningRequests });
    });
    r("health", await client.health());
  } finally {
    await stopChild(child, 30_000);
    log.end();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 500);
  }
}
