import type { Distribution } from "./stats.ts";
import { computeMetrics, type ServingMetrics, type Slo } from "./metrics.ts";
import { type LoadConfig, type LoadRun, type RawRequest, recordOf } from "./load.ts";
import { CHART_CSS, esc, fmt, histogramCdf, lineChart, timeline } from "./svg.ts";

export const PERCENTILES = [50, 90, 95, 99] as const;

export interface LoadResult {
  readonly kind: "rouse-bench-load";
  readonly version: 1;
  readonly startedAt: string;
  readonly url: string;
  readonly config: LoadConfig & { readonly slo: Slo | undefined };
  /** How token counts were obtained: `usage` (the server's), `approximate`, or `mixed`. */
  readonly tokenCounts: "usage" | "approximate" | "mixed";
  /** Every metric, in ms where a time (vllm bench serve definitions; see metrics.ts). */
  readonly metrics: ServingMetrics;
  readonly errors: Readonly<Record<string, number>>;
  readonly rouse: { readonly version: string; readonly node: string };
  /** Raw per-request timings: everything above is recomputable from these. */
  readonly requests: readonly RawRequest[];
}

export function buildLoadResult(
  url: string,
  config: LoadConfig,
  slo: Slo | undefined,
  run: LoadRun,
  version: string,
): LoadResult {
  const counts = new Set(run.requests.filter((r) => r.success).map((r) => r.tokenCounts));
  const errors: Record<string, number> = {};
  for (const r of run.requests)
    if (!r.success) errors[r.error ?? "unknown"] = (errors[r.error ?? "unknown"] ?? 0) + 1;
  return {
    kind: "rouse-bench-load",
    version: 1,
    startedAt: run.startedAt,
    url,
    config: { ...config, slo },
    tokenCounts: counts.size === 1 ? [...counts][0]! : counts.size === 0 ? "approximate" : "mixed",
    metrics: computeMetrics(run.requests.map(recordOf), run.durationS, {
      ...(slo ? { slo } : {}),
      percentiles: PERCENTILES,
    }),
    errors,
    rouse: { version, node: process.version },
    requests: run.requests,
  };
}

/** Centred in 50 columns, as vLLM's `'{s:{c}^{n}}'.format(...)`. */
const center = (title: string, fill: string, width = 50) => {
  const pad = Math.max(0, width - title.length);
  return `${fill.repeat(Math.floor(pad / 2))}${title}${fill.repeat(Math.ceil(pad / 2))}`;
};
const line = (label: string, value: string) => `${label.padEnd(40)}${value}`;
const n = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

/** The console summary, laid out like `vllm bench serve`'s. */
export function loadTable(r: LoadResult): string {
  const m = r.metrics;
  const approx = r.tokenCounts === "usage" ? "" : ` (${r.tokenCounts})`;
  const dist = (title: string, name: string, d: Distribution) => [
    center(title, "-"),
    line(`Mean ${name} (ms):`, n(d.mean)),
    line(`Median ${name} (ms):`, n(d.median)),
    ...Object.entries(d.percentiles)
      .filter(([p]) => p !== "50")
      .map(([p, v]) => line(`P${p} ${name} (ms):`, n(v))),
  ];
  const rows = [
    center(" Serving Benchmark Result ", "="),
    line("Successful requests:", String(m.completed)),
    line("Failed requests:", String(m.failed)),
    line("Request rate (req/s):", Number.isFinite(r.config.rate) ? String(r.config.rate) : "inf"),
    line("Max concurrency:", r.config.concurrency === undefined ? "-" : String(r.config.concurrency)),
    line("Benchmark duration (s):", n(m.durationS)),
    line(`Total input tokens${approx}:`, String(m.totalInputTokens)),
    line(`Total generated tokens${approx}:`, String(m.totalOutputTokens)),
    line("Request throughput (req/s):", n(m.requestThroughput)),
    ...(m.goodput !== undefined ? [line("Request goodput (req/s):", n(m.goodput))] : []),
    line("Output token throughput (tok/s):", n(m.outputThroughput)),
    line("Total token throughput (tok/s):", n(m.totalTokenThroughput)),
    ...dist("Time to First Token", "TTFT", m.ttftMs),
    ...dist("Time per Output Token (excl. 1st token)", "TPOT", m.tpotMs),
    ...dist("Inter-token Latency", "ITL", m.itlMs),
    ...dist("End-to-end Latency", "E2EL", m.e2elMs),
    "=".repeat(50),
  ];
  return `${rows.join("\n")}\n`;
}

