import type { Io } from "../ui/output.ts";

/**
 * One option of a command, declared once: parsing, `--help`, "did you mean" and the
 * README's CLI reference are all made from this.
 */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** One letter: `-f` for `--follow`. */
  readonly short?: string;
  /** The value's placeholder in help, e.g. `NAME` in `--app NAME` (string options). */
  readonly value?: string;
  /** One line (or a few, `\n`-separated) for `--help`; its first line goes in the README. */
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values: one key per declared option, typed by its declaration. */
export type Values<O extends OptionSpecs> = {
  readonly [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

export interface Parsed<O extends OptionSpecs> {
  readonly values: Values<O>;
  readonly positionals: string[];
  /** What followed `--`, unparsed (only for commands that declare `passthrough`). */
  readonly passthrough: string[];
}

interface CommandBase {
  readonly name: string;
  /** One line: `rouse --help` and the README table show it. */
  readonly summary: string;
  /** Prose between the usage line and the options in `--help`. */
  readonly description?: string;
  /** Lines after the options in `--help` (exit codes, notes). */
  readonly footer?: string;
}

/** A command that runs. */
export interface LeafCommand<O extends OptionSpecs = OptionSpecs> extends CommandBase {
  /** The positional arguments in the usage line, e.g. `[rouse.yaml]`; none when absent. */
  readonly args?: string;
  readonly options: O;
  /** Placeholder for what `--` hands on unparsed, e.g. `MODAL_FLAGS` (`rouse logs -- --help`). */
  readonly passthrough?: string;
  /** Rewrites the arguments before parsing (e.g. a flag that takes several values). */
  readonly normalize?: (args: readonly string[]) => string[];
  run(parsed: Parsed<O>, io: Io): Promise<number>;
}

/** A command made of subcommands, e.g. `rouse bench load`. */
export interface GroupCommand extends CommandBase {
  readonly subcommands: readonly LeafCommand[];
}

export type Command = LeafCommand | GroupCommand;

export const isGroup = (command: Command): command is GroupCommand => "subcommands" in command;

/** Declares a command; `const` keeps each option's type literal so `values` is typed. */
export function defineCommand<const O extends OptionSpecs>(command: LeafCommand<O>): LeafCommand {
  return command as unknown as LeafCommand;
}
