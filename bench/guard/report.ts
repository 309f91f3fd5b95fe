// Turns the guard benchmark's raw JSON (bench/guard/drive.py's output, here or from the
// lent device) into bench/results/guard.md + guard.json: the same tables every time, with
// the machine's cores and load average, and whether it was quiet.
//
//   node --conditions=@rouse/source bench/guard/report.ts RAW_JSON [--results DIR] [--name NAME]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "../../apps/cli/src/bench/stats.ts";

export interface Load {
  concurrency: number;
  stream: boolean;
  /** Requests sent and finished inside the measured window. */
  requests: number;
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
  /** The transport guard's process (its workers too): cores over the measured window. */
  guard_cores: number | null;
  /** The ASGI stand-in's process (with or without the in-process guard): the same. */
  engine_cores?: number | null;
  load_before: number[];
}

export interface GuardCost {
  rounds: number;
  calls_per_round: number;
  /** A minimal ASGI app's own time per call. */
  bare_us: number;
  /** What the guard adds to a request it lets through (median over the rounds, and range). */
  allowed_added_us: number;
  allowed_added_us_range: [number, number];
  /** A refused request (wrong key), answered by the guard alone. */
  refused_us: number;
  loop: string;
  python: string;
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
    uvicorn?: string | null;
    starlette?: string | null;
    httptools?: string | null;
    asgi_guard_source?: string;
    /** sha256 of the measured app's GUARD_MODULE, and the rouse commit it was generated at. */
    asgi_guard_sha256?: string;
    rouse_commit?: string;
    /** Server processes of the ×N ASGI rows (vLLM's --api-server-count); 1: none measured. */
    asgi_servers?: number;
    /** Runs of the ASGI rows at paced 256 and 1,000 (the targets judge their medians). */
    repeats?: number;
    /** A focused run: only scenarios containing one of these, only these rows (comma-separated). */
    only?: string[];
    arms?: string;
    guard_loop: string;
    warmup_s: number;
    duration_s: number;
    /** The load generator's workers started spread over this long; absent or 0: all at once. */
    ramp_s?: number;
    /** The in-process guard alone, per request, without a server (bench/guard/guard_cost.py). */
    asgi_guard_cost?: GuardCost;
    pace: string;
    stream_tokens: number;
    unpaced_tokens: number;
    app: string;
    workers?: number;
    /** Written after a scenario, before the run's end: the run stopped early. */
    partial?: boolean;
  };
  rows: {
    scenario: string;
    /** 1, 2, …: a repeat of the scenario, with its ASGI rows only. */
    repeat?: number;
    direct?: Load;
    guard?: Load;
    guard_workers?: Load;
    asgi_direct?: Load;
    asgi_guard?: Load;
    asgi_direct_n?: Load;
    asgi_guard_n?: Load;
  }[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const nullable = (x: number | null) => (x === null ? null : r2(x));
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "–" : String(r2(x)));

/**
 * Quiet: nothing else ran. Before the bench the 1-minute load is under a quarter of the cores; during it
 * the bench's own engine, guard(s) and load generator may keep every core busy (the unpaced runs do), so
 * the load it leaves at the end may reach the core count, not more. The per-run "load avg before" column
 * mixes in the previous run's own load (a 1-minute average), so it cannot tell other work apart.
 */
export function isQuiet(raw: Raw): boolean {
  return raw.env.load_at_start[0]! < raw.env.cores * 0.25 && raw.env.load_at_end[0]! <= raw.env.cores + 1;
}

/** The transport guard (one process, or ×N) against direct; the in-process one against asgi direct (×N). */
type Which = "guard" | "guard_workers" | "asgi_guard" | "asgi_guard_n";
const BASE = {
  guard: "direct",
  guard_workers: "direct",
  asgi_guard: "asgi_direct",
  asgi_guard_n: "asgi_direct_n",
} as const;
const inProcess = (which: Which) => which === "asgi_guard" || which === "asgi_guard_n";

/**
 * The guard's CPU per 10k tok/s. The transport guard is a process of its own: its cores.
 * The in-process guard shares the engine's process: the process's CPU per token with the
 * guard minus without it (per token, so a guard that slowed the stream is not credited
 * with the work the engine then did not do).
 */
