// A synthetic OpenAI-compatible upstream — a stand-in and load target for the
// gateway's tests and benchmark, not an engine: it streams a fixed text at a
// fixed token rate, and can refuse connections / answer 503 for a while (cold
// start), die mid-stream, or require an API key.
//
// CLI: node apps/api/src/test/standin-upstream.ts --port 0 --tokens 32 --interval-ms 10 [--refuse-ms N] [--unavailable-ms N]
// prints {"url":"http://127.0.0.1:PORT"} on stdout once it listens (or will listen).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

export interface StandinOptions {
  readonly host?: string;
  readonly port?: number;
  readonly models?: readonly string[];
  /** Tokens per completion. Default 8. */
  readonly tokens?: number;
  /** Milliseconds between streamed tokens (0: all at once). Default 0. */
  readonly tokenIntervalMs?: number;
  /** Refuse connections (not listening) for this long after start. */
  readonly refuseForMs?: number;
  /** Answer 503 to everything (health included) for this long after start. */
  readonly unavailableForMs?: number;
  /** Destroy the socket after this many streamed tokens. */
  readonly dieAfterTokens?: number;
  /** Require `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
}

export interface StandinStats {
  requests: number;
  completed: number;
  /** Requests whose client (the gateway) closed the connection before the response ended. */
  aborted: number;
  /** Authorization headers seen (to check the gateway swaps credentials). */
  authorizations: string[];
  requestIds: string[];
}

export interface Standin {
  readonly url: string;
  readonly port: number;
  readonly stats: StandinStats;
  /** Resolves at the next client abort. */
  nextAbort(): Promise<void>;
  close(): Promise<void>;
}

const WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."];

function chatChunk(
  id: string,
  model: string,
  created: number,
  delta: Record<string, unknown>,
  finish: string | null,
) {
  return `data: ${JSON.stringify({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })}\n\n`;
}

function completionChunk(id: string, model: string, created: number, text: string, finish: string | null) {
  return `data: ${JSON.stringify({
    id,
    object: "text_completion",
    created,
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  })}\n\n`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const host = options.host ?? "127.0.0.1";
  const models = options.models ?? ["standin"];
  const tokens = options.tokens ?? 8;
  const interval = options.tokenIntervalMs ?? 0;
  const started = Date.now();
  const stats: StandinStats = { requests: 0, completed: 0, aborted: 0, authorizations: [], requestIds: [] };
  let abortWaiters: (() => void)[] = [];
  let seq = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    if (options.unavailableForMs && Date.now() - started < options.unavailableForMs) {
      return json(res, 503, { error: { message: "loading", type: "service_unavailable" } });
    }
    const url = req.url ?? "/";
    if (req.method === "GET" && url === "/health") {
      res.writeHead(200);
      return res.end();
    }
    if (stats.authorizations.length < 1000) stats.authorizations.push(req.headers.authorization ?? "");
    if (stats.requestIds.length < 1000) stats.requestIds.push(String(req.headers["x-request-id"] ?? ""));
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, { error: { message: "bad key", type: "authentication_error" } });
    }
    if (req.method === "GET" && url === "/v1/models") {
      return json(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "standin" })),
      });
    }
    if (req.method !== "POST")
      return json(res, 404, { error: { message: "not found", type: "not_found_error" } });
    const body = JSON.parse(await readBody(req)) as {
      model?: string;
      stream?: boolean;
      max_tokens?: number;
      input?: unknown;
    };
    const model = body.model ?? models[0]!;
    if (!models.includes(model)) {
      return json(res, 404, { error: { message: `model ${model} not found`, type: "not_found_error" } });
    }
    const n = Math.min(tokens, body.max_tokens ?? tokens);
    const id = `cmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const text = Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]).join("");

    if (url === "/v1/embeddings") {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      stats.completed++;
      return json(res, 200, {
        object: "list",
        model,
        data: inputs.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2, 0.3, 0.4] })),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
    }
    const chat = url === "/v1/chat/completions";
    if (!chat && url !== "/v1/completions") {
      return json(res, 404, { error: { message: "not found", type: "not_found_error" } });
    }
    const usage = { prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n };
    if (!body.stream) {
      const finish = () => {
        stats.completed++;
        json(
          res,
          200,
          chat
            ? {
                id,
                object: "chat.completion",
                created,
                model,
                choices: [
                  {
                    index: 0,
                    message: { role: "assistant", content: text },
                    logprobs: null,
                    finish_reason: "length",
                  },
                ],
                usage,
              }
            : {
                id,
                object: "text_completion",
                created,
                model,
                choices: [{ index: 0, text, logprobs: null, finish_reason: "length" }],
                usage,
              },
        );
      };
      if (interval > 0) setTimeout(finish, interval * n);
      else finish();
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    let closed = false;
    res.on("close", () => {
      if (!res.writableFinished) {
        closed = true;
        stats.aborted++;
        const w = abortWaiters;
        abortWaiters = [];
        for (const f of w) f();
      }
    });
    if (chat) res.write(chatChunk(id, model, created, { role: "assistant", content: "" }, null));
    let i = 0;
    const tail = () =>
      (chat
        ? chatChunk(id, model, created, {}, "length")
        : completionChunk(id, model, created, "", "length")) + "data: [DONE]\n\n";
    const one = (k: number) => {
      const word = WORDS[k % WORDS.length]!;
      return chat
        ? chatChunk(id, model, created, { content: word }, null)
        : completionChunk(id, model, created, word, null);
    };
    if (interval === 0) {
      let all = "";
      for (; i < n; i++) all += one(i);
      res.end(all + tail());
      stats.completed++;
      return;
    }
    const tick = () => {
      if (closed) return;
      if (options.dieAfterTokens !== undefined && i >= options.dieAfterTokens) {
        res.socket?.destroy();
        return;
      }
      if (i < n) {
        res.write(one(i++));
        setTimeout(tick, interval);
      } else {
        res.end(tail());
        stats.completed++;
      }
    };
    setTimeout(tick, interval);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err), type: "server_error" } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });

  let port: number;
  let pending: NodeJS.Timeout | undefined;
  if (options.refuseForMs) {
    // Reserve a free port, release it, and listen on it later: connections are refused until then.
    port = options.port || (await listen(0));
    if (!options.port) await new Promise<void>((r) => server.close(() => r()));
    pending = setTimeout(() => {
      pending = undefined;
      listen(port).catch(() => {});
    }, options.refuseForMs);
  } else {
    port = await listen(options.port ?? 0);
  }
  return {
    url: `http://${host}:${port}`,
    port,
    stats,
    nextAbort: () => new Promise<void>((resolve) => abortWaiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        if (pending) clearTimeout(pending);
        server.closeAllConnections();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      tokens: { type: "string", default: "8" },
      "interval-ms": { type: "string", default: "0" },
      "refuse-ms": { type: "string", default: "0" },
      "unavailable-ms": { type: "string", default: "0" },
      model: { type: "string", multiple: true },
      "api-key": { type: "string" },
    },
  });
  const s = await startStandin({
    host: values.host,
    port: Number(values.port),
    tokens: Number(values.tokens),
    tokenIntervalMs: Number(values["interval-ms"]),
    refuseForMs: Number(values["refuse-ms"]),
    unavailableForMs: Number(values["unavailable-ms"]),
    ...(values.model ? { models: values.model } : {}),
    ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: s.url })}\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
