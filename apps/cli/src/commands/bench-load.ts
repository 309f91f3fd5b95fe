import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { clientFor, firstModel, waitReady } from "../app/http.ts";
import { resolveApiKey, resolveUrl } from "../app/target.ts";
import { type LoadConfig, measure, runLoad } from "../bench/load.ts";
import type { Slo } from "../bench/metrics.ts";
import { buildLoadResult, loadHtml, loadTable } from "../bench/report.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { progress } from "../ui/progress.ts";
import { defineCommand, type OptionSpecs, type Parsed } from "./command.ts";
import * as shared from "./options.ts";
import { CliError, EXIT, type Io, styles, UsageError, writeJson } from "../ui/output.ts";

const benchLoadOptions = {
  ...shared.target,
  model: { type: "string", value: "NAME", description: "default: the first model the server lists" },
  "health-path": {
    type: "string",
    value: "PATH",
    description: "waited for before the run (default /health; the rouse gateway: /readyz)",
  },
  endpoint: { type: "string", value: "KIND", description: "completions (default, like vllm bench serve) or chat" },
  rate: { type: "string", value: "R", description: "requests per second (default: inf, all at once)" },
  burstiness: { type: "string", value: "B", description: "gamma shape of the gaps; 1 = Poisson (default 1)" },
  concurrency: { type: "string", value: "N", description: "at most N requests in flight" },
  "num-prompts": { type: "string", value: "N", description: "requests in all (default 100)" },
  "input-len": { type: "string", value: "N", description: "prompt length in tokens, approximately (default 256)" },
  "output-len": { type: "string", value: "N", description: "tokens to generate per request (default 128)" },
  seed: { type: "string", value: "S", description: "prompts and arrival times repeat for the same seed (default 0)" },
  goodput: {
    type: "string",
    value: "SLO...",
    description: "e.g. --goodput ttft:500 tpot:50 e2el:10000 (ms): requests meeting all",
  },
  "no-ignore-eos": { type: "boolean", description: "don't send ignore_eos (for servers that reject it)" },
  timeout: { type: "string", value: "SECONDS", description: "per request (default 600)" },
  out: { type: "string", value: "DIR", description: "where the JSON and HTML go (default .rouse/bench)" },
  "no-html": { type: "boolean", description: "JSON only" },
  json: shared.json("print the result JSON to stdout instead of the table"),
} as const satisfies OptionSpecs;

/** `--goodput ttft:500 tpot:50` → one string, since node's parseArgs takes one value per flag. */
export function joinGoodput(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--goodput") {
      out.push(args[i]!);
      continue;
    }
    const parts: string[] = [];
    while (i + 1 < args.length && /^[a-z0-9]+:/i.test(args[i + 1]!)) parts.push(args[++i]!);
    out.push("--goodput", parts.join(","));
  }
  return out;
}

export function parseSlo(text: string | undefined): Slo | undefined {
  if (text === undefined) return undefined;
  const slo: { ttftMs?: number; tpotMs?: number; e2elMs?: number } = {};
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const [name, value] = part.split(":");
    const ms = Number(value);
    if (!(ms > 0)) throw new UsageError(`--goodput ${part}: the value is milliseconds > 0`);
    if (name === "ttft") slo.ttftMs = ms;
    else if (name === "tpot") slo.tpotMs = ms;
    else if (name === "e2el") slo.e2elMs = ms;
    else throw new UsageError(`--goodput ${part}: use ttft:MS, tpot:MS or e2el:MS`);
  }
  if (Object.keys(slo).length === 0)
    throw new UsageError("--goodput needs at least one of ttft:MS tpot:MS e2el:MS");
  return slo;
}

