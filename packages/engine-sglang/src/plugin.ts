import type { DeploymentViewV1, EnginePluginV1, LaunchSpecV1, PluginWarningV1 } from "@rouse/engine-spec";
import { fp8Issues, multimodalLimitsOf } from "@rouse/config";
import { checkEngineConfig, optionTable, versionAtLeast } from "@rouse/engine-kit";
import {
  LANGUAGE_MODEL_ONLY_SINCE,
  MM_LIMITS_SINCE,
  HOST_NOTES,
  SGLANG_ARGV_NOTES,
  SGLANG_ASGI_APP,
  SGLANG_EXECUTABLE,
  SGLANG_TOKENIZER_MODES,
  sglangServerArgs,
} from "./argv.ts";
import { createSglangLifecycleClient } from "./client.ts";
import { explainSglangExit } from "./explain-exit.ts";
import { sglangImage } from "./image.ts";
import { sglangLifecycle, sglangSleepMode, sglangSnapshotRecipe } from "./lifecycle.ts";
import { SGLANG_OPTION_TABLES } from "./option-tables.generated.ts";
import { readSglangOptions } from "./options.ts";

/**
 * argparse dests of `sglang.launch_server` that rouse sets (or must keep unset), whatever
 * the config: extraArgs may not reach them under any spelling. Each maps to the field to use.
 */
export const SGLANG_OWNED_DESTS: Readonly<Record<string, string>> = {
  model_path: "model.id",
  tokenizer_path: "model.id",
  revision: "model.revision",
  served_model_name: "model.servedName",
  host: "serving.port (rouse binds the engine behind its own guard)",
  port: "serving.port (rouse binds the engine behind its own guard)",
  api_key: "secrets.apiKey",
  admin_api_key: "secrets.apiKey",
  config: "the rouse.yaml fields (a flags file rouse could not check)",
  help: "nothing: --help prints help and exits",
  tp_size: "resources.count",
  mem_fraction_static: "engine.gpuMemoryUtilization",
  max_running_requests: "engine.maxNumSeqs",
  context_length: "model.maxModelLen",
  chunked_prefill_size: "engine.maxBatchedTokens",
  disable_cuda_graph: "engine.fastBoot",
  enable_memory_saver: "snapshot.enabled / local.scaleToZero",
  enable_weights_cpu_backup: "snapshot.enabled / local.scaleToZero",
  tool_call_parser: "model.toolCallParser",
  reasoning_parser: "model.reasoningParser",
  tokenizer_mode: "model.tokenizerMode",
  load_format: "model.loadFormat",
  quantization: "model.quantization",
  trust_remote_code: "model.trustRemoteCode",
  enable_multimodal: "model.multimodal",
  limit_mm_data_per_request: "model.multimodal",
  language_model_only: "model.multimodal",
  enable_metrics: "nothing: rouse turns metrics on for the gateway",
  tokenizer_worker_num:
    "nothing: rouse's guard runs inside SGLang's one HTTP server process (more tokenizer workers start servers without it)",
};

/** SGLang's Fp8Config.get_min_capability() (FACTS.md §FP8). */
const SGLANG_FP8 = {
  minCapability: 80,
  fullSpeedCapability: 89,
  source: "sglang/srt/layers/quantization/fp8.py",
};

function checkSglang(config: DeploymentViewV1, version: string) {
  const { options } = readSglangOptions(config.engine.options.sglang);
  const ownArgv = sglangServerArgs(
    { ...config, engine: { ...config.engine, extraArgs: [] } },
    { host: "0.0.0.0", port: config.serving.port, sleepMode: true, version, options },
  );
  const { model } = config;
  const issues = checkEngineConfig(config.engine.extraArgs, {
    engine: "SGLang",
    version,
    tables: SGLANG_OPTION_TABLES,
    owned: SGLANG_OWNED_DESTS,
    ownArgv,
    values: [
      { path: ["model", "toolCallParser"], value: model.toolCallParser, option: "--tool-call-parser" },
      { path: ["model", "reasoningParser"], value: model.reasoningParser, option: "--reasoning-parser" },
      { path: ["model", "loadFormat"], value: model.loadFormat, option: "--load-format" },
      { path: ["model", "quantization"], value: model.quantization, option: "--quantization" },
    ],
  });
  const fp8 = optionTable({ tables: SGLANG_OPTION_TABLES, version })?.table.fp8 ?? SGLANG_FP8;
  issues.push(...fp8Issues(config, { fullSpeedCapability: 89, ...fp8 }, `SGLang ${version}`));
  return issues;
}

/** The SGLang release this plugin's flags and lifecycle were checked against (tools/engine-args/facts). */
export const SGLANG_DEFAULT_VERSION = "0.5.23";

export interface SglangEngineSettings {
  /** Used when `engine.version` is unset. Default: SGLANG_DEFAULT_VERSION. */
  readonly defaultVersion?: string;
  /** Replaces `python -m sglang.launch_server` when neither the launch context nor `local.executable` names one. */
  readonly executable?: readonly string[];
  /** Given to every lifecycle client (tests inject one). */
  readonly fetch?: typeof globalThis.fetch;
}

