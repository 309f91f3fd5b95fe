import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import {
  type GatewayConfigV1,
  type GatewayConfigV1Input,
  gatewayConfigV1Schema,
  type UpstreamV1,
} from "@rouse/config";
import { type Context, Hono } from "hono";
import { codegenRenderer, type Renderer } from "./control/renderer.ts";
import { DOCS_HTML } from "./control/docs-page.ts";
import { openApiDocument } from "./control/openapi.ts";
import { controlRoutes } from "./control/routes.ts";
import { errorResponse, GatewayError } from "./errors.ts";
import { jsonLines, type LogSink, requestLogEntry } from "./log/logger.ts";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics/gateway-metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./metrics/registry.ts";
import { accessLog, RequestRecord } from "./middleware/access-log/index.ts";
import { apiKeyAuth, createKeyVerifier, type Principal, presentedKey } from "./middleware/auth/index.ts";
import { bodyLimit, readNodeBody } from "./middleware/body-limit/index.ts";
import { createTokenBuckets, rateLimit } from "./middleware/rate-limit/index.ts";
import { requestId, resolveRequestId } from "./middleware/request-id/index.ts";
import { createProxy, gatewayHeaders, SENT, writeNodeError } from "./proxy/handler.ts";
import { Router } from "./router/router.ts";
import { type ContainerStatsSource, Fleet } from "./ui/fleet.ts";
import { playgroundRoutes } from "./ui/routes.ts";
import { HttpUpstream } from "./upstream/http-upstream.ts";
import {
  defaultHealthTiming,
  type HealthTiming,
  ManagedUpstream,
  type UpstreamState,
} from "./upstream/managed.ts";
import type { Upstream } from "./upstream/types.ts";

export type GatewayEnv = {
  Bindings: Partial<HttpBindings>;
  Variables: { requestId: string; record: RequestRecord; principal: Principal; body: Buffer };
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
  ) => Upstream;
  /** Config → app.py for `POST /api/v1/render`. Default: @rouse/codegen. */
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
  readonly app: Hono<GatewayEnv>;
  /**
   * Node fast path for the proxied routes: handles the request and returns true,
   * or returns false to let the Hono app take it. `startServer` uses it.
   */
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => boolean;
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
  /** Closes the upstream pools and stops probes. */
  close(): Promise<void>;
}

const CAPTURE_BYTES = 64 * 1024;
const PROXY_ROUTES: ReadonlySet<string> = new Set([
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
]);
const UPSTREAM_STATES: readonly UpstreamState[] = ["unknown", "ready", "warming", "down"];

