/** Every lifecycle failure says which engine, which endpoint, and what came back. */
export class EngineLifecycleError extends Error {
  override readonly name: string = "EngineLifecycleError";
  readonly engine: string;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly body: string | undefined;
  /** What went wrong, without the engine and endpoint the message starts with. */
  readonly detail: string;
  constructor(engine: string, endpoint: string, detail: string, options?: { status?: number; body?: string; cause?: unknown }) {
    const got = options?.status !== undefined ? ` (HTTP ${options.status}${options.body ? `: ${options.body.slice(0, 300)}` : ""})` : "";
    super(`${engine} ${endpoint}: ${detail}${got}`, options?.cause ? { cause: options.cause } : undefined);
    this.engine = engine;
    this.endpoint = endpoint;
    this.detail = detail;
    this.status = options?.status;
    this.body = options?.body;
  }
}

/** The engine (or this configuration of it) cannot do what was asked, e.g. sleep on CPU. */
export class EngineUnsupportedError extends EngineLifecycleError {
  override readonly name = "EngineUnsupportedError";
}

/** The engine process exited while we waited for it. */
export class EngineExitedError extends EngineLifecycleError {
  override readonly name = "EngineExitedError";
  readonly exitCode: number | null;
  constructor(engine: string, endpoint: string, exitCode: number | null, signal?: string | null) {
    super(engine, endpoint, `the engine process exited (${signal ? `signal ${signal}` : `code ${exitCode}`}) before it was ready`);
    this.exitCode = exitCode;
  }
}

/** Thrown by consumers for a plugin whose specificationVersion they do not know. */
export class UnsupportedSpecificationError extends Error {
  override readonly name = "UnsupportedSpecificationError";
  constructor(engine: string, version: unknown) {
    super(`engine plugin '${engine}' implements specification ${JSON.stringify(version)}; this rouse supports: v1`);
  }
}
