// Small inline-SVG charts for the self-contained HTML reports: no scripts, no
// external assets, readable when printed. Every chart takes plain numbers.

export const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const W = 640;
const H = 260;
const M = { top: 30, right: 56, bottom: 40, left: 58 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Round, readable axis ticks within [lo, hi]; with `cover`, one more so the last is ≥ hi (for value axes). */
export function ticks(lo: number, hi: number, count = 5, cover = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  if (cover && out[out.length - 1]! < hi - step * 1e-9)
    out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 10_000) return `${(v / 1000).toFixed(a >= 100_000 ? 0 : 1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1).replace(/\.0$/, "");
  if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, "");
  return v.toPrecision(2);
}

function frame(
  inner: string,
  label: string,
  xLabel: string,
  yLabel: string,
  y2Label?: string,
  height = H,
): string {
  return `<svg viewBox="0 0 ${W} ${height}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg" class="chart">
<g transform="translate(${M.left},${M.top})">${inner}</g>
<text x="${M.left + PW / 2}" y="${M.top + PH + 34}" class="axis-label" text-anchor="middle">${esc(xLabel)}</text>
<text transform="translate(14,${M.top + PH / 2}) rotate(-90)" class="axis-label" text-anchor="middle">${esc(yLabel)}</text>
${y2Label ? `<text transform="translate(${W - 10},${M.top + PH / 2}) rotate(90)" class="axis-label" text-anchor="middle">${esc(y2Label)}</text>` : ""}
</svg>`;
}

function xAxis(xs: number[], x: (v: number) => number): string {
  return xs
    .map(
      (v) =>
        `<line x1="${x(v)}" x2="${x(v)}" y1="${PH}" y2="${PH + 4}" class="tick"/><text x="${x(v)}" y="${PH + 16}" text-anchor="middle" class="tick-label">${fmt(v)}</text>`,
    )
    .join("");
}

function yAxis(ys: number[], y: (v: number) => number, right = false, suffix = ""): string {
  return ys
    .map((v) =>
      right
        ? `<text x="${PW + 6}" y="${y(v) + 4}" class="tick-label">${fmt(v)}${suffix}</text>`
        : `<line x1="0" x2="${PW}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="-6" y="${y(v) + 4}" text-anchor="end" class="tick-label">${fmt(v)}${suffix}</text>`,
    )
    .join("");
}

const noData = (label: string) =>
  frame(`<text x="${PW / 2}" y="${PH / 2}" text-anchor="middle" class="muted">no data</text>`, label, "", "");

/**
 * Histogram of `values` with its empirical CDF drawn over it (right axis, %), and
 * dashed markers at the given percentiles.
 */
