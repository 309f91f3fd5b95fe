import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import {
  type GatewayConfigV1,
  type GatewayConfigV1Input,
  gatewayConfigV1Schema,
  type UpstreamV1,
} from "@rouse/config";
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { ControlRunner } from "./control/control-runner.ts";
import type { Renderer } from "./control/renderer.ts";
import { DOCS_HTML } from "./control/docs-page.ts";
import { openApiDocument } from "./control/openapi.ts";
import { controlRoutes } from "./control/routes.ts";
import { errorResponse, GatewayError } from "./errors.ts";
import { jsonLines, type LogSink, requestLogEntry } from "./log/logger.ts";
import { createGatewayMetrics, type GatewayMetrics, type Outcome } from "./metrics/gateway-metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./metrics/registry.ts";
import { accessLog, type RequestRecord } from "./middleware/access-log/index.ts";
import { apiKeyAuth, type Principal } from "./middleware/auth/index.ts";
import { BodyBudget, bufferedBody } from "./middleware/body-limit/index.ts";
import { rateLimit } from "./middleware/rate-limit/index.ts";
import { createProxy, gatewayHeaders, SENT } from "./proxy/handler.ts";
import { Router } from "./router/router.ts";
import { type ContainerStatsSource, Fleet } from "./ui/fleet.ts";
import { playgroundRoutes } from "./ui/routes.ts";
import { HttpUpstream } from "./upstream/http-upstream.ts";
import {
  defaultHealthTiming,
  type HealthTiming,
  ManagedUpstream,
  UPSTREAM_STATES,
} from "./upstream/managed.ts";
import type { Upstream } from "./upstream/types.ts";

export type GatewayEnv = {
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    record: RequestRecord;
    principal: Principal;
    body: Buffer;
    releaseBody: () => void;
  };
};

export interface GatewayDeps {
  /** Where `apiKeyEnv` / `modalProxyAuth` variables are read. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives one entry per request (and lifecycle events). Default: JSON lines on stdout. */
  readonly log?: LogSink;
  /**
   * More upstreams next to the configured ones — e.g. a local engine supervisor.
   * Anything implementing `Upstream` can be routed to.
   */
  readonly upstreams?: readonly Upstream[];
  /** Builds the upstream for a configured entry. Default: an undici `HttpUpstream`. */
  readonly createUpstream?: (
    config: UpstreamV1,
    env: Readonly<Record<string, string | undefined>>,
    timeouts: GatewayConfigV1["timeouts"],
  ) => Upstream;
  /** Config → app.py for `POST /api/v1/render`. Default: renderApp of @rouse/engines, in the control worker thread. */
  readonly renderer?: Renderer;
  /** Warming/down detection timing (tests shorten it). */
  readonly health?: Partial<HealthTiming>;
  /** A waiting request retries a warming upstream itself at least this often. Default 2000 ms. */
  readonly retryInPlaceMs?: number;
  /** `Retry-After` on 503s. Default 5 s. */
  readonly retryAfterSeconds?: number;
  readonly random?: () => number;
  /** Modal's running containers per upstream, for the playground's fleet view (`rouse serve` passes one). */
  readonly containerStats?: ContainerStatsSource;
}

export interface Gateway {
  /** Every route, the proxied ones included: one request path. Mount more routes (a UI at `/`) with `app.route`. */
  readonly app: Hono<GatewayEnv>;
  readonly config: GatewayConfigV1;
  readonly router: Router;
  readonly metrics: GatewayMetrics;
  /** Requests being handled (streams included) right now. */
  readonly inFlight: number;
  /** Config loaded, not draining, at least one upstream not down. */
  ready(): boolean;
  /** `/readyz` turns 503; requests in flight go on. */
  startDraining(): void;
  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void>;
  /** At the shutdown deadline: ends every response still being piped (SSE: with an error event). Returns how many. */
  cutResponses(): number;
  /** Closes the upstream pools and stops probes. */
  close(): Promise<void>;
}

const CAPTURE_BYTES = 64 * 1024;
const PROXY_ROUTES: ReadonlySet<string> = new Set([
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
]);

/** The outcome of an error the gateway answers itself. */
function errorOutcome(err: GatewayError): Outcome {
  switch (err.code) {
    case "client_closed":
      return "client_closed";
    case "rate_limit_exceeded":
      return "rate_limited";
    case "queue_full":
    case "overloaded":
    case "control_busy":
      return "overloaded";
    case "cold_start_timeout":
    case "queue_timeout":
    case "upstream_timeout":
    case "control_timeout":
      return "timeout";
    case "upstreams_down":
    case "upstream_refusing":
      return "unavailable";
  }
  if (err.status >= 500) return err.type === "upstream_error" ? "upstream_error" : "server_error";
  return "client_error";
}

