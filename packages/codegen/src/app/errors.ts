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
  /** Who raised it: codegen (the config's and the plugin's warnings come from validation). */
  readonly source: "codegen";
}