function guardCoresPer10k(which: Which, base: Load, guard: Load): number | null {
  if (guard.tok_per_s <= 0) return null;
  if (!inProcess(which)) return ((guard.guard_cores ?? 0) * 10_000) / guard.tok_per_s;
  if (base.tok_per_s <= 0) return null;
  return ((guard.engine_cores ?? 0) / guard.tok_per_s - (base.engine_cores ?? 0) / base.tok_per_s) * 10_000;
}

/** The in-process guard's added CPU per non-stream request, in µs: the same difference per request. */
function addedMicrosPerRequest(base: Load, guard: Load): number | null {
  if (base.req_per_s <= 0 || guard.req_per_s <= 0) return null;
  return ((guard.engine_cores ?? 0) / guard.req_per_s - (base.engine_cores ?? 0) / base.req_per_s) * 1e6;
}

export function summarize(raw: Raw, which: Which = "guard") {
  const asgi = inProcess(which);
  return raw.rows.flatMap(({ scenario, repeat, ...rest }) => {
    const guard = rest[which];
    const direct = rest[BASE[which]];
    if (!guard || !direct) return [];
    const stream = direct.stream;
    const ratio = stream ? guard.tok_per_s / direct.tok_per_s : guard.req_per_s / direct.req_per_s;
    const tokPerS = stream ? guard.tok_per_s : 0;
    return {
      scenario,
      repeat: repeat ?? 0,
      /** Both rows finished requests inside the window (else their percentiles are empty). */
      measured: direct.requests > 0 && guard.requests > 0,
      ratio: r2(ratio),
      added_ttft_p50_ms: stream
        ? r2(guard.ttft_p50_ms - direct.ttft_p50_ms)
        : r2(guard.latency_p50_ms - direct.latency_p50_ms),
      added_ttft_p99_ms: stream
        ? r2(guard.ttft_p99_ms - direct.ttft_p99_ms)
        : r2(guard.latency_p99_ms - direct.latency_p99_ms),
      added_itl_p50_ms: stream ? r2(guard.itl_p50_ms - direct.itl_p50_ms) : null,
      added_itl_p99_ms: stream ? r2(guard.itl_p99_ms - direct.itl_p99_ms) : null,
      guard_cores: asgi ? null : r2(guard.guard_cores ?? 0),
      engine_cores_direct: asgi ? r2(direct.engine_cores ?? 0) : null,
      engine_cores_guard: asgi ? r2(guard.engine_cores ?? 0) : null,
      added_cpu_us_per_request: asgi && !stream ? nullable(addedMicrosPerRequest(direct, guard)) : null,
      guard_cores_per_10k_tok_s: tokPerS > 0 ? nullable(guardCoresPer10k(which, direct, guard)) : null,
    };
  });
}

/** The fields the targets read, as one value per scenario: the median over its repeats. */
const JUDGED = ["ratio", "added_ttft_p99_ms", "guard_cores_per_10k_tok_s"] as const;

/**
 * One entry per scenario: the first run's, with the judged fields replaced by their median
 * over every run of the scenario (measured runs only), and each field's range over them.
 */
export function medians(summary: Summary) {
  const scenarios = [...new Set(summary.map((s) => s.scenario))];
  return scenarios.map((scenario) => {
    const runs = summary.filter((s) => s.scenario === scenario);
    const ok = runs.filter((s) => s.measured);
    const first = runs[0]!;
    if (ok.length < 2) return { ...first, runs: runs.length, ranges: {} as Record<string, [number, number]> };
    const ranges: Record<string, [number, number]> = {};
    const judged: Record<string, number | null> = {};
    for (const field of JUDGED) {
      const xs = ok.map((s) => s[field]).filter((x): x is number => x !== null);
      judged[field] = xs.length ? r2(median(xs)) : null;
      if (xs.length) ranges[field] = [Math.min(...xs), Math.max(...xs)];
    }
    return { ...first, ...judged, measured: true, runs: runs.length, ranges } as typeof first & {
      runs: number;
      ranges: Record<string, [number, number]>;
    };
  });
}

/**
 * The issue's targets: true (met), false (NOT met), or null where a scenario it needs
 * is missing (a run stopped early) or has no requests measured in one of its rows (a run
 * too short to finish one). Repeated scenarios count by their medians.
 */
