import type { PluginWarningV1 } from "@rouse/engine-spec";
import { flagValue, readEngineOptions } from "@rouse/engine-kit";
import { z } from "zod";

// `engine.options.sglang`: settings only SGLang has, each validated on its own so a
// bad one becomes a warning (and is dropped), never a crash.

export const sglangOptionShape = {
  /** `--attention-backend`, e.g. `fa3` or `flashinfer`. */
  attentionBackend: z.string().regex(/^[a-z0-9_-]+$/, { error: "attentionBackend is a name like 'fa3'" }),
  /** `--enable-torch-compile`: slower boots, faster small batches (a snapshot keeps the compiled state). */
  enableTorchCompile: z.boolean(),
  /** `--disable-radix-cache`: no prefix sharing between requests. */
  disableRadixCache: z.boolean(),
};
export type SglangOptions = Partial<{
  [K in keyof typeof sglangOptionShape]: z.output<(typeof sglangOptionShape)[K]>;
}>;

export function readSglangOptions(raw: Record<string, unknown> | undefined): {
  options: SglangOptions;
  warnings: PluginWarningV1[];
} {
  return readEngineOptions("sglang", sglangOptionShape, raw);
}

export function sglangOptionArgs(options: SglangOptions): string[] {
  const args: string[] = [];
  if (options.attentionBackend) args.push(flagValue("--attention-backend", options.attentionBackend));
  if (options.enableTorchCompile) args.push("--enable-torch-compile");
  if (options.disableRadixCache) args.push("--disable-radix-cache");
  return args;
}
