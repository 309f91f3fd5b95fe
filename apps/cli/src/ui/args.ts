import { type ParseArgsConfig, parseArgs } from "node:util";
import type { LeafCommand, OptionSpecs, Parsed } from "../commands/command.ts";
import { UsageError } from "./output.ts";
import { didYouMean } from "./suggest.ts";

type ParseOptions = NonNullable<ParseArgsConfig["options"]>;

const HELP = { type: "boolean", short: "h" } as const;

/** Keys a caller may read on `values` without declaring them (object plumbing, not options). */
const PLUMBING = new Set(["then", "toJSON", "constructor", "hasOwnProperty", "toString", "valueOf"]);

function parseOptions(options: OptionSpecs): ParseOptions {
  const out: ParseOptions = { help: HELP };
  for (const [name, o] of Object.entries(options)) out[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  return out;
}

/**
 * The values, guarded: reading an option the command did not declare is a bug in
 * rouse (its help would not mention it), so it throws instead of answering undefined.
 */
function guarded<T extends object>(values: T, options: OptionSpecs, command: string): T {
  return new Proxy(values, {
    get(target, key, receiver) {
      if (typeof key === "string" && !Object.hasOwn(options, key) && !PLUMBING.has(key))
        throw new Error(`rouse ${command} reads --${key}, which it does not declare in its options`);
      return Reflect.get(target, key, receiver);
    },
  });
}

const flag = (name: string) => `--${name}`;

/**
 * Parses a command's arguments against its declared options (strictly: unknown options
 * and missing values are usage errors that name the flag and suggest the closest one).
 * `help` when -h/--help is among its own options — not after `--`, which is handed on.
 */
export function parseCommandArgs(
  command: LeafCommand,
  args: readonly string[],
  label = command.name,
): { help: true } | { help: false; parsed: Parsed<OptionSpecs> } {
  const dash = command.passthrough ? args.indexOf("--") : -1;
  const own = dash >= 0 ? args.slice(0, dash) : [...args];
  const passthrough = dash >= 0 ? args.slice(dash + 1) : [];
  const input = command.normalize ? command.normalize(own) : own;
  const options = parseOptions(command.options);

  // A loose pass first: find --help and unknown flags (to name the closest known one).
  const { tokens } = parseArgs({ args: input, options, allowPositionals: true, strict: false, tokens: true });
  const flags = tokens.filter((t) => t.kind === "option");
  if (flags.some((t) => t.name === "help")) return { help: true };
  const unknown = flags.find((t) => !Object.hasOwn(options, t.name));
  if (unknown) {
    // One letter is too little to guess from: only long flags get a suggestion.
    const near = unknown.name.length > 1 ? didYouMean(unknown.name, Object.keys(options), flag) : "";
    throw new UsageError(`unknown option '${unknown.rawName}'${near}`);
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: input, options, allowPositionals: command.args !== undefined, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[\w+\]: /, ""));
  }
  const { help: _, ...values } = parsed.values;
  return {
    help: false,
    // parseArgs types values loosely; the declared options say which is which.
    parsed: { values: guarded(values, command.options, label) as Parsed<OptionSpecs>["values"], positionals: parsed.positionals, passthrough },
  };
}