export function histogramCdf(
  values: readonly number[],
  options: { label: string; unit: string; markers?: Readonly<Record<string, number>>; bins?: number },
): string {
  if (values.length === 0) return noData(options.label);
  const sorted = [...values].sort((a, b) => a - b);
  // Zoom to the data (with a margin): latencies cluster far from 0.
  const span = sorted[sorted.length - 1]! - sorted[0]!;
  const pad = span > 0 ? span * 0.05 : Math.max(1, Math.abs(sorted[0]!) * 0.05);
  const lo = Math.max(0, sorted[0]! - pad);
  const hi = sorted[sorted.length - 1]! + pad;
  const bins = options.bins ?? Math.max(8, Math.min(40, Math.ceil(Math.sqrt(values.length) * 2)));
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of sorted) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const maxCount = Math.max(...counts);
  const x = (v: number) => ((v - lo) / (hi - lo)) * PW;
  const yTicks = ticks(0, maxCount, 4, true);
  const yMax = Math.max(maxCount, yTicks[yTicks.length - 1]!);
  const y = (c: number) => PH - (c / yMax) * PH;
  const bars = counts
    .map((c, i) => {
      const x0 = x(lo + i * width);
      const bw = Math.max(1, x(lo + (i + 1) * width) - x0 - 1);
      return c
        ? `<rect x="${x0.toFixed(1)}" y="${y(c).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PH - y(c)).toFixed(1)}" class="bar"><title>${fmt(lo + i * width)}–${fmt(lo + (i + 1) * width)} ${options.unit}: ${c}</title></rect>`
        : "";
    })
    .join("");
  const cdfY = (p: number) => PH - p * PH;
  const step = Math.max(1, Math.floor(sorted.length / 400));
  const pts: string[] = [`${x(sorted[0]!).toFixed(1)},${PH}`];
  for (let i = 0; i < sorted.length; i += step)
    pts.push(`${x(sorted[i]!).toFixed(1)},${cdfY((i + 1) / sorted.length).toFixed(1)}`);
  pts.push(`${x(sorted[sorted.length - 1]!).toFixed(1)},${cdfY(1)}`);
  const markers = Object.entries(options.markers ?? {})
    .map(([name, v], i) => {
      // Labels above the plot, alternating rows so close markers stay readable.
      const right = x(v) > PW * 0.8;
      return `<line x1="${x(v)}" x2="${x(v)}" y1="0" y2="${PH}" class="marker"/><text x="${right ? x(v) - 3 : x(v) + 3}" y="${i % 2 ? -4 : -15}" text-anchor="${right ? "end" : "start"}" class="marker-label">${esc(name)} ${fmt(v)}</text>`;
    })
    .join("");
  const inner = `${yAxis(yTicks, y)}${yAxis(
    [0, 0.25, 0.5, 0.75, 1].map((p) => p * 100),
    (p) => cdfY(p / 100),
    true,
    "%",
  )}${bars}
<polyline points="${pts.join(" ")}" class="cdf"/>${markers}
<line x1="0" x2="${PW}" y1="${PH}" y2="${PH}" class="axis"/>${xAxis(ticks(lo, hi), x)}`;
  return frame(inner, options.label, `${options.label} (${options.unit})`, "requests", "cumulative");
}

export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Drawn against the right axis. */
  readonly right?: boolean;
  readonly className: string;
  readonly area?: boolean;
}

/** Lines (and optional filled areas) over a shared x axis; up to two y axes. */
export function lineChart(
  series: readonly Series[],
  options: { label: string; xLabel: string; yLabel: string; y2Label?: string },
): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return noData(options.label);
  const xMax = Math.max(...all.map((p) => p[0]), 1e-9);
  const x = (v: number) => (v / xMax) * PW;
  const axisFor = (right: boolean) => {
    const vs = series.filter((s) => Boolean(s.right) === right).flatMap((s) => s.points.map((p) => p[1]));
    const t = ticks(0, Math.max(...vs, 1e-9), 4, true);
    const max = Math.max(t[t.length - 1]!, 1e-9);
    return { t, y: (v: number) => PH - (v / max) * PH };
  };
  const left = axisFor(false);
  const right = series.some((s) => s.right) ? axisFor(true) : undefined;
  const paths = series
    .map((s) => {
      const y = s.right && right ? right.y : left.y;
      const pts = s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`);
      const area =
        s.area && pts.length
          ? `<polygon points="${x(s.points[0]![0]).toFixed(1)},${PH} ${pts.join(" ")} ${x(s.points[s.points.length - 1]![0]).toFixed(1)},${PH}" class="${s.className} area"/>`
          : "";
      return `${area}<polyline points="${pts.join(" ")}" class="${s.className} line"/>`;
    })
    .join("");
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${8 + i * 170},-4)"><rect width="10" height="10" y="-9" class="${s.className} swatch"/><text x="14" class="legend">${esc(s.name)}</text></g>`,
    )
    .join("");
  const inner = `${yAxis(left.t, left.y)}${right ? yAxis(right.t, right.y, true) : ""}${paths}<line x1="0" x2="${PW}" y1="${PH}" y2="${PH}" class="axis"/>${xAxis(ticks(0, xMax), x)}<g transform="translate(0,-8)">${legend}</g>`;
  return frame(inner, options.label, options.xLabel, options.yLabel, options.y2Label);
}

