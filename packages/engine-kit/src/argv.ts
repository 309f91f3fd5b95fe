// One argv element for a flag and its value. argparse reads a separate element that
// starts with `-` as the next flag (`--api-key -x…` stops the engine with "expected one
// argument"), but `--flag=value` keeps everything after the first `=` as the value, in
// vLLM's FlexibleArgumentParser and in SGLang's plain argparse alike.

/** `--flag=value`: the value may start with `-`, contain `=` or be empty. */
export function flagValue(flag: string, value: string): string {
  if (!/^--[A-Za-z0-9][A-Za-z0-9_-]*$/.test(flag)) throw new Error(`not a long flag: ${JSON.stringify(flag)}`);
  return `${flag}=${value}`;
}

/**
 * For values that cannot use the `=` form (positionals, `nargs="+"` lists): refuse one
 * that argparse would read as a flag, instead of starting an engine that dies on it.
 */
export function plainValue(what: string, value: string): string {
  if (value.startsWith("-")) throw new Error(`${what} '${value}' starts with '-', which the engine would read as a flag`);
  return value;
}
