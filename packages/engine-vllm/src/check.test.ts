import { deploymentConfigV1Schema, validateDeployment } from "@rouse/config";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VLLM_OPTION_TABLES } from "./option-tables.generated.ts";
import { VLLM_OWNED_DESTS, vllm } from "./plugin.ts";

// The plugin's rules at validate time (tables from tools/engine-args facts). The same
// resolution is compared with vLLM's real parser in real-parser.test.ts.

const config = (engine: object, extra: object = {}) =>
  deploymentConfigV1Schema.parse({ version: 1, model: { id: "org/m", revision: "a" }, engine: { kind: "vllm", ...engine }, ...extra });
const errors = (engine: object, extra: object = {}) =>
  vllm.check!(config(engine, extra)).filter((i) => i.severity === "error");

describe("vLLM plugin check", () => {
  it("refuses owned flags in every spelling the parser accepts, naming the resolved option and the field", () => {
    for (const [args, option, field] of [
      [["--ho", "0.0.0.0"], "--host", "serving.port"],
      [["--port=9000"], "--port", "serving.port"],
      [["--api_key", "k"], "--api-key", "secrets.apiKey"],
      [["-tp", "2"], "-tp", "resources.count"],
      [["-qfp8"], "-q", "model.quantization"],
      [["--speculative-config.method", "ngram"], "--speculative-config", "engine.speculative"],
      [["--trust-remote"], "--trust-remote-code", "model.trustRemoteCode"],
      [["--config", "x.yaml"], "--config", "rouse.yaml"],
      [["--disable-sleep-mode"], "--disable-sleep-mode", "snapshot.enabled"],
    ] as const) {
      const e = errors({ extraArgs: args }).find((i) => i.code === "owned_flag");
      expect(e?.message, JSON.stringify(args)).toContain(option);
      expect(e?.fix).toContain(field);
      expect(e?.path).toEqual(["engine", "extraArgs", 0]);
    }
  });

  it("owns whatever rouse itself passes for this config (here --kv-cache-dtype from engine.options)", () => {
    const e = errors({ options: { vllm: { kvCacheDtype: "fp8" } }, extraArgs: ["--kv-cache-dtype", "auto"] });
    expect(e.map((i) => i.code)).toContain("owned_flag");
  });

  it("refuses one-element flag+value, unknown and ambiguous flags, stray values; warns on abbreviations", () => {
    expect(errors({ extraArgs: ["--max-model-length 8"] })[0]!.message).toMatch(/one element/);
    expect(errors({ extraArgs: ["--no-such-flag"] })[0]!.message).toMatch(/unknown flag/);
    expect(errors({ extraArgs: ["--enable"] })[0]!.message).toMatch(/ambiguous/);
    expect(errors({ extraArgs: ["stray"] })[0]!.message).toMatch(/no flag takes/);
    expect(errors({ extraArgs: ["--"] })).toHaveLength(1);
    const ok = vllm.check!(config({ extraArgs: ["--disable-log-req", "--max-lora-rank", "16", "-O3", "--chat-template=x y"] }));
    expect(ok.filter((i) => i.severity === "error")).toEqual([]);
    expect(ok.find((i) => i.code === "extra_arg_abbreviation")?.message).toContain("--disable-log-requests");
  });

  it("checks parser names against the version's values, with did-you-mean; an SGLang name is refused", () => {
    const e = errors({}, { model: { id: "org/m", revision: "a", toolCallParser: "qwen25" } });
    expect(e[0]).toMatchObject({ code: "unknown_engine_value", path: ["model", "toolCallParser"] });
    expect(e[0]!.message).toContain("hermes");
    expect(errors({}, { model: { id: "org/m", revision: "a", reasoningParser: "qwen" } })[0]!.message).toContain("did you mean 'qwen3'");
    expect(errors({}, { model: { id: "org/m", revision: "a", toolCallParser: "hermes", reasoningParser: "qwen3" } })).toEqual([]);
    // A parser plugin module may register more names: then only a warning.
    const plugin = vllm.check!(config({ extraArgs: ["--tool-parser-plugin", "/p.py"] }, { model: { id: "org/m", revision: "a", toolCallParser: "mine" } }));
    expect(plugin.find((i) => i.code === "unknown_engine_value")?.severity).toBe("warning");
  });

  it("FP8 per version: 0.33 runs it from 7.5 (weight-only warning), 0.13 from 8.0", () => {
    const fp8 = { model: { id: "org/m-FP8", revision: "a" } };
    expect(vllm.check!(config({}, { ...fp8, resources: { gpu: "T4" } })).map((i) => `${i.severity}:${i.code}`)).toEqual(["warning:fp8_weight_only"]);
    expect(errors({ version: "0.13.0" }, { ...fp8, resources: { gpu: "T4" } }).map((i) => i.code)).toEqual(["fp8_gpu"]);
    expect(vllm.check!(config({}, { ...fp8, resources: { gpu: "H100" } }))).toEqual([]);
  });

  it("an unknown version is checked against the nearest older facts, with a warning", () => {
    const issues = vllm.check!(config({ version: "0.40.0", extraArgs: ["--brand-new-flag"] }));
    expect(issues.map((i) => `${i.severity}:${i.code}`)).toEqual(["warning:no_engine_facts", "warning:extra_arg"]);
  });

  it("validate (with plugins) refuses exactly what check refuses", () => {
    const r = validateDeployment({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm", extraArgs: ["--ho", "x"] } }, { plugins: [vllm] });
    expect(r.ok).toBe(false);
  });

  it("property: random extraArgs never reach an owned dest unrefused", () => {
    const table = VLLM_OPTION_TABLES.at(-1)!;
    const owned = new Set(Object.keys(VLLM_OWNED_DESTS));
    const names = Object.keys(table.options);
    const element = fc.oneof(
      fc.constantFrom(...names).chain((o) => fc.integer({ min: 2, max: o.length }).map((n) => o.slice(0, n))),
      fc.constantFrom(...names).map((o) => `${o.replaceAll("-", "_").replace(/^__/, "--")}=1`),
      fc.string({ maxLength: 12 }).map((s) => `-${s}`),
      fc.constantFrom("1", "x", "{}"),
    );
    fc.assert(
      fc.property(fc.array(element, { maxLength: 4 }), (extraArgs) => {
        const issues = vllm.check!(config({ extraArgs }));
        const refused = new Set(issues.filter((i) => i.severity === "error").map((i) => i.path[2]));
        // Any element that resolves to an owned dest (per the same table) is refused.
        extraArgs.forEach((arg, i) => {
          const exact = table.options[arg.split("=")[0]!.replaceAll("_", "-").replace(/^-(?!-)/, "-")];
          if (exact && owned.has(exact[0])) expect(refused.has(i), arg).toBe(true);
        });
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