export interface Span {
  readonly start: number;
  readonly mid: number | undefined;
  readonly end: number;
  readonly failed: boolean;
  readonly title: string;
}

/** One row per request: waiting for the first token, then generating; failures in red. */
export function timeline(spans: readonly Span[], options: { label: string; xLabel: string }): string {
  if (spans.length === 0) return noData(options.label);
  const shown = spans.length > 400 ? spans.filter((_, i) => i % Math.ceil(spans.length / 400) === 0) : spans;
  const xMax = Math.max(...shown.map((s) => s.end), 1e-9);
  const x = (v: number) => (v / xMax) * PW;
  const rowH = PH / shown.length;
  const rows = shown
    .map((s, i) => {
      const y = (i * rowH).toFixed(2);
      const h = Math.max(0.6, rowH * 0.8).toFixed(2);
      if (s.failed)
        return `<rect x="${x(s.start).toFixed(1)}" y="${y}" width="${Math.max(1, x(s.end) - x(s.start)).toFixed(1)}" height="${h}" class="failed"><title>${esc(s.title)}</title></rect>`;
      const mid = s.mid ?? s.end;
      return `<g><title>${esc(s.title)}</title><rect x="${x(s.start).toFixed(1)}" y="${y}" width="${Math.max(0.5, x(mid) - x(s.start)).toFixed(1)}" height="${h}" class="wait"/><rect x="${x(mid).toFixed(1)}" y="${y}" width="${Math.max(0.5, x(s.end) - x(mid)).toFixed(1)}" height="${h}" class="gen"/></g>`;
    })
    .join("");
  const legend = `<g transform="translate(8,-4)"><rect width="10" height="10" y="-9" class="wait"/><text x="14" class="legend">waiting for the first token</text></g><g transform="translate(200,-4)"><rect width="10" height="10" y="-9" class="gen"/><text x="14" class="legend">generating</text></g><g transform="translate(320,-4)"><rect width="10" height="10" y="-9" class="failed"/><text x="14" class="legend">failed</text></g>`;
  const inner = `${rows}<line x1="0" x2="${PW}" y1="${PH}" y2="${PH}" class="axis"/>${xAxis(ticks(0, xMax), x)}<g transform="translate(0,-8)">${legend}</g>`;
  return frame(
    inner,
    options.label,
    options.xLabel,
    `requests (${shown.length}${shown.length < spans.length ? ` of ${spans.length}` : ""})`,
  );
}

export interface StackRow {
  readonly label: string;
  readonly segments: ReadonlyArray<{
    readonly name: string;
    readonly ms: number;
    readonly className: string;
  }>;
  readonly flag?: string | undefined;
}

