// The plugin: its factory, the default instance, and the types a caller names. Everything
// else (argv, image, lifecycle, snapshot recipe) is reached through the plugin's methods.
export type { SglangOptions } from "./options.ts";
export { createSglangEngine, SGLANG_DEFAULT_VERSION, type SglangEngineSettings, sglang } from "./plugin.ts";
