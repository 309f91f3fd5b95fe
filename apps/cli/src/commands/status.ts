import { generateFor } from "../app/generate-app.ts";
import { resolveTarget, targetEndpoint } from "../app/target.ts";
import { endpointFunction, sdkTimeoutMs, withModal } from "../modal/sdk.ts";
import { configHash, sha256 } from "../state.ts";
import { progress } from "../ui/progress.ts";
import { CliError, EXIT, styles, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";
import { localServeRunning, statusLocal } from "./status-local.ts";

export interface LiveStatus {
  readonly state: string;
  readonly appId: string;
  readonly deployedAt: string | undefined;
  readonly deployedBy: string | undefined;
  readonly version: number | undefined;
  readonly webUrl: string | undefined;
  readonly runningContainers: number;
  readonly backlog: number;
  readonly lastHour: {
    readonly containersStarted: number;
    readonly containerErrors: number;
    readonly inputsSucceeded: number;
    readonly inputsFailed: number;
  };
}

const ago = (iso: string | undefined) => {
  if (!iso) return "";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(s)) return "";
  if (s < 90) return `${Math.round(s)}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129_600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
};

export const statusCommand = defineCommand({
  name: "status",
  summary: "what is deployed: local record + Modal's live view (lifecycle, URL, containers)",
  args: "[rouse.yaml]",
  description: `Shows the deployment recorded in .rouse/state.json (URL, when, modal version, whether
rouse.yaml or the generated app changed since), then asks Modal through its JavaScript
SDK: lifecycle state, deployed at/by, the endpoint's web URL, containers running now,
and containers started in the last hour (a cold start shows up there).`,
  options: {
    preset: shared.preset,
    app: shared.app,
    env: shared.env,
    "modal-timeout": shared.modalTimeout(15),
    local: {
      type: "boolean",
      description: "only the local record; don't contact Modal (a running `rouse serve --local`: its engines)",
    },
    json: shared.json('{"app", "record", "changed", "live"}'),
  },
  footer: "Exit codes: 0 ok, 1 Modal could not be asked (the local part is still printed).",
  async run({ values, positionals }, io) {
    if (values.local && (await localServeRunning(io))) return statusLocal(io, { json: values.json }); // a running `rouse serve --local`
    const target = await resolveTarget(io, { app: values.app, file: positionals[0], preset: values.preset });
    const record = target.record;
    let changed: { config: boolean; app: boolean } | undefined;
    if (record && target.config) {
      const source = generateFor(
        io,
        { config: target.config, warnings: [], source: target.from },
        true,
      ).source;
      changed = {
        config: configHash(target.config) !== record.configHash,
        app: sha256(source) !== record.sourceHash,
      };
    }
    const s = styles(io, "stdout");
    const row = (k: string, v: string) => io.stdout.write(`  ${k.padEnd(12)}${v}\n`);
    if (!values.json) {
      io.stdout.write(`${s.bold(target.app)}  ${s.dim(`(${target.from})`)}\n`);
      if (!record) row("local", s.yellow("not deployed from here (no .rouse/state.json record)"));
      else {
        row("url", record.webUrl ?? s.yellow("none recorded"));
        row(
          "deployed",
          `${record.deployedAt} ${s.dim(ago(record.deployedAt))} with modal ${record.modalVersion}`,
        );
        row("engine", `${record.engine} · ${record.model}`);
        if (record.stoppedAt) row("stopped", `${record.stoppedAt} (rouse stop)`);
        if (changed) {
          row(
            "changes",
            changed.config || changed.app
              ? s.yellow(
                  `${changed.config ? `${target.from} changed` : "the generated app changed"} since the deploy — \`rouse deploy\` applies it`,
                )
              : "none since the deploy",
          );
        }
      }
    }
    let live: LiveStatus | undefined;
    let liveError: CliError | undefined;
    if (!values.local) {
      const bar = progress(io, "asking Modal");
      try {
        const environment = values.env ?? record?.environment;
        live = await withModal(
          io,
          `asking Modal about ${target.app}`,
          async (client) => {
            const app = await client.apps.fromName(target.app, environment ? { environment } : {});
            const info = await app.info({ refresh: true });
            let webUrl: string | undefined;
            let running = 0;
            let backlog = 0;
            const lastHour = {
              containersStarted: 0,
              containerErrors: 0,
              inputsSucceeded: 0,
              inputsFailed: 0,
            };
            if (info.lifecycle.state === "deployed") {
              const fn = await endpointFunction(client, target.app, targetEndpoint(io, target), {
                environment,
              });
              webUrl = await fn.getWebUrl();
              const current = await fn.getCurrentStats();
              running = current.numTotalRunners;
              backlog = current.backlog;
              const stats = await fn.stats();
              Object.assign(lastHour, {
                containersStarted: stats.containerStartedCount,
                containerErrors: stats.containerErrorCount,
                inputsSucceeded: stats.inputSuccessCount,
                inputsFailed: stats.inputFailureCount,
              });
            }
            return {
              state: info.lifecycle.state,
              appId: info.appId,
              deployedAt: info.lifecycle.deployedAt?.toISOString(),
              deployedBy: info.lifecycle.deployedBy,
              version: info.lifecycle.version,
              webUrl,
              runningContainers: running,
              backlog,
              lastHour,
            };
          },
          sdkTimeoutMs(values["modal-timeout"]),
        );
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        liveError = error;
      } finally {
        bar.stop();
      }
    }
    if (values.json) {
      writeJson(io, {
        app: target.app,
        record: record ?? null,
        changed: changed ?? null,
        live: live ?? null,
        liveError: liveError?.message ?? null,
      });
      return liveError ? EXIT.failure : EXIT.ok;
    }
    if (live) {
      io.stdout.write(`${s.bold("Modal")}  ${s.dim(live.appId)}\n`);
      row(
        "state",
        `${live.state === "deployed" ? s.green(live.state) : s.yellow(live.state)}${live.version !== undefined ? ` (version ${live.version})` : ""}`,
      );
      if (live.deployedAt)
        row(
          "deployed",
          `${live.deployedAt} ${s.dim(ago(live.deployedAt))}${live.deployedBy ? ` by ${live.deployedBy}` : ""}`,
        );
      if (live.webUrl)
        row(
          "url",
          `${live.webUrl}${record?.webUrl && record.webUrl !== live.webUrl ? s.yellow(" (differs from the recorded one)") : ""}`,
        );
      row(
        "containers",
        `${live.runningContainers} running${live.backlog ? `, ${live.backlog} inputs waiting` : ""}${live.runningContainers === 0 ? s.dim(" — the next request is a cold start") : ""}`,
      );
      row(
        "last hour",
        `${live.lastHour.containersStarted} container(s) started, ${live.lastHour.containerErrors} failed; ${live.lastHour.inputsSucceeded} inputs ok, ${live.lastHour.inputsFailed} failed`,
      );
    }
    if (liveError) throw liveError;
    return EXIT.ok;
  },
});
