// Gateway benchmark: added latency and max throughput of rouse's gateway against
// going direct to the upstream and against peer gateways (Portkey from npm,
// LiteLLM proxy from PyPI), all on this machine in one run, with and without
// streaming. The upstream is a synthetic load target (load-target.ts) that
// streams tokens at a fixed rate. Loopback only; every run is bounded.
//
//   node --conditions=@rouse/source bench/gateway/run.ts [--quick] [--only direct,rouse,portkey,litellm]
// Writes bench/results/gateway.json and bench/results/gateway.md.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dirname, "../..");
const CACHE = join(ROOT, ".cache/bench-gateway");
const RESULTS = join(ROOT, "bench/results");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    "skip-setup": { type: "boolean", default: false },
    rate: { type: "string", default: "1000" },
  },
});
const QUICK = args.quick;
const TARGET_RATE = Number(args.rate);
const DURATION_MS = QUICK ? 2_000 : 5_000;
const WARMUP_MS = QUICK ? 500 : 1_500;
const CONCURRENCY = 64;
const TOKENS = 16;
const TOKEN_INTERVAL_MS = 1;
const API_KEY = "sk-bench-rouse";
const LITELLM_KEY = "sk-bench-litellm-master-key-0123456789";

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
function start(name: string, cmd: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
  const log = openSync(join(CACHE, `${name}.log`), "w");
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
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

interface LoadResult {
  requests: number;
  ok: number;
  errors: number;
  droppedAtClient: number;
  rps: number;
  ttftMs: { p50: number | null; p90: number | null; p99: number | null };
  perTokenMs: { p50: number | null; p99: number | null };
  e2eMs: { p50: number | null; p99: number | null };
}

function load(spec: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bench/gateway/loadgen.ts"), JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
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
}

type Mode = { stream: boolean };

interface Measurement {
  target: string;
  stream: boolean;
  /** One connection, back to back: the hop's own latency, no queueing. */
  serial: LoadResult;
  throughput: LoadResult;
  latency: LoadResult & { rate: number };
}

function requestBody(stream: boolean): string {
  return JSON.stringify({
    model: "standin",
    messages: [{ role: "user", content: "Say something." }],
    max_tokens: TOKENS,
    stream,
  });
}

async function measure(t: Target, mode: Mode): Promise<Measurement> {
  const base = {
    url: t.url,
    headers: t.headers,
    body: requestBody(mode.stream),
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    timeoutMs: 10_000,
  };
  const serial = await load({ ...base, mode: "closed", concurrency: 1, maxRequests: 2_000_000 });
  await sleep(300);
  const throughput = await load({
    ...base,
    mode: "closed",
    concurrency: CONCURRENCY,
    maxRequests: 2_000_000,
  });
  await sleep(300);
  // Latency at the target rate, or at 80% of what this target sustains if it cannot take that rate.
  const rate = Math.max(10, Math.min(TARGET_RATE, Math.floor(throughput.rps * 0.8)));
  const latency = await load({ ...base, mode: "rate", rate, concurrency: 512, maxRequests: rate * 20 });
  await sleep(300);
  return { target: t.name, stream: mode.stream, serial, throughput, latency: { ...latency, rate } };
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

if (!args["skip-setup"] && (want("portkey") || want("litellm"))) {
  execFileSync("bash", [join(ROOT, "bench/gateway/setup-peers.sh")], { stdio: "inherit" });
}

const roundLoad = () => loadavg().map((x) => Math.round(x * 100) / 100);
// "Quiet": the 1-minute load average before the bench starts is under a quarter of the cores
// (nothing else competing for them); otherwise the numbers include other work's contention.
const QUIET_LOAD_PER_CORE = 0.25;
const env = {
  node: process.version,
  cpu: cpus()[0]?.model ?? "?",
  cores: cpus().length,
  loadavgAtStart: roundLoad(),
  loadavgAtEnd: [] as number[],
  quiet: false,
  date: new Date().toISOString(),
};
// Checked again at the end: the bench itself keeps about `cores` runnable, so more than
// cores + 1 then means other work joined during the run.
env.quiet = env.loadavgAtStart[0]! < QUIET_LOAD_PER_CORE * env.cores;
console.log(
  `gateway bench: ${env.cores} cores (${env.cpu}), load ${env.loadavgAtStart.join(" ")}, node ${env.node}`,
);

const targetPort = await freePort();
const upstreamProc = start("load-target", process.execPath, [
  "bench/gateway/load-target.ts",
  "--port",
  String(targetPort),
  "--tokens",
  String(TOKENS),
  "--interval-ms",
  String(TOKEN_INTERVAL_MS),
]);
const upstreamUrl = `http://127.0.0.1:${targetPort}`;
await waitHttp(`${upstreamUrl}/health`, 10_000);

const factories: Record<string, () => Promise<Target | undefined>> = {
  direct: async () => ({
    name: "direct",
    label: "direct to the load target",
    version: "-",
    url: `${upstreamUrl}/v1/chat/completions`,
    headers: {},
    stop: async () => {},
  }),
  floor: async () => {
    const port = await freePort();
    const child = start("floor", process.execPath, [
      "bench/gateway/floor-proxy.ts",
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
    };
  },
  rouse: async () => {
    const port = await freePort();
    const config = join(CACHE, "gateway.yaml");
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
    // Logs stay on (one JSON line per request), to /dev/null via the log file: what production pays.
    const child = start("rouse", process.execPath, [
      "--conditions=@rouse/source",
      "apps/api/src/main.ts",
      "--config",
      config,
    ]);
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 20_000);
    return {
      name: "rouse",
      label: "rouse gateway (@rouse/api)",
      version: "workspace",
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { authorization: `Bearer ${API_KEY}` },
      stop: () => stop(child),
    };
  },
  portkey: async () => {
    const entry = join(
      ROOT,
      ".cache/bench-peers/portkey/node_modules/@portkey-ai/gateway/build/start-server.js",
    );
    if (!existsSync(entry)) return undefined;
    const port = await freePort();
    const child = start("portkey", process.execPath, [entry, `--port=${port}`, "--headless"]);
    await waitHttp(`http://127.0.0.1:${port}/`, 30_000);
    const pkg = join(ROOT, ".cache/bench-peers/portkey/node_modules/@portkey-ai/gateway/package.json");
    const v = (JSON.parse(execFileSync("cat", [pkg], { encoding: "utf8" })) as { version: string }).version;
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
    };
  },
  litellm: async () => {
    const bin = join(ROOT, ".cache/litellm-venv/bin/litellm");
    if (!existsSync(bin)) return undefined;
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
      bin,
      ["--config", config, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "1"],
      {
        LITELLM_MASTER_KEY: LITELLM_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP: "True",
        LITELLM_LOG: "ERROR",
        LITELLM_TELEMETRY: "False",
        NO_DOCS: "True",
      },
    );
    await waitHttp(`http://127.0.0.1:${port}/health/liveliness`, 180_000, {}, child);
    const v = version(join(ROOT, ".cache/litellm-venv/bin/python"), [
      "-c",
      "import importlib.metadata as m; print(m.version('litellm'))",
    ]);
    return {
      name: "litellm",
      label: "LiteLLM proxy (PyPI litellm[proxy], 1 worker)",
      version: v,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { authorization: `Bearer ${LITELLM_KEY}` },
      stop: () => stop(child),
    };
  },
};

