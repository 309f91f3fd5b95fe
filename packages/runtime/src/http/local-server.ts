import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EngineRequestError } from "../errors.ts";
import type { LocalEngines } from "../fleet/local-engines.ts";
import { forward } from "../proxy/forward.ts";
import { engineApi } from "./engine-api.ts";

// The runtime's own small OpenAI-compatible front: routes `/v1/*` by `model` to
// the engines' supervisors and serves `/api/v1/engines`. `rouse serve --local`
// uses the rouse gateway (apps/api) instead, which adds auth, rate limits and
// metrics; this one is for embedding the runtime, its tests and its benchmark.

export interface LocalServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

const PROXIED = new Set(["/v1/chat/completions", "/v1/completions", "/v1/embeddings"]);
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"]);
const MAX_BODY = 8 * 1024 * 1024;

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function openAIError(status: number, type: string, message: string, code: string | null) {
  return { status, body: { error: { message, type, code, param: null } } };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function proxy(
  engines: LocalEngines,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const body = await readBody(req);
  let model: unknown;
  try {
    model = (JSON.parse(body.toString("utf8")) as { model?: unknown } | null)?.model;
  } catch {
    const e = openAIError(400, "invalid_request_error", "The request body is not valid JSON", "invalid_json");
    return json(res, e.status, e.body);
  }
  const engine = typeof model === "string" ? engines.byModel(model) : undefined;
  if (!engine) {
    const e = openAIError(
      404,
      "not_found_error",
      `The model '${String(model)}' does not exist here`,
      "model_not_found",
    );
    return json(res, e.status, e.body);
  }
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort(new Error("client closed the connection"));
  });
  const headers: Record<string, string> = {
    "content-type": req.headers["content-type"] ?? "application/json",
  };
  if (req.headers.accept) headers.accept = req.headers.accept;
  let answer: Awaited<ReturnType<typeof forward>>;
  try {
    answer = await forward(engine, { method: "POST", path, headers, body, signal: abort.signal });
  } catch (error) {
    if (abort.signal.aborted) return;
    if (error instanceof EngineRequestError) {
      const retry: Record<string, string> =
        error.retryAfterSeconds !== undefined ? { "retry-after": String(error.retryAfterSeconds) } : {};
      return json(res, error.status, error.toBody(), { ...retry, "x-rouse-engine": engine.name });
    }
    throw error;
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  out["x-rouse-engine"] = engine.name;
  out["x-rouse-cold-start"] = String(answer.coldStart);
  out["x-rouse-queue-ms"] = String(Math.round(answer.waitedMs));
  res.writeHead(answer.status, out);
  const sse = String(answer.headers["content-type"] ?? "").startsWith("text/event-stream");
  answer.body.on("data", (chunk: Buffer) => {
    if (!res.write(chunk)) answer.body.pause();
  });
  res.on("drain", () => answer.body.resume());
  answer.body.once("end", () => res.end());
  answer.body.once("error", (error: Error) => {
    // A stream that broke ends with an OpenAI-style error event naming the engine.
    if (sse && !res.destroyed) {
      const code = error instanceof EngineRequestError ? error.code : "upstream_disconnected";
      const event =
        error instanceof EngineRequestError
          ? error.toBody()
          : openAIError(502, "upstream_error", error.message, code).body;
      res.end(`data: ${JSON.stringify(event)}\n\n`);
    } else res.destroy(error);
  });
  res.once("close", () => answer.body.destroy());
}

/** Serves `engines` on `host:port` (port 0: any free port). */
export async function startLocalServer(
  engines: LocalEngines,
  options: { host?: string; port?: number } = {},
): Promise<LocalServer> {
  const created = Math.floor(Date.now() / 1000);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    const path = url.pathname;
    const handle = async () => {
      if (req.method === "POST" && PROXIED.has(path)) return proxy(engines, req, res, path + url.search);
      if (req.method === "GET" && path === "/v1/models") {
        const data = engines.models().map((id) => ({ id, object: "model", created, owned_by: "rouse" }));
        return json(res, 200, { object: "list", data });
      }
      if (req.method === "GET" && path === "/healthz") return json(res, 200, { status: "ok" });
      if (path === "/api/v1/engines" || path.startsWith("/api/v1/engines/")) {
        const answer = await engineApi(
          engines,
          req.method ?? "GET",
          path.slice("/api/v1/engines".length),
          url.searchParams,
        );
        if (answer) return json(res, answer.status, answer.body);
      }
      const e = openAIError(404, "not_found_error", "Unknown route", "unknown_route");
      json(res, e.status, e.body);
    };
    handle().catch((error: unknown) => {
      const e = openAIError(
        500,
        "server_error",
        error instanceof Error ? error.message : String(error),
        null,
      );
      json(res, e.status, e.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
