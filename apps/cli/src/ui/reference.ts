import type { Command } from "../commands/command.ts";
import { referenceTable } from "./help.ts";

export const START = "<!-- cli-reference:start (generated from the command declarations: pnpm --filter @rouse/cli docs:readme) -->";
export const END = "<!-- cli-reference:end -->";

/** The READMEs that carry the CLI reference table: the repository's and the CLI package's. */
export const referenceFiles = [
  new URL("../../../../README.md", import.meta.url),
  new URL("../../README.md", import.meta.url),
];

/** `text` with the part between the markers replaced by the reference of `commands`. */
export function withReference(text: string, commands: readonly Command[]): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`no ${START} … ${END} markers`);
  return `${text.slice(0, start + START.length)}\n\n${referenceTable(commands)}\n\n${text.slice(end)}`;
}