const measurements: Measurement[] = [];
const targets: { name: string; label: string; version: string }[] = [];
const skipped: Record<string, string> = {};
for (const name of ["direct", "floor", "rouse", "portkey", "litellm"]) {
  if (!want(name)) continue;
  let t: Target | undefined;
  try {
    t = await factories[name]!();
  } catch (err) {
    skipped[name] = String(err);
  }
  if (!t) {
    skipped[name] ??= "not installed";
    console.log(`${name}: skipped (${skipped[name]})`);
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
      const m = await measure(t, { stream });
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
        `${name.padEnd(8)} stream=${String(stream).padEnd(5)} 1-conn ttft p50 ${m.serial.ttftMs.p50} p99 ${m.serial.ttftMs.p99} ms | max ${m.throughput.rps} req/s (errors ${m.throughput.errors}) | ` +
          `@${m.latency.rate}/s ttft p50 ${m.latency.ttftMs.p50} p99 ${m.latency.ttftMs.p99} ms, per-token p50 ${m.latency.perTokenMs.p50} ms, errors ${m.latency.errors}`,
      );
    }
  } catch (err) {
    skipped[name] = String(err);
    console.log(`${name}: failed: ${String(err)}`);
  } finally {
    await t.stop();
  }
}
await stop(upstreamProc);

// --- summary -------------------------------------------------------------------
const find = (target: string, stream: boolean) =>
  measurements.find((m) => m.target === target && m.stream === stream);
