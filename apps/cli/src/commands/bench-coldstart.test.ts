// rouse bench coldstart's logic, offline: the RECORDED-TRANSCRIPT `modal` stand-in lists
// and stops "containers" kept in a state file, and a local stand-in of a rouse app (in
// front of the real stand-in engine process) boots a new "container" — restored from a
// snapshot or not — when a request finds none. Modal is never contacted: this proves the
// orchestration, the timing and the flags, not Modal's cold starts.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleRun, bootPhases, type ColdStartResult } from "../bench/coldstart.ts";
import { fakeModalEnv, standinEngine, stopAll, rouse, tmp, track } from "../test/processes.ts";
import { startStandinApp } from "../test/standin-app.ts";

afterAll(stopAll);

let engine: { baseUrl: string };
beforeAll(async () => {
  engine = await standinEngine(["--token-ms", "5"]);
}, 60_000);

function modalState(dir: string): string {
  const path = join(dir, "modal-state.json");
  writeFileSync(
    path,
    JSON.stringify({
      apps: [
        {
          app_id: "ap-1",
          description: "rouse-qwen3-8b",
          state: "deployed",
          tasks: "1",
          created_at: "2026-05-04 09:12:40+00:00",
          stopped_at: null,
        },
      ],
      containers: [
        {
          container_id: "ta-warm",
          app_id: "ap-1",
          app_name: "rouse-qwen3-8b",
          start_time: "2026-05-04 09:14:02+00:00",
        },
      ],
      secrets: ["rouse-api-key"],
    }),
  );
  return path;
}

const result = (out: string) =>
  JSON.parse(
    readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".json"))!), "utf8"),
  ) as ColdStartResult;

