import type { RouseClient } from "@rouse/client";
import { ASK_BOOT_HEADER } from "../app/http.ts";
import { type Distribution, distribution } from "./stats.ts";
import { card, page, PERCENTILES } from "./report.ts";
import { esc, histogramCdf, legendHtml, stackedBars } from "./svg.ts";

// `rouse bench coldstart`: force the app to zero containers, then time one request
// from send to first token, N times. The emitted app's boot report (ROUSE_BOOT_REPORT,
// served at /rouse/boot and summarised in the x-rouse-boot header) says what the new
// container did and when, on the container's own clock.

/** What rouse's generated apps report (see @rouse/codegen emit/boot.ts). */
export interface BootReport {
  readonly app?: string;
  readonly restored?: boolean;
  /** Unix seconds, container clock. */
  readonly phases?: Readonly<Record<string, number>>;
}

export interface Phase {
  readonly name: string;
  readonly ms: number;
}

export interface ColdStartRun {
  readonly run: number;
  readonly success: boolean;
  readonly error?: string;
  /** Containers stopped to force this cold start, and how long reaching zero took. */
  readonly stoppedContainers: readonly string[];
  readonly zeroMs: number;
  /** When the request was sent (client clock, ISO). */
  readonly requestAt: string;
  readonly headersMs: number | undefined;
  readonly ttftMs: number | undefined;
  readonly e2eMs: number | undefined;
  /** Client attempts (a `server`-style app answers 503 until a replica is up). */
  readonly attempts: number;
  readonly outputTokens: number;
  /** The x-rouse-boot header: `restored` | `cold`; undefined if the server sent none. */
  readonly bootHeader: string | undefined;
  readonly boot: BootReport | undefined;
  /** True: restored from a memory snapshot; false: booted from scratch; undefined: no report. */
  readonly restored: boolean | undefined;
  /** This boot's phases, in order, on the container's clock (durations, so no clock skew). */
  readonly phases: readonly Phase[];
  /** TTFT minus the in-container boot: scheduling, container start, restore I/O, the request itself. */
  readonly outsideMs: number | undefined;
  /** Containers listed after the request that were not there before: proof a new one started. */
  readonly newContainers: readonly string[];
  /** Every warning about this run (not restored, no new container seen, …). */
  readonly flags: readonly string[];
}

/** Consecutive phase gaps of the boot that served the request (a restored one starts at `restore`). */
export function bootPhases(report: BootReport | undefined): Phase[] {
  const entries = Object.entries(report?.phases ?? {})
    .filter(([, t]) => typeof t === "number" && Number.isFinite(t))
    .sort((a, b) => a[1] - b[1]);
  const startAt = report?.restored ? entries.findIndex(([name]) => name === "restore") : 0;
  const own = entries.slice(Math.max(0, startAt));
  return own
    .slice(1)
    .map(([name, t], i) => ({ name: `${own[i]![0]} → ${name}`, ms: (t - own[i]![1]) * 1000 }));
}

/** The snapshotted boot's phases (what the snapshot saved), for restored containers. */
export function snapshotPhases(report: BootReport | undefined): Phase[] {
  if (!report?.restored) return [];
  const entries = Object.entries(report.phases ?? {}).sort((a, b) => a[1] - b[1]);
  const restore = entries.findIndex(([name]) => name === "restore");
  const before = entries.slice(0, restore < 0 ? entries.length : restore);
  return before
    .slice(1)
    .map(([name, t], i) => ({ name: `${before[i]![0]} → ${name}`, ms: (t - before[i]![1]) * 1000 }));
}

export interface Timed {
  readonly headersMs: number | undefined;
  readonly ttftMs: number | undefined;
  readonly e2eMs: number | undefined;
  readonly attempts: number;
  readonly outputTokens: number;
  readonly bootHeader: string | undefined;
}

/** One streamed request, timed from the call to its first token. */
export async function timedRequest(
  client: RouseClient,
  model: string,
  prompt: string,
  maxTokens: number,
  signal?: AbortSignal,
): Promise<Timed> {
  const stream = await client.chat.completions.create(
    {
      model,
      messages: [{ role: "user", content: prompt }],
      max_tokens: maxTokens,
      stream: true,
      stream_options: { include_usage: true },
    },
    { headers: ASK_BOOT_HEADER, ...(signal ? { signal } : {}) },
  );
  for await (const _ of stream) {
    // Drain; arrival times are recorded by the client.
  }
  const t = stream.timing;
  return {
    headersMs: t.headers === undefined ? undefined : t.headers - t.start,
    ttftMs: t.firstToken === undefined ? undefined : t.firstToken - t.start,
    e2eMs: t.end === undefined ? undefined : t.end - t.start,
    attempts: t.attempts,
    outputTokens: stream.usage?.completion_tokens ?? t.tokenTimes.length,
    bootHeader: stream.headers["x-rouse-boot"],
  };
}

