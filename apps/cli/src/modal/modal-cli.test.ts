// The real `modal` CLI (python/.venv, modal==1.6.4), run offline: what rouse relies on
// in its commands and flags, and how it fails without a token, with a refused token
// (a local gRPC server that answers UNAUTHENTICATED) and with a dead server address.
// Nothing here reaches Modal.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIo } from "../test/io.ts";
import {
  authRefuser,
  cleanEnv,
  hasPython,
  PYTHON,
  REAL_MODAL,
  REPO,
  stopAll,
  tmp,
} from "../test/processes.ts";
import { type ModalCli, modalError, modalFailure, modalVersion, runModal } from "./cli.ts";
import { parseDeployOutput } from "./deploy-output.ts";
import { TESTED_MODAL_VERSION } from "./preflight.ts";

afterAll(stopAll);
const real: ModalCli = { bin: REAL_MODAL, source: "python/.venv" };
const TRANSCRIPTS = join(REPO, "apps/cli/src/__fixtures__/modal-transcripts");

describe.skipIf(!hasPython)("the real modal CLI, offline", () => {
  it("is the tested version, and has every command and flag rouse calls", async () => {
    const io = memoryIo(tmp(), cleanEnv()).io;
    expect(await modalVersion(real, io)).toBe(TESTED_MODAL_VERSION);
    const help = async (...args: string[]) => (await runModal(real, [...args, "--help"], io)).stdout;
    expect(await help("deploy")).toMatch(/--env[\s\S]*--tag/);
    for (const [cmd, flags] of [
      [["app", "list"], ["--json"]],
      [["app", "stop"], ["--yes"]],
      [
        ["app", "logs"],
        ["--follow", "--tail", "--since", "--search"],
      ],
      [
        ["container", "list"],
        ["--app-id", "--json"],
      ],
      [["container", "stop"], ["--yes"]],
      [["secret", "list"], ["--json"]],
    ] as const) {
      const text = await help(...cmd);
      for (const flag of flags) expect(text, `modal ${cmd.join(" ")} ${flag}`).toContain(flag);
    }
  }, 30_000);

  it("without a token it fails at once, and rouse says no token is configured", async () => {
    const io = memoryIo(tmp(), cleanEnv()).io;
    const result = await runModal(real, ["secret", "list", "--json"], io, { traceback: true });
    expect(result.exitCode).toBe(1);
    expect(result.durationMs).toBeLessThan(15_000);
    expect(modalError(result)?.kind).toBe("AuthError");
    const failure = modalFailure(result, "listing Modal secrets", io.env);
    expect(failure.message).toBe("listing Modal secrets: no Modal token is configured");
    expect(failure.hint).toContain("modal token new");
  }, 30_000);

  it("a refused token (local gRPC server answering UNAUTHENTICATED): rouse says Modal refused it", async () => {
    const server = await authRefuser();
    const io = memoryIo(
      tmp(),
      cleanEnv({ MODAL_SERVER_URL: server.url, MODAL_TOKEN_ID: "ak-fake", MODAL_TOKEN_SECRET: "as-fake" }),
    ).io;
    const result = await runModal(real, ["container", "list", "--json"], io, { traceback: true });
    expect(result.exitCode).toBe(1);
    expect(modalError(result)).toEqual({
      kind: "AuthError",
      message: expect.stringContaining("every token is refused"),
    });
    expect(modalFailure(result, "listing containers", io.env).message).toMatch(
      /^listing containers: Modal refused the token/,
    );
  }, 30_000);

  it("a dead server address: the CLI retries for ~60 s, rouse's timeout ends it with one clear line", async () => {
    const io = memoryIo(
      tmp(),
      cleanEnv({
        MODAL_SERVER_URL: "http://127.0.0.1:9",
        MODAL_TOKEN_ID: "ak-fake",
        MODAL_TOKEN_SECRET: "as-fake",
      }),
    ).io;
    const result = await runModal(real, ["secret", "list", "--json"], io, {
      traceback: true,
      timeoutMs: 2500,
    });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(8000);
    const failure = modalFailure(result, "listing Modal secrets", io.env);
    expect(failure.message).toBe(
      "listing Modal secrets: `modal secret list --json` got no answer from Modal (http://127.0.0.1:9) within 2.5 s",
    );
  }, 30_000);
});

describe("modal deploy output", () => {
  it("the recorded transcripts (rendered by the SDK's own output code) give the web URL and the dashboard", () => {
    for (const file of ["deploy.wide.stdout.txt", "deploy.narrow.stdout.txt"]) {
      const parsed = parseDeployOutput(readFileSync(join(TRANSCRIPTS, file), "utf8"));
      expect(parsed).toEqual({
        deployed: true,
        unchanged: false,
        seconds: 41.337,
        webUrls: [
          {
            label: "serve",
            url: "https://rouse-user--rouse-qwen3-8b-vllmserver-serve.modal.run",
            authenticated: false,
          },
        ],
        dashboardUrl: "https://modal.com/apps/rouse-user/main/deployed/rouse-qwen3-8b",
      });
    }
  });

  it.skipIf(!hasPython)(
    "a long URL that rich wraps at 80 columns is joined; with rouse's COLUMNS it is not wrapped at all",
    async () => {
      const exec = promisify(execFile);
      const render = (columns: string | undefined) =>
        exec(PYTHON, [join(TRANSCRIPTS, "render.py"), "deploy"], {
          env: {
            ...cleanEnv(),
            RENDER_APP: "rouse-a-very-long-application-name-for-wrapping",
            ...(columns ? { COLUMNS: columns } : {}),
          },
        });
      const narrow = (await render(undefined)).stdout;
      const url =
        "https://rouse-user--rouse-a-very-long-application-name-for-wrapping-vllmserver-serve.modal.run";
      expect(narrow).not.toContain(url);
      const dashboard =
        "https://modal.com/apps/rouse-user/main/deployed/rouse-a-very-long-application-name-for-wrapping";
      expect(parseDeployOutput(narrow)).toMatchObject({
        webUrls: [{ label: "serve", url, authenticated: false }],
        dashboardUrl: dashboard,
      });
      const wide = (await render("400")).stdout;
      expect(wide).toContain(url);
      expect(parseDeployOutput(wide)).toMatchObject({
        webUrls: [{ label: "serve", url, authenticated: false }],
        dashboardUrl: dashboard,
      });
    },
    20_000,
  );

  it("servers, web functions, authenticated endpoints and no-op deploys", () => {
    const server = parseDeployOutput(
      "✓ Created objects.\n└── ✓ Created Server VllmServer\n    └── https://ws--app-vllmserver.modal.run 🔑\n✓ Deployment skipped: no changes detected! ⏭️\n\nView Deployment: https://modal.com/apps/ws/main/deployed/app\n",
    );
    expect(server).toMatchObject({
      deployed: true,
      unchanged: true,
      webUrls: [{ label: "VllmServer", url: "https://ws--app-vllmserver.modal.run", authenticated: true }],
    });
    const fn = parseDeployOutput(
      "└── ✓ Created Function serve\n    └── https://ws--app-serve.modal.run (unauthenticated)\n✓ App deployed in 3.2s! 🎉\n",
    );
    expect(fn.webUrls).toEqual([
      { label: "serve", url: "https://ws--app-serve.modal.run", authenticated: false },
    ]);
    expect(parseDeployOutput("Error: something").deployed).toBe(false);
  });
});
