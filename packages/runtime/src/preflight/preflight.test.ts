import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findExecutable } from "./executable.ts";
import { detectGpu } from "./gpu.ts";
import { modelPathProblem } from "./model-path.ts";
import { bindProbe, listenersOn } from "./port.ts";

const dir = mkdtempSync(join(tmpdir(), "rouse-preflight-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("findExecutable", () => {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "engine"), "#!/bin/sh\n");
  chmodSync(join(bin, "engine"), 0o755);
  writeFileSync(join(bin, "not-exec"), "");

  it("a path is checked as is, and named when it cannot run", () => {
    expect(findExecutable(join(bin, "engine"))).toEqual({ path: join(bin, "engine") });
    expect(findExecutable(join(bin, "nope"))).toEqual({ missing: `${join(bin, "nope")} does not exist` });
    expect(findExecutable(join(bin, "not-exec"))).toEqual({
      missing: `${join(bin, "not-exec")} is not executable`,
    });
    expect(findExecutable(bin)).toEqual({ missing: `${bin} is not a file` });
    expect(findExecutable("./bin/engine", {}, dir)).toEqual({ path: join(bin, "engine") });
  });

  it("a bare name is searched on PATH", () => {
    expect(findExecutable("engine", { PATH: `/nonexistent:${bin}` })).toEqual({ path: join(bin, "engine") });
    expect(findExecutable("not-exec", { PATH: bin })).toEqual({
      missing: "'not-exec' is not on PATH (1 directories searched)",
    });
  });
});

describe("modelPathProblem", () => {
  it("hub ids pass; local paths must be model directories", () => {
    const model = join(dir, "model");
    mkdirSync(model);
    expect(modelPathProblem("Qwen/Qwen3-8B")).toBeUndefined();
    expect(modelPathProblem(model)).toMatch(/has no config\.json/);
    writeFileSync(join(model, "config.json"), "{}");
    expect(modelPathProblem(model)).toBeUndefined();
    expect(modelPathProblem("./model", dir)).toBeUndefined();
    expect(modelPathProblem(join(model, "config.json"))).toMatch(/is not a directory/);
    expect(modelPathProblem(join(dir, "gone"))).toBe(
      `model.id is the local path ${join(dir, "gone")}, which does not exist`,
    );
  });
});

describe("detectGpu", () => {
  it("reads device nodes; ROUSE_LOCAL_GPU overrides", () => {
    const dev = join(dir, "dev");
    mkdirSync(dev);
    expect(detectGpu({}, dev).present).toBe(false);
    writeFileSync(join(dev, "nvidiactl"), "");
    expect(detectGpu({}, dev).present).toBe(false); // the control node alone is no GPU
    writeFileSync(join(dev, "nvidia0"), "");
    expect(detectGpu({}, dev)).toEqual({ present: true, how: `1 NVIDIA device(s) in ${dev}` });
    expect(detectGpu({ ROUSE_LOCAL_GPU: "absent" }, dev)).toEqual({
      present: false,
      how: "ROUSE_LOCAL_GPU=absent",
    });
    expect(detectGpu({ ROUSE_LOCAL_GPU: "Present" }, join(dir, "none")).present).toBe(true);
    expect(detectGpu({ ROUSE_LOCAL_GPU: "maybe" }, join(dir, "none")).present).toBe(false);
  });
});

describe.skipIf(process.platform !== "linux")("ports (Linux: /proc)", () => {
  it("a taken port fails the bind probe, and /proc names this process as its listener", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await bindProbe("127.0.0.1", port)).toBe("EADDRINUSE");
      expect(listenersOn(port)).toContainEqual(expect.objectContaining({ pid: process.pid }));
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await bindProbe("127.0.0.1", port)).toBeUndefined();
    expect(listenersOn(port)).toEqual([]);
  });
});
