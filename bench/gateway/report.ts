// Gateway benchmark report: turns the raw measurements run.ts writes (gateway-raw.json,
// here or on the lent device) into bench/results/gateway.json (raw + summary) and gateway.md.
//   node bench/gateway/report.ts RAW.json [--results DIR] [--name gateway] [--peers-from OTHER.json]
// run.ts calls render() itself for local runs; this CLI is for a raw file brought back from the device.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

export interface LoadResult {
  requests: number;
  ok: number;
  errors: number;
  droppedAtClient: number;
  /** Requests sent, warm-up included. */
  sent?: number;
  rps: number;
  ttftMs: { p50: number | null; p90: number | null; p99: number | null };
  perTokenMs: { p50: number | null; p99: number | null };
  e2eMs: { p50: number | null; p99: number | null };
}

export interface Measurement {
  target: string;
  stream: boolean;
  /** One connection, back to back: the hop's own latency, no queueing. */
  serial: LoadResult;
  throughput: LoadResult;
  latency: LoadResult & { rate: number };
  /**
   * The proxy process's own CPU time (user + system, from /proc) per request sent during the throughput
   * run: what each request costs the gateway, little changed by other work sharing the cores.
   */
  cpuUsPerRequest?: number | null;
}

export interface BenchEnv {
  /** Where it ran, in words (`--machine`), plus what the OS says. */
  machine: string;
  hostname: string;
  node: string;
  cpu: string;
  cores: number;
  memGiB: number;
  loadavgAtStart: number[];
  loadavgAtEnd: number[];
  quiet: boolean;
  /** Processes pinned to disjoint cores (taskset), or everything sharing every core. */
  pinning: string;
  date: string;
  finished?: string;
}

export interface RawResult {
  env: BenchEnv;
  setup: Record<string, string | number>;
  targets: { name: string; label: string; version: string }[];
  skipped: Record<string, string>;
  measurements: Measurement[];
  /** False while run.ts is still going (a partial file from a run cut short). */
  complete: boolean;
}

/** "Quiet": the 1-minute load average before the run is under a quarter of the cores. */
export const QUIET_LOAD_PER_CORE = 0.25;
/** Gateways compared with `direct`, in table order (`rouse-base`: the same gateway before this branch's changes). */
const GATEWAYS = ["floor", "rouse-base", "rouse", "portkey", "litellm"];

const diff = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null ? null : Math.round((a - b) * 1000) / 1000;

/** Where a throughput ratio came from when this run lacked the peer: a run of both on another machine. */
export type RatioSources = Record<string, string>;

function ratiosOf(raw: RawResult): Record<string, number | null> {
  const find = (target: string, stream: boolean) =>
    raw.measurements.find((m) => m.target === target && m.stream === stream);
  const ratios: Record<string, number | null> = {};
  for (const stream of [false, true]) {
    const t = find("rouse", stream)?.throughput.rps;
    for (const peer of ["floor", "rouse-base", "portkey", "litellm"]) {
      if (!raw.targets.some((x) => x.name === peer)) continue;
      const p = find(peer, stream)?.throughput.rps;
      ratios[`rouse/${peer} ${stream ? "stream" : "plain"}`] =
        t && p ? Math.round((t / p) * 100) / 100 : null;
    }
  }
  return ratios;
}

/**
 * `peersFrom`: an earlier raw/result file of a run that had the peer gateways (portkey, litellm). A peer
 * ratio this run could not measure is taken from it (rouse and the peer measured together there), and
 * named as such: ratios are only ever computed within one run.
 */