/** Puts a run together from its measurements, and flags what makes it doubtful. */
export function assembleRun(input: {
  run: number;
  stoppedContainers: readonly string[];
  zeroMs: number;
  requestAt: string;
  timed: Timed | undefined;
  error: string | undefined;
  boot: BootReport | undefined;
  before: readonly string[];
  after: readonly string[] | undefined;
}): ColdStartRun {
  const { timed, boot } = input;
  const restored =
    boot?.restored ??
    (timed?.bootHeader === "restored" ? true : timed?.bootHeader === "cold" ? false : undefined);
  const phases = bootPhases(boot);
  const inside = phases.reduce((a, p) => a + p.ms, 0);
  const outsideMs = timed?.ttftMs !== undefined && phases.length ? timed.ttftMs - inside : undefined;
  const newContainers = input.after ? input.after.filter((id) => !input.before.includes(id)) : [];
  const flags: string[] = [];
  if (input.error) flags.push(`failed: ${input.error}`);
  if (restored === false) flags.push("not restored from a snapshot (booted cold)");
  if (restored === undefined && !input.error)
    flags.push("no boot report (not a rouse app, or an older one): restore unknown");
  if (input.after && newContainers.length === 0 && !input.error)
    flags.push("no new container was listed after the request: was this a cold start?");
  if (outsideMs !== undefined && outsideMs < 0)
    flags.push(
      "the container's boot took longer than the request waited: it began before the request (not a cold start?)",
    );
  return {
    run: input.run,
    success: !input.error && timed?.ttftMs !== undefined,
    ...(input.error ? { error: input.error } : {}),
    stoppedContainers: input.stoppedContainers,
    zeroMs: input.zeroMs,
    requestAt: input.requestAt,
    headersMs: timed?.headersMs,
    ttftMs: timed?.ttftMs,
    e2eMs: timed?.e2eMs,
    attempts: timed?.attempts ?? 0,
    outputTokens: timed?.outputTokens ?? 0,
    bootHeader: timed?.bootHeader,
    boot,
    restored,
    phases,
    outsideMs: outsideMs === undefined ? undefined : Math.max(0, outsideMs),
    newContainers,
    flags,
  };
}

export interface ColdStartResult {
  readonly kind: "rouse-bench-coldstart";
  readonly version: 1;
  readonly startedAt: string;
  readonly app: string;
  readonly url: string;
  readonly model: string;
  readonly config: {
    readonly runs: number;
    readonly prompt: string;
    readonly maxTokens: number;
    readonly settleMs: number;
  };
  readonly summary: {
    readonly succeeded: number;
    readonly failed: number;
    readonly restored: number;
    readonly notRestored: readonly number[];
    readonly unknownRestore: readonly number[];
    readonly ttftMs: Distribution;
    readonly restoredTtftMs: Distribution | undefined;
    readonly coldTtftMs: Distribution | undefined;
    /** Mean duration of each boot phase, over restored and over cold-booted runs apart. */
    readonly phaseMeansMs: {
      readonly restored: Readonly<Record<string, number>>;
      readonly cold: Readonly<Record<string, number>>;
    };
  };
  /** Modal's own count (JavaScript SDK, Function.stats) of containers started during the benchmark; best effort. */
  readonly modalStats:
    | { readonly containersStarted: number; readonly since: string }
    | { readonly unavailable: string };
  readonly rouse: { readonly version: string; readonly node: string };
  readonly runs: readonly ColdStartRun[];
}

