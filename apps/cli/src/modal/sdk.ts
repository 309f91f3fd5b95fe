import type { Function_, ModalClient, ModalClientParams } from "modal";
import type { Endpoint } from "@rouse/engines";
import { CliError, type Io, UsageError } from "../ui/output.ts";

// Modal's JavaScript SDK (npm `modal`, pinned 0.11.1): reads an app's lifecycle, the
// endpoint's web URL and stats, and updates the autoscaler. It cannot deploy or stop
// containers; those stay on the Python CLI (./cli.ts).

const TOKEN_HINT =
  "run `modal token new`, or set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (`modal token info` shows the one in use)";

/** gRPC status codes (nice-grpc's `Status`) the SDK's errors carry as `.code`. */
const GRPC = {
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  PERMISSION_DENIED: 7,
  NOT_FOUND: 5,
  DEADLINE_EXCEEDED: 4,
} as const;

/** The SDK is large: loaded only by the commands that use it. */
const sdk = () => import("modal");

/** A client configured from io.env first (so tests and `env X=… rouse` work), then the SDK's own profile lookup. */
export async function modalClient(io: Io, timeoutMs = 15_000): Promise<ModalClient> {
  const { ModalClient } = await sdk();
  const params: ModalClientParams = { timeoutMs, maxRetries: 1 };
  if (io.env.MODAL_TOKEN_ID && io.env.MODAL_TOKEN_SECRET) {
    params.tokenId = io.env.MODAL_TOKEN_ID;
    params.tokenSecret = io.env.MODAL_TOKEN_SECRET;
  }
  if (io.env.MODAL_SERVER_URL) params.endpoint = io.env.MODAL_SERVER_URL;
  if (io.env.MODAL_ENVIRONMENT) params.environment = io.env.MODAL_ENVIRONMENT;
  try {
    return new ModalClient(params);
  } catch (error) {
    throw sdkFailure(error, "connecting to Modal", io.env);
  }
}

/** One clear line for whatever the SDK threw. */
export function sdkFailure(error: unknown, what: string, env: NodeJS.ProcessEnv): CliError {
  if (error instanceof CliError) return error;
  const e = error as { code?: unknown; message?: string; name?: string };
  const message = String(e?.message ?? error);
  const server = env.MODAL_SERVER_URL ?? "https://api.modal.com";
  if (/missing credentials|Token missing/i.test(message)) {
    return new CliError(`${what}: no Modal token is configured`, TOKEN_HINT);
  }
  if (e.code === GRPC.UNAUTHENTICATED || e.code === GRPC.PERMISSION_DENIED) {
    return new CliError(
      `${what}: Modal refused the token (${message.replace(/^.*?(UNAUTHENTICATED|PERMISSION_DENIED): /, "")})`,
      TOKEN_HINT,
    );
  }
  if (
    e.code === GRPC.UNAVAILABLE ||
    e.code === GRPC.DEADLINE_EXCEEDED ||
    /ECONNREFUSED|ENOTFOUND|No connection established/.test(message)
  ) {
    return new CliError(
      `${what}: could not reach Modal (${server})`,
      "check your network; if MODAL_SERVER_URL is set, is it right?",
    );
  }
  if (e.name === "NotFoundError" || e.code === GRPC.NOT_FOUND) {
    return new CliError(
      `${what}: ${message}`,
      "is the app deployed under this name, in this Modal environment (--env)? `rouse deploy` deploys it",
    );
  }
  return new CliError(`${what}: ${message}`, "set ROUSE_DEBUG=1 for the stack");
}

export interface SdkOptions {
  readonly environment?: string | undefined;
}

/** The Function behind the endpoint: a cls's web method, a web function, or an `@app.server`. */
export async function endpointFunction(
  client: ModalClient,
  app: string,
  endpoint: Endpoint,
  options: SdkOptions = {},
): Promise<Function_> {
  const env = options.environment ? { environment: options.environment } : {};
  if (endpoint.kind === "cls") {
    const cls = await client.cls.fromName(app, endpoint.object, env);
    return (await cls.instance()).method(endpoint.method ?? "serve");
  }
  if (endpoint.kind === "function") return client.functions.fromName(app, endpoint.object, env);
  const handle = await client.apps.fromName(app, env);
  const info = await handle.info();
  const id = info.servers[endpoint.object];
  if (!id) throw new (await sdk()).NotFoundError(`Server '${endpoint.object}' not found in app '${app}'`);
  return client.functions.fromId(id);
}

/** Runs `fn` with a client, closing it after and translating every failure. */
export async function withModal<T>(
  io: Io,
  what: string,
  fn: (client: ModalClient) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  const client = await modalClient(io, timeoutMs);
  try {
    return await fn(client);
  } catch (error) {
    if (io.env.ROUSE_DEBUG) io.stderr.write(`${(error as Error).stack}\n`);
    throw sdkFailure(error, what, io.env);
  } finally {
    client.close();
  }
}

/** `--modal-timeout SECONDS` for SDK calls (default 15 s). */
export function sdkTimeoutMs(value: string | undefined): number {
  if (value === undefined) return 15_000;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`--modal-timeout must be a positive number of seconds, got '${value}'`);
  return n * 1000;
}
