/**
 * One problem a plugin's `check` finds in a config: the field, what is wrong, and what to
 * change. rouse adds the source position (`line`, `column`) when the config came from a file.
 */
export interface PluginIssueV1 {
  readonly severity: "error" | "warning";
  /** Stable machine-readable code, e.g. `unknown_flag`, `fp8_gpu`. */
  readonly code: string;
  /** Config path, e.g. `["engine", "extraArgs", 2]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** What to change. */
  readonly fix?: string;
}
