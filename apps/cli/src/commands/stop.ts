import { createInterface } from "node:readline/promises";
import { resolveTarget } from "../app/target.ts";
import { findModal, modalFailure, runModal } from "../modal/cli.ts";
import { scaleToZero } from "../modal/containers.ts";
import { updateDeployment } from "../state.ts";
import { progress } from "../ui/progress.ts";
import { CliError, EXIT, styles, UsageError, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const stopCommand = defineCommand({
  name: "stop",
  summary: "stop the app (`modal app stop`), or only its containers (--containers)",
  args: "[rouse.yaml]",
  description: `Without --containers: \`modal app stop <app> --yes\` — the app is stopped for good and
its containers end; \`rouse deploy\` brings it back (as a new deployment).
With --containers: the app stays deployed; its running containers are stopped
(\`modal container list --json\`, then \`modal container stop <id> --yes\` each) and
rouse waits until none is left — the next request is a cold start.`,
  options: {
    preset: shared.preset,
    app: shared.app,
    containers: { type: "boolean", description: "scale to zero instead of stopping the app" },
    yes: { type: "boolean", short: "y", description: "don't ask (required without a TTY)" },
    env: shared.env,
    "modal-bin": shared.modalBin,
    "modal-timeout": shared.modalTimeout(30, "per call to the modal CLI"),
    json: shared.json("print what was stopped"),
  },
  async run({ values, positionals }, io) {
    const target = await resolveTarget(io, { app: values.app, file: positionals[0], preset: values.preset });
    const cli = findModal(io, values["modal-bin"]);
    const environment = values.env ?? target.record?.environment;
    const timeoutMs = values["modal-timeout"] ? Number(values["modal-timeout"]) * 1000 : 30_000;
    const what = values.containers
      ? `stop every container of ${target.app} (it stays deployed)`
      : `stop the app ${target.app} for good`;
    if (!values.yes) {
      if (!(io.stdin.isTTY && io.stderr.isTTY))
        throw new UsageError(`this would ${what}: pass --yes to confirm`);
      const rl = createInterface({ input: io.stdin, output: io.stderr });
      const answer = (await rl.question(`${what}? [y/N] `)).trim().toLowerCase();
      rl.close();
      if (answer !== "y" && answer !== "yes") throw new CliError("not stopped", "answer y, or pass --yes");
    }
    const s = styles(io, "stdout");
    if (values.containers) {
      const bar = progress(io, `listing ${target.app}'s containers`);
      const result = await scaleToZero(cli, io, target.app, {
        environment,
        timeoutMs,
        onProgress: (t) => bar.update(t),
      }).finally(() => bar.stop());
      if (values.json)
        writeJson(io, {
          app: target.app,
          appId: result.appId,
          stoppedContainers: result.stopped,
          ms: Math.round(result.ms),
        });
      else
        io.stdout.write(
          `${s.green("✓")} ${target.app}: ${result.stopped.length} container(s) stopped, none running (${(result.ms / 1000).toFixed(1)}s)\n`,
        );
      return EXIT.ok;
    }
    const bar = progress(io, `modal app stop ${target.app}`);
    const result = await runModal(
      cli,
      ["app", "stop", target.app, "--yes", ...(environment ? ["--env", environment] : [])],
      io,
      {
        traceback: true,
        timeoutMs,
      },
    ).finally(() => bar.stop());
    const already = /already stopped/i.test(result.lines.join("\n"));
    if (result.exitCode !== 0 && !already) throw modalFailure(result, `stopping ${target.app}`, io.env);
    const stoppedAt = new Date().toISOString();
    if (target.record) await updateDeployment(io.cwd, target.app, { stoppedAt });
    if (values.json) writeJson(io, { app: target.app, stopped: true, alreadyStopped: already, stoppedAt });
    else
      io.stdout.write(
        `${s.green("✓")} ${target.app} ${already ? "was already stopped" : "stopped"}\n  bring it back with: rouse deploy\n`,
      );
    return EXIT.ok;
  },
});
