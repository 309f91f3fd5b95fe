import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { presets } from "@rouse/config";
import { installedEngines } from "@rouse/engines";
import { describe, expect, it, vi } from "vitest";
import { main } from "../main.ts";
import { memoryIo } from "../test/io.ts";
import { hasPython, PYTHON, REPO, tmp } from "../test/processes.ts";

const run = async (args: string[], cwd: string) => {
  const m = memoryIo(cwd);
  const code = await main(args, m.io);
  return { code, out: m.out(), err: m.err() };
};

describe("rouse generate", () => {
  it("writes .rouse/<name>/app.py by default, is deterministic, and --check passes until the file changes", async () => {
    const dir = tmp();
    const first = await run(["generate", "--preset", "default"], dir);
    expect(first.code).toBe(0);
    expect(first.out).toContain("wrote .rouse/rouse-qwen3-8b/app.py");
    const path = join(dir, ".rouse/rouse-qwen3-8b/app.py");
    const source = readFileSync(path, "utf8");
    expect(source).toContain('APP_NAME = "rouse-qwen3-8b"');

    const again = await run(["generate", "--preset", "default"], dir);
    expect(again.out).toContain("unchanged:");
    expect(readFileSync(path, "utf8")).toBe(source);
    expect((await run(["generate", "--preset", "default", "--check"], dir)).code).toBe(0);

    writeFileSync(path, `${source}# edited by hand\n`);
    const check = await run(["generate", "--preset", "default", "--check"], dir);
    expect(check.code).toBe(1);
    expect(check.err).toContain("differs from what preset:default generates");
    expect(check.err).toContain("hint: run `rouse generate --preset default`");
    // --check never writes.
    expect(readFileSync(path, "utf8")).toContain("# edited by hand");
  });

  it("-o, --stdout and --json; a missing file fails --check", async () => {
    const dir = tmp();
    expect((await run(["init", "--preset", "qwen3-sglang-snapshot"], dir)).code).toBe(0);
    const missing = await run(["generate", "-o", "out/app.py", "--check"], dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("out/app.py does not exist");

    const json = await run(["generate", "-o", "out/app.py", "--json"], dir);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({
      file: join(dir, "out/app.py"),
      changed: true,
      endpoint: { kind: "cls", method: "serve" },
    });
    const stdout = await run(["generate", "--stdout"], dir);
    expect(stdout.out).toBe(readFileSync(join(dir, "out/app.py"), "utf8"));
    expect((await run(["generate", "--stdout", "--check"], dir)).code).toBe(2);
  });

  it("validates once (one call of the plugin's check) and prints each warning once", async () => {
    const dir = tmp();
    // open_endpoint comes from validation (no apiKey), python_3_10 from codegen.
    writeFileSync(join(dir, "rouse.yaml"), "version: 1\nmodel: {id: a/b}\nengine: {kind: vllm, pythonVersion: '3.10'}\n");
    const vllm = installedEngines.find((p) => p.engine === "vllm")!;
    const check = vi.spyOn(vllm as Required<typeof vllm>, "check");
    try {
      const r = await run(["generate", "--stdout"], dir);
      expect(r.code, r.err).toBe(0);
      expect(check).toHaveBeenCalledTimes(1);
      const warnings = r.err.split("\n").filter((l) => l.includes(" warning "));
      expect(warnings.filter((l) => /^rouse\.yaml:1:1 warning secrets\.apiKey:/.test(l))).toHaveLength(1);
      expect(warnings.filter((l) => l.startsWith("rouse.yaml warning engine.pythonVersion:"))).toHaveLength(1);
      expect(new Set(warnings).size).toBe(warnings.length);
    } finally {
      check.mockRestore();
    }
  });

  it("an invalid config prints the issues and writes nothing", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "rouse.yaml"),
      "version: 1\nmodel: {id: a/b}\nengine: {kind: vllm}\nscaling: {maxInputs: 0}\n",
    );
    const r = await run(["generate"], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("rouse.yaml:4");
    expect((await run(["generate", "--check"], dir)).code).toBe(1);
  });

  it.skipIf(!hasPython)(
    "for every preset, the real modal SDK imports the app, and the endpoint --json reports (from the plan) is the one the SDK registers",
    async () => {
      const exec = promisify(execFile);
      const serverStyle =
        "version: 1\nmodel: {id: Qwen/Qwen3-8B}\nengine: {kind: vllm}\nserving: {style: server}\n";
      const kinds = new Set<string>();
      for (const preset of [...presets.map((p) => p.name), serverStyle]) {
        const dir = tmp();
        const args = preset === serverStyle ? [] : ["--preset", preset];
        if (preset === serverStyle) writeFileSync(join(dir, "rouse.yaml"), serverStyle);
        const r = await run(["generate", ...args, "-o", "app.py", "--json"], dir);
        expect(r.code, r.err).toBe(0);
        const { endpoint } = JSON.parse(r.out) as { endpoint: { kind: string; object: string; method?: string } };
        const { stdout } = await exec(PYTHON, ["-m", "rouse_py.inspect_app", join(dir, "app.py")], {
          cwd: REPO,
        });
        const report = JSON.parse(stdout);
        expect(report.ok, preset).toBe(true);
        expect(report.network_attempts).toEqual([]);
        const app = report.apps[0];
        kinds.add(endpoint.kind);
        // Exactly where the SDK put it: the one web endpoint, or the one server.
        if (endpoint.kind === "cls") expect(app.web_endpoints).toEqual([`${endpoint.object}.${endpoint.method}`]);
        else if (endpoint.kind === "function") expect(app.web_endpoints).toEqual([endpoint.object]);
        else if (endpoint.kind === "server")
          expect(app.servers.map((s: { name: string }) => s.name)).toEqual([endpoint.object]);
        else throw new Error(`unknown endpoint kind in ${preset}'s report: ${endpoint.kind}`);
      }
      expect([...kinds].sort()).toEqual(["cls", "function", "server"]);
    },
    60_000,
  );
});
