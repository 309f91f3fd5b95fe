import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { presets } from "../presets/presets.ts";
import { deploymentJsonSchema } from "./json-schema.ts";

const committedPath = join(import.meta.dirname, "../../schema/rouse.schema.json");
const invalidDir = join(import.meta.dirname, "../__fixtures__/invalid");

describe("JSON Schema export", () => {
  it("matches the committed copy (run `pnpm --filter @rouse/config schema:write` after changing the schema)", () => {
    const committed = JSON.parse(readFileSync(committedPath, "utf8"));
    expect(deploymentJsonSchema()).toEqual(committed);
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(deploymentJsonSchema());

  it("accepts every preset", () => {
    for (const preset of presets) {
      expect(validate(preset.config), `${preset.name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  // Cross-field rules live in zod only; these fixtures break single-field rules
  // that the JSON Schema carries too.
  const schemaLevel = [
    "unknown-key.yaml",
    "wrong-type.yaml",
    "injection-volume.yaml",
    "injection-model.yaml",
    "bad-engine.yaml",
    "env-name.yaml",
  ];
  for (const file of schemaLevel) {
    it(`rejects ${file}`, () => {
      expect(validate(parse(readFileSync(join(invalidDir, file), "utf8")))).toBe(false);
    });
  }
});
