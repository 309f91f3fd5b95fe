import {
  type DeploymentConfigV1,
  type EnginePluginV1,
  type LaunchSpecV1,
  multimodalLimitsOf,
  type PluginWarningV1,
} from "@rouse/config";
import { cudaMajorOfImage, versionAtLeast } from "@rouse/engine-kit";
import { LANGUAGE_MODEL_ONLY_SINCE, VLLM_EXECUTABLE, vllmServeArgs } from "./argv.ts";
import { createVllmLifecycleClient } from "./client.ts";
import { explainVllmExit } from "./explain-exit.ts";
import { vllmCuda, vllmImage } from "./image.ts";
import { vllmLifecycle, vllmSleepMode, vllmSnapshotRecipe } from "./lifecycle.ts";
import { readVllmOptions } from "./options.ts";

/** The vLLM release this plugin's flags and lifecycle were checked against (tools/engine-args/facts). */
export const VLLM_DEFAULT_VERSION = "0.33.0";

export interface VllmEngineSettings {
  /** Used when `engine.version` is unset. Default: VLLM_DEFAULT_VERSION. */
  readonly defaultVersion?: string;
  /** Replaces `vllm` (before `serve`) when neither the launch context nor `local.executable` names one. */
  readonly executable?: readonly string[];
  /** Given to every lifecycle client (tests inject one). */
  readonly fetch?: typeof globalThis.fetch;
}

function validateVllm(config: DeploymentConfigV1, version: string): PluginWarningV1[] {
  const { options, warnings } = readVllmOptions(config.engine.options.vllm);
  if (!multimodalLimitsOf(config) && !versionAtLeast(version, LANGUAGE_MODEL_ONLY_SINCE)) {
    warnings.push({
      code: "no_text_only_flag",
      field: "model.multimodal",
      message: `vLLM ${version} has no --language-model-only (rouse knows it from ${LANGUAGE_MODEL_ONLY_SINCE}): if ${config.model.id} is a vision-language model, it stays multimodal (set model.multimodal.limits to 0 per modality to turn its inputs off); text models are unaffected`,
    });
  }
  const need = vllmCuda(version);
  const image = config.engine.image;
  const imageCuda = image && image !== "debian_slim" ? cudaMajorOfImage(image) : undefined;
  if (imageCuda !== undefined && imageCuda !== need.cuda) {
    warnings.push({
      code: "image_cuda_mismatch",
      field: "engine.image",
      message: `vLLM ${version} pins torch ${need.torch}, built for CUDA ${need.cuda}, but ${image} is CUDA ${imageCuda}: kernels compiled at run time (FlashInfer, DeepGEMM) can fail. Use ${need.image}, or leave engine.image unset`,
    });
  }
  if (options.maxCudagraphCaptureSize !== undefined && !versionAtLeast(version, "0.11.0")) {
    warnings.push({
      code: "option_needs_newer_engine",
      field: "engine.options.vllm.maxCudagraphCaptureSize",
      message: `--max-cudagraph-capture-size arrived in vLLM 0.11; ${version} will reject it`,
    });
  }
  return warnings;
}

/** Creates the vLLM engine plugin (like `createOpenAI` in the AI SDK); `vllm` is the default instance. */
export function createVllmEngine(settings: VllmEngineSettings = {}): EnginePluginV1 {
  const defaultVersion = settings.defaultVersion ?? VLLM_DEFAULT_VERSION;
  const versionOf = (config: DeploymentConfigV1) => config.engine.version ?? defaultVersion;

  return {
    specificationVersion: "v1",
    engine: "vllm",
    displayName: "vLLM",
    defaultVersion,
    // vLLM 0.33 itself prepares for CUDA checkpoints (AsyncLLM.checkpoint_prepare).
    capabilities: { sleep: true, cudaCheckpoint: true },

    validate: (config) => validateVllm(config, versionOf(config)),

    launch(config, context): LaunchSpecV1 {
      const { options } = readVllmOptions(config.engine.options.vllm);
      const sleepMode = vllmSleepMode(config, context.target);
      const executable =
        context.executable ??
        (context.target === "local" ? config.local.executable : undefined) ??
        settings.executable ??
        VLLM_EXECUTABLE;
      return {
        argv: [
          ...executable,
          ...vllmServeArgs(config, {
            host: context.host,
            port: context.port,
            sleepMode,
            options,
            version: versionOf(config),
          }),
        ],
        // The sleep routes exist only in dev mode; the image sets it too when snapshots are on.
        env: sleepMode ? { VLLM_SERVER_DEV_MODE: "1" } : {},
        // vLLM also reads VLLM_API_KEY itself, but the secret's variable may have any name:
        // the key is appended from it at start time, never written into argv templates.
        argsFromEnv: config.secrets.apiKey
          ? [{ flag: "--api-key", env: config.secrets.apiKeyEnv, optional: context.target === "local" }]
          : [],
        host: context.host,
        port: context.port,
        warnings: validateVllm(config, versionOf(config)),
      };
    },

    image: (config) => vllmImage(config, versionOf(config)),
    lifecycle: vllmLifecycle,
    snapshotRecipe: vllmSnapshotRecipe,
    createLifecycleClient: (config, options) =>
      createVllmLifecycleClient(
        config,
        settings.fetch && !options.fetch ? { ...options, fetch: settings.fetch } : options,
      ),
    explainExit: explainVllmExit,
  };
}

/** The vLLM plugin with default settings. */
export const vllm = createVllmEngine();