const int = (value: string | undefined, flag: string, fallback: number, min = 1) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got '${value}'`);
  return n;
};

export const rouseVersion = () =>
  (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;

export const stamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

export async function benchLoad({ values, positionals }: Parsed<typeof benchLoadOptions>, io: Io): Promise<number> {
  const rate =
    values.rate === undefined || values.rate === "inf" ? Number.POSITIVE_INFINITY : Number(values.rate);
  if (!(rate > 0)) throw new UsageError(`--rate must be > 0 (or inf), got '${values.rate}'`);
  const burstiness = values.burstiness === undefined ? 1 : Number(values.burstiness);
  if (!(burstiness > 0)) throw new UsageError("--burstiness must be > 0");
  const endpoint = values.endpoint ?? "completions";
  if (endpoint !== "chat" && endpoint !== "completions")
    throw new UsageError("--endpoint must be chat or completions");
  const concurrency =
    values.concurrency === undefined ? undefined : int(values.concurrency, "--concurrency", 1);
  const numPrompts = int(values["num-prompts"], "--num-prompts", 100);
  const inputLen = int(values["input-len"], "--input-len", 256);
  const outputLen = int(values["output-len"], "--output-len", 128);
  const seed = int(values.seed, "--seed", 0, 0);
  const timeoutS = int(values.timeout, "--timeout", 600);
  const slo = parseSlo(values.goodput);

  const { url } = await resolveUrl(io, {
    url: values.url,
    app: values.app,
    file: positionals[0],
    preset: values.preset,
  });
  const apiKey = resolveApiKey(io, { apiKey: values["api-key"], apiKeyEnv: values["api-key-env"] });
  const client = clientFor(url, apiKey, { timeoutS, ...(concurrency ? { connections: concurrency } : {}) });
  const bar = progress(io, `waiting for ${url}`);
  try {
    await waitReady(client, bar, 900, values["health-path"]);
    const model = values.model ?? (await firstModel(client)).model;
    const config: LoadConfig = {
      model,
      endpoint,
      numPrompts,
      inputLen,
      outputLen,
      rate,
      burstiness,
      concurrency,
      seed,
      ignoreEos: !values["no-ignore-eos"],
    };

    bar.update("one untimed test request");
    const test = await measure(
      client,
      { ...config, outputLen: Math.min(outputLen, 16) },
      -1,
      { text: "Hello", words: 1 },
      performance.now(),
    );
    if (!test.success) {
      const eos = /ignore_eos/i.test(test.error ?? "");
      throw new CliError(
        `the test request failed${test.status ? ` (HTTP ${test.status})` : ""}: ${test.error}`,
        eos
          ? "this server rejects ignore_eos: add --no-ignore-eos"
          : "check --model, --endpoint, the API key and --output-len against the server",
      );
    }
    const result = buildLoadResult(
      url,
      config,
      slo,
      await runLoad(client, config, {
        onProgress: (p) =>
          bar.update(
            `bench: ${p.done}/${p.total} done · ${p.inFlight} in flight${p.failed ? ` · ${p.failed} failed` : ""}`,
          ),
      }),
      rouseVersion(),
    );
    bar.stop();

    const dir = resolve(io.cwd, values.out ?? join(".rouse", "bench"));
    const base = join(dir, `load-${stamp()}`);
    await writeFileAtomic(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    if (!values["no-html"]) await writeFileAtomic(`${base}.html`, loadHtml(result));
    if (values.json) writeJson(io, result);
    else io.stdout.write(loadTable(result));
    const e = styles(io);
    io.stderr.write(`${e.dim(`wrote ${base}.json${values["no-html"] ? "" : ` and ${base}.html`}`)}\n`);
    if (result.tokenCounts !== "usage")
      io.stderr.write(
        `${e.yellow(`token counts are ${result.tokenCounts}: the server did not report usage for every request`)}\n`,
      );
    if (result.metrics.failed)
      io.stderr.write(
        `${e.yellow(`${result.metrics.failed} of ${numPrompts} requests failed (left out of the metrics): ${Object.keys(result.errors).join("; ")}`)}\n`,
      );
    if (result.metrics.completed === 0)
      throw new CliError(
        `every request failed: ${Object.keys(result.errors)[0]}`,
        "see the errors in the JSON",
      );
    return EXIT.ok;
  } finally {
    bar.stop();
    await client.close();
  }
}

export const benchLoadCommand = defineCommand({
  name: "load",
  summary: "open-loop Poisson or fixed-concurrency load test (vllm bench serve metrics); JSON + HTML report",
  args: "[rouse.yaml]",
  description: `Load-tests a running server with random prompts, the way \`vllm bench serve\` does
(same metric definitions: TTFT, TPOT, ITL, E2EL, throughput, goodput). Open loop:
Poisson arrivals at --rate (or gamma with --burstiness); or a fixed number of
requests in flight with --concurrency (both: arrivals at --rate, at most N in flight).
Every request streams max_tokens=--output-len, with ignore_eos (vLLM and SGLang honour
it) so each answer is that long. Token counts come from the server's usage; when a
server sends none they are approximated, and the report says so.

The server is first waited for (a cold start is not part of the numbers; measure it
with \`rouse bench coldstart\`), then one untimed test request checks the parameters.

Writes <out>/load-<time>.json (config, metrics, and every request's raw timings, from
which each metric can be recomputed) and <out>/load-<time>.html (charts; one file, no
scripts), and prints a summary table.`,
  options: benchLoadOptions,
  normalize: joinGoodput,
  run: benchLoad,
});
