import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type ConfigIssue, type DeploymentConfigV1, findPreset, presets } from "@rouse/config";
import { loadConfigFile, validateConfig } from "@rouse/engines";
import { CliError, type Io, printIssues } from "./ui/output.ts";

export interface LoadedConfig {
  readonly config: DeploymentConfigV1;
  readonly warnings: readonly ConfigIssue[];
  /** The file it came from, or `preset:<name>`. */
  readonly source: string;
}

/** Validation failed; issues were already printed. */
export class InvalidConfigError extends CliError {}

/**
 * A config file (default ./rouse.yaml) or a built-in preset, validated once with the installed
 * engine plugins; prints issues (warnings only unless quiet), throws when invalid.
 */
export async function loadConfig(io: Io, file: string | undefined, preset: string | undefined, quiet = false): Promise<LoadedConfig> {
  if (file && preset) throw new CliError("give a config file or --preset, not both");
  if (preset) {
    const found = findPreset(preset);
    if (!found) {
      throw new CliError(`no preset named '${preset}'`, `presets: ${presets.map((p) => p.name).join(", ")}`);
    }
    const result = validateConfig(found.config);
    if (!result.ok) throw new CliError(`preset '${preset}' is invalid — a bug in rouse`);
    if (!quiet) printIssues(io, result.warnings, `preset:${preset}`);
    return { config: result.config, warnings: result.warnings, source: `preset:${preset}` };
  }
  const path = resolve(io.cwd, file ?? "rouse.yaml");
  if (!existsSync(path)) {
    throw new CliError(`${file ?? "rouse.yaml"} not found`, "create one with `rouse init`, or use --preset default");
  }
  const result = await loadConfigFile(path);
  const shown = file ?? "rouse.yaml";
  if (!result.ok) {
    printIssues(io, result.issues, shown);
    const n = result.issues.filter((i) => i.severity === "error").length;
    throw new InvalidConfigError(`${shown} is invalid (${n} error${n === 1 ? "" : "s"})`, "fix the fields above; `rouse schema` prints every field");
  }
  if (!quiet) printIssues(io, result.warnings, shown);
  return { config: result.config, warnings: result.warnings, source: shown };
}
