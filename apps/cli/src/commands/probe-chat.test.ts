// rouse probe and rouse chat against real local servers: the stand-in engine
// (tools/engine-standin, a real process), the rouse gateway (apps/api, a real process),
// and a stand-in of a rouse app in front of the engine that records request bodies.
// chat is driven through a stdin pipe (signals for Ctrl-C) and through a real
// pseudo-terminal (keystrokes).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../tools/engine-standin/spawn.ts";
import {
  BIN,
  cleanEnv,
  GATEWAY_KEY,
  gateway,
  spawnRouse,
  standinEngine,
  stopAll,
  rouse,
  tmp,
  track,
  until,
  collect,
} from "../test/processes.ts";
import { type StandinApp, startStandinApp } from "../test/standin-app.ts";

afterAll(stopAll);

let engine: { baseUrl: string };
let slow: { baseUrl: string };
let app: StandinApp;
beforeAll(async () => {
  engine = await standinEngine();
  slow = await standinEngine(["--token-ms", "40"]);
  app = await startStandinApp({ engineUrl: slow.baseUrl });
  track(() => app.close());
}, 60_000);

describe("rouse probe", () => {
  it("health, models and one streamed chat: TTFT and tokens/s (text and --json)", async () => {
    const dir = tmp();
    const text = await rouse(["probe", "--url", engine.baseUrl, "--max-tokens", "12"], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`✓ ${engine.baseUrl} answers`);
    expect(text.stdout).toContain("models     qwen, llm");
    expect(text.stdout).toMatch(/TTFT {7}\d+ ms/);
    expect(text.stdout).toMatch(/tokens {5}12 in [\d.]+ s · [\d.]+ tok\/s after the first/);

    const json = await rouse(
      ["probe", "--url", engine.baseUrl, "--max-tokens", "12", "--model", "llm", "--json"],
      { cwd: dir },
    );
    const body = JSON.parse(json.stdout);
    expect(body).toMatchObject({
      url: engine.baseUrl,
      models: ["qwen", "llm"],
      model: "llm",
      ready: { attempts: 1, status: 200 },
    });
    expect(body.chat).toMatchObject({
      outputTokens: 12,
      tokenCounts: "usage",
      promptTokens: 8,
      bootHeader: null,
    });
    expect(body.chat.ttftMs).toBeGreaterThan(0);
    // 12 tokens at 5 ms each: tokens/s after the first is about 200, never above a few thousand.
    expect(body.chat.tokensPerS).toBeGreaterThan(20);
    expect(body.chat.tokensPerS).toBeLessThan(2000);
    expect(body.chat.e2eMs).toBeGreaterThanOrEqual(body.chat.ttftMs);
  }, 30_000);

  it("waits out a cold start (the engine binds its port only once loaded) and reports the wait", async () => {
    const late = await standinEngine(["--load-ms", "4000"], false);
    const r = await rouse(["probe", "--url", late.baseUrl, "--json", "--max-tokens", "4"], { cwd: tmp() });
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.ready.attempts).toBeGreaterThan(1);
    expect(body.ready.elapsedMs).toBeGreaterThan(1000);
  }, 30_000);

  it("shows whether the container was restored from a snapshot (x-rouse-boot), and reads /rouse/boot", async () => {
    const r = await rouse(["probe", "--url", app.url, "--json", "--max-tokens", "3"], { cwd: tmp() });
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.chat.bootHeader).toBe("cold");
    expect(body.boot).toMatchObject({
      app: "rouse-qwen3-8b",
      restored: false,
      phases: { guard_ready: expect.any(Number) },
    });
  }, 30_000);

  it("an API key: refused without it (one line + hint), accepted from --api-key-env", async () => {
    const keyed = await standinEngine(["--api-key", "sk-secret"]);
    const no = await rouse(["probe", "--url", keyed.baseUrl], { cwd: tmp() });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain("rouse probe: listing models: the server refused the API key (HTTP 401)");
    expect(no.stderr).toContain("hint: pass --api-key KEY");
    const yes = await rouse(
      ["probe", "--url", keyed.baseUrl, "--api-key-env", "MY_KEY", "--max-tokens", "3"],
      {
        cwd: tmp(),
        env: cleanEnv({ MY_KEY: "sk-secret" }),
      },
    );
    expect(yes.code, yes.stderr).toBe(0);
    const unset = await rouse(["probe", "--url", keyed.baseUrl, "--api-key-env", "NOT_SET"], { cwd: tmp() });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain("--api-key-env NOT_SET: the variable is not set");
  }, 30_000);

  it("through the rouse gateway (apps/api, a real process) with its key and --health-path /readyz", async () => {
    const gw = await gateway(engine.baseUrl, ["qwen", "llm"]);
    const ok = await rouse(
      [
        "probe",
        "--url",
        gw.url,
        "--health-path",
        "/readyz",
        "--api-key",
        GATEWAY_KEY,
        "--max-tokens",
        "5",
        "--json",
      ],
      { cwd: tmp() },
    );
    expect(ok.code, `${ok.stderr}\n${gw.output()}`).toBe(0);
    expect(JSON.parse(ok.stdout).chat.outputTokens).toBe(5);
    const denied = await rouse(["probe", "--url", gw.url, "--health-path", "/readyz"], { cwd: tmp() });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("refused the API key (HTTP 401)");
  }, 60_000);

  it("nothing listening: gives up after --timeout with one line and a hint; bad flags are usage errors", async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await rouse(["probe", "--url", `http://127.0.0.1:${port}`, "--timeout", "2"], { cwd: tmp() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`rouse probe: http://127.0.0.1:${port}/health did not answer 2xx within 2.0s`);
    expect(r.stderr).toContain("hint: a first cold start can take minutes");
    // The 2 s deadline, not the 900 s default (the CLI's own start from source takes seconds on a
    // loaded machine, hence the margin).
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await rouse(["probe", "--url", "ftp://x"], { cwd: tmp() })).code).toBe(2);
    expect((await rouse(["probe", "--url", engine.baseUrl, "--max-tokens", "0"], { cwd: tmp() })).code).toBe(
      2,
    );
    const none = await rouse(["probe"], { cwd: tmp() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("which app?");
  }, 60_000); // four CLI runs from source
});