function statusOutcome(status: number): Outcome {
  if (status < 400) return "ok";
  if (status === 429) return "rate_limited";
  if (status === 499) return "client_closed";
  return status < 500 ? "client_error" : "server_error";
}

export function httpUpstreamFromConfig(
  u: UpstreamV1,
  env: Readonly<Record<string, string | undefined>>,
  timeouts?: GatewayConfigV1["timeouts"],
): HttpUpstream {
  const need = (name: string) => {
    const v = env[name];
    if (v === undefined || v === "")
      throw new Error(`upstream '${u.name}': environment variable ${name} is not set`);
    return v;
  };
  return new HttpUpstream({
    name: u.name,
    url: u.url,
    models: u.models,
    weight: u.weight,
    tier: u.fallback,
    healthPath: u.healthPath,
    connections: u.maxConcurrency,
    ...(timeouts
      ? {
          connectTimeoutMs: timeouts.upstreamConnectMs,
          headersTimeoutMs: timeouts.upstreamHeadersMs,
          bodyTimeoutMs: timeouts.upstreamBodyMs,
        }
      : {}),
    ...(u.apiKeyEnv ? { apiKey: need(u.apiKeyEnv) } : {}),
    ...(u.modalProxyAuth
      ? { modalProxyAuth: { key: need(u.modalProxyAuth.keyEnv), secret: need(u.modalProxyAuth.secretEnv) } }
      : {}),
  });
}

/**
 * The rouse server as a Hono app plus its lifecycle: an OpenAI-compatible gateway
 * (`/v1/*`, routed by `model`), the control API (`/api/v1/*`), `/openapi.json`,
 * `/docs`, `/healthz`, `/readyz` and `/metrics`.
 *
 * @example
 * const gw = createGateway({ version: 1, upstreams: [{ name: "a", url: "http://127.0.0.1:8000/v1", models: ["qwen"] }],
 *   auth: { allowNoAuthOnLoopback: true } });
 * const res = await gw.app.request("/v1/models");
 */
