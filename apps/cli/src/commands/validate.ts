import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { loadConfigFile } from "@rouse/engines";
import { CliError, EXIT, printIssues, styles, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";
import * as shared from "./options.ts";

export const validateCommand = defineCommand({
  name: "validate",
  summary: "check a rouse.yaml and print the resolved deployment",
  args: "[file]",
  description: `Checks a deployment config (default ./rouse.yaml) against schema v1, the
cross-field rules and the engine plugin's rules (engine.extraArgs resolved as the
pinned engine's parser would, parser names, FP8 per GPU), and prints the resolved
config with every default filled in. It refuses exactly what \`rouse generate\` refuses.`,
  options: {
    json: shared.json('print {"ok", "issues", "config"} as JSON'),
    quiet: { type: "boolean", description: "print nothing on success" },
  },
  footer: "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.",
  async run({ values, positionals }, io) {
    const file = positionals[0] ?? "rouse.yaml";
    const path = resolve(io.cwd, file);
    if (!existsSync(path)) throw new CliError(`${file} not found`, "create one with `rouse init`");
    // The engine plugins' rules too, so validate refuses exactly what generate refuses.
    const result = await loadConfigFile(path);
    if (values.json) {
      writeJson(io, result.ok ? { ok: true, issues: result.warnings, config: result.config } : { ok: false, issues: result.issues });
      return result.ok ? EXIT.ok : EXIT.failure;
    }
    if (!result.ok) {
      printIssues(io, result.issues, file);
      return EXIT.failure;
    }
    printIssues(io, result.warnings, file);
    if (!values.quiet) {
      const s = styles(io, "stdout");
      io.stdout.write(`${s.green("✓")} ${file} is valid${result.warnings.length ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"})` : ""}\n`);
      io.stdout.write(`${JSON.stringify(result.config, null, 2)}\n`);
    }
    return EXIT.ok;
  },
});