export function httpUpstreamFromConfig(
  u: UpstreamV1,
  env: Readonly<Record<string, string | undefined>>,
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
  const timing: HealthTiming = {
    ...defaultHealthTiming,
    // An upstream that keeps failing is "warming" for at least 5 minutes (model loads
    // take that long), or as long as a request may wait, whichever is longer.
    coldStartWindowMs: Math.max(config.queue.maxWaitMs, 5 * 60_000),
    ...deps.health,
  };
  const make = deps.createUpstream ?? httpUpstreamFromConfig;
  const upstreams = [...config.upstreams.map((u) => make(u, env)), ...(deps.upstreams ?? [])];
  const names = new Set<string>();
  for (const u of upstreams) {
    if (names.has(u.name)) throw new Error(`two upstreams are named '${u.name}'`);
    names.add(u.name);
  }
  const managed = upstreams.map((u) => new ManagedUpstream(u, timing));
  const router = new Router(managed, {
    maxWaiting: config.queue.maxWaiting,
    maxWaitMs: config.queue.maxWaitMs,
    fallbackWhileWarming: config.queue.fallbackWhileWarming,
    retryInPlaceMs: deps.retryInPlaceMs ?? 2_000,
    retryAfterSeconds: deps.retryAfterSeconds ?? 5,
    ...(deps.random ? { random: deps.random } : {}),
  });
  const renderer = deps.renderer ?? codegenRenderer();
  const metrics = createGatewayMetrics();
  const created = Math.floor(Date.now() / 1000);
  const captureBytes = config.logging.bodies ? CAPTURE_BYTES : 0;

  let inFlight = 0;
  let draining = false;
  let idleWaiters: (() => void)[] = [];

  metrics.registry.onCollect(() => {
    metrics.queueDepth.set([], router.waiting);
    metrics.inFlight.set([], inFlight);
    for (const m of managed) {
      for (const s of UPSTREAM_STATES) metrics.upstreamState.set([m.name, s], m.state === s ? 1 : 0);
    }
  });

  const onEnd = (r: RequestRecord) => {
    const upstream = r.upstream ?? "";
    const model = r.model ?? "";
    metrics.requests.inc([r.route, String(r.status), upstream, model]);
    const seconds = (r.durationMs ?? 0) / 1000;
    metrics.duration.observe([r.route, upstream, model], seconds);
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
    const extra: Record<string, string> = rec?.route.startsWith("/v1/") ? gatewayHeaders(rec) : {};
    if (err instanceof GatewayError) {
      if (rec) rec.error = err.code ?? err.type;
      return errorResponse(err, extra);
    }
    if (rec) rec.error = err instanceof Error ? err.message : String(err);
    log({
      ts: new Date().toISOString(),
      level: "error",
      msg: "unhandled error",
      requestId: rec?.id,
      error: String(err),
    });
    return errorResponse(new GatewayError(500, "server_error", "Internal error in the rouse gateway"), extra);
  });
  app.notFound(() =>
    errorResponse(new GatewayError(404, "not_found_error", "Unknown route", { code: "unknown_route" })),
  );

  app.use(async (_c, next) => {
    inFlight++;
    await next();
  });
  app.use(requestId());
  app.use(accessLog({ onEnd }));

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
  app.get("/metrics", (c) => {
    c.var.record.route = "/metrics";
    return c.body(metrics.registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
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
  const body = bodyLimit({ maxBytes: config.limits.maxBodyBytes });
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

  const proxy = createProxy(router, captureBytes);
  const proxyRoute = (route: string) => async (c: Context<GatewayEnv>) => {
    const url = c.req.url;
    const q = url.indexOf("?");
    const outgoing = c.env?.outgoing;
    const result = await proxy({
      record: c.var.record,
      principal: c.var.principal,
      body: c.var.body,
      route,
      search: q >= 0 ? url.slice(q) : "",
      contentType: c.req.header("content-type"),
      accept: c.req.header("accept"),
      ...(outgoing && !outgoing.headersSent ? { outgoing } : { clientSignal: c.req.raw.signal }),
    });
    return result === SENT ? RESPONSE_ALREADY_SENT : result;
  };

  for (const route of PROXY_ROUTES) {
    app.post(route, body, proxyRoute(route));
  }

  // --- control API ------------------------------------------------------------
  app.post("/api/v1/validate", body);
  app.post("/api/v1/render", body);
  app.route("/api/v1", controlRoutes({ router, renderer }));

  // --- playground: the page at / (public) and its fleet feed under /api/v1 (auth above applies) ---
  const fleet = new Fleet({ router, inFlight: () => inFlight, containers: deps.containerStats });
  app.route("/", playgroundRoutes({ fleet, draining: () => draining }));

  // --- Node fast path -----------------------------------------------------------
  // The proxied routes skip the Web Request/Response layer on Node: same checks and
  // the same proxy core as the Hono routes above, with the request read from and
  // the response written to the socket directly.
  const verifyKey = createKeyVerifier(config.auth);
  const takeToken = createTokenBuckets();
  const maxBodyBytes = config.limits.maxBodyBytes;
  const handleNode = async (req: IncomingMessage, res: ServerResponse, route: string, search: string) => {
    inFlight++;
    const h = req.headers;
    const rec = new RequestRecord(
      resolveRequestId(h["x-request-id"] as string | undefined),
      "POST",
      route,
      onEnd,
    );
    rec.route = route;
    try {
      const principal = verifyKey(
        presentedKey(h.authorization, h["x-api-key"] as string | undefined),
        req.socket.remoteAddress,
      );
      if (principal.requestsPerMinute) takeToken(principal.name, principal.requestsPerMinute);
      const raw = await readNodeBody(req, maxBodyBytes);
      await proxy({
        record: rec,
        principal,
        body: raw,
        route,
        search,
        contentType: h["content-type"],
        accept: h.accept,
        outgoing: res,
      });
    } catch (err) {
      const e =
        err instanceof GatewayError
          ? err
          : new GatewayError(500, "server_error", "Internal error in the rouse gateway", { cause: err });
      if (!(err instanceof GatewayError)) {
        log({
          ts: new Date().toISOString(),
          level: "error",
          msg: "unhandled error",
          requestId: rec.id,
          error: String(err),
        });
      }
      rec.error = e.code ?? e.type;
      rec.status = e.status;
      writeNodeError(res, e, gatewayHeaders(rec));
      if (!rec.deferred) rec.end();
    }
  };

  const gateway: Gateway = {
    app,
    nodeHandler: (req, res) => {
      if (req.method !== "POST") return false;
      const url = req.url ?? "";
      const q = url.indexOf("?");
      const path = q >= 0 ? url.slice(0, q) : url;
      if (!PROXY_ROUTES.has(path)) return false;
      handleNode(req, res, path, q >= 0 ? url.slice(q) : "").catch(() => {});
      return true;
    },
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
    close: async () => {
      await Promise.all(managed.map((m) => m.close()));
    },
  };
  return gateway;
}
