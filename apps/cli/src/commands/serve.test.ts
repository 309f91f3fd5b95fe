import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STANDIN_PATH } from "../../../../tools/engine-standin/spawn.ts";
import { cleanEnv, collect, spawnRouse, rouse, tmp, until } from "../test/processes.ts";

// `rouse serve --local` and `rouse status --local` as real processes. The engine is
// the STAND-IN ENGINE (tools/engine-standin: a vLLM imitation, not an engine),
// named in the config's local.executable, so the plugin's own argv reaches it.

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

function project(): string {
  const dir = tmp("rouse-serve-");
  writeFileSync(
    join(dir, "rouse.yaml"),
    [
      "version: 1",
      "name: tiny",
      "model: { id: standin/tiny, servedName: [tiny] }",
      "engine: { kind: vllm }",
      "scaling: { scaledownWindow: 2 }",
      "local:",
      "  scaleToZero: sleep",
      `  executable: ["${process.execPath}", "${STANDIN_PATH}", "--engine", "vllm", "--load-ms=100", "--token-ms=2"]`,
      "",
    ].join("\n"),
  );
  return dir;
}

describe("rouse serve --local", () => {
  it("serves the config's engine, scales it to zero when idle, wakes it, and `rouse status --local` shows it", async () => {
    const dir = project();
    const env = cleanEnv();
    const child = spawnRouse(["serve", "--local", "--port", "0"], { cwd: dir, env });
    const done = collect(child, 60_000);
    stops.push(async () => {
      child.kill("SIGTERM");
      await done.catch(() => {});
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    await until(() => out, /rouse serve --local on http:\/\/127\.0\.0\.1:\d+/);
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    await until(() => out, /tiny {2}starting → ready/);
    // The playground's URL, and the page and its fleet feed behind it.
    expect(out).toContain(`playground  ${url}/`);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>rouse playground</title>");
    const fleet = (await (await fetch(`${url}/api/v1/fleet`)).json()) as {
      upstreams: { name: string; kind: string; state: string }[];
    };
    expect(fleet.upstreams).toMatchObject([{ name: "tiny", kind: "local", state: "ready" }]);

    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 3 }),
    });
    expect(chat.status).toBe(200);
    await until(() => out, /falling-asleep → sleeping/, 20_000);

    const status = await rouse(["status", "--local"], { cwd: dir, env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("tiny  sleeping");
    expect(status.stdout).toMatch(/mode {7}sleep after 2 s idle/);
    expect(status.stdout).toMatch(/cold start 1× p50 \d+ ms/);
    const json = JSON.parse((await rouse(["status", "--local", "--json"], { cwd: dir, env })).stdout) as {
      engines: { name: string; state: string }[];
    };
    expect(json.engines.map((e) => [e.name, e.state])).toEqual([["tiny", "sleeping"]]);

    const again = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 3 }),
    });
    expect(again.status).toBe(200);
    expect(out).toMatch(/sleeping → waking/);

    child.kill("SIGINT");
    const exited = await done;
    expect(exited.code).toBe(0);
    expect(exited.stdout).toMatch(/→ stopped/);
    expect(existsSync(join(dir, ".rouse/local-server.json"))).toBe(false);
  }, 60_000);

  it("refuses without --local, and names the config and the fix when a set cannot run", async () => {
    const dir = project();
    const noLocal = await rouse(["serve"], { cwd: dir });
    expect(noLocal.code).toBe(2);
    expect(noLocal.stderr).toContain("only --local is supported");
    writeFileSync(
      join(dir, "b.yaml"),
      "version: 1\nname: tiny\nmodel: { id: x/y, servedName: [tiny] }\nengine: { kind: sglang }\nlocal: { scaleToZero: suspend }\n",
    );
    const clash = await rouse(["serve", "--local", "rouse.yaml", "b.yaml", "--port", "0"], { cwd: dir });
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("rouse.yaml, b.yaml: the engine name 'tiny' is used more than once");
    expect(clash.stderr).toContain("fix: give each config its own `name:`");
    expect(clash.stderr).toContain(
      "b.yaml: local.scaleToZero is 'suspend', but SGLang is not known to survive",
    );
  }, 60_000);
});
