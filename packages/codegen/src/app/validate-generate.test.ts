import { findEnginePlugin, validateDeployment } from "@rouse/config";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configArbitrary, hostileArg } from "../__fixtures__/configs.ts";
import { plugins } from "../__fixtures__/render.ts";
import { generateApp } from "./generate.ts";

// Issue #13 item 8: one set of rules. For property-generated configs (including env
// values with line breaks, shared Volume names, extraArgs in any spelling and parser
// names of either engine), `generate` accepts every config `validate` accepts.

const extraArgs = fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  fc.array(
  fc.oneof(
    fc.constantFrom("--ho", "--por=1", "-tp", "2", "--max-num-seqs 8", "--tp", "--disable-log-requests", "--enable-metrics", "-q", "--chat-template=x"),
    hostileArg,
  ),
  { maxLength: 3 },
  ),
);
const config = fc.tuple(
  configArbitrary(fc.constantFrom("1", "a\nb", "x")),
  extraArgs,
  fc.constantFrom(undefined, "hermes", "qwen25", "deepseek-r1", "qwen3"),
  fc.constantFrom(undefined, "cache-a", "huggingface-cache"),
).map(([c, args, parser, compile]) => {
  const base = c as { engine: Record<string, unknown>; model: Record<string, unknown>; caches?: Record<string, unknown> };
  return {
    ...base,
    engine: { ...base.engine, extraArgs: args },
    model: { ...base.model, ...(parser ? { toolCallParser: parser } : {}) },
    caches: { ...base.caches, ...(compile ? { compile } : {}) },
  };
});

describe("validate → generate", () => {
  // Rules run once, in validation; generateApp trusts a validated config. So every config
  // validation accepts must become an app: a rule codegen relied on but validation lacked
  // would show up here as a throw.
  it("property: every config validation accepts becomes an app", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(config, (c) => {
        const result = validateDeployment(c, { plugins });
        if (!result.ok) {
          refused++;
          return;
        }
        accepted++;
        const app = generateApp(result.config, findEnginePlugin(plugins, result.config.engine.kind));
        expect(app.source).toContain("import modal");
      }),
      { numRuns: 300, seed: 8 },
    );
    // Both sides are exercised.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});
