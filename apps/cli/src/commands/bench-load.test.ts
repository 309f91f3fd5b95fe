// rouse bench load against real local servers (the stand-in engine, the gateway), with
// every reported number recomputed here from the raw per-request timings in the JSON,
// by code that shares nothing with the CLI's stats.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrivalOffsetsMs } from "../bench/arrivals.ts";
import type { LoadResult } from "../bench/report.ts";
import { GATEWAY_KEY, gateway, standinEngine, stopAll, rouse, tmp, track } from "../test/processes.ts";
import { startStandinApp } from "../test/standin-app.ts";

afterAll(stopAll);

let fast: { baseUrl: string };
let slow: { baseUrl: string };
beforeAll(async () => {
  fast = await standinEngine(["--token-ms", "4"]);
  slow = await standinEngine(["--token-ms", "40"]);
}, 60_000);

/** numpy.percentile's default (linear) — written out again on purpose. */
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const k = ((s.length - 1) * p) / 100;
  const f = Math.floor(k);
  const c = Math.min(s.length - 1, f + 1);
  return s[f]! + (s[c]! - s[f]!) * (k - f);
}
const avg = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

function files(dir: string) {
  const names = readdirSync(dir);
  const json = names.find((n) => n.endsWith(".json"))!;
  const html = names.find((n) => n.endsWith(".html"));
  return {
    result: JSON.parse(readFileSync(join(dir, json), "utf8")) as LoadResult,
    html: html ? readFileSync(join(dir, html), "utf8") : undefined,
  };
}

