// Resolves `engine.extraArgs` the way the engine's own parser will: CPython argparse
// (3.10–3.13 `_parse_optional` / `_get_option_tuples` / `consume_optional`: exact
// option strings, `--opt=value`, unambiguous prefixes of long options, prefixes of
// single-dash options, `-xVALUE` for two-character short options, short-flag
// grouping), after vLLM FlexibleArgumentParser's rewriting when the table says so
// (`_`→`-` in names, `-O3`, dotted JSON keys `--x.y v` → `--x '{"y": v}'`).
// The tables come from tools/engine-args facts (option_tables.py).

/** How argparse consumes values after an option: 0 none, 1 exactly one, `?`, `*`, `+`, or N. */
export type Nargs = 0 | 1 | "?" | "*" | "+" | number;

export interface EngineOptionTable {
  readonly engine: string;
  readonly version: string;
  readonly parser: {
    readonly allowAbbrev: boolean;
    readonly underscoresAsDashes: boolean;
    readonly dottedJsonKeys: boolean;
    readonly optimizationLevelShorthand: boolean;
  };
  /** Every option string the parser registers → [argparse dest, nargs]. */
  readonly options: Readonly<Record<string, readonly [string, Nargs]>>;
  /** Accepted values of the options rouse maps from config fields. `enforced`: argparse `choices`. */
  readonly values: Readonly<Record<string, { readonly enforced: boolean; readonly values: readonly string[] }>>;
  /** FP8 support read from the engine source (see tools/engine-args/FACTS.md). */
  readonly fp8?: { readonly minCapability: number; readonly fullSpeedCapability?: number; readonly source: string };
}

/** What one extraArgs element does. */
export type ResolvedElement =
  /** Sets `dest` through `option` (the option string argparse matched). */
  | { readonly kind: "option"; readonly index: number; readonly option: string; readonly dest: string; readonly spelled: "exact" | "prefix" }
  /** The value of the option set by element `of`. */
  | { readonly kind: "value"; readonly index: number; readonly of: number }
  | { readonly kind: "error"; readonly index: number; readonly problem: string; readonly fix: string; readonly dest?: string; readonly option?: string };

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

interface Token {
  /** What argparse sees after the parser's rewriting. */
  readonly text: string;
  /** The extraArgs element it came from. */
  readonly index: number;
  /** Pre-parsed by vLLM's rewriting (`-O3`, dotted keys): the option, already resolved text. */
  readonly forcedValue?: boolean;
}

type Match = { option: string; dest: string; nargs: Nargs; explicit: string | undefined; prefix: boolean };
type Classified = { match: Match } | { ambiguous: string[] } | { unknown: true } | { positional: true };

export function classifyOption(table: EngineOptionTable, arg: string): Classified {
  const options = table.options;
  const entry = (option: string, explicit: string | undefined, prefix: boolean): Match => {
    const [dest, nargs] = options[option]!;
    return { option, dest, nargs, explicit, prefix };
  };
  if (arg === "" || arg[0] !== "-") return { positional: true };
  if (Object.hasOwn(options, arg)) return { match: entry(arg, undefined, false) };
  if (arg.length === 1) return { positional: true };
  const eq = arg.indexOf("=");
  if (eq >= 0 && Object.hasOwn(options, arg.slice(0, eq))) {
    return { match: entry(arg.slice(0, eq), arg.slice(eq + 1), false) };
  }
  const tuples: Match[] = [];
  if (arg[1] === "-") {
    if (table.parser.allowAbbrev) {
      const prefix = eq >= 0 ? arg.slice(0, eq) : arg;
      const explicit = eq >= 0 ? arg.slice(eq + 1) : undefined;
      for (const option of Object.keys(options)) {
        if (option.startsWith(prefix)) tuples.push(entry(option, explicit, true));
      }
    }
  } else {
    const short = arg.slice(0, 2);
    for (const option of Object.keys(options)) {
      if (option === short) tuples.push(entry(option, arg.slice(2), false));
      else if (option.startsWith(arg)) tuples.push(entry(option, undefined, true));
    }
  }
  if (tuples.length > 1) return { ambiguous: tuples.map((t) => t.option) };
  if (tuples.length === 1) return { match: tuples[0]! };
  if (NEGATIVE_NUMBER.test(arg)) return { positional: true };
  if (arg.includes(" ")) return { positional: true };
  return { unknown: true };
}

