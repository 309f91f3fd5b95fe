import { resolveTarget, targetEndpoint } from "../app/target.ts";
import { endpointFunction, sdkTimeoutMs, withModal } from "../modal/sdk.ts";
import { updateDeployment } from "../state.ts";
import { parse } from "../ui/args.ts";
import { CliError, EXIT, writeJson } from "../ui/output.ts";
import type { Command } from "./command.ts";

export const urlCommand: Command = {
  name: "url",
  summary: "print the deployment's web URL",
  help: `Usage: rouse url [rouse.yaml] [--preset NAME] [--app NAME] [--live] [--env ENV] [--json]

Prints the endpoint URL recorded by \`rouse deploy\` (.rouse/state.json). With --live,
or when none is recorded, asks Modal (JavaScript SDK: the endpoint Function's web URL)
and records the answer.

Options:
  --app NAME   the Modal app (default: the config's name, or the only recorded deployment)
  --live       ask Modal even when a URL is recorded
  --env ENV    Modal environment
  --modal-timeout SECONDS  per call to Modal (default 15)
  --json       print {"app", "url", "source"}`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      preset: { type: "string" },
      app: { type: "string" },
      live: { type: "boolean" },
      env: { type: "string" },
      "modal-timeout": { type: "string" },
      json: { type: "boolean" },
    });
    const target = await resolveTarget(io, { app: values.app, file: positionals[0], preset: values.preset });
    let url = values.live ? undefined : target.record?.webUrl;
    let source = "state";
    if (!url) {
      const endpoint = targetEndpoint(io, target);
      url = await withModal(
        io,
        `looking up ${target.app}'s web URL`,
        async (client) => {
          const fn = await endpointFunction(client, target.app, endpoint, {
            environment: values.env ?? target.record?.environment,
          });
          return fn.getWebUrl();
        },
        sdkTimeoutMs(values["modal-timeout"]),
      );
      source = "modal";
      if (!url)
        throw new CliError(
          `Modal has no web URL for ${target.app}`,
          "is the endpoint a web server? redeploy with `rouse deploy`",
        );
      if (target.record) await updateDeployment(io.cwd, target.app, { webUrl: url });
    }
    if (values.json) writeJson(io, { app: target.app, url, source });
    else io.stdout.write(`${url}\n`);
    return EXIT.ok;
  },
};