const diff = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null ? null : Math.round((a - b) * 1000) / 1000;
const added: Record<string, unknown> = {};
for (const name of ["floor", "rouse", "portkey", "litellm"]) {
  for (const stream of [false, true]) {
    const m = find(name, stream);
    const d = find("direct", stream);
    if (!m || !d) continue;
    added[`${name}/${stream ? "stream" : "plain"}`] = {
      rate: m.latency.rate,
      directRate: d.latency.rate,
      serialTtftP50Ms: diff(m.serial.ttftMs.p50, d.serial.ttftMs.p50),
      serialTtftP99Ms: diff(m.serial.ttftMs.p99, d.serial.ttftMs.p99),
      ttftP50Ms: diff(m.latency.ttftMs.p50, d.latency.ttftMs.p50),
      ttftP99Ms: diff(m.latency.ttftMs.p99, d.latency.ttftMs.p99),
      perTokenP50Ms: diff(m.latency.perTokenMs.p50, d.latency.perTokenMs.p50),
      perTokenP99Ms: diff(m.latency.perTokenMs.p99, d.latency.perTokenMs.p99),
    };
  }
}
const ratios: Record<string, number | null> = {};
for (const stream of [false, true]) {
  const t = find("rouse", stream)?.throughput.rps;
  for (const peer of ["portkey", "litellm"]) {
    const p = find(peer, stream)?.throughput.rps;
    ratios[`rouse/${peer} ${stream ? "stream" : "plain"}`] = t && p ? Math.round((t / p) * 100) / 100 : null;
  }
}
const result = {
  env,
  setup: {
    loadTarget: `synthetic OpenAI-compatible load target, ${TOKENS} tokens/stream, 1 token every ${TOKEN_INTERVAL_MS} ms`,
    throughput: `closed loop, ${CONCURRENCY} concurrent keep-alive connections, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms`,
    serial: `closed loop, 1 connection, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms (the hop's own latency, no queueing)`,
    latency: `open loop at min(${TARGET_RATE}, 80% of the target's max) req/s, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms`,
    loadGenerator: "bench/gateway/loadgen.ts (undici Pool, separate process)",
  },
  targets,
  skipped,
  measurements,
  addedLatencyVsDirect: added,
  throughputRatios: ratios,
  targetsToReport: {
    "rouse added ttft p50": "<= 0.5 ms at 1000 req/s",
    "rouse added ttft p99": "<= 2 ms at 1000 req/s",
    "rouse throughput": ">= 2x Portkey, >= 10x LiteLLM",
  },
  targetsMet: {} as Record<string, boolean | null>,
};
for (const stream of [false, true]) {
  const mode = stream ? "stream" : "plain";
  const a = added[`rouse/${stream ? "stream" : "plain"}`] as Record<string, number | null> | undefined;
  // Only when rouse and direct both ran at the target rate (a busy machine lowers it).
  const at1000 = a?.rate === TARGET_RATE && a?.directRate === TARGET_RATE;
  result.targetsMet[`added ttft p50 <= 0.5 ms (${mode})`] =
    a?.ttftP50Ms == null || !at1000 ? null : a.ttftP50Ms <= 0.5;
  result.targetsMet[`added ttft p99 <= 2 ms (${mode})`] =
    a?.ttftP99Ms == null || !at1000 ? null : a.ttftP99Ms <= 2;
  const pk = ratios[`rouse/portkey ${mode}`];
  const ll = ratios[`rouse/litellm ${mode}`];
  result.targetsMet[`>= 2x portkey (${mode})`] = pk == null ? null : pk >= 2;
  result.targetsMet[`>= 10x litellm (${mode})`] = ll == null ? null : ll >= 10;
}
env.loadavgAtEnd = roundLoad();
if (env.loadavgAtEnd[0]! > env.cores + 1) env.quiet = false;
writeFileSync(join(RESULTS, "gateway.json"), `${JSON.stringify(result, null, 2)}\n`);

