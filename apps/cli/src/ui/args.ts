import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./output.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Strict parsing: unknown flags are usage errors that name the flag. */
export function parse<T extends Options>(args: string[], options: T, positionals = true) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: positionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[\w+\]: /, ""));
  }
}

/** The options of every command that talks to a deployment over HTTP (see resolveUrl). */
export const targetOptions = {
  preset: { type: "string" },
  app: { type: "string" },
  url: { type: "string" },
  "api-key": { type: "string" },
  "api-key-env": { type: "string" },
} as const satisfies Options;