/** Output tokens per second and requests in flight, per time bin (at most about 40 bins). */
export function throughputOverTime(requests: readonly RawRequest[], durationS: number) {
  const durationMs = Math.max(durationS * 1000, 1);
  const candidates = [100, 200, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000];
  const binMs = candidates.find((b) => durationMs / b <= 40) ?? 60_000;
  const bins = Math.max(1, Math.ceil(durationMs / binMs));
  const tokens = new Array<number>(bins).fill(0);
  const completions = new Array<number>(bins).fill(0);
  for (const r of requests) {
    for (const t of r.tokenMs) tokens[Math.min(bins - 1, Math.floor(t / binMs))]!++;
    if (r.success) completions[Math.min(bins - 1, Math.floor(r.endMs / binMs))]!++;
  }
  const inFlight = Array.from({ length: bins }, (_, i) => {
    const mid = (i + 0.5) * binMs;
    return requests.filter((r) => r.sentMs <= mid && r.endMs > mid).length;
  });
  // When a server sends several tokens per chunk, chunks undercount tokens: scale by usage.
  const chunks = requests.reduce((a, r) => a + (r.success ? r.tokenMs.length : 0), 0);
  const outputs = requests.reduce((a, r) => a + (r.success ? r.outputTokens : 0), 0);
  const scale = chunks > 0 ? outputs / chunks : 1;
  return {
    binMs,
    points: tokens.map((c, i) => ({
      tS: ((i + 0.5) * binMs) / 1000,
      outputTokensPerS: (c * scale) / (binMs / 1000),
      completedPerS: completions[i]! / (binMs / 1000),
      inFlight: inFlight[i]!,
    })),
  };
}

export const REPORT_CSS = `
*{box-sizing:border-box}body{margin:0;background:#f6f7fb;color:#1f2a44;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 48px}h1{font-size:22px;margin:0 0 2px}h2{font-size:15px;margin:28px 0 10px;color:#3a4566}
.sub{color:#6b7388;margin:0 0 18px}.sub code{background:#e9ecf5;padding:1px 5px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e3e6ef;border-radius:10px;padding:12px 14px}.card .k{color:#6b7388;font-size:12px}.card .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}.card .u{font-size:12px;color:#6b7388;margin-left:3px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:14px}
.panel{background:#fff;border:1px solid #e3e6ef;border-radius:10px;padding:12px 14px 6px}.panel h3{margin:0 0 4px;font-size:13px;color:#3a4566}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e3e6ef;border-radius:10px;overflow:hidden;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;text-align:right;border-bottom:1px solid #eef0f6}th{background:#f0f2f8;color:#3a4566;font-weight:600}td:first-child,th:first-child{text-align:left}
.warn{background:#fff6e5;border:1px solid #f2d29b;color:#7a5300;border-radius:8px;padding:8px 12px;margin:12px 0}
.bad{color:#c23b3b;font-weight:600}.ok{color:#2f8a5f}footer{margin-top:30px;color:#8a90a2;font-size:12px}
${CHART_CSS}`;

