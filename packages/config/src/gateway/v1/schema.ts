import { z } from "zod";
import { envName, servedName } from "../../common/names.ts";

// The rouse server's gateway config: which upstreams serve which models, who may
// call, and how long requests wait for a cold upstream.

export const upstreamV1Schema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { error: "upstream names are letters, digits, '.', '_', '-'" }),
  /** Base URL of the OpenAI-compatible server (with or without `/v1`). */
  url: z.url({ protocol: /^https?$/, error: "upstream url must be an http(s) URL" }),
  /** Models this upstream serves (the request's `model` routes here). */
  models: z.array(servedName).min(1),
  /** Environment variable holding the upstream's API key (never the key itself). */
  apiKeyEnv: envName.optional(),
  /** Modal proxy-auth token id/secret, by environment variable. */
  modalProxyAuth: z.strictObject({ keyEnv: envName, secretEnv: envName }).optional(),
  /** Share of traffic among upstreams of the same model and fallback tier. */
  weight: z.number().positive().max(1000).default(1),
  /** Tier: lower tiers are tried first; a higher tier is used while lower ones are cold or down. */
  fallback: z.number().int().min(0).max(100).default(0),
  healthPath: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/).default("/health"),
  /** Requests sent to this upstream at once; more wait in its queue (see queue.*). */
  maxConcurrency: z.number().int().min(1).max(100_000).default(256),
});

export const apiKeyV1Schema = z.strictObject({
  name: z.string().min(1).max(64),
  /** SHA-256 of the key, hex: keys are never stored in clear. */
  sha256: z.string().regex(/^[a-f0-9]{64}$/, { error: "sha256 must be 64 lowercase hex characters (sha256 of the key)" }),
  /** Models this key may use; absent: all. */
  models: z.array(servedName).optional(),
  requestsPerMinute: z.number().int().positive().optional(),
});

export const gatewayConfigV1Schema = z.strictObject({
  version: z.literal(1),
  listen: z
    .strictObject({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65_535).default(8080) })
    .prefault({}),
  auth: z
    .strictObject({
      keys: z.array(apiKeyV1Schema).default([]),
      /** Allow requests without a key — honoured only while listening on loopback. */
      allowNoAuthOnLoopback: z.boolean().default(false),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
      /** Request bodies held in memory at once (being read or queued); beyond it: 503 before the body is read. */
      maxBufferedBytes: z.number().int().positive().default(256 * 1024 * 1024),
      /** Body limit of the control API (`/api/v1/validate`, `/api/v1/render`). */
      maxControlBodyBytes: z.number().int().positive().default(1024 * 1024),
      /** Time budget of one control-API validate/render; beyond it: 503, and the work is stopped. */
      controlTimeoutMs: z.number().int().positive().default(10_000),
      /** Open client connections at once; more are refused at accept. */
      maxConnections: z.number().int().positive().default(4096),
    })
    .prefault({}),
  queue: z
    .strictObject({
      /** Requests that may wait in one upstream's queue (for a free slot or a cold start); beyond it: 503 + Retry-After. */
      maxWaiting: z.number().int().min(0).default(256),
      /** Body bytes that may wait in one upstream's queue; beyond it: 503 + Retry-After. */
      maxQueuedBytes: z.number().int().min(0).default(64 * 1024 * 1024),
      /** Longest a request waits for a cold (never seen up) upstream, or for a free slot. */
      maxWaitMs: z.number().int().positive().default(10 * 60_000),
      /** Times one request is re-sent after a 503 or a refused connection from an upstream that was up; then the error is passed on. */
      maxRetries: z.number().int().min(0).max(10).default(2),
      /** While a lower-tier upstream is warming, send to a ready higher tier instead of waiting (false: wait; fall back only when down). */
      fallbackWhileWarming: z.boolean().default(true),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      /** Client: longest time to send the request headers (slowloris). */
      clientHeadersMs: z.number().int().positive().default(10_000),
      /** Client: longest time to send the whole request. */
      clientRequestMs: z.number().int().positive().default(60_000),
      /** Client: idle keep-alive connections are closed after this. */
      clientKeepAliveMs: z.number().int().positive().default(65_000),
      /** Upstream: TCP/TLS connect. */
      upstreamConnectMs: z.number().int().positive().default(10_000),
      /** Upstream: longest wait for the response head (a Modal cold start holds it). */
      upstreamHeadersMs: z.number().int().positive().default(10 * 60_000),
      /** Upstream: longest silence between response body chunks. */
      upstreamBodyMs: z.number().int().positive().default(5 * 60_000),
      /** An upstream never seen up is "warming" (requests wait) for this long, then "down". Default: the longer of queue.maxWaitMs and 5 min. */
      coldStartWindowMs: z.number().int().positive().optional(),
      /** An upstream that was up and now refuses: requests wait this long for it to come back, then get 503 upstream_refusing. */
      refusingGraceMs: z.number().int().min(0).default(5_000),
      /** An upstream that was up and keeps refusing this long is "down". */
      refusingDownMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  upstreams: z.array(upstreamV1Schema).default([]),
  logging: z.strictObject({ bodies: z.boolean().default(false) }).prefault({}),
});

export type GatewayConfigV1Input = z.input<typeof gatewayConfigV1Schema>;
export type GatewayConfigV1 = z.output<typeof gatewayConfigV1Schema>;
export type UpstreamV1 = z.output<typeof upstreamV1Schema>;
