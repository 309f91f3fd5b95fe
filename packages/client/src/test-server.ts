/**
 * THE fake OpenAI-compatible upstream of this repository: a real local HTTP
 * server for tests of this client, the gateway (apps/api) and anything built
 * on them (a test double, not an engine; the stand-in ENGINE with vLLM's and
 * SGLang's lifecycle routes is tools/engine-standin). It answers like vLLM
 * (same JSON shapes, SSE framing, error bodies) and can be told to misbehave
 * the way cold-starting deployments do: 503 while loading, refused connections
 * while booting, Modal's 303 result-URL chains, reset connections, hangs
 * (held until released), stalls, slow bodies and errors or death mid-stream;
 * or hand each request to a raw handler (`behave`: `answer`, `unavailable`,
 * `hang`, `streamChunks`, `replay`).
 *
 * @example
 * const engine = await startFakeEngine({ chunkDelayMs: 5 });
 * engine.enqueue({ kind: "status", status: 503 }, { kind: "reset" });
 * const client = createClient({ baseURL: engine.baseURL });
 * // … 2 retries later, a normal answer …
 * await engine.close();
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parseArgs } from "node:util";
import { encodeSseEvent } from "./sse-encode.ts";

export type FakeBehaviour =
  /** Answer with this status and body (JSON unless a string). */
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Answer 503 with vLLM-ish "model is loading" body. */
  | { kind: "loading"; retryAfter?: string }
  /** Destroy the socket before sending a byte. */
  | { kind: "reset" }
  /** Read the request and never answer. */
  | { kind: "hang" }
  /** Wait, then answer normally. */
  | { kind: "delay"; ms: number }
  /** Send the headers of a stream, then nothing. */
  | { kind: "headersThenStall" }
  /** Modal: 303 to a result URL, which answers 303 again `hops - 1` times before the real answer. */
  | { kind: "modalRedirect"; hops?: number }
  /** A plain redirect to `location`. */
  | { kind: "redirect"; status?: 301 | 302 | 303 | 307 | 308; location: string }
  /** Stream `afterChunks` chunks, then an error (`data: {"error":…}` or `event: error`) and end. */
  | { kind: "streamError"; afterChunks: number; style?: "data" | "event"; message?: string }
  /** Stream `afterChunks` chunks, then destroy the socket. */
  | { kind: "resetMidStream"; afterChunks: number }
  /** Stream `afterChunks` chunks, then go silent with the connection open. */
  | { kind: "stallMidStream"; afterChunks: number };

export type ScriptedBehaviour = FakeBehaviour & {
  /** Only requests whose path starts with this take the behaviour (default: any). */
  path?: string;
};

export interface FakeEngineOptions {
  port?: number;
  host?: string;
  /** The served model id. Default `"fake/qwen3-0.6b"`. */
  model?: string;
  /** The answer text, streamed a word at a time. */
  reply?: string;
  /** Reasoning streamed before the answer (as `reasoningField`). Off by default. */
  reasoning?: string;
  reasoningField?: "reasoning_content" | "reasoning";
  /** Pause between streamed chunks. Default 0. */
  chunkDelayMs?: number;
  /** The first N requests (health included) answer 503 "loading". */
  loadingRequests?: number;
  /** Require `Authorization: Bearer <apiKey>`, as `vllm serve --api-key` does. */
  apiKey?: string;
  /** Require Modal proxy-auth headers. */
  modalProxyAuth?: { key: string; secret: string };
  /**
   * Answer with this many filler tokens ("The quick brown fox …", cut by `max_tokens`) and
   * finish_reason "length", instead of `reply`: a load target with a known token count.
   */
  tokens?: number;
  /** Every request (health included) answers 503 "loading" for this long after start. */
  loadingForMs?: number;
  /** Nothing listens (connections are refused) for this long after start: an engine still booting. */
  refuseForMs?: number;
  /** Every stream: the socket is destroyed after this many answer tokens (an engine that dies mid-stream). */
  dieAfterTokens?: number;
  /** Answer every request but `GET /health` with this raw handler instead of the built-in routes. */
  behave?: RawBehaviour;
}

