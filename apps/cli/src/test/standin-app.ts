// A local STAND-IN for a deployed rouse app on Modal, for tests: an HTTP server in front
// of the stand-in engine (a real process) that behaves like the generated app's guard
// (x-rouse-boot header, GET /rouse/boot with the boot report's shape from
// @rouse/codegen templates/boot.py) and, with a FAKE_MODAL_STATE file shared with the
// recorded-transcript `modal` stand-in, like Modal's scale-to-zero: when the app has no
// container listed, the next request "boots" one (waits bootMs, adds a container to the
// state file, writes a fresh boot report), restored from a snapshot or not as `plan` says.
// It also records every request body it forwards. Not an OpenAI fake: it proxies to the
// stand-in engine and plays the Modal side (guard headers, boot report, scale to zero).

import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandinApp {
  readonly url: string;
  /** JSON bodies of the POSTs forwarded, in order. */
  readonly bodies: unknown[];
  /** Boots so far. */
  boots(): number;
  close(): Promise<void>;
}

interface ModalState {
  apps: Array<{ app_id: string; description: string; state: string }>;
  containers: Array<{ container_id: string; app_id: string; app_name: string; start_time: string }>;
}

export interface StandinAppOptions {
  readonly engineUrl: string;
  /** With a state file: scale-to-zero as the fake modal records it. Without: always one warm container. */
  readonly statePath?: string;
  readonly app?: string;
  readonly bootMs?: number;
  /** Boot n (1-based) restores from a snapshot? Default: all but the first. */
  readonly plan?: (boot: number) => boolean;
  /** Drop `stream_options` from requests, so the engine reports no usage (a server that never does). */
  readonly stripUsage?: boolean;
}

const readState = (path: string): ModalState => JSON.parse(readFileSync(path, "utf8")) as ModalState;
function writeState(path: string, state: ModalState): void {
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, path);
}

export async function startStandinApp(options: StandinAppOptions): Promise<StandinApp> {
  const app = options.app ?? "rouse-qwen3-8b";
  const bootMs = options.bootMs ?? 300;
  const plan = options.plan ?? ((n: number) => n > 1);
  const bodies: unknown[] = [];
  let boots = 0;
  let boot: { app: string; restored: boolean; phases: Record<string, number> } = {
    app,
    restored: false,
    phases: {
      process_start: Date.now() / 1000 - 60,
      engine_ready: Date.now() / 1000 - 30,
      guard_ready: Date.now() / 1000 - 29,
    },
  };
  let booting: Promise<void> | undefined;

  const ensureContainer = async () => {
    if (!options.statePath) return;
    const state = readState(options.statePath);
    const deployed = state.apps.find((a) => a.description === app && a.state === "deployed");
    if (!deployed) throw new Error(`stand-in app: ${app} is not deployed in the fake modal state`);
    if (state.containers.some((c) => c.app_id === deployed.app_id)) return;
    booting ??= (async () => {
      boots++;
      const restored = plan(boots);
      const start = Date.now() / 1000;
      await new Promise((r) => setTimeout(r, bootMs));
      const end = Date.now() / 1000;
      const span = end - start;
      // The phases a rouse app reports (emit/service.ts MARK): a restored container keeps the
      // snapshotted boot's phases (long ago) and adds restore → wake_done → guard_ready.
      boot = restored
        ? {
            app,
            restored: true,
            phases: {
              process_start: start - 3600,
              engine_spawn: start - 3599.9,
              engine_ready: start - 3570,
              warmup_done: start - 3565,
              sleep_done: start - 3564,
              restore: start,
              wake_done: start + span * 0.7,
              guard_ready: end,
            },
          }
        : {
            app,
            restored: false,
            phases: {
              process_start: start,
              engine_spawn: start + span * 0.05,
              engine_ready: start + span * 0.6,
              warmup_done: start + span * 0.75,
              sleep_done: start + span * 0.8,
              restore: start + span * 0.85,
              wake_done: start + span * 0.95,
              guard_ready: end,
            },
          };
      const now = readState(options.statePath!);
      now.containers.push({
        container_id: `ta-standin-${String(boots).padStart(3, "0")}`,
        app_id: deployed.app_id,
        app_name: app,
        start_time: new Date().toISOString(),
      });
      writeState(options.statePath!, now);
    })().finally(() => {
      booting = undefined;
    });
    await booting;
  };

  const header = () => ({ "x-rouse-boot": boot.restored ? "restored" : "cold" });
  // As the in-process guard: the engine's responses carry the boot header only when asked.
  const headerIfAsked = (req: IncomingMessage) => (req.headers["x-rouse-boot"] === undefined ? {} : header());

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      await ensureContainer();
      if (req.method === "GET" && req.url === "/rouse/boot") {
        res.writeHead(200, { "content-type": "application/json", ...header() });
        res.end(JSON.stringify(boot));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let body = Buffer.concat(chunks);
      if (req.method === "POST" && body.length) {
        try {
          const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
          bodies.push(parsed);
          if (options.stripUsage) {
            delete parsed.stream_options;
            body = Buffer.from(JSON.stringify(parsed));
          }
        } catch {
          bodies.push(body.toString("utf8"));
        }
      }
      const target = new URL(req.url ?? "/", options.engineUrl);
      const upstream = httpRequest(
        target,
        {
          method: req.method,
          headers: { ...req.headers, host: target.host, "content-length": String(body.length) },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...headerIfAsked(req) });
          answer.pipe(res);
        },
      );
      upstream.on("error", (error) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `the engine is not answering: ${error.message}` } }));
      });
      res.on("close", () => upstream.destroy());
      upstream.end(body);
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    boots: () => boots,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
