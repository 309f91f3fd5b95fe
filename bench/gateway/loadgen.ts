// Load generator, run as its own process so it does not share an event loop with
// what it measures. Loopback only, bounded in count and time.
//   node bench/gateway/loadgen.ts '{"url":"http://127.0.0.1:9002/v1/chat/completions","mode":"rate","rate":1000,...}'
// Prints one JSON result line.
import { Pool } from "./undici.ts";

interface Spec {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** `closed`: `concurrency` workers back to back (max throughput); `rate`: open loop at `rate` req/s. */
  readonly mode: "closed" | "rate";
  readonly concurrency: number;
  readonly rate?: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Hard cap on requests sent. */
  readonly maxRequests: number;
  readonly timeoutMs: number;
}

interface Sample {
  ttft: number;
  e2e: number;
  perToken: number | undefined;
  ok: boolean;
}

const spec = JSON.parse(process.argv[2]!) as Spec;
const u = new URL(spec.url);
if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname))
  throw new Error("loadgen targets loopback only");
const pool = new Pool(u.origin, { connections: spec.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
const body = Buffer.from(spec.body);
const headers = { "content-type": "application/json", ...spec.headers };
const DATA = Buffer.from("data: ");

function countEvents(chunk: Buffer): number {
  let n = 0;
  let i = chunk.indexOf(DATA);
  while (i !== -1) {
    n++;
    i = chunk.indexOf(DATA, i + 6);
  }
  return n;
}

function one(): Promise<Sample> {
  const t0 = performance.now();
  return new Promise<Sample>((resolve) => {
    pool
      .request({
        path: u.pathname,
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(spec.timeoutMs),
      })
      .then(({ statusCode, body: res }) => {
        let first = 0;
        let last = 0;
        let eventsAfterFirst = 0;
        res.on("data", (chunk: Buffer) => {
          const t = performance.now();
          if (first === 0) first = t;
          else eventsAfterFirst += countEvents(chunk);
          last = t;
        });
        res.on("end", () => {
          const end = performance.now();
          resolve({
            ttft: (first || end) - t0,
            e2e: end - t0,
            perToken: eventsAfterFirst > 1 ? (last - first) / eventsAfterFirst : undefined,
            ok: statusCode === 200,
          });
        });
        res.on("error", () =>
          resolve({ ttft: 0, e2e: performance.now() - t0, perToken: undefined, ok: false }),
        );
      })
      .catch(() => resolve({ ttft: 0, e2e: performance.now() - t0, perToken: undefined, ok: false }));
  });
}

const samples: Sample[] = [];
let errors = 0;
let sent = 0;
let dropped = 0;
const start = performance.now();
const measureFrom = start + spec.warmupMs;
const stopAt = measureFrom + spec.durationMs;
let measuredDone = 0;

function record(s: Sample, startedAt: number) {
  if (startedAt < measureFrom) return;
  if (!s.ok) errors++;
  else samples.push(s);
  measuredDone++;
}

async function closedLoop() {
  const worker = async () => {
    while (performance.now() < stopAt && sent < spec.maxRequests) {
      sent++;
      const t = performance.now();
      record(await one(), t);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
}

async function openLoop() {
  const rate = spec.rate!;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= stopAt || sent >= spec.maxRequests) return resolve();
      const due = Math.floor(((now - start) * rate) / 1000) - sent - dropped;
      for (let i = 0; i < due; i++) {
        if (inFlight >= spec.concurrency) {
          dropped++;
          continue;
        }
        sent++;
        inFlight++;
        const t = performance.now();
        const p = one().then((s) => {
          inFlight--;
          record(s, t);
          pending.delete(p);
        });
        pending.add(p);
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
}

function pct(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[idx]! * 1000) / 1000;
}

await (spec.mode === "closed" ? closedLoop() : openLoop());
const elapsed = (Math.min(performance.now(), stopAt) - measureFrom) / 1000;
const ttft = samples.map((s) => s.ttft);
const e2e = samples.map((s) => s.e2e);
const perToken = samples.flatMap((s) => (s.perToken === undefined ? [] : [s.perToken]));
process.stdout.write(
  `${JSON.stringify({
    requests: measuredDone,
    ok: samples.length,
    errors,
    droppedAtClient: dropped,
    /** Every request sent, warm-up included (CPU per request divides by this). */
    sent,
    rps: Math.round((samples.length / elapsed) * 10) / 10,
    ttftMs: { p50: pct(ttft, 50), p90: pct(ttft, 90), p99: pct(ttft, 99) },
    perTokenMs: { p50: pct(perToken, 50), p99: pct(perToken, 99) },
    e2eMs: { p50: pct(e2e, 50), p99: pct(e2e, 99) },
  })}\n`,
);
await pool.close();
process.exit(0);
