import type { DeploymentViewV1 } from "@rouse/engine-spec";
import { multimodalLimitsOf, servedNamesOf, tensorParallelOf } from "@rouse/config";
import { flagValue, versionAtLeast } from "@rouse/engine-kit";
import { type SglangOptions, sglangOptionArgs } from "./options.ts";

// `python -m sglang.launch_server` arguments for a validated config, one argv
// element each. Flag spellings follow the pinned version's parser
// (tools/engine-args/facts/sglang-<version>.json); SGLang renamed several.
// Values from the config go in `--flag=value` form (flagValue): argparse reads a
// separate element that starts with `-` as the next flag.

export interface SglangArgvOptions {
  readonly host: string;
  readonly port: number;
  /** Memory saver + weights CPU backup: something will release GPU memory (snapshot, local scale-to-zero). */
  readonly sleepMode: boolean;
  /** The SGLang release the argv is for. */
  readonly version: string;
  readonly options?: SglangOptions;
}

export const SGLANG_EXECUTABLE = ["python", "-m", "sglang.launch_server"] as const;
/**
 * SGLang's server is the module-level FastAPI app of this module (every pinned release),
 * served by `launch_server` in-process when one tokenizer worker runs; SGLang has no
 * middleware flag, so rouse's guard module adds itself to this app and then runs
 * `sglang.launch_server` as __main__ (see asgi_guard.py in codegen's templates).
 */
export const SGLANG_ASGI_APP = "sglang.srt.entrypoints.http_server:app";

/** The schema's default for engine.gpuMemoryUtilization: a vLLM-sized fraction, too high for SGLang's static pool. */
const SCHEMA_DEFAULT_MEMORY_FRACTION = 0.9;

/** 0.5.14 split CUDA-graph settings into decode and prefill, and deprecated --disable-cuda-graph. */
const SPLIT_CUDA_GRAPH_FLAGS = "0.5.14";
/**
 * `--language-model-only`: the multimodal processor is not built and multimodal requests
 * are refused (sglang/srt/managers/tokenizer_manager.py). In 0.5.23's facts, not 0.5.6.post2's.
 */
export const LANGUAGE_MODEL_ONLY_SINCE = "0.5.23";
/** --limit-mm-data-per-request appeared between 0.5.6.post2 and 0.5.10. */
export const MM_LIMITS_SINCE = "0.5.10";

/** Requests one replica runs at once: the engine's own cap, else the container's concurrency cap. */
export function maxRunningRequestsOf(config: DeploymentViewV1): number {
  return config.engine.maxNumSeqs ?? config.scaling.maxInputs;
}

/**
 * Why each group of flags is there, one line each: the emitted app writes it above the
 * flag in ENGINE_CMD (launch spec `argvNotes`), as seed 004 comments its own.
 */
export const SGLANG_ARGV_NOTES: ReadonlyArray<{ readonly flag: string; readonly why: string }> = [
  { flag: "--tp-size", why: "use all GPUs to split up tensor-parallel operations" },
  { flag: "--cuda-graph-max-bs", why: "capture CUDA graphs up to batch sizes we're likely to observe" },
  {
    flag: "--cuda-graph-max-bs-decode",
    why: "capture CUDA graphs up to batch sizes we're likely to observe",
  },
  { flag: "--disable-cuda-graph", why: "no CUDA graph capture: faster boots, slower decoding" },
  { flag: "--cuda-graph-backend-decode", why: "no CUDA graph capture: faster boots, slower decoding" },
  { flag: "--enable-metrics", why: "expose metrics endpoints for telemetry" },
  { flag: "--enable-memory-saver", why: "enable offload, for snapshotting" },
  { flag: "--language-model-only", why: "text only: the vision and audio encoders are not run" },
];

/** The `--host` note: who faces the public port. */
export const HOST_NOTES = {
  proxied: { flag: "--host", why: "loopback only: the guard alone faces the public port" },
  inProcess: {
    flag: "--host",
    why: "the public port: rouse's guard runs inside SGLang's HTTP server (added to its app)",
  },
} as const;

export function sglangServerArgs(config: DeploymentViewV1, options: SglangArgvOptions): string[] {
  const { model, engine } = config;
  const split = versionAtLeast(options.version, SPLIT_CUDA_GRAPH_FLAGS);
  const running = maxRunningRequestsOf(config);
  const args: string[] = [flagValue("--model-path", model.id)];
  if (model.revision) args.push(flagValue("--revision", model.revision));
  // SGLang serves one name (config validation refuses more).
  args.push(flagValue("--served-model-name", servedNamesOf(config)[0]!));
  args.push("--host", options.host, "--port", String(options.port));
  // `--tp` (seed 004) works only as an argparse abbreviation of --tp-size; spell it out.
  args.push("--tp-size", String(tensorParallelOf(config)));
  if (engine.fastBoot) {
    // No CUDA graph capture: faster boots, slower decoding.
    if (split)
      args.push("--cuda-graph-backend-decode", "disabled", "--cuda-graph-backend-prefill", "disabled");
    else args.push("--disable-cuda-graph");
  } else {
    // Capture CUDA graphs up to the batch sizes we expect to run.
    args.push(split ? "--cuda-graph-max-bs-decode" : "--cuda-graph-max-bs", String(running));
  }
  args.push("--max-running-requests", String(running));
  // Metrics back the autoscaling and the lifecycle client's metrics().
  args.push("--enable-metrics");
  if (options.sleepMode) {
    // Releasable GPU memory, with weights backed up in host RAM so they survive a release.
    args.push("--enable-memory-saver", "--enable-weights-cpu-backup");
  }
  if (engine.gpuMemoryUtilization !== SCHEMA_DEFAULT_MEMORY_FRACTION) {
    args.push("--mem-fraction-static", String(engine.gpuMemoryUtilization));
  }
  if (model.maxModelLen !== undefined) args.push("--context-length", String(model.maxModelLen));
  if (engine.maxBatchedTokens !== undefined)
    args.push("--chunked-prefill-size", String(engine.maxBatchedTokens));
  if (model.toolCallParser) args.push(flagValue("--tool-call-parser", model.toolCallParser));
  if (model.reasoningParser) args.push(flagValue("--reasoning-parser", model.reasoningParser));
  const limits = multimodalLimitsOf(config);
  // multimodal: false means text only, also for a vision-language model (a no-op for text models).
  if (!limits && versionAtLeast(options.version, LANGUAGE_MODEL_ONLY_SINCE))
    args.push("--language-model-only");
  if (limits) {
    args.push("--enable-multimodal");
    if (Object.keys(limits).length > 0 && versionAtLeast(options.version, MM_LIMITS_SINCE)) {
      args.push(flagValue("--limit-mm-data-per-request", JSON.stringify(limits)));
    }
  }
  if (model.tokenizerMode && SGLANG_TOKENIZER_MODES.includes(model.tokenizerMode)) {
    args.push(flagValue("--tokenizer-mode", model.tokenizerMode));
  }
  if (model.loadFormat) args.push(flagValue("--load-format", model.loadFormat));
  if (model.quantization) args.push(flagValue("--quantization", model.quantization));
  if (model.trustRemoteCode) args.push("--trust-remote-code");
  args.push(...sglangOptionArgs(options.options ?? {}));
  // Passed through untouched, one element each: config validation already refuses flags rouse owns.
  args.push(...engine.extraArgs);
  return args;
}

/** `--tokenizer-mode` choices (0.5.6.post2 … 0.5.23). */
export const SGLANG_TOKENIZER_MODES: readonly string[] = ["auto", "slow"];
