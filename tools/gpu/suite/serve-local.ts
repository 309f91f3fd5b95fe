import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { gpuUsedMiB, now, type Recorder, seconds, sleepMs, stopChild, streamCompletion } from "./common.ts";
import { type Engine, writeGpuConfig } from "./configs.ts";

// Issue 15/20 item 2: `rouse serve --local` through the bundled CLI (the same file a
// user runs), on the GPU: idle → scale to zero → request → wake → stream, repeated;
// concurrent requests during a wake; requests sent while it scales to zero.

export interface ServeLocalOptions {
  readonly engine: Engine;
  readonly model: string;
  /** One engine per mode, each served by its own `rouse serve --local`, one after the other. */
  readonly modes: readonly ("sleep" | "suspend")[];
  readonly gpuMemoryUtilization: number;
  readonly cli: readonly string[];
  readonly dir: string;
  readonly port: number;
  readonly log: string;
  readonly cycles: number;
  readonly concurrent: number;
}

interface Snapshot {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  models: string[];
  failure: unknown;
  mode: string;
  suspendUnavailable?: string;
  stats: { requests: number; coldStart?: unknown; wake?: unknown; scaleDown?: unknown };
  history: { from: string; to: string; at: string; reason: string }[];
  [key: string]: unknown;
}

const ZERO = new Set(["sleeping", "suspended", "stopped"]);

export async function runServeLocal(r: Recorder, o: ServeLocalOptions): Promise<void> {
  // One `rouse serve --local` per mode, one after the other: an engine that scales to zero while
  // another one profiles its memory would skew that engine's KV-cache size (vLLM measures the whole GPU).
  for (const [i, mode] of o.modes.entries()) {
    await runMode(r, {
      ...o,
      modes: [mode],
      port: o.port + i,
      log: o.log.replace(/(\.log)?$/, `-${mode}$1`),
    });
  }
}

