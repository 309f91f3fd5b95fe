import type { LocalEngines } from "../fleet/local-engines.ts";

export interface EngineApiResponse {
  readonly status: number;
  readonly body: unknown;
}

const notFound = (message: string, code: string): EngineApiResponse => ({
  status: 404,
  body: { error: { message, type: "not_found_error", code, param: null } },
});

/**
 * `/api/v1/engines[/…]`, independent of the HTTP framework (the rouse gateway
 * mounts it under Hono; the runtime's own small server under node:http).
 * `path` is what follows `/api/v1/engines`.
 *
 * - `GET /` — every engine: state, history, stats, memory plan
 * - `GET /<name>` — one engine
 * - `GET /<name>/logs?lines=N` — the last N lines it printed (default 200)
 * - `POST /<name>/start` · `/<name>/scale-to-zero` — 202 with the state now
 * - `POST /<name>/restart` (failed engines) — 202 once it has left `failed`, with its new state
 */
export async function engineApi(
  engines: LocalEngines,
  method: string,
  path: string,
  query: URLSearchParams,
): Promise<EngineApiResponse | undefined> {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const history = Number(query.get("history") ?? 50);
  const historyOpt = { history: Number.isFinite(history) ? Math.max(0, history) : 50 };
  if (parts.length === 0)
    return method === "GET" ? { status: 200, body: engines.snapshot(historyOpt) } : undefined;
  const engine = engines.byName(parts[0]!);
  if (!engine) {
    const known = engines.supervisors.map((s) => s.name).join(", ");
    return notFound(`no local engine named '${parts[0]}' (engines: ${known})`, "engine_not_found");
  }
  const action = parts[1];
  if (parts.length === 1 && method === "GET") return { status: 200, body: engine.snapshot(historyOpt) };
  if (parts.length !== 2) return undefined;
  if (action === "logs" && method === "GET") {
    const lines = Math.max(1, Math.min(Number(query.get("lines") ?? 200) || 200, engine.logs.capacity));
    return {
      status: 200,
      body: { engine: engine.name, state: engine.state, lines: engine.logs.tail(lines) },
    };
  }
  if (method !== "POST") return undefined;
  if (action === "start") {
    engine.start();
    return { status: 202, body: { engine: engine.name, state: engine.state } };
  }
  if (action === "scale-to-zero") {
    engine.scaleToZero();
    return { status: 202, body: { engine: engine.name, state: engine.state } };
  }
  if (action === "restart") {
    if (engine.state !== "failed") {
      return {
        status: 409,
        body: {
          error: {
            message: `engine '${engine.name}' is ${engine.state}; only a failed engine is restarted by hand`,
            type: "invalid_request_error",
            code: "engine_not_failed",
            param: null,
          },
        },
      };
    }
    const state = await engine.restart();
    return {
      status: 202,
      body: { engine: engine.name, state, failure: engine.snapshot({ history: 0 }).failure },
    };
  }
  return undefined;
}
