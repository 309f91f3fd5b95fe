import { didYouMean } from "@rouse/config";
import type { PluginIssueV1 } from "@rouse/engine-spec";
import { checkExtraArgs, classifyOption, type EngineOptionTable, optionTableFor } from "./extra-args.ts";
import { compareVersions } from "./version.ts";

// The engine rules a plugin's `check` runs, shared by vLLM and SGLang: extraArgs resolved
// by the pinned version's parser facts, and config values checked against the values
// that version accepts.

/** A config field whose value becomes the value of an engine option. */
export interface ValueField {
  readonly path: readonly (string | number)[];
  readonly value: string | undefined;
  /** The engine option it is passed as, e.g. `--tool-call-parser`. */
  readonly option: string;
  /**
   * An extraArgs flag that lets the engine accept more values (a parser plugin module):
   * when present, an unknown value is a warning, not an error.
   */
  readonly pluginFlag?: string;
}

export interface EngineCheckInput {
  /** Display name, e.g. `vLLM`. */
  readonly engine: string;
  readonly version: string;
  readonly tables: readonly EngineOptionTable[];
  /** argparse dests rouse always owns → the config field that sets each (or why rouse does). */
  readonly owned: Readonly<Record<string, string>>;
  /** The flags rouse itself passes for this config (without extraArgs): their dests are owned too. */
  readonly ownArgv: readonly string[];
  readonly values: readonly ValueField[];
}

export function optionTable(input: Pick<EngineCheckInput, "tables" | "version">) {
  return optionTableFor(input.tables, input.version, compareVersions);
}

export function checkEngineConfig(extraArgs: readonly string[], input: EngineCheckInput): PluginIssueV1[] {
  const found = optionTable(input);
  if (!found) return [];
  const { table, exact } = found;
  const issues: PluginIssueV1[] = [];
  if (!exact) {
    issues.push({
      severity: "warning",
      code: "no_engine_facts",
      path: ["engine", "version"],
      message: `rouse has no parser facts for ${input.engine} ${input.version}; engine.extraArgs and option values were checked against ${table.version}'s`,
      fix: `use a version rouse knows (${input.tables.map((t) => t.version).join(", ")}), or extract facts with tools/engine-args/extract.py`,
    });
  }
  const owned: Record<string, string> = {};
  for (const token of input.ownArgv) {
    if (!token.startsWith("-")) continue;
    const c = classifyOption(table, table.parser.underscoresAsDashes && token.startsWith("--") ? token.replaceAll("_", "-") : token);
    if ("match" in c) owned[c.match.dest] = `rouse's own ${c.match.option} for this config`;
  }
  Object.assign(owned, input.owned);
  for (const i of checkExtraArgs(table, extraArgs, owned, { strictUnknown: exact })) {
    issues.push({ severity: i.severity, code: i.code, path: ["engine", "extraArgs", i.index], message: i.message, fix: i.fix });
  }
  issues.push(...valueIssues(table, extraArgs, input));
  return issues;
}

function valueIssues(table: EngineOptionTable, extraArgs: readonly string[], input: EngineCheckInput): PluginIssueV1[] {
  const issues: PluginIssueV1[] = [];
  for (const field of input.values) {
    if (field.value === undefined) continue;
    const accepted = table.values[field.option];
    if (!Object.hasOwn(table.options, field.option)) {
      issues.push({
        severity: "error",
        code: "option_not_in_engine",
        path: [...field.path],
        message: `${input.engine} ${table.version} has no ${field.option}, which ${field.path.join(".")} is passed as`,
        fix: `remove ${field.path.join(".")}`,
      });
      continue;
    }
    if (!accepted || accepted.values.includes(field.value)) continue;
    const plugin = field.pluginFlag && extraArgs.some((a) => a === field.pluginFlag || a.startsWith(`${field.pluginFlag}=`));
    const guess = didYouMean(field.value, accepted.values);
    const list = accepted.values.join(", ");
    issues.push({
      severity: plugin ? "warning" : "error",
      code: "unknown_engine_value",
      path: [...field.path],
      message: `${input.engine} ${table.version} has no ${field.option} '${field.value}'${guess ? ` (did you mean '${guess}'?)` : ""}${plugin ? `; accepted only if the ${field.pluginFlag} module registers it` : ""}. ${input.engine} knows: ${list}`,
      fix: guess ? `set ${field.path.join(".")}: ${guess}` : `use one of ${input.engine}'s values${field.pluginFlag && !plugin ? `, or register yours with ${field.pluginFlag} in engine.extraArgs` : ""}`,
    });
  }
  return issues;
}
