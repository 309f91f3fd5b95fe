// rouse server entry:
//   node --conditions=@rouse/source apps/api/src/main.ts --config gateway.yaml [--host 127.0.0.1] [--port 8080]
// Environment: ROUSE_GATEWAY_CONFIG, ROUSE_GATEWAY_HOST, ROUSE_GATEWAY_PORT (flags win).
import { parseArgs } from "node:util";
import { loadGatewayConfigFile } from "./config.ts";
import { createGateway } from "./gateway.ts";
import { startServer } from "./server.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: "string", short: "c" },
      host: { type: "string" },
      port: { type: "string", short: "p" },
      "shutdown-deadline-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: rouse-server --config gateway.yaml [--host HOST] [--port PORT] [--shutdown-deadline-ms MS]\n" +
        "env: ROUSE_GATEWAY_CONFIG, ROUSE_GATEWAY_HOST, ROUSE_GATEWAY_PORT\n",
    );
    return;
  }
  const file = values.config ?? process.env.ROUSE_GATEWAY_CONFIG;
  if (!file) throw new Error("no config: pass --config gateway.yaml or set ROUSE_GATEWAY_CONFIG");
  const config = await loadGatewayConfigFile(file);
  const host = values.host ?? process.env.ROUSE_GATEWAY_HOST;
  const portText = values.port ?? process.env.ROUSE_GATEWAY_PORT;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new Error(`invalid port: ${portText}`);
  }
  const gateway = createGateway(config);
  const deadline = values["shutdown-deadline-ms"];
  await startServer(gateway, {
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(deadline !== undefined ? { shutdownDeadlineMs: Number(deadline) } : {}),
    handleSignals: true,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`rouse server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
