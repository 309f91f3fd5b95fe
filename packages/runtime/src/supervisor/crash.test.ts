import { APIError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import {
  chat,
  type Harness,
  path,
  quick,
  standinConfig,
  standinExecutableFor,
  startHarness,
  streamChat,
  until,
  untilEntered,
} from "../test/harness.ts";

// Crashes, against the STAND-IN ENGINE (not an engine): `--crash-after MS` exits 1,
// `--fail-startup MSG` prints MSG on stderr and exits 1 while loading.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("crash handling", () => {
  it("requests in flight get an OpenAI-style error naming the engine and its exit code", async () => {
    h = await startHarness(
      [{ config: standinConfig("a") }],
      () =>
        quick({
          executable: standinExecutableFor("vllm", {
            // The crash comes 5 s after the engine starts and each answer takes 5 s (100 tokens), so
            // both requests are in flight when it comes, however late a loaded machine sends them.
            values: { "load-ms": 50, "token-ms": 50, "crash-after": 5_000 },
          }),
          crash: { initialDelayMs: 5_000, maxDelayMs: 5_000, maxCrashes: 5, windowMs: 60_000 },
        }),
      { preload: true },
    );
    const a = h.engine("a");
    await until(a, "ready");
    const [plain, stream] = await Promise.allSettled([
      chat(h.openai, "a", 100),
      streamChat(h.openai, "a", 100),
    ]);
    const plainError = (plain as PromiseRejectedResult).reason as APIError;
    expect(plainError).toBeInstanceOf(APIError);
    expect(plainError.status).toBe(502);
    expect(plainError.code).toBe("engine_crashed");
    expect(plainError.message).toContain("engine 'a' exited (code 1) before answering");
    // the stream had begun: it ends with an error event, which the SDK raises
    const streamError = (stream as PromiseRejectedResult).reason as APIError;
    expect(streamError.message).toContain("engine 'a' exited (code 1) mid-stream");
    // the one mid-stream code, the same as the gateway's for any upstream (README "Crashes")
    expect((streamError.error as { code?: string }).code).toBe("upstream_disconnected");
    await untilEntered(a, "stopped");
    expect(a.history.at(-1)!.reason).toMatch(
      /^exited unexpectedly \(code 1\): standin\(vllm\): crashing as asked.*; restart 1\/4 in 5000 ms$/,
    );
    expect(a.logs.text()).toContain("crashing as asked");
  });

  it("repeated crashes mark it failed, with the last log lines; requests are refused; a restart by hand starts again", async () => {
    h = await startHarness([{ config: standinConfig("a"), source: "a.yaml" }], () =>
      quick({
        executable: standinExecutableFor("vllm", {
          flags: ["--fail-startup", "torch.OutOfMemoryError: CUDA out of memory (stand-in)"],
          values: { "load-ms": 60 },
        }),
        crash: { initialDelayMs: 50, maxDelayMs: 100, maxCrashes: 3, windowMs: 60_000 },
      }),
    );
    const a = h.engine("a");
    const error = (await chat(h.openai, "a").catch((e: unknown) => e)) as APIError;
    expect(error.status).toBe(503);
    expect(error.code).toBe("engine_failed");
    expect(error.message).toContain("engine 'a' has failed");
    expect(error.message).toContain("GET /api/v1/engines/a/logs");
    expect(a.state).toBe("failed");
    expect(path(a)).toEqual(["starting", "stopped", "starting", "stopped", "starting", "failed"]);
    expect(a.history.at(-1)!.reason).toMatch(
      // the plugin's explainExit read the log
      /^exited unexpectedly \(code 1\): the GPU ran out of memory: lower engine.gpuMemoryUtilization.*; 3 failures within 60 s, giving up$/,
    );
    const failure = a.snapshot().failure!;
    expect(failure.logTail.map((l) => l.line)).toContain(
      "torch.OutOfMemoryError: CUDA out of memory (stand-in)",
    );

    const logs = (await (await fetch(`${h.server.url}/api/v1/engines/a/logs?lines=50`)).json()) as {
      lines: { stream: string; line: string }[];
    };
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        stream: "stderr",
        line: "torch.OutOfMemoryError: CUDA out of memory (stand-in)",
      }),
    );
    const one = (await (await fetch(`${h.server.url}/api/v1/engines/a`)).json()) as {
      state: string;
      source: string;
    };
    expect(one).toMatchObject({ state: "failed", source: "a.yaml" });

    const seen = path(a).length; // before the call: it may enter starting before it answers
    const restart = await fetch(`${h.server.url}/api/v1/engines/a/restart`, { method: "POST" });
    expect(restart.status).toBe(202);
    await untilEntered(a, "starting", seen);
  });

  it("an executable that does not exist fails at once, saying how to fix it", async () => {
    h = await startHarness([{ config: standinConfig("a") }], () =>
      quick({ executable: ["/nonexistent/vllm"] }),
    );
    const error = (await chat(h.openai, "a").catch((e: unknown) => e)) as APIError;
    expect(error.code).toBe("engine_failed");
    expect(error.message).toContain("the engine executable cannot run: /nonexistent/vllm does not exist");
    expect(error.message).toContain("set local.executable");
    expect(path(h.engine("a"))).toEqual(["starting", "failed"]);
  });
});
