import type { EngineSnapshot, FleetSnapshot } from "@rouse/api";
import { CliError, EXIT, type Io, styles, writeJson } from "../ui/output.ts";
import { readLocalServer } from "./serve.ts";

// `rouse status --local` while a `rouse serve --local` runs: its engines, asked
// over HTTP (GET /api/v1/engines) — state, since when, mode, requests, cold
// starts, wakes, queue waits, time per state, the last crash.

const ms = (n: number | null | undefined) =>
  n === null || n === undefined ? "—" : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;

const ago = (iso: string) => {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? `${Math.round(s)}s` : s < 5400 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
};

/** Share of the engine's life in each state that took any time, e.g. `ready 61% · sleeping 39%`. */
function timeShares(e: EngineSnapshot): string {
  const times = Object.entries(e.stats.timeInStateMs).filter(([, t]) => t > 0);
  const total = times.reduce((sum, [, t]) => sum + t, 0) || 1;
  return times
    .sort((a, b) => b[1] - a[1])
    .map(([state, t]) => `${state} ${Math.round((100 * t) / total)}%`)
    .join(" · ");
}

/** True when a local server is running here (then `rouse status --local` shows it). */
export async function localServeRunning(io: Io): Promise<boolean> {
  return (await readLocalServer(io.cwd)) !== undefined || Boolean(io.env.ROUSE_LOCAL_URL);
}

export async function statusLocal(io: Io, options: { json?: boolean }): Promise<number> {
  const record = await readLocalServer(io.cwd);
  const url = io.env.ROUSE_LOCAL_URL ?? record?.url;
  if (!url)
    throw new CliError(
      "no `rouse serve --local` is running here",
      "start one with `rouse serve --local rouse.yaml`",
    );
  const key = io.env.ROUSE_API_KEY;
  let fleet: FleetSnapshot;
  try {
    const response = await fetch(`${url}/api/v1/engines?history=5`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    fleet = (await response.json()) as FleetSnapshot;
  } catch (error) {
    throw new CliError(`could not ask ${url}/api/v1/engines: ${(error as Error).message}`);
  }
  if (options.json) {
    writeJson(io, { url, server: record ?? null, ...fleet });
    return EXIT.ok;
  }
  const s = styles(io, "stdout");
  const row = (k: string, v: string) => io.stdout.write(`    ${k.padEnd(11)}${v}\n`);
  io.stdout.write(
    `${s.bold("rouse serve --local")} ${s.cyan(url)}${record ? s.dim(` (pid ${record.pid}, up ${ago(record.startedAt)})`) : ""}\n`,
  );
  const m = fleet.memory;
  io.stdout.write(
    `  GPU memory: ${m.usage.map((u) => u.toFixed(2)).join("/")} asked of ${m.capacity}${m.allAwake ? "" : " — engines take turns"}; held by ${m.holders.join(", ") || "none"}\n`,
  );
  for (const e of fleet.engines) {
    const colour =
      e.state === "ready"
        ? s.green
        : e.state === "failed"
          ? s.red
          : e.state === "stopped" || e.state === "sleeping" || e.state === "suspended"
            ? s.dim
            : s.cyan;
    io.stdout.write(
      `\n  ${s.bold(e.name)}  ${colour(e.state)} ${s.dim(`for ${ago(e.since)}`)}  ${s.dim(`${e.engine} · ${e.models.join(", ")}`)}\n`,
    );
    row(
      "mode",
      `${e.mode} after ${e.scaleDownAfterMs / 1000} s idle${e.pinned ? " (pinned awake)" : ""}${e.suspendUnavailable ? s.yellow(` — suspend unavailable, stopping instead: ${e.suspendUnavailable}`) : ""}`,
    );
    row("process", e.pid ? `pid ${e.pid} at ${e.url}` : "none");
    row("requests", `${e.stats.requests} served, ${e.inFlight} in flight`);
    const st = e.stats;
    row("cold start", `${st.coldStart.count}× p50 ${ms(st.coldStart.p50Ms)} max ${ms(st.coldStart.maxMs)}`);
    row("wake", `${st.wake.count}× p50 ${ms(st.wake.p50Ms)} max ${ms(st.wake.maxMs)}`);
    const c = e.canary;
    if (c?.enabled) {
      const verdict =
        c.mismatches > 0
          ? s.red(
              `${c.mismatches} mismatch(es), restarted cold; last ${c.last?.at ?? ""}: ${c.last?.detail ?? ""}`,
            )
          : `${c.checks} wake(s) verified, all identical`;
      row(
        "canary",
        c.unavailable
          ? s.yellow(`not recorded, wakes unverified: ${c.unavailable}`)
          : `${verdict} ${s.dim(`(p50 ${ms(st.canary?.p50Ms)})`)}`,
      );
    }
    if (e.gate && e.gate.phase !== "open")
      row("engine", s.dim(`${e.gate.phase}: the runtime sends it nothing unsafe`));
    row("time", timeShares(e));
    if (e.lastExit)
      row(
        "last exit",
        `${e.lastExit.signal ?? `code ${e.lastExit.code}`} at ${e.lastExit.at} (${e.restarts} restarts)`,
      );
    if (e.failure) {
      row("failed", s.red(e.failure.reason));
      const last = e.failure.logTail.filter((l) => l.stream !== "supervisor").at(-1);
      if (last) row("", s.dim(`last engine line: ${last.line.slice(0, 200)}`));
      row("", s.dim(`logs: rouse status --local --json, or GET ${url}/api/v1/engines/${e.name}/logs`));
    }
    const last = e.history.at(-1);
    if (last) row("last", s.dim(`${last.from} → ${last.to}: ${last.reason}`));
  }
  return EXIT.ok;
}
