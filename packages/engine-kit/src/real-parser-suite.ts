import fc from "fast-check";
import { expect } from "vitest";
import { checkExtraArgs, type EngineOptionTable, resolveExtraArgs } from "./extra-args.ts";
import { type RealParser, type Spelling, spellingArbitrary, spellingsOf } from "./real-parser.ts";

// Test support shared by the vLLM and SGLang suites (imported by path, not exported):
// rouse's extraArgs resolution against the engine's real parser.

/** Errors by which argparse itself refuses how an element is spelled (not its value). */
const SPELLING_ERRORS = /unrecognized arguments|ambiguous option|expected (one|at least one) argument|ignored explicit argument|IndexError/;

const rouseDests = (table: EngineOptionTable, args: readonly string[]) => {
  const resolved = resolveExtraArgs(table, args);
  return {
    dests: [...new Set(resolved.flatMap((r) => (r.kind === "option" ? [r.dest] : [])))].sort(),
    error: resolved.find((r) => r.kind === "error"),
  };
};

/** The table lists exactly the real parser's option strings, with the same dest and nargs. */
export function expectTableMatchesParser(parser: RealParser, table: EngineOptionTable): void {
  const real = Object.fromEntries(Object.entries(parser.options).map(([o, [d, n]]) => [o, [d, n]]));
  const ours = Object.fromEntries(Object.entries(table.options).map(([o, [d, n]]) => [o, [d, n]]));
  expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
  expect(ours).toEqual(real);
}

/**
 * Property: for extraArgs drawn from every spelling the real parser accepts (and some it
 * rejects), rouse resolves each to the same dests the parser sets; where the parser
 * rejects the spelling, rouse reports an error too.
 */
export function expectResolutionAgrees(parser: RealParser, table: EngineOptionTable, runs: number, seed: number): void {
  const samples = fc.sample(spellingArbitrary(parser, table), { numRuns: runs, seed });
  const real = parser.parse(samples.map((s) => s.args));
  let agreedOk = 0;
  const hows = new Set<string>();
  samples.forEach((s, i) => {
    const r = real[i]!;
    const ours = rouseDests(table, s.args);
    const context = `${JSON.stringify(s.args)} (${s.how} of ${s.option}): engine ${JSON.stringify(r)}, rouse ${JSON.stringify(ours)}`;
    if (r.ok) {
      expect(ours.error, context).toBeUndefined();
      expect(ours.dests, context).toEqual([...new Set(r.dests)].sort());
      agreedOk++;
      hows.add(s.how);
    } else if (SPELLING_ERRORS.test(r.error ?? "")) {
      expect(ours.error, context).toBeDefined();
    }
  });
  // Not vacuous: most fragments parse, in many different spellings.
  expect(agreedOk).toBeGreaterThan(runs / 3);
  for (const how of ["exact", "exact=", "prefix"]) expect([...hows]).toContain(how);
}

/**
 * Every spelling of every option string that sets an owned dest is refused by rouse —
 * and each one the real parser accepts does set that dest there (so the spelling is real).
 */
export function expectOwnedRefused(parser: RealParser, table: EngineOptionTable, owned: Readonly<Record<string, string>>): void {
  const spellings: Spelling[] = [];
  for (const [option, [dest]] of Object.entries(parser.options)) {
    if (Object.hasOwn(owned, dest)) spellings.push(...spellingsOf(parser, table, option));
  }
  expect(spellings.length).toBeGreaterThan(20);
  const real = parser.parse(spellings.map((s) => s.args));
  let reachedOwned = 0;
  spellings.forEach((s, i) => {
    const issues = checkExtraArgs(table, s.args, owned).filter((x) => x.severity === "error");
    const r = real[i]!;
    const context = `${JSON.stringify(s.args)} (${s.how} of ${s.option}): engine ${JSON.stringify(r)}`;
    expect(issues.length, context).toBeGreaterThan(0);
    if (r.ok && r.dests.some((d) => Object.hasOwn(owned, d))) {
      reachedOwned++;
      expect(issues.map((x) => x.code), context).toContain("owned_flag");
    }
  });
  expect(reachedOwned).toBeGreaterThan(spellings.length / 4);
}
