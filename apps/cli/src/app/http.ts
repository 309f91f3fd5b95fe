import { ApiError, createClient, type RouseClient, RouseClientError, TimeoutError } from "@rouse/client";
import { CliError, type Io } from "../ui/output.ts";
import { formatElapsed, type Progress } from "../ui/progress.ts";

/**
 * Request headers that ask for the boot header (x-rouse-boot: restored | cold): rouse's
 * in-process guard adds it only to requests that ask, so nothing is done per token otherwise.
 */
export const ASK_BOOT_HEADER = { "x-rouse-boot": "?" } as const;

/** A client for a deployment (or any OpenAI-compatible server). */
export function clientFor(
  url: string,
  apiKey: string | undefined,
  options: { timeoutS?: number; connections?: number } = {},
): RouseClient {
  const timeoutMs = (options.timeoutS ?? 900) * 1000;
  return createClient({
    baseURL: url,
    apiKey,
    timeouts: { firstByteMs: timeoutMs, idleMs: Math.min(timeoutMs, 300_000) },
    retry: { maxElapsedMs: timeoutMs },
    ...(options.connections ? { pool: { connections: options.connections } } : {}),
  });
}

/** One line + hint for whatever the client threw. */
export function clientFailure(error: unknown, what: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof RouseClientError) {
    const first = error.message.split("\n")[0]!;
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      return new CliError(
        `${what}: the server refused the API key (HTTP ${error.status})`,
        "pass --api-key KEY, or set the variable --api-key-env names (default ROUSE_API_KEY)",
      );
    }
    return new CliError(`${what}: ${first}`, error.hint);
  }
  return new CliError(`${what}: ${(error as Error)?.message ?? String(error)}`);
}

/** Waits for /health, drawing the cold-start wait as a live timer. */
export async function waitReady(client: RouseClient, bar: Progress, deadlineS: number, path = "/health") {
  try {
    return await client.waitUntilReady({
      deadlineMs: deadlineS * 1000,
      intervalMs: 1000,
      path,
      onProgress: (p) => {
        if (p.ready) return;
        const last =
          p.lastStatus !== undefined
            ? `HTTP ${p.lastStatus}`
            : (p.lastError?.message.split("\n")[0]?.slice(0, 60) ?? "no answer");
        bar.update(`waiting for ${client.rootURL}${path} — cold start? probe ${p.attempt}, last: ${last}`);
      },
    });
  } catch (error) {
    if (error instanceof TimeoutError && error.phase === "deadline") {
      throw new CliError(
        `${client.rootURL}${path} did not answer 2xx within ${formatElapsed(deadlineS * 1000)}`,
        "a first cold start can take minutes (image pull, weights, compile): raise --timeout, or look at `rouse logs`; other servers may need --health-path (the rouse gateway: /readyz)",
      );
    }
    throw clientFailure(error, "health check");
  }
}

/** The first model the server lists. */
export async function firstModel(client: RouseClient): Promise<{ ids: string[]; model: string }> {
  try {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    if (!ids[0]) throw new CliError(`${client.baseURL}/models lists no model`, "pass --model NAME");
    return { ids, model: ids[0] };
  } catch (error) {
    throw clientFailure(error, "listing models");
  }
}

export const isTTY = (io: Io) => Boolean(io.stderr.isTTY);
