import { CliError, type Io } from "../ui/output.ts";
import { type ModalCli, modalFailure, modalJson, runModal } from "./cli.ts";

// Apps and containers through the Python CLI's JSON listings (keys as modal 1.6.4's
// display_table writes them: "App ID" → app_id, …), and container stops.

export interface AppRow {
  readonly app_id: string;
  readonly description: string;
  readonly state: string;
  readonly tasks?: string;
  readonly created_at?: string | null;
  readonly stopped_at?: string | null;
}

export interface ContainerRow {
  readonly container_id: string;
  readonly app_id: string;
  readonly app_name?: string;
  readonly start_time?: string;
}

export interface ListOptions {
  readonly environment?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

const envArgs = (o: ListOptions) => (o.environment ? ["--env", o.environment] : []);

/** The id of the deployed app with this name. */
export async function deployedAppId(
  cli: ModalCli,
  io: Io,
  app: string,
  options: ListOptions = {},
): Promise<string> {
  const apps = await modalJson<AppRow[]>(
    cli,
    ["app", "list", "--json", ...envArgs(options)],
    io,
    "listing Modal apps",
    options.timeoutMs,
  );
  const found = apps.find((a) => a.description === app && a.state === "deployed");
  if (!found) {
    const stopped = apps.some((a) => a.description === app);
    throw new CliError(
      stopped
        ? `app ${app} is not deployed (it was stopped)`
        : `no deployed app named ${app}${options.environment ? ` in environment ${options.environment}` : ""}`,
      "run `rouse deploy`",
    );
  }
  return found.app_id;
}

export async function listContainers(
  cli: ModalCli,
  io: Io,
  appId: string,
  options: ListOptions = {},
): Promise<ContainerRow[]> {
  const rows = await modalJson<ContainerRow[]>(
    cli,
    ["container", "list", "--app-id", appId, "--json", ...envArgs(options)],
    io,
    "listing the app's containers",
    options.timeoutMs,
  );
  return rows.filter((r) => r.app_id === appId);
}

export async function stopContainer(
  cli: ModalCli,
  io: Io,
  id: string,
  options: ListOptions = {},
): Promise<void> {
  const result = await runModal(cli, ["container", "stop", id, "--yes"], io, {
    traceback: true,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  // A container that stopped on its own meanwhile is fine: that is what we wanted.
  if (result.exitCode !== 0 && !/already stopped/i.test(result.lines.join("\n"))) {
    throw modalFailure(result, `stopping container ${id}`, io.env);
  }
}

export interface ScaleToZeroResult {
  readonly appId: string;
  readonly stopped: readonly string[];
  /** From the first list to an empty list. */
  readonly ms: number;
}

/**
 * Forces the app to zero containers: list, stop each, and poll the list until it is
 * empty (Modal may take a few seconds to reap them).
 */
export async function scaleToZero(
  cli: ModalCli,
  io: Io,
  app: string,
  options: ListOptions & {
    waitMs?: number;
    pollMs?: number;
    onProgress?: (text: string) => void;
    appId?: string;
  } = {},
): Promise<ScaleToZeroResult> {
  const started = performance.now();
  const appId = options.appId ?? (await deployedAppId(cli, io, app, options));
  const stopped: string[] = [];
  const deadline = started + (options.waitMs ?? 120_000);
  for (;;) {
    const running = await listContainers(cli, io, appId, options);
    if (running.length === 0) return { appId, stopped, ms: performance.now() - started };
    if (performance.now() > deadline) {
      throw new CliError(
        `${app} still has ${running.length} container(s) after ${Math.round((performance.now() - started) / 1000)} s of stopping them`,
        "is min_containers > 0 (`rouse scale --min 0`), or is traffic keeping it warm?",
      );
    }
    for (const c of running) {
      if (stopped.includes(c.container_id)) continue;
      options.onProgress?.(`stopping container ${c.container_id}`);
      await stopContainer(cli, io, c.container_id, options);
      stopped.push(c.container_id);
    }
    options.onProgress?.(`waiting for ${running.length} container(s) to go`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}
