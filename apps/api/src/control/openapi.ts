import {
  configIssueSchema,
  configSourceSchema,
  errorBodySchema,
  presetsResponseSchema,
  renderResponseSchema,
  upstreamsResponseSchema,
  validateResponseSchema,
} from "@rouse/config";
import { z } from "zod";

// The OpenAPI 3.1 document, generated from the same zod schemas the server uses
// (OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what z.toJSONSchema emits).

/** The subset of an OpenAI request the gateway reads; everything else passes through. */
const openAIRequestSchema = (extra: Record<string, z.ZodType>) =>
  z.looseObject({
    model: z.string().describe("Routes the request: an upstream that lists this model serves it."),
    stream: z.boolean().optional().describe("Stream Server-Sent Events, passed through chunk by chunk."),
    ...extra,
  });

const chatRequestSchema = openAIRequestSchema({
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })),
});
const completionRequestSchema = openAIRequestSchema({ prompt: z.unknown() });
const embeddingRequestSchema = openAIRequestSchema({ input: z.unknown() });
const modelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({ id: z.string(), object: z.literal("model"), created: z.number(), owned_by: z.string() }),
  ),
});

function schema(s: z.ZodType, io: "input" | "output" = "output"): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const errorResponses = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: ERROR_TEXT[code] ?? "Error",
        content: json("ErrorBody"),
        headers:
          code === 429 || code === 503
            ? { "Retry-After": { $ref: "#/components/headers/RetryAfter" } }
            : undefined,
      },
    ]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request (bad JSON, no model)",
  401: "Missing or wrong API key",
  403: "The key may not use this model",
  404: "Unknown model or route",
  413: "Body larger than limits.maxBodyBytes",
  422: "Invalid config",
  429: "Per-key rate limit reached",
  501: "Not available in this build",
  503: "Upstream still starting past the wait deadline, wait queue full, or every upstream down",
};

function gatewayOperation(summary: string, requestSchema: string, streams: boolean) {
  return {
    post: {
      tags: ["gateway"],
      summary,
      security: [{ bearer: [] }],
      requestBody: { required: true, content: json(requestSchema) },
      responses: {
        "200": {
          description: streams
            ? "The upstream's response (JSON, or an SSE stream when `stream: true`)"
            : "The upstream's response",
          headers: {
            "x-rouse-cold-start": { $ref: "#/components/headers/ColdStart" },
            "x-rouse-queue-ms": { $ref: "#/components/headers/QueueMs" },
            "x-rouse-upstream": { $ref: "#/components/headers/Upstream" },
            "x-request-id": { $ref: "#/components/headers/RequestId" },
          },
          content: {
            "application/json": { schema: { type: "object" } },
            ...(streams ? { "text/event-stream": { schema: { type: "string" } } } : {}),
          },
        },
        ...errorResponses(400, 401, 403, 404, 413, 429, 503),
      },
    },
  };
}

function controlPost(summary: string, response: string, extra: Record<string, unknown> = {}) {
  return {
    post: {
      tags: ["control"],
      summary,
      security: [{ bearer: [] }],
      requestBody: { required: true, content: json("ConfigSource") },
      responses: {
        "200": { description: "OK", content: json(response) },
        ...errorResponses(400, 401, 404, 413),
        ...extra,
      },
    },
  };
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "rouse server",
      version: "1.0.0",
      description:
        "An OpenAI-compatible gateway in front of rouse deployments (routing by model, cold-start queueing, API keys, metrics) and the rouse control API.",
    },
    tags: [
      { name: "gateway", description: "OpenAI-compatible endpoints, routed by `model` to upstreams" },
      { name: "control", description: "rouse configs: validate, render, presets, upstream health" },
      { name: "operations", description: "Health, readiness and Prometheus metrics" },
    ],
    paths: {
      "/v1/chat/completions": gatewayOperation(
        "Chat completion (routed by model)",
        "ChatCompletionRequest",
        true,
      ),
      "/v1/completions": gatewayOperation("Text completion (routed by model)", "CompletionRequest", true),
      "/v1/embeddings": gatewayOperation("Embeddings (routed by model)", "EmbeddingRequest", false),
      "/v1/models": {
        get: {
          tags: ["gateway"],
          summary: "Models this key may use: the union of the upstreams' models",
          security: [{ bearer: [] }],
          responses: { "200": { description: "OK", content: json("ModelList") }, ...errorResponses(401) },
        },
      },
      "/api/v1/validate": controlPost(
        "Validate a rouse config (issues carry line:column for text)",
        "ValidateResponse",
      ),
      "/api/v1/render": controlPost(
        "Render a config to the Modal app source (app.py)",
        "RenderResponse",
        errorResponses(422, 501),
      ),
      "/api/v1/presets": {
        get: {
          tags: ["control"],
          summary: "Built-in presets",
          security: [{ bearer: [] }],
          responses: {
            "200": { description: "OK", content: json("PresetsResponse") },
            ...errorResponses(401),
          },
        },
      },
      "/api/v1/upstreams": {
        get: {
          tags: ["control"],
          summary: "Configured upstreams with their live state",
          security: [{ bearer: [] }],
          parameters: [
            {
              name: "probe",
              in: "query",
              required: false,
              description:
                "`true`: probe every upstream's health path now (this wakes scaled-to-zero deployments)",
              schema: { type: "string", enum: ["true", "false"] },
            },
          ],
          responses: {
            "200": { description: "OK", content: json("UpstreamsResponse") },
            ...errorResponses(401),
          },
        },
      },
      "/healthz": {
        get: {
          tags: ["operations"],
          summary: "The process is alive",
          responses: { "200": { description: "alive" } },
        },
      },
      "/readyz": {
        get: {
          tags: ["operations"],
          summary: "Config loaded, at least one upstream not down, not shutting down",
          responses: { "200": { description: "ready" }, "503": { description: "not ready" } },
        },
      },
      "/metrics": {
        get: {
          tags: ["operations"],
          summary: "Prometheus metrics (text exposition format 0.0.4)",
          responses: {
            "200": { description: "metrics", content: { "text/plain": { schema: { type: "string" } } } },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A key whose sha256 is in auth.keys" },
      },
      headers: {
        ColdStart: {
          description: "Whether the request waited for a warming upstream",
          schema: { type: "string", enum: ["true", "false"] },
        },
        QueueMs: {
          description: "Milliseconds spent waiting before the upstream attempt that answered",
          schema: { type: "integer" },
        },
        Upstream: { description: "Name of the upstream that answered", schema: { type: "string" } },
        RequestId: {
          description: "The request id (the client's x-request-id, or a new one)",
          schema: { type: "string" },
        },
        RetryAfter: { description: "Seconds to wait before retrying", schema: { type: "integer" } },
      },
      schemas: {
        ChatCompletionRequest: schema(chatRequestSchema, "input"),
        CompletionRequest: schema(completionRequestSchema, "input"),
        EmbeddingRequest: schema(embeddingRequestSchema, "input"),
        ModelList: schema(modelListSchema),
        ConfigSource: schema(configSourceSchema, "input"),
        ConfigIssue: schema(configIssueSchema),
        ValidateResponse: schema(validateResponseSchema),
        RenderResponse: schema(renderResponseSchema),
        PresetsResponse: schema(presetsResponseSchema),
        UpstreamsResponse: schema(upstreamsResponseSchema),
        ErrorBody: schema(errorBodySchema),
      },
    },
  };
}