function judge(all: Summary): (readonly [string, boolean | null])[] {
  const summary = medians(all);
  const target = (label: string, scenarios: string[], ok: (s: Summary[number]) => boolean) => {
    const found = scenarios.map((name) => summary.find((x) => x.scenario === name));
    const measured = found.every((s) => s?.measured) ? (found as Summary) : undefined;
    return [label, measured ? measured.every(ok) : null] as const;
  };
  const paced = (c: number) => `paced stream, ${c} concurrent`;
  return [
    target("1,000 paced streams: ≥ 95% of direct tok/s", [paced(1000)], (s) => s.ratio >= 0.95),
    target("1,000 paced streams: added TTFT p99 ≤ 5 ms", [paced(1000)], (s) => s.added_ttft_p99_ms <= 5),
    target(
      "≤ 256 paced streams: added TTFT p99 ≤ 2 ms",
      [1, 64, 256].map(paced),
      (s) => s.added_ttft_p99_ms <= 2,
    ),
    target(
      "≤ 10% of one core per 10k tok/s (paced 256 and 1,000, unpaced 256)",
      [paced(256), paced(1000), "unpaced stream, 256 concurrent"],
      (s) => (s.guard_cores_per_10k_tok_s ?? Number.POSITIVE_INFINITY) <= 0.1,
    ),
    target("non-stream at 64: ≥ 50% of direct req/s", ["non-stream, 64 concurrent"], (s) => s.ratio >= 0.5),
  ];
}

const verdict = (ok: boolean | null) =>
  ok === null ? "no data (scenario missing, or no request finished)" : ok ? "met" : "NOT met";

type Summary = ReturnType<typeof summarize>;
type Row = Raw["rows"][number];

/** Each mechanism of a row with its label, in the order the tables show them. */
function measured(row: Row, workersName: string, servers: number): (readonly [string, Load])[] {
  const all: [string, Load | undefined][] = [
    ["direct", row.direct],
    ["guard", row.guard],
    [workersName, row.guard_workers],
    ["asgi direct", row.asgi_direct],
    ["asgi + guard", row.asgi_guard],
    [`asgi direct ×${servers}`, row.asgi_direct_n],
    [`asgi + guard ×${servers}`, row.asgi_guard_n],
  ];
  return all.flatMap(([name, x]) => (x ? [[name, x] as const] : []));
}

/**
 * The in-process guard's own time per request, and what that bounds: the guard does nothing
 * per token, so a stream's first token waits for it at most once per request ahead of it on
 * the server's event loop.
 */
function guardAlone(cost: GuardCost): string[] {
  const [low, high] = cost.allowed_added_us_range;
  const bound = (n: number) => r2((n * cost.allowed_added_us) / 1000);
  return [
    "## The in-process guard alone",
    "",
    `The guard module measured above, called ${cost.calls_per_round.toLocaleString("en")} times per round around a minimal ASGI app (no server, no network; ${cost.loop}, Python ${cost.python}), ${cost.rounds} rounds, median: it adds **${cost.allowed_added_us} µs** to a request it lets through (${low} to ${high}; the app alone: ${cost.bare_us} µs) and answers a refused one (wrong key) in ${cost.refused_us} µs. It does nothing per token. So the most it can add to a first token is that time once per request ahead on the server's one event loop: ${bound(256)} ms if 256 requests arrived at the same instant (target: ≤ 2 ms added, ${bound(256) <= 2 ? "within it" : "NOT within it"}), ${bound(1000)} ms for 1,000 (target: ≤ 5 ms, ${bound(1000) <= 5 ? "within it" : "NOT within it"}). A difference of TTFT p99 between rows, or between runs of one row, larger than that comes from the server and the machine, not from the guard's own work.`,
    "",
  ];
}

