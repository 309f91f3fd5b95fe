import { presets, validateDeployment } from "@rouse/config";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configArbitrary } from "../__fixtures__/configs.ts";
import { NO_VENV, ruff, ruffProblems, writeTemp } from "../__fixtures__/python.ts";
import { plugins, render } from "../__fixtures__/render.ts";
import { scenarios } from "../__fixtures__/scenarios.ts";

// Emitted apps are already formatted: `ruff format --check` and `ruff check` pass with
// ruff's defaults and with python/'s config, for every preset, scenario and a random sample.

describe.skipIf(!ruff)("ruff", () => {
  it("passes on every preset, scenario and 80 random configs", () => {
    const files: Record<string, string> = {};
    for (const p of presets) files[`${p.name.replaceAll("-", "_")}.py`] = render(p.config).source;
    for (const [name, config] of Object.entries(scenarios))
      files[`${name.replaceAll("-", "_")}.py`] = render(config).source;
    let n = 0;
    for (const config of fc.sample(configArbitrary(), { numRuns: 400, seed: 5 })) {
      if (n >= 80 || !validateDeployment(config, { plugins }).ok) continue;
      files[`random_${n}.py`] = render(config).source;
      n++;
    }
    expect(n).toBe(80);
    expect(ruffProblems(writeTemp(files))).toEqual([]);
  });
});

if (!ruff) it.skip(`ruff checks: ${NO_VENV}`, () => {});
