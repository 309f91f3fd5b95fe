import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { ENGINE_ARGS_DIR } from "./facts-check.ts";
import type { EngineOptionTable, Nargs } from "./extra-args.ts";

// Test support (not exported: tests import it by path; fast-check is a dev dependency): runs argv fragments through an engine's REAL argparse parser
// (tools/engine-args/real_parser.py, which imports vLLM or SGLang) and generates
// extraArgs from every spelling that parser accepts, for property tests that
// compare rouse's resolution with the engine's.

export interface RealParserResult {
  readonly ok: boolean;
  readonly dests: readonly string[];
  readonly error: string | null;
}

export interface RealParser {
  readonly engine: string;
  readonly version: string;
  readonly python: string;
  /** The parser's own option table: option string → [dest, nargs]. */
  readonly options: Readonly<Record<string, readonly [string, Nargs]>>;
  /** A value each option's type and choices accept (where one was found). */
  readonly samples: Readonly<Record<string, string>>;
  parse(cases: readonly (readonly string[])[]): RealParserResult[];
}

function runRealParser<T>(engine: "vllm" | "sglang", python: string, env: NodeJS.ProcessEnv, request: unknown): T {
  const run = spawnSync(python, [`${ENGINE_ARGS_DIR}real_parser.py`, engine], {
    input: JSON.stringify(request),
    encoding: "utf8",
    env: { ...env, VLLM_TARGET_DEVICE: "cpu", VLLM_NO_USAGE_STATS: "1", DO_NOT_TRACK: "1" },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`real_parser.py ${engine} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout) as T;
}

/** A whole launch argv as the engine's parser reads it: every dest and its value, or argparse's refusal. */
export type ParsedArgv = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

/**
 * Reads whole launch argvs back with the engine's real parser (vLLM: from `serve` on, through
 * the top `vllm` parser; SGLang: the flags), one fresh parser per argv.
 */
export function parseArgvs(
  engine: "vllm" | "sglang",
  python: string,
  argvs: readonly (readonly string[])[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedArgv[] {
  return runRealParser<{ parsed: ParsedArgv[] }>(engine, python, env, { argvs }).parsed;
}

/**
 * Random URL-safe API keys (as `secrets.token_urlsafe` makes them), many starting with one of
 * `heads` (flag-like: `-`, `--`, the engine's own short options), which `--api-key KEY` cannot carry.
 */
export function urlSafeKeyArbitrary(heads: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...heads, "", "k"),
      fc.string({
        unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        minLength: 1,
        maxLength: 48,
      }),
    )
    .map(([head, tail]) => head + tail);
}

/** Starts the real parser once to read its options; `parse` runs a batch of cases per call. */
export function realParser(engine: "vllm" | "sglang", python: string, env: NodeJS.ProcessEnv = process.env): RealParser {
  const call = (cases: readonly (readonly string[])[]) =>
    runRealParser<{
      version: string;
      python: string;
      options: Record<string, [string, Nargs]>;
      samples: Record<string, string>;
      results: RealParserResult[];
    }>(engine, python, env, { cases });
  const first = call([]);
  return {
    engine,
    version: first.version,
    python: first.python,
    options: first.options,
    samples: first.samples,
    parse: (cases) => call(cases).results,
  };
}

/** One extraArgs fragment: a flag spelled some way, with its value(s). */
export interface Spelling {
  readonly option: string;
  readonly how: string;
  readonly args: readonly string[];
}

/**
 * Every way to write `option` that a parser with `table`'s rules accepts, with a value
 * where it takes one: exact, `=value`, each unambiguous prefix, `_` for `-` (vLLM), dotted
 * JSON keys (vLLM), `-xVALUE` for two-character short options.
 */
export function spellingsOf(parser: RealParser, table: EngineOptionTable, option: string): Spelling[] {
  const [, nargs] = parser.options[option]!;
  const value = parser.samples[option] ?? "1";
  const all = Object.keys(parser.options);
  const out: Spelling[] = [];
  const add = (how: string, name: string) => {
    if (nargs === 0) out.push({ option, how, args: [name] });
    else {
      out.push({ option, how, args: [name, value] });
      out.push({ option, how: `${how}=`, args: [`${name}=${value}`] });
    }
  };
  add("exact", option);
  if (option.startsWith("--")) {
    for (let n = 3; n < option.length; n++) {
      const prefix = option.slice(0, n);
      const matches = all.filter((o) => o.startsWith(prefix));
      if (matches.length === 1) add("prefix", prefix);
      else if (n === option.length - 1 || n % 4 === 0) add(matches.length > 1 ? "ambiguous-prefix" : "prefix", prefix);
    }
    if (table.parser.underscoresAsDashes && option.slice(2).includes("-")) add("underscores", `--${option.slice(2).replaceAll("-", "_")}`);
    if (table.parser.dottedJsonKeys && nargs !== 0) {
      out.push({ option, how: "dotted", args: [`${option}.some_key`, "1"] });
      out.push({ option, how: "dotted=", args: [`${option}.some_key=1`] });
    }
  } else {
    for (let n = 2; n < option.length; n++) add("short-prefix", option.slice(0, n));
    if (option.length === 2 && nargs !== 0) out.push({ option, how: "attached", args: [`${option}${value}`] });
  }
  if (nargs !== 0 && option.startsWith("--")) out.push({ option, how: "one-element", args: [`${option} ${value}`] });
  return out;
}

/** Random extraArgs fragments over every option of the real parser and every spelling. */
export function spellingArbitrary(parser: RealParser, table: EngineOptionTable): fc.Arbitrary<Spelling> {
  const options = Object.keys(parser.options).sort();
  return fc
    .constantFrom(...options)
    .chain((option) => fc.constantFrom(...spellingsOf(parser, table, option)));
}