describe("rouse bench coldstart", () => {
  it("forces scale-to-zero each run, times request → first token, reads the boot report, flags a run that was not restored", async () => {
    const dir = tmp();
    const state = modalState(dir);
    const app = await startStandinApp({
      engineUrl: engine.baseUrl,
      statePath: state,
      bootMs: 400,
      plan: (n) => n !== 1,
    });
    track(() => app.close());
    const out = join(dir, "bench");
    const r = await rouse(
      [
        "bench",
        "coldstart",
        "--app",
        "rouse-qwen3-8b",
        "--url",
        app.url,
        "--model",
        "qwen",
        "--runs",
        "3",
        "--settle",
        "0",
        "--out",
        out,
        "--no-modal-stats",
      ],
      {
        cwd: dir,
        env: fakeModalEnv(dir, { FAKE_MODAL_STATE: state }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("restored from a snapshot: 2/3 — NOT restored: run 1");
    expect(app.boots()).toBe(3);

    const res = result(out);
    expect(res.runs.map((x) => x.stoppedContainers)).toEqual([
      ["ta-warm"],
      ["ta-standin-001"],
      ["ta-standin-002"],
    ]);
    expect(res.runs.map((x) => x.newContainers)).toEqual([
      ["ta-standin-001"],
      ["ta-standin-002"],
      ["ta-standin-003"],
    ]);
    expect(res.runs.map((x) => x.restored)).toEqual([false, true, true]);
    expect(res.summary).toMatchObject({
      succeeded: 3,
      failed: 0,
      restored: 2,
      notRestored: [1],
      unknownRestore: [],
    });
    expect(res.runs[0]!.flags).toEqual(["not restored from a snapshot (booted cold)"]);
    expect(res.runs[1]!.flags).toEqual([]);
    for (const run of res.runs) {
      // Each request waited out a ~400 ms boot, which the report's phases account for.
      expect(run.ttftMs!).toBeGreaterThanOrEqual(390);
      const inside = run.phases.reduce((a, p) => a + p.ms, 0);
      expect(inside).toBeGreaterThan(350);
      expect(inside).toBeLessThanOrEqual(run.ttftMs! + 1);
      expect(run.outsideMs).toBeCloseTo(run.ttftMs! - inside, 6);
    }
    // A restored container's phases start at its restore; the snapshotted boot's are not counted.
    expect(res.runs[1]!.phases.map((p) => p.name)).toEqual([
      "restore → wake_done",
      "wake_done → guard_ready",
    ]);
    expect(res.runs[0]!.phases[0]!.name).toBe("process_start → engine_spawn");
    expect(res.summary.ttftMs.median).toBeGreaterThanOrEqual(390);

    // The modal CLI calls, in order, as the real one would be called.
    const calls = readFileSync(join(dir, "modal-calls.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv.join(" "));
    expect(calls.slice(0, 4)).toEqual([
      "app list --json",
      "container list --app-id ap-1 --json",
      "container stop ta-warm --yes",
      "container list --app-id ap-1 --json",
    ]);

    const html = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".html"))!), "utf8");
    expect(html).toContain("NOT RESTORED");
    expect(html).toContain("Run 1 did not restore from a snapshot");
    expect(html).not.toMatch(/<script|src=/);
  }, 90_000);

  it("flags runs where no new container appeared (the app was not really scaled to zero)", async () => {
    const dir = tmp();
    const state = modalState(dir);
    // No scale-to-zero emulation: requests are answered without any container being listed.
    const app = await startStandinApp({ engineUrl: engine.baseUrl });
    // A deployment record, so rouse knows where the endpoint is for Modal's stats.
    mkdirSync(join(dir, ".rouse"));
    writeFileSync(
      join(dir, ".rouse/state.json"),
      JSON.stringify({
        version: 1,
        deployments: {
          "rouse-qwen3-8b": {
            app: "rouse-qwen3-8b",
            webUrl: app.url,
            endpoint: { kind: "cls", object: "VllmServer", method: "serve" },
            model: "qwen",
            configHash: "",
            sourceHash: "",
            configSource: "rouse.yaml",
            appFile: ".rouse/rouse-qwen3-8b/app.py",
            engine: "vllm",
            deployedAt: new Date().toISOString(),
            modalVersion: "1.6.4",
          },
        },
      }),
    );
    track(() => app.close());
    const r = await rouse(
      [
        "bench",
        "coldstart",
        "--app",
        "rouse-qwen3-8b",
        "--url",
        app.url,
        "--model",
        "qwen",
        "--runs",
        "1",
        "--settle",
        "0",
        "--out",
        join(dir, "b"),
        "--json",
        "--modal-timeout",
        "5",
      ],
      {
        cwd: dir,
        // Modal's own stats through the real JavaScript SDK, pointed at a dead address: unavailable, not fatal.
        env: fakeModalEnv(dir, { FAKE_MODAL_STATE: state, MODAL_SERVER_URL: "http://127.0.0.1:9" }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout) as ColdStartResult;
    expect(parsed.modalStats).toEqual({
      unavailable: expect.stringMatching(/^reading Modal's container stats: /),
    });
    const run = parsed.runs[0]!;
    expect(run.newContainers).toEqual([]);
    expect(run.flags).toContain("no new container was listed after the request: was this a cold start?");
    // The stand-in's report says the container booted a minute ago: longer than the request waited.
    expect(run.flags.some((f) => f.includes("it began before the request"))).toBe(true);
  }, 60_000);

  it("needs a deployed app and a model; fails with one line when the app is not deployed", async () => {
    const dir = tmp();
    const state = modalState(dir);
    const gone = await rouse(
      [
        "bench",
        "coldstart",
        "--app",
        "other-app",
        "--url",
        engine.baseUrl,
        "--model",
        "qwen",
        "--runs",
        "1",
        "--no-modal-stats",
      ],
      {
        cwd: dir,
        env: fakeModalEnv(dir, { FAKE_MODAL_STATE: state }),
      },
    );
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("rouse bench coldstart: no deployed app named other-app");
    const noModel = await rouse(["bench", "coldstart", "--app", "x", "--url", engine.baseUrl], {
      cwd: dir,
      env: fakeModalEnv(dir),
    });
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain("--model is needed here");
  }, 60_000);
});

describe("boot reports", () => {
  const restored = {
    app: "a",
    restored: true,
    phases: {
      process_start: 100,
      engine_ready: 130,
      sleep_done: 140,
      restore: 1000,
      wake_done: 1002.5,
      guard_ready: 1002.6,
    },
  };
  it("a restored container's own phases start at restore; a cold one's at process start", () => {
    expect(bootPhases(restored).map((p) => [p.name, Math.round(p.ms)])).toEqual([
      ["restore → wake_done", 2500],
      ["wake_done → guard_ready", 100],
    ]);
    expect(bootPhases({ ...restored, restored: false }).map((p) => p.name)[0]).toBe(
      "process_start → engine_ready",
    );
    expect(bootPhases(undefined)).toEqual([]);
  });

  it("a run with no boot report is flagged as unknown, not as restored", () => {
    const run = assembleRun({
      run: 1,
      stoppedContainers: ["ta-1"],
      zeroMs: 10,
      requestAt: new Date().toISOString(),
      timed: {
        headersMs: 900,
        ttftMs: 1000,
        e2eMs: 1100,
        attempts: 1,
        outputTokens: 4,
        bootHeader: undefined,
      },
      error: undefined,
      boot: undefined,
      before: ["ta-1"],
      after: ["ta-2"],
    });
    expect(run).toMatchObject({
      success: true,
      restored: undefined,
      newContainers: ["ta-2"],
      outsideMs: undefined,
    });
    expect(run.flags).toEqual(["no boot report (not a rouse app, or an older one): restore unknown"]);
  });
});
