// /docs in a real headless Chromium (Debian's `chromium`): the page must render the
// OpenAPI document with no network beyond the gateway itself. Skipped when no
// Chromium is installed, except under ROUSE_REQUIRE_BROWSER=1 (CI installs it), where
// a missing browser is a failure.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../gateway.ts";
import { type RunningServer, startServer } from "../server.ts";
import { FakeUpstream } from "../test/fake-upstream.ts";

const run = promisify(execFile);
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--virtual-time-budget=10000",
];

it.runIf(!CHROMIUM && process.env.ROUSE_REQUIRE_BROWSER === "1")("Chromium is installed (ROUSE_REQUIRE_BROWSER=1)", () => {
  expect(CHROMIUM, "install Debian's chromium package: apt-get install -y chromium").toBeDefined();
});

describe.skipIf(!CHROMIUM)("/docs in headless Chromium", () => {
  let srv: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), "rouse-docs-"));
  beforeAll(async () => {
    const gw = createGateway(
      { version: 1, auth: { allowNoAuthOnLoopback: true } },
      { log: () => {}, upstreams: [new FakeUpstream("a", ["m"])] },
    );
    srv = await startServer(gw, { host: "127.0.0.1", port: 0, log: () => {} });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("renders every operation and schema from /openapi.json", { timeout: 90_000 }, async () => {
    const { stdout } = await run(
      CHROMIUM!,
      [...FLAGS, `--user-data-dir=${join(dir, "profile-dom")}`, "--dump-dom", `${srv.url}/docs`],
      { timeout: 80_000, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout).toContain('data-rendered="true"');
    expect(stdout).toContain("rouse server 1.0.0");
    for (const path of [
      "/v1/chat/completions",
      "/api/v1/validate",
      "/api/v1/render",
      "/api/v1/upstreams",
      "/metrics",
    ]) {
      expect(stdout).toContain(`>${path}<`);
    }
    expect(stdout).toContain("ValidateResponse");
    expect(stdout).toContain('<p id="error"></p>');
  });

  it("takes a screenshot of the page", { timeout: 90_000 }, async () => {
    const shot = join(dir, "docs.png");
    await run(
      CHROMIUM!,
      [
        ...FLAGS,
        `--user-data-dir=${join(dir, "profile-shot")}`,
        "--window-size=1280,1000",
        `--screenshot=${shot}`,
        `${srv.url}/docs`,
      ],
      { timeout: 80_000 },
    );
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });
});
