import { resolveTarget, targetEndpoint } from "../app/target.ts";
import { endpointFunction, sdkTimeoutMs, withModal } from "../modal/sdk.ts";
import { EXIT, styles, UsageError, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

const count = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`${flag} must be a whole number ≥ 0, got '${value}'`);
  return n;
};

export const scaleCommand = defineCommand({
  name: "scale",
  summary: "change the live autoscaler (min/max/buffer containers, scaledown window)",
  args: "[rouse.yaml]",
  description: `Updates the deployed endpoint's autoscaler through Modal's JavaScript SDK
(Function.updateAutoscaler), without a redeploy: e.g. \`rouse scale --min 1\` keeps one
container warm (billed while idle), \`rouse scale --min 0\` lets it scale to zero.
A later \`rouse deploy\` resets these to the config's scaling.* values.`,
  options: {
    preset: shared.preset,
    app: shared.app,
    min: { type: "string", value: "N", description: "minimum containers (scaling.minContainers)" },
    max: { type: "string", value: "N", description: "maximum containers" },
    buffer: { type: "string", value: "N", description: "extra idle containers kept ready under load" },
    scaledown: { type: "string", value: "SECONDS", description: "idle time before a container goes (2–3600)" },
    env: shared.env,
    "modal-timeout": shared.modalTimeout(15),
    json: shared.json("print the settings Modal reports back"),
  },
  async run({ values, positionals }, io) {
    const minContainers = count(values.min, "--min");
    const maxContainers = count(values.max, "--max");
    const bufferContainers = count(values.buffer, "--buffer");
    const scaledown = count(values.scaledown, "--scaledown");
    if ([minContainers, maxContainers, bufferContainers, scaledown].every((v) => v === undefined)) {
      throw new UsageError("nothing to change: give --min, --max, --buffer or --scaledown");
    }
    if (scaledown !== undefined && (scaledown < 2 || scaledown > 3600))
      throw new UsageError("--scaledown must be 2–3600 seconds");
    if (minContainers !== undefined && maxContainers !== undefined && minContainers > maxContainers) {
      throw new UsageError("--min cannot exceed --max");
    }
    const target = await resolveTarget(io, { app: values.app, file: positionals[0], preset: values.preset });
    const endpoint = targetEndpoint(io, target);
    const environment = values.env ?? target.record?.environment;
    const settings = await withModal(
      io,
      `updating ${target.app}'s autoscaler`,
      async (client) => {
        const fn = await endpointFunction(client, target.app, endpoint, { environment });
        return fn.updateAutoscaler({
          ...(minContainers !== undefined ? { minContainers } : {}),
          ...(maxContainers !== undefined ? { maxContainers } : {}),
          ...(bufferContainers !== undefined ? { bufferContainers } : {}),
          ...(scaledown !== undefined ? { scaledownWindowMs: scaledown * 1000 } : {}),
        });
      },
      sdkTimeoutMs(values["modal-timeout"]),
    );
    if (values.json) {
      writeJson(io, { app: target.app, settings });
      return EXIT.ok;
    }
    const s = styles(io, "stdout");
    io.stdout.write(
      `${s.green("✓")} ${target.app} autoscaler: min ${settings.minContainers ?? "-"}, max ${settings.maxContainers ?? "-"}, buffer ${settings.bufferContainers ?? "-"}, scaledown ${settings.scaledownWindowMs !== undefined ? `${settings.scaledownWindowMs / 1000}s` : "-"}\n`,
    );
    io.stdout.write(`  ${s.dim("a redeploy (rouse deploy) resets these to rouse.yaml's scaling values")}\n`);
    return EXIT.ok;
  },
});
