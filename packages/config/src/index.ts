export * from "./api/v1/schema.ts";
export { didYouMean } from "./common/did-you-mean.ts";
export { printable, printableJson, printableLines } from "./common/printable.ts";
export { ConfigError, type ConfigIssue, formatIssue, formatPath } from "./deployment/issues.ts";
export { deploymentJsonSchema, gatewayJsonSchema } from "./deployment/json-schema.ts";
export {
  decodeUtf8,
  type LoadResult,
  loadDeploymentFile,
  loadDeploymentText,
  readDeploymentFile,
  type Utf8Result,
} from "./deployment/load.ts";
export { gpuStringOf, multimodalLimitsOf, servedNamesOf, tensorParallelOf } from "./deployment/v1/derived.ts";
export { GPU_TYPE_NAMES, GPU_TYPES, type GpuType } from "./deployment/v1/gpu.ts";
// For engine plugins' check(): FP8 support per engine version and GPU.
export { type Fp8Support, fp8Issues, isFp8Model } from "./deployment/v1/rules.ts";
export {
  type DeploymentConfigV1,
  type DeploymentConfigV1Input,
  deploymentConfigV1Schema,
  type EngineKind,
} from "./deployment/v1/schema.ts";
export {
  CURRENT_CONFIG_VERSION,
  parseDeployment,
  type ValidateOptions,
  type ValidationResult,
  validateDeployment,
} from "./deployment/validate.ts";
export * from "./engine-plugin/resolve-plugin.ts";
export {
  type GatewayConfigV1,
  type GatewayConfigV1Input,
  gatewayConfigV1Schema,
  type UpstreamV1,
} from "./gateway/v1/schema.ts";
export {
  type ImportMapping,
  type ImportReport,
  importSeed003Config,
  looksLikeSeed003,
} from "./import/seed003.ts";
export { findPreset, type Preset, presets } from "./presets/presets.ts";
