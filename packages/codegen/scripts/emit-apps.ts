// Writes emitted apps for the Python test suite (python/tests/codegen), which imports
// each one with the real modal SDK. Run with Node's TypeScript support:
//
//   node --conditions=@rouse/source packages/codegen/scripts/emit-apps.ts --out DIR [--random N] [--seed S]
//
// DIR/<group>/<case>/app.py  the emitted app (`unchecked` for the rejected group)
// DIR/<group>/<case>/case.json  {config, plan, warnings} or {error}
// groups: presets (the presets and src/__fixtures__/scenarios.ts), random, rejected

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, type DeploymentConfigV1Input, presets, validateDeployment } from "@rouse/config";
import fc from "fast-check";
import { configArbitrary } from "../src/__fixtures__/configs.ts";
import { rejectedCases } from "../src/__fixtures__/rejected.ts";
import { plugins, render } from "../src/__fixtures__/render.ts";
import { scenarios } from "../src/__fixtures__/scenarios.ts";
const { values } = parseArgs({
  options: {
    out: { type: "string" },
    random: { type: "string", default: "20" },
    seed: { type: "string", default: "4242" },
  },
});
if (!values.out) throw new Error("--out DIR is required");
const out = values.out;

function write(group: string, name: string, files: Record<string, string>): void {
  const dir = join(out, group, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

function emit(group: string, name: string, config: DeploymentConfigV1Input): void {
  const app = render(config, { proxied: group === "proxied" });
  const validated = validateDeployment(config, { plugins });
  if (!validated.ok) throw new Error(`${name}: invalid config`);
  const full = validated.config;
  write(group, name, {
    "app.py": app.source,
    "case.json": JSON.stringify(
      { group, name, config: full, plan: app.plan, warnings: app.warnings },
      null,
      2,
    ),
  });
}

for (const preset of presets) emit("presets", preset.name, preset.config);
for (const [name, config] of Object.entries(scenarios)) emit("presets", name, config);
// The same configs behind the proxy guard (what a plugin whose server runs no ASGI middleware gets).
for (const preset of presets) emit("proxied", preset.name, preset.config);
for (const [name, config] of Object.entries(scenarios)) emit("proxied", name, config);

// Random valid configs: the ones rouse refuses (schema, cross-field rules, SDK checks) are skipped.
const samples = fc.sample(configArbitrary(), {
  numRuns: Number(values.random) * 4,
  seed: Number(values.seed),
});
let kept = 0;
for (const config of samples) {
  if (kept >= Number(values.random)) break;
  if (!validateDeployment(config, { plugins }).ok) continue;
  emit("random", `r${String(kept).padStart(3, "0")}`, config);
  kept++;
}

for (const c of rejectedCases) {
  let error: { name: string; issues: unknown } | undefined;
  try {
    render(c.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    error = { name: e.name, issues: e.issues };
  }
  const unchecked = render(c.config, { unchecked: true });
  write("rejected", c.name, {
    "app.py": unchecked.source,
    "case.json": JSON.stringify({ group: "rejected", name: c.name, error, sdk: c.sdk }, null, 2),
  });
}
const fixed = presets.length + Object.keys(scenarios).length;
console.log(JSON.stringify({ out, presets: fixed, random: kept, rejected: rejectedCases.length }));
