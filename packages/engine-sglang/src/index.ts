export {
  maxRunningRequestsOf,
  SGLANG_EXECUTABLE,
  SGLANG_TOKENIZER_MODES,
  type SglangArgvOptions,
  sglangServerArgs,
} from "./argv.ts";
export { createSglangLifecycleClient, SGLANG_METRIC_NAMES } from "./client.ts";
export { explainSglangExit } from "./explain-exit.ts";
export {
  SGLANG_DEEPGEMM_PATH,
  SGLANG_WEIGHTS_PATH,
  sglangDefaultImage,
  sglangImage,
  usesDeepGemm,
} from "./image.ts";
export {
  SGLANG_ADMIN_PATHS,
  sglangLifecycle,
  sglangMaySleep,
  sglangSleepMode,
  sglangSnapshotRecipe,
} from "./lifecycle.ts";
export { readSglangOptions, type SglangOptions, sglangOptionArgs, sglangOptionShape } from "./options.ts";
export { createSglangEngine, SGLANG_DEFAULT_VERSION, type SglangEngineSettings, sglang } from "./plugin.ts";