/** vLLM FlexibleArgumentParser.parse_args rewriting (vllm/utils/argparse_utils.py). */
function rewrite(table: EngineOptionTable, args: readonly string[]): Token[] | ResolvedElement {
  const { underscoresAsDashes, optimizationLevelShorthand, dottedJsonKeys } = table.parser;
  const tokens: Token[] = [];
  args.forEach((arg, index) => {
    if (underscoresAsDashes && arg.startsWith("--help=")) tokens.push({ text: "--help", index });
    else if (underscoresAsDashes && arg.startsWith("--")) {
      // Everything between the first `--` and the first `.` (before any `=`): `_` → `-`.
      const eq = arg.indexOf("=");
      const key = eq >= 0 ? arg.slice(0, eq) : arg;
      const dot = key.indexOf(".");
      const head = dot >= 0 ? key.slice(2, dot) : key.slice(2);
      const fixed = `--${head.replaceAll("_", "-")}${dot >= 0 ? key.slice(dot) : ""}`;
      tokens.push({ text: eq >= 0 ? `${fixed}${arg.slice(eq)}` : fixed, index });
    } else if (optimizationLevelShorthand && arg.startsWith("-O") && arg !== "-O") {
      const level = arg[2] === "=" ? arg.slice(3) : arg.slice(2);
      tokens.push({ text: "--optimization-level", index }, { text: level, index, forcedValue: true });
    } else if (optimizationLevelShorthand && arg === "-O" && ["0", "1", "2", "3"].includes(args[index + 1] ?? "")) {
      tokens.push({ text: "--optimization-level", index });
    } else tokens.push({ text: arg, index });
  });
  if (!dottedJsonKeys) return tokens;
  // `--x.y value` / `--x.y=value` / `-x.y value`: removed, and `--x '{"y": value}'` appended.
  const kept: Token[] = [];
  const appended: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const text = token.text;
    if (token.forcedValue || !text.startsWith("-") || !text.includes(".")) {
      kept.push(token);
      continue;
    }
    let key = text;
    let valueIndex = token.index;
    const eq = text.indexOf("=");
    if (eq >= 0) {
      key = text.slice(0, eq);
      if (!key.includes(".")) {
        kept.push(token); // the `.` was in the value
        continue;
      }
    } else {
      const next = tokens[i + 1];
      if (!next) {
        return {
          kind: "error",
          index: token.index,
          problem: `${args[token.index]} is a dotted JSON key and needs a value after it (vLLM crashes with IndexError)`,
          fix: "give the value as the next element, or use key=value in one element",
        };
      }
      valueIndex = next.index;
      i++;
    }
    if (key.endsWith("+")) key = key.slice(0, -1);
    // One `--x '{...}'` per dotted element: argparse resolves `--x` the same way each time.
    appended.push({ text: key.split(".")[0]!, index: token.index }, { text: "{}", index: valueIndex, forcedValue: true });
  }
  kept.push(...appended);
  return kept;
}

const takes = (nargs: Nargs): { min: number; max: number } =>
  nargs === "?" ? { min: 0, max: 1 } : nargs === "*" ? { min: 0, max: Infinity } : nargs === "+" ? { min: 1, max: Infinity } : { min: nargs, max: nargs };

/**
 * Resolves each element of `args` (appended after rouse's own flags) as the engine's
 * parser would: every option each element sets (an element may set several: `-hq`),
 * which elements are values, and errors for elements argparse would reject or that
 * hold a flag and its value in one string. Ordered by element index.
 */
