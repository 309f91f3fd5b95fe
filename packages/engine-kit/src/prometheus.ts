import type { HistogramV1 } from "@rouse/engine-spec";

// The Prometheus text exposition format (what vLLM's and SGLang's /metrics
// serve), reduced to samples. Comments (# HELP / # TYPE) carry nothing we need.

export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;

function parseValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  return Number(text);
}

/** Label block `{a="x",b="y\"z"}` starting at `start`; returns the labels and the index after `}`. */
function parseLabels(
  line: string,
  start: number,
): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === " " || line[i] === ",") i++;
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i));
    if (!name) return undefined;
    i += name[0].length;
    while (line[i] === " ") i++;
    if (line[i] !== "=" || line[i + 1] !== '"') return undefined;
    i += 2;
    let value = "";
    for (; i < line.length && line[i] !== '"'; i++) {
      if (line[i] === "\\") {
        i++;
        value += line[i] === "n" ? "\n" : (line[i] ?? "");
      } else {
        value += line[i];
      }
    }
    if (line[i] !== '"') return undefined;
    i++;
    labels[name[0]] = value;
  }
}

/** Every sample in a /metrics body; malformed lines are skipped, not fatal (engines add new series freely). */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const name = NAME.exec(line);
    if (!name) continue;
    let rest = name[0].length;
    let labels: Record<string, string> = {};
    if (line[rest] === "{") {
      const parsed = parseLabels(line, rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.end;
    }
    const [valueText] = line.slice(rest).trim().split(/\s+/);
    if (!valueText) continue;
    const value = parseValue(valueText);
    if (Number.isNaN(value) && valueText !== "NaN") continue;
    samples.push({ name: name[0], labels, value });
  }
  return samples;
}

/** `name{a="x",b="y"}` — the key EngineMetricsV1.samples uses. */
export function sampleKey(sample: PrometheusSample): string {
  const entries = Object.entries(sample.labels);
  if (entries.length === 0) return sample.name;
  return `${sample.name}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}

/** Sum of every series of the first metric name that is present (engines rename metrics across versions). */
export function sumOf(samples: readonly PrometheusSample[], names: readonly string[]): number | undefined {
  for (const name of names) {
    const found = samples.filter((s) => s.name === name);
    if (found.length > 0) return found.reduce((total, s) => total + s.value, 0);
  }
  return undefined;
}

/** Largest value over every series of the first name present (e.g. the fullest engine's KV cache). */
export function maxOf(samples: readonly PrometheusSample[], names: readonly string[]): number | undefined {
  for (const name of names) {
    const found = samples.filter((s) => s.name === name);
    if (found.length > 0) return Math.max(...found.map((s) => s.value));
  }
  return undefined;
}

/** A histogram `base` (`base_bucket`, `base_sum`, `base_count`), summed over label sets. */
export function histogramOf(
  samples: readonly PrometheusSample[],
  names: readonly string[],
): HistogramV1 | undefined {
  for (const base of names) {
    const buckets = samples.filter((s) => s.name === `${base}_bucket` && s.labels.le !== undefined);
    if (buckets.length === 0) continue;
    const byLe = new Map<number, number>();
    for (const b of buckets) {
      const le = parseValue(b.labels.le!);
      byLe.set(le, (byLe.get(le) ?? 0) + b.value);
    }
    return {
      buckets: [...byLe.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })),
      sum: sumOf(samples, [`${base}_sum`]) ?? 0,
      count: sumOf(samples, [`${base}_count`]) ?? 0,
    };
  }
  return undefined;
}

/** Which metric names an engine uses for the numbers every engine reports; first present wins. */
export interface MetricNames {
  readonly runningRequests: readonly string[];
  readonly waitingRequests: readonly string[];
  readonly kvCacheUsage: readonly string[];
  readonly timeToFirstToken: readonly string[];
}
