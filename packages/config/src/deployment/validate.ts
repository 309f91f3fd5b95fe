import type { EnginePluginV1 } from "@rouse/engine-spec";
import { resolveEnginePlugin } from "../engine-plugin/resolve-plugin.ts";
import { type ConfigIssue, ConfigError } from "./issues.ts";
import { crossFieldIssues, fallbackEngineIssues } from "./v1/rules.ts";
import { type DeploymentConfigV1, deploymentConfigV1Schema } from "./v1/schema.ts";
import { fromZodIssues } from "./zod-issues.ts";

export const CURRENT_CONFIG_VERSION = 1;

export type ValidationResult =
  | { readonly ok: true; readonly config: DeploymentConfigV1; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export interface ValidateOptions {
  /**
   * Installed engine plugins. The one for `engine.kind` adds its own rules (extraArgs
   * resolved as the engine's parser would, parser names, FP8, …) and warnings, so
   * `validate` refuses exactly what `generate` refuses. Without it, only a static
   * list of owned flags guards `engine.extraArgs`.
   */
  readonly plugins?: readonly EnginePluginV1[];
}

/** Deepest nesting of plain data (JSON bodies too); a real config is 4 deep. */
const MAX_DATA_DEPTH = 32;

/**
 * Validates plain data (already parsed from YAML/JSON) as a rouse deployment config.
 * Old versions would be upgraded step by step here; v1 is the first.
 */
export function validateDeployment(input: unknown, options: ValidateOptions = {}): ValidationResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return {
      ok: false,
      issues: [
        {
          severity: "error",
          code: "not_an_object",
          path: [],
          message: "a rouse config is a mapping with at least version, model and engine",
          fix: "start from `rouse init`, or write: version: 1 / model: { id: ... } / engine: { kind: vllm }",
        },
      ],
    };
  }
  const version = (input as Record<string, unknown>).version;
  if (version === undefined) {
    return {
      ok: false,
      issues: [{ severity: "error", code: "no_version", path: ["version"], message: "required", fix: "add `version: 1` at the top" }],
    };
  }
  if (version !== CURRENT_CONFIG_VERSION) {
    return {
      ok: false,
      issues: [
        {
          severity: "error",
          code: "unsupported_version",
          path: ["version"],
          message: `this rouse reads config version ${CURRENT_CONFIG_VERSION}, not ${JSON.stringify(version)}`,
          fix: `set version: ${CURRENT_CONFIG_VERSION} and check the fields against \`rouse schema\``,
        },
      ],
    };
  }
  const data = dataIssues(input);
  if (data.length > 0) return { ok: false, issues: data };
  const parsed = deploymentConfigV1Schema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, issues: fromZodIssues(deploymentConfigV1Schema, parsed.error.issues) };
  }
  const issues = [...crossFieldIssues(parsed.data), ...engineIssues(parsed.data, options.plugins)];
  if (issues.some((i) => i.severity === "error")) return { ok: false, issues };
  return { ok: true, config: parsed.data, warnings: issues };
}

/**
 * The engine plugin's rules for a config that passed the schema and cross-field rules:
 * its `check` (errors and warnings) and its `validate` warnings. Codegen runs the same
 * function as a guard for configs that did not come through validateDeployment.
 */
export function engineIssues(config: DeploymentConfigV1, plugins: readonly EnginePluginV1[] | undefined): ConfigIssue[] {
  const found = plugins?.find((p) => p.engine === config.engine.kind);
  if (!found) return fallbackEngineIssues(config);
  const plugin = resolveEnginePlugin(found);
  const issues: ConfigIssue[] = plugin.check ? [...plugin.check(config)] : fallbackEngineIssues(config);
  for (const w of plugin.validate(config)) {
    issues.push({ severity: "warning", code: w.code, path: pathOf(w.field), message: w.message });
  }
  return issues;
}

/** `engine.options.vllm.kvCacheDtype` / `engine.extraArgs[2]` → a config path. */
function pathOf(field: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const part of field.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      path.push(part);
      continue;
    }
    if (m[1]) path.push(m[1]);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}

/**
 * Plain-data checks before the schema, in one iterative pass: nesting depth, and
 * integers beyond ±2^53 (JSON.parse and YAML give them as rounded numbers).
 */
function dataIssues(input: unknown): ConfigIssue[] {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: input, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      return [
        {
          severity: "error",
          code: "unsafe_integer",
          path,
          message: `${value} is beyond ±2^53 and has already lost precision`,
          fix: "use a smaller number (every rouse field is far below 2^53)",
        },
      ];
    }
    if (typeof value !== "object" || value === null) continue;
    if (path.length >= MAX_DATA_DEPTH) {
      return [
        {
          severity: "error",
          code: "too_deep",
          path: path.slice(0, 4),
          message: `the config nests deeper than ${MAX_DATA_DEPTH} levels`,
          fix: "a rouse config is a few levels deep",
        },
      ];
    }
    if (Array.isArray(value)) for (const [i, v] of value.entries()) stack.push({ value: v, path: [...path, i] });
    else for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: [...path, k] });
  }
  return [];
}

/** Like validateDeployment, but throws a ConfigError listing every problem. */
export function parseDeployment(input: unknown, file?: string, options: ValidateOptions = {}): DeploymentConfigV1 {
  const result = validateDeployment(input, options);
  if (!result.ok) throw new ConfigError(result.issues, file);
  return result.config;
}