export function card(label: string, value: string, unit = ""): string {
  return `<div class="card"><div class="k">${esc(label)}</div><div class="v">${esc(value)}<span class="u">${esc(unit)}</span></div></div>`;
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${REPORT_CSS}</style></head><body><main>${body}</main></body></html>\n`;
}

function distRow(name: string, d: Distribution): string {
  const cells = [
    d.mean,
    d.median,
    d.percentiles["90"] ?? 0,
    d.percentiles["95"] ?? 0,
    d.percentiles["99"] ?? 0,
    d.std,
  ];
  return `<tr><td>${esc(name)}</td>${cells.map((v) => `<td>${n(v)}</td>`).join("")}</tr>`;
}

/** The self-contained HTML report (inline SVG, no scripts, no network). */
export function loadHtml(r: LoadResult): string {
  const m = r.metrics;
  const ok = r.requests.filter((q) => q.success);
  const records = ok.map(recordOf);
  const markers = (d: Distribution) => ({ p50: d.median, p99: d.percentiles["99"] ?? d.median });
  const series = throughputOverTime(r.requests, m.durationS);
  const rate = Number.isFinite(r.config.rate)
    ? `${r.config.rate} req/s${r.config.burstiness !== 1 ? ` (burstiness ${r.config.burstiness})` : " (Poisson)"}`
    : "all at once";
  const shape = `${r.config.numPrompts} requests · ${rate}${r.config.concurrency !== undefined ? ` · at most ${r.config.concurrency} in flight` : ""} · ~${r.config.inputLen} in / ${r.config.outputLen} out tokens · ${r.config.endpoint} · seed ${r.config.seed}`;
  const warnings: string[] = [];
  if (r.tokenCounts !== "usage")
    warnings.push(
      `Token counts are ${r.tokenCounts}: the server did not report <code>usage</code> for every request, so input tokens are the words sent and output tokens the token-carrying chunks received.`,
    );
  if (m.failed)
    warnings.push(
      `<span class="bad">${m.failed} request(s) failed</span>: ${Object.entries(r.errors)
        .map(([e, c]) => `${esc(e)} (×${c})`)
        .join("; ")}. Failed requests are left out of every metric.`,
    );
  const slo = r.config.slo;
  const body = `
<h1>rouse bench load</h1>
<p class="sub"><code>${esc(r.config.model)}</code> at <code>${esc(r.url)}</code> · ${esc(r.startedAt)}<br>${esc(shape)}</p>
${warnings.map((w) => `<div class="warn">${w}</div>`).join("")}
<div class="cards">
${card("Successful requests", `${m.completed}/${m.completed + m.failed}`)}
${card("Duration", n(m.durationS, 1), "s")}
${card("Request throughput", n(m.requestThroughput), "req/s")}
${card("Output throughput", n(m.outputThroughput, 1), "tok/s")}
${card("Median TTFT", n(m.ttftMs.median, 1), "ms")}
${card("P99 TTFT", n(m.ttftMs.percentiles["99"] ?? 0, 1), "ms")}
${card("Median TPOT", n(m.tpotMs.median, 1), "ms")}
${card("Median E2E latency", n(m.e2elMs.median, 0), "ms")}
${m.goodput !== undefined ? card("Goodput", n(m.goodput), "req/s") : ""}
</div>
<h2>Latency distributions</h2>
<div class="grid2">
<div class="panel"><h3>Time to first token</h3>${histogramCdf(
    records.map((x) => x.ttftMs),
    { label: "TTFT", unit: "ms", markers: markers(m.ttftMs) },
  )}</div>
<div class="panel"><h3>Inter-token latency (all gaps, pooled)</h3>${histogramCdf(
    records.flatMap((x) => x.itlMs),
    { label: "ITL", unit: "ms", markers: markers(m.itlMs) },
  )}</div>
<div class="panel"><h3>End-to-end latency</h3>${histogramCdf(
    records.map((x) => x.latencyMs),
    { label: "E2EL", unit: "ms", markers: markers(m.e2elMs) },
  )}</div>
<div class="panel"><h3>Time per output token (after the first)</h3>${histogramCdf(
    records.filter((x) => x.outputTokens > 1).map((x) => (x.latencyMs - x.ttftMs) / (x.outputTokens - 1)),
    { label: "TPOT", unit: "ms", markers: markers(m.tpotMs) },
  )}</div>
</div>
<h2>Over time</h2>
<div class="grid2">
<div class="panel"><h3>Throughput (bins of ${fmt(series.binMs / 1000)} s)</h3>${lineChart(
    [
      {
        name: "output tokens/s",
        points: series.points.map((p) => [p.tS, p.outputTokensPerS] as const),
        className: "s1",
        area: true,
      },
      {
        name: "requests in flight",
        points: series.points.map((p) => [p.tS, p.inFlight] as const),
        className: "s2",
        right: true,
      },
    ],
    {
      label: "throughput over time",
      xLabel: "time since start (s)",
      yLabel: "output tokens/s",
      y2Label: "in flight",
    },
  )}</div>
<div class="panel"><h3>Every request</h3>${timeline(
    r.requests.map((q) => ({
      start: q.sentMs / 1000,
      mid: q.firstTokenMs === undefined ? undefined : q.firstTokenMs / 1000,
      end: q.endMs / 1000,
      failed: !q.success,
      title: `#${q.index}: ${q.success ? `TTFT ${n((q.firstTokenMs ?? q.sentMs) - q.sentMs, 0)} ms, ${q.outputTokens} tokens in ${n(q.endMs - q.sentMs, 0)} ms` : `failed: ${q.error}`}`,
    })),
    { label: "request timeline", xLabel: "time since start (s)" },
  )}</div>
</div>
<h2>Summary (ms)</h2>
<table><tr><th>metric</th><th>mean</th><th>median</th><th>p90</th><th>p95</th><th>p99</th><th>std</th></tr>
${distRow("TTFT", m.ttftMs)}${distRow("TPOT", m.tpotMs)}${distRow("ITL", m.itlMs)}${distRow("E2EL", m.e2elMs)}</table>
<table style="margin-top:12px"><tr><th>totals</th><th></th></tr>
<tr><td>input tokens${r.tokenCounts === "usage" ? "" : ` (${r.tokenCounts})`}</td><td>${m.totalInputTokens}</td></tr>
<tr><td>output tokens${r.tokenCounts === "usage" ? "" : ` (${r.tokenCounts})`}</td><td>${m.totalOutputTokens}</td></tr>
<tr><td>total token throughput (tok/s)</td><td>${n(m.totalTokenThroughput)}</td></tr>
${
  slo
    ? `<tr><td>goodput SLO</td><td>${esc(
        Object.entries(slo)
          .map(([k, v]) => `${k.replace(/Ms$/, "")} ≤ ${v} ms`)
          .join(", "),
      )}</td></tr>`
    : ""
}
</table>
<footer>Metric definitions follow <code>vllm bench serve</code>: TTFT = first token − request sent; TPOT = (E2EL − TTFT)/(output tokens − 1); ITL = gaps between token chunks, pooled; throughput = totals / duration.
Every number here can be recomputed from the raw per-request timings in the JSON next to this file. rouse ${esc(r.rouse.version)}, Node ${esc(r.rouse.node)}.</footer>`;
  return page(`rouse bench load · ${r.config.model}`, body);
}
