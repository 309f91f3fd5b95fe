import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

// The Python toolchain the tests check emitted apps with: python/.venv (modal, ruff),
// made by python/setup.sh. CI always has it; elsewhere the tests that need it skip,
// saying why.

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const venv = join(repo, "python", ".venv", "bin");

export const python = existsSync(join(venv, "python")) ? join(venv, "python") : undefined;
export const ruff = existsSync(join(venv, "ruff")) ? join(venv, "ruff") : undefined;
export const NO_VENV = "python/.venv is missing: run python/setup.sh";

if (process.env.CI && (!python || !ruff)) throw new Error(`${NO_VENV} (CI must check the emitted Python)`);

/** Writes `files` (name → source) into a fresh temporary folder, removed when the calling test ends. */
export function writeTemp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "rouse-codegen-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** `ruff format --check` and `ruff check` over a folder, with ruff's defaults and with python/'s own config. */
export function ruffProblems(dir: string): string[] {
  const problems: string[] = [];
  const runs: string[][] = [
    ["format", "--check", "--diff", "--isolated", dir],
    ["check", "--no-cache", "--isolated", dir],
    ["check", "--no-cache", "--config", join(repo, "python", "pyproject.toml"), dir],
  ];
  for (const args of runs) {
    const r = spawnSync(ruff!, args, { encoding: "utf8" });
    if (r.status !== 0) problems.push(`ruff ${args.join(" ")}\n${r.stdout}${r.stderr}`);
  }
  return problems;
}

/** Runs a Python script (source text) with the venv's interpreter; returns stdout. */
export function runPython(script: string, args: readonly string[] = []): string {
  return execFileSync(python!, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}
