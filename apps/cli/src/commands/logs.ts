import { execa } from "execa";
import { resolveTarget } from "../app/target.ts";
import { findModal } from "../modal/cli.ts";
import { CliError, EXIT } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const logsCommand = defineCommand({
  name: "logs",
  summary: "show the app's logs (`modal app logs`)",
  args: "[rouse.yaml]",
  description: `Runs \`modal app logs <app>\` with its output passed straight through. Each container
prints one \`ROUSE_BOOT_REPORT {json}\` line when it starts serving: \`--search ROUSE_BOOT_REPORT\`
lists the cold starts. Anything after \`--\` goes to modal unchanged: \`rouse logs -- --help\`.`,
  passthrough: "MODAL_FLAGS",
  options: {
    preset: shared.preset,
    app: shared.app,
    follow: { type: "boolean", short: "f", description: "stream until the app stops (Ctrl-C ends it)" },
    tail: { type: "string", short: "n", value: "N", description: "only the last N entries" },
    since: { type: "string", value: "WHEN", description: "e.g. 2h, 30m, or an ISO time" },
    search: { type: "string", value: "TEXT", description: "only entries containing TEXT" },
    env: shared.env,
    "modal-bin": shared.modalBin,
  },
  async run({ values, positionals, passthrough: extra }, io) {
    const target = await resolveTarget(io, { app: values.app, file: positionals[0], preset: values.preset });
    const cli = findModal(io, values["modal-bin"]);
    const env = values.env ?? target.record?.environment;
    const modalArgs = [
      "app",
      "logs",
      target.app,
      ...(values.follow ? ["--follow"] : []),
      ...(values.tail ? ["--tail", values.tail] : []),
      ...(values.since ? ["--since", values.since] : []),
      ...(values.search ? ["--search", values.search] : []),
      ...(env ? ["--env", env] : []),
      ...extra,
    ];
    const result = await execa(cli.bin, modalArgs, {
      cwd: io.cwd,
      env: io.env,
      extendEnv: false,
      reject: false,
      stdin: "inherit",
      stdout: io.stdout === process.stdout ? "inherit" : "pipe",
      stderr: io.stderr === process.stderr ? "inherit" : "pipe",
    });
    if (io.stdout !== process.stdout && result.stdout) io.stdout.write(`${result.stdout}\n`);
    if (io.stderr !== process.stderr && result.stderr) io.stderr.write(`${result.stderr}\n`);
    if (result.exitCode !== 0 && !result.isTerminated) {
      throw new CliError(
        `modal app logs ${target.app} failed (exit ${result.exitCode})`,
        "its error is above",
      );
    }
    return EXIT.ok;
  },
});