type Message = { role: string; content: string };
const chats = () =>
  app.bodies.filter(
    (b): b is { messages: Message[] } => typeof b === "object" && b !== null && "messages" in b,
  );

describe("rouse chat (stdin pipe)", () => {
  it("multi-turn with --system, /reset, and /exit", async () => {
    const before = chats().length;
    const r = await rouse(["chat", "--url", app.url, "--system", "Be brief.", "--max-tokens", "4"], {
      cwd: tmp(),
      input: "first question\nsecond question\n/reset\nthird question\n/exit\n",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("rouse stand-in engine says");
    expect(r.stderr).toContain("(conversation reset)");
    expect(r.stderr.match(/\(4 tokens · TTFT \d+ ms/g)?.length).toBe(3);
    const sent = chats()
      .slice(before)
      .map((b) => b.messages.map((m) => `${m.role}:${m.content}`));
    expect(sent).toEqual([
      ["system:Be brief.", "user:first question"],
      [
        "system:Be brief.",
        "user:first question",
        "assistant:rouse stand-in engine says",
        "user:second question",
      ],
      ["system:Be brief.", "user:third question"],
    ]);
  }, 30_000);

  it("Ctrl-C (SIGINT) while an answer streams stops that answer, not the session; Ctrl-D ends it", async () => {
    const before = chats().length;
    const child = spawnRouse(["chat", "--url", app.url, "--max-tokens", "120"], {
      cwd: tmp(),
      env: cleanEnv(),
    });
    const done = collect(child, 30_000);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      err += d;
    });
    await until(() => err, "chatting with");
    child.stdin!.write("tell me a long story\n");
    await until(() => out, "engine says hello");
    child.kill("SIGINT");
    await until(() => err, "(answer stopped)");
    child.stdin!.write("and now a short one\n");
    await until(() => err, /\(120 tokens/, 20_000);
    child.stdin!.end(); // Ctrl-D
    const r = await done;
    expect(r.code).toBe(0);
    const second = chats().slice(before)[1]!.messages;
    // The stopped answer's text so far stays in the conversation.
    expect(second.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(second[1]!.content).toMatch(/^rouse stand-in engine says hello/);
    expect(second[1]!.content.split(" ").length).toBeLessThan(120);
  }, 40_000);
});

describe("rouse chat (a real terminal)", () => {
  const exec = promisify(execFile);
  const drive = async (steps: object[]) => {
    const argv = [
      process.execPath,
      "--conditions=@rouse/source",
      BIN,
      "chat",
      "--url",
      app.url,
      "--max-tokens",
      "300",
    ];
    const { stdout } = await exec(
      "python3",
      [join(import.meta.dirname, "../test/pty-drive.py"), JSON.stringify(argv), JSON.stringify(steps)],
      {
        env: { ...cleanEnv(), TERM: "xterm", PTY_TIMEOUT: "30" },
        timeout: 40_000,
      },
    );
    return JSON.parse(stdout) as { output: string; code: number | null; timed_out: boolean };
  };

  it("Ctrl-C stops the answer and gives the prompt back; Ctrl-C at the prompt leaves", async () => {
    const r = await drive([
      { wait: "› " },
      { send: "hello there\r" },
      { wait: "engine says" },
      { send: "\u0003" },
      { wait: "(answer stopped)" },
      { wait: "› " },
      { send: "\u0003" },
    ]);
    expect(r.timed_out, r.output).toBe(false);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("(answer stopped)");
  }, 45_000);

  it("Ctrl-D at the prompt leaves; /exit too", async () => {
    const d = await drive([{ wait: "› " }, { send: "\u0004" }]);
    expect(d.code, d.output).toBe(0);
    const e = await drive([{ wait: "› " }, { send: "/exit\r" }]);
    expect(e.code, e.output).toBe(0);
  }, 45_000);
});
