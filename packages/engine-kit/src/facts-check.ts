import { spawnSync } from "node:child_process";

// Runs thaw's engine-argument checker (tools/engine-args/check.py: the engine's own
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