export function createGateway(
  input: GatewayConfigV1Input | GatewayConfigV1,
  deps: GatewayDeps = {},
): Gateway {
  const config = gatewayConfigV1Schema.parse(input);
  const env = deps.env ?? process.env;
  const log = deps.log ?? jsonLines();
  const t = config.timeouts;
  const timing: HealthTiming = {
    ...defaultHealthTiming,
    // An upstream never seen up is "warming" for at least 5 minutes (model loads take
    // that long), or as long as a request may wait, whichever is longer.
    coldStartWindowMs: t.coldStartWindowMs ?? Math.max(config.queue.maxWaitMs, 5 * 60_000),
    refusingDownMs: t.refusingDownMs,
    ...deps.health,
  };
  const retryAfterSeconds = deps.retryAfterSeconds ?? 5;
  const make = deps.createUpstream ?? httpUpstreamFromConfig;
  const configured = new Map(config.upstreams.map((u) => [u.name, u]));
  const upstreams = [...config.upstreams.map((u) => make(u, env, t)), ...(deps.upstreams ?? [])];
  const names = new Set<string>();
  for (const u of upstreams) {
    if (names.has(u.name)) throw new Error(`two upstreams are named '${u.name}'`);
    names.add(u.name);
  }
  const managed = upstreams.map(
    (u) =>
      new ManagedUpstream(u, timing, Date.now, {
        maxConcurrency: configured.get(u.name)?.maxConcurrency ?? Number.POSITIVE_INFINITY,
        maxWaiting: config.queue.maxWaiting,
        maxQueuedBytes: config.queue.maxQueuedBytes,
        retryAfterSeconds,
      }),
  );
  const metrics = createGatewayMetrics();
  const router = new Router(managed, {
    maxWaitMs: config.queue.maxWaitMs,
    refusingGraceMs: t.refusingGraceMs,
    maxRetries: config.queue.maxRetries,
    fallbackWhileWarming: config.queue.fallbackWhileWarming,
    retryInPlaceMs: deps.retryInPlaceMs ?? 2_000,
    retryAfterSeconds,
    onUpstreamError: (u, kind) => metrics.upstreamErrors.inc([u, kind]),
    onRetry: (u) => metrics.upstreamRetries.inc([u]),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const runner = new ControlRunner({ timeoutMs: config.limits.controlTimeoutMs, retryAfterSeconds });
  const created = Math.floor(Date.now() / 1000);
  const captureBytes = config.logging.bodies ? CAPTURE_BYTES : 0;
  const budget = new BodyBudget(config.limits.maxBufferedBytes);

  // Label values only from what is configured: a client's random `model` is `other`.
  const knownModels = new Set(router.models());
  const knownUpstreams = new Set(managed.map((m) => m.name));
  const modelLabel = (m: string | undefined) => (m === undefined ? "none" : knownModels.has(m) ? m : "other");
  const upstreamLabel = (u: string | undefined) =>
    u === undefined ? "none" : knownUpstreams.has(u) ? u : "other";

  let inFlight = 0;
  let draining = false;
  let idleWaiters: (() => void)[] = [];
  const piping = new Set<() => void>();
  const track = (cut: () => void) => {
    piping.add(cut);
    return () => piping.delete(cut);
  };

  metrics.registry.onCollect(() => {
    metrics.inFlight.set([], inFlight);
    metrics.bufferedBytes.set([], budget.used);
    for (const m of managed) {
      metrics.queueDepth.set([m.name], m.queue.waiting);
      metrics.queuedBytes.set([m.name], m.queue.waitingBytes);
      metrics.upstreamActive.set([m.name], m.queue.active);
      for (const s of UPSTREAM_STATES) metrics.upstreamState.set([m.name, s], m.state === s ? 1 : 0);
    }
  });

  const onEnd = (r: RequestRecord) => {
    const upstream = upstreamLabel(r.upstream);
    const model = modelLabel(r.model);
    const outcome = r.outcome ?? statusOutcome(r.status);
    metrics.requests.inc([r.route, String(r.status), outcome, upstream, model]);
    const seconds = (r.durationMs ?? 0) / 1000;
    metrics.duration.observe([r.route, outcome, upstream, model], seconds);
    if (r.upstream !== undefined && r.ttftMs !== undefined)
      metrics.ttft.observe([r.route, upstream, model], r.ttftMs / 1000);
    if (r.coldStart) {
      metrics.coldStarts.inc([upstream, model]);
      metrics.coldStartWait.observe([upstream, model], (r.queueMs ?? 0) / 1000);
    }
    log(requestLogEntry(r));
    inFlight--;
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  const app = new Hono<GatewayEnv>();

  app.onError((err, c) => {
    const rec = c.get("record");
    const extra: Record<string, string> = rec?.route.startsWith("/v1/")
      ? gatewayHeaders(rec)
      : { "x-request-id": c.get("requestId") ?? "" };
    if (err instanceof HTTPException) {
      // hono's own middlewares (bearer-auth) answer with a prepared response.
      const res = err.getResponse();
      for (const name in extra) res.headers.set(name, extra[name]!);
      if (rec) rec.outcome = statusOutcome(res.status);
      return res;
    }
    if (err instanceof GatewayError) {
      if (rec) {
        rec.error = err.code ?? err.type;
        rec.outcome ??= errorOutcome(err);
      }
      return errorResponse(err, extra);
    }
    if (rec) {
      rec.error = err instanceof Error ? err.message : String(err);
      rec.outcome = "server_error";
    }
    log({
      ts: new Date().toISOString(),
      level: "error",
      msg: "unhandled error",
      requestId: rec?.id,
      error: String(err),
    });
    return errorResponse(new GatewayError(500, "server_error", "Internal error in the rouse gateway"), extra);
  });
  app.notFound((c) =>
    errorResponse(new GatewayError(404, "not_found_error", "Unknown route", { code: "unknown_route" }), {
      "x-request-id": c.get("requestId") ?? "",
    }),
  );

  app.use(requestId({ limitLength: 128 }));
  // Counted in by the access log (ended there too, in onEnd): no middleware of its own on every request.
  app.use(
    accessLog({
      onEnd,
      onStart: () => {
        inFlight++;
      },
    }),
  );

  // --- operations -----------------------------------------------------------
  app.get("/healthz", (c) => {
    c.var.record.route = "/healthz";
    return c.json({ status: "ok" });
  });
  app.get("/readyz", (c) => {
    c.var.record.route = "/readyz";
    const ok = gateway.ready();
    return c.json(
      {
        status: ok ? "ready" : "not ready",
        draining,
        upstreams: managed.map((m) => ({ name: m.name, state: m.state })),
      },
      ok ? 200 : 503,
    );
  });
  app.get("/metrics", async (c) => {
    c.var.record.route = "/metrics";
    return c.body(await metrics.registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
  const openapi = JSON.stringify(openApiDocument());
  app.get("/openapi.json", (c) => {
    c.var.record.route = "/openapi.json";
    return c.body(openapi, 200, { "content-type": "application/json" });
  });
  app.get("/docs", (c) => {
    c.var.record.route = "/docs";
    return c.html(DOCS_HTML);
  });

  // --- auth for the gateway and the control API -------------------------------
  const auth = apiKeyAuth({
    keys: config.auth.keys,
    allowNoAuthOnLoopback: config.auth.allowNoAuthOnLoopback,
  });
  const limit = rateLimit({
    limitFor: (c) => {
      const p = (c as Context<GatewayEnv>).var.principal;
      return p.requestsPerMinute ? { key: p.name, requestsPerMinute: p.requestsPerMinute } : undefined;
    },
  });
  app.use("/v1/*", auth, limit);
  app.use("/api/v1/*", auth, limit);

  // --- gateway ------------------------------------------------------------
  app.get("/v1/models", (c) => {
    c.var.record.route = "/v1/models";
    const allowed = c.var.principal.models;
    const data = router
      .models()
      .filter((m) => !allowed || allowed.has(m))
      .map((id) => ({ id, object: "model" as const, created, owned_by: "rouse" }));
    return c.json({ object: "list", data });
  });

  const proxy = createProxy({ router, captureBytes, track });
  const body = bufferedBody({
    maxBytes: config.limits.maxBodyBytes,
    budget,
    retryAfterSeconds,
    // Every upstream's queue is full: no body could be queued anywhere, so do not read it.
    refuseEarly: (bytes) =>
      router.everyQueueFull(bytes)
        ? new GatewayError(503, "service_unavailable", "Every upstream's queue is full; retry later", {
            code: "queue_full",
            retryAfter: retryAfterSeconds,
          })
        : undefined,
  });
  const proxyRoute = (route: string) => async (c: Context<GatewayEnv>) => {
    // On Node, the request line and headers as Node parsed them (no URL or Headers built for them).
    const incoming = c.env?.incoming;
    const url = incoming?.url ?? c.req.url;
    const q = url.indexOf("?");
    const outgoing = c.env?.outgoing;
    const result = await proxy({
      record: c.var.record,
      principal: c.var.principal,
      body: c.var.body,
      route,
      search: q >= 0 ? url.slice(q) : "",
      contentType: incoming ? incoming.headers["content-type"] : c.req.header("content-type"),
      accept: incoming ? incoming.headers.accept : c.req.header("accept"),
      // On Node the response is written to the socket directly (no Web Response per chunk).
      ...(outgoing && !outgoing.headersSent ? { outgoing } : { clientSignal: c.req.raw.signal }),
    });
    return result === SENT ? RESPONSE_ALREADY_SENT : result;
  };
  for (const route of PROXY_ROUTES) {
    app.post(
      route,
      (c, next) => {
        c.var.record.route = route; // labelled as this route even when the body is refused
        return next();
      },
      body,
      proxyRoute(route),
    );
  }

  // --- control API ------------------------------------------------------------
  app.route(
    "/api/v1",
    controlRoutes({
      router,
      runner,
      maxBodyBytes: config.limits.maxControlBodyBytes,
      ...(deps.renderer ? { renderer: deps.renderer } : {}),
    }),
  );

  // --- playground: the page at / (public) and its fleet feed under /api/v1 (auth above applies) ---
  const fleet = new Fleet({ router, inFlight: () => inFlight, containers: deps.containerStats });
  app.route("/", playgroundRoutes({ fleet, draining: () => draining }));

  const gateway: Gateway = {
    app,
    config,
    router,
    metrics,
    get inFlight() {
      return inFlight;
    },
    ready: () => !draining && managed.some((m) => m.state !== "down"),
    startDraining: () => {
      draining = true;
    },
    whenIdle: () =>
      inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    cutResponses: () => {
      const cuts = [...piping];
      for (const cut of cuts) cut();
      return cuts.length;
    },
    close: async () => {
      await Promise.all([...managed.map((m) => m.close()), runner.close()]);
    },
  };
  return gateway;
}
