import { fp8Issues, multimodalLimitsOf } from "@rouse/config";
import type { DeploymentViewV1, EnginePluginV1, LaunchSpecV1, PluginWarningV1 } from "@rouse/engine-spec";
import { checkEngineConfig, cudaMajorOfImage, optionTable, versionAtLeast } from "@rouse/engine-kit";
import {
  HOST_NOTES,
  LANGUAGE_MODEL_ONLY_SINCE,
  VLLM_ARGV_NOTES,
  VLLM_EXECUTABLE,
  vllmServeArgs,
} from "./argv.ts";
import { createVllmLifecycleClient } from "./client.ts";
import { explainVllmExit } from "./explain-exit.ts";
import { vllmCuda, vllmImage } from "./image.ts";
import { vllmLifecycle, vllmSleepMode, vllmSnapshotRecipe } from "./lifecycle.ts";
import { VLLM_OPTION_TABLES } from "./option-tables.generated.ts";
import { readVllmOptions } from "./options.ts";

/**
 * argparse dests of `vllm serve` that rouse sets (or must keep unset), whatever the
 * config: extraArgs may not reach them under any spelling. Each maps to the field to use.
 */
export const VLLM_OWNED_DESTS: Readonly<Record<string, string>> = {
  model_tag: "model.id",
  model: "model.id",
  revision: "model.revision",
  served_model_name: "model.servedName",
  host: "serving.port (rouse binds the engine behind its own guard)",
  port: "serving.port (rouse binds the engine behind its own guard)",
  uds: "serving.port (rouse binds the engine behind its own guard)",
  api_key: "secrets.apiKey",
  config: "the rouse.yaml fields (a flags file rouse could not check)",
  help: "nothing: --help prints help and exits",
  tensor_parallel_size: "resources.count",
  gpu_memory_utilization: "engine.gpuMemoryUtilization",
  max_num_seqs: "engine.maxNumSeqs",
  max_model_len: "model.maxModelLen",
  max_num_batched_tokens: "engine.maxBatchedTokens",
  enforce_eager: "engine.fastBoot",
  enable_sleep_mode: "snapshot.enabled / local.scaleToZero",
  speculative_config: "engine.speculative",
  tool_call_parser: "model.toolCallParser",
  enable_auto_tool_choice: "model.toolCallParser (rouse enables auto tool choice with it)",
  reasoning_parser: "model.reasoningParser",
  tokenizer_mode: "model.tokenizerMode",
  config_format: "model.configFormat",
  load_format: "model.loadFormat",
  quantization: "model.quantization",
  trust_remote_code: "model.trustRemoteCode",
  limit_mm_per_prompt: "model.multimodal",
  language_model_only: "model.multimodal",
  uvicorn_log_level: "engine.options.vllm.uvicornLogLevel",
  enable_prefix_caching: "engine.options.vllm.enablePrefixCaching",
  kv_cache_dtype: "engine.options.vllm.kvCacheDtype",
  max_cudagraph_capture_size: "engine.options.vllm.maxCudagraphCaptureSize",
};

/** vLLM's Fp8Config.get_min_capability() and the Marlin fallback below FP8 tensor cores (FACTS.md §FP8). */
const VLLM_FP8 = {
  minCapability: 75,
  fullSpeedCapability: 89,
  source: "vllm/model_executor/layers/quantization/fp8.py",
};

function checkVllm(config: DeploymentViewV1, version: string) {
  const { options } = readVllmOptions(config.engine.options.vllm);
  const ownArgv = vllmServeArgs(
    { ...config, engine: { ...config.engine, extraArgs: [] } },
    { host: "0.0.0.0", port: config.serving.port, sleepMode: true, options, version },
  );
  const { model } = config;
  const issues = checkEngineConfig(config.engine.extraArgs, {
    engine: "vLLM",
    version,
    tables: VLLM_OPTION_TABLES,
    owned: VLLM_OWNED_DESTS,
    ownArgv,
    values: [
      {
        path: ["model", "toolCallParser"],
        value: model.toolCallParser,
        option: "--tool-call-parser",
        pluginFlag: "--tool-parser-plugin",
      },
      {
        path: ["model", "reasoningParser"],
        value: model.reasoningParser,
        option: "--reasoning-parser",
        pluginFlag: "--reasoning-parser-plugin",
      },
      { path: ["model", "tokenizerMode"], value: model.tokenizerMode, option: "--tokenizer-mode" },
      { path: ["model", "configFormat"], value: model.configFormat, option: "--config-format" },
      { path: ["model", "loadFormat"], value: model.loadFormat, option: "--load-format" },
      { path: ["model", "quantization"], value: model.quantization, option: "--quantization" },
      {
        path: ["engine", "options", "vllm", "kvCacheDtype"],
        value: options.kvCacheDtype,
        option: "--kv-cache-dtype",
      },
    ],
  });
  const fp8 = optionTable({ tables: VLLM_OPTION_TABLES, version })?.table.fp8 ?? VLLM_FP8;
  issues.push(...fp8Issues(config, { fullSpeedCapability: 89, ...fp8 }, `vLLM ${version}`));
  return issues;
}

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

function validateVllm(config: DeploymentViewV1, version: string): PluginWarningV1[] {
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
  const versionOf = (config: DeploymentViewV1) => config.engine.version ?? defaultVersion;

  return {
    specificationVersion: "v1",
    engine: "vllm",
    displayName: "vLLM",
    defaultVersion,
    // vLLM 0.33 itself prepares for CUDA checkpoints (AsyncLLM.checkpoint_prepare).
    capabilities: { sleep: true, cudaCheckpoint: true },

    validate: (config) => validateVllm(config, versionOf(config)),
    check: (config) => checkVllm(config, versionOf(config)),

    launch(config, context): LaunchSpecV1 {
      const { options } = readVllmOptions(config.engine.options.vllm);
      const sleepMode = vllmSleepMode(config, context.target);
      const executable =
        context.executable ??
        (context.target === "local" ? config.local.executable : undefined) ??
        settings.executable ??
        VLLM_EXECUTABLE;
      // vLLM's --middleware adds an ASGI class to its API server (every --api-server-count
      // process builds its app from the same args): rouse's guard runs there, no proxy hop.
      const guard = context.asgiGuard;
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
          ...(guard ? ["--middleware", `${guard.module}.${guard.attribute}`] : []),
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
        argvNotes: [...VLLM_ARGV_NOTES, guard ? HOST_NOTES.inProcess : HOST_NOTES.proxied],
        ...(guard ? { guard: "in-process" as const } : {}),
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
