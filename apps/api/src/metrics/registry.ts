// A small Prometheus text-exposition registry (format 0.0.4): counters, gauges and
// histograms with labels. No dependencies; label sets are keyed by their joined
// values so the hot path is one Map lookup and an add.

type LabelValues = readonly string[];

interface Metric {
  readonly name: string;
  render(out: string[]): void;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}

const SEP = "\u0001";

abstract class Labelled<S> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { values: LabelValues; state: S }>();
  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }
  protected abstract fresh(): S;
  protected get(values: LabelValues): S {
    const key = values.length === 1 ? values[0]! : values.join(SEP);
    let entry = this.series.get(key);
    if (!entry) {
      if (values.length !== this.labelNames.length) {
        throw new Error(
          `${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`,
        );
      }
      entry = { values: [...values], state: this.fresh() };
      this.series.set(key, entry);
    }
    return entry.state;
  }
  abstract render(out: string[]): void;
}

export class Counter extends Labelled<{ v: number }> {
  protected fresh() {
    return { v: 0 };
  }
  inc(values: LabelValues = [], by = 1): void {
    this.get(values).v += by;
  }
  value(values: LabelValues = []): number {
    return this.get(values).v;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const { values, state } of this.series.values()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${formatNumber(state.v)}`);
    }
  }
}

export class Gauge extends Labelled<{ v: number }> {
  protected fresh() {
    return { v: 0 };
  }
  set(values: LabelValues, v: number): void {
    this.get(values).v = v;
  }
  inc(values: LabelValues = [], by = 1): void {
    this.get(values).v += by;
  }
  dec(values: LabelValues = [], by = 1): void {
    this.get(values).v -= by;
  }
  value(values: LabelValues = []): number {
    return this.get(values).v;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const { values, state } of this.series.values()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${formatNumber(state.v)}`);
    }
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Labelled<HistogramState> {
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  protected fresh(): HistogramState {
    return { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
  }
  observe(values: LabelValues, v: number): void {
    const s = this.get(values);
    s.sum += v;
    s.count++;
    // Non-cumulative per bucket; made cumulative when rendered.
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        s.counts[i]!++;
        return;
      }
    }
  }
  snapshot(values: LabelValues): { count: number; sum: number } {
    const s = this.get(values);
    return { count: s.count, sum: s.sum };
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const { values, state } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += state.counts[i]!;
        const le = `le="${formatNumber(this.buckets[i]!)}"`;
        out.push(`${this.name}_bucket${labelText(this.labelNames, values, le)} ${cumulative}`);
      }
      out.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${state.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatNumber(state.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${state.count}`);
    }
  }
}

/** Holds metrics and renders them in the Prometheus text format. */
export class Registry {
  readonly #metrics: Metric[] = [];
  readonly #collectors: (() => void)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }
  /** Runs before each render, to refresh gauges sampled from elsewhere. */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }
  render(): string {
    for (const fn of this.#collectors) fn();
    const out: string[] = [];
    for (const m of this.#metrics) m.render(out);
    return `${out.join("\n")}\n`;
  }
  #add<M extends Metric>(m: M): M {
    if (this.#metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.#metrics.push(m);
    return m;
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
