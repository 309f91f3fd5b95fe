import { join, resolve } from "node:path";
import { servedNamesOf } from "@rouse/config";
import { clientFor } from "../app/http.ts";
import { resolveApiKey, resolveTarget, type Target, targetEndpoint } from "../app/target.ts";
import {
  assembleRun,
  type ColdStartRun,
  coldstartHtml,
  coldstartTable,
  summarise,
  type Timed,
  timedRequest,
} from "../bench/coldstart.ts";
import { oneLine } from "../bench/load.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { findModal } from "../modal/cli.ts";
import { deployedAppId, listContainers, scaleToZero } from "../modal/containers.ts";
import { endpointFunction, withModal } from "../modal/sdk.ts";
import { progress } from "../ui/progress.ts";
import { defineCommand, type OptionSpecs, type Parsed } from "./command.ts";
import * as shared from "./options.ts";
import { CliError, EXIT, type Io, styles, UsageError, writeJson } from "../ui/output.ts";
import { fetchBoot } from "./probe.ts";
import { stamp, rouseVersion } from "./bench-load.ts";

const benchColdstartOptions = {
  ...shared.target,
  model: { type: "string", value: "NAME", description: "default: the config's served model name" },
  runs: { type: "string", value: "N", description: "cold starts to measure (default 5)" },
  prompt: { type: "string", value: "TEXT", description: 'the request (default "Say hello.")' },
  "max-tokens": { type: "string", value: "N", description: "default 16" },
  settle: {
    type: "string",
    value: "SECONDS",
    description: "pause after reaching zero containers, before the request (default 2)",
  },
  timeout: { type: "string", value: "SECONDS", description: "per request, the cold start included (default 900)" },
  env: shared.env,
  "modal-bin": shared.modalBin,
  "modal-timeout": shared.modalTimeout(30, "per call to Modal, CLI or SDK"),
  out: { type: "string", value: "DIR", description: "default .rouse/bench" },
  "no-html": { type: "boolean", description: "JSON only" },
  "no-modal-stats": {
    type: "boolean",
    description: "skip Modal's own count of containers started (JavaScript SDK, Function.stats)",
  },
  json: shared.json("print the result JSON instead of the table"),
} as const satisfies OptionSpecs;

