import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  loadEngineEntries,
  loadGatewayConfigFile,
  type ServeLocalOptions,
  type ServingLocal,
  type SupervisorEvent,
  serveLocal,
  sha256Hex,
} from "@rouse/api";
import { writeFileAtomic } from "../fs-atomic.ts";
import { type ContainerStatsHandle, modalContainerStats } from "../modal/container-stats.ts";
import { stateDir } from "../state.ts";
import { CliError, EXIT, type Io, styles, UsageError } from "../ui/output.ts";
import { defineCommand } from "./command.ts";

/** `.rouse/local-server.json`: where a running `rouse serve --local` listens, for `rouse status --local`. */
export interface LocalServerRecord {
  readonly url: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly configs: readonly string[];
}

export const localServerPath = (cwd: string) => join(stateDir(cwd), "local-server.json");

/** The record of a `rouse serve --local` that is still running, if any. */
export async function readLocalServer(cwd: string): Promise<LocalServerRecord | undefined> {
  const path = localServerPath(cwd);
  if (!existsSync(path)) return undefined;
  try {
    const record = JSON.parse(await readFile(path, "utf8")) as LocalServerRecord;
    process.kill(record.pid, 0); // throws when that process is gone
    return record;
  } catch {
    return undefined;
  }
}

function transitionLine(io: Io, e: SupervisorEvent): string | undefined {
  if (e.type !== "transition") return undefined;
  const s = styles(io, "stdout");
  const t = e.transition;
  const colour =
    t.to === "ready"
      ? s.green
      : t.to === "failed"
        ? s.red
        : t.to === "stopped" || t.to === "sleeping"
          ? s.dim
          : s.cyan;
  return `${s.dim(t.at.slice(11, 23))} ${s.bold(e.engine)}  ${t.from} → ${colour(t.to)}  ${s.dim(t.reason)}`;
}

