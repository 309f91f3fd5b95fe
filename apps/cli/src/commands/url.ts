import { resolveTarget, targetEndpoint } from "../app/target.ts";
import { endpointFunction, sdkTimeoutMs, withModal } from "../modal/sdk.ts";
import { updateDeployment } from "../state.ts";
import { CliError, EXIT, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const urlCommand = defineCommand({
  name: "url",
  summary: "print the deployment's web URL",
  args: "[rouse.yaml]",
  description: `Prints the endpoint URL recorded by \`rouse deploy\` (.rouse/state.json). With --live,
or when none is recorded, asks Modal (JavaScript SDK: the endpoint Function's web URL)
and records the answer.`,
  options: {
    preset: shared.preset,
    app: shared.app,
    live: { type: "boolean", description: "ask Modal even when a URL is recorded" },
    env: shared.env,
    "modal-timeout": shared.modalTimeout(15),
    json: shared.json('print {"app", "url", "source"}'),
  },
  async run({ values, positionals }, io) {
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
});
