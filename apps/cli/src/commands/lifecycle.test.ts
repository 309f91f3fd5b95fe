// url, status, logs, scale, stop — against the RECORDED-TRANSCRIPT `modal` stand-in for
// the Python CLI's side, and against Modal's real JavaScript SDK pointed at (a) nothing
// configured, (b) a local gRPC server that refuses every token, (c) a dead address.
// None of these calls reaches Modal; what is proven is rouse's handling of each answer.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authRefuser, cleanEnv, fakeModalEnv, hasPython, REAL_MODAL, stopAll, rouse, tmp } from "../test/processes.ts";

afterAll(stopAll);

const URL = "https://rouse-user--rouse-qwen3-8b-vllmserver-serve.modal.run";
let dir: string;
let refuser: { url: string } | undefined;

/** A project deployed (through the recorded-transcript modal) from ./rouse.yaml. */
async function deployedProject(): Promise<string> {
  const d = tmp();
  expect((await rouse(["init", "--preset", "default"], { cwd: d, env: cleanEnv() })).code).toBe(0);
  const r = await rouse(["deploy"], { cwd: d, env: fakeModalEnv(d) });
  expect(r.code, r.stderr).toBe(0);
  return d;
}

beforeAll(async () => {
  dir = await deployedProject();
  if (hasPython) refuser = await authRefuser();
}, 60_000);

const refused = () =>
  cleanEnv({ MODAL_SERVER_URL: refuser!.url, MODAL_TOKEN_ID: "ak-fake", MODAL_TOKEN_SECRET: "as-fake" });