const f = (n: number | null | undefined) => (n == null ? "–" : String(n));
const lines = [
  "# Gateway benchmark",
  "",
  `${env.date} · ${env.cores} cores (${env.cpu}) · load average at start ${env.loadavgAtStart.join(" ")}, at end ${env.loadavgAtEnd.join(" ")} · Node ${env.node}`,
  "",
  env.quiet
    ? `**The machine was quiet** (1-min load average ${env.loadavgAtStart[0]} < ${QUIET_LOAD_PER_CORE * env.cores} before the run, ${env.loadavgAtEnd[0]} ≤ ${env.cores + 1} at its end).`
    : `**The machine was NOT quiet**: 1-min load average ${env.loadavgAtStart[0]} before the run and ${env.loadavgAtEnd[0]} at its end (quiet means < ${QUIET_LOAD_PER_CORE * env.cores} before and ≤ ${env.cores + 1} at the end, the bench itself keeping ~${env.cores} busy, on ${env.cores} cores); other work shared the cores, so absolute numbers and p99s are inflated and targets measured one after another saw different contention. Re-run on a quiet machine before judging the targets.`,
  "",
  `Upstream: ${result.setup.loadTarget}. 1-conn: ${result.setup.serial}. Throughput: ${result.setup.throughput}. Latency: ${result.setup.latency}. ` +
    "Everything (load generator, gateway, load target) shares the same cores; the numbers include that contention.",
  "",
  "| target | version | stream | 1-conn TTFT p50 ms | 1-conn TTFT p99 ms | max req/s | latency run req/s | TTFT p50 ms | TTFT p99 ms | per-token p50 ms | per-token p99 ms | errors |",
  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...measurements.map((m) => {
    const t = targets.find((x) => x.name === m.target)!;
    return `| ${t.label} | ${t.version} | ${m.stream ? "yes" : "no"} | ${f(m.serial.ttftMs.p50)} | ${f(m.serial.ttftMs.p99)} | ${f(m.throughput.rps)} | ${f(m.latency.rate)} | ${f(m.latency.ttftMs.p50)} | ${f(m.latency.ttftMs.p99)} | ${m.stream ? f(m.latency.perTokenMs.p50) : "–"} | ${m.stream ? f(m.latency.perTokenMs.p99) : "–"} | ${m.serial.errors + m.throughput.errors + m.latency.errors} |`;
  }),
  "",
  "## Added latency vs. direct (same stream mode; latency runs)",
  "",
  "| gateway | stream | 1-conn TTFT p50 | 1-conn TTFT p99 | at req/s | TTFT p50 | TTFT p99 | per-token p50 | per-token p99 |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...Object.entries(added).map(([k, v]) => {
    const a = v as Record<string, number | null>;
    const [name, mode] = k.split("/");
    return `| ${name} | ${mode === "stream" ? "yes" : "no"} | ${f(a.serialTtftP50Ms)} ms | ${f(a.serialTtftP99Ms)} ms | ${f(a.rate)} | ${f(a.ttftP50Ms)} ms | ${f(a.ttftP99Ms)} ms | ${mode === "stream" ? `${f(a.perTokenP50Ms)} ms` : "–"} | ${mode === "stream" ? `${f(a.perTokenP99Ms)} ms` : "–"} |`;
  }),
  "",
  "## Throughput ratios",
  "",
  ...Object.entries(ratios).map(([k, v]) => `- ${k}: ${f(v)}×`),
  "",
  "Targets (reported against, not asserted): rouse added TTFT p50 ≤ 0.5 ms and p99 ≤ 2 ms at 1000 req/s; throughput ≥ 2× Portkey, ≥ 10× LiteLLM.",
  "",
  ...Object.entries(result.targetsMet).map(
    ([k, v]) => `- ${k}: ${v === null ? "not measured" : v ? "met" : "NOT met"}`,
  ),
  "",
  "Notes:",
  "- The machine is shared (2 cores, other work running): p99 differences of a few ms, and negative differences, are scheduling noise, not the gateways. Compare rouse with the `floor` row (the least any Node proxy pays here) rather than with zero.",
  "- Added latency = the gateway's percentile minus direct's percentile in the same kind of run; per-token = mean gap between SSE events after the first.",
  "- rouse runs with auth on (one API key), request logging on (to a file) and metrics on (prom-client), every request on its one path through Hono (request-id, bearer auth, rate limit, body budget, per-upstream queue); Portkey and LiteLLM with their defaults (LiteLLM: one worker, master key).",
  ...(Object.keys(skipped).length
    ? ["", "Skipped / failed:", ...Object.entries(skipped).map(([k, v]) => `- ${k}: ${v}`)]
    : []),
  "",
];
writeFileSync(join(RESULTS, "gateway.md"), lines.join("\n"));
console.log(`wrote ${join(RESULTS, "gateway.json")} and gateway.md`);
process.exit(0);
