import type { EnginePluginV1 } from "@rouse/engine-spec";
import {
  type ConfigIssue,
  type DeploymentConfigV1,
  type LoadResult,
  loadDeploymentFile,
  loadDeploymentText,
  type ValidationResult,
  validateDeployment,
} from "@rouse/config";
import { installedEngines } from "./installed.ts";

// Validation with the installed plugins: the config's schema and cross-field rules, then
// the engine plugin's check and warnings. It runs once per config; renderApp takes its
// result and does not run the rules again.

export interface EngineOptions {
  /** Engine plugins to use instead of the installed ones (tests, third-party engines). */
  readonly plugins?: readonly EnginePluginV1[];
}

/** A config that passed validation, with validation's warnings: what renderApp takes. */
export interface ValidConfig {
  readonly config: DeploymentConfigV1;
  readonly warnings: readonly ConfigIssue[];
}

const plugins = (options: EngineOptions) => ({ plugins: options.plugins ?? installedEngines });

/** Plain data (parsed YAML/JSON) → a valid config and its warnings, or every issue. */
export function validateConfig(input: unknown, options: EngineOptions = {}): ValidationResult {
  return validateDeployment(input, plugins(options));
}

/** rouse.yaml text → the same, with line:column on every issue. */
export function loadConfigText(text: string, file?: string, options: EngineOptions = {}): LoadResult {
  return loadDeploymentText(text, file, plugins(options));
}

/** A rouse.yaml file → the same (invalid UTF-8 is refused, naming the byte). */
export function loadConfigFile(file: string, options: EngineOptions = {}): Promise<LoadResult> {
  return loadDeploymentFile(file, plugins(options));
}