export const serveCommand = defineCommand({
  name: "serve",
  summary: "serve rouse.yaml engines on this machine (--local): start on demand, scale to zero when idle",
  args: "[rouse.yaml...]",
  description: `Runs the rouse gateway on this machine with one engine supervisor per config
(default: ./rouse.yaml). Each engine is spawned from its plugin's argv (vLLM,
SGLang; local.executable picks the binary), warmed up, and scaled to zero after
scaling.scaledownWindow without requests, the way local.scaleToZero says:
  sleep    engine sleep mode (GPU memory released, process kept; GPU machines)
  stop     the process exits; the next request cold-starts it (works everywhere)
  suspend  CUDA checkpoint of the process tree (NVIDIA driver >= 570)
sleep and suspend need a GPU (detected from /dev/nvidia*, /dev/kfd; override with
ROUSE_LOCAL_GPU=present|absent). A request for a sleeping or stopped engine wakes it —
one wake for all requests waiting meanwhile; every wake is verified with a canary
before traffic (a mismatch restarts the engine cold). Requests wait in the gateway's
one queue per engine (--gateway queue settings bound it). Crashes restart with backoff; repeated crashes
mark it failed; errors no retry can fix (a busy local.port, a missing executable or
model directory, an argument the engine refuses) fail at once, with the fix.
Engines whose engine.gpuMemoryUtilization add up to more than 1 take turns: the
least recently used sleeps first.

  /v1/*                          OpenAI-compatible, routed by \`model\` (model.servedName)
  /api/v1/engines[/NAME[/logs]]  state, history, stats, logs
  /metrics                       Prometheus, rouse_engine_* included
  /                              playground: chat with a model, watch every engine's state live
                                 (gateway upstreams that are deployments recorded by \`rouse deploy\`
                                 also show their running Modal containers when a token is configured)`,
  options: {
    local: { type: "boolean", description: "required: serve on this machine (Modal: rouse deploy)" },
    host: { type: "string", value: "HOST", description: "default 127.0.0.1" },
    port: { type: "string", value: "PORT", description: "default 8080 (0: any free port)" },
    gateway: {
      type: "string",
      value: "FILE",
      description: "gateway.yaml for auth keys, limits, logging (listen is taken from --host/--port)",
    },
    "api-key-env": {
      type: "string",
      value: "VAR",
      description: "accept the key in $VAR (default ROUSE_API_KEY, when set); loopback needs none",
    },
    "no-preload": { type: "boolean", description: "start each engine on its first request instead of now" },
    "log-requests": { type: "boolean", description: "print the gateway's JSON request log on stdout" },
  },
  footer: `Stop with Ctrl-C: requests in flight finish, then every engine is stopped.
\`rouse status --local\` shows the engines of a running \`rouse serve --local\`.`,
  async run({ values, positionals }, io) {
    if (!values.local)
      throw new UsageError(
        "only --local is supported: `rouse serve --local [rouse.yaml...]` (for Modal: rouse deploy)",
      );
    const port = Number(values.port ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port: not a port: ${values.port}`);
    const files = positionals.length > 0 ? positionals : ["rouse.yaml"];
    for (const f of files)
      if (!existsSync(join(io.cwd, f)))
        throw new CliError(`${f} does not exist`, "create one with `rouse init`");
    const entries = await loadEngineEntries(files, io.cwd);

    let gateway: Record<string, unknown> = { auth: { allowNoAuthOnLoopback: true } };
    if (values.gateway) {
      const { version: _, listen: __, ...rest } = await loadGatewayConfigFile(join(io.cwd, values.gateway));
      gateway = rest;
    }
    const keyEnv = values["api-key-env"] ?? "ROUSE_API_KEY";
    const key = io.env[keyEnv];
    if (key) {
      const auth = (gateway.auth ?? {}) as { keys?: unknown[]; allowNoAuthOnLoopback?: boolean };
      gateway = {
        ...gateway,
        auth: { ...auth, keys: [...(auth.keys ?? []), { name: "local", sha256: sha256Hex(key) }] },
      };
    } else if (values["api-key-env"]) {
      throw new CliError(`--api-key-env ${keyEnv}: the variable is not set`);
    }

    const s = styles(io, "stdout");
    // Modal deployments among the gateway's upstreams: their containers on the fleet view.
    let modal: ContainerStatsHandle | undefined;
    try {
      modal = await modalContainerStats(io, (gateway.upstreams ?? []) as { name: string; url: string }[]);
    } catch (error) {
      io.stderr.write(`${s.yellow(`Modal containers will not be shown: ${(error as Error).message}`)}\n`);
    }
    const requestLog = values["log-requests"]
      ? (e: Record<string, unknown>) => io.stdout.write(`${JSON.stringify(e)}\n`)
      : () => {};
    let local: ServingLocal;
    try {
      local = await serveLocal(entries, {
        host: values.host ?? "127.0.0.1",
        port,
        gateway: gateway as ServeLocalOptions["gateway"],
        preload: !values["no-preload"],
        deps: { log: requestLog, ...(modal ? { containerStats: modal.source } : {}) },
        log: () => {},
        onEvent: (e) => {
          const line = transitionLine(io, e);
          if (line) io.stdout.write(`${line}\n`);
        },
      });
    } catch (error) {
      modal?.close();
      throw new CliError((error as Error).message);
    }
    const record: LocalServerRecord = {
      url: local.url,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      configs: files,
    };
    await writeFileAtomic(localServerPath(io.cwd), `${JSON.stringify(record, null, 2)}\n`);
    io.stdout.write(
      `${s.bold("rouse serve --local")} on ${s.cyan(local.url)}  ${s.dim(`(pid ${process.pid})`)}\n`,
    );
    io.stdout.write(
      `  playground  ${s.cyan(`${local.url}/`)}  ${s.dim("chat and live fleet; API reference at /docs")}\n`,
    );
    for (const [upstream, app] of modal?.apps ?? [])
      io.stdout.write(
        `  ${s.bold(upstream)}  Modal app ${app}: containers from Modal's API on the fleet view\n`,
      );
    for (const e of local.engines.supervisors) {
      io.stdout.write(
        `  ${s.bold(e.name)}  ${e.plugin.displayName}, model ${e.models.join(", ")}, scale to zero: ${e.mode} after ${e.scaleDownAfterMs / 1000} s\n`,
      );
    }
    const plan = local.engines.plan;
    if (!plan.allAwake) {
      io.stdout.write(
        s.yellow(
          `  GPU memory: ${plan.usage.map((u) => u.toFixed(2)).join("/")} of 1 asked for — engines take turns (least recently used sleeps first)\n`,
        ),
      );
    }

    // Runs until Ctrl-C / SIGTERM; a second signal does not wait for the drain.
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        io.stdout.write(`${s.dim(`${signal}: draining, then stopping the engines`)}\n`);
        process.once(signal, () => process.exit(130));
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await local.close();
    modal?.close();
    await rm(localServerPath(io.cwd), { force: true });
    return EXIT.ok;
  },
});
