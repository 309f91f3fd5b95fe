// Turns the guard benchmark's raw JSON (bench/guard/drive.py's output, here or from the
// lent device) into bench/results/guard.md + guard.json: the same tables every time, with
// the machine's cores and load average, and whether it was quiet.
//
//   node --conditions=@rouse/source bench/guard/report.ts RAW_JSON [--results DIR]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export interface Load {
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
  guard_cores: number | null;
  load_before: number[];
}

export interface Raw {
  env: {
    date: string;
    machine?: string;
    cores: number;
    cores_usable?: number;
    cpu: string;
    load_at_start: number[];
    load_at_end: number[];
    guard_python: string;
    python?: string;
    uvloop?: string | null;
    guard_loop: string;
    warmup_s: number;
    duration_s: number;
    pace: string;
    stream_tokens: number;
    unpaced_tokens: number;
    app: string;
    workers?: number;
  };
  rows: { scenario: string; direct: Load; guard: Load; guard_workers?: Load }[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "–" : String(r2(x)));

/** Quiet: the 1-minute load average stayed under half the cores, at start, at end and before each run. */
/**
 * Quiet: nothing else ran. Before the bench the 1-minute load is under a quarter of the cores; during it
 * the bench's own engine, guard(s) and load generator may keep every core busy (the unpaced runs do), so
 * the load it leaves at the end may reach the core count, not more. The per-run "load avg before" column
 * mixes in the previous run's own load (a 1-minute average), so it cannot tell other work apart.
 */
export function isQuiet(raw: Raw): boolean {
  return raw.env.load_at_start[0]! < raw.env.cores * 0.25 && raw.env.load_at_end[0]! <= raw.env.cores + 1;
}

type Which = "guard" | "guard_workers";

export function summarize(raw: Raw, which: Which = "guard") {
  return raw.rows.flatMap(({ scenario, direct, ...rest }) => {
    const guard = rest[which];
    if (!guard) return [];
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
}

function judge(summary: ReturnType<typeof summarize>) {
  const by = (s: string) => {
    const found = summary.find((x) => x.scenario === s);
    if (!found) throw new Error(`guard report: no scenario "${s}" in the raw results`);
    return found;
  };
  return [
    ["1,000 paced streams: ≥ 95% of direct tok/s", by("paced stream, 1000 concurrent").ratio >= 0.95],
    [
      "1,000 paced streams: added TTFT p99 ≤ 5 ms",
      by("paced stream, 1000 concurrent").added_ttft_p99_ms <= 5,
    ],
    [
      "≤ 256 paced streams: added TTFT p99 ≤ 2 ms",
      [1, 64, 256].every((c) => by(`paced stream, ${c} concurrent`).added_ttft_p99_ms <= 2),
    ],
    [
      "≤ 10% of one core per 10k tok/s (paced 256 and 1,000, unpaced 256)",
      [
        "paced stream, 256 concurrent",
        "paced stream, 1000 concurrent",
        "unpaced stream, 256 concurrent",
      ].every((s) => (by(s).guard_cores_per_10k_tok_s ?? Number.POSITIVE_INFINITY) <= 0.1),
    ],
    ["non-stream at 64: ≥ 50% of direct req/s", by("non-stream, 64 concurrent").ratio >= 0.5],
  ] as const;
}

export function report(raw: Raw): { json: object; md: string } {
  const { env, rows } = raw;
  const quiet = isQuiet(raw);
  const summary = summarize(raw);
  const targets = judge(summary);
  const workers = env.workers ?? 1;
  const summaryN = workers > 1 ? summarize(raw, "guard_workers") : [];
  const targetsN = summaryN.length ? judge(summaryN) : [];
  const nName = `guard ×${workers}`;
  const json = {
    env: { ...env, quiet },
    rows,
    summary,
    targets: Object.fromEntries(targets),
    ...(summaryN.length ? { summary_workers: summaryN, targets_workers: Object.fromEntries(targetsN) } : {}),
  };
  const pace = Number.parseInt(env.pace, 10);
  const where = env.machine ? `${env.machine} · ` : "";
  const md = [
    "# Guard benchmark",
    "",
    `${env.date} · ${where}${env.cores} cores${env.cores_usable && env.cores_usable !== env.cores ? ` (${env.cores_usable} usable)` : ""} (${env.cpu}) · load average at start ${env.load_at_start.join(" ")}, at end ${env.load_at_end.join(" ")} · machine ${quiet ? "quiet (1-minute load under a quarter of the cores before the run, at most the core count + 1 at its end: the bench's own processes)" : "NOT quiet (shared with other work: numbers are noisy)"}`,
    "",
    `Guard: the generated app's own guard (${env.app}), unchanged, on ${env.guard_loop} (Python ${env.python ?? "?"}${env.uvloop ? `, uvloop ${env.uvloop}` : ""}). Engine: a stand-in (bench/guard/standin, Go) streaming ${env.stream_tokens} tokens at one per ${env.pace} per stream (paced) or ${env.unpaced_tokens} as fast as it can (unpaced). Load: bench/guard/loadgen (Go), closed loop, one keep-alive connection per worker, ${env.warmup_s} s warm-up + ${env.duration_s} s measured. Engine, guard and load generator share the machine's cores.`,
    "",
    "| scenario | target | req/s | tok/s | TTFT p50 ms | TTFT p99 ms | inter-token p50 ms | inter-token p99 ms | latency p50 ms | latency p99 ms | guard cores | errors | load avg before |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.flatMap(({ scenario, direct, guard, guard_workers }) =>
      (
        [
          ["direct", direct],
          ["guard", guard],
          ...(guard_workers ? ([[nName, guard_workers]] as const) : []),
        ] as const
      ).map(
        ([name, x]) =>
          `| ${scenario} | ${name} | ${fmt(x.req_per_s)} | ${x.stream ? fmt(x.tok_per_s) : "–"} | ${x.stream ? fmt(x.ttft_p50_ms) : "–"} | ${x.stream ? fmt(x.ttft_p99_ms) : "–"} | ${x.stream ? fmt(x.itl_p50_ms) : "–"} | ${x.stream ? fmt(x.itl_p99_ms) : "–"} | ${x.stream ? "–" : fmt(x.latency_p50_ms)} | ${x.stream ? "–" : fmt(x.latency_p99_ms)} | ${fmt(x.guard_cores)} | ${x.errors} | ${x.load_before[0]} |`,
      ),
    ),
    "",
    "## The guard against direct",
    "",
    "| scenario | guard | guard/direct (tok/s or req/s) | added TTFT (latency) p50 ms | added TTFT (latency) p99 ms | added inter-token p50 ms | added inter-token p99 ms | guard cores per 10k tok/s |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...[...summary.map((s) => ({ ...s, who: "guard" })), ...summaryN.map((s) => ({ ...s, who: nName }))].map(
      (s) =>
        `| ${s.scenario} | ${s.who} | ${s.ratio} | ${s.added_ttft_p50_ms} | ${s.added_ttft_p99_ms} | ${fmt(s.added_itl_p50_ms)} | ${fmt(s.added_itl_p99_ms)} | ${fmt(s.guard_cores_per_10k_tok_s)} |`,
    ),
    "",
    "## Targets (reported, not asserted)",
    "",
    ...targets.map(([t, ok]) => `- ${ok ? "met" : "NOT met"}: ${t} (the guard as emitted: one process)`),
    ...targetsN.map(
      ([t, ok]) => `- ${ok ? "met" : "NOT met"}: ${t} (${workers} guard processes on one port)`,
    ),
    "",
    "Notes:",
    `- Paced streams give about concurrency × ${1000 / pace} tok/s (${rows
      .filter((r) => r.scenario.startsWith("paced"))
      .map(
        (r) =>
          `${r.direct.concurrency}: direct reached ${Math.round((100 * r.direct.tok_per_s) / ((r.direct.concurrency * 1000) / pace))}%`,
      )
      .join(
        ", ",
      )}). Where direct falls short, the load generator and the stand-in ran out of CPU themselves, and the guard's ratio says more about the shared cores than about the guard.`,
    `- The guard process used at most ${r2(Math.max(...rows.map((r) => r.guard.guard_cores ?? 0)))} cores in any run${summaryN.length ? `; the ${workers} processes of ${nName} together at most ${r2(Math.max(...rows.map((r) => r.guard_workers?.guard_cores ?? 0)))}` : ""}.`,
    ...(summaryN.length
      ? [
          `- ${nName}: the same guard started with \`start_guard(..., workers=${workers})\` (${workers - 1} forked processes and the first, one SO_REUSEPORT socket each; the kernel spreads connections over them). The emitted app starts one.`,
        ]
      : []),
    "- Added = the guard's percentile minus direct's in the same scenario. Inter-token p50 of 0 ms means tokens arrived batched (several SSE events in one read): the reader fell behind.",
    "- Guard cores = the guard process's CPU time (user + system) over the measured window, divided by its length.",
    "- In a container the guard is a thread of Modal's container process, on cores the engine's own API server also uses; here it is a process of its own, so its CPU can be read.",
    "- The guard is a transport-level proxy (asyncio Protocols on uvloop): each request head is parsed strictly, checked and re-serialised to the engine; the engine's response bytes pass through as read, only their framing followed (one write per read on the token path).",
  ];
  return { json, md: `${md.join("\n")}\n` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { results: { type: "string", default: join(import.meta.dirname, "../results") } },
  });
  const file = positionals[0];
  if (!file) throw new Error("usage: report.ts RAW_JSON [--results DIR]");
  const { json, md } = report(JSON.parse(readFileSync(file, "utf8")) as Raw);
  writeFileSync(join(values.results, "guard.json"), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(values.results, "guard.md"), md);
  console.log(md.split("## Targets")[1]);
}
