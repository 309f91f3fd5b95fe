import { z } from "zod";
import { pluginWarningV1Schema } from "./warning.ts";

/** Where and how the engine is being launched. */
export interface LaunchContextV1 {
  /** `modal`: inside the emitted app's container; `local`: under `rouse serve --local`. */
  readonly target: "modal" | "local";
  readonly host: string;
  readonly port: number;
  /** Replaces the engine's default executable prefix (e.g. a venv's `vllm`). */
  readonly executable?: readonly string[];
  /**
   * An ASGI middleware class for the engine's own HTTP server (`module` importable from
   * the engine process, `attribute` the class): rouse's guard, run in-process so no proxy
   * hop sits between clients and the engine. With it, `host`/`port` are the public ones.
   * A plugin that runs it says so with `guard: "in-process"` in its spec; one that cannot
   * ignores it, and rouse asks again for a loopback engine behind its proxy guard.
   */
  readonly asgiGuard?: { readonly module: string; readonly attribute: string };
}

/**
 * A flag whose value is read from an environment variable when the engine starts (secrets).
 * Consumers add it as ONE element, `--flag=value` (argFromEnvElement): a key may start
 * with `-`, and argparse reads a separate element that does as the next flag.
 */
export const argFromEnvV1Schema = z.strictObject({
  flag: z.string().regex(/^--[a-z0-9][a-z0-9-]*$/),
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  /** Skip the flag when the variable is unset. */
  optional: z.boolean(),
});

/**
 * Why a group of flags is there, in one line (the seeds' "make KV cache predictable"):
 * codegen writes it as a comment above the first argv element that is `flag` or starts
 * with `flag=`. Free text; it only ever becomes a comment.
 */
export const argvNoteV1Schema = z.strictObject({
  flag: z.string().regex(/^--?[A-Za-z0-9][A-Za-z0-9_-]*$/),
  why: z.string().min(1).max(160),
});

/** The engine process: argv (never a shell string) and its environment. */
export const launchSpecV1Schema = z.strictObject({
  argv: z
    .array(z.string().refine((s) => !/[\0\r\n]/.test(s), "argv elements carry no NUL or line breaks"))
    .min(1),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()),
  /** Flags appended at start time from the environment, so secrets never sit in source or argv templates. */
  argsFromEnv: z.array(argFromEnvV1Schema).default([]),
  host: z.string(),
  port: z.number().int().min(1).max(65_535),
  warnings: z.array(pluginWarningV1Schema).default([]),
  /** One-line reasons for groups of flags, shown beside them in the emitted app. */
  argvNotes: z.array(argvNoteV1Schema).default([]),
  /** `in-process`: the argv runs the context's `asgiGuard` inside the engine's HTTP server. */
  guard: z.literal("in-process").optional(),
});
export type LaunchSpecV1 = z.input<typeof launchSpecV1Schema>;

/** The argv element for one `argsFromEnv` entry and its value: `--flag=value`. */
export function argFromEnvElement(arg: { readonly flag: string }, value: string): string {
  return `${arg.flag}=${value}`;
}
export type ArgFromEnvV1 = z.infer<typeof argFromEnvV1Schema>;