/** A raw handler for the requests the fake does not answer itself (`body`: the request body, read). */
export type RawBehaviour = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** Counters over what the fake served (the gateway's tests check credentials swaps and aborts with them). */
export interface FakeEngineStats {
  /** Every request, health probes included. */
  readonly requests: number;
  /** Generations (chat, completions, embeddings) answered to the end. */
  readonly completed: number;
  /** Responses whose connection closed before they ended (the client hung up, or a fault cut it). */
  readonly aborted: number;
  /** `authorization` header of each request but health probes ("" when absent). */
  readonly authorizations: string[];
  /** `x-request-id` header of each request but health probes ("" when absent). */
  readonly requestIds: string[];
}

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body was JSON, else the text. */
  body: unknown;
  /** The client's port: requests that share it came over the same (keep-alive) connection. */
  remotePort: number | undefined;
  /** Resolves when the request's socket closes. */
  socketClosed: Promise<void>;
  /** Whether the response was still unfinished when the connection closed (the client hung up). */
  readonly closedEarly: boolean;
}

export interface FakeEngine {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `${url}/v1` */
  readonly baseURL: string;
  readonly port: number;
  readonly model: string;
  readonly requests: RecordedRequest[];
  /** Script the next matching requests, in order. */
  enqueue(...behaviours: ScriptedBehaviour[]): void;
  /** While not ready, every request answers 503 "loading". */
  setReady(ready: boolean): void;
  setChunkDelay(ms: number): void;
  /** When set, answers every request but `GET /health` (after scripted behaviours, auth and loading). */
  behave: RawBehaviour | undefined;
  /** Status of `GET /health` once ready. Default 200. */
  health: number;
  /** Bodies of the requests but health probes, as text, in order. */
  readonly bodies: string[];
  /** Responses held open by `hang` (scripted or raw), until `releaseAll`. */
  readonly held: ServerResponse[];
  /** Answers every held response (a chat completion). */
  releaseAll(): void;
  readonly stats: FakeEngineStats;
  /** Resolves at the next response cut before its end. */
  nextAbort(): Promise<void>;
  /** Stop listening and drop every connection: connections are refused from now on. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const CREATED = 1_732_000_000;
const DEFAULT_REPLY = "Hello! 👋 Rouse is warm: 你好，世界。 Ready when you are.";
const TOOL_ARGUMENT_PIECES = ['{"location": ', '"Paris", ', '"unit": "celsius"}'];
const FILLER = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."];

export async function startFakeEngine(options: FakeEngineOptions = {}): Promise<FakeEngine> {
  const model = options.model ?? "fake/qwen3-0.6b";
  const reply = options.reply ?? DEFAULT_REPLY;
  const reasoningField = options.reasoningField ?? "reasoning_content";
  let chunkDelayMs = options.chunkDelayMs ?? 0;
  let loadingLeft = options.loadingRequests ?? 0;
  let ready = true;
  const started = Date.now();
  const loadingForMs = options.loadingForMs ?? 0;
  const bodies: string[] = [];
  const held: ServerResponse[] = [];
  const counts = { completed: 0, aborted: 0 };
  let abortWaiters: Array<() => void> = [];
  const script: ScriptedBehaviour[] = [];
  const requests: RecordedRequest[] = [];
  const calls = new Map<string, { path: string; method: string; body: unknown; hopsLeft: number }>();
  let nextCall = 1;
  let origin = "";
  const socketCloses = new WeakMap<Socket, Promise<void>>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: String(error), type: "InternalServerError", code: 500 } }),
        );
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    let body: unknown = text;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const socket = req.socket;
    // One promise per socket: keep-alive sockets serve many requests.
    let socketClosed = socketCloses.get(socket);
    if (socketClosed === undefined) {
      socketClosed = new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        else socket.once("close", () => resolve());
      });
      socketCloses.set(socket, socketClosed);
    }
    let closedEarly = false;
    res.once("close", () => {
      if (res.writableFinished) return;
      closedEarly = true;
      counts.aborted += 1;
      for (const resolve of abortWaiters.splice(0)) resolve();
    });
    requests.push({
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      body,
      remotePort: socket.remotePort,
      socketClosed,
      get closedEarly() {
        return closedEarly;
      },
    });

    const url = new URL(req.url ?? "/", origin);
    const isHealth = req.method === "GET" && url.pathname === "/health";
    if (!isHealth) bodies.push(text);
    const index = script.findIndex((b) => b.path === undefined || url.pathname.startsWith(b.path));
    const behaviour = index === -1 ? undefined : script.splice(index, 1)[0];

    if (behaviour !== undefined) {
      switch (behaviour.kind) {
        case "status":
          return sendJson(
            res,
            behaviour.status,
            behaviour.body ?? { error: errorObject(behaviour.status) },
            behaviour.headers,
          );
        case "loading":
          return sendLoading(res, behaviour.retryAfter);
        case "reset":
          socket.destroy();
          return;
        case "hang":
          held.push(res);
          return;
        case "headersThenStall":
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          res.flushHeaders();
          return;
        case "delay":
          await sleep(behaviour.ms);
          break;
        case "redirect":
          res.writeHead(behaviour.status ?? 303, { location: behaviour.location });
          res.end();
          return;
        case "modalRedirect": {
          const id = `fc-${String(nextCall++).padStart(6, "0")}`;
          calls.set(id, {
            path: url.pathname,
            method: req.method ?? "GET",
            body,
            hopsLeft: (behaviour.hops ?? 1) - 1,
          });
          res.writeHead(303, { location: `${origin}${url.pathname}?__modal_function_call_id=${id}` });
          res.end();
          return;
        }
        default:
          break;
      }
    }

    // Auth comes first, as in front of a real engine.
    if (options.modalProxyAuth) {
      const { key, secret } = options.modalProxyAuth;
      if (req.headers["modal-key"] !== key || req.headers["modal-secret"] !== secret) {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("modal-http: missing credentials for proxy authorization");
        return;
      }
    }
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(res, 401, { error: "Unauthorized" });
    }
    if (!ready || loadingLeft > 0 || Date.now() - started < loadingForMs) {
      loadingLeft = Math.max(0, loadingLeft - 1);
      return sendLoading(res);
    }
    if (engine.behave !== undefined && !isHealth) return engine.behave(req, res, text);

    // Modal result URL: blocks, redirects again, or answers the original request.
    const callId = url.searchParams.get("__modal_function_call_id");
    if (callId !== null && req.method === "GET") {
      const call = calls.get(callId);
      if (call === undefined) return sendJson(res, 404, { error: errorObject(404, "unknown function call") });
      if (call.hopsLeft > 0) {
        call.hopsLeft -= 1;
        res.writeHead(303, { location: `${origin}${call.path}?__modal_function_call_id=${callId}` });
        res.end();
        return;
      }
      res.setHeader("modal-function-call-id", callId);
      return route(call.path, call.method, call.body, res, streamFault(behaviour));
    }
    return route(url.pathname, req.method ?? "GET", body, res, streamFault(behaviour));
  }

  async function route(
    path: string,
    method: string,
    body: unknown,
    res: ServerResponse,
    fault: StreamFault | undefined,
  ): Promise<void> {
    if (path === "/health" && method === "GET") {
      res.writeHead(engine.health, { "content-length": "0" });
      res.end();
      return;
    }
    if (path === "/v1/models" && method === "GET") {
      return sendJson(res, 200, {
        object: "list",
        data: [
          {
            id: model,
            object: "model",
            created: CREATED,
            owned_by: "vllm",
            root: model,
            parent: null,
            max_model_len: 4096,
          },
        ],
      });
    }
    if (method !== "POST" || !["/v1/chat/completions", "/v1/completions", "/v1/embeddings"].includes(path)) {
      return sendJson(res, 404, { detail: "Not Found" });
    }
    if (typeof body !== "object" || body === null) {
      return sendJson(res, 400, { error: errorObject(400, "The request body is not valid JSON.") });
    }
    const request = body as Record<string, unknown>;
    if (request.model !== model) {
      return sendJson(res, 404, {
        error: {
          ...errorObject(404, `The model \`${String(request.model)}\` does not exist.`),
          param: "model",
        },
      });
    }
    res.setHeader("x-request-id", `req-${hash(JSON.stringify(request))}`);
    if (path === "/v1/embeddings") {
      sendJson(res, 200, embeddings(request));
      counts.completed += 1;
      return;
    }
    if (path === "/v1/chat/completions" && !Array.isArray(request.messages)) {
      return sendJson(res, 400, { error: errorObject(400, "Field required: messages") });
    }
    if (path === "/v1/completions" && request.prompt === undefined) {
      return sendJson(res, 400, { error: errorObject(400, "Field required: prompt") });
    }
    const chat = path === "/v1/chat/completions";
    const plan = planAnswer(request, chat);
    const dies =
      options.dieAfterTokens === undefined
        ? undefined
        : ({
            kind: "resetMidStream",
            // The chunks before the answer's: the role chunk (chat) and the reasoning.
            afterChunks: (chat ? 1 : 0) + plan.reasoning.length + options.dieAfterTokens,
          } as const);
    if (request.stream === true) return streamAnswer(res, request, plan, chat, fault ?? dies);
    // A whole answer takes as long as its stream would.
    if (chunkDelayMs > 0) await sleep(chunkDelayMs * (plan.reasoning.length + plan.content.length));
    if (res.destroyed) return;
    sendJson(res, 200, chat ? chatCompletion(request, plan) : textCompletion(request, plan));
    counts.completed += 1;
  }

  interface Plan {
    id: string;
    reasoning: string[];
    content: string[];
    tool: { name: string; id: string } | undefined;
    finish: string;
    usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  }

  function planAnswer(request: Record<string, unknown>, chat: boolean): Plan {
    const id = `${chat ? "chatcmpl" : "cmpl"}-${hash(JSON.stringify(request))}`;
    const tools = Array.isArray(request.tools)
      ? (request.tools as Array<{ function?: { name?: string } }>)
      : [];
    const toolName = tools[0]?.function?.name;
    const tool =
      chat && toolName !== undefined && request.tool_choice !== "none"
        ? { name: toolName, id: `chatcmpl-tool-${hash(id).slice(0, 12)}` }
        : undefined;
    const format = (request.response_format as { type?: string } | undefined)?.type;
    const text =
      format === "json_object" || format === "json_schema" ? JSON.stringify({ answer: reply }) : reply;
    const filler =
      options.tokens === undefined
        ? undefined
        : Array.from({ length: options.tokens }, (_, i) => FILLER[i % FILLER.length]!);
    let content = tool ? [] : (filler ?? words(text));
    let finish = tool ? "tool_calls" : filler ? "length" : "stop";
    const thinkingOff =
      (request.chat_template_kwargs as { enable_thinking?: boolean } | undefined)?.enable_thinking === false;
    const reasoning = chat && options.reasoning && !thinkingOff ? words(options.reasoning) : [];
    const limit = typeof request.max_tokens === "number" ? request.max_tokens : undefined;
    if (limit !== undefined && content.length > limit) {
      content = content.slice(0, limit);
      finish = "length";
    }
    const prompt = JSON.stringify(request.messages ?? request.prompt ?? "");
    const promptTokens = prompt.split(/\s+/).length + 4;
    const completionTokens = reasoning.length + content.length + (tool ? TOOL_ARGUMENT_PIECES.length + 1 : 0);
    return {
      id,
      reasoning,
      content,
      tool,
      finish,
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    };
  }

  function chatCompletion(request: Record<string, unknown>, plan: Plan): unknown {
    return {
      id: plan.id,
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: plan.tool ? null : plan.content.join(""),
            ...(plan.reasoning.length > 0 ? { [reasoningField]: plan.reasoning.join("") } : {}),
            tool_calls: plan.tool
              ? [
                  {
                    id: plan.tool.id,
                    type: "function",
                    function: { name: plan.tool.name, arguments: TOOL_ARGUMENT_PIECES.join("") },
                  },
                ]
              : [],
          },
          logprobs: null,
          finish_reason: plan.finish,
          stop_reason: null,
        },
      ],
      usage: plan.usage,
      ...(request.seed === undefined ? {} : { system_fingerprint: null }),
    };
  }

  function textCompletion(_request: Record<string, unknown>, plan: Plan): unknown {
    return {
      id: plan.id,
      object: "text_completion",
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          text: plan.content.join(""),
          logprobs: null,
          finish_reason: plan.finish,
          stop_reason: null,
        },
      ],
      usage: plan.usage,
    };
  }

  function embeddings(request: Record<string, unknown>): unknown {
    const inputs = Array.isArray(request.input) ? request.input : [request.input];
    const base64 = request.encoding_format === "base64";
    const data = inputs.map((input, index) => {
      const text = String(input);
      // Multiples of 1/8 are exact in float32, so base64 and float answers agree.
      const vector = Array.from(
        { length: 8 },
        (_, i) => ((text.charCodeAt(i % Math.max(1, text.length)) || 0) % 16) / 8,
      );
      return {
        object: "embedding",
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
      };
    });
    const tokens = inputs.map((i) => String(i).split(/\s+/).length).reduce((a, b) => a + b, 0);
    return { object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  async function streamAnswer(
    res: ServerResponse,
    request: Record<string, unknown>,
    plan: Plan,
    chat: boolean,
    fault: StreamFault | undefined,
  ): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.flushHeaders();
    const base = chat
      ? { id: plan.id, object: "chat.completion.chunk", created: CREATED, model }
      : { id: plan.id, object: "text_completion", created: CREATED, model };
    const chunks: unknown[] = [];
    const choice = (delta: Record<string, unknown>, finish: string | null = null) =>
      chat
        ? {
            ...base,
            choices: [
              {
                index: 0,
                delta,
                logprobs: null,
                finish_reason: finish,
                ...(finish ? { stop_reason: null } : {}),
              },
            ],
          }
        : {
            ...base,
            choices: [
              {
                index: 0,
                text: (delta.content as string | undefined) ?? "",
                logprobs: null,
                finish_reason: finish,
                ...(finish ? { stop_reason: null } : {}),
              },
            ],
          };
    if (chat) chunks.push(choice({ role: "assistant", content: "" }));
    for (const piece of plan.reasoning) chunks.push(choice({ [reasoningField]: piece }));
    if (plan.tool) {
      chunks.push(
        choice({
          tool_calls: [
            {
              id: plan.tool.id,
              type: "function",
              index: 0,
              function: { name: plan.tool.name, arguments: "" },
            },
          ],
        }),
      );
      for (const piece of TOOL_ARGUMENT_PIECES)
        chunks.push(choice({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    }
    for (const piece of plan.content) chunks.push(choice({ content: piece }));
    chunks.push(choice(chat ? { content: "" } : {}, plan.finish));
    if ((request.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      chunks.push({ ...base, choices: [], usage: plan.usage });
    }

    let sent = 0;
    for (const chunk of chunks) {
      // Wait first: a fault must not cut off the chunk written just before it (writes flush a tick later).
      await sleep(chunkDelayMs);
      if (fault !== undefined && sent === fault.afterChunks) return applyFault(res, fault);
      if (res.destroyed) return;
      res.write(encodeSseEvent({ data: JSON.stringify(chunk) }));
      sent += 1;
    }
    if (fault !== undefined) {
      await sleep(chunkDelayMs);
      return applyFault(res, fault);
    }
    res.end(encodeSseEvent({ data: "[DONE]" }));
    counts.completed += 1;
  }

  const host = options.host ?? "127.0.0.1";
  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(on, host, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  let port = await listen(options.port ?? 0);
  let booting: NodeJS.Timeout | undefined;
  if (options.refuseForMs) {
    // Keep the port, let go of it, and listen again later: until then connections are refused.
    await stop();
    booting = setTimeout(() => {
      booting = undefined;
      listen(port).catch(() => {});
    }, options.refuseForMs);
  }
  origin = `http://${host}:${port}`;

  const engine: FakeEngine = {
    url: origin,
    baseURL: `${origin}/v1`,
    port,
    model,
    requests,
    enqueue: (...behaviours) => {
      script.push(...behaviours);
    },
    setReady: (value) => {
      ready = value;
    },
    setChunkDelay: (ms) => {
      chunkDelayMs = ms;
    },
    behave: options.behave,
    health: 200,
    bodies,
    held,
    releaseAll: () => {
      for (const res of held.splice(0)) answer({} as IncomingMessage, res, "");
    },
    get stats() {
      const probes = requests.filter((r) => !(r.method === "GET" && r.url === "/health"));
      return {
        requests: requests.length,
        completed: counts.completed,
        aborted: counts.aborted,
        authorizations: probes.map((r) => r.headers.authorization ?? ""),
        requestIds: probes.map((r) => String(r.headers["x-request-id"] ?? "")),
      };
    },
    nextAbort: () => new Promise<void>((resolve) => abortWaiters.push(resolve)),
    stop,
    start: async () => {
      port = await listen(port);
    },
    close: () => {
      clearTimeout(booting);
      abortWaiters = [];
      return stop();
    },
  };
  return engine;
}

// ---- raw behaviours (`behave`) ----------------------------------------------------

/** A small chat completion, as a JSON text. */
export function chatJson(content = "ok"): string {
  return JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: CREATED,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

/** Answers with `chatJson()`. */
export const answer: RawBehaviour = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(chatJson());
};

/** Answers 503 (an overloaded upstream, not a loading one). */
export const unavailable: RawBehaviour = (_req, res) => {
  res.writeHead(503, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message: "overloaded", type: "server_error", code: null, param: null } }));
};