function validateSglang(config: DeploymentViewV1, version: string): PluginWarningV1[] {
  const { warnings } = readSglangOptions(config.engine.options.sglang);
  const { model, engine } = config;
  const unsupported = (field: string, message: string) =>
    warnings.push({ code: "unsupported_field", field, message });
  if (model.configFormat) unsupported("model.configFormat", "SGLang has no --config-format; ignored");
  if (model.tokenizerMode && !SGLANG_TOKENIZER_MODES.includes(model.tokenizerMode)) {
    unsupported(
      "model.tokenizerMode",
      `SGLang's --tokenizer-mode takes ${SGLANG_TOKENIZER_MODES.join(" or ")}; '${model.tokenizerMode}' ignored`,
    );
  }
  if (engine.speculative) {
    unsupported(
      "engine.speculative",
      "SGLang takes speculative decoding as separate flags (--speculative-algorithm, --speculative-draft-model-path, …): put them in engine.extraArgs",
    );
  }
  const limits = multimodalLimitsOf(config);
  if (limits && Object.keys(limits).length > 0 && !versionAtLeast(version, MM_LIMITS_SINCE)) {
    unsupported(
      "model.multimodal.limits",
      `SGLang ${version} has no --limit-mm-data-per-request (added by ${MM_LIMITS_SINCE}); ignored`,
    );
  }
  if (!limits && !versionAtLeast(version, LANGUAGE_MODEL_ONLY_SINCE)) {
    warnings.push({
      code: "no_text_only_flag",
      field: "model.multimodal",
      message: `SGLang ${version} has no --language-model-only (rouse knows it from ${LANGUAGE_MODEL_ONLY_SINCE}): if ${config.model.id} is a vision-language model, it stays multimodal; text models are unaffected`,
    });
  }
  if (config.snapshot.enabled && config.snapshot.sleepLevel === 2) {
    unsupported(
      "snapshot.sleepLevel",
      "SGLang has no sleep levels: the release frees everything releasable and keeps weights in host RAM",
    );
  }
  return warnings;
}

/** Creates the SGLang engine plugin; `sglang` is the default instance. */
export function createSglangEngine(settings: SglangEngineSettings = {}): EnginePluginV1 {
  const defaultVersion = settings.defaultVersion ?? SGLANG_DEFAULT_VERSION;
  const versionOf = (config: DeploymentViewV1) => config.engine.version ?? defaultVersion;

  return {
    specificationVersion: "v1",
    engine: "sglang",
    displayName: "SGLang",
    defaultVersion,
    // Whole-process CUDA checkpoints of SGLang's scheduler/detokenizer tree are untested.
    capabilities: { sleep: true, cudaCheckpoint: false },

    validate: (config) => validateSglang(config, versionOf(config)),
    check: (config) => checkSglang(config, versionOf(config)),

    launch(config, context): LaunchSpecV1 {
      const version = versionOf(config);
      const { options } = readSglangOptions(config.engine.options.sglang);
      const sleepMode = sglangSleepMode(config, context.target);
      const executable =
        context.executable ??
        (context.target === "local" ? config.local.executable : undefined) ??
        settings.executable ??
        SGLANG_EXECUTABLE;
      // The guard attaches to SGLang's app only when SGLang starts the default way.
      const guard = executable === SGLANG_EXECUTABLE ? context.asgiGuard : undefined;
      const launcher = guard
        ? ["python", "-m", guard.module, SGLANG_ASGI_APP, SGLANG_EXECUTABLE[2]]
        : executable;
      return {
        argv: [
          ...launcher,
          ...sglangServerArgs(config, {
            host: context.host,
            port: context.port,
            sleepMode,
            version,
            options,
          }),
        ],
        env: {},
        // SGLang reads its key from --api-key only; appended from the secret's variable at start time.
        argsFromEnv: config.secrets.apiKey
          ? [{ flag: "--api-key", env: config.secrets.apiKeyEnv, optional: context.target === "local" }]
          : [],
        host: context.host,
        port: context.port,
        warnings: validateSglang(config, version),
        argvNotes: [...SGLANG_ARGV_NOTES, guard ? HOST_NOTES.inProcess : HOST_NOTES.proxied],
        ...(guard ? { guard: "in-process" as const } : {}),
      };
    },

    image: (config) => sglangImage(config, versionOf(config)),
    lifecycle: sglangLifecycle,
    snapshotRecipe: sglangSnapshotRecipe,
    createLifecycleClient: (config, options) =>
      createSglangLifecycleClient(
        config,
        settings.fetch && !options.fetch ? { ...options, fetch: settings.fetch } : options,
      ),
    explainExit: explainSglangExit,
  };
}

/** The SGLang plugin with default settings. */
export const sglang = createSglangEngine();