export function summarise(
  meta: Omit<ColdStartResult, "kind" | "version" | "summary" | "runs" | "rouse" | "modalStats">,
  runs: readonly ColdStartRun[],
  version: string,
  modalStats: ColdStartResult["modalStats"] = { unavailable: "not asked" },
): ColdStartResult {
  const ok = runs.filter((r) => r.success);
  const ttft = (rs: readonly ColdStartRun[]) => rs.map((r) => r.ttftMs!).filter((v) => v !== undefined);
  const restoredRuns = ok.filter((r) => r.restored === true);
  const coldRuns = ok.filter((r) => r.restored === false);
  const means = (rs: readonly ColdStartRun[]) => {
    const sums = new Map<string, number[]>();
    for (const r of rs) for (const p of r.phases) sums.set(p.name, [...(sums.get(p.name) ?? []), p.ms]);
    return Object.fromEntries([...sums].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]));
  };
  return {
    kind: "rouse-bench-coldstart",
    version: 1,
    ...meta,
    summary: {
      succeeded: ok.length,
      failed: runs.length - ok.length,
      restored: restoredRuns.length,
      notRestored: ok.filter((r) => r.restored === false).map((r) => r.run),
      unknownRestore: ok.filter((r) => r.restored === undefined).map((r) => r.run),
      ttftMs: distribution(ttft(ok), PERCENTILES),
      restoredTtftMs: restoredRuns.length ? distribution(ttft(restoredRuns), PERCENTILES) : undefined,
      coldTtftMs: coldRuns.length ? distribution(ttft(coldRuns), PERCENTILES) : undefined,
      phaseMeansMs: { restored: means(restoredRuns), cold: means(coldRuns) },
    },
    modalStats,
    rouse: { version, node: process.version },
    runs,
  };
}

function statsLine(r: ColdStartResult): string {
  if ("unavailable" in r.modalStats)
    return `Modal's own count of containers started: unavailable (${r.modalStats.unavailable})`;
  const n = r.modalStats.containersStarted;
  const short =
    n < r.summary.succeeded
      ? ` — fewer than the ${r.summary.succeeded} cold starts measured: Modal's stats may lag, or some runs were not cold`
      : "";
  return `Modal's own count: ${n} container(s) started since ${r.modalStats.since}${short}`;
}

