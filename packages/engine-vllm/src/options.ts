import type { PluginWarningV1 } from "@rouse/engine-spec";
import { flagValue, readEngineOptions } from "@rouse/engine-kit";
import { z } from "zod";

// `engine.options.vllm`: settings only vLLM has, each validated on its own so a
// bad one becomes a warning (and is dropped), never a crash.

export const vllmOptionShape = {
  /** `--uvicorn-log-level` (default `info`, as the seeds use). */
  uvicornLogLevel: z.enum(["critical", "error", "warning", "info", "debug", "trace"]),
  /** `--enable-prefix-caching` / `--no-enable-prefix-caching`. */
  enablePrefixCaching: z.boolean(),
  /** `--kv-cache-dtype`, e.g. `fp8` to fit more sequences. */
  kvCacheDtype: z.string().regex(/^[a-z0-9_]+$/, { error: "kvCacheDtype is a name like 'fp8' or 'auto'" }),
  /** `--max-cudagraph-capture-size`: fewer captured graphs, a smaller snapshot (vLLM ≥ 0.11). */
  maxCudagraphCaptureSize: z.number().int().positive(),
};
export type VllmOptions = Partial<{
  [K in keyof typeof vllmOptionShape]: z.output<(typeof vllmOptionShape)[K]>;
}>;

export function readVllmOptions(raw: Record<string, unknown> | undefined): {
  options: VllmOptions;
  warnings: PluginWarningV1[];
} {
  return readEngineOptions("vllm", vllmOptionShape, raw);
}

/** Flags for the options that are set. */
export function vllmOptionArgs(options: VllmOptions): string[] {
  const args: string[] = [];
  if (options.enablePrefixCaching !== undefined) {
    args.push(options.enablePrefixCaching ? "--enable-prefix-caching" : "--no-enable-prefix-caching");
  }
  if (options.kvCacheDtype) args.push(flagValue("--kv-cache-dtype", options.kvCacheDtype));
  if (options.maxCudagraphCaptureSize !== undefined) {
    args.push("--max-cudagraph-capture-size", String(options.maxCudagraphCaptureSize));
  }
  return args;
}
