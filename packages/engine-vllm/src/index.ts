export { VLLM_EXECUTABLE, type VllmArgvOptions, vllmServeArgs } from "./argv.ts";
export { createVllmLifecycleClient, VLLM_METRIC_NAMES } from "./client.ts";
export { explainVllmExit } from "./explain-exit.ts";
export { VLLM_DEFAULT_BASE_IMAGE, VLLM_DEFAULT_PYTHON, vllmImage } from "./image.ts";
export {
  VLLM_ADMIN_PATHS,
  vllmLifecycle,
  vllmMaySleep,
  vllmSleepMode,
  vllmSnapshotRecipe,
} from "./lifecycle.ts";
export { readVllmOptions, type VllmOptions, vllmOptionArgs, vllmOptionShape } from "./options.ts";
export { createVllmEngine, VLLM_DEFAULT_VERSION, type VllmEngineSettings, vllm } from "./plugin.ts";
