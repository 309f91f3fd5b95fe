import { type ChildProcess, execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

// Shared by the GPU suite's steps: results merged into one JSON file after every
// measurement (so a step killed at its time box keeps what it measured), greedy
// completions timed to the first token, and the GPU's used memory.

export const now = () => performance.now();
export const seconds = (ms: number) => Math.round(ms) / 1000;

/** Merges `value` under `steps[step][key]` of the results file (read, set, write-rename). */
export function record(file: string, step: string, key: string, value: unknown): void {
  const doc = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ResultsDoc) : { steps: {} };
  doc.steps ??= {};
  doc.steps[step] ??= {};
  doc.steps[step]![key] = value;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`[gpu-suite] ${step}.${key} = ${JSON.stringify(value)?.slice(0, 300)}`);
}

export interface ResultsDoc {
  steps: Record<string, Record<string, unknown>>;
}

/** A step's recorder: `r("cold_start_s", 101.2)`; `r.fail(error)` records the error and keeps going. */
export function recorder(file: string, step: string) {
  const r = (key: string, value: unknown) => record(file, step, key, value);
  r.fail = (key: string, error: unknown) =>
    record(
      file,
      step,
      `${key}_error`,
      error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    );
  /** Runs one measured part; a failure is recorded under `<key>_error` and does not stop the step. */
  r.part = async <T>(key: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      r.fail(key, error);
      return undefined;
    }
  };
  return r;
}
export type Recorder = ReturnType<typeof recorder>;

/** GPU memory in use (MiB) as nvidia-smi reports it, or null where there is no nvidia-smi. */
export function gpuUsedMiB(): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=memory.used", "--format=csv,noheader,nounits"],
      { timeout: 10_000 },
      (error, stdout) => {
        const n = Number(stdout.trim().split("\n")[0]);
        resolve(error || !Number.isFinite(n) ? null : n);
      },
    );
  });
}

export interface Completion {
  /** From sending the request to the first streamed content (ms). */
  readonly ttftMs: number;
  readonly totalMs: number;
  readonly text: string;
  readonly status: number;
  /** Every data line arrived and the stream ended with [DONE]. */
  readonly complete: boolean;
  readonly headers: Record<string, string>;
}

/** A streamed, greedy completion (`/v1/completions`): the first token's latency and the whole text. */
export async function streamCompletion(
  baseUrl: string,
  model: string,
  options: { prompt?: string; maxTokens?: number; apiKey?: string; timeoutMs?: number } = {},
): Promise<Completion> {
  const started = now();
  const response = await fetch(`${baseUrl}/v1/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    },
    body: JSON.stringify({
      model,
      prompt: options.prompt ?? "The quick brown fox",
      max_tokens: options.maxTokens ?? 16,
      temperature: 0,
      stream: true,
    }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 300_000),
  });
  const headers = Object.fromEntries(response.headers);
  if (!response.ok || !response.body) {
    return {
      ttftMs: NaN,
      totalMs: now() - started,
      text: (await response.text()).slice(0, 500),
      status: response.status,
      complete: false,
      headers,
    };
  }
  let ttftMs = NaN;
  let text = "";
  let buffer = "";
  let done = false;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") {
        done = true;
        continue;
      }
      const parsed = JSON.parse(data) as { choices?: { text?: string }[] };
      if (Number.isNaN(ttftMs) && parsed.choices?.length) ttftMs = now() - started;
      text += parsed.choices?.map((c) => c.text ?? "").join("") ?? "";
    }
  }
  return { ttftMs, totalMs: now() - started, text, status: response.status, complete: done, headers };
}

/**
 * The canary (issue 15, "verified wake"): a fixed prompt, temperature 0, 16 tokens, with
 * logprobs. Recorded before sleep and replayed after every wake; identical means the same
 * tokens and the same logprobs.
 */
export interface Canary {
  readonly ms: number;
  readonly tokens: readonly string[];
  readonly logprobs: readonly number[];
}

export async function canary(baseUrl: string, model: string, apiKey?: string): Promise<Canary> {
  const started = now();
  const response = await fetch(`${baseUrl}/v1/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: JSON.stringify({
      model,
      prompt: "rouse canary: one two three four five",
      max_tokens: 16,
      temperature: 0,
      logprobs: 1,
      ignore_eos: true,
    }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as {
    choices?: { logprobs?: { tokens?: string[]; token_logprobs?: number[] } }[];
  };
  const ms = now() - started;
  if (!response.ok) throw new Error(`canary: HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  const lp = body.choices?.[0]?.logprobs;
  return { ms, tokens: lp?.tokens ?? [], logprobs: lp?.token_logprobs ?? [] };
}

/** How two canaries compare: identical tokens, and the largest logprob difference. */
export function compareCanary(before: Canary, after: Canary) {
  const sameTokens =
    before.tokens.length > 0 &&
    before.tokens.length === after.tokens.length &&
    before.tokens.every((t, i) => t === after.tokens[i]);
  let maxLogprobDiff = 0;
  for (let i = 0; i < Math.min(before.logprobs.length, after.logprobs.length); i++) {
    maxLogprobDiff = Math.max(maxLogprobDiff, Math.abs((before.logprobs[i] ?? 0) - (after.logprobs[i] ?? 0)));
  }
  return {
    sameTokens,
    identical: sameTokens && maxLogprobDiff === 0,
    maxLogprobDiff,
    tokens: after.tokens.length,
  };
}

/** SIGTERM, then SIGKILL if the process has not exited within graceMs; resolves whether it exited in time. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<boolean> {
  child.kill("SIGTERM");
  const exited =
    child.exitCode !== null ||
    child.signalCode !== null ||
    (await Promise.race([
      new Promise<boolean>((res) => child.once("exit", () => res(true))),
      new Promise<boolean>((res) => setTimeout(() => res(false), graceMs)),
    ]));
  if (!exited) child.kill("SIGKILL");
  return exited;
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** argv after `--name VALUE` pairs; `flag("--x")` reads one, `required` throws naming it. */
export function flags(argv: readonly string[]) {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const required = (name: string): string => {
    const v = get(name);
    if (v === undefined) throw new Error(`missing ${name}`);
    return v;
  };
  return { get, required, has: (name: string) => argv.includes(name) };
}
