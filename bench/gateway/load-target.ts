// The benchmark's load target: a synthetic OpenAI-compatible upstream (not an
// engine) that answers instantly and streams `--tokens` chat chunks at a fixed
// rate (one every `--interval-ms`). Responses are precomputed so the target
// itself costs as little CPU as possible.
//   node bench/gateway/load-target.ts --port 9001 --tokens 16 --interval-ms 1
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "9001" },
    host: { type: "string", default: "127.0.0.1" },
    tokens: { type: "string", default: "16" },
    "interval-ms": { type: "string", default: "1" },
  },
});
const TOKENS = Number(values.tokens);
const INTERVAL = Number(values["interval-ms"]);
const MODEL = "standin";
const created = Math.floor(Date.now() / 1000);

const chunk = (delta: Record<string, unknown>, finish: string | null) =>
  Buffer.from(
    `data: ${JSON.stringify({
      id: "chatcmpl-load",
      object: "chat.completion.chunk",
      created,
      model: MODEL,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`,
  );
const FIRST = chunk({ role: "assistant", content: "" }, null);
const TOKEN = chunk({ content: " tok" }, null);
const LAST = Buffer.concat([chunk({}, "length"), Buffer.from("data: [DONE]\n\n")]);
const COMPLETION = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-load",
    object: "chat.completion",
    created,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: " tok".repeat(TOKENS) },
        logprobs: null,
        finish_reason: "length",
      },
    ],
    usage: { prompt_tokens: 8, completion_tokens: TOKENS, total_tokens: 8 + TOKENS },
  }),
);
const MODELS = Buffer.from(
  JSON.stringify({
    object: "list",
    data: [{ id: MODEL, object: "model", created, owned_by: "load-target" }],
  }),
);

function stream(res: ServerResponse, tokens: number) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(FIRST);
  let i = 0;
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  const tick = () => {
    if (closed) return;
    if (i++ < tokens) {
      res.write(TOKEN);
      setTimeout(tick, INTERVAL);
    } else {
      res.end(LAST);
    }
  };
  setTimeout(tick, INTERVAL);
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.method === "GET") {
    if (req.url === "/health") {
      res.writeHead(200, { "content-length": 0 });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": MODELS.length });
    res.end(MODELS);
    return;
  }
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    const body = Buffer.concat(parts).toString("utf8");
    // Cheap field checks instead of JSON.parse: the target must stay out of the measurement.
    const isStream = /"stream"\s*:\s*true/.test(body);
    const m = /"max_tokens"\s*:\s*(\d+)/.exec(body);
    const tokens = m ? Math.min(TOKENS, Number(m[1])) : TOKENS;
    if (isStream) return stream(res, tokens);
    res.writeHead(200, { "content-type": "application/json", "content-length": COMPLETION.length });
    res.end(COMPLETION);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`${JSON.stringify({ url: `http://${values.host}:${values.port}` })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
