import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { defaultAppPath, generateFor, shown } from "../app/generate-app.ts";
import { loadConfig } from "../config-source.ts";
import { writeFileAtomic } from "../fs-atomic.ts";
import { runModal, modalError } from "../modal/cli.ts";
import { parseDeployOutput } from "../modal/deploy-output.ts";
import { type Check, preflight, preflightError, printChecks } from "../modal/preflight.ts";
import { configHash, type DeploymentRecord, recordDeployment, sha256 } from "../state.ts";
import { progress } from "../ui/progress.ts";
import { CliError, EXIT, styles, UsageError, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const deployCommand = defineCommand({
  name: "deploy",
  summary: "generate the app and deploy it with `modal deploy` (after a preflight)",
  args: "[rouse.yaml]",
  description: `1. generates the app into .rouse/<name>/app.py (atomically);
2. preflight, each with its fix: the modal CLI and its version, a Modal token
   (MODAL_TOKEN_ID/MODAL_TOKEN_SECRET or a profile in ~/.modal.toml), the Modal
   secrets the config names (\`modal secret list --json\`), the config itself;
3. runs the real \`modal deploy .rouse/<name>/app.py\`, its output behind a progress
   line (all of it with --verbose, and the tail of it on failure);
4. records the deployment in .rouse/state.json: app, web URL (read from the deploy
   output), config hash, time, modal version.

The modal CLI: --modal-bin, else $ROUSE_MODAL_BIN, else python/.venv/bin/modal in
this repository, else \`modal\` on PATH.`,
  options: {
    preset: shared.preset,
    "dry-run": { type: "boolean", description: "stop after generate + preflight" },
    env: { type: "string", value: "ENV", description: "Modal environment (modal's --env)" },
    tag: { type: "string", value: "TAG", description: "tag the deployment (modal's --tag)" },
    "modal-bin": shared.modalBin,
    timeout: {
      type: "string",
      value: "SECONDS",
      description: "give up on `modal deploy` after this long (default 1800; image builds are slow)",
    },
    "modal-timeout": shared.modalTimeout(30, "per preflight call to Modal"),
    verbose: { type: "boolean", description: "stream modal's output as it comes" },
    json: shared.json("print the deployment record (or, with --dry-run, the checks) as JSON"),
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError(`one config file at most, got ${positionals.length}`);
    const timeoutS = seconds(values.timeout, "--timeout", 1800);
    const preflightS = seconds(values["modal-timeout"], "--modal-timeout", 30);
    const s = styles(io);

    // 1. config → app.py
    // Quiet: generateFor reports the config's warnings with the app's, once.
    const loaded = await loadConfig(io, positionals[0], values.preset, true);
    const app = generateFor(io, loaded);
    const appPath = defaultAppPath(io.cwd, loaded.config.name);
    const appFile = shown(io.cwd, appPath);
    const before = existsSync(appPath) ? await readFile(appPath, "utf8") : undefined;
    if (before !== app.source) await writeFileAtomic(appPath, app.source);
    io.stderr.write(
      `${s.green("✓")} generated ${appFile}${before === app.source ? s.dim(" (unchanged)") : ""}\n`,
    );

    // 2. preflight
    const configCheck: Check = {
      name: "config",
      status: loaded.warnings.length ? "warn" : "ok",
      detail: `${loaded.source} is valid${loaded.warnings.length ? ` (${loaded.warnings.length} warning${loaded.warnings.length === 1 ? "" : "s"}, above)` : ""}`,
    };
    const spin = progress(io, "preflight: modal CLI, token, secrets");
    const checked = await preflight(io, loaded.config, {
      modalBin: values["modal-bin"],
      environment: values.env,
      timeoutMs: preflightS * 1000,
      configCheck,
    }).finally(() => spin.stop());
    printChecks(io, checked.checks);
    if (values["dry-run"]) {
      if (values.json)
        writeJson(io, { ok: checked.ok, appFile: appPath, checks: checked.checks, dryRun: true });
      else
        io.stdout.write(
          `${checked.ok ? s.green("✓ dry run: ready to deploy") : s.red("✗ dry run: fix the checks above")} (${appFile})\n`,
        );
      if (!checked.ok) throw preflightError(checked);
      return EXIT.ok;
    }
    if (!checked.ok || !checked.cli || !checked.modalVersion) throw preflightError(checked);

    // 3. modal deploy
    const deployArgs = [
      "deploy",
      appFile,
      ...(values.env ? ["--env", values.env] : []),
      ...(values.tag ? ["--tag", values.tag] : []),
    ];
    const bar = progress(io, `modal deploy ${appFile}`);
    const result = await runModal(checked.cli, deployArgs, io, {
      timeoutMs: timeoutS * 1000,
      onLine: (line) => {
        const text = line.trim();
        if (values.verbose) bar.log(line, true);
        else if (text) bar.update(`modal deploy: ${text}`);
      },
    });
    bar.stop();
    const output = result.lines.join("\n");
    if (result.timedOut || result.exitCode !== 0) {
      if (!values.verbose) {
        io.stderr.write(
          `${s.dim("--- last lines of modal deploy ---")}\n${result.lines.slice(-40).join("\n")}\n${s.dim("---")}\n`,
        );
      }
      if (result.timedOut) {
        throw new CliError(
          `modal deploy did not finish within ${timeoutS} s`,
          "raise --timeout (first deploys build the image), or check the build logs on Modal's dashboard",
        );
      }
      const error = modalError(result);
      throw new CliError(
        `modal deploy failed (exit ${result.exitCode})${error ? `: ${error.message}` : ""}`,
        `the output above is modal's; rerun with --verbose, or run \`modal deploy ${appFile}\` yourself`,
      );
    }
    const parsed = parseDeployOutput(output);
    const { endpoint } = app;
    const web =
      parsed.webUrls.find((w) => w.label === endpoint.method || w.label === endpoint.object) ??
      parsed.webUrls[0];

    // 4. record it
    const record: DeploymentRecord = {
      app: loaded.config.name,
      webUrl: web?.url,
      dashboardUrl: parsed.dashboardUrl,
      configHash: configHash(loaded.config),
      sourceHash: sha256(app.source),
      configSource: loaded.source,
      appFile,
      endpoint,
      engine: loaded.config.engine.kind,
      model: loaded.config.model.id,
      deployedAt: new Date().toISOString(),
      modalVersion: checked.modalVersion,
      environment: values.env,
    };
    await recordDeployment(io.cwd, record);
    if (values.json) {
      writeJson(io, { ...record, unchanged: parsed.unchanged, deploySeconds: parsed.seconds });
      return EXIT.ok;
    }
    const out = styles(io, "stdout");
    io.stdout.write(
      `${out.green("✓")} deployed ${out.bold(record.app)}${parsed.seconds !== undefined ? ` in ${parsed.seconds.toFixed(1)}s` : ""}${parsed.unchanged ? " (no changes)" : ""}\n`,
    );
    if (record.webUrl) io.stdout.write(`  url        ${record.webUrl}\n`);
    else
      io.stdout.write(
        `  url        ${out.yellow("(modal deploy printed no web URL — `rouse url` asks Modal)")}\n`,
      );
    if (record.dashboardUrl) io.stdout.write(`  dashboard  ${record.dashboardUrl}\n`);
    io.stdout.write(
      `  recorded   .rouse/state.json\n  next: rouse probe   (the first request waits out a cold start)\n`,
    );
    return EXIT.ok;
  },
});

export function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive number of seconds, got '${value}'`);
  return n;
}
