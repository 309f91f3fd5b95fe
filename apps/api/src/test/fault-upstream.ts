// A fault-injecting OpenAI-compatible upstream for the gateway's failure-mode
// tests (a test double, not an engine): each request is answered by a
// replaceable `behave` function (answer, 503, hang, die), `/health` by `health`,
// and the listener can be stopped and restarted on the same port to play an
// upstream that was up and now refuses connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Behaviour = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface FaultUpstream {
  readonly url: string;
  readonly port: number;
  /** Answers `/v1/*` requests. Default: a small chat completion. */
  behave: Behaviour;
  /** Status of `GET /health`. Default 200. */
  health: number;
  /** Request bodies seen on `/v1/*`, in order. */
  readonly bodies: string[];
  /** Responses held open by `hang` (released by `releaseAll`). */
  readonly held: ServerResponse[];
  /** Stop listening and drop every connection: connections are refused from now on. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  releaseAll(): void;
  close(): Promise<void>;
}

export function chatJson(content = "ok"): string {
  return JSON.stringify({
    id: "chatcmpl-fault",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

export const answer: Behaviour = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(chatJson());
};

export const unavailable: Behaviour = (_req, res) => {
  res.writeHead(503, { "content-type": "application/json" });
  res.end(
    JSON.stringify({ error: { message: "overloaded", type: "server_error", code: null, param: null } }),
  );
};

/** Streams `n` SSE chunks, one every `everyMs`. */
export function streamChunks(n: number, everyMs: number): Behaviour {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i === n) {
        res.end("data: [DONE]\n\n");
        return;
      }
      const chunk = {
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta: { content: `t${i}` }, finish_reason: null, logprobs: null }],
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      i++;
      setTimeout(tick, everyMs);
    };
    tick();
  };
}

export async function startFaultUpstream(behave: Behaviour = answer): Promise<FaultUpstream> {
  const sockets = new Set<Socket>();
  const bodies: string[] = [];
  const held: ServerResponse[] = [];
  let port = 0;
  let server: Server;
  const self: FaultUpstream = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    behave,
    health: 200,
    bodies,
    held,
    stop: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    start: () => listen(),
    releaseAll: () => {
      for (const res of held.splice(0)) answer({} as IncomingMessage, res, "");
    },
    close: async () => {
      if (server.listening) await self.stop();
    },
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        if (req.url?.endsWith("/health")) {
          res.writeHead(self.health).end();
          return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          bodies.push(body);
          self.behave(req, res, body);
        });
      });
      server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return self;
}

/** Holds the response open until `releaseAll` (a slow but live upstream). */
export function hang(up: FaultUpstream): Behaviour {
  return (_req, res) => {
    up.held.push(res);
  };
}