export function resolveExtraArgs(table: EngineOptionTable, args: readonly string[]): ResolvedElement[] {
  const out: ResolvedElement[] = [];
  const put = (r: ResolvedElement) => {
    out.push(r);
  };
  args.forEach((arg, index) => {
    if (arg === "--") {
      put({ kind: "error", index, problem: "`--` makes every later element a positional argument", fix: "remove it" });
      return;
    }
    const space = arg.search(/\s/);
    if (arg.startsWith("-") && space > 0 && !arg.slice(0, space).includes("=") && /^--?[A-Za-z_][\w.+-]*$/.test(arg.slice(0, space))) {
      const head = classifyOption(table, arg.slice(0, space));
      const named = "match" in head ? head.match.option : arg.slice(0, space);
      put({
        kind: "error",
        index,
        problem: `'${arg}' holds a flag and its value in one element; the engine reads it as one word, not as ${named}`,
        fix: `split it into two elements: ["${arg.slice(0, space)}", "${arg.slice(space + 1).trim()}"]`,
        ...("match" in head ? { option: head.match.option, dest: head.match.dest } : {}),
      });
    }
  });
  const rewritten = rewrite(table, args);
  if (!Array.isArray(rewritten)) {
    put(rewritten);
    return finish(args, out);
  }
  const tokens = rewritten;
  // Classify every token as argparse does before consuming anything: 'O' or 'A'.
  const classes = tokens.map((t) => (t.forcedValue ? ({ positional: true } as const) : classifyOption(table, t.text)));
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const c = classes[i]!;
    if ("positional" in c) {
      put({
        kind: "error",
        index: token.index,
        problem: `'${args[token.index]}' is a value that no flag takes (the engine stops with "unrecognized arguments")`,
        fix: "put it right after the flag it belongs to",
      });
      continue;
    }
    if ("ambiguous" in c) {
      put({
        kind: "error",
        index: token.index,
        problem: `'${args[token.index]}' is ambiguous for the engine's parser: it could be ${c.ambiguous.slice(0, 6).join(", ")}${c.ambiguous.length > 6 ? ", …" : ""}`,
        fix: "spell the flag in full",
      });
      continue;
    }
    if ("unknown" in c) {
      put({
        kind: "error",
        index: token.index,
        problem: `unknown flag '${args[token.index]}'`,
        fix: `check the spelling against \`${table.engine}\` ${table.version}'s flags`,
      });
      continue;
    }
    // One option, possibly a group of single-dash flags (`-hx` = `-h -x`).
    let match = c.match;
    for (;;) {
      put({ kind: "option", index: token.index, option: match.option, dest: match.dest, spelled: match.prefix ? "prefix" : "exact" });
      const { min, max } = takes(match.nargs);
      if (match.explicit !== undefined) {
        if (min === 0 && max === 0 && match.option[1] !== "-" && match.explicit !== "") {
          const next = `-${match.explicit[0]}`;
          if (!Object.hasOwn(table.options, next)) {
            put({ kind: "error", index: token.index, problem: `${match.option} takes no value ('${args[token.index]}')`, fix: `write ${match.option} alone` });
            break;
          }
          const [dest, nargs] = table.options[next]!;
          const rest = match.explicit.slice(1);
          match = { option: next, dest, nargs, explicit: rest === "" ? undefined : rest, prefix: false };
          continue;
        }
        if (max === 0 || min > 1) {
          put({ kind: "error", index: token.index, problem: `${match.option} cannot take a value written as '${args[token.index]}'`, fix: `write ${match.option} and its value(s) as separate elements` });
        }
        break;
      }
      let taken = 0;
      while (taken < max && i + 1 < tokens.length && "positional" in classes[i + 1]!) {
        i++;
        taken++;
        if (tokens[i]!.index !== token.index) put({ kind: "value", index: tokens[i]!.index, of: token.index });
      }
      if (taken < min) {
        put({ kind: "error", index: token.index, problem: `${match.option} expects ${min === 1 ? "a value" : `${min} values`} after it`, fix: "add the value as the next element" });
      }
      break;
    }
  }
  return finish(args, out);
}