export function report(raw: Raw): { json: object; md: string } {
  const { env, rows } = raw;
  const quiet = isQuiet(raw);
  const workers = env.workers ?? 1;
  const nName = `guard ×${workers}`;
  const summary = summarize(raw);
  const summaryN = workers > 1 ? summarize(raw, "guard_workers") : [];
  const summaryA = summarize(raw, "asgi_guard");
  const servers = env.asgi_servers ?? 1;
  const summaryAN = servers > 1 ? summarize(raw, "asgi_guard_n") : [];
  const aName = `asgi + guard ×${servers}`;
  const targets = judge(summary);
  const targetsN = summaryN.length ? judge(summaryN) : [];
  const targetsA = summaryA.length ? judge(summaryA) : [];
  const targetsAN = summaryAN.length ? judge(summaryAN) : [];
  const label = (scenario: string, repeat: number) => (repeat ? `${scenario} (repeat ${repeat})` : scenario);
  const json = {
    env: { ...env, quiet },
    rows,
    summary,
    targets: Object.fromEntries(targets),
    ...(summaryN.length ? { summary_workers: summaryN, targets_workers: Object.fromEntries(targetsN) } : {}),
    ...(summaryA.length
      ? { summary_in_process: summaryA, targets_in_process: Object.fromEntries(targetsA) }
      : {}),
    ...(summaryAN.length
      ? {
          summary_in_process_servers: summaryAN,
          targets_in_process_servers: Object.fromEntries(targetsAN),
        }
      : {}),
  };
  const pace = Number.parseInt(env.pace, 10);
  const where = env.machine ? `${env.machine} · ` : "";
  const paced = rows.filter((r) => r.scenario.startsWith("paced") && !r.repeat);
  const reached = (x: Load) => Math.round((100 * x.tok_per_s) / ((x.concurrency * 1000) / pace));
  const summaryRows: [string, Summary][] = [
    ["asgi + guard", summaryA],
    [aName, summaryAN],
    ["guard", summary],
    [nName, summaryN],
  ];
  const repeated = ([who, list]: [string, Summary]) =>
    medians(list)
      .filter((s) => s.runs > 1)
      .map((s) => {
        const range = (field: string) => {
          const r = s.ranges[field];
          return r ? ` (${r2(r[0])} to ${r2(r[1])})` : "";
        };
        return `| ${s.scenario} | ${who} | ${s.runs} | ${s.ratio}${range("ratio")} | ${s.added_ttft_p99_ms}${range("added_ttft_p99_ms")} | ${fmt(s.guard_cores_per_10k_tok_s)}${range("guard_cores_per_10k_tok_s")} |`;
      });
  const repeatedRows = summaryRows.flatMap(repeated);
  const asgiVersions = [
    env.uvicorn && `uvicorn ${env.uvicorn}`,
    env.starlette && `starlette ${env.starlette}`,
    env.httptools && `httptools ${env.httptools}`,
    env.uvloop && `uvloop ${env.uvloop}`,
  ].filter(Boolean);
  const md = [
    "# Guard benchmark",
    "",
    ...(env.partial
      ? ["**Partial run**: it stopped before every scenario had run (its time limit).", ""]
      : []),
    ...(env.only?.length || env.arms
      ? [
          `**Focused run**: ${env.only?.length ? `only scenarios containing ${env.only.map((o) => `"${o}"`).join(" or ")}` : "every scenario"}; ${env.arms ? `only the rows ${env.arms}` : "every row"}. Targets without their scenarios or rows say "no data".`,
          "",
        ]
      : []),
    `${env.date} · ${where}${env.rouse_commit ? `rouse ${env.rouse_commit.slice(0, 12)} · ` : ""}${env.cores} cores${env.cores_usable && env.cores_usable !== env.cores ? ` (${env.cores_usable} usable)` : ""} (${env.cpu}) · load average at start ${env.load_at_start.join(" ")}, at end ${env.load_at_end.join(" ")} · machine ${quiet ? "quiet (1-minute load under a quarter of the cores before the run, at most the core count + 1 at its end: the bench's own processes)" : "NOT quiet (shared with other work: numbers are noisy)"}`,
    "",
    `Mechanisms, side by side in one run, each guard a generated app's own code, unchanged (${env.app}):`,
    ...(summaryA.length
      ? [
          `- **asgi + guard**: the in-process guard, as rouse emits it for vLLM and SGLang: the engine started as app.py starts vLLM, in the environment its \`guard_env()\` makes (${env.asgi_guard_source ?? "app.py's GUARD_MODULE"} as \`rouse_guard.py\` on PYTHONPATH, the admin token, the boot report file, the API key's variable), with \`--middleware rouse_guard.RouseGuard\` read as vLLM reads it (\`app.add_middleware\`). Against **asgi direct**: the same engine without it. The engine: a stand-in shaped like vLLM's API server (bench/guard/standin_asgi.py: Starlette with CORSMiddleware, uvicorn with httptools on uvloop, one process${asgiVersions.length ? `; ${asgiVersions.join(", ")}` : ""}).${env.asgi_guard_sha256 ? ` The guard module measured: sha256 ${env.asgi_guard_sha256.slice(0, 16)}….` : ""}`,
        ]
      : []),
    ...(summaryAN.length
      ? [
          `- **asgi direct ×${servers}** / **${aName}**: the same two with ${servers} server processes on one socket, as vLLM's \`--api-server-count ${servers}\` runs its API server (each process builds its app, the guard included), so that one process's core is not the limit of either row.`,
        ]
      : []),
    `- **guard** / **${nName}**: the transport guard (a proxy process, \`start_guard\`), still emitted for third-party engines without an ASGI server (its app: the same config generated with the plugins' in-process guard turned down), on ${env.guard_loop} (Python ${env.python ?? "?"}), in front of **direct**: a stand-in engine in Go (bench/guard/standin).`,
    "",
    `Each stand-in streams ${env.stream_tokens} tokens at one per ${env.pace} per stream (paced) or ${env.unpaced_tokens} as fast as it can (unpaced). Load: bench/guard/loadgen (Go), closed loop, one keep-alive connection per worker, ${env.warmup_s} s warm-up + ${env.duration_s} s measured; ${env.ramp_s ? `the workers start spread evenly over the first ${env.ramp_s} s, so that N streams are in flight at a steady state (started together, streams of one length would keep arriving in waves of N, and each request's cost on a server's one event loop would be paid N times over by the last of a wave)` : "the workers start all at once (streams of one length then keep arriving in waves of N)"}. Engine, guard and load generator share the machine's cores.`,
    "",
    "| scenario | target | req/s | tok/s | TTFT p50 ms | TTFT p99 ms | inter-token p50 ms | inter-token p99 ms | latency p50 ms | latency p99 ms | guard process cores | engine process cores | errors | load avg before |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.flatMap((row) =>
      measured(row, nName, servers).map(
        ([name, x]) =>
          `| ${label(row.scenario, row.repeat ?? 0)} | ${name} | ${fmt(x.req_per_s)} | ${x.stream ? fmt(x.tok_per_s) : "–"} | ${x.stream ? fmt(x.ttft_p50_ms) : "–"} | ${x.stream ? fmt(x.ttft_p99_ms) : "–"} | ${x.stream ? fmt(x.itl_p50_ms) : "–"} | ${x.stream ? fmt(x.itl_p99_ms) : "–"} | ${x.stream ? "–" : fmt(x.latency_p50_ms)} | ${x.stream ? "–" : fmt(x.latency_p99_ms)} | ${fmt(x.guard_cores)} | ${fmt(x.engine_cores)} | ${x.errors} | ${x.load_before[0]} |`,
      ),
    ),
    "",
    "## Each guard against its engine without it",
    "",
    `asgi + guard against asgi direct${summaryAN.length ? `, ${aName} against asgi direct ×${servers}` : ""}; guard and guard ×N against direct.`,
    "",
    "| scenario | guard | with/without (tok/s or req/s) | added TTFT (latency) p50 ms | added TTFT (latency) p99 ms | added inter-token p50 ms | added inter-token p99 ms | engine process cores without / with | added CPU µs per non-stream request | guard cores per 10k tok/s |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...summaryRows.flatMap(([who, list]) =>
      list.map(
        (s) =>
          `| ${label(s.scenario, s.repeat)} | ${who} | ${s.ratio} | ${s.added_ttft_p50_ms} | ${s.added_ttft_p99_ms} | ${fmt(s.added_itl_p50_ms)} | ${fmt(s.added_itl_p99_ms)} | ${s.engine_cores_direct === null ? "–" : `${s.engine_cores_direct} / ${s.engine_cores_guard}`} | ${fmt(s.added_cpu_us_per_request)} | ${fmt(s.guard_cores_per_10k_tok_s)} |`,
      ),
    ),
    "",
    ...(repeatedRows.length
      ? [
          "## Repeated scenarios",
          "",
          "The targets judge these by their median over the runs (the range in brackets).",
          "",
          "| scenario | guard | runs | with/without | added TTFT p99 ms | guard cores per 10k tok/s |",
          "| --- | --- | ---: | ---: | ---: | ---: |",
          ...repeatedRows,
          "",
        ]
      : []),
    ...(env.asgi_guard_cost ? guardAlone(env.asgi_guard_cost) : []),
    "## Targets (reported, not asserted)",
    "",
    ...(targetsA.length
      ? [
          "The in-process guard (emitted for vLLM and SGLang), in the engine's one API server process:",
          "",
          ...targetsA.map(([t, ok]) => `- ${verdict(ok)}: ${t}`),
          "",
        ]
      : []),
    ...(targetsAN.length
      ? [
          `The in-process guard in ${servers} API server processes (vLLM's \`--api-server-count ${servers}\`):`,
          "",
          ...targetsAN.map(([t, ok]) => `- ${verdict(ok)}: ${t}`),
          "",
        ]
      : []),
    "The transport guard (still emitted for third-party engines without an ASGI server):",
    "",
    ...targets.map(([t, ok]) => `- ${verdict(ok)}: ${t} (one process, as emitted)`),
    ...targetsN.map(([t, ok]) => `- ${verdict(ok)}: ${t} (${workers} processes on one port)`),
    "",
    "Notes:",
    `- Paced streams give about concurrency × ${1000 / pace} tok/s (${paced
      .map(
        (r) =>
          `${r.scenario.match(/\d+/)?.[0]}: ${[
            r.direct && `direct reached ${reached(r.direct)}%`,
            r.asgi_direct && `asgi direct ${reached(r.asgi_direct)}%`,
            r.asgi_direct_n && `asgi direct ×${servers} ${reached(r.asgi_direct_n)}%`,
          ]
            .filter(Boolean)
            .join(", ")}`,
      )
      .join(
        "; ",
      )}). Where an engine without a guard falls short, the load generator and the stand-in ran out of CPU themselves, and the guard's ratio says more about the shared cores than about the guard.`,
    ...(summaryA.length
      ? [
          "- The in-process guard's CPU: the engine process's own CPU time (user + system) over the measured window, with the guard and without; its cost per 10k tok/s (or per request) is the difference of the two per token (per request), so a guard that slowed the stream is not credited with the work the engine did not do. Differences of a few µs are within run-to-run noise and can come out negative.",
          "- The ASGI stand-in yields to its event loop between tokens (asyncio.sleep(0) unpaced, as a real engine's stream awaits its next output); its access log is off in both rows (vLLM's is on unless --disable-uvicorn-access-log, the same cost with or without the guard).",
        ]
      : []),
    `- The transport guard process used at most ${r2(Math.max(...rows.map((r) => r.guard?.guard_cores ?? 0)))} cores in any run${summaryN.length ? `; the ${workers} processes of ${nName} together at most ${r2(Math.max(...rows.map((r) => r.guard_workers?.guard_cores ?? 0)))}` : ""}.`,
    ...(summaryN.length
      ? [
          `- ${nName}: the same transport guard started with \`start_guard(..., workers=${workers})\` (${workers - 1} forked processes and the first, one SO_REUSEPORT socket each; the kernel spreads connections over them). The emitted app starts one.`,
        ]
      : []),
    "- Added = the guard's percentile minus its engine's without a guard in the same scenario. Inter-token p50 of 0 ms means tokens arrived batched (several SSE events in one read): the reader fell behind.",
    "- Guard process cores = the transport guard process's CPU time (user + system) over the measured window, divided by its length. In a container it is a thread of Modal's container process, on cores the engine's own API server also uses; here it is a process of its own, so its CPU can be read.",
    "- The transport guard is a proxy (asyncio Protocols on uvloop): each request head is parsed strictly, checked and re-serialised to the engine; the engine's response bytes pass through as read, only their framing followed (one write per read on the token path). The in-process guard checks each request once inside the engine's server (route and key) and hands the request on with the server's own send, so response messages, tokens included, pass it untouched; only a request that asks with `x-rouse-boot` gets a wrapped send (one header added to its response start).",
  ];
  return { json, md: `${md.join("\n")}\n` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      results: { type: "string", default: join(import.meta.dirname, "../results") },
      // Another name for a focused run's files, so they do not replace the full run's.
      name: { type: "string", default: "guard" },
    },
  });
  const file = positionals[0];
  if (!file) throw new Error("usage: report.ts RAW_JSON [--results DIR] [--name guard-focus]");
  const { json, md } = report(JSON.parse(readFileSync(file, "utf8")) as Raw);
  writeFileSync(join(values.results, `${values.name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(values.results, `${values.name}.md`), md);
  console.log(md.split("## Targets")[1]);
}
