import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { answer, type FakeEngine, hang, startFakeEngine, unavailable } from "./test-server.ts";

// The fake upstream's own fault injection (the gateway's tests lean on it): each fault is
// checked from the outside, over a real socket, with plain fetch.

const engines: FakeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
async function start(options: Parameters<typeof startFakeEngine>[0] = {}): Promise<FakeEngine> {
  const engine = await startFakeEngine(options);
  engines.push(engine);
  return engine;
}
const chat = (engine: FakeEngine, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  fetch(`${engine.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: engine.model, messages: [], ...extra }),
  });

describe("the fake upstream's faults", () => {
  it("tokens: N filler tokens cut by max_tokens, finish_reason length; counted as completed", async () => {
    const engine = await start({ tokens: 6 });
    const whole = (await (await chat(engine)).json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    expect(whole.choices[0]!.message.content).toBe("The quick brown fox jumps over");
    expect(whole.choices[0]!.finish_reason).toBe("length");
    const cut = (await (await chat(engine, { max_tokens: 2 })).json()) as typeof whole;
    expect(cut.choices[0]!.message.content).toBe("The quick");
    expect(engine.stats.completed).toBe(2);
  });

  it("refuseForMs: connections are refused, then the same port answers", async () => {
    // Long enough that the first fetch lands inside it on a loaded machine.
    const engine = await start({ refuseForMs: 1_500 });
    await expect(fetch(`${engine.url}/health`)).rejects.toThrow();
    await expect.poll(async () => (await fetch(`${engine.url}/health`).catch(() => undefined))?.status, { timeout: 5_000 }).toBe(200);
  });

  it("loadingForMs: 503 loading (health included) for a while, then ready", async () => {
    // Long enough that both requests below land inside it on a loaded machine.
    const engine = await start({ loadingForMs: 1_500 });
    expect((await fetch(`${engine.url}/health`)).status).toBe(503);
    expect((await chat(engine)).status).toBe(503);
    await expect.poll(async () => (await fetch(`${engine.url}/health`)).status, { timeout: 5_000 }).toBe(200);
  });

  it("dieAfterTokens: every stream is cut after N answer tokens, the tokens before it arrive", async () => {
    const engine = await start({ tokens: 10, dieAfterTokens: 3, chunkDelayMs: 2 });
    const res = await chat(engine, { stream: true });
    let text = "";
    const failed = await (async () => {
      for await (const part of res.body!) text += Buffer.from(part).toString();
    })().then(
      () => false,
      () => true,
    );
    expect(failed).toBe(true);
    const contents = [...text.matchAll(/"content":"([^"]+)"/g)].map((m) => m[1]);
    expect(contents.join("")).toBe("The quick brown");
    expect(engine.stats.completed).toBe(0);
    await expect.poll(() => engine.stats.aborted).toBe(1);
  });

  it("stop/start: refused while stopped, the same port after", async () => {
    const engine = await start();
    await engine.stop();
    await expect(fetch(`${engine.url}/health`)).rejects.toThrow();
    await engine.start();
    expect((await fetch(`${engine.url}/health`)).status).toBe(200);
  });

  it("behave: a raw handler answers all but /health; hang holds until releaseAll; bodies and credentials are recorded", async () => {
    const engine = await start({ behave: unavailable });
    engine.health = 204;
    expect((await fetch(`${engine.url}/health`)).status).toBe(204);
    expect((await chat(engine, {}, { authorization: "Bearer up" })).status).toBe(503);
    engine.behave = hang(engine);
    const pending = chat(engine, { poison: true });
    await expect.poll(() => engine.held.length).toBe(1);
    engine.releaseAll();
    expect(((await (await pending).json()) as { choices: unknown[] }).choices).toHaveLength(1);
    engine.behave = answer;
    expect((await chat(engine)).status).toBe(200);
    expect(engine.bodies).toHaveLength(3);
    expect(engine.bodies[1]).toContain("poison");
    expect(engine.stats.authorizations).toEqual(["Bearer up", "", ""]);
  });

  it("nextAbort resolves when a client hangs up mid-stream", async () => {
    const engine = await start({ tokens: 1000, chunkDelayMs: 5 });
    const controller = new AbortController();
    const aborted = engine.nextAbort();
    const res = await fetch(`${engine.baseURL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: engine.model, messages: [], stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await aborted;
    expect(engine.stats.aborted).toBe(1);
  });

  it("runs as its own process: prints its URL, serves, stops on SIGTERM", async () => {
    const script = fileURLToPath(new URL("./test-server.ts", import.meta.url));
    const child = spawn(process.execPath, [script, "--port", "0", "--model", "standin", "--tokens", "3"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(d.toString())));
      const { url } = JSON.parse(line) as { url: string };
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "standin", messages: [] }),
      });
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(
        "The quick brown",
      );
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });
});
