import type { DeploymentConfigV1, EnginePluginV1, LaunchSpecV1, PluginWarningV1 } from "@rouse/config";
import { multimodalLimitsOf } from "@rouse/config";
import { versionAtLeast } from "@rouse/engine-kit";
import {
  LANGUAGE_MODEL_ONLY_SINCE,
  MM_LIMITS_SINCE,
  SGLANG_EXECUTABLE,
  SGLANG_TOKENIZER_MODES,
  sglangServerArgs,
} from "./argv.ts";
import { createSglangLifecycleClient } from "./client.ts";
import { explainSglangExit } from "./explain-exit.ts";
import { sglangImage } from "./image.ts";
import { sglangLifecycle, sglangSleepMode, sglangSnapshotRecipe } from "./lifecycle.ts";
import { readSglangOptions } from "./options.ts";

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

function validateSglang(config: DeploymentConfigV1, version: string): PluginWarningV1[] {
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
  const versionOf = (config: DeploymentConfigV1) => config.engine.version ?? defaultVersion;

  return {
    specificationVersion: "v1",
    engine: "sglang",
    displayName: "SGLang",
    defaultVersion,
    // Whole-process CUDA checkpoints of SGLang's scheduler/detokenizer tree are untested.
    capabilities: { sleep: true, cudaCheckpoint: false },

    validate: (config) => validateSglang(config, versionOf(config)),

    launch(config, context): LaunchSpecV1 {
      const version = versionOf(config);
      const { options } = readSglangOptions(config.engine.options.sglang);
      const sleepMode = sglangSleepMode(config, context.target);
      const executable =
        context.executable ??
        (context.target === "local" ? config.local.executable : undefined) ??
        settings.executable ??
        SGLANG_EXECUTABLE;
      return {
        argv: [
          ...executable,
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
