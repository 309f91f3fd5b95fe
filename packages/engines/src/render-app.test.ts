import { readFileSync } from "node:fs";
import { presets } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { vllm } from "@rouse/engine-vllm";
import { describe, expect, it } from "vitest";
import { installedEngines } from "./installed.ts";
import { renderApp } from "./render-app.ts";
import { loadConfigText, validateConfig } from "./validate.ts";

const golden = (name: string) =>
  readFileSync(new URL(`../../codegen/src/__golden__/${name}.py`, import.meta.url), "utf8");

/** vLLM's plugin, counting how often validation's hooks run. */
function counted() {
  const calls = { check: 0, validate: 0 };
  const plugin: EnginePluginV1 = {
    ...vllm,
    check: (config) => {
      calls.check++;
      return vllm.check!(config);
    },
    validate: (config) => {
      calls.validate++;
      return vllm.validate(config);
    },
  };
  return { calls, plugins: [plugin] };
}

describe("installedEngines", () => {
  it("is vLLM and SGLang, one plugin per engine kind, frozen", () => {
    expect(installedEngines.map((p) => p.engine)).toEqual(["vllm", "sglang"]);
    expect(Object.isFrozen(installedEngines)).toBe(true);
  });
});

describe("renderApp", () => {
  it("renders every preset byte for byte as its golden file, with the plan's endpoint and class", () => {
    const kinds = new Set<string>();
    for (const preset of presets) {
      const valid = validateConfig(preset.config);
      if (!valid.ok) throw new Error(`preset ${preset.name} is invalid`);
      const app = renderApp(valid);
      expect(app.source, preset.name).toBe(golden(preset.name));
      expect(app.fileName).toBe("app.py");
      expect(app.endpoint).toBe(app.plan.endpoint);
      expect(app.className).toBe(app.plan.className);
      kinds.add(app.endpoint.kind);
    }
    // python/tests/codegen/test_emitted_apps.py checks each endpoint against the real modal SDK.
    expect([...kinds].sort()).toEqual(["cls", "function"]);
  });

  it("the endpoint follows the serving style and snapshots; the emitted source defines it", () => {
    const base = { version: 1, model: { id: "Qwen/Qwen3-8B" }, engine: { kind: "sglang" } };
    const cases = [
      [{ ...base }, { kind: "cls", object: "SglangServer", method: "serve" }, "class SglangServer:"],
      [
        { ...base, snapshot: { enabled: false, gpu: false } },
        { kind: "function", object: "serve" },
        "def serve():",
      ],
      [
        { ...base, serving: { style: "server" } },
        { kind: "server", object: "SglangServer" },
        "class SglangServer:",
      ],
    ] as const;
    for (const [config, endpoint, definition] of cases) {
      const valid = validateConfig(config);
      if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
      const app = renderApp(valid);
      expect(app.endpoint).toEqual({ method: undefined, ...endpoint });
      expect(app.source).toContain(`\n${definition}\n`);
    }
  });

  it("runs no validation: the plugin's check and validate run once per config, in validation", () => {
    const { calls, plugins } = counted();
    const valid = validateConfig(presets[0]!.config, { plugins });
    expect(calls).toEqual({ check: 1, validate: 1 });
    if (!valid.ok) throw new Error("invalid");
    renderApp(valid, { plugins });
    renderApp(valid, { plugins });
    expect(calls).toEqual({ check: 1, validate: 1 });
  });

  it("reports validation's warnings (with their positions) and codegen's, each once", () => {
    const text =
      "version: 1\nmodel: {id: a/b}\nengine:\n  kind: vllm\n  pythonVersion: '3.10'\n  options: {vllm: {bogus: 1}}\n";
    const valid = loadConfigText(text, "rouse.yaml");
    if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
    const app = renderApp(valid);
    const seen = app.warnings.map((w) => `${w.source}:${w.code}:${w.path.join(".")}`);
    expect(new Set(seen).size).toBe(seen.length);
    // The config's rule, the plugin's warning (both from validation) and codegen's.
    expect(seen).toContain("config:open_endpoint:secrets.apiKey");
    expect(seen.some((s) => s.startsWith("config:unknown_option:engine.options.vllm"))).toBe(true);
    expect(seen).toContain("codegen:python_3_10:engine.pythonVersion");
    // Validation's come first and keep their line:column; all are warnings.
    expect(app.warnings.slice(0, valid.warnings.length).map((w) => w.code)).toEqual(
      valid.warnings.map((w) => w.code),
    );
    expect(app.warnings.find((w) => w.code === "unknown_option")).toMatchObject({ line: 6 });
    expect(app.warnings.every((w) => w.severity === "warning")).toBe(true);
  });

  it("uses the plugins it is given, and names the missing one", () => {
    const valid = validateConfig({ version: 1, model: { id: "a/b" }, engine: { kind: "sglang" } });
    if (!valid.ok) throw new Error("invalid");
    expect(() => renderApp(valid, { plugins: [vllm] })).toThrow(
      /no engine plugin for engine.kind 'sglang'; installed: vllm/,
    );
  });
});
