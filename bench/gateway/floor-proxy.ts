// Reference floor for the benchmark: the smallest useful Node proxy (node:http +
// one undici pool, bytes piped through, no auth/routing/logging/metrics). What
// any Node gateway on this machine pays at least; rouse is compared against it.
//   node bench/gateway/floor-proxy.ts --port 9003 --upstream http://127.0.0.1:9001
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Pool } from "./undici.ts";
const { values } = parseArgs({ options: { port: { type: "string" }, upstream: { type: "string" } } });
const pool = new Pool(values.upstream!, { connections: 256 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "date"]);

createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    const body = Buffer.concat(parts);
    pool
      .request({ method: "POST", path: req.url!, headers: { "content-type": "application/json" }, body })
      .then(
        (r) => {
          const h: Record<string, string | string[]> = {};
          for (const k in r.headers) if (!HOP.has(k)) h[k] = r.headers[k]!;
          res.writeHead(r.statusCode, h);
          r.body.on("data", (c: Buffer) => {
            if (!res.write(c)) r.body.pause();
          });
          res.on("drain", () => r.body.resume());
          r.body.on("end", () => res.end());
          r.body.on("error", () => res.destroy());
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
  });
}).listen(Number(values.port), "127.0.0.1");
process.once("SIGTERM", () => process.exit(0));
