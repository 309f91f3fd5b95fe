import type { Io } from "../ui/output.ts";

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text, shown by `rouse <name> --help`. */
  readonly help: string;
  run(args: string[], io: Io): Promise<number>;
}