export function summarize(raw: RawResult, peersFrom?: RawResult) {
  const targetRate = Number(raw.setup.targetRate ?? 1000);
  const find = (target: string, stream: boolean) =>
    raw.measurements.find((m) => m.target === target && m.stream === stream);
  const added: Record<string, Record<string, number | null>> = {};
  for (const name of GATEWAYS) {
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
  const ratios = ratiosOf(raw);
  const ratioSources: RatioSources = {};
  if (peersFrom) {
    const other = ratiosOf(peersFrom);
    for (const peer of ["portkey", "litellm"]) {
      for (const mode of ["plain", "stream"]) {
        const key = `rouse/${peer} ${mode}`;
        if (ratios[key] != null || other[key] == null) continue;
        ratios[key] = other[key]!;
        const e = peersFrom.env as Partial<BenchEnv>;
        ratioSources[key] =
          `from the run of ${e.date ?? "?"} on ${e.machine ?? `a ${e.cores ?? "?"}-core machine`} (quiet: ${e.quiet ?? "?"}), which measured rouse and ${peer} together; this run did not measure ${peer}`;
      }
    }
  }
  const targetsMet: Record<string, boolean | null> = {};
  for (const stream of [false, true]) {
    const mode = stream ? "stream" : "plain";
    const a = added[`rouse/${mode}`];
    // Only when rouse and direct both ran at the target rate (a busy machine lowers it).
    const atRate = a?.rate === targetRate && a?.directRate === targetRate;
    targetsMet[`added ttft p50 <= 0.5 ms (${mode})`] =
      a?.ttftP50Ms == null || !atRate ? null : a.ttftP50Ms <= 0.5;
    targetsMet[`added ttft p99 <= 2 ms (${mode})`] =
      a?.ttftP99Ms == null || !atRate ? null : a.ttftP99Ms <= 2;
    const pk = ratios[`rouse/portkey ${mode}`];
    const ll = ratios[`rouse/litellm ${mode}`];
    targetsMet[`>= 2x portkey (${mode})`] = pk == null ? null : pk >= 2;
    targetsMet[`>= 10x litellm (${mode})`] = ll == null ? null : ll >= 10;
  }
  return {
    addedLatencyVsDirect: added,
    throughputRatios: ratios,
    ratioSources,
    targetsToReport: {
      "rouse added ttft p50": `<= 0.5 ms at ${targetRate} req/s`,
      "rouse added ttft p99": `<= 2 ms at ${targetRate} req/s`,
      "rouse throughput": ">= 2x Portkey, >= 10x LiteLLM",
    },
    targetsMet,
  };
}

const f = (n: number | null | undefined) => (n == null ? "–" : String(n));

export function renderMarkdown(raw: RawResult, peersFrom?: RawResult): string {
  const { env } = raw;
  const s = summarize(raw, peersFrom);
  const quietLimit = QUIET_LOAD_PER_CORE * env.cores;
  const lines = [
    "# Gateway benchmark",
    "",
    `${env.date} · ${env.machine} (host ${env.hostname}) · ${env.cores} cores (${env.cpu}), ${env.memGiB} GiB · ` +
      `load average at start ${env.loadavgAtStart.join(" ")}, at end ${env.loadavgAtEnd.join(" ")} · Node ${env.node} · ${env.pinning}`,
    "",
    env.quiet
      ? `**The machine was quiet** (1-min load average ${env.loadavgAtStart[0]} < ${quietLimit} before the run, ${env.loadavgAtEnd[0]} ≤ ${env.cores + 1} at its end).`
      : `**The machine was NOT quiet**: 1-min load average ${env.loadavgAtStart[0]} before the run and ${env.loadavgAtEnd[0]} at its end (quiet means < ${quietLimit} before and ≤ ${env.cores + 1} at the end, on ${env.cores} cores); other work shared the cores, so absolute numbers and p99s are inflated and targets measured one after another saw different contention. Re-run on a quiet machine before judging the targets.`,
    ...(raw.complete
      ? []
      : ["", "**This run did not finish**: the tables hold what was measured before it stopped."]),
    "",
    `Upstream: ${raw.setup.loadTarget}. 1-conn: ${raw.setup.serial}. Throughput: ${raw.setup.throughput}. Latency: ${raw.setup.latency}.`,
    "",
    "| target | version | stream | 1-conn TTFT p50 ms | 1-conn TTFT p99 ms | max req/s | CPU µs/request | latency run req/s | TTFT p50 ms | TTFT p99 ms | per-token p50 ms | per-token p99 ms | errors |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...raw.measurements.map((m) => {
      const t = raw.targets.find((x) => x.name === m.target)!;
      return `| ${t.label} | ${t.version} | ${m.stream ? "yes" : "no"} | ${f(m.serial.ttftMs.p50)} | ${f(m.serial.ttftMs.p99)} | ${f(m.throughput.rps)} | ${f(m.cpuUsPerRequest)} | ${f(m.latency.rate)} | ${f(m.latency.ttftMs.p50)} | ${f(m.latency.ttftMs.p99)} | ${m.stream ? f(m.latency.perTokenMs.p50) : "–"} | ${m.stream ? f(m.latency.perTokenMs.p99) : "–"} | ${m.serial.errors + m.throughput.errors + m.latency.errors} |`;
    }),
    "",
    "## Added latency vs. direct (same stream mode; latency runs)",
    "",
    "| gateway | stream | 1-conn TTFT p50 | 1-conn TTFT p99 | at req/s | TTFT p50 | TTFT p99 | per-token p50 | per-token p99 |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...Object.entries(s.addedLatencyVsDirect).map(([k, a]) => {
      const [name, mode] = k.split("/");
      return `| ${name} | ${mode === "stream" ? "yes" : "no"} | ${f(a.serialTtftP50Ms)} ms | ${f(a.serialTtftP99Ms)} ms | ${f(a.rate)} | ${f(a.ttftP50Ms)} ms | ${f(a.ttftP99Ms)} ms | ${mode === "stream" ? `${f(a.perTokenP50Ms)} ms` : "–"} | ${mode === "stream" ? `${f(a.perTokenP99Ms)} ms` : "–"} |`;
    }),
    "",
    "## Throughput ratios",
    "",
    ...Object.entries(s.throughputRatios).map(
      ([k, v]) => `- ${k}: ${f(v)}×${s.ratioSources[k] ? ` (${s.ratioSources[k]})` : ""}`,
    ),
    "",
    `Targets (reported against, not asserted): rouse added TTFT p50 ≤ 0.5 ms and p99 ≤ 2 ms at ${raw.setup.targetRate ?? 1000} req/s; throughput ≥ 2× Portkey, ≥ 10× LiteLLM.`,
    "",
    ...Object.entries(s.targetsMet).map(
      ([k, v]) => `- ${k}: ${v === null ? "not measured" : v ? "met" : "NOT met"}`,
    ),
    "",
    "Notes:",
    env.quiet
      ? "- Quiet machine: remaining p99 differences of a fraction of a ms are scheduling noise; compare rouse with the `floor` row (the least any Node proxy pays) as well as with zero."
      : `- The machine was shared (${env.cores} cores, other work running): p99 differences of a few ms, and negative differences, are scheduling noise, not the gateways. Compare rouse with the \`floor\` row (the least any Node proxy pays here) rather than with zero.`,
    "- Added latency = the gateway's percentile minus direct's percentile in the same kind of run; per-token = mean gap between SSE events after the first.",
    "- CPU µs/request = the proxy process's user + system CPU time (/proc, 10 ms ticks) during the throughput run divided by the requests sent in it (warm-up included); direct: the load target's. Unlike latency, it changes little when other work shares the cores.",
    "- rouse runs with auth on (one API key), request logging on (to a file) and metrics on (prom-client), every request on its one path through Hono (request-id, bearer auth, rate limit, body budget, per-upstream queue); Portkey and LiteLLM with their defaults (LiteLLM: one worker, master key).",
    ...(raw.targets.some((t) => t.name === "rouse-base")
      ? [
          "- `rouse-base` is the same gateway built from the base commit named in its version column (before this branch's hot-path changes), measured in the same run: the before/after comparison.",
        ]
      : []),
    ...(Object.keys(raw.skipped).length
      ? ["", "Skipped / failed:", ...Object.entries(raw.skipped).map(([k, v]) => `- ${k}: ${v}`)]
      : []),
    "",
  ];
  return lines.join("\n");
}