/** Holds the response open until `engine.releaseAll()` (a slow but live upstream). */
export function hang(engine: Pick<FakeEngine, "held">): RawBehaviour {
  return (_req, res) => {
    engine.held.push(res);
  };
}

/** Streams `n` chat chunks, one every `everyMs` (a slow body), then `[DONE]`. */
export function streamChunks(n: number, everyMs: number): RawBehaviour {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i === n) {
        res.end(encodeSseEvent({ data: "[DONE]" }));
        return;
      }
      const chunk = {
        id: "chatcmpl-fake",
        object: "chat.completion.chunk",
        created: CREATED,
        model: "m",
        choices: [{ index: 0, delta: { content: `t${i}` }, finish_reason: null, logprobs: null }],
      };
      res.write(encodeSseEvent({ data: JSON.stringify(chunk) }));
      i++;
      setTimeout(tick, everyMs);
    };
    tick();
  };
}

/**
 * Answers `body` (e.g. a recorded real stream) as an event stream, written in pieces of the
 * given sizes (cycled) with a pause between writes, so chunk boundaries land mid-line and
 * mid-character on the client's side.
 */
export function replay(body: Uint8Array, pieceSizes: readonly number[]): RawBehaviour {
  return (_req, res) => {
    void (async () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let offset = 0;
      for (let i = 0; offset < body.length && !res.destroyed; i++) {
        const size = pieceSizes[i % pieceSizes.length]!;
        res.write(body.subarray(offset, offset + size));
        offset += size;
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    })();
  };
}

