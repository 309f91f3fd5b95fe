import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { deploymentJsonSchema, presets } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { memoryIo } from "../test/io.ts";

const run = async (args: string[], cwd: string) => {
  const m = memoryIo(cwd);
  const code = await main(args, m.io);
  return { code, out: m.out(), err: m.err() };
};
const tmp = () => mkdtempSync(join(tmpdir(), "rouse-cli-"));

describe("rouse init", () => {
  it("writes a valid rouse.yaml from flags, and never overwrites without --force", async () => {
    const dir = tmp();
    const first = await run(["init", "--model", "Qwen/Qwen3-8B", "--engine", "sglang", "--name", "my-app"], dir);
    expect(first.code).toBe(0);
    const text = readFileSync(join(dir, "rouse.yaml"), "utf8");
    expect(text).toContain("kind: sglang");
    expect((await run(["validate", "--quiet"], dir)).code).toBe(0);

    const again = await run(["init", "--model", "other/model"], dir);
    expect(again.code).toBe(1);
    expect(again.err).toContain("already exists");
    expect(readFileSync(join(dir, "rouse.yaml"), "utf8")).toBe(text);

    expect((await run(["init", "--model", "other/model", "--force"], dir)).code).toBe(0);
    expect(readFileSync(join(dir, "rouse.yaml"), "utf8")).toContain("other/model");
  });

  it("writes every preset, and each validates", async () => {
    for (const preset of presets) {
      const dir = tmp();
      expect((await run(["init", "--preset", preset.name], dir)).code).toBe(0);
      const v = await run(["validate", "--json"], dir);
      expect(v.code).toBe(0);
      expect(JSON.parse(v.out).ok).toBe(true);
    }
  });

  it("refuses bad input without leaving a file behind", async () => {
    const dir = tmp();
    const bad = await run(["init", "--model", "x'; rm -rf /"], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("model.id");
    expect(existsSync(join(dir, "rouse.yaml"))).toBe(false);
    const usage = await run(["init"], dir);
    expect(usage.code).toBe(2);
    expect((await run(["init", "--preset", "nope"], dir)).code).toBe(2);
  });
});

describe("rouse validate", () => {
  it("prints issues with file:line:col and the fix, exit 1", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "rouse.yaml"), "version: 1\nmodel: {id: a/b}\nengine:\n  kind: vllm\n  fastbot: true\n");
    const r = await run(["validate"], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("rouse.yaml:5:3 error engine.fastbot: unknown key 'fastbot' (did you mean 'fastBoot'?)");
    expect(r.err).toContain("fix: rename it to 'fastBoot'");
  });

  it("--json gives machine-readable issues", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "c.yaml"), "version: 1\nmodel: {id: a/b}\nengine: {kind: vllm}\nscaling: {maxInputs: 0}\n");
    const r = await run(["validate", "c.yaml", "--json"], dir);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.out);
    expect(body.ok).toBe(false);
    expect(body.issues[0]).toMatchObject({ path: ["scaling", "maxInputs"], line: 4 });
  });

  it("a missing file is a failure with a hint; an unknown flag is a usage error", async () => {
    const dir = tmp();
    const missing = await run(["validate"], dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("hint: create one with `rouse init`");
    expect((await run(["validate", "--bogus"], dir)).code).toBe(2);
  });
});

describe("rouse schema, presets, help", () => {
  it("schema prints the exported JSON Schema", async () => {
    const r = await run(["schema"], tmp());
    expect(JSON.parse(r.out)).toEqual(deploymentJsonSchema());
  });

  it("presets --json lists every preset with engine and GPU", async () => {
    const r = await run(["presets", "--json"], tmp());
    const names = JSON.parse(r.out).presets.map((p: { name: string }) => p.name);
    expect(names).toEqual(presets.map((p) => p.name));
  });

  it("every command has --help, and unknown commands exit 2", async () => {
    for (const name of ["init", "validate", "schema", "presets"]) {
      const r = await run([name, "--help"], tmp());
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: rouse ${name}`);
    }
    expect((await run(["frobnicate"], tmp())).code).toBe(2);
    expect((await run([], tmp())).code).toBe(2);
  });
});

describe("the real binary", () => {
  it("runs from source on Node with the exit codes it documents", async () => {
    const bin = join(import.meta.dirname, "../bin.ts");
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, ["--conditions=@rouse/source", bin, "--version"]);
    expect(ok.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const failed = await exec(process.execPath, ["--conditions=@rouse/source", bin, "validate"], { cwd: tmp() }).catch((e) => e);
    expect(failed.code).toBe(1);
  });
});
