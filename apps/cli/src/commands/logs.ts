import { execa } from "execa";
import { resolveTarget } from "../app/target.ts";
import { findModal } from "../modal/cli.ts";
import { parse } from "../ui/args.ts";
import { CliError, EXIT } from "../ui/output.ts";
import type { Command } from "./command.ts";

export const logsCommand: Command = {
  name: "logs",
  summary: "show the app's logs (`modal app logs`)",
  help: `Usage: rouse logs [rouse.yaml] [--app NAME] [-f] [--tail N] [--since WHEN] [--search TEXT]
                 [--env ENV] [--modal-bin PATH] [-- MODAL_FLAGS...]

Runs \`modal app logs <app>\` with its output passed straight through. Each container
prints one \`ROUSE_BOOT_REPORT {json}\` line when it starts serving: \`--search ROUSE_BOOT_REPORT\`
lists the cold starts. Anything after \`--\` goes to modal unchanged.

Options:
  -f, --follow     stream until the app stops (Ctrl-C ends it)
  -n, --tail N     only the last N entries
  --since WHEN     e.g. 2h, 30m, or an ISO time
  --search TEXT    only entries containing TEXT`,
  async run(args, io) {
    const dash = args.indexOf("--");
    const extra = dash >= 0 ? args.slice(dash + 1) : [];
    const { values, positionals } = parse(dash >= 0 ? args.slice(0, dash) : args, {
      preset: { type: "string" },
      app: { type: "string" },
      follow: { type: "boolean", short: "f" },
      tail: { type: "string", short: "n" },
      since: { type: "string" },
      search: { type: "string" },
      env: { type: "string" },
      "modal-bin": { type: "string" },
    });
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
};
