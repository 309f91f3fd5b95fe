import { writeSync } from "node:fs";
import type { RequestRecord } from "../middleware/access-log/index.ts";

export type LogEntry = Record<string, unknown>;
export type LogSink = (entry: LogEntry) => void;

/**
 * One JSON object per line on stdout (or any writer). Lines written in the same
 * turn of the event loop go out in one write (one syscall for many requests under
 * load); whatever is pending is flushed synchronously when the process exits.
 */
export function jsonLines(write?: (text: string) => void): LogSink {
  const out = write ?? ((text: string) => process.stdout.write(text));
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const text = pending;
    pending = "";
    out(text);
  };
  if (!write) {
    process.once("exit", () => {
      if (pending !== "") writeSync(1, pending);
      pending = "";
    });
  }
  return (entry) => {
    pending += `${JSON.stringify(entry)}\n`;
    if (pending.length > 64 * 1024) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 100) / 100);

/**
 * The per-request log line. Holds the key's *name*, never the key; request and
 * response bodies only when `logging.bodies` captured them.
 */
export function requestLogEntry(r: RequestRecord): LogEntry {
  return {
    ts: new Date().toISOString(),
    level: r.status >= 500 || r.error ? "warn" : "info",
    msg: "request",
    requestId: r.id,
    method: r.method,
    path: r.path,
    route: r.route,
    status: r.status,
    durationMs: round(r.durationMs),
    ttftMs: round(r.ttftMs),
    upstream: r.upstream,
    model: r.model,
    stream: r.stream,
    coldStart: r.coldStart,
    queueMs: round(r.queueMs),
    attempts: r.attempts,
    key: r.key,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    chunks: r.chunks,
    error: r.error,
    requestBody: r.requestBody,
    responseBody: r.responseBody,
  };
}
