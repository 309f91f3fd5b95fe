// Gateway benchmark: added latency and max throughput of rouse's gateway against
// going direct to the upstream and against peer gateways (Portkey from npm,
// LiteLLM proxy from PyPI), all on one machine in one run, with and without
// streaming. The upstream is a synthetic load target (load-target.ts) that
// streams tokens at a fixed rate. Loopback only; every run is bounded.
//
//   node --conditions=@rouse/source bench/gateway/run.ts [--quick] [--only direct,floor,rouse,portkey,litellm]
// Writes bench/results/gateway.json and gateway.md (report.ts renders them from the raw measurements).
// The same file runs bundled on the lent device (bundle.sh, device.sh): then the helper scripts are
// the .mjs files beside it, and --raw-only writes only the raw JSON, which report.ts turns into results here.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, hostname, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  type BenchEnv,
  type LoadResult,
  type Measurement,
  QUIET_LOAD_PER_CORE,
  type RawResult,
  writeReport,
} from "./report.ts";

/** Bundled (bench/gateway/bundle.sh): the helpers are `NAME.mjs` beside this file, run without the source condition. */
const BUNDLED = import.meta.filename.endsWith(".mjs");
const ROOT = BUNDLED ? process.cwd() : join(import.meta.dirname, "../..");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    "skip-setup": { type: "boolean", default: false },
    rate: { type: "string", default: "1000" },
    "duration-ms": { type: "string" },
    "warmup-ms": { type: "string" },
    /** Where gateway-raw.json (and, unless --raw-only, gateway.json/.md) go. */
    results: { type: "string", default: join(ROOT, "bench/results") },
    /** Logs of every process started (and their configs). */
    logs: { type: "string", default: join(ROOT, ".cache/bench-gateway") },
    "raw-only": { type: "boolean", default: false },
    /** Where it runs, in words, for the report. */
    machine: { type: "string", default: "this machine" },
    /** Also measure this bundled gateway (the base commit's, bundle.sh --base) as `rouse-base`. */
    "base-gateway": { type: "string" },
    "base-version": { type: "string", default: "base" },
    /** The version column of this checkout's gateway (bundle.sh records its commit). */
    "rouse-version": { type: "string" },
    portkey: {
      type: "string",
      default: join(
        ROOT,
        ".cache/bench-peers/portkey/node_modules/@portkey-ai/gateway/build/start-server.js",
      ),
    },
    "portkey-version": { type: "string" },
    /** A Python with litellm[proxy] importable (PYTHONPATH passes through). */
    "litellm-python": { type: "string", default: join(ROOT, ".cache/litellm-venv/bin/python") },
    "litellm-start-timeout-ms": { type: "string", default: "180000" },
    /** Pin load target, gateway under test and load generator to disjoint cores (taskset; needs >= 8 cores). */
    pin: { type: "boolean", default: false },
  },
});
const QUICK = args.quick;
const TARGET_RATE = Number(args.rate);
const DURATION_MS = Number(args["duration-ms"] ?? (QUICK ? 2_000 : 5_000));
const WARMUP_MS = Number(args["warmup-ms"] ?? (QUICK ? 500 : 1_500));
const CONCURRENCY = 64;
const TOKENS = 16;
const TOKEN_INTERVAL_MS = 1;
const API_KEY = "sk-bench-rouse";
const LITELLM_KEY = "sk-bench-litellm-master-key-0123456789";
const CACHE = args.logs;
const RESULTS = args.results;
// The raw measurements: the result itself with --raw-only (the device), else beside the logs.
const RAW = join(args["raw-only"] ? RESULTS : CACHE, "gateway-raw.json");

/** A helper script: its source (run with the workspace's source condition) or its bundled .mjs. */
function script(name: string, source: string): string[] {
  return BUNDLED
    ? [join(import.meta.dirname, `${name}.mjs`)]
    : ["--conditions=@rouse/source", join(ROOT, source)];
}

// Disjoint cores per role when pinned: what each process measures is not slowed by the others.
const CORES = cpus().length;
const PIN = args.pin && CORES >= 8 && existsSync("/usr/bin/taskset");
const pinSets = {
  target: `0-${Math.floor(CORES / 4) - 1}`,
  gateway: `${Math.floor(CORES / 4)}-${Math.floor(CORES / 2) - 1}`,
  loadgen: `${Math.floor(CORES / 2)}-${Math.floor((3 * CORES) / 4) - 1}`,
};
function pinned(role: keyof typeof pinSets, cmd: string, argv: string[]): [string, string[]] {
  return PIN ? ["/usr/bin/taskset", ["-c", pinSets[role], cmd, ...argv]] : [cmd, argv];
}

