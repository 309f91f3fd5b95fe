// `rouse deploy` as a real process. Two kinds of `modal`:
//  - the RECORDED-TRANSCRIPT STAND-IN (src/__fixtures__/fake-modal): replays the real
//    CLI's deploy output (rendered by modal 1.6.4's own output code) — Modal is never
//    contacted, so a "deploy" here proves rouse's orchestration and parsing, not a deploy;
//  - the REAL modal CLI (python/.venv), offline: preflight against a local gRPC server
//    that refuses every token.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  authRefuser,
  cleanEnv,
  fakeModalEnv,
  hasPython,
  REAL_MODAL,
  stopAll,
  rouse,
  tmp,
} from "../test/processes.ts";

afterAll(stopAll);

const calls = (dir: string) =>
  readFileSync(join(dir, "modal-calls.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { argv: string[]; columns: string | null; traceback: string | null });

describe("rouse deploy (recorded-transcript modal)", () => {
  it("generates, preflights, deploys, and records the deployment in .rouse/state.json", async () => {
    const dir = tmp();
    const r = await rouse(["deploy", "--preset", "default"], { cwd: dir, env: fakeModalEnv(dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("✓ deployed rouse-qwen3-8b in 41.3s");
    expect(r.stdout).toContain("url        https://rouse-user--rouse-qwen3-8b-vllmserver-serve.modal.run");
    expect(r.stderr).toContain("✓ Modal secrets  found rouse-api-key");
    expect(existsSync(join(dir, ".rouse/rouse-qwen3-8b/app.py"))).toBe(true);

    const state = JSON.parse(readFileSync(join(dir, ".rouse/state.json"), "utf8"));
    expect(state.version).toBe(1);
    expect(state.deployments["rouse-qwen3-8b"]).toMatchObject({
      app: "rouse-qwen3-8b",
      webUrl: "https://rouse-user--rouse-qwen3-8b-vllmserver-serve.modal.run",
      dashboardUrl: "https://modal.com/apps/rouse-user/main/deployed/rouse-qwen3-8b",
      configHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      sourceHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      configSource: "preset:default",
      appFile: ".rouse/rouse-qwen3-8b/app.py",
      endpoint: { kind: "cls", object: "VllmServer", method: "serve" },
      modalVersion: "1.6.4",
      engine: "vllm",
    });
    expect(Date.now() - Date.parse(state.deployments["rouse-qwen3-8b"].deployedAt)).toBeLessThan(60_000);

    const log = calls(dir);
    expect(log.map((c) => c.argv.slice(0, 2).join(" "))).toEqual([
      "--version",
      "secret list",
      "deploy .rouse/rouse-qwen3-8b/app.py",
    ]);
    // rouse asks for a wide terminal, so rich does not wrap URLs, and for tracebacks on its own checks.
    expect(log.every((c) => c.columns === "400")).toBe(true);
    expect(log[1]!.traceback).toBe("1");
  }, 60_000);

  it("--dry-run stops after generate + preflight; --json reports the checks", async () => {
    const dir = tmp();
    const r = await rouse(["deploy", "--preset", "default", "--dry-run", "--json"], {
      cwd: dir,
      env: fakeModalEnv(dir),
    });
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ ok: true, dryRun: true });
    expect(body.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual([
      "config:ok",
      "modal CLI:ok",
      "Modal token:ok",
      "Modal secrets:ok",
    ]);
    expect(calls(dir).some((c) => c.argv[0] === "deploy")).toBe(false);
    expect(existsSync(join(dir, ".rouse/state.json"))).toBe(false);
  }, 60_000);

  it("no token: preflight fails with the fix and nothing is deployed", async () => {
    const dir = tmp();
    const env = fakeModalEnv(dir);
    delete env.MODAL_TOKEN_ID;
    delete env.MODAL_TOKEN_SECRET;
    const r = await rouse(["deploy", "--preset", "default"], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✗ Modal token");
    expect(r.stderr).toContain("rouse deploy: preflight failed: Modal token");
    expect(r.stderr).toContain("hint: run `modal token new`");
    expect(calls(dir).some((c) => c.argv[0] === "deploy")).toBe(false);
  }, 60_000);

  it("a token from a ~/.modal.toml profile counts", async () => {
    const dir = tmp();
    const env = fakeModalEnv(dir);
    delete env.MODAL_TOKEN_ID;
    delete env.MODAL_TOKEN_SECRET;
    writeFileSync(
      join(env.HOME!, ".modal.toml"),
      '[work]\ntoken_id = "ak-x"\ntoken_secret = "as-x"\nactive = true\n',
    );
    const r = await rouse(["deploy", "--preset", "default", "--dry-run"], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("✓ Modal token    profile 'work' in");
  }, 60_000);

  it("a missing secret fails the preflight with the `modal secret create` to run", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "modal-state.json"),
      JSON.stringify({ apps: [], containers: [], secrets: ["huggingface"] }),
    );
    const r = await rouse(["deploy", "--preset", "default"], {
      cwd: dir,
      env: fakeModalEnv(dir, { FAKE_MODAL_STATE: join(dir, "modal-state.json") }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✗ Modal secrets  missing: rouse-api-key");
    expect(r.stderr).toContain("fix: modal secret create rouse-api-key ROUSE_API_KEY=<api key>");
  }, 60_000);

  it("a failed `modal deploy` exits 1 with modal's error and the tail of its output; nothing is recorded", async () => {
    const dir = tmp();
    const r = await rouse(["deploy", "--preset", "default"], {
      cwd: dir,
      env: fakeModalEnv(dir, { FAKE_MODAL_DEPLOY: "fail" }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--- last lines of modal deploy ---");
    expect(r.stderr).toContain("Created mount /root/app.py");
    expect(r.stderr).toMatch(
      /rouse deploy: modal deploy failed \(exit 1\): Image build for im-FakeRecordedBuild0001 failed/,
    );
    expect(existsSync(join(dir, ".rouse/state.json"))).toBe(false);
  }, 60_000);

  it("an invalid config or a missing --modal-bin fail before anything runs", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "rouse.yaml"),
      "version: 1\nmodel: {id: a/b}\nengine: {kind: vllm}\nscaling: {maxInputs: 0}\n",
    );
    const bad = await rouse(["deploy"], { cwd: dir, env: fakeModalEnv(dir) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("rouse.yaml:4");
    const noBin = await rouse(
      ["deploy", "--preset", "default", "--dry-run", "--modal-bin", "/nonexistent/modal"],
      { cwd: dir, env: fakeModalEnv(dir) },
    );
    expect(noBin.code).toBe(1);
    expect(noBin.stderr).toContain("✗ modal CLI      --modal-bin /nonexistent/modal does not exist");
    expect((await rouse(["deploy", "a.yaml", "b.yaml"], { cwd: dir, env: fakeModalEnv(dir) })).code).toBe(2);
  }, 60_000);
});

describe.skipIf(!hasPython)("rouse deploy (the real modal CLI, offline)", () => {
  it("with a token Modal refuses, the secrets check fails with a clear line — no deploy is attempted", async () => {
    const server = await authRefuser();
    const dir = tmp();
    const r = await rouse(["deploy", "--preset", "default", "--modal-bin", REAL_MODAL], {
      cwd: dir,
      env: cleanEnv({
        MODAL_SERVER_URL: server.url,
        MODAL_TOKEN_ID: "ak-fake",
        MODAL_TOKEN_SECRET: "as-fake",
      }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✓ modal CLI      1.6.4");
    expect(r.stderr).toMatch(
      /✗ Modal secrets {2}listing Modal secrets: Modal refused the token \(Token validation failed/,
    );
    expect(r.stderr).toContain("rouse deploy: preflight failed: Modal secrets");
  }, 60_000);
});