/** Horizontal stacked bars, one per row (cold-start phases per run), full panel width; legend: `legendHtml`. */
export function stackedBars(rows: readonly StackRow[], options: { label: string; xLabel: string }): string {
  if (rows.length === 0) return noData(options.label);
  const width = 960;
  const m = { top: 10, right: 120, bottom: 44, left: 64 };
  const pw = width - m.left - m.right;
  const rowH = 26;
  const ph = rows.length * rowH;
  const totals = rows.map((r) => r.segments.reduce((a, s) => a + s.ms, 0));
  const ts = ticks(0, Math.max(...totals, 1e-9), 5, true);
  const max = Math.max(ts[ts.length - 1]!, 1e-9);
  const x = (v: number) => (v / max) * pw;
  const bars = rows
    .map((r, i) => {
      let at = 0;
      const y = i * rowH;
      const segs = r.segments
        .map((s) => {
          const el = `<rect x="${x(at).toFixed(1)}" y="${(y + 3).toFixed(1)}" width="${Math.max(0.5, x(s.ms)).toFixed(1)}" height="${rowH - 6}" class="${s.className}"><title>${esc(`${r.label} · ${s.name}: ${fmt(s.ms)} ms`)}</title></rect>`;
          at += s.ms;
          return el;
        })
        .join("");
      return `<text x="-8" y="${y + rowH / 2 + 4}" text-anchor="end" class="tick-label">${esc(r.label)}</text>${segs}${r.flag ? `<text x="${(x(at) + 6).toFixed(1)}" y="${y + rowH / 2 + 4}" class="flag">${esc(r.flag)}</text>` : ""}`;
    })
    .join("");
  const axis = ts
    .map(
      (v) =>
        `<line x1="${x(v)}" x2="${x(v)}" y1="0" y2="${ph}" class="grid"/><text x="${x(v)}" y="${ph + 16}" text-anchor="middle" class="tick-label">${fmt(v)}</text>`,
    )
    .join("");
  const height = m.top + ph + m.bottom;
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.label)}" xmlns="http://www.w3.org/2000/svg" class="chart">
<g transform="translate(${m.left},${m.top})">${axis}${bars}</g>
<text x="${m.left + pw / 2}" y="${height - 8}" class="axis-label" text-anchor="middle">${esc(options.xLabel)}</text></svg>`;
}

/** An HTML legend (wraps, unlike SVG text) for classes used in a chart. */
export function legendHtml(
  items: ReadonlyArray<{ readonly name: string; readonly className: string }>,
): string {
  return `<div class="legend-html">${items.map((i) => `<span><i class="sw ${i.className}"></i>${esc(i.name)}</span>`).join("")}</div>`;
}

export const CHART_CSS = `
.chart{width:100%;height:auto;font:11px system-ui,-apple-system,"Segoe UI",sans-serif;overflow:visible}
.chart .grid{stroke:#e6e8ef}.chart .axis{stroke:#8a90a2}.chart .tick{stroke:#8a90a2}
.chart .tick-label,.chart .legend{fill:#4a5064}.chart .axis-label{fill:#4a5064;font-size:11.5px}
.chart .muted{fill:#8a90a2}.chart .bar{fill:#7aa2f7;opacity:.85}.chart .bar:hover{opacity:1}
.chart .cdf{fill:none;stroke:#1f2a44;stroke-width:1.6}
.chart .marker{stroke:#e0682b;stroke-dasharray:4 3}.chart .marker-label{fill:#c4541c;font-size:10.5px}
.chart .line{fill:none;stroke-width:1.8}.chart .area{stroke:none;opacity:.18}
.chart .s1{stroke:#3b6fd8;fill:#3b6fd8}.chart .s2{stroke:#e0682b;fill:#e0682b}.chart .s3{stroke:#2f9e6f;fill:#2f9e6f}
.chart .swatch{stroke:none}.chart polyline.line{fill:none}
.chart .wait{fill:#f2b26b}.chart .gen{fill:#5b8def}.chart .failed{fill:#d64545}
.chart .p0{fill:#9aa5c4}.chart .p1{fill:#f2b26b}.chart .p2{fill:#e0682b}.chart .p3{fill:#b54fd6}.chart .p4{fill:#5b8def}.chart .p5{fill:#2f9e6f}.chart .p6{fill:#1f2a44}.chart .p7{fill:#c9a227}.chart .p8{fill:#7a7f91}
.chart .flag{fill:#d64545;font-weight:600;font-size:10.5px}
.legend-html{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:#4a5064;margin:2px 0 8px}.legend-html span{display:inline-flex;align-items:center;gap:6px}
.legend-html .sw{display:inline-block;width:11px;height:11px;border-radius:2px}
.sw.p0{background:#9aa5c4}.sw.p1{background:#f2b26b}.sw.p2{background:#e0682b}.sw.p3{background:#b54fd6}.sw.p4{background:#5b8def}.sw.p5{background:#2f9e6f}.sw.p6{background:#1f2a44}.sw.p7{background:#c9a227}.sw.p8{background:#7a7f91}
`;