/** Every effect, ordered by element; an element nothing read becomes an error. */
function finish(args: readonly string[], out: ResolvedElement[]): ResolvedElement[] {
  const seen = new Set(out.map((r) => r.index));
  args.forEach((_, index) => {
    if (!seen.has(index)) out.push({ kind: "error", index, problem: "the engine's parser would not read this element", fix: "remove it" });
  });
  return out.sort((a, b) => a.index - b.index);
}

/** The table for an engine version: that version's, else the nearest older one (and says so). */
export function optionTableFor(
  tables: readonly EngineOptionTable[],
  version: string,
  compare: (a: string, b: string) => number,
): { table: EngineOptionTable; exact: boolean } | undefined {
  const exact = tables.find((t) => t.version === version);
  if (exact) return { table: exact, exact: true };
  const sorted = [...tables].sort((a, b) => compare(a.version, b.version));
  const older = sorted.filter((t) => compare(t.version, version) <= 0).at(-1);
  const table = older ?? sorted[0];
  return table ? { table, exact: false } : undefined;
}

/** A problem with one extraArgs element, for the plugin to report against `engine.extraArgs[index]`. */
export interface ExtraArgIssue {
  readonly index: number;
  readonly severity: "error" | "warning";
  readonly code: "owned_flag" | "extra_arg" | "extra_arg_abbreviation";
  readonly message: string;
  readonly fix: string;
}

/**
 * Checks extraArgs against a table: errors for anything the parser rejects and for every
 * element that sets a dest in `owned` (dest → the config field that sets it, or why rouse
 * sets it); a warning for abbreviations (they break when the engine adds a flag).
 * `strictUnknown: false` (no table for this exact version) turns unknown flags into warnings.
 */
export function checkExtraArgs(
  table: EngineOptionTable,
  args: readonly string[],
  owned: Readonly<Record<string, string>>,
  options: { strictUnknown?: boolean } = {},
): ExtraArgIssue[] {
  const issues: ExtraArgIssue[] = [];
  const strictUnknown = options.strictUnknown ?? true;
  const reported = new Set<number>();
  for (const r of resolveExtraArgs(table, args)) {
    const shown = JSON.stringify(args[r.index]);
    if (r.kind === "error") {
      // The first problem of an element is the one to fix; later ones follow from it.
      if (reported.has(r.index)) continue;
      reported.add(r.index);
      const soft = !strictUnknown && r.problem.startsWith("unknown flag");
      issues.push({ index: r.index, severity: soft ? "warning" : "error", code: "extra_arg", message: r.problem, fix: r.fix });
      if (r.dest && Object.hasOwn(owned, r.dest)) {
        issues.push({
          index: r.index,
          severity: "error",
          code: "owned_flag",
          message: `${shown} names ${r.option}, which rouse sets from ${owned[r.dest]}`,
          fix: `remove it and set ${owned[r.dest]}`,
        });
      }
    } else if (r.kind === "option") {
      if (Object.hasOwn(owned, r.dest)) {
        issues.push({
          index: r.index,
          severity: "error",
          code: "owned_flag",
          message: `${shown} sets ${r.option}${r.spelled === "prefix" ? ` (the engine's parser expands the abbreviation)` : ""}, which rouse sets from ${owned[r.dest]}`,
          fix: `remove it and set ${owned[r.dest]}`,
        });
      } else if (r.spelled === "prefix") {
        issues.push({
          index: r.index,
          severity: "warning",
          code: "extra_arg_abbreviation",
          message: `${shown} is an abbreviation of ${r.option}; it breaks as soon as ${table.engine} adds a flag with the same prefix`,
          fix: `write ${r.option}`,
        });
      }
    }
  }
  return issues;
}
