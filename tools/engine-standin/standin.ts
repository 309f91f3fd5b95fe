#!/usr/bin/env node
// rouse's STAND-IN ENGINE: a small HTTP server that imitates the surface and the
// quirks of vLLM (`vllm serve`) or SGLang (`sglang.launch_server`), so lifecycle
// clients, the local supervisor and the gateway can be tested without a GPU.
// It generates no real text. It is not an engine. Node >= 22.18 runs it as .ts.
//
//   node tools/engine-standin/standin.ts --engine vllm --port 8000 [--load-ms 500] [--token-ms 20]
//        [--sleep-delay-ms 300] [--wake-delay-ms 100] [--api-key KEY] [--crash-after MS]
//        [--fail-startup [MESSAGE]] [--dev-mode] [--sleep-returns-early]
//        [--garbage-after-wake]
//        [--die-if-called-while-released] [--die-if-called-while-checkpointed] [--drift-after-wake]
//
// `/v1/completions` with `logprobs: N` answers `choices[0].logprobs` (tokens, token_logprobs),
// greedy and fixed by the prompt, so a canary can be recorded and replayed. `--garbage-after-wake`
// imitates vLLM sleep level 2 woken without a weight reload: after any wake every token is "!"
// until `POST /collective_rpc {"method": "reload_weights"}`.
//
// It also accepts a real engine's argv (`serve MODEL --served-model-name a b --host … --port …`
// or `--model-path M …`) and ignores flags it does not know, so a plugin's launch argv
// runs against it with the executable swapped. See README.md for the quirks imitated.

import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Engine = "vllm" | "sglang";

interface Options {
  engine: Engine;
  host: string;
  port: number;
  model: string;
  servedNames: string[];
  loadMs: number;
  tokenMs: number;
  sleepDelayMs: number;
  wakeDelayMs: number;
  apiKey: string | undefined;
  crashAfterMs: number | undefined;
  failStartup: string | undefined;
  devMode: boolean;
  sleepReturnsEarly: boolean;
  garbageAfterWake: boolean;
  maxModelLen: number;
  /** SGLang: any call while memory is released (but the resume) kills the server (FACTS.md S3, shared/gpu). */
  dieIfCalledWhileReleased: boolean;
  /** Any call while the CUDA-checkpoint stand-in marks this pid checkpointed is logged; awake, it kills the engine. */
  dieIfCalledWhileCheckpointed: boolean;
  /** Every wake leaves the weights wrong (a broken wake that /health does not see). */
  driftAfterWake: boolean;
}

const NUMBER_OPTIONS = new Set([
  "--port",
  "--load-ms",
  "--token-ms",
  "--sleep-delay-ms",
  "--wake-delay-ms",
  "--crash-after",
  "--max-model-len",
  "--context-length",
]);

