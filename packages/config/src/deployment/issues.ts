import type { PluginIssueV1 } from "@rouse/engine-spec";
import { printable } from "../common/printable.ts";

/** One problem found in a config, pointing at the field and saying how to fix it. */
// An engine plugin's `check` returns the same shape (PluginIssueV1), without a position.
export interface ConfigIssue extends PluginIssueV1 {
  /** Stable machine-readable code, e.g. `unknown_key`, `fp8_gpu`. */
  readonly code: string;
  /** 1-based position in the source file, when the config came from text. */
  readonly line?: number;
  readonly column?: number;
}

/** `scaling.maxInputs`, `engine.extraArgs[2]`; `(root)` for the whole document. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return printable(path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join(""), 200);
}

/**
 * `rouse.yaml:12:5 error scaling.maxInputs: … (fix: …)`. Every part is made printable
 * (config values may hold terminal escape sequences) and shortened.
 */
export function formatIssue(issue: ConfigIssue, file?: string): string {
  const name = printable(file ?? "config", 300);
  const where = issue.line ? `${name}:${issue.line}:${issue.column ?? 1}` : name;
  const fix = issue.fix ? `\n    fix: ${printable(issue.fix)}` : "";
  return `${where} ${issue.severity} ${formatPath(issue.path)}: ${printable(issue.message)}${fix}`;
}

/** Thrown where a caller asked for a valid config and did not get one. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;
  constructor(issues: readonly ConfigIssue[], file?: string) {
    const errors = issues.filter((i) => i.severity === "error");
    super(
      `${file ?? "config"} is invalid (${errors.length} error${errors.length === 1 ? "" : "s"}):\n` +
        errors.map((i) => `  ${formatIssue(i, file)}`).join("\n"),
    );
    this.issues = issues;
    this.file = file;
  }
}
