import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

// Runs rouse's engine-argument checker (tools/engine-args/check.py: the engine's own
// parser, replayed from facts extracted from its real source) on one argv.

export interface FactsProblem {
  readonly flag: string;
  readonly problem: string;
}

export interface FactsCheckResult {
  readonly ok: boolean;
  readonly problems: readonly FactsProblem[];
  readonly warnings: readonly FactsProblem[];
}

export function checkArgvWithFacts(
  argv: readonly string[],
  options: { checkScript: string; factsFile: string; python?: string },
): FactsCheckResult {
  const run = spawnSync(options.python ?? "python3", [options.checkScript, "--facts", options.factsFile], {
    input: JSON.stringify(argv),
    encoding: "utf8",
    timeout: 30_000,
  });
  if (run.error) throw run.error;
  // Exit 2 is bad input (facts missing, not JSON): a broken check, not a verdict.
  if (run.status === 2 || !run.stdout.trim()) {
    throw new Error(`check.py failed (exit ${run.status}): ${run.stderr || run.stdout}`);
  }
  const result = JSON.parse(run.stdout) as FactsCheckResult;
  return { ok: result.ok, problems: result.problems ?? [], warnings: result.warnings ?? [] };
}

/** tools/engine-args in this repository (the checker and the committed facts). */
export const ENGINE_ARGS_DIR = new URL("../../../tools/engine-args/", import.meta.url).pathname;
export const CHECK_SCRIPT = `${ENGINE_ARGS_DIR}check.py`;

/**
 * The facts file for an engine version: tools/engine-args/facts first, then the
 * folder in ROUSE_ENGINE_FACTS_EXTRA (older versions made with extract.py --out).
 */
export function factsFileFor(engine: string, version: string, extraDir = process.env.ROUSE_ENGINE_FACTS_EXTRA): string | undefined {
  for (const dir of [`${ENGINE_ARGS_DIR}facts`, extraDir]) {
    const file = dir && `${dir}/${engine}-${version}.json`;
    if (file && existsSync(file)) return file;
  }
  return undefined;
}
