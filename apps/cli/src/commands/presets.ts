import { presets } from "@rouse/config";
import { validateConfig } from "@rouse/engines";
import { EXIT, styles, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export function presetSummaries() {
  return presets.map((p) => {
    const r = validateConfig(p.config);
    const c = r.ok ? r.config : undefined;
    return {
      name: p.name,
      description: p.description,
      ...(p.seed ? { seed: p.seed } : {}),
      engine: c?.engine.kind ?? "?",
      gpu: c ? `${c.resources.gpu}${c.resources.count > 1 ? `:${c.resources.count}` : ""}` : "?",
      snapshot: c?.snapshot.enabled ?? false,
    };
  });
}

export const presetsCommand = defineCommand({
  name: "presets",
  summary: "list built-in presets (one per reference deployment)",
  description: `Lists the built-in presets. Use one with \`rouse init --preset NAME\` or
\`rouse generate --preset NAME\`.`,
  options: {
    json: shared.json('print {"presets": [...]}: name, description, engine, GPU, snapshot'),
  },
  async run({ values }, io) {
    const rows = presetSummaries();
    if (values.json) {
      writeJson(io, { presets: rows });
      return EXIT.ok;
    }
    const s = styles(io, "stdout");
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      io.stdout.write(
        `${s.bold(r.name.padEnd(width))}  ${r.engine.padEnd(6)} ${r.gpu.padEnd(12)} ${r.snapshot ? "snapshot" : "        "}  ${s.dim(r.description)}\n`,
      );
    }
    return EXIT.ok;
  },
});
