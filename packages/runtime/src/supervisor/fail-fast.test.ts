import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIError } from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort } from "../process/port.ts";
import {
  chat,
  type Harness,
  path,
  quick,
  standinConfig,
  standinExecutableFor,
  startHarness,
  until,
  untilEntered,
} from "../test/harness.ts";

// Issue #17: `serve --local` tells the truth and fails fast. The engine is the
// STAND-IN ENGINE (tools/engine-standin, a vLLM imitation, not an engine); the
// decoy is a plain HTTP server in its own process that answers everything 200.

let h: Harness | undefined;
const decoys: ChildProcess[] = [];
const work = mkdtempSync(join(tmpdir(), "rouse-failfast-"));
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of decoys.splice(0)) d.kill("SIGKILL");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A foreign server on `port` answering every path 200 (with a model list that is not ours).
 * Deliberately not the fake upstream: it must be its own process (the error names its pid)
 * and answer anything with 200, as an unrelated program would.
 */
async function decoy(port: number): Promise<ChildProcess> {
  const script = `require("node:http").createServer((q, s) => { s.setHeader("content-type", "application/json"); s.end(JSON.stringify({ object: "list", data: [{ id: "someone-else" }], choices: [{ message: { content: "DECOY" } }] })); }).listen(${port}, "127.0.0.1", () => console.log("up"));`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  decoys.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the decoy exited (${code}): the port was taken`)));
  });
  return child;
}

async function refusal(p: Promise<unknown>): Promise<APIError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

describe("a busy local.port", () => {
  it("is found before the spawn: the engine fails at once, naming the port and who holds it", async () => {
    const port = await freePort();
    const d = await decoy(port);
    h = await startHarness([{ config: standinConfig("a", { local: { port, scaleToZero: "stop" } }) }], () =>
      quick({ executable: standinExecutableFor("vllm") }),
    );
    const a = h.engine("a");
    const error = await refusal(chat(h.openai, "a"));
    expect(error.status).toBe(503);
    expect(error.code).toBe("engine_failed");
    expect(error.message).toContain(`port 127.0.0.1:${port} is taken by pid ${d.pid}`);
    expect(error.message).toContain("change local.port");
    expect(path(a)).toEqual(["starting", "failed"]);
    // nothing was spawned
    expect(a.logs.tail().some((l) => l.line.startsWith("$ "))).toBe(false);
  });

  it("a listener that appears while the engine loads is not taken for the engine", async () => {
    const port = await freePort();
    h = await startHarness([{ config: standinConfig("a", { local: { port, scaleToZero: "stop" } }) }], () =>
      // a long load, so the decoy (a fresh node process) surely binds first on a busy machine
      quick({ executable: standinExecutableFor("vllm", { values: { "load-ms": 6_000 } }) }),
    );
    const a = h.engine("a");
    a.start();
    await until(a, "starting");
    // the bind probe has passed; the decoy takes the port before the engine binds it
    await decoy(port);
    const asked = await chat(h.openai, "a").then(
      (r) => r.text,
      (e: unknown) => e as APIError,
    );
    expect(asked).toBeInstanceOf(APIError); // never the decoy's "DECOY"
    await until(a, "failed");
    // one attempt: either the readiness check saw the foreign listener, or the engine died on the port
    expect([
      ["starting", "stopping", "failed"],
      ["starting", "failed"],
    ]).toContainEqual(path(a));
    expect(a.snapshot().failure!.reason).toMatch(
      /not the engine we started|serves 'someone-else', not 'a'|another process holds the engine's port/,
    );
  });
});

describe("failures no retry can fix fail within one attempt", () => {
  it("a model directory that does not exist: refused before the spawn, naming the path", async () => {
    const missing = join(work, "no-such-model");
    h = await startHarness(
      [{ config: standinConfig("a", { model: { id: missing, servedName: ["a"] } }) }],
      () => quick({ executable: standinExecutableFor("vllm") }),
    );
    const error = await refusal(chat(h.openai, "a"));
    expect(error.code).toBe("engine_failed");
    expect(error.message).toContain(`model.id is the local path ${missing}, which does not exist`);
    expect(path(h.engine("a"))).toEqual(["starting", "failed"]);
  });

  it("an executable that is not on PATH is named", async () => {
    h = await startHarness([{ config: standinConfig("a") }], () =>
      quick({ executable: ["rouse-no-such-engine-binary"] }),
    );
    const error = await refusal(chat(h.openai, "a"));
    expect(error.message).toContain("'rouse-no-such-engine-binary' is not on PATH");
  });

  it.each([
    [
      "the hub rejects the model id (vLLM's raw HFValidationError)",
      "huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name': '/models/x'.",
      /the model was not found: check model\.id/,
    ],
    [
      "the engine's port is taken (vLLM: Address already in use)",
      "OSError: [Errno 98] Address already in use",
      /another process holds the engine's port/,
    ],
    [
      "the engine refuses an argument",
      "vllm serve: error: unrecognized arguments: --no-such-flag",
      /refused its arguments \(unrecognized arguments: --no-such-flag\): check engine.extraArgs/,
    ],
  ])("%s: failed after one start, waiting requests answered with the reason", async (_, line, reason) => {
    // a fixed local.port: a port collision on it is permanent (a picked port is picked anew)
    const port = await freePort();
    h = await startHarness([{ config: standinConfig("a", { local: { scaleToZero: "stop", port } }) }], () =>
      quick({
        executable: standinExecutableFor("vllm", {
          flags: ["--fail-startup", line],
          values: { "load-ms": 200 },
        }),
        // a retry policy that would take a minute: a permanent failure must not use it
        crash: { initialDelayMs: 60_000, maxDelayMs: 60_000, maxCrashes: 5, windowMs: 600_000 },
      }),
    );
    const started = performance.now();
    const errors = await Promise.all([refusal(chat(h.openai, "a")), refusal(chat(h.openai, "a"))]);
    expect(performance.now() - started).toBeLessThan(30_000); // no 60 s backoff was waited
    for (const e of errors) {
      expect(e.code).toBe("engine_failed");
      expect(e.message).toMatch(reason);
    }
    const a = h.engine("a");
    expect(path(a)).toEqual(["starting", "failed"]);
    expect(a.snapshot().failure!.reason).toContain("a retry would fail the same way");
  });

  it("sleep mode on a machine without a GPU: the fix offered is one that works here (stop, not suspend)", async () => {
    h = await startHarness([{ config: standinConfig("a") }], () =>
      quick({
        executable: standinExecutableFor("vllm", {
          flags: ["--fail-startup", "ValueError: Sleep mode is not supported on current platform."],
        }),
        gpu: { present: false, how: "test: no GPU" },
      }),
    );
    const error = await refusal(chat(h.openai, "a"));
    expect(error.message).toContain(
      "this machine has no GPU, so the engine cannot sleep: set local.scaleToZero: stop",
    );
    expect(error.message).not.toContain("suspend");
    expect(path(h.engine("a"))).toEqual(["starting", "failed"]);
  });

  it("a boot longer than startupTimeout says to raise it", async () => {
    h = await startHarness([{ config: standinConfig("a") }], () =>
      quick({
        executable: standinExecutableFor("vllm", { values: { "load-ms": 5_000 } }),
        startupTimeoutMs: 400,
        crash: { initialDelayMs: 60_000, maxDelayMs: 60_000, maxCrashes: 5, windowMs: 60_000 },
      }),
    );
    const a = h.engine("a");
    a.start();
    await untilEntered(a, "stopped");
    expect(a.history.find((t) => t.to === "stopping")!.reason).toMatch(
      /not ready within 400 ms.*raise scaling\.startupTimeout \(now 0 s\)/,
    );
  });

  it("sleep or suspend without a GPU is refused before anything starts", async () => {
    const { LocalEngines } = await import("../fleet/local-engines.ts");
    const { EngineSetError } = await import("../fleet/engine-set.ts");
    const error = await LocalEngines.create(
      [
        { config: standinConfig("a", { local: { scaleToZero: "sleep" } }), source: "a.yaml" },
        { config: standinConfig("b", { local: { scaleToZero: "stop" } }), source: "b.yaml" },
      ],
      { gpu: { present: false, how: "no GPU device in /dev" } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineSetError);
    expect((error as InstanceType<typeof EngineSetError>).issues).toEqual([
      {
        configs: ["a.yaml"],
        message: expect.stringContaining("this machine has no GPU (no GPU device in /dev)"),
        fix: "set local.scaleToZero: stop (the engine exits when idle and cold-starts on the next request)",
      },
    ]);
  });
});

describe("truthful reports", () => {
  it("a crash reason quotes only the run that crashed, never an earlier one", async () => {
    h = await startHarness(
      [{ config: standinConfig("a") }],
      () =>
        quick({
          executable: standinExecutableFor("vllm", { values: { "load-ms": 800 } }),
          scaleDownAfterMs: 300,
        }),
      { preload: true },
    );
    const a = h.engine("a");
    await untilEntered(a, "stopped");
    await until(a, "stopped");
    // the clean stop printed vLLM's last line
    expect(a.logs.text()).toContain("Application shutdown complete.");
    a.start();
    await until(a, "starting");
    while (a.pid === undefined) await new Promise((r) => setTimeout(r, 10));
    process.kill(a.pid, "SIGKILL");
    await untilEntered(a, "stopped", path(a).lastIndexOf("starting"));
    const reason = a.history.at(-1)!.reason;
    expect(reason).toMatch(/^exited unexpectedly \(signal SIGKILL\)/);
    expect(reason).not.toContain("Application shutdown complete");
    const runs = new Set(a.logs.tail().map((l) => l.run));
    expect(runs.size).toBe(2);
  });

  it("env: from the config reaches the engine process", async () => {
    h = await startHarness(
      [{ config: standinConfig("a", { env: { ROUSE_TEST_MARK: "from-config", HF_HUB_OFFLINE: "1" } }) }],
      () => quick({ executable: standinExecutableFor("vllm") }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "ready");
    const environ = readFileSync(`/proc/${a.pid}/environ`, "utf8").split("\0");
    expect(environ).toContain("ROUSE_TEST_MARK=from-config");
    expect(environ).toContain("HF_HUB_OFFLINE=1");
  });

  it("POST /restart answers with the state it moved to", async () => {
    const model = join(work, "model-later");
    h = await startHarness(
      [{ config: standinConfig("a", { model: { id: model, servedName: ["a"] } }) }],
      () => quick({ executable: standinExecutableFor("vllm") }),
    );
    const a = h.engine("a");
    a.start();
    await until(a, "failed");
    const again = await fetch(`${h.server.url}/api/v1/engines/a/restart`, { method: "POST" });
    expect(await again.json()).toMatchObject({
      engine: "a",
      state: "failed",
      failure: { reason: expect.stringContaining("does not exist") },
    });
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, "config.json"), "{}");
    const restart = await fetch(`${h.server.url}/api/v1/engines/a/restart`, { method: "POST" });
    expect(restart.status).toBe(202);
    expect(await restart.json()).toMatchObject({ engine: "a", state: "starting" });
    await until(a, "ready");
  });
});
