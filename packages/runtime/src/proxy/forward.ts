import { Readable } from "node:stream";
import { EngineRequestError } from "../errors.ts";
import { describeExit, type ExitInfo } from "../process/engine-process.ts";
import type { Lease } from "../supervisor/lease.ts";

export interface ForwardRequest {
  readonly method: string;
  /** Path with query, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Lower-case names; `authorization` is replaced by the engine's own key. */
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  readonly signal: AbortSignal;
}

export interface ForwardResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Raw bytes; destroy it to cancel. The engine's lease ends when it closes. */
  readonly body: Readable;
}

/** The part of a supervisor `forward` needs (an EngineSupervisor). */
export interface Acquirable {
  readonly name: string;
  /** A hold on the ready engine; throws an EngineRequestError when it is not ready. */
  acquire(): Lease;
}

/** How long a failed request waits to learn whether the engine process died (for the error). */
const EXIT_GRACE_MS = 1_000;

/**
 * One request through a supervisor: acquire the ready engine (a refusal —
 * not ready, failed, shutting down — rejects at once), send to the engine, hand back the response as it arrives, and
 * release the engine when the body is over, however it ends. Failures caused
 * by the engine dying name the engine and its exit code.
 */
export async function forward(supervisor: Acquirable, req: ForwardRequest): Promise<ForwardResponse> {
  const lease = supervisor.acquire();
  let res: Awaited<ReturnType<Lease["dispatcher"]["request"]>>;
  try {
    const headers = { ...req.headers };
    delete headers.authorization;
    if (lease.apiKey) headers.authorization = `Bearer ${lease.apiKey}`;
    res = await lease.dispatcher.request({
      method: req.method as "POST",
      path: req.path,
      headers,
      body: req.body ?? null,
      signal: req.signal,
    });
  } catch (error) {
    lease.release();
    if (req.signal.aborted) throw error;
    throw await engineFailure(lease, error, "before answering");
  }
  const sse = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
  const body = sse ? explainStreamErrors(res.body, lease) : res.body;
  body.once("close", () => lease.release());
  return {
    status: res.statusCode,
    headers: res.headers,
    body,
  };
}

/** The error for a request that failed because of its engine: crashed (with exit code) or unreachable. */
export async function engineFailure(lease: Lease, cause: unknown, when: string): Promise<EngineRequestError> {
  const exit = await exitWithin(lease, EXIT_GRACE_MS);
  // One code for a stream that breaks, whoever serves it: the gateway's `upstream_disconnected`.
  const midStream = when === "mid-stream";
  if (exit) {
    return new EngineRequestError(
      lease.engine,
      midStream ? "upstream_disconnected" : "engine_crashed",
      `engine '${lease.engine}' exited (${describeExit(exit)}) ${when}; it is being restarted`,
      { exitCode: exit.code, cause },
    );
  }
  const why = cause instanceof Error ? cause.message : String(cause);
  return new EngineRequestError(
    lease.engine,
    midStream ? "upstream_disconnected" : "engine_unreachable",
    `engine '${lease.engine}' failed ${when}: ${why}`,
    {
      cause,
    },
  );
}

async function exitWithin(lease: Lease, ms: number): Promise<ExitInfo | undefined> {
  if (lease.process.exit) return lease.process.exit;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const exit = await Promise.race([lease.process.exited, timeout]);
  clearTimeout(timer);
  return exit;
}

/**
 * Passes an SSE body through unchanged; if it breaks, the error says which
 * engine and exit code, so the gateway's mid-stream error event is clear.
 */
function explainStreamErrors(source: Readable, lease: Lease): Readable {
  const out = new Readable({
    read() {
      source.resume();
    },
    destroy(error, callback) {
      source.destroy();
      callback(error);
    },
  });
  source.on("data", (chunk: Buffer) => {
    if (!out.push(chunk)) source.pause();
  });
  source.once("end", () => out.push(null));
  source.once("error", (error) => {
    if (out.destroyed) return;
    void engineFailure(lease, error, "mid-stream").then((e) => out.destroy(e));
  });
  return out;
}
