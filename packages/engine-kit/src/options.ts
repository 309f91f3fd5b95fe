import { didYouMean } from "@rouse/config";
import type { PluginWarningV1 } from "@rouse/engine-spec";
import type { z } from "zod";

/**
 * Reads `engine.options.<engine>` against the plugin's own schema (one zod schema
 * per option): keeps the valid options, and turns every unknown key or bad value
 * into a warning — never a crash (like AI SDK provider options).
 */
export function readEngineOptions<Shape extends Record<string, z.ZodType>>(
  engine: string,
  shape: Shape,
  raw: Record<string, unknown> | undefined,
): { options: Partial<{ [K in keyof Shape]: z.output<Shape[K]> }>; warnings: PluginWarningV1[] } {
  const known = Object.keys(shape);
  const options: Record<string, unknown> = {};
  const warnings: PluginWarningV1[] = [];
  for (const [key, value] of Object.entries(raw ?? {})) {
    const field = `engine.options.${engine}.${key}`;
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!schema) {
      const guess = didYouMean(key, known);
      warnings.push({
        code: "unknown_option",
        field,
        message: `${engine} has no rouse option '${key}'${guess ? ` (did you mean '${guess}'?)` : ""}; known: ${known.join(", ") || "(none)"}. Ignored — pass raw flags in engine.extraArgs.`,
      });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success && parsed.data !== undefined) options[key] = parsed.data;
    else if (!parsed.success) {
      warnings.push({
        code: "invalid_option",
        field,
        message: `${parsed.error.issues[0]?.message ?? "invalid value"}; ignored`,
      });
    }
  }
  return { options: options as Partial<{ [K in keyof Shape]: z.output<Shape[K]> }>, warnings };
}
