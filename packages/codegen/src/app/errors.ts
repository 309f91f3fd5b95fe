import { type ConfigIssue, formatIssue, formatPath } from "@rouse/config";

/**
 * The config is valid on its own but cannot become a Modal app (the Modal SDK would
 * refuse it). Shaped like ConfigError (`issues`, `file`), so callers print both the
 * same way: field, message, fix.
 */
export class CodegenError extends Error {
  override readonly name = "CodegenError";
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;
  constructor(issues: readonly ConfigIssue[], file?: string) {
    super(
      `${file ?? "config"} cannot become a Modal app:\n${issues.map((i) => `  ${formatIssue(i, file)}`).join("\n")}`,
    );
    this.issues = issues;
    this.file = file;
  }
}

/** A plugin returned something outside the v1 contract: a bug in the plugin, not in the config. */
export class EnginePluginContractError extends Error {
  override readonly name = "EnginePluginContractError";
  constructor(engine: string, what: string, detail: string) {
    super(`engine plugin '${engine}' returned an invalid ${what}: ${detail}`);
  }
}

/** Something the user should know about the generated app; never fatal. */
export interface CodegenWarning {
  readonly code: string;
  /** Config path, e.g. `snapshot.enabled`. */
  readonly field: string;
  readonly message: string;
  readonly fix?: string;
  /** Who raised it: the config's own rules, the engine plugin, or codegen. */
  readonly source: "config" | "plugin" | "codegen";
}

export function warningFromIssue(issue: ConfigIssue): CodegenWarning {
  return {
    code: issue.code,
    field: formatPath(issue.path),
    message: issue.message,
    ...(issue.fix ? { fix: issue.fix } : {}),
    source: "config",
  };
}
