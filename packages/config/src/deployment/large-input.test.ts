import { performance } from "node:perf_hooks";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadDeploymentText, MAX_CONFIG_BYTES } from "./load.ts";

// Issue #13 item 2: parsing is linear and bounded. A 1 MB YAML took 187 s in the YAML
// library's pairwise unique-key check. The bounds the issue sets are asserted here
// (the one timed test in this package). Inputs over the 256 KiB cap are refused before parsing: any accepted config validates in < 100 ms,
// any rejected one in < 1 s. Each input is timed three times and the
// fastest run is compared (the code's cost, not the scheduler's: the machine is shared).
// A run's time is the smaller of its wall-clock time and the CPU time this process used: on a
// loaded machine (CI runs several test tasks on 2 cores) wall-clock time also counts the time
// spent waiting for a core, which can be most of it; CPU time does not.

const ACCEPTED_MS = 100;
const REJECTED_MS = 1000;
const head = "version: 1\nmodel: { id: org/m, revision: abc }\nengine: { kind: vllm }\n";

function timed(text: string) {
  const runs: number[] = [];
  let result = loadDeploymentText(text);
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    result = loadDeploymentText(text);
    const wallMs = performance.now() - start;
    const { user, system } = process.cpuUsage(cpu);
    runs.push(Math.min(wallMs, (user + system) / 1000));
  }
  return { result, ms: Math.min(...runs) };
}

const kib = (n: number) => n * 1024;
/** Pads a generator's output up to about `bytes`. */
const fill = (bytes: number, line: (i: number) => string) => {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const l = line(i);
    parts.push(l);
    size += l.length;
  }
  return parts.join("");
};

const rejectedInputs: Record<string, string> = {
  "250 KB of distinct unknown keys": head + fill(kib(250), (i) => `k${i}: ${i}\n`),
  "250 KB of one duplicated key": `${head}env:\n${fill(kib(250), () => "  A: x\n")}`,
  "250 KB of duplicate keys in one flow mapping": `${head}env: {${fill(kib(250), (i) => `A${i % 7}: x, `)}}\n`,
  "250 KB of keys in a nested mapping": `${head}engine2:\n${fill(kib(250), (i) => `  key${i}: value${i}\n`)}`,
  "deep flow nesting": `${head}x: ${"[".repeat(kib(120))}${"]".repeat(kib(120))}\n`,
  "deep flow mappings": `${head}x: ${"{a: ".repeat(kib(60))}1${"}".repeat(kib(60))}\n`,
  "deep block sequence": `${head}x:\n${"- ".repeat(kib(120))}1\n`,
  "deep indentation": `${head}${fill(kib(250), (i) => `${" ".repeat(Math.min(i, 2000))}k${i}:\n`)}`,
  "a 250 KB env value": `${head}env: { A: "${"x".repeat(kib(250))}" }\n`,
  "a 250 KB extraArgs element": `${head.replace("{ kind: vllm }", `{ kind: vllm, extraArgs: ["--x=${"y".repeat(kib(250))}"] }`)}`,
  "a 250 KB key": `${head}${"k".repeat(kib(250))}: 1\n`,
  "30 000 extraArgs": head.replace("{ kind: vllm }", `{ kind: vllm, extraArgs: [${fill(kib(250), () => '"--a", ')}] }`),
  "YAML alias expansion": `${head}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`,
  "over the size cap": head + "#".repeat(MAX_CONFIG_BYTES),
  "the 1 MB YAML of the issue (over the size cap)": head + fill(kib(1024), (i) => `k${i}: ${i}\n`),
  "250 KB of JSON": JSON.stringify({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm" }, pad: "x".repeat(kib(250)) }),
  "a huge integer": `${head}scaling: { maxInputs: 123456789012345678901234567890 }\n`,
};

const acceptedInputs: Record<string, string> = {
  "256 env values of 900 bytes (230 KB)": `${head}env:\n${Array.from({ length: 256 }, (_, i) => `  V${i}: "${"v".repeat(900)}"\n`).join("")}`,
  "7 env values of 32 KiB": `${head}env:\n${Array.from({ length: 7 }, (_, i) => `  V${i}: "${"v".repeat(kib(32) - 16)}"\n`).join("")}`,
  "64 extraArgs of 3.5 KiB": head.replace(
    "{ kind: vllm }",
    `{ kind: vllm, extraArgs: [${Array.from({ length: 64 }, () => `"--chat-template=${"t".repeat(3500)}"`).join(", ")}] }`,
  ),
  "250 KB of comments": head + fill(kib(250), (i) => `# comment ${i} ${"c".repeat(60)}\n`),
};

describe("config parsing is linear and bounded (issue #13)", () => {
  for (const [name, text] of Object.entries(rejectedInputs)) {
    it(`refuses ${name} in < ${REJECTED_MS} ms, with a clear issue`, () => {
      const { result, ms } = timed(text);
      expect(result.ok, name).toBe(false);
      if (result.ok) return;
      expect(result.issues.length).toBeGreaterThan(0);
      expect(result.issues.length).toBeLessThanOrEqual(51);
      for (const i of result.issues) expect(i.message.length).toBeLessThan(2000);
      expect(ms, `${name}: ${ms.toFixed(1)} ms`).toBeLessThan(REJECTED_MS);
    });
  }
  for (const [name, text] of Object.entries(acceptedInputs)) {
    it(`accepts ${name} in < ${ACCEPTED_MS} ms`, () => {
      const { result, ms } = timed(text);
      expect(result.ok, JSON.stringify(!result.ok && result.issues.slice(0, 2))).toBe(true);
      expect(ms, `${name}: ${ms.toFixed(1)} ms`).toBeLessThan(ACCEPTED_MS);
    });
  }

  it("property: generated large configs are accepted in < 100 ms or refused in < 1 s", () => {
    const big = fc.record({
      envCount: fc.integer({ min: 0, max: 300 }),
      envSize: fc.integer({ min: 0, max: kib(4) }),
      dupEvery: fc.integer({ min: 0, max: 50 }),
      argCount: fc.integer({ min: 0, max: 80 }),
      argSize: fc.integer({ min: 1, max: kib(4) }),
      depth: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(big, (g) => {
        const env = Array.from(
          { length: g.envCount },
          (_, i) => `  V${g.dupEvery && i % g.dupEvery === 0 ? 0 : i}: "${"v".repeat(g.envSize)}"\n`,
        ).join("");
        const args = Array.from({ length: g.argCount }, () => `"--chat-template=${"t".repeat(g.argSize)}"`).join(", ");
        const nested = g.depth ? `engine_options_nest: ${"[".repeat(g.depth)}${"]".repeat(g.depth)}\n` : "";
        const text = `${head.replace("{ kind: vllm }", `{ kind: vllm, extraArgs: [${args}] }`)}${env ? `env:\n${env}` : ""}${nested}`;
        const { result, ms } = timed(text);
        expect(ms).toBeLessThan(result.ok ? ACCEPTED_MS : REJECTED_MS);
      }),
      { numRuns: 15, seed: 13 },
    );
  });
});
