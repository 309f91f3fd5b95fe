import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { spawnStandin } from "../../../../tools/engine-standin/spawn.ts";
import { EngineSetError } from "../fleet/engine-set.ts";
import { LocalEngines } from "../fleet/local-engines.ts";
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
import type { CheckpointCommand } from "./cuda-checkpoint.ts";

// `suspend` mode. The real checkpoint needs an NVIDIA driver ≥ 570 (runs happen on
// the GPU machine); here the engine is the STAND-IN ENGINE and the checkpoint
// command is a named STAND-IN (src/test/cuda-ckpt-standin.ts: same argv, JSON and
// exit codes; it freezes the process group instead of moving GPU memory). The
// real command is used for the gating test: on this machine it must refuse clearly.

const STANDIN = fileURLToPath(new URL("../test/cuda-ckpt-standin.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const VENV_PYTHON = join(ROOT, "python/.venv/bin/python");
const work = mkdtempSync(join(tmpdir(), "rouse-suspend-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function standinCommand(env: Record<string, string> = {}): {
  command: CheckpointCommand;
  calls: () => string[][];
} {
  const log = join(work, `calls-${Math.random().toString(36).slice(2)}.jsonl`);
  return {
    command: {
      argv: [process.execPath, STANDIN],
      env: { ROUSE_CKPT_STANDIN_LOG: log, ROUSE_CKPT_STANDIN_DIR: join(work, "state"), ...env },
    },
    calls: () => {
      try {
        return readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as string[]);
      } catch {
        return [];
      }
    },
  };
}

const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[0];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("suspend mode", () => {
  it("idle → the checkpoint command suspends the engine's tree; a request resumes it", async () => {
    const ckpt = standinCommand();
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "suspend" } }) }],
      () => quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 200 }),
      { preload: true, checkpoint: ckpt.command },
    );
    const a = h.engine("a");
    await until(a, "suspended");
    const pid = a.pid!;
    expect(path(a)).toEqual(["starting", "ready", "draining", "suspending", "suspended"]);
    expect(processState(pid)).toBe("T"); // the stand-in froze it
    expect(ckpt.calls().at(-1)).toEqual([
      "suspend",
      "--pid",
      String(pid),
      "--tree",
      "--json",
      "--parallel",
      "--timeout-ms",
      "30000",
    ]);

    // What follows is read from here on, not from the end: 200 ms after the answers the engine
    // may idle again, before a slow test process looks.
    const [seen, called] = [path(a).length, ckpt.calls().length];
    const answers = await Promise.all([chat(h.openai, "a"), chat(h.openai, "a")]);
    expect(answers).toHaveLength(2);
    expect(path(a).slice(seen, seen + 2)).toEqual(["resuming", "ready"]);
    expect(a.pid).toBe(pid);
    expect(ckpt.calls()[called]).toEqual(["resume", "--pid", String(pid), "--tree", "--json", "--parallel"]);
    expect(ckpt.calls().filter((c) => c[0] === "resume")).toHaveLength(1);
    expect(h.events).toContainEqual(expect.objectContaining({ type: "wake", via: "suspend" }));
  });

  it("a restore that does not fit yet leaves it suspended and retries", async () => {
    const ckpt = standinCommand({ ROUSE_CKPT_STANDIN_EXIT_RESUME: "11:1" });
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "suspend" } }) }],
      () => quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 200 }),
      { preload: true, checkpoint: ckpt.command },
    );
    const a = h.engine("a");
    await until(a, "suspended");
    const seen = path(a).length - 1; // from the suspend on (the engine may idle again after the answer)
    expect((await chat(h.openai, "a")).text.length).toBeGreaterThan(0);
    expect(path(a).slice(seen, seen + 5)).toEqual([
      "suspended",
      "resuming",
      "suspended",
      "resuming",
      "ready",
    ]);
    expect(a.history[seen + 2]!.reason).toMatch(
      /would not fit in free GPU memory yet .*insufficient_gpu_memory/,
    );
  });

  it("when suspend turns out unavailable (exit 3) the engine is stopped instead, and later idles stop directly", async () => {
    const ckpt = standinCommand({ ROUSE_CKPT_STANDIN_EXIT_SUSPEND: "3" });
    h = await startHarness(
      [{ config: standinConfig("a", { local: { scaleToZero: "suspend" } }) }],
      () => quick({ executable: standinExecutableFor("vllm"), scaleDownAfterMs: 200 }),
      { preload: true, checkpoint: ckpt.command },
    );
    const a = h.engine("a");
    await untilEntered(a, "stopped");
    expect(a.history.at(-2)!.reason).toMatch(
      /^suspend unavailable \(exit 3: driver_unavailable: .*\); stopping the engine instead/,
    );
    expect(a.snapshot().suspendUnavailable).toContain("driver_unavailable");
    const seen = path(a).length; // before the request: its idle stop can begin before a slow test looks
    await chat(h.openai, "a");
    await untilEntered(a, "stopped", seen);
    expect(path(a).slice(seen)).toEqual(["starting", "ready", "draining", "stopping", "stopped"]);
    expect(ckpt.calls().filter((c) => c[0] === "suspend")).toHaveLength(1);
  });

  it.skipIf(process.platform !== "linux")(
    "gating: on a machine without the CUDA driver the real command makes `serve` refuse, naming the config and the fix",
    async () => {
      const python = (() => {
        try {
          readFileSync(VENV_PYTHON);
          return VENV_PYTHON;
        } catch {
          return "python3";
        }
      })();
      const command: CheckpointCommand = {
        argv: [python, "-m", "rouse_py.cuda_ckpt"],
        env: { PYTHONPATH: join(ROOT, "python/src") },
      };
      const error = await LocalEngines.create(
        [{ config: standinConfig("a", { local: { scaleToZero: "suspend" } }), source: "a.yaml" }],
        // as if there were a GPU, so the checkpoint command itself is asked
        { checkpoint: command, gpu: { present: true, how: "test" } },
      ).catch((e: unknown) => e);
      // This machine has no NVIDIA driver; on the GPU machine the set is accepted.
      if (!(error instanceof EngineSetError)) {
        expect(error).toBeInstanceOf(LocalEngines);
        await (error as LocalEngines).close();
        return;
      }
      expect(error.issues).toEqual([
        expect.objectContaining({
          configs: ["a.yaml"],
          fix: expect.stringContaining("set local.scaleToZero: sleep (engine sleep mode) or stop"),
        }),
      ]);
      expect(error.issues[0]!.message).toMatch(
        /cannot take CUDA checkpoints: (driver_unavailable|the checkpoint command could not run)/,
      );
    },
  );

  describe("nothing reaches a suspended engine", () => {
    // The engine stand-in runs with --die-if-called-while-checkpointed and the checkpoint
    // stand-in only marks it checkpointed (no SIGSTOP), so any call that reached it between
    // the start of the suspend and the end of the resume would be logged, and would kill an
    // engine that is not asleep (as a request kills a checkpointed vLLM on the H200).
    const watched = (extra: Record<string, string> = {}) =>
      standinCommand({ ROUSE_CKPT_STANDIN_FREEZE: "0", ROUSE_CKPT_STANDIN_DELAY_MS: "400", ...extra });

    async function trafficDuringSuspend(h: Harness) {
      const a = h.engine("a");
      // Entered, not current: a poll of the state can miss a short one on a loaded machine.
      await untilEntered(a, "suspending");
      const pid = a.pid;
      const during = [
        chat(h.openai, "a"),
        chat(h.openai, "a"),
        fetch(`${h.server.url}/api/v1/engines/a`).then((r) => r.json()),
      ];
      await untilEntered(a, "suspended");
      during.push(
        chat(h.openai, "a"),
        fetch(`${h.server.url}/api/v1/engines/a`).then((r) => r.json()),
      );
      const answers = await Promise.all(during);
      expect(answers).toHaveLength(5);
      expect(a.pid).toBe(pid);
      expect(a.logs.text()).not.toContain("request while checkpointed");
      expect(h.events.some((e) => e.type === "crash")).toBe(false);
      expect(a.snapshot().gate!.refused).toBe(0);
      return a;
    }

    it("suspend sleeps the engine first when its plugin can; resume wakes it and checks the canary", async () => {
      const ckpt = watched();
      h = await startHarness(
        [{ config: standinConfig("a", { local: { scaleToZero: "suspend" } }) }],
        () =>
          quick({
            executable: standinExecutableFor("vllm", { flags: ["--die-if-called-while-checkpointed"] }),
            env: { ROUSE_CKPT_STANDIN_DIR: join(work, "state") },
            scaleDownAfterMs: 200,
          }),
        { preload: true, checkpoint: ckpt.command },
      );
      const a = await trafficDuringSuspend(h);
      // (later it idles again: only the first cycle is checked)
      expect(path(a).slice(0, 7)).toEqual([
        "starting",
        "ready",
        "draining",
        "suspending",
        "suspended",
        "resuming",
        "ready",
      ]);
      expect(a.history[4]!.reason).toMatch(/^asleep, then GPU memory checkpointed to host/);
      expect(a.snapshot().canary).toMatchObject({ mismatches: 0 });
      expect(a.snapshot().canary.checks).toBeGreaterThanOrEqual(1);
      expect(h.events).toContainEqual(expect.objectContaining({ type: "canary", via: "suspend", ok: true }));
    });

    it("an engine that cannot sleep is checkpointed awake, and still nothing reaches it", async () => {
      const ckpt = watched();
      h = await startHarness(
        [{ config: standinConfig("a", { local: { scaleToZero: "suspend" } }) }],
        () =>
          quick({
            executable: standinExecutableFor("vllm", { flags: ["--die-if-called-while-checkpointed"] }),
            // without dev mode vLLM has no /sleep (404): the plain checkpoint is the fallback
            env: { ROUSE_CKPT_STANDIN_DIR: join(work, "state"), VLLM_SERVER_DEV_MODE: "0" },
            scaleDownAfterMs: 200,
          }),
        { preload: true, checkpoint: ckpt.command },
      );
      const a = await trafficDuringSuspend(h);
      expect(a.logs.text()).toContain("sleep before the checkpoint failed");
      expect(a.history[4]!.reason).toMatch(/^GPU memory checkpointed to host/);
      expect(path(a).slice(4, 7)).toEqual(["suspended", "resuming", "ready"]);
    });

    it("the engine stand-in does die from a request while checkpointed awake (so the tests above can fail)", async () => {
      const dir = join(work, "sanity");
      mkdirSync(dir, { recursive: true });
      const engine = await spawnStandin({
        engine: "vllm",
        args: ["--die-if-called-while-checkpointed", "--load-ms=50"],
        env: { ROUSE_CKPT_STANDIN_DIR: dir },
      });
      try {
        while (!engine.output().includes("listening")) await new Promise((r) => setTimeout(r, 20));
        writeFileSync(join(dir, `${engine.child.pid}.json`), JSON.stringify({ state: "checkpointed" }));
        await fetch(`${engine.baseUrl}/health`).catch(() => undefined);
        expect(await engine.exited).toBe(139);
        expect(engine.output()).toContain("request while checkpointed: GET /health");
      } finally {
        await engine.stop();
      }
    });
  });
});