/** Writes DIR/NAME.json (raw + summary) and DIR/NAME.md. */
export function writeReport(raw: RawResult, dir: string, name = "gateway", peersFrom?: RawResult): void {
  mkdirSync(dir, { recursive: true });
  const json = { ...raw, ...summarize(raw, peersFrom) };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), renderMarkdown(raw, peersFrom));
}

// Run as a script (not when bundled into run.mjs, whose import.meta is run.mjs's).
if (/report\.(ts|mjs)$/.test(import.meta.filename) && import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      results: { type: "string", default: join(import.meta.dirname, "../results") },
      name: { type: "string", default: "gateway" },
      /** A run that measured Portkey/LiteLLM (e.g. a local bench/results/gateway.json) for peers this one lacks. */
      "peers-from": { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    process.stderr.write(
      "usage: node bench/gateway/report.ts RAW.json [--results DIR] [--name gateway] [--peers-from OTHER.json]\n",
    );
    process.exit(2);
  }
  const raw = JSON.parse(readFileSync(positionals[0]!, "utf8")) as RawResult;
  if (!raw.env || !Array.isArray(raw.measurements)) {
    process.stderr.write(`${positionals[0]}: not a gateway bench raw file (no env / measurements)\n`);
    process.exit(2);
  }
  // Read before writing: --peers-from may be the file this overwrites.
  const peers = values["peers-from"]
    ? (JSON.parse(readFileSync(values["peers-from"], "utf8")) as RawResult)
    : undefined;
  writeReport(raw, values.results, values.name, peers);
  process.stdout.write(
    `wrote ${join(values.results, `${values.name}.json`)} and ${values.name}.md (${raw.env.machine}, ${raw.env.cores} cores, quiet: ${raw.env.quiet})\n`,
  );
}