export async function benchColdstart({ values, positionals }: Parsed<typeof benchColdstartOptions>, io: Io): Promise<number> {
  const num = (v: string | undefined, flag: string, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`${flag} must be a number ≥ ${min}, got '${v}'`);
    return n;
  };
  const runs = Math.floor(num(values.runs, "--runs", 5, 1));
  const maxTokens = Math.floor(num(values["max-tokens"], "--max-tokens", 16, 1));
  const settleMs = num(values.settle, "--settle", 2, 0) * 1000;
  const timeoutS = num(values.timeout, "--timeout", 900, 1);
  const modalTimeoutMs = num(values["modal-timeout"], "--modal-timeout", 30, 1) * 1000;
  const prompt = values.prompt ?? "Say hello.";

  const target = await resolveTarget(io, { app: values.app, file: positionals[0], preset: values.preset });
  const url = values.url ?? io.env.ROUSE_URL ?? target.record?.webUrl;
  if (!url)
    throw new CliError(
      `no URL for ${target.app}`,
      "pass --url, or run `rouse deploy` (or `rouse url --live`) from here first",
    );
  const apiKey = resolveApiKey(
    io,
    { apiKey: values["api-key"], apiKeyEnv: values["api-key-env"] },
    target.config,
  );
  const cli = findModal(io, values["modal-bin"]);
  const environment = values.env ?? target.record?.environment;
  const list = { environment, timeoutMs: modalTimeoutMs };
  const e = styles(io);

  const bar = progress(io, `finding ${target.app} on Modal`);
  // No retries on the client's side beyond what a cold start needs: Modal queues web-server
  // requests during a cold start; an `@app.server` answers 503 until a replica is up.
  const client = clientFor(url, apiKey, { timeoutS });
  const results: ColdStartRun[] = [];
  const startedAt = new Date().toISOString();
  // The model list would itself wake the app, so the name comes from the flag or the config.
  const model = values.model ?? (target.config ? servedNamesOf(target.config)[0] : target.record?.model);
  if (!model)
    throw new UsageError("--model is needed here (listing the server's models would itself wake the app)");
  try {
    const appId = await deployedAppId(cli, io, target.app, list);
    for (let run = 1; run <= runs; run++) {
      const label = `run ${run}/${runs}`;
      const zero = await scaleToZero(cli, io, target.app, {
        ...list,
        appId,
        onProgress: (t) => bar.update(`${label}: ${t}`),
      });
      const before = [...zero.stopped];
      if (settleMs) {
        bar.update(`${label}: zero containers; settling ${settleMs / 1000}s`);
        await new Promise((r) => setTimeout(r, settleMs));
      }
      bar.update(`${label}: request sent — waiting out the cold start`);
      const requestAt = new Date().toISOString();
      let timed: Timed | undefined;
      let error: string | undefined;
      try {
        timed = await timedRequest(client, model, prompt, maxTokens);
      } catch (err) {
        error = oneLine(err);
      }
      const boot = timed?.bootHeader ? await fetchBoot(client.rootURL, apiKey) : undefined;
      let after: string[] | undefined;
      try {
        after = (await listContainers(cli, io, appId, list)).map((c) => c.container_id);
      } catch {
        after = undefined;
      }
      const result = assembleRun({
        run,
        stoppedContainers: zero.stopped,
        zeroMs: zero.ms,
        requestAt,
        timed,
        error,
        boot,
        before,
        after,
      });
      results.push(result);
      bar.log(
        `${label}: ${result.success ? `TTFT ${(result.ttftMs! / 1000).toFixed(2)} s` : e.red("failed")}${result.restored === true ? " · restored" : result.restored === false ? ` · ${e.yellow("NOT restored")}` : ""}${result.flags.length ? e.dim(` · ${result.flags.join("; ")}`) : ""}`,
      );
    }
  } finally {
    bar.stop();
    await client.close();
  }
  const modalStats = values["no-modal-stats"]
    ? { unavailable: "--no-modal-stats" }
    : await containersStarted(io, target, startedAt, environment, modalTimeoutMs);
  const result = summarise(
    { startedAt, app: target.app, url, model, config: { runs, prompt, maxTokens, settleMs } },
    results,
    rouseVersion(),
    modalStats,
  );
  const dir = resolve(io.cwd, values.out ?? join(".rouse", "bench"));
  const base = join(dir, `coldstart-${stamp()}`);
  await writeFileAtomic(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  if (!values["no-html"]) await writeFileAtomic(`${base}.html`, coldstartHtml(result));
  if (values.json) writeJson(io, result);
  else io.stdout.write(coldstartTable(result));
  io.stderr.write(`${e.dim(`wrote ${base}.json${values["no-html"] ? "" : ` and ${base}.html`}`)}\n`);
  if (result.summary.succeeded === 0)
    throw new CliError("every cold-start run failed", results[0]?.error ?? "see the JSON");
  return EXIT.ok;
}

/** Modal's count of containers started since the benchmark began (Function.stats); never fails the run. */
async function containersStarted(
  io: Io,
  target: Target,
  since: string,
  environment: string | undefined,
  timeoutMs: number,
) {
  try {
    const endpoint = targetEndpoint(io, target);
    const count = await withModal(
      io,
      "reading Modal's container stats",
      async (client) =>
        (
          await (
            await endpointFunction(client, target.app, endpoint, { environment })
          ).stats({ since: new Date(since) })
        ).containerStartedCount,
      timeoutMs,
    );
    return { containersStarted: count, since };
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

export const benchColdstartCommand = defineCommand({
  name: "coldstart",
  summary: "N forced cold starts of a deployed app: request → first token, boot phases, snapshot flag",
  args: "[rouse.yaml]",
  description: `Measures cold starts of a deployed app (needs a Modal account; run it yourself — it
stops containers). Each run:
  1. forces scale-to-zero: \`modal app list --json\` (the app id), \`modal container list
     --json\`, \`modal container stop <id> --yes\` for each, until none is listed;
  2. sends one streamed chat request and times it to the first token;
  3. reads the new container's boot report (x-rouse-boot, /rouse/boot) for its phases and
     whether it was restored from a snapshot, and lists containers again to see that a
     new one really started.
At the end, Modal's own count of containers started during the benchmark (JavaScript SDK,
Function.stats; best effort: Modal's stats may lag). Every run that did not restore from a
snapshot is flagged (the first cold starts after a deploy are the ones that create the
snapshot). Reports: a table, <out>/coldstart-<time>.json (raw per-run data) and .html (charts).`,
  options: benchColdstartOptions,
  run: benchColdstart,
});
