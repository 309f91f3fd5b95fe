import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateDeployment } from "../deployment/validate.ts";
import { defaultPreset, findPreset, presets, seedPresets } from "./presets.ts";

const seedsDir = join(import.meta.dirname, "../../../../../shared/seeds");

describe("presets", () => {
  it("every preset is a valid v1 config", () => {
    for (const p of presets) {
      const r = validateDeployment(p.config);
      expect(r.ok, `${p.name}: ${r.ok ? "" : JSON.stringify(r.issues)}`).toBe(true);
    }
  });

  it("names are unique and findable", () => {
    expect(new Set(presets.map((p) => p.name)).size).toBe(presets.length);
    expect(findPreset("default")).toBe(defaultPreset);
    expect(findPreset("nope")).toBeUndefined();
  });

  it("there is one preset per seed system, each pointing at its seed file", () => {
    const seeds = seedPresets.map((p) => p.seed);
    expect(seeds).toEqual([
      "000_af8fc2d5fbc5360d",
      "001_866d71a8d8b2c697",
      "002_47f3dc463eb00a6b",
      "003_682c7fffb2ea05b2",
      "004_178e4dd6d46e156f",
    ]);
    for (const seed of seeds) {
      if (existsSync(seedsDir)) expect(existsSync(join(seedsDir, `${seed}.txt`)), seed).toBe(true);
    }
  });

  it("the default preset is clean: pinned revision, API key, no warnings", () => {
    const r = validateDeployment(defaultPreset.config);
    expect(r.ok && r.warnings).toEqual([]);
  });
});
