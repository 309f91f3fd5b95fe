import { PassThrough } from "node:stream";
import type { Io } from "../ui/output.ts";

/** An in-memory Io for running commands in-process; no TTY unless asked. */
export function memoryIo(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on("data", (d) => out.push(String(d)));
  stderr.on("data", (d) => err.push(String(d)));
  const io: Io = { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: "1", ...env }, cwd };
  return { io, out: () => out.join(""), err: () => err.join("") };
}
