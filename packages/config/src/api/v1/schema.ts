import { z } from "zod";

// Payloads of the rouse server's control API (`/api/v1/…`), shared by the server,
// the CLI and the OpenAPI document.

export const configIssueSchema = z.object({
  severity: z.enum(["error", "warning"]),
  code: z.string(),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  fix: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});

/** Either parsed config data, or the text of a rouse.yaml / JSON file. */
export const configSourceSchema = z.union([
  z.strictObject({ config: z.record(z.string(), z.unknown()) }),
  z.strictObject({ text: z.string().max(1_000_000) }),
  z.strictObject({ preset: z.string() }),
]);

export const validateResponseSchema = z.object({
  ok: z.boolean(),
  issues: z.array(configIssueSchema),
  config: z.record(z.string(), z.unknown()).optional(),
});

export const renderResponseSchema = z.object({
  fileName: z.string(),
  source: z.string(),
  warnings: z.array(configIssueSchema),
});

export const presetSummarySchema = z.object({
  name: z.string(),
  description: z.string(),
  seed: z.string().optional(),
  engine: z.string(),
  gpu: z.string(),
  snapshot: z.boolean(),
});
export const presetsResponseSchema = z.object({ presets: z.array(presetSummarySchema) });

export const upstreamStatusSchema = z.object({
  name: z.string(),
  url: z.string(),
  models: z.array(z.string()),
  state: z.enum(["ready", "warming", "refusing", "down", "unknown"]),
  latencyMs: z.number().optional(),
  checkedAt: z.string().optional(),
  detail: z.string().optional(),
});
export const upstreamsResponseSchema = z.object({ upstreams: z.array(upstreamStatusSchema) });

/** OpenAI-style error body, used for every error the server returns. */
export const errorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.union([z.string(), z.null()]).optional(),
    param: z.union([z.string(), z.null()]).optional(),
  }),
});

export type ConfigSource = z.infer<typeof configSourceSchema>;
export type ValidateResponse = z.infer<typeof validateResponseSchema>;
export type RenderResponse = z.infer<typeof renderResponseSchema>;
export type PresetSummary = z.infer<typeof presetSummarySchema>;
export type UpstreamStatus = z.infer<typeof upstreamStatusSchema>;
export type ErrorBody = z.infer<typeof errorBodySchema>;