const ms = (v: number | undefined) =>
  v === undefined ? "-" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`;

export function coldstartTable(r: ColdStartResult): string {
  const lines = [
    `${"run".padEnd(5)}${"TTFT".padStart(10)}${"restored".padStart(10)}${"in container".padStart(14)}${"outside".padStart(10)}  flags`,
  ];
  for (const run of r.runs) {
    const inside = run.phases.reduce((a, p) => a + p.ms, 0);
    lines.push(
      `${String(run.run).padEnd(5)}${ms(run.ttftMs).padStart(10)}${(run.restored === undefined ? "?" : run.restored ? "yes" : "NO").padStart(10)}${(run.phases.length ? ms(inside) : "-").padStart(14)}${ms(run.outsideMs).padStart(10)}  ${run.flags.join("; ")}`,
    );
  }
  const s = r.summary;
  const d = s.ttftMs;
  lines.push(
    "",
    `cold-start TTFT over ${s.succeeded} run(s): median ${ms(d.median)}, mean ${ms(d.mean)}, p90 ${ms(d.percentiles["90"])}, max ${ms(Math.max(...r.runs.map((x) => x.ttftMs ?? 0)))}`,
    `restored from a snapshot: ${s.restored}/${s.succeeded}${s.notRestored.length ? ` — NOT restored: run ${s.notRestored.join(", ")}` : ""}${s.unknownRestore.length ? ` — unknown: run ${s.unknownRestore.join(", ")}` : ""}${s.failed ? ` — ${s.failed} failed` : ""}`,
  );
  lines.push(statsLine(r));
  for (const kind of ["restored", "cold"] as const) {
    const entries = Object.entries(s.phaseMeansMs[kind]);
    if (!entries.length) continue;
    lines.push(
      `mean phases of ${kind === "restored" ? "restored containers" : "cold-booted containers"} (container clock):`,
    );
    for (const [name, v] of entries) lines.push(`  ${name.padEnd(42)}${ms(v).padStart(10)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function coldstartHtml(r: ColdStartResult): string {
  const s = r.summary;
  const classes = new Map<string, string>();
  const cls = (name: string) => {
    if (!classes.has(name)) classes.set(name, `p${(classes.size + 1) % 9}`);
    return classes.get(name)!;
  };
  const rows = r.runs.map((run) => ({
    label: `run ${run.run}`,
    segments: [
      ...(run.outsideMs !== undefined
        ? [
            {
              name: "outside the container (schedule, start, restore I/O, request)",
              ms: run.outsideMs,
              className: "p0",
            },
          ]
        : []),
      ...run.phases.map((p) => ({ name: p.name, ms: p.ms, className: cls(p.name) })),
      ...(run.phases.length === 0 && run.ttftMs !== undefined
        ? [{ name: "TTFT (no boot report)", ms: run.ttftMs, className: "p8" }]
        : []),
    ],
    flag: run.error
      ? "failed"
      : run.restored === false
        ? "NOT RESTORED"
        : run.restored === undefined
          ? "restore unknown"
          : undefined,
  }));
  const flagged = r.runs.filter((x) => x.flags.length);
  const body = `
<h1>rouse bench coldstart</h1>
<p class="sub"><code>${esc(r.app)}</code> · <code>${esc(r.model)}</code> at <code>${esc(r.url)}</code> · ${esc(r.startedAt)}<br>
${r.config.runs} runs: every container stopped (<code>modal container stop</code>), then one streamed request timed from send to first token.</p>
${s.notRestored.length ? `<div class="warn"><span class="bad">Run ${s.notRestored.join(", ")} did not restore from a snapshot</span> — those containers booted from scratch (the first cold starts after a deploy create the snapshot).</div>` : ""}
${s.failed ? `<div class="warn"><span class="bad">${s.failed} run(s) failed.</span></div>` : ""}
<div class="cards">
${card("Median cold-start TTFT", ms(s.ttftMs.median))}
${card("P90 cold-start TTFT", ms(s.ttftMs.percentiles["90"]))}
${card("Restored from snapshot", `${s.restored}/${s.succeeded}`)}
${s.restoredTtftMs ? card("Median TTFT, restored", ms(s.restoredTtftMs.median)) : ""}
${s.coldTtftMs ? card("Median TTFT, booted cold", ms(s.coldTtftMs.median)) : ""}
</div>
<h2>Where each cold start went</h2>
<div class="panel">${stackedBars(rows, { label: "cold start phases per run", xLabel: "ms from request to first token" })}${legendHtml(
    [...new Map(rows.flatMap((row) => row.segments.map((seg) => [seg.name, seg.className] as const)))].map(
      ([name, className]) => ({ name, className }),
    ),
  )}</div>
<h2>Distribution</h2>
<div class="grid2"><div class="panel"><h3>Cold-start TTFT</h3>${histogramCdf(
    r.runs.filter((x) => x.ttftMs !== undefined).map((x) => x.ttftMs!),
    {
      label: "cold-start TTFT",
      unit: "ms",
      markers: { p50: s.ttftMs.median },
      bins: Math.max(5, Math.min(20, r.runs.length)),
    },
  )}</div>
<div class="panel"><h3>Mean phase durations (container clock)</h3>${(["restored", "cold"] as const)
    .filter((kind) => Object.keys(s.phaseMeansMs[kind]).length)
    .map(
      (kind) =>
        `<table style="margin-bottom:10px"><tr><th>${kind === "restored" ? "restored from a snapshot" : "booted cold"}</th><th>mean</th></tr>${Object.entries(
          s.phaseMeansMs[kind],
        )
          .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${ms(v)}</td></tr>`)
          .join("")}</table>`,
    )
    .join("")}</div></div>
<h2>Runs</h2>
<table><tr><th>run</th><th>sent</th><th>TTFT</th><th>headers</th><th>restored</th><th>new container</th><th>stopped first</th><th>flags</th></tr>
${r.runs
  .map(
    (x) =>
      `<tr><td>${x.run}</td><td>${esc(x.requestAt.slice(11, 19))}</td><td>${ms(x.ttftMs)}</td><td>${ms(x.headersMs)}</td><td class="${x.restored === false ? "bad" : x.restored ? "ok" : ""}">${x.restored === undefined ? "?" : x.restored ? "yes" : "NO"}</td><td>${esc(x.newContainers.join(", ") || "-")}</td><td>${x.stoppedContainers.length}</td><td style="text-align:left">${esc(x.flags.join("; "))}</td></tr>`,
  )
  .join("")}</table>
<p>${esc(statsLine(r))}.</p>
${flagged.length ? "" : `<p class="ok">Every run was a verified cold start (a new container appeared) restored from a snapshot.</p>`}
<footer>In-container phases come from the app's boot report (<code>ROUSE_BOOT_REPORT</code>, <code>/rouse/boot</code>), on the container's clock; "outside the container" is TTFT minus those phases, so no two clocks are compared.
Raw per-run data is in the JSON next to this file. rouse ${esc(r.rouse.version)}, Node ${esc(r.rouse.node)}.</footer>`;
  return page(`rouse bench coldstart · ${r.app}`, body);
}