type StreamFault = Extract<FakeBehaviour, { kind: "streamError" | "resetMidStream" | "stallMidStream" }>;

function streamFault(behaviour: FakeBehaviour | undefined): StreamFault | undefined {
  if (behaviour === undefined) return undefined;
  if (
    behaviour.kind === "streamError" ||
    behaviour.kind === "resetMidStream" ||
    behaviour.kind === "stallMidStream"
  ) {
    return behaviour;
  }
  return undefined;
}

function applyFault(res: ServerResponse, fault: StreamFault): void {
  switch (fault.kind) {
    case "streamError": {
      const error = {
        ...errorObject(500, fault.message ?? "CUDA out of memory while decoding"),
        type: "InternalServerError",
      };
      if (fault.style === "event") res.end(encodeSseEvent({ event: "error", data: JSON.stringify(error) }));
      else res.end(encodeSseEvent({ data: JSON.stringify({ error }) }));
      return;
    }
    case "resetMidStream":
      res.socket?.destroy();
      return;
    case "stallMidStream":
      return;
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain" : "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function sendLoading(res: ServerResponse, retryAfter?: string): void {
  sendJson(
    res,
    503,
    {
      error: {
        ...errorObject(503, "Model is loading, please retry shortly"),
        type: "ServiceUnavailableError",
      },
    },
    retryAfter === undefined ? {} : { "retry-after": retryAfter },
  );
}

const ERROR_TYPES: Record<number, string> = {
  400: "BadRequestError",
  401: "AuthenticationError",
  404: "NotFoundError",
  500: "InternalServerError",
  502: "BadGatewayError",
  503: "ServiceUnavailableError",
  504: "GatewayTimeoutError",
};

function errorObject(status: number, message?: string): Record<string, unknown> {
  return {
    message: message ?? `fake engine answered ${status}`,
    type: ERROR_TYPES[status] ?? "Error",
    param: null,
    code: status,
  };
}

/** The answer a word at a time, spaces kept on the word before them. */
function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/gu) ?? [];
}

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- CLI: the fake as its own process (the gateway's Python SDK tests) -------------
//   node packages/client/src/test-server.ts --port 0 [--model M] [--tokens N] [--chunk-delay-ms MS]
//        [--refuse-ms MS] [--loading-ms MS] [--api-key KEY]
// prints {"url":"http://127.0.0.1:PORT"} once it listens (or, with --refuse-ms, will listen).
if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      model: { type: "string" },
      tokens: { type: "string" },
      "chunk-delay-ms": { type: "string", default: "0" },
      "refuse-ms": { type: "string", default: "0" },
      "loading-ms": { type: "string", default: "0" },
      "api-key": { type: "string" },
    },
  });
  const number = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got '${values[name]}'`);
    return n;
  };
  const fake = await startFakeEngine({
    host: values.host,
    port: number("port"),
    chunkDelayMs: number("chunk-delay-ms"),
    refuseForMs: number("refuse-ms"),
    loadingForMs: number("loading-ms"),
    ...(values.model === undefined ? {} : { model: values.model }),
    ...(values.tokens === undefined ? {} : { tokens: number("tokens") }),
    ...(values["api-key"] === undefined ? {} : { apiKey: values["api-key"] }),
  });
  process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
  const stop = () => fake.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
