import { type EnginePluginV1, UnsupportedSpecificationError } from "@rouse/engine-spec";

/** Every plugin spec version this rouse can use; older ones would be adapted here. */
export function resolveEnginePlugin(plugin: { specificationVersion?: unknown; engine?: unknown }): EnginePluginV1 {
  if (plugin.specificationVersion === "v1") return plugin as EnginePluginV1;
  throw new UnsupportedSpecificationError(String(plugin.engine ?? "unknown"), plugin.specificationVersion);
}

/** Picks the plugin for `config.engine.kind` from a list, with a clear error when none matches. */
export function findEnginePlugin(plugins: readonly EnginePluginV1[], kind: string): EnginePluginV1 {
  const found = plugins.find((p) => p.engine === kind);
  if (!found) {
    throw new Error(`no engine plugin for engine.kind '${kind}'; installed: ${plugins.map((p) => p.engine).join(", ") || "(none)"}`);
  }
  return resolveEnginePlugin(found);
}
