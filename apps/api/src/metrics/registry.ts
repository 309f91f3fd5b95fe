import * as prom from "prom-client";

// The gateway's metrics on prom-client (text format, process metrics), behind a
// small array-of-values API: label values are positional, and each label set's
// child is cached so the hot path is one Map lookup and an add. Callers must only
// pass label values from bounded sets (configured names, fixed outcomes); this
// module does not cap series on its own.

type LabelValues = readonly string[];
const SEP = "\u0001";

abstract class Labelled<C> {
  readonly name: string;
  readonly labelNames: readonly string[];
  readonly #children = new Map<string, C>();
  constructor(name: string, labelNames: readonly string[]) {
    this.name = name;
    this.labelNames = labelNames;
  }
  protected abstract child(values: string[]): C;
  protected get(values: LabelValues): C {
    const key = values.length === 1 ? values[0]! : values.join(SEP);
    let c = this.#children.get(key);
    if (!c) {
      if (values.length !== this.labelNames.length) {
        throw new Error(
          `${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`,
        );
      }
      c = this.child([...values]);
      this.#children.set(key, c);
    }
    return c;
  }
}

export class Counter extends Labelled<prom.Counter.Internal> {
  readonly metric: prom.Counter<string>;
  constructor(registry: prom.Registry, name: string, help: string, labelNames: readonly string[]) {
    super(name, labelNames);
    this.metric = new prom.Counter({ name, help, labelNames, registers: [registry] });
  }
  protected child(values: string[]) {
    return this.metric.labels(...values);
  }
  inc(values: LabelValues = [], by = 1): void {
    this.get(values).inc(by);
  }
}

export class Gauge extends Labelled<prom.Gauge.Internal<string>> {
  readonly metric: prom.Gauge<string>;
  constructor(registry: prom.Registry, name: string, help: string, labelNames: readonly string[]) {
    super(name, labelNames);
    this.metric = new prom.Gauge({ name, help, labelNames, registers: [registry] });
  }
  protected child(values: string[]) {
    return this.metric.labels(...values);
  }
  set(values: LabelValues, v: number): void {
    this.get(values).set(v);
  }
  inc(values: LabelValues = [], by = 1): void {
    this.get(values).inc(by);
  }
  dec(values: LabelValues = [], by = 1): void {
    this.get(values).dec(by);
  }
}

export class Histogram extends Labelled<prom.Histogram.Internal<string>> {
  readonly metric: prom.Histogram<string>;
  constructor(
    registry: prom.Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    super(name, labelNames);
    this.metric = new prom.Histogram({
      name,
      help,
      labelNames,
      buckets: [...buckets],
      registers: [registry],
    });
  }
  protected child(values: string[]) {
    return this.metric.labels(...values);
  }
  observe(values: LabelValues, v: number): void {
    this.get(values).observe(v);
  }
}

/** A prom-client registry (with Node process metrics) and gauges refreshed at scrape time. */
export class Registry {
  readonly prom = new prom.Registry();
  readonly #collectors: (() => void)[] = [];

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) prom.collectDefaultMetrics({ register: this.prom });
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return new Counter(this.prom, name, help, labelNames);
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return new Gauge(this.prom, name, help, labelNames);
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return new Histogram(this.prom, name, help, labelNames, buckets);
  }
  /** Runs before each scrape, to refresh gauges sampled from elsewhere. */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }
  async render(): Promise<string> {
    for (const fn of this.#collectors) fn();
    return this.prom.metrics();
  }
}

export const PROMETHEUS_CONTENT_TYPE = prom.Registry.PROMETHEUS_CONTENT_TYPE;
