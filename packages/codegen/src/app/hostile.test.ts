import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostileArg, hostileText } from "../__fixtures__/configs.ts";
import { NO_VENV, python, ruff, ruffProblems, runPython, writeTemp } from "../__fixtures__/python.ts";
import { render } from "../__fixtures__/render.ts";
import { ConfigError } from "@rouse/config";

// Hostile input in every free-text field that reaches app.py: env values, extraArgs,
// speculative string values, engine.options. Every emitted file must still parse, be
// ruff-clean, and carry each value verbatim as data (Python reads it back with
// ast.literal_eval and compares).

const envName = fc
  .stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/)
  .filter((n) => !n.startsWith("HF_") && !n.startsWith("VLLM_"));
const hostileConfig = fc.record({
  kind: fc.constantFrom("vllm" as const, "sglang" as const),
  env: fc.dictionary(envName, hostileText, { maxKeys: 4 }),
  // As the value of a string flag: the plugins refuse stray words the engine would refuse.
  extraArgs: fc.array(hostileArg.map((a) => `--chat-template=${a}`), { maxLength: 4 }),
  speculative: fc.option(
    fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/), fc.oneof(hostileText, fc.integer(), fc.boolean()), {
      minKeys: 1,
      maxKeys: 3,
    }),
    {
      nil: undefined,
    },
  ),
  option: hostileText,
  style: fc.constantFrom("web-server" as const, "server" as const),
  snapshot: fc.boolean(),
});

interface Case {
  readonly file: string;
  readonly extraArgs: string[];
  readonly speculative: Record<string, unknown> | null;
  readonly env: Record<string, string>;
}

const samples = fc.sample(hostileConfig, { numRuns: 200, seed: 1337 });
const emitted: Record<string, string> = {};
const cases: Case[] = [];
const refused: Array<{ env: Record<string, string>; error: unknown }> = [];

for (const [i, h] of samples.entries()) {
  const config = {
    version: 1,
    name: `hostile-${i}`,
    model: { id: "org/Model-7B", revision: "0123456789abcdef0123456789abcdef01234567" },
    engine: {
      kind: h.kind,
      extraArgs: h.extraArgs,
      ...(h.speculative ? { speculative: h.speculative } : {}),
      options: { [h.kind]: { kvCacheDtype: h.option, uvicornLogLevel: h.option } },
    },
    snapshot: { enabled: h.snapshot, gpu: h.snapshot },
    serving: { style: h.style },
    env: h.env,
  };
  try {
    const app = render(config);
    const file = `app_${String(i).padStart(3, "0")}.py`;
    emitted[file] = app.source;
    // SGLang takes no speculative JSON (its plugin warns and leaves it out).
    const speculative = h.kind === "vllm" ? (h.speculative ?? null) : null;
    cases.push({ file, extraArgs: h.extraArgs, speculative, env: h.env });
  } catch (e) {
    refused.push({ env: h.env, error: e });
  }
}

describe("hostile config text", () => {
  it("generates an app for every hostile config except env values with line breaks and unknown engine values (refused with the field named)", () => {
    expect(cases.length).toBeGreaterThan(100);
    for (const { env, error } of refused) {
      // Config rules since issue #13 (validate refuses them too).
      expect(error).toBeInstanceOf(ConfigError);
      const errors = (error as ConfigError).issues.filter((i) => i.severity === "error");
      for (const issue of errors) {
        if (issue.code === "env_line_break") expect(/[\r\n]/.test(env[issue.path[1] as string]!)).toBe(true);
        else expect(issue).toMatchObject({ code: "unknown_engine_value", path: ["engine", "options", "vllm", "kvCacheDtype"] });
      }
      expect(errors.length).toBeGreaterThan(0);
    }
  });

  it("keeps every emitted line free of raw control, separator and bidi characters", () => {
    for (const source of Object.values(emitted)) {
      for (const line of source.split("\n")) expect(line).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u0085]/u);
    }
  });

  it.skipIf(!python)(
    "every file compiles and carries each value verbatim (Python's ast.literal_eval reads it back)",
    () => {
      const dir = writeTemp({ ...emitted, "cases.json": JSON.stringify(cases) });
      const script = readFileSync(
        join(import.meta.dirname, "..", "__fixtures__", "check_literals.py"),
        "utf8",
      );
      const report = JSON.parse(runPython(script, [dir])) as { checked: number; failures: string[] };
      expect(report.failures).toEqual([]);
      expect(report.checked).toBe(cases.length);
    },
  );

  it.skipIf(!ruff)("every file is ruff-clean (format and lint)", () => {
    const dir = writeTemp(emitted);
    expect(ruffProblems(dir)).toEqual([]);
  });

  if (!python || !ruff) it.skip(`Python checks: ${NO_VENV}`, () => {});
});
