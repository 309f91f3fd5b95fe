// The plugin: its factory, the default instance, and the types a caller names. Everything
// else (argv, image, lifecycle, snapshot recipe) is reached through the plugin's methods.
export type { VllmOptions } from "./options.ts";
export { createVllmEngine, VLLM_DEFAULT_VERSION, type VllmEngineSettings, vllm } from "./plugin.ts";
