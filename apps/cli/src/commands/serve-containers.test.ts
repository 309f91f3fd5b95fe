import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { STANDIN_PATH } from "../../../../tools/engine-standin/spawn.ts";
import { matchDeployments } from "../modal/container-stats.ts";
import type { DeploymentRecord } from "../state.ts";
import {
  authRefuser,
  cleanEnv,
  collect,
  hasPython,
  spawnRouse,
  stopAll,
  tmp,
  until,
} from "../test/processes.ts";

// `rouse serve --local --gateway gateway.yaml`: a gateway upstream that is a
// deployment recorded in .rouse/state.json gets its Modal containers on the fleet
// view, asked through Modal's real JavaScript SDK — here of a local gRPC server that
// refuses every token (no Modal account in tests), so the fleet shows Modal's refusal.
// The engine is the STAND-IN ENGINE (tools/engine-standin).

const WEB_URL = "https://rouse-user--rouse-qwen3-8b-vllmserver-serve.modal.run";
const record = (over: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  app: "rouse-qwen3-8b",
  webUrl: WEB_URL,
  dashboardUrl: undefined,
  configHash: "0".repeat(64),
  sourceHash: "0".repeat(64),
  configSource: "rouse.yaml",
  appFile: "rouse_app.py",
  endpoint: { kind: "cls", object: "VllmServer", method: "serve" },
  engine: "vllm",
  model: "Qwen/Qwen3-8B",
  deployedAt: "2026-01-01T00:00:00.000Z",
  modalVersion: "1.6.4",
  environment: undefined,
  ...over,
});

describe("matchDeployments", () => {
  it("matches an upstream to a live recorded deployment by origin", () => {
    const live = record();
    const stopped = record({
      app: "old",
      webUrl: "https://old.modal.run",
      stoppedAt: "2026-01-02T00:00:00Z",
    });
    const matched = matchDeployments(
      [
        { name: "with-v1", url: `${WEB_URL}/v1` },
        { name: "stopped", url: "https://old.modal.run/v1" },
        { name: "other", url: "https://elsewhere.example/v1" },
        { name: "lookalike", url: `${WEB_URL}.evil.example/v1` },
      ],
      [live, stopped],
    );
    expect([...matched.keys()]).toEqual(["with-v1"]);
  });
});

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});
afterAll(stopAll);

function project(): string {
  const dir = tmp("rouse-serve-modal-");
  writeFileSync(
    join(dir, "rouse.yaml"),
    [
      "version: 1",
      "name: tiny",
      "model: { id: standin/tiny, servedName: [tiny] }",
      "engine: { kind: vllm }",
      "local:",
      "  scaleToZero: stop",
      `  executable: ["${process.execPath}", "${STANDIN_PATH}", "--engine", "vllm", "--load-ms=100"]`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "gateway.yaml"),
    [
      "version: 1",
      "auth: { allowNoAuthOnLoopback: true }",
      "upstreams:",
      `  - { name: qwen-modal, url: "${WEB_URL}/v1", models: [qwen3-8b] }`,
      "",
    ].join("\n"),
  );
  mkdirSync(join(dir, ".rouse"));
  writeFileSync(
    join(dir, ".rouse/state.json"),
    JSON.stringify({ version: 1, deployments: { "rouse-qwen3-8b": record() } }),
  );
  return dir;
}

type Fleet = { upstreams: { name: string; containers: unknown }[] };

async function serve(dir: string, env: NodeJS.ProcessEnv): Promise<{ url: string; out: () => string }> {
  const child = spawnRouse(["serve", "--local", "--port", "0", "--no-preload", "--gateway", "gateway.yaml"], {
    cwd: dir,
    env,
  });
  const done = collect(child, 60_000);
  stops.push(async () => {
    child.kill("SIGTERM");
    await done.catch(() => {});
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  await until(() => out, /playground {2}http:\/\/127\.0\.0\.1:\d+\//);
  return { url: /playground {2}(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1]!, out: () => out };
}

describe("rouse serve --local: Modal containers on the fleet view", () => {
  it("no token configured: not asked, nothing shown", async () => {
    const { url, out } = await serve(project(), cleanEnv());
    expect(out()).not.toContain("Modal app");
    const fleet = (await (await fetch(`${url}/api/v1/fleet`)).json()) as Fleet;
    expect(fleet.upstreams.map((u) => [u.name, u.containers])).toEqual([
      ["qwen-modal", null],
      ["tiny", null],
    ]);
  }, 60_000);

  it.skipIf(!hasPython)(
    "a token: asks Modal through the SDK and shows its answer (here: the token refused)",
    async () => {
      const refuser = await authRefuser();
      const env = cleanEnv({
        MODAL_SERVER_URL: refuser.url,
        MODAL_TOKEN_ID: "ak-fake",
        MODAL_TOKEN_SECRET: "as-fake",
      });
      const { url, out } = await serve(project(), env);
      expect(out()).toContain("qwen-modal  Modal app rouse-qwen3-8b");
      const fleet = (await (await fetch(`${url}/api/v1/fleet`)).json()) as Fleet;
      expect(fleet.upstreams[0]).toMatchObject({
        name: "qwen-modal",
        containers: {
          error: expect.stringMatching(/asking Modal about rouse-qwen3-8b: Modal refused the token/),
        },
      });
    },
    60_000,
  );
});