/** Lenient: knows its own options and the few engine flags it imitates; skips any other flag and its values. */
export function parseStandinArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith("--")) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = (eq > 0 ? token.slice(0, eq) : token).replaceAll("_", "-");
    if (eq > 0) {
      values.set(name, [token.slice(eq + 1)]);
      continue;
    }
    const taken: string[] = [];
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) taken.push(argv[++i]!);
    if (taken.length === 0) flags.add(name);
    else values.set(name, taken);
  }
  const one = (name: string) => values.get(name)?.[0];
  const num = (name: string, fallback: number) => {
    const v = one(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a non-negative number, got '${v}'`);
    return n;
  };
  for (const name of NUMBER_OPTIONS) if (values.has(name)) num(name, 0);

  const engine = one("--engine") ?? "vllm";
  if (engine !== "vllm" && engine !== "sglang")
    throw new Error(`--engine must be vllm or sglang, got '${engine}'`);
  if (!values.has("--port")) throw new Error("--port is required");
  // vLLM: `serve MODEL`; SGLang: `--model-path MODEL`.
  const model =
    one("--model-path") ?? one("--model") ?? positionals.filter((p) => p !== "serve")[0] ?? "standin/model";
  const failMessage = values.get("--fail-startup")?.join(" ");
  return {
    engine,
    host: one("--host") ?? "127.0.0.1",
    port: num("--port", 0),
    model,
    servedNames: values.get("--served-model-name") ?? [model],
    loadMs: num("--load-ms", 500),
    tokenMs: num("--token-ms", 20),
    sleepDelayMs: num("--sleep-delay-ms", 300),
    wakeDelayMs: num("--wake-delay-ms", 100),
    apiKey: one("--api-key") ?? (engine === "vllm" ? env.VLLM_API_KEY || undefined : undefined),
    crashAfterMs: values.has("--crash-after") ? num("--crash-after", 0) : undefined,
    failStartup: flags.has("--fail-startup")
      ? "RuntimeError: stand-in engine failed to start (--fail-startup)"
      : failMessage,
    devMode: flags.has("--dev-mode") || env.VLLM_SERVER_DEV_MODE === "1",
    sleepReturnsEarly: flags.has("--sleep-returns-early"),
    garbageAfterWake: flags.has("--garbage-after-wake"),
    maxModelLen: num("--max-model-len", num("--context-length", 4096)),
    dieIfCalledWhileReleased: flags.has("--die-if-called-while-released"),
    dieIfCalledWhileCheckpointed: flags.has("--die-if-called-while-checkpointed"),
    driftAfterWake: flags.has("--drift-after-wake"),
  };
}

// ---- state ------------------------------------------------------------------

class State {
  ready = false;
  sleeping = false;
  /** Level 2 dropped the weights: answers are garbage until reload_weights (vLLM). */
  weightsLost = false;
  /** Wakes so far (--drift-after-wake). */
  wakes = 0;
  /** Prompts answered while the weights were lost: the prefix cache keeps them wrong until a reset. */
  readonly poisoned = new Set<string>();
  running = 0;
  waiting = 0;
  private wakeWaiters: Array<() => void> = [];
  readonly ttft: number[] = [];

  async untilAwake(): Promise<void> {
    if (!this.sleeping) return;
    await new Promise<void>((resolve) => this.wakeWaiters.push(resolve));
  }

  setSleeping(value: boolean): void {
    this.sleeping = value;
    if (!value) for (const resolve of this.wakeWaiters.splice(0)) resolve();
  }
}

// ---- HTTP helpers ---------------------------------------------------------------

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  return JSON.parse(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function authorized(req: IncomingMessage, key: string): boolean {
  const header = req.headers.authorization ?? "";
  const [scheme, token] = header.split(" ", 2);
  return scheme?.toLowerCase() === "bearer" && token === key;
}

const WORDS = ["rouse", "stand-in", "engine", "says", "hello", "from", "a", "fake", "model"];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * Greedy "generation": tokens and logprobs fixed by the prompt, so a canary can
 * compare before and after a wake. Lost weights answer token 0 every time (what
 * vLLM level 2 does before reload_weights); a drifted engine answers shifted ones.
 */
function greedy(
  prompt: string,
  n: number,
  state: State,
  o: Options,
): { tokens: string[]; logprobs: number[] } {
  const broken = state.weightsLost || state.poisoned.has(prompt);
  if (state.weightsLost) state.poisoned.add(prompt);
  const seed = hash(prompt) + (o.driftAfterWake ? state.wakes : 0);
  const tokens: string[] = [];
  const logprobs: number[] = [];
  for (let i = 0; i < n; i++) {
    tokens.push(broken ? "!" : WORDS[(seed + i) % WORDS.length]!);
    logprobs.push(broken ? -0.0001 : -(((seed >>> 3) + i * 7) % 97) / 40);
  }
  return { tokens, logprobs };
}

// ---- OpenAI-compatible generation -----------------------------------------------

async function chatCompletion(
  o: Options,
  state: State,
  req: IncomingMessage,
  res: ServerResponse,
  completions: boolean,
) {
  let body: Record<string, unknown>;
  try {
    body = (await readJson(req)) as Record<string, unknown>;
  } catch {
    return send(res, 400, { error: { message: "invalid JSON body", type: "BadRequestError", code: 400 } });
  }
  const model = typeof body.model === "string" ? body.model : o.servedNames[0]!;
  if (!o.servedNames.includes(model)) {
    return send(res, 404, {
      error: { message: `The model \`${model}\` does not exist.`, type: "NotFoundError", code: 404 },
    });
  }
  const maxTokens = Math.min(
    Math.max(1, Number(body.max_tokens ?? body.max_completion_tokens ?? 16) || 16),
    4096,
  );
  const stream = body.stream === true;
  const started = Date.now();
  // Requests sent while asleep wait (the real scheduler is paused) until wake.
  state.waiting++;
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  await state.untilAwake();
  state.waiting--;
  state.running++;
  try {
    const id = `${completions ? "cmpl" : "chatcmpl"}-standin-${started}`;
    const created = Math.floor(started / 1000);
    const object = completions ? "text_completion" : stream ? "chat.completion.chunk" : "chat.completion";
    if (!stream) {
      await sleep(o.tokenMs * maxTokens);
      state.ttft.push((Date.now() - started) / 1000);
      const text = Array.from({ length: maxTokens }, (_, i) => WORDS[i % WORDS.length]).join(" ");
      const prompt = typeof body.prompt === "string" ? body.prompt : JSON.stringify(body.prompt ?? "");
      const g = completions && body.logprobs !== undefined ? greedy(prompt, maxTokens, state, o) : undefined;
      const choice = completions
        ? g
          ? {
              index: 0,
              text: g.tokens.join(""),
              logprobs: { tokens: g.tokens, token_logprobs: g.logprobs, top_logprobs: null, text_offset: [] },
              finish_reason: "length",
            }
          : { index: 0, text, finish_reason: "length" }
        : { index: 0, message: { role: "assistant", content: text }, finish_reason: "length" };
      return send(res, 200, {
        id,
        object,
        created,
        model,
        choices: [choice],
        usage: { prompt_tokens: 8, completion_tokens: maxTokens, total_tokens: 8 + maxTokens },
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({
        id,
        object,
        created,
        model,
        choices: [
          completions
            ? { index: 0, text: delta.content ?? "", finish_reason: finish }
            : { index: 0, delta, finish_reason: finish },
        ],
      })}\n\n`;
    if (!completions) res.write(chunk({ role: "assistant", content: "" }, null));
    for (let i = 0; i < maxTokens && !closed; i++) {
      await sleep(o.tokenMs);
      if (i === 0) state.ttft.push((Date.now() - started) / 1000);
      res.write(
        chunk(
          { content: `${i === 0 ? "" : " "}${WORDS[i % WORDS.length]}` },
          i === maxTokens - 1 ? "length" : null,
        ),
      );
    }
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ id, object, created, model, choices: [], usage: { prompt_tokens: 8, completion_tokens: maxTokens, total_tokens: 8 + maxTokens } })}\n\n`,
      );
    }
    res.end("data: [DONE]\n\n");
  } finally {
    state.running--;
  }
}

