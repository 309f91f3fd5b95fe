import { type ConfigIssue, ConfigError } from "./issues.ts";
import { crossFieldIssues } from "./v1/rules.ts";
import { type DeploymentConfigV1, deploymentConfigV1Schema } from "./v1/schema.ts";
import { fromZodIssues } from "./zod-issues.ts";

export const CURRENT_CONFIG_VERSION = 1;

export type ValidationResult =
  | { readonly ok: true; readonly config: DeploymentConfigV1; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Validates plain data (already parsed from YAML/JSON) as a rouse deployment config.
 * Old versions would be upgraded step by step here; v1 is the first.
 */
export function validateDeployment(input: unknown): ValidationResult {
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
  const parsed = deploymentConfigV1Schema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, issues: fromZodIssues(deploymentConfigV1Schema, parsed.error.issues) };
  }
  const cross = crossFieldIssues(parsed.data);
  const errors = cross.filter((i) => i.severity === "error");
  if (errors.length > 0) return { ok: false, issues: cross };
  return { ok: true, config: parsed.data, warnings: cross };
}

/** Like validateDeployment, but throws a ConfigError listing every problem. */
export function parseDeployment(input: unknown, file?: string): DeploymentConfigV1 {
  const result = validateDeployment(input);
  if (!result.ok) throw new ConfigError(result.issues, file);
  return result.config;
}
