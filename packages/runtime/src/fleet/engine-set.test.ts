import { parseDeployment } from "@rouse/config";
import { vllm } from "@rouse/engine-vllm";
import { describe, expect, it } from "vitest";
import { installedEngines } from "@rouse/engines";
import { type EngineEntry, EngineSetError, planMemory, validateEngineSet } from "./engine-set.ts";

function entry(source: string, over: Record<string, unknown> = {}, engine = "vllm"): EngineEntry {
  const {
    engine: e,
    local,
    scaling,
    model,
    ...rest
  } = over as Record<string, Record<string, unknown> | undefined>;
  const config = parseDeployment({
    version: 1,
    name: source.replace(/\.yaml$/, ""),
    model: { id: "org/model", servedName: [source.replace(/\.yaml$/, "")], ...model },
    engine: { kind: engine, ...e },
    ...(local ? { local } : {}),
    ...(scaling ? { scaling } : {}),
    ...rest,
  });
  return { config, source };
}

const plugins = installedEngines;

describe("validateEngineSet", () => {
  it("accepts engines that fit together, and engines that must take turns", () => {
    const fit = [
      entry("a.yaml", { engine: { gpuMemoryUtilization: 0.5 } }),
      entry("b.yaml", { engine: { gpuMemoryUtilization: 0.4 } }),
    ];
    expect(validateEngineSet(fit, plugins)).toEqual([]);
    expect(planMemory(fit)).toEqual({ usage: [0.9], allAwake: true });
    const turns = [entry("a.yaml"), entry("b.yaml")];
    expect(validateEngineSet(turns, plugins)).toEqual([]);
    expect(planMemory(turns)).toMatchObject({ allAwake: false });
  });

  it("names both configs and the fix for duplicate names, served names and ports", () => {
    const a = entry("a.yaml", { name: "same", model: { servedName: ["llm"] }, local: { port: 9000 } });
    const b = entry("b.yaml", {
      name: "same",
      model: { servedName: ["llm", "other"] },
      local: { port: 9000 },
    });
    const issues = validateEngineSet([a, b], plugins);
    expect(issues.map((i) => [i.configs, i.message.split(" ").slice(0, 3).join(" "), i.fix])).toEqual([
      [["a.yaml", "b.yaml"], "the engine name", "give each config its own `name:`"],
      [
        ["a.yaml", "b.yaml"],
        "the served model",
        "set distinct `model.servedName` lists (requests pick an engine by `model`)",
      ],
      [
        ["a.yaml", "b.yaml"],
        "local.port 9000 is",
        "give each a different local.port, or leave it out to get a free port",
      ],
    ]);
  });

  it("refuses a scale-to-zero mode the engine cannot do", () => {
    const issues = validateEngineSet(
      [entry("s.yaml", { local: { scaleToZero: "suspend" } }, "sglang")],
      plugins,
    );
    expect(issues).toEqual([
      expect.objectContaining({
        configs: ["s.yaml"],
        fix: "set local.scaleToZero: sleep (GPU memory released by the engine) or stop",
      }),
    ]);
    const noSleep = { ...vllm, capabilities: { sleep: false, cudaCheckpoint: false } };
    expect(validateEngineSet([entry("v.yaml")], [noSleep])[0]).toMatchObject({
      fix: "set local.scaleToZero: stop",
    });
  });

  it("refuses always-awake engines that overfill a GPU, and engines that could never wake beside them", () => {
    const pinned = (s: string, u: number) =>
      entry(s, { engine: { gpuMemoryUtilization: u }, scaling: { minContainers: 1 } });
    const over = validateEngineSet([pinned("a.yaml", 0.6), pinned("b.yaml", 0.6)], plugins);
    expect(over).toHaveLength(1);
    expect(over[0]!.configs).toEqual(["a.yaml", "b.yaml"]);
    expect(over[0]!.message).toContain("together need 1.2");
    const never = validateEngineSet(
      [pinned("a.yaml", 0.6), entry("c.yaml", { engine: { gpuMemoryUtilization: 0.5 } })],
      plugins,
    );
    expect(never).toEqual([expect.objectContaining({ configs: ["c.yaml", "a.yaml"] })]);
    expect(never[0]!.message).toContain("could never wake");
    // counted per GPU: a 2-GPU engine uses its share on GPU 0 and GPU 1
    const wide = entry("w.yaml", { engine: { gpuMemoryUtilization: 0.5 }, resources: { count: 2 } });
    expect(planMemory([wide, entry("n.yaml", { engine: { gpuMemoryUtilization: 0.5 } })]).usage).toEqual([
      1, 0.5,
    ]);
  });

  it("formats every issue into one error", () => {
    const error = new EngineSetError([{ configs: ["a.yaml", "b.yaml"], message: "clash", fix: "rename" }]);
    expect(error.message).toBe(
      "these configs cannot be served together:\n  - a.yaml, b.yaml: clash\n    fix: rename",
    );
  });
});
