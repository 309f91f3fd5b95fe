import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { GatewayEnv } from "../gateway.ts";
import type { Fleet } from "./fleet.ts";
import { PLAYGROUND_CSS, PLAYGROUND_HTML } from "./page.ts";
import { playgroundScript } from "./script.ts";

export interface PlaygroundOptions {
  readonly fleet: Fleet;
  /** True once the gateway drains: open fleet feeds end so shutdown need not wait for them. */
  readonly draining: () => boolean;
  /** How often the fleet feed checks for changes. Default 250 ms. */
  readonly tickMs?: number;
  /** A feed sends an unchanged snapshot at least this often (keeps proxies from closing it). Default 15 s. */
  readonly heartbeatMs?: number;
}

// The page's own script and styles only; the gateway's data is fetched by the page
// with the user's key. The CSP is the second line of defence against model output
// becoming markup: no inline script, nothing from another origin.
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/**
 * The playground at `/` (chat + fleet, public static text) and its fleet feed at
 * `/api/v1/fleet` (JSON) and `/api/v1/fleet/stream` (SSE). Mount it after the
 * `/api/v1/*` auth and rate-limit middleware: the feed is data and needs a key.
 */
export function playgroundRoutes(options: PlaygroundOptions): Hono<GatewayEnv> {
  const { fleet } = options;
  const tickMs = options.tickMs ?? 250;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const script = playgroundScript();
  const app = new Hono<GatewayEnv>();

  app.get("/", (c) => {
    c.var.record.route = "/";
    return c.body(PLAYGROUND_HTML, 200, { ...PAGE_HEADERS, "content-type": "text/html; charset=utf-8" });
  });
  app.get("/ui/playground.js", (c) => {
    c.var.record.route = "/ui/playground.js";
    return c.body(script, 200, { ...PAGE_HEADERS, "content-type": "text/javascript; charset=utf-8" });
  });
  app.get("/ui/playground.css", (c) => {
    c.var.record.route = "/ui/playground.css";
    return c.body(PLAYGROUND_CSS, 200, { ...PAGE_HEADERS, "content-type": "text/css; charset=utf-8" });
  });

  app.get("/api/v1/fleet", async (c) => {
    c.var.record.route = "/api/v1/fleet";
    fleet.ownRequests++;
    try {
      await fleet.refreshContainers();
      return c.json(fleet.snapshot(c.var.principal.models));
    } finally {
      fleet.ownRequests--;
    }
  });

  app.get("/api/v1/fleet/stream", (c) => {
    const record = c.var.record;
    record.route = "/api/v1/fleet/stream";
    // A feed is a request in flight until it ends (logged then, with its length); it
    // ends within a tick once the gateway drains, so shutdown does not wait on it.
    record.deferred = true;
    record.status = 200;
    record.stream = true;
    fleet.ownRequests++;
    return streamSSE(c, async (stream) => {
      try {
        let last = "";
        let sentAt = 0;
        while (!stream.aborted && !stream.closed && !options.draining()) {
          void fleet.refreshContainers();
          const snap = fleet.snapshot(c.var.principal.models);
          const state = JSON.stringify([snap.gateway, snap.upstreams]);
          if (state !== last || Date.now() - sentAt >= heartbeatMs) {
            await stream.writeSSE({ data: JSON.stringify(snap) });
            last = state;
            sentAt = Date.now();
          }
          await stream.sleep(tickMs);
        }
      } finally {
        fleet.ownRequests--;
        await stream.close().catch(() => {});
        record.end();
      }
    });
  });

  return app;
}