async function runMode(r: Recorder, o: ServeLocalOptions): Promise<void> {
  const files: string[] = [];
  const served: Record<string, string> = {};
  for (const mode of o.modes) {
    const file = join(o.dir, `rouse-${mode}.yaml`);
    writeGpuConfig(file, {
      engine: o.engine,
      model: o.model,
      servedName: `m8b-${mode}`,
      role: "serve-local",
      mode,
      gpuMemoryUtilization: o.gpuMemoryUtilization,
    });
    files.push(`rouse-${mode}.yaml`); // relative to cwd: `serve` joins names to its cwd
    served[mode] = `m8b-${mode}`;
  }
  const base = `http://127.0.0.1:${o.port}`;
  const log = createWriteStream(o.log);
  const started = now();
  const child = spawn(
    o.cli[0]!,
    [...o.cli.slice(1), "serve", "--local", ...files, "--port", String(o.port), "--no-preload"],
    {
      cwd: o.dir,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const engines = async (): Promise<Snapshot[]> => {
    const res = await fetch(`${base}/api/v1/engines`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { engines?: Snapshot[] } | Snapshot[];
    return Array.isArray(body) ? body : (body.engines ?? []);
  };
  const waitGateway = async () => {
    const deadline = now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`rouse serve --local exited ${child.exitCode}`);
      try {
        await engines();
        return;
      } catch (error) {
        if (now() > deadline) throw error;
      }
      await sleepMs(200);
    }
  };
  const engineFor = async (model: string) => (await engines()).find((e) => e.models.includes(model));
  const waitState = async (model: string, want: (s: string) => boolean, timeoutMs: number, everyMs = 200) => {
    const deadline = now() + timeoutMs;
    for (;;) {
      const e = await engineFor(model).catch(() => undefined);
      if (e && want(e.state)) return e;
      if (e?.state === "failed")
        throw new Error(`${model} failed: ${JSON.stringify(e.failure).slice(0, 500)}`);
      if (child.exitCode !== null) throw new Error(`rouse serve --local exited ${child.exitCode}`);
      if (now() > deadline) throw new Error(`${model}: state ${e?.state} after ${timeoutMs} ms`);
      await sleepMs(everyMs);
    }
  };
  try {
    // One engine after the other (vLLM's memory profiling assumes no other process allocates
    // meanwhile): POST /api/v1/engines/<name>/start, then ready = the gateway's engine state.
    await waitGateway();
    r(`${o.modes[0]}_gateway_up_s`, seconds(now() - started));
    for (const mode of o.modes) {
      await r.part(`${mode}_start`, async () => {
        const e = await engineFor(served[mode]!);
        if (!e) throw new Error(`no engine serves ${served[mode]}`);
        const t = now();
        const res = await fetch(`${base}/api/v1/engines/${encodeURIComponent(e.name)}/start`, {
          method: "POST",
        });
        if (res.status !== 202) throw new Error(`start ${e.name}: HTTP ${res.status}`);
        await waitState(served[mode]!, (s) => s === "ready", 420_000, 500);
        r(`${mode}_cold_start_s`, seconds(now() - t));
        r(`${mode}_gpu_used_ready_mib`, await gpuUsedMiB());
      });
    }
    for (const mode of o.modes) {
      const model = served[mode]!;
      await r.part(`${mode}_cycles`, async () => {
        const first = (await engineFor(model))!;
        r(`${mode}_engine`, {
          name: first.name,
          pid: first.pid,
          mode: first.mode,
          suspendUnavailable: first.suspendUnavailable ?? null,
        });
        const cycles: unknown[] = [];
        for (let i = 0; i < o.cycles; i++) {
          const t = now();
          const zero = await waitState(model, (s) => ZERO.has(s), 120_000);
          const gpu = await gpuUsedMiB();
          const c = await streamCompletion(base, model);
          const after = (await engineFor(model))!;
          cycles.push({
            zero_state: zero.state,
            to_zero_s: seconds(now() - t),
            gpu_used_at_zero_mib: gpu,
            first_token_s: seconds(c.ttftMs),
            status: c.status,
            complete: c.complete,
            same_pid: after.pid === first.pid,
            restarts: after.restarts,
          });
          r(`${mode}_cycles`, cycles);
        }
      });
      await r.part(`${mode}_concurrent`, async () => {
        await waitState(model, (s) => ZERO.has(s), 120_000);
        const before = (await engineFor(model))!;
        const results = await Promise.all(
          Array.from({ length: o.concurrent }, (_, i) =>
            streamCompletion(base, model, { prompt: `request ${i}:` }),
          ),
        );
        const after = (await engineFor(model))!;
        r(`${mode}_concurrent`, {
          sent: o.concurrent,
          ok: results.filter((c) => c.status === 200 && c.complete).length,
          statuses: results.map((c) => c.status),
          first_token_s: results.map((c) => seconds(c.ttftMs)),
          // served exactly once: the gateway counted each request once, no engine restart
          requests_counted: after.stats.requests - before.stats.requests,
          restarts: after.restarts - before.restarts,
        });
      });
      await r.part(`${mode}_during_scale_down`, async () => {
        // Wait for the moment it starts to scale to zero, then send requests at once: the
        // runtime must hold them (nothing reaches an engine being suspended) and serve them after.
        await waitState(model, (s) => s === "ready", 60_000);
        const entered = await waitState(model, (s) => s !== "ready", 60_000, 10);
        const results = await Promise.all(
          Array.from({ length: 4 }, (_, i) => streamCompletion(base, model, { prompt: `held ${i}:` })),
        );
        const after = (await engineFor(model))!;
        const recent = after.history.slice(-8).map((h) => `${h.from}→${h.to}`);
        r(`${mode}_during_scale_down`, {
          sent_in_state: entered.state,
          ok: results.filter((c) => c.status === 200 && c.complete).length,
          statuses: results.map((c) => c.status),
          first_token_s: results.map((c) => seconds(c.ttftMs)),
          recent_transitions: recent,
          failure: after.failure,
          restarts: after.restarts,
          same_pid: after.pid === entered.pid,
        });
      });
      await r.part(`${mode}_snapshot`, async () => {
        const e = (await engineFor(model))!;
        r(`${mode}_snapshot`, {
          stats: e.stats,
          restarts: e.restarts,
          failure: e.failure,
          history: e.history.slice(-30),
          canary: e.canary ?? "absent",
        });
      });
    }
  } finally {
    const exited = await stopChild(child, 60_000);
    r(`${o.modes[0]}_serve_exit`, { exited, code: child.exitCode });
    log.end();
  }
}
