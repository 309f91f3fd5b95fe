import type { DeploymentViewV1 } from "@rouse/engine-spec";
import { multimodalLimitsOf, servedNamesOf, tensorParallelOf } from "@rouse/config";
import { flagValue, plainValue, versionAtLeast } from "@rouse/engine-kit";
import { type VllmOptions, vllmOptionArgs } from "./options.ts";

// `vllm serve` arguments for a validated config. Every value is one argv
// element (never a shell string). Flags that the seeds spell with underscores
// keep that spelling so generated apps read like the seeds; vLLM's
// FlexibleArgumentParser treats `_` and `-` alike (facts: parser.underscoresAsDashes).
// Values from the config go in `--flag=value` form (flagValue): a separate element
// that starts with `-` would be read as the next flag. The model (a positional) and the
// served names (`nargs="+"`) cannot use that form, so one starting with `-` is refused.

export interface VllmArgvOptions {
  readonly host: string;
  readonly port: number;
  /** `--enable-sleep-mode`: something will put this engine to sleep (snapshot, local scale-to-zero). */
  readonly sleepMode: boolean;
  /** The valid part of `engine.options.vllm`. */
  readonly options?: VllmOptions;
  /** The vLLM release the argv is for. */
  readonly version: string;
}

/**
 * `--language-model-only` (MultiModalConfig.language_model_only: every modality limit 0,
 * the vision/audio encoders not run): in vLLM 0.32 and 0.33, not in 0.13 (facts); older
 * versions get no text-only flag and a warning.
 */
export const LANGUAGE_MODEL_ONLY_SINCE = "0.32.0";

/** The default executable prefix; `vllm serve` follows it. */
export const VLLM_EXECUTABLE = ["vllm"] as const;

/**
 * Why each group of flags is there, one line each: the emitted app writes it above the
 * flag in ENGINE_CMD (launch spec `argvNotes`), as the seeds comment theirs.
 */
export const VLLM_ARGV_NOTES: ReadonlyArray<{ readonly flag: string; readonly why: string }> = [
  { flag: "--served-model-name", why: "the names clients send as `model`" },
  { flag: "--gpu_memory_utilization", why: "the share of GPU memory for weights and KV cache" },
  { flag: "--tensor-parallel-size", why: "several GPUs in one container split the matrix multiplications" },
  { flag: "--tool-call-parser", why: 'tool calls need auto tool choice, or `tool_choice: "auto"` fails' },
  { flag: "--language-model-only", why: "text only: the vision and audio encoders are not run" },
  {
    flag: "--enforce-eager",
    why: "eager mode: no torch.compile or CUDA graphs, faster boots, slower tokens",
  },
  { flag: "--no-enforce-eager", why: "torch.compile and CUDA graphs: slower boots, faster tokens" },
  { flag: "--enable-sleep-mode", why: "sleep frees GPU memory before a snapshot or when idle" },
  { flag: "--max-num-seqs", why: "make KV cache predictable / small" },
];

/** The `--host` note: who faces the public port. */
export const HOST_NOTES = {
  proxied: { flag: "--host", why: "loopback only: the guard alone faces the public port" },
  inProcess: {
    flag: "--host",
    why: "the public port: rouse's guard runs inside vLLM's API server (--middleware)",
  },
} as const;

/** What `vllm serve` is told, without the executable. */
export function vllmServeArgs(config: DeploymentViewV1, options: VllmArgvOptions): string[] {
  const { model, engine } = config;
  const args: string[] = [
    "serve",
    plainValue("model.id", model.id),
    `--uvicorn-log-level=${options.options?.uvicornLogLevel ?? "info"}`,
  ];
  if (model.revision) args.push(flagValue("--revision", model.revision));
  args.push("--served-model-name", ...servedNamesOf(config).map((n) => plainValue("model.servedName", n)));
  args.push("--host", options.host, "--port", String(options.port));
  args.push("--gpu_memory_utilization", String(engine.gpuMemoryUtilization));
  // Several GPUs in one container split the matrix multiplications.
  args.push("--tensor-parallel-size", String(tensorParallelOf(config)));

  if (model.tokenizerMode) args.push(flagValue("--tokenizer_mode", model.tokenizerMode));
  if (model.configFormat) args.push(flagValue("--config_format", model.configFormat));
  if (model.loadFormat) args.push(flagValue("--load_format", model.loadFormat));
  // A tool parser without auto tool choice leaves `tool_choice: "auto"` requests failing.
  if (model.toolCallParser)
    args.push(flagValue("--tool-call-parser", model.toolCallParser), "--enable-auto-tool-choice");
  if (model.reasoningParser) args.push(flagValue("--reasoning-parser", model.reasoningParser));
  const limits = multimodalLimitsOf(config);
  if (limits && Object.keys(limits).length > 0)
    args.push(flagValue("--limit-mm-per-prompt", JSON.stringify(limits)));
  // multimodal: false means text only, also for a vision-language model (a no-op for text models).
  if (!limits && versionAtLeast(options.version, LANGUAGE_MODEL_ONLY_SINCE))
    args.push("--language-model-only");
  if (model.quantization) args.push(flagValue("--quantization", model.quantization));
  if (model.trustRemoteCode) args.push("--trust-remote-code");
  if (engine.speculative) args.push(flagValue("--speculative-config", JSON.stringify(engine.speculative)));

  // Eager mode skips torch.compile and CUDA graph capture: faster boots, slower tokens.
  // Explicit either way, so the choice is visible in the generated app.
  args.push(engine.fastBoot ? "--enforce-eager" : "--no-enforce-eager");
  if (options.sleepMode) args.push("--enable-sleep-mode");
  if (engine.maxNumSeqs !== undefined) args.push("--max-num-seqs", String(engine.maxNumSeqs));
  if (model.maxModelLen !== undefined) args.push("--max-model-len", String(model.maxModelLen));
  if (engine.maxBatchedTokens !== undefined)
    args.push("--max-num-batched-tokens", String(engine.maxBatchedTokens));
  args.push(...vllmOptionArgs(options.options ?? {}));
  // Passed through untouched, one element each: config validation already refuses flags rouse owns.
  args.push(...engine.extraArgs);
  return args;
}