mkdirSync(CACHE, { recursive: true });
mkdirSync(RESULTS, { recursive: true });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(
  url: string,
  timeoutMs: number,
  init?: RequestInit,
  child?: ChildProcess,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    if (child && child.exitCode !== null)
      throw new Error(`exited with ${child.exitCode} before ${url} came up`);
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = res.status;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not come up in ${timeoutMs} ms: ${String(last)}`);
}

const children = new Set<ChildProcess>();
function start(
  name: string,
  role: keyof typeof pinSets,
  cmd: string,
  argv: string[],
  env: Record<string, string> = {},
): ChildProcess {
  const log = openSync(join(CACHE, `${name}.log`), "w");
  const [c, a] = pinned(role, cmd, argv);
  const child = spawn(c, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function load(spec: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = pinned("loadgen", process.execPath, [
      ...script("loadgen", "bench/gateway/loadgen.ts"),
      JSON.stringify(spec),
    ]);
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const killer = setTimeout(
      () => child.kill("SIGKILL"),
      Number(spec.durationMs) + Number(spec.warmupMs) + 60_000,
    );
    child.once("exit", (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`loadgen exited ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!) as LoadResult);
    });
  });
}

interface Target {
  readonly name: string;
  readonly label: string;
  readonly version: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly stop: () => Promise<void>;
  /** The proxy's process, for its CPU time. */
  readonly pid?: number | undefined;
}

/** User + system CPU time of a process in µs (Linux /proc), or undefined. */
function cpuTimeUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command), in 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

function requestBody(stream: boolean): string {
  return JSON.stringify({
    model: "standin",
    messages: [{ role: "user", content: "Say something." }],
    max_tokens: TOKENS,
    stream,
  });
}

async function measure(t: Target, stream: boolean): Promise<Measurement> {
  const base = {
    url: t.url,
    headers: t.headers,
    body: requestBody(stream),
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    timeoutMs: 10_000,
  };
  const serial = await load({ ...base, mode: "closed", concurrency: 1, maxRequests: 2_000_000 });
  await sleep(300);
  const cpuBefore = cpuTimeUs(t.pid);
  const throughput = await load({
    ...base,
    mode: "closed",
    concurrency: CONCURRENCY,
    maxRequests: 2_000_000,
  });
  const cpuAfter = cpuTimeUs(t.pid);
  const cpuUsPerRequest =
    cpuBefore === undefined || cpuAfter === undefined || !throughput.sent
      ? null
      : Math.round((cpuAfter - cpuBefore) / throughput.sent);
  await sleep(300);
  // Latency at the target rate, or at 80% of what this target sustains if it cannot take that rate.
  const rate = Math.max(10, Math.min(TARGET_RATE, Math.floor(throughput.rps * 0.8)));
  const latency = await load({ ...base, mode: "rate", rate, concurrency: 512, maxRequests: rate * 20 });
  await sleep(300);
  return { target: t.name, stream, serial, throughput, latency: { ...latency, rate }, cpuUsPerRequest };
}

function version(cmd: string, argv: string[]): string {
  try {
    return execFileSync(cmd, argv, { encoding: "utf8", timeout: 60_000 }).trim().split("\n").pop() ?? "?";
  } catch {
    return "?";
  }
}

// ---------------------------------------------------------------------------------
const only = args.only ? new Set(args.only.split(",")) : undefined;
const want = (name: string) => !only || only.has(name);

if (!BUNDLED && !args["skip-setup"] && (want("portkey") || want("litellm"))) {
  execFileSync("bash", [join(ROOT, "bench/gateway/setup-peers.sh")], { stdio: "inherit" });
}

