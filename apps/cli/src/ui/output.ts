import { formatIssue, type ConfigIssue, printableJson } from "@rouse/config";

/** Exit codes every command follows: 0 success, 1 failure (invalid config, failed operation), 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Thrown for bad command-line usage; main prints it with the command's help hint and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A failure with one clear line and a hint; main prints both and exits 1. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** ANSI styling that honours NO_COLOR (https://no-color.org) and non-TTY output. */
export function styles(io: Io, stream: "stdout" | "stderr" = "stderr") {
  const on = !io.env.NO_COLOR && io.env.TERM !== "dumb" && Boolean(io[stream].isTTY || io.env.FORCE_COLOR);
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap("31"), yellow: wrap("33"), green: wrap("32"), dim: wrap("2"), bold: wrap("1"), cyan: wrap("36") };
}

export function printIssues(io: Io, issues: readonly ConfigIssue[], file?: string): void {
  const s = styles(io);
  for (const issue of issues) {
    const text = formatIssue(issue, file);
    io.stderr.write(`${issue.severity === "error" ? s.red(text) : s.yellow(text)}\n`);
  }
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${printableJson(JSON.stringify(value, null, 2))}\n`);
}
