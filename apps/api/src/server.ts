import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { Gateway } from "./gateway.ts";
import { isLoopbackAddress } from "./middleware/auth/index.ts";

export interface StartServerOptions {
  /** Default: the config's listen.host. */
  readonly host?: string;
  /** Default: the config's listen.port (0: any free port). */
  readonly port?: number;
  /** On shutdown, how long streams in flight may take to finish before their connections are cut. Default 30 s. */
  readonly shutdownDeadlineMs?: number;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully. Default false. */
  readonly handleSignals?: boolean;
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface RunningServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Graceful: stop accepting, let requests finish up to the deadline, cut the rest, close upstream pools. */
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || (host !== "" && isLoopbackAddress(host));
}

/** Refuses configurations that would expose the gateway without auth. */
export function checkListenSafety(gateway: Gateway, host: string): void {
  const { auth } = gateway.config;
  if (auth.allowNoAuthOnLoopback && !isLoopbackHost(host)) {
    throw new Error(
      `auth.allowNoAuthOnLoopback is set but the server would listen on ${host}, which is not loopback: ` +
        "listen on 127.0.0.1 / ::1, or remove allowNoAuthOnLoopback and configure auth.keys",
    );
  }
  if (!auth.allowNoAuthOnLoopback && auth.keys.length === 0) {
    throw new Error(
      "no auth.keys are configured, so every request would be refused: add keys (sha256 of each key), " +
        "or set auth.allowNoAuthOnLoopback while listening on loopback",
    );
  }
}

/**
 * Serves a gateway on Node (@hono/node-server) with graceful shutdown.
 *
 * @example
 * const gw = createGateway(config);
 * const srv = await startServer(gw, { handleSignals: true });
 * console.log(`listening on ${srv.url}`);
 */
export async function startServer(
  gateway: Gateway,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const host = options.host ?? gateway.config.listen.host;
  const port = options.port ?? gateway.config.listen.port;
  checkListenSafety(gateway, host);
  const log = options.log ?? ((e) => process.stdout.write(`${JSON.stringify(e)}\n`));
  const deadlineMs = options.shutdownDeadlineMs ?? 30_000;

  // One request path: every request goes through the Hono app.
  const t = gateway.config.timeouts;
  const server = createServer(
    {
      // Slowloris: a client gets this long to send its headers / whole request, checked this often.
      headersTimeout: t.clientHeadersMs,
      requestTimeout: Math.max(t.clientRequestMs, t.clientHeadersMs),
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(t.clientHeadersMs / 4))),
      keepAliveTimeout: t.clientKeepAliveMs,
    },
    getRequestListener(gateway.app.fetch, { hostname: host }),
  );
  // More connections than this are closed at accept.
  server.maxConnections = gateway.config.limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const started = Date.now();
      gateway.startDraining();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), deadlineMs);
      });
      const outcome = await Promise.race([gateway.whenIdle().then(() => "idle" as const), deadline]);
      clearTimeout(timer);
      if (outcome === "deadline") {
        log({
          ts: new Date().toISOString(),
          level: "warn",
          msg: "shutdown deadline: cutting requests in flight",
          inFlight: gateway.inFlight,
        });
        // Streams end with an SSE error event (clients see why), then sockets are closed.
        if (gateway.cutResponses() > 0) await new Promise((r) => setImmediate(r));
      }
      server.closeAllConnections();
      await closed;
      await gateway.close();
      log({ ts: new Date().toISOString(), level: "info", msg: "stopped", afterMs: Date.now() - started });
    })());

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      log({
        ts: new Date().toISOString(),
        level: "info",
        msg: "shutting down",
        signal,
        inFlight: gateway.inFlight,
      });
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }

  log({
    ts: new Date().toISOString(),
    level: "info",
    msg: "listening",
    url,
    upstreams: gateway.router.upstreams.length,
  });
  return { server, host, port: address.port, url, close };
}