const roundLoad = () => loadavg().map((x) => Math.round(x * 100) / 100);
const env: BenchEnv = {
  machine: args.machine,
  hostname: hostname(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "?",
  cores: CORES,
  memGiB: Math.round(totalmem() / 2 ** 30),
  loadavgAtStart: roundLoad(),
  loadavgAtEnd: [],
  quiet: false,
  pinning: PIN
    ? `pinned (taskset): load target ${pinSets.target}, gateway ${pinSets.gateway}, load generator ${pinSets.loadgen}`
    : "not pinned: load generator, gateway and load target share every core",
  date: new Date().toISOString(),
};
// Checked again at the end: the bench itself keeps a few cores busy, so more than
// cores + 1 then means other work joined during the run.
env.quiet = env.loadavgAtStart[0]! < QUIET_LOAD_PER_CORE * env.cores;
console.log(
  `gateway bench: ${env.cores} cores (${env.cpu}), load ${env.loadavgAtStart.join(" ")}, node ${env.node}, ${env.pinning}`,
);

const raw: RawResult = {
  env,
  setup: {
    targetRate: TARGET_RATE,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    loadTarget: `synthetic OpenAI-compatible load target, ${TOKENS} tokens/stream, 1 token every ${TOKEN_INTERVAL_MS} ms`,
    throughput: `closed loop, ${CONCURRENCY} concurrent keep-alive connections, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms`,
    serial: `closed loop, 1 connection, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms (the hop's own latency, no queueing)`,
    latency: `open loop at min(${TARGET_RATE}, 80% of the target's max) req/s, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms`,
    loadGenerator: "bench/gateway/loadgen.ts (undici Pool, separate process)",
  },
  targets: [],
  skipped: {},
  measurements: [],
  complete: false,
};
// After every target: a run cut short (the device's time limit) still leaves what it measured.
const saveRaw = () => {
  env.loadavgAtEnd = roundLoad();
  if (env.loadavgAtEnd[0]! > env.cores + 1) env.quiet = false;
  writeFileSync(RAW, `${JSON.stringify(raw, null, 2)}\n`);
};

// Out of time (device.sh's limit): keep what was measured, leave no process behind.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    raw.skipped["(run)"] = `stopped by ${signal} before it finished`;
    saveRaw();
    for (const c of children) c.kill("SIGKILL");
    process.exit(143);
  });
}

const targetPort = await freePort();
const upstreamProc = start("load-target", "target", process.execPath, [
  ...script("load-target", "bench/gateway/load-target.ts"),
  "--port",
  String(targetPort),
  "--tokens",
  String(TOKENS),
  "--interval-ms",
  String(TOKEN_INTERVAL_MS),
]);
const upstreamUrl = `http://127.0.0.1:${targetPort}`;
await waitHttp(`${upstreamUrl}/health`, 10_000);

/** A rouse gateway process (this checkout's, or a bundled one) in front of the load target. */
async function rouseTarget(name: string, label: string, ver: string, entry: string[]): Promise<Target> {
  const port = await freePort();
  const config = join(CACHE, `${name}.yaml`);
  const sha = createHash("sha256").update(API_KEY).digest("hex");
  writeFileSync(
    config,
    [
      "version: 1",
      `listen: { host: 127.0.0.1, port: ${port} }`,
      `auth: { keys: [{ name: bench, sha256: ${sha} }] }`,
      `upstreams: [{ name: load-target, url: "${upstreamUrl}/v1", models: [standin] }]`,
      "",
    ].join("\n"),
  );
  // Logs stay on (one JSON line per request), to the log file: what production pays.
  const child = start(name, "gateway", process.execPath, [...entry, "--config", config]);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 20_000, {}, child);
  return {
    name,
    label,
    version: ver,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: { authorization: `Bearer ${API_KEY}` },
    stop: () => stop(child),
    pid: child.pid,
  };
}