// ---- metrics ---------------------------------------------------------------------

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

function histogram(name: string, labels: string, values: readonly number[]): string[] {
  const lines = [`# TYPE ${name} histogram`];
  for (const le of TTFT_BUCKETS)
    lines.push(`${name}_bucket{${labels},le="${le}"} ${values.filter((v) => v <= le).length}`);
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${values.length}`);
  lines.push(`${name}_sum{${labels}} ${values.reduce((a, b) => a + b, 0)}`);
  lines.push(`${name}_count{${labels}} ${values.length}`);
  return lines;
}

function metrics(o: Options, state: State): string {
  const usage = state.sleeping ? 0 : Math.min(1, state.running * 0.05);
  if (o.engine === "vllm") {
    const labels = `engine="0",model_name="${o.servedNames[0]}"`;
    return [
      "# HELP vllm:num_requests_running Number of requests in model execution batches.",
      "# TYPE vllm:num_requests_running gauge",
      `vllm:num_requests_running{${labels}} ${state.running}`,
      "# TYPE vllm:num_requests_waiting gauge",
      `vllm:num_requests_waiting{${labels}} ${state.waiting}`,
      "# TYPE vllm:kv_cache_usage_perc gauge",
      `vllm:kv_cache_usage_perc{${labels}} ${usage}`,
      "# TYPE vllm:engine_sleep_state gauge",
      `vllm:engine_sleep_state{${labels},sleep_state="awake"} ${state.sleeping ? 0 : 1}`,
      ...histogram("vllm:time_to_first_token_seconds", labels, state.ttft),
      "",
    ].join("\n");
  }
  const labels = `model_name="${o.servedNames[0]}",tp_rank="0"`;
  return [
    "# TYPE sglang:num_running_reqs gauge",
    `sglang:num_running_reqs{${labels}} ${state.running}`,
    "# TYPE sglang:num_queue_reqs gauge",
    `sglang:num_queue_reqs{${labels}} ${state.waiting}`,
    "# TYPE sglang:token_usage gauge",
    `sglang:token_usage{${labels}} ${usage}`,
    ...histogram("sglang:time_to_first_token_seconds", labels, state.ttft),
    "",
  ].join("\n");
}

// ---- routes ------------------------------------------------------------------------

function vllmRoutes(o: Options, state: State) {
  let sleepTimer: NodeJS.Timeout | undefined;
  return async (req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> => {
    // vLLM's --api-key guards only these prefixes (vllm/entrypoints/serve/middleware/authenticate.py).
    if (o.apiKey && /^\/(v1|v2|inference|cohere)(\/|$)/.test(path) && !authorized(req, o.apiKey)) {
      return send(res, 401, { error: "Unauthorized" });
    }
    const route = `${req.method} ${path}`;
    if (route === "GET /health") return send(res, 200, "", "text/plain"); // 200 even while asleep
    if (route === "GET /version") return send(res, 200, { version: "standin" });
    if (route === "GET /metrics") return send(res, 200, metrics(o, state), "text/plain; version=0.0.4");
    if (route === "GET /v1/models") {
      return send(res, 200, {
        object: "list",
        data: o.servedNames.map((id) => ({
          id,
          object: "model",
          owned_by: "vllm",
          root: o.model,
          max_model_len: o.maxModelLen,
        })),
      });
    }
    if (route === "POST /v1/chat/completions") return chatCompletion(o, state, req, res, false);
    if (route === "POST /v1/completions") return chatCompletion(o, state, req, res, true);
    // Sleep routes exist only in dev mode (VLLM_SERVER_DEV_MODE=1).
    if (o.devMode) {
      if (route === "POST /sleep") {
        const level = Number(url.searchParams.get("level") ?? "1");
        if (!Number.isInteger(level) || level < 0 || level > 2) {
          return send(res, 422, { detail: [{ loc: ["query", "level"], msg: "level must be 0, 1 or 2" }] });
        }
        clearTimeout(sleepTimer);
        if (o.sleepReturnsEarly) {
          // --sleep-returns-early: answer first, sleep later — what a client must survive
          // (vLLM 0.33 answers after sleeping: FACTS.md V5).
          sleepTimer = setTimeout(() => state.setSleeping(true), o.sleepDelayMs);
        } else {
          await sleep(o.sleepDelayMs);
          state.setSleeping(true);
        }
        if (level === 2) state.weightsLost = true;
        return send(res, 200, { status: "sleeping", level });
      }
      if (route === "POST /wake_up") {
        clearTimeout(sleepTimer);
        await sleep(o.wakeDelayMs);
        if (state.sleeping) state.wakes++;
        state.setSleeping(false);
        if (o.garbageAfterWake) state.weightsLost = true;
        return send(res, 200, { status: "awake", tags: null });
      }
      if (route === "GET /is_sleeping") return send(res, 200, { is_sleeping: state.sleeping });
      if (route === "POST /reset_prefix_cache") {
        state.poisoned.clear();
        return send(res, 200, {});
      }
      if (route === "POST /collective_rpc") {
        const rpc = (await readJson(req)) as { method?: string };
        if (rpc.method === "reload_weights") state.weightsLost = false;
        return send(res, 200, {});
      }
    }
    return send(res, 404, { detail: "Not Found" });
  };
}

function sglangRoutes(o: Options, state: State) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    // SGLang's key guards every route but health, readiness and metrics (sglang/srt/utils/auth.py).
    if (o.dieIfCalledWhileReleased && state.sleeping && path !== "/resume_memory_occupation") {
      // What the real scheduler does: /health runs a generation on released memory and dies.
      log(
        o,
        `scheduler died: ${req.method} ${path} while GPU memory is released (write_req_to_token_pool_triton: cpu tensor)`,
      );
      res.destroy();
      process.exit(1);
    }
    const open = path.startsWith("/health") || path.startsWith("/ready") || path.startsWith("/metrics");
    if (o.apiKey && !open && !authorized(req, o.apiKey)) return send(res, 401, { error: "Unauthorized" });
    const route = `${req.method} ${path}`;
    // Quirk imitated: the port is open while loading, and health answers 503 until ready.
    if (route === "GET /health" || route === "GET /health_generate" || route === "GET /ready") {
      return send(res, state.ready ? 200 : 503, "", "text/plain");
    }
    if (!state.ready) return send(res, 503, { error: { message: "Server is starting" } });
    if (route === "GET /metrics") return send(res, 200, metrics(o, state), "text/plain; version=0.0.4");
    if (route === "GET /get_model_info" || route === "GET /model_info") {
      return send(res, 200, { model_path: o.model, tokenizer_path: o.model, is_generation: true });
    }
    if (route === "GET /v1/models") {
      return send(res, 200, {
        object: "list",
        data: o.servedNames.map((id) => ({
          id,
          object: "model",
          owned_by: "sglang",
          root: o.model,
          max_model_len: o.maxModelLen,
        })),
      });
    }
    // SGLang does not gate requests while memory is released (FACTS.md S3); the real
    // engine would compute on released memory. The stand-in refuses instead, loudly.
    if (state.sleeping && path.startsWith("/v1/")) {
      return send(res, 503, {
        error: { message: "stand-in: request while GPU memory is released; the real SGLang would fail" },
      });
    }
    if (route === "POST /v1/chat/completions") return chatCompletion(o, state, req, res, false);
    if (route === "POST /v1/completions") return chatCompletion(o, state, req, res, true);
    if (path === "/release_memory_occupation" && (req.method === "POST" || req.method === "GET")) {
      // The real scheduler asserts it is idle — and the failed assertion kills it (FACTS.md S3).
      if (state.running > 0) {
        send(res, 500, {
          error: {
            message: "AssertionError: release_memory_occupation should be called only when server is idle.",
          },
        });
        log(o, "scheduler died: release_memory_occupation while busy");
        setTimeout(() => process.exit(1), 50);
        return;
      }
      await sleep(o.sleepDelayMs);
      state.setSleeping(true);
      return send(res, 200, "null");
    }
    if (path === "/resume_memory_occupation" && (req.method === "POST" || req.method === "GET")) {
      await sleep(o.wakeDelayMs);
      if (state.sleeping) state.wakes++;
      state.setSleeping(false);
      if (o.garbageAfterWake) state.weightsLost = true;
      return send(res, 200, "null");
    }
    return send(res, 404, { detail: "Not Found" });
  };
}

// ---- main --------------------------------------------------------------------------

function log(o: Options, message: string): void {
  process.stderr.write(`standin(${o.engine}): ${message}\n`);
}

/** Does the CUDA-checkpoint stand-in (packages/runtime/src/test/cuda-ckpt-standin.ts) mark this process checkpointed? */
function checkpointed(): boolean {
  const dir = process.env.ROUSE_CKPT_STANDIN_DIR ?? join(tmpdir(), "rouse-ckpt-standin");
  try {
    return (
      (JSON.parse(readFileSync(join(dir, `${process.pid}.json`), "utf8")) as { state: string }).state ===
      "checkpointed"
    );
  } catch {
    return false;
  }
}

export function main(argv: readonly string[]): void {
  let o: Options;
  try {
    o = parseStandinArgs(argv, process.env);
  } catch (error) {
    process.stderr.write(`standin: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const state = new State();
  const handle = o.engine === "vllm" ? vllmRoutes(o, state) : sglangRoutes(o, state);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://standin");
    if (o.dieIfCalledWhileCheckpointed && checkpointed()) {
      log(
        o,
        `request while checkpointed: ${req.method} ${url.pathname}${state.sleeping ? " (asleep: it waits)" : ""}`,
      );
      if (!state.sleeping) {
        // A CUDA-checkpointed vLLM that is not asleep segfaults on a request (shared/gpu/README.md).
        log(o, "EngineCore segfault: request reached a checkpointed engine that was not asleep");
        res.destroy();
        process.exit(139);
      }
    }
    handle(req, res, url.pathname, url).catch((error) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error) } });
      else res.destroy();
    });
  });
  const listen = () =>
    server.listen(o.port, o.host, () =>
      log(o, `listening on http://${o.host}:${o.port} (model ${o.servedNames.join(", ")})`),
    );

  log(o, `loading ${o.model} (${o.loadMs} ms)`);
  if (o.crashAfterMs !== undefined) {
    setTimeout(() => {
      log(o, `crashing as asked (--crash-after ${o.crashAfterMs})`);
      process.exit(1);
    }, o.crashAfterMs);
  }
  if (o.failStartup !== undefined) {
    setTimeout(
      () => {
        process.stderr.write(`${o.failStartup}\n`);
        process.exit(1);
      },
      Math.floor(o.loadMs / 2),
    );
    if (o.engine === "sglang") listen();
  } else if (o.engine === "vllm") {
    // Quirk imitated: vLLM binds its port only once the model is loaded.
    setTimeout(() => {
      state.ready = true;
      listen();
    }, o.loadMs);
  } else {
    listen();
    setTimeout(() => {
      state.ready = true;
      log(o, "ready");
    }, o.loadMs);
  }
  const stop = () => {
    log(o, "Application shutdown complete."); // vLLM's last line on a clean stop
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (import.meta.main) main(process.argv.slice(2));
