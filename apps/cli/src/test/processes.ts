// Real processes for the CLI's tests: the rouse binary, the stand-in engine, the
// gateway (apps/api), the Modal auth-refusing gRPC server, and the recorded-transcript
// `modal` stand-in. Everything started here is stopped by `stopAll()`.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type RunningStandin, spawnStandin } from "../../../../tools/engine-standin/spawn.ts";

export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
export const BIN = join(REPO, "apps/cli/src/bin.ts");
export const PYTHON = join(REPO, "python/.venv/bin/python");
export const REAL_MODAL = join(REPO, "python/.venv/bin/modal");
export const FAKE_MODAL = join(REPO, "apps/cli/src/__fixtures__/fake-modal/modal");
export const hasPython = existsSync(PYTHON) && existsSync(REAL_MODAL);

const running: Array<() => Promise<void>> = [];
export async function stopAll(): Promise<void> {
  while (running.length) await running.pop()!().catch(() => {});
}

export const tmp = (prefix = "rouse-cli-") => mkdtempSync(join(tmpdir(), prefix));

/** An environment with no Modal credentials and a private HOME (no ~/.modal.toml). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: tmp("rouse-home-"),
    NO_COLOR: "1",
    LANG: "C.UTF-8",
  };
  return { ...env, ...extra };
}

/** Env for the recorded-transcript `modal` stand-in. */
export function fakeModalEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    ROUSE_MODAL_BIN: FAKE_MODAL,
    FAKE_MODAL_NODE: process.execPath,
    FAKE_MODAL_LOG: join(dir, "modal-calls.jsonl"),
    FAKE_MODAL_DELAY_MS: "1",
    MODAL_TOKEN_ID: "ak-test-fake",
    MODAL_TOKEN_SECRET: "as-test-fake",
    ...extra,
  });
}

export interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real rouse binary (from source) to completion. */
export function rouse(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<Exited> {
  const child = spawnRouse(args, options);
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  return collect(child, options.timeoutMs ?? 60_000);
}

export function spawnRouse(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): ChildProcess {
  return spawn(process.execPath, ["--conditions=@rouse/source", BIN, ...args], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<Exited> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves once `read()` contains `text` (polling), or rejects after `timeoutMs`. */
export async function until(read: () => string, text: string | RegExp, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const now = read();
    if (typeof text === "string" ? now.includes(text) : text.test(now)) return;
    if (Date.now() - start > timeoutMs)
      throw new Error(`did not see ${String(text)} within ${timeoutMs} ms in:\n${now}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - start > timeoutMs) throw new Error(`${url} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The stand-in engine (tools/engine-standin) as a real process, ready to serve. */
export async function standinEngine(args: readonly string[] = [], wait = true): Promise<RunningStandin> {
  const engine = await spawnStandin({
    engine: "vllm",
    args: ["--load-ms", "100", "--token-ms", "5", "--served-model-name", "qwen", "llm", ...args],
  });
  running.push(() => engine.stop());
  if (wait) await waitHttp(`${engine.baseUrl}/health`);
  return engine;
}

export const GATEWAY_KEY = "sk-rouse-cli-test-key";

/** The rouse gateway (apps/api) as a real process in front of `upstreamUrl`, keyed with GATEWAY_KEY. */
export async function gateway(
  upstreamUrl: string,
  models: readonly string[],
): Promise<{ url: string; output: () => string }> {
  const { createHash } = await import("node:crypto");
  const dir = tmp("rouse-gw-");
  const port = await freePort();
  const config = join(dir, "gateway.yaml");
  writeFileSync(
    config,
    [
      "version: 1",
      `listen: {host: 127.0.0.1, port: ${port}}`,
      "auth:",
      "  keys:",
      `    - {name: test, sha256: ${createHash("sha256").update(GATEWAY_KEY).digest("hex")}}`,
      "upstreams:",
      `  - {name: standin, url: "${upstreamUrl}", models: [${models.map((m) => JSON.stringify(m)).join(", ")}]}`,
      "",
    ].join("\n"),
  );
  const child = spawn(
    process.execPath,
    ["--conditions=@rouse/source", join(REPO, "apps/api/src/main.ts"), "--config", config],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  let output = "";
  child.stdout!.on("data", (d) => {
    output += d;
  });
  child.stderr!.on("data", (d) => {
    output += d;
  });
  running.push(() => stop(child));
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`).catch((e) => {
    throw new Error(`${(e as Error).message}\n${output}`);
  });
  return { url, output: () => output };
}

/** modal-auth-refuser.py: a local gRPC server that refuses every Modal API call as UNAUTHENTICATED. */
export async function authRefuser(): Promise<{ url: string }> {
  const child = spawn(PYTHON, [join(REPO, "apps/cli/src/__fixtures__/modal-auth-refuser.py")], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.push(() => stop(child));
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  await until(() => out, /listening \d+/, 20_000);
  return { url: `http://127.0.0.1:${/listening (\d+)/.exec(out)![1]}` };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.stdin?.end();
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

export function track(cleanup: () => Promise<void>): void {
  running.push(cleanup);
}