const factories: Record<string, () => Promise<Target | undefined>> = {
  direct: async () => ({
    name: "direct",
    label: "direct to the load target",
    version: "-",
    url: `${upstreamUrl}/v1/chat/completions`,
    headers: {},
    stop: async () => {},
    pid: upstreamProc.pid,
  }),
  floor: async () => {
    const port = await freePort();
    const child = start("floor", "gateway", process.execPath, [
      ...script("floor-proxy", "bench/gateway/floor-proxy.ts"),
      "--port",
      String(port),
      "--upstream",
      upstreamUrl,
    ]);
    await waitHttp(`http://127.0.0.1:${port}/`, 10_000).catch(() => {});
    await sleep(300);
    return {
      name: "floor",
      label: "floor: minimal Node proxy (node:http + undici, no features)",
      version: "-",
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: {},
      stop: () => stop(child),
      pid: child.pid,
    };
  },
  "rouse-base": async () => {
    const entry = args["base-gateway"];
    if (!entry || !existsSync(entry)) return undefined;
    return rouseTarget("rouse-base", "rouse gateway, base commit (before)", args["base-version"], [entry]);
  },
  rouse: () =>
    rouseTarget(
      "rouse",
      "rouse gateway (@rouse/api)",
      args["rouse-version"] ?? (BUNDLED ? "bundled" : "workspace"),
      script("gateway", "apps/api/src/main.ts"),
    ),
  portkey: async () => {
    const entry = args.portkey;
    if (!existsSync(entry)) return undefined;
    const port = await freePort();
    const child = start("portkey", "gateway", process.execPath, [entry, `--port=${port}`, "--headless"]);
    await waitHttp(`http://127.0.0.1:${port}/`, 30_000, {}, child);
    let v = args["portkey-version"];
    if (!v) {
      const pkg = join(dirname(entry), "../package.json");
      v = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version : "?";
    }
    return {
      name: "portkey",
      label: "Portkey AI gateway (npm @portkey-ai/gateway)",
      version: v,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: {
        authorization: "Bearer sk-unused",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": `${upstreamUrl}/v1`,
      },
      stop: () => stop(child),
      pid: child.pid,
    };
  },
  litellm: async () => {
    const py = args["litellm-python"];
    if (!existsSync(py)) return undefined;
    const v = version(py, ["-c", "import importlib.metadata as m; print(m.version('litellm'))"]);
    if (v === "?") return undefined; // no litellm importable by that Python
    const port = await freePort();
    const config = join(CACHE, "litellm.yaml");
    writeFileSync(
      config,
      [
        "model_list:",
        "  - model_name: standin",
        "    litellm_params:",
        "      model: openai/standin",
        `      api_base: ${upstreamUrl}/v1`,
        "      api_key: sk-unused",
        "litellm_settings:",
        "  telemetry: false",
        "",
      ].join("\n"),
    );
    const child = start(
      "litellm",
      "gateway",
      py,
      [
        "-m",
        "litellm.proxy.proxy_cli",
        "--config",
        config,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--num_workers",
        "1",
      ],
      {
        LITELLM_MASTER_KEY: LITELLM_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP: "True",
        LITELLM_LOG: "ERROR",
        LITELLM_TELEMETRY: "False",
        NO_DOCS: "True",
      },
    );
    await waitHttp(
      `http://127.0.0.1:${port}/health/liveliness`,
      Number(args["litellm-start-timeout-ms"]),
      {},
      child,
    );
    return {
      name: "litellm",
      label: "LiteLLM proxy (PyPI litellm[proxy], 1 worker)",
      version: v,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { authorization: `Bearer ${LITELLM_KEY}` },
      stop: () => stop(child),
      pid: child.pid,
    };
  },
};

const { skipped, measurements, targets } = raw;
for (const name of ["direct", "floor", "rouse-base", "rouse", "portkey", "litellm"]) {
  if (!want(name)) continue;
  let t: Target | undefined;
  try {
    t = await factories[name]!();
  } catch (err) {
    skipped[name] = String(err);
  }
  if (!t) {
    if (name === "rouse-base" && !args["base-gateway"]) continue; // not asked for
    skipped[name] ??= "not installed";
    console.log(`${name}: skipped (${skipped[name]})`);
    saveRaw();
    continue;
  }
  targets.push({ name: t.name, label: t.label, version: t.version });
  try {
    // Sanity: one request must succeed before measuring.
    const probe = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...t.headers },
      body: requestBody(false),
    });
    const text = await probe.text();
    if (probe.status !== 200) throw new Error(`probe answered ${probe.status}: ${text.slice(0, 300)}`);
    for (const stream of [false, true]) {
      const m = await measure(t, stream);
      measurements.push(m);
      if (m.throughput.ok === 0) {
        const log = readFileSync(join(CACHE, `${name}.log`), "utf8");
        const first = log.split("\n").find((l) => /error/i.test(l)) ?? "no error in its log";
        skipped[`${name} stream=${stream}`] =
          m.throughput.errors > 0
            ? `every request failed; ${name}'s log says: ${first.trim().slice(0, 200)}`
            : `no request completed within the ${DURATION_MS} ms throughput run (none failed: too slow here)`;
      }
      console.log(
        `${name.padEnd(10)} stream=${String(stream).padEnd(5)} 1-conn ttft p50 ${m.serial.ttftMs.p50} p99 ${m.serial.ttftMs.p99} ms | max ${m.throughput.rps} req/s (errors ${m.throughput.errors}) | ` +
          `@${m.latency.rate}/s ttft p50 ${m.latency.ttftMs.p50} p99 ${m.latency.ttftMs.p99} ms, per-token p50 ${m.latency.perTokenMs.p50} ms, errors ${m.latency.errors}`,
      );
      saveRaw();
    }
  } catch (err) {
    skipped[name] = String(err);
    console.log(`${name}: failed: ${String(err)}`);
  } finally {
    await t.stop();
  }
}
await stop(upstreamProc);

raw.complete = true;
env.finished = new Date().toISOString();
saveRaw();
console.log(`wrote ${RAW}`);
if (!args["raw-only"]) {
  writeReport(raw, RESULTS);
  console.log(`wrote ${join(RESULTS, "gateway.json")} and gateway.md`);
}
process.exit(0);
