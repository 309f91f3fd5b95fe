import { resolve } from "node:path";
import { ConfigError, type GatewayConfigV1Input, readDeploymentFile } from "@rouse/config";
import {
  type EngineEntry,
  LocalEngines,
  type LocalEnginesOptions,
  type SupervisorEvent,
} from "@rouse/runtime";
import { createGateway, type Gateway, type GatewayDeps } from "../gateway.ts";
import { type RunningServer, startServer } from "../server.ts";
import { registerEngineMetrics } from "./engine-metrics.ts";
import { engineRoutes } from "./engine-routes.ts";
import { EngineUpstream } from "./engine-upstream.ts";

// `rouse serve --local`: the rouse gateway in front of local engines. Each
// rouse.yaml gets an engine supervisor (@rouse/runtime) that starts the engine
// on demand, scales it to zero when idle and restarts it when it crashes; the
// gateway routes `/v1/*` to it by `model` — holding the requests that arrive
// while it starts or wakes in its one bounded queue per upstream (`queue`
// settings), see EngineUpstream — and adds `/api/v1/engines` and the engines'
// metrics on `/metrics`.

export interface LocalGatewayOptions {
  /** Gateway settings (auth keys, logging, limits); `upstreams` may add remote ones. Default: no auth on loopback. */
  readonly gateway?: Omit<GatewayConfigV1Input, "version">;
  readonly deps?: Omit<GatewayDeps, "upstreams">;
  /** Supervisor settings (tests: short windows, a stand-in executable). */
  readonly engines?: Omit<LocalEnginesOptions, "onEvent">;
  /** Also told every supervisor event (logs). */
  readonly onEvent?: (event: SupervisorEvent) => void;
}

export interface LocalGateway {
  readonly gateway: Gateway;
  readonly engines: LocalEngines;
  /** Stops the engines (after the gateway has drained, when served). */
  close(): Promise<void>;
}

/**
 * Reads and validates each rouse.yaml (relative to `cwd`); every invalid file is
 * reported, with positions. Files are named as given in later errors.
 */
export async function loadEngineEntries(
  files: readonly string[],
  cwd = process.cwd(),
): Promise<EngineEntry[]> {
  const entries: EngineEntry[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      const { config } = await readDeploymentFile(resolve(cwd, file));
      entries.push({ config, source: file });
    } catch (error) {
      errors.push(error instanceof ConfigError ? error.message : `${file}: ${(error as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return entries;
}

/** The gateway with the local engines mounted; nothing listens and nothing is started yet. */
export async function createLocalGateway(
  entries: readonly EngineEntry[],
  options: LocalGatewayOptions = {},
): Promise<LocalGateway> {
  // Metrics live in the gateway's registry, which exists only after the engines do.
  let record: ((e: SupervisorEvent) => void) | undefined;
  const engines = await LocalEngines.create(entries, {
    ...options.engines,
    supervisor: (entry) => ({
      ...(options.deps?.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: options.deps.retryAfterSeconds }
        : {}),
      ...options.engines?.supervisor?.(entry),
    }),
    onEvent: (e) => {
      record?.(e);
      options.onEvent?.(e);
    },
  });
  const { gateway: settings, deps } = options;
  const gateway = createGateway(
    {
      auth: { allowNoAuthOnLoopback: true },
      ...settings,
      version: 1,
    },
    { ...deps, upstreams: engines.supervisors.map((s) => new EngineUpstream(s)) },
  );
  record = registerEngineMetrics(gateway.metrics.registry, () => engines);
  gateway.app.route("/api/v1/engines", engineRoutes(engines));
  return {
    gateway,
    engines,
    close: async () => {
      await gateway.close();
      await engines.close();
    },
  };
}

export interface ServeLocalOptions extends LocalGatewayOptions {
  readonly host?: string;
  readonly port?: number;
  /** Start every engine that fits now instead of on its first request. Default true. */
  readonly preload?: boolean;
  readonly shutdownDeadlineMs?: number;
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface ServingLocal extends LocalGateway {
  readonly server: RunningServer;
  readonly url: string;
}

/**
 * Serves local engines behind the gateway. `close()` drains the gateway, then
 * stops every engine process.
 *
 * @example
 * const local = await serveLocal(await loadEngineEntries(["rouse.yaml"]), { port: 8080 });
 * // POST http://127.0.0.1:8080/v1/chat/completions {"model": "<servedName>", …}
 */
export async function serveLocal(
  entries: readonly EngineEntry[],
  options: ServeLocalOptions = {},
): Promise<ServingLocal> {
  const local = await createLocalGateway(entries, options);
  let server: RunningServer;
  try {
    server = await startServer(local.gateway, {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.shutdownDeadlineMs !== undefined ? { shutdownDeadlineMs: options.shutdownDeadlineMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    await local.close();
    throw error;
  }
  if (options.preload ?? true) local.engines.start();
  let closing: Promise<void> | undefined;
  return {
    ...local,
    server,
    url: server.url,
    close: () =>
      (closing ??= (async () => {
        await server.close(); // drains requests, closes the gateway
        await local.engines.close();
      })()),
  };
}
