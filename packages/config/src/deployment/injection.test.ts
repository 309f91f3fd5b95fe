import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateDeployment } from "./validate.ts";

// Values that become Python source or argv are constrained: anything that could
// break out of a string literal or a shell word is rejected with the field named.

const base = { version: 1, model: { id: "org/m" }, engine: { kind: "vllm" } };
const hostile = ['a"b', "a'b", "a\nb", "a;b", "$(id)", "`id`", "a b", "a\\b", '"""', "{x}", "a\0b", "../../etc", "é"];

const fields: Array<[string, (v: string) => object]> = [
  ["name", (v) => ({ name: v })],
  ["model.id", (v) => ({ model: { id: v } })],
  ["model.revision", (v) => ({ model: { id: "org/m", revision: v } })],
  ["model.servedName[0]", (v) => ({ model: { id: "org/m", servedName: [v] } })],
  ["model.toolCallParser", (v) => ({ model: { id: "org/m", toolCallParser: v } })],
  ["model.reasoningParser", (v) => ({ model: { id: "org/m", reasoningParser: v } })],
  ["engine.version", (v) => ({ engine: { kind: "vllm", version: v } })],
  ["engine.image", (v) => ({ engine: { kind: "vllm", image: v } })],
  ["engine.packages[0]", (v) => ({ engine: { kind: "vllm", packages: [`x==${v}`] } })],
  ["caches.weights", (v) => ({ caches: { weights: v } })],
  ["caches.compile", (v) => ({ caches: { compile: v } })],
  ["secrets.apiKey", (v) => ({ secrets: { apiKey: v } })],
  ["secrets.apiKeyEnv", (v) => ({ secrets: { apiKeyEnv: v } })],
  ["secrets.huggingface", (v) => ({ secrets: { huggingface: v } })],
  ["scaling.region", (v) => ({ scaling: { region: v } })],
];

const rejected = (input: object) => !validateDeployment({ ...base, ...input }).ok;

describe("injection attempts are rejected in every name that reaches code", () => {
  for (const [field, make] of fields) {
    it(field, () => {
      for (const value of hostile) {
        // model.id allows '/', so "../../etc" is rejected by the '..' rule instead
        expect(rejected(make(value)), `${field} = ${JSON.stringify(value)}`).toBe(true);
      }
    });
  }

  it("environment names are rejected when not identifiers, values only for NUL and line breaks", () => {
    for (const value of hostile.filter((v) => v !== "a\0b")) {
      expect(rejected({ env: { [value]: "1" } })).toBe(true);
      // Modal's image builder writes one Dockerfile ENV line per variable.
      expect(rejected({ env: { OK: value } })).toBe(/[\r\n]/.test(value));
    }
    expect(rejected({ env: { OK: "a\0b" } })).toBe(true);
  });

  it("property: any name that passes contains only safe characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
        const ok = !rejected({ caches: { weights: value } });
        if (ok) expect(value).toMatch(/^[A-Za-z0-9._-]+$/);
      }),
      { numRuns: 500 },
    );
  });
});