describe("rouse url", () => {
  it("prints the recorded URL (text and --json), from the config or --app", async () => {
    const r = await rouse(["url"], { cwd: dir, env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${URL}\n`);
    const j = await rouse(["url", "--app", "rouse-qwen3-8b", "--json"], { cwd: dir, env: cleanEnv() });
    expect(JSON.parse(j.stdout)).toEqual({ app: "rouse-qwen3-8b", url: URL, source: "state" });
  }, 30_000);

  it("an app with no record asks Modal; without credentials that fails with the fix", async () => {
    const r = await rouse(["url", "--app", "other-app"], { cwd: dir, env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("don't know where other-app's web endpoint is");
    const live = await rouse(["url", "--live"], { cwd: dir, env: cleanEnv() });
    expect(live.code).toBe(1);
    expect(live.stderr).toContain(
      "rouse url: looking up rouse-qwen3-8b's web URL: no Modal token is configured",
    );
    expect(live.stderr).toContain("hint: run `modal token new`");
  }, 30_000);

  it.skipIf(!hasPython)(
    "--live with a token Modal refuses (JavaScript SDK → local UNAUTHENTICATED server)",
    async () => {
      const r = await rouse(["url", "--live"], { cwd: dir, env: refused() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /looking up rouse-qwen3-8b's web URL: Modal refused the token \(.*every token is refused\)/,
      );
    },
    30_000,
  );
});

describe("rouse status", () => {
  it("--local shows the record, and notices when rouse.yaml changed since the deploy", async () => {
    const d = await deployedProject();
    const same = await rouse(["status", "--local"], { cwd: d, env: cleanEnv() });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`url         ${URL}`);
    expect(same.stdout).toContain("with modal 1.6.4");
    expect(same.stdout).toContain("changes     none since the deploy");
    writeFileSync(
      join(d, "rouse.yaml"),
      `${readFileSync(join(d, "rouse.yaml"), "utf8")}scaling:\n  maxInputs: 16\n`,
    );
    const changed = await rouse(["status", "--local", "--json"], { cwd: d, env: cleanEnv() });
    expect(JSON.parse(changed.stdout)).toMatchObject({
      app: "rouse-qwen3-8b",
      changed: { config: true, app: true },
      live: null,
    });
  }, 60_000);

  it("asks Modal through the JavaScript SDK; no token: the local part, then one clear line, exit 1", async () => {
    const r = await rouse(["status"], { cwd: dir, env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`url         ${URL}`);
    expect(r.stderr).toContain("rouse status: asking Modal about rouse-qwen3-8b: no Modal token is configured");
  }, 30_000);

  it.skipIf(!hasPython)(
    "a refused token and a dead address each give their own message",
    async () => {
      const r = await rouse(["status", "--json"], { cwd: dir, env: refused() });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        live: null,
        liveError: expect.stringContaining("Modal refused the token"),
      });
      const started = Date.now();
      const dead = await rouse(["status", "--modal-timeout", "2"], {
        cwd: dir,
        env: cleanEnv({
          MODAL_SERVER_URL: "http://127.0.0.1:9",
          MODAL_TOKEN_ID: "ak-fake",
          MODAL_TOKEN_SECRET: "as-fake",
        }),
      });
      expect(dead.code).toBe(1);
      expect(dead.stderr).toContain(
        "rouse status: asking Modal about rouse-qwen3-8b: could not reach Modal (http://127.0.0.1:9)",
      );
      expect(Date.now() - started).toBeLessThan(20_000);
    },
    60_000,
  );
});

describe("rouse scale", () => {
  it("checks its flags before anything else", async () => {
    expect((await rouse(["scale"], { cwd: dir, env: cleanEnv() })).code).toBe(2);
    expect((await rouse(["scale", "--min", "2", "--max", "1"], { cwd: dir, env: cleanEnv() })).code).toBe(2);
    expect((await rouse(["scale", "--min", "-1"], { cwd: dir, env: cleanEnv() })).code).toBe(2);
    expect((await rouse(["scale", "--scaledown", "1"], { cwd: dir, env: cleanEnv() })).code).toBe(2);
  }, 60_000); // four CLI runs from source, seconds each on a loaded machine

  it.skipIf(!hasPython)(
    "updates the autoscaler through the SDK — here refused, with the fix",
    async () => {
      const r = await rouse(["scale", "--min", "1"], { cwd: dir, env: refused() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/rouse scale: updating rouse-qwen3-8b's autoscaler: Modal refused the token/);
    },
    30_000,
  );
});

describe("rouse stop and rouse logs (recorded-transcript modal)", () => {
  const withState = (d: string) => {
    const path = join(d, "modal-state.json");
    writeFileSync(
      path,
      JSON.stringify({
        apps: [
          {
            app_id: "ap-1",
            description: "rouse-qwen3-8b",
            state: "deployed",
            tasks: "2",
            created_at: "2026-05-04 09:12:40+00:00",
            stopped_at: null,
          },
        ],
        containers: [
          {
            container_id: "ta-A",
            app_id: "ap-1",
            app_name: "rouse-qwen3-8b",
            start_time: "2026-05-04 09:14:02+00:00",
          },
          {
            container_id: "ta-B",
            app_id: "ap-1",
            app_name: "rouse-qwen3-8b",
            start_time: "2026-05-04 09:15:02+00:00",
          },
          {
            container_id: "ta-OTHER",
            app_id: "ap-2",
            app_name: "other",
            start_time: "2026-05-04 09:15:02+00:00",
          },
        ],
        secrets: ["rouse-api-key"],
      }),
    );
    return path;
  };

  it("refuses to stop without --yes when nobody can be asked", async () => {
    const r = await rouse(["stop"], { cwd: dir, env: fakeModalEnv(dir) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pass --yes to confirm");
  }, 30_000);

  it("--containers stops every container of the app (and only those), and waits for zero", async () => {
    const d = tmp();
    const state = withState(d);
    const r = await rouse(["stop", "--app", "rouse-qwen3-8b", "--containers", "--yes", "--json"], {
      cwd: d,
      env: fakeModalEnv(d, { FAKE_MODAL_STATE: state }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      app: "rouse-qwen3-8b",
      appId: "ap-1",
      stoppedContainers: ["ta-A", "ta-B"],
    });
    expect(
      JSON.parse(readFileSync(state, "utf8")).containers.map((c: { container_id: string }) => c.container_id),
    ).toEqual(["ta-OTHER"]);
    const argv = readFileSync(join(d, "modal-calls.jsonl"), "utf8");
    expect(argv).toContain('"argv":["container","stop","ta-A","--yes"]');
    expect(argv).toContain('"argv":["container","list","--app-id","ap-1","--json"]');
  }, 30_000);

  it("stops the app with `modal app stop --yes` and marks the record", async () => {
    const d = await deployedProject();
    const state = withState(d);
    const r = await rouse(["stop", "--yes"], { cwd: d, env: fakeModalEnv(d, { FAKE_MODAL_STATE: state }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("✓ rouse-qwen3-8b stopped");
    expect(JSON.parse(readFileSync(state, "utf8")).apps[0].state).toBe("stopped");
    expect(
      JSON.parse(readFileSync(join(d, ".rouse/state.json"), "utf8")).deployments["rouse-qwen3-8b"].stoppedAt,
    ).toBeTruthy();
    // Stopping a stopped app is modal's error, passed on with its words.
    const again = await rouse(["stop", "--yes"], {
      cwd: d,
      env: fakeModalEnv(d, { FAKE_MODAL_STATE: state }),
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Could not find a deployed app named 'rouse-qwen3-8b'");
  }, 60_000);

  it("logs -- --help: flags after -- reach `modal app logs` (its help, not rouse's)", async () => {
    const r = await rouse(["logs", "-f", "--", "--help", "-h"], { cwd: dir, env: fakeModalEnv(dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("Usage: rouse");
    const last = readFileSync(join(dir, "modal-calls.jsonl"), "utf8").trim().split("\n").at(-1)!;
    expect(JSON.parse(last).argv).toEqual(["app", "logs", "rouse-qwen3-8b", "--follow", "--help", "-h"]);
  }, 30_000);

  it.skipIf(!hasPython)("logs -- --help against the real modal CLI prints modal's own help", async () => {
    const r = await rouse(["logs", "--app", "any-app", "--modal-bin", REAL_MODAL, "--", "--help"], {
      cwd: tmp(),
      env: cleanEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Usage: modal app logs/);
    expect(r.stdout).not.toContain("Usage: rouse");
  }, 60_000);

  it("logs passes its flags (and anything after --) to `modal app logs`", async () => {
    const r = await rouse(["logs", "--tail", "5", "--since", "1h", "--", "--timestamps"], {
      cwd: dir,
      env: fakeModalEnv(dir),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("ROUSE_BOOT_REPORT");
    const last = readFileSync(join(dir, "modal-calls.jsonl"), "utf8").trim().split("\n").at(-1)!;
    expect(JSON.parse(last).argv).toEqual([
      "app",
      "logs",
      "rouse-qwen3-8b",
      "--tail",
      "5",
      "--since",
      "1h",
      "--timestamps",
    ]);
  }, 30_000);
});