describe("rouse bench load", () => {
  it("every metric in the report equals the one recomputed from the same run's raw timings", async () => {
    const out = tmp();
    const r = await rouse(
      [
        "bench",
        "load",
        "--url",
        fast.baseUrl,
        "--num-prompts",
        "40",
        "--rate",
        "40",
        "--input-len",
        "16",
        "--output-len",
        "10",
        "--seed",
        "3",
        "--goodput",
        "ttft:40",
        "tpot:15",
        "--out",
        out,
        "--json",
      ],
      { cwd: tmp() },
    );
    expect(r.code, r.stderr).toBe(0);
    const { result, html } = files(out);
    expect(JSON.parse(r.stdout)).toEqual(result);
    const m = result.metrics;
    const reqs = result.requests;
    expect(reqs).toHaveLength(40);
    expect(reqs.every((q) => q.success)).toBe(true);

    // Token counts are the server's (usage); the stand-in reports 8 prompt tokens, and streams exactly max_tokens.
    expect(result.tokenCounts).toBe("usage");
    expect(reqs.every((q) => q.outputTokens === 10 && q.inputTokens === 8 && q.tokenMs.length === 10)).toBe(
      true,
    );

    // Recompute from raw: TTFT, E2EL, TPOT, ITL (pooled).
    const ttft = reqs.map((q) => q.firstTokenMs! - q.sentMs);
    const e2el = reqs.map((q) => q.endMs - q.sentMs);
    const tpot = reqs.map((q, i) => (e2el[i]! - ttft[i]!) / (q.outputTokens - 1));
    const itl = reqs.flatMap((q) => q.tokenMs.slice(1).map((t, i) => t - q.tokenMs[i]!));
    const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 6);
    for (const [reported, raw] of [
      [m.ttftMs, ttft],
      [m.e2elMs, e2el],
      [m.tpotMs, tpot],
      [m.itlMs, itl],
    ] as const) {
      close(reported.mean, avg(raw));
      close(reported.median, pct(raw, 50));
      for (const p of ["90", "95", "99"]) close(reported.percentiles[p]!, pct(raw, Number(p)));
    }
    expect(m.completed).toBe(40);
    expect(m.totalOutputTokens).toBe(400);
    expect(m.totalInputTokens).toBe(320);
    // The duration covers the run: from before the first send to after the last byte (and not,
    // say, the report's writing; the margin is wide because a loaded CI machine stalls processes).
    const lastEnd = Math.max(...reqs.map((q) => q.endMs));
    expect(m.durationS * 1000).toBeGreaterThanOrEqual(lastEnd);
    expect(m.durationS * 1000 - lastEnd).toBeLessThan(1_000);
    close(m.requestThroughput, 40 / m.durationS);
    close(m.outputThroughput, 400 / m.durationS);
    close(m.totalTokenThroughput, 720 / m.durationS);
    const good = reqs.filter((_, i) => ttft[i]! <= 40 && tpot[i]! <= 15).length;
    close(m.goodput!, good / m.durationS);

    // The load had the shape asked for: Poisson arrivals from the seed, never early, every one
    // sent, and open-loop (a send never waits for an earlier answer). How late a send is depends on
    // the machine (a median lag of 1.8 s was seen on a loaded 2-core machine), so lateness is not
    // bounded here: an early send or a closed loop is what a wrong sender would show.
    const planned = arrivalOffsetsMs(40, 40, { seed: 3 });
    const lag = reqs.map((q) => q.sentMs - planned[q.index]!);
    expect(Math.min(...lag)).toBeGreaterThan(-2);
    const byIndex = [...reqs].sort((a, b) => a.index - b.index);
    expect(byIndex.map((q) => q.index)).toEqual(planned.map((_, i) => i));
    // Planned gaps average 25 ms and each answer takes ≥ 40 ms, so an open loop overlaps them.
    expect(byIndex.some((q, i) => i > 0 && q.sentMs < byIndex[i - 1]!.endMs)).toBe(true);
    // The stand-in's pacing (a 4 ms pause before each of 10 tokens) shows: no answer is faster,
    // and every ITL is an arrival after the one before.
    for (const q of reqs) expect(q.endMs - q.sentMs).toBeGreaterThanOrEqual(36);
    expect(Math.min(...itl)).toBeGreaterThanOrEqual(0);

    // A self-contained report: inline SVG charts, no scripts, nothing fetched.
    expect(html).toBeDefined();
    expect(html!.match(/<svg /g)!.length).toBeGreaterThanOrEqual(6);
    expect(html).not.toMatch(/<script|<link |src=|url\(/);
    expect(html).toContain("qwen");
  }, 60_000);

  it("--concurrency N keeps at most N requests in flight (checked on the raw timings), and prints the table", async () => {
    const out = tmp();
    const r = await rouse(
      [
        "bench",
        "load",
        "--url",
        slow.baseUrl,
        "--concurrency",
        "3",
        "--num-prompts",
        "12",
        "--input-len",
        "8",
        "--output-len",
        "5",
        "--out",
        out,
      ],
      { cwd: tmp() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Serving Benchmark Result");
    expect(r.stdout).toMatch(/Successful requests: +12/);
    expect(r.stdout).toMatch(/Max concurrency: +3/);
    const { result } = files(out);
    const events = result.requests.flatMap((q) => [
      [q.sentMs, 1],
      [q.endMs, -1],
    ]);
    events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let now = 0;
    let max = 0;
    for (const [, d] of events) {
      now += d!;
      max = Math.max(max, now);
    }
    expect(max).toBe(3);
  }, 60_000);

  it("a server that reports no usage: counts are approximate, and the report says so", async () => {
    const app = await startStandinApp({ engineUrl: fast.baseUrl, stripUsage: true });
    track(() => app.close());
    const out = tmp();
    const r = await rouse(
      [
        "bench",
        "load",
        "--url",
        app.url,
        "--num-prompts",
        "5",
        "--input-len",
        "12",
        "--output-len",
        "6",
        "--out",
        out,
      ],
      { cwd: tmp() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("token counts are approximate");
    expect(r.stdout).toMatch(/Total input tokens \(approximate\): +60/);
    const { result, html } = files(out);
    expect(result.tokenCounts).toBe("approximate");
    expect(result.requests.every((q) => q.tokenCounts === "approximate" && q.outputTokens === 6)).toBe(true);
    expect(html).toContain("Token counts are approximate");
    // ignore_eos and max_tokens went out with every request.
    const sent = app.bodies as Array<{ max_tokens: number; ignore_eos: boolean }>;
    expect(sent.slice(1).every((b) => b.max_tokens === 6 && b.ignore_eos === true)).toBe(true);
  }, 60_000);

  it("through the gateway with a key; a wrong model fails the untimed test request with a hint", async () => {
    const gw = await gateway(fast.baseUrl, ["qwen", "llm"]);
    const out = tmp();
    const ok = await rouse(
      [
        "bench",
        "load",
        "--url",
        gw.url,
        "--health-path",
        "/readyz",
        "--api-key",
        GATEWAY_KEY,
        "--endpoint",
        "chat",
        "--num-prompts",
        "6",
        "--output-len",
        "4",
        "--out",
        out,
        "--no-html",
      ],
      { cwd: tmp() },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith(".html"))).toEqual([]);
    const bad = await rouse(
      ["bench", "load", "--url", fast.baseUrl, "--model", "nope", "--num-prompts", "3", "--out", tmp()],
      { cwd: tmp() },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("rouse bench load: the test request failed (HTTP 404)");
    expect(bad.stderr).toContain("hint: check --model");
  }, 60_000);

  it("usage errors exit 2", async () => {
    for (const args of [
      ["--rate", "0"],
      ["--goodput", "ttft:x"],
      ["--goodput", "latency:5"],
      ["--endpoint", "grpc"],
      ["--num-prompts", "0"],
    ]) {
      const r = await rouse(["bench", "load", "--url", fast.baseUrl, ...args], { cwd: tmp() });
      expect(r.code, args.join(" ")).toBe(2);
    }
    expect((await rouse(["bench"], { cwd: tmp() })).code).toBe(2);
    expect((await rouse(["bench", "nope"], { cwd: tmp() })).code).toBe(2);
  }, 60_000);
});
