import { existsSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { CliError, type Io } from "../ui/output.ts";

// Modal's Python CLI, run through execa. rouse deploys and stops containers with it
// (the JavaScript SDK cannot), and reads app/container/secret lists from its --json
// output. Every call has a timeout: the 1.6.4 CLI retries an unreachable server for
// about 60 s before giving up.

export interface ModalCli {
  readonly bin: string;
  /** How it was found, for messages: `--modal-bin`, `ROUSE_MODAL_BIN`, `python/.venv`, `PATH`. */
  readonly source: string;
}

const INSTALL_HINT =
  "install it with `pip install modal` (in the rouse repository: python/setup.sh), or pass --modal-bin PATH";

function isExecutable(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The repository's own venv: python/.venv/bin/modal above the working directory or this file. */
function repoVenvModal(cwd: string): string | undefined {
  const starts = [cwd, dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, "python", ".venv", "bin", "modal");
      if (isExecutable(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** `--modal-bin` > `ROUSE_MODAL_BIN` > the repository's python/.venv > `modal` on PATH. */
export function findModal(io: Io, override?: string): ModalCli {
  if (override) {
    const bin = override.includes("/")
      ? resolve(io.cwd, override)
      : (onPath(override, io.env) ?? resolve(io.cwd, override));
    if (!existsSync(bin)) throw new CliError(`--modal-bin ${override} does not exist`, INSTALL_HINT);
    return { bin, source: "--modal-bin" };
  }
  if (io.env.ROUSE_MODAL_BIN) {
    const bin = resolve(io.cwd, io.env.ROUSE_MODAL_BIN);
    if (!existsSync(bin))
      throw new CliError(`ROUSE_MODAL_BIN=${io.env.ROUSE_MODAL_BIN} does not exist`, INSTALL_HINT);
    return { bin, source: "ROUSE_MODAL_BIN" };
  }
  const venv = repoVenvModal(io.cwd);
  if (venv) return { bin: venv, source: "python/.venv" };
  const path = onPath("modal", io.env);
  if (path) return { bin: path, source: "PATH" };
  throw new CliError("the modal CLI was not found", INSTALL_HINT);
}

export interface ModalRunOptions {
  /** Kill the CLI after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Called for every output line (stdout and stderr interleaved), as it arrives. */
  readonly onLine?: (line: string) => void;
  /** Extra environment. */
  readonly env?: Record<string, string>;
  /** Ask the CLI for a traceback so the error class (`AuthError`, …) is on the last line. */
  readonly traceback?: boolean;
  readonly signal?: AbortSignal;
}

export interface ModalResult {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved, line by line. */
  readonly lines: readonly string[];
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** The limit it ran under. */
  readonly timeoutMs: number;
  readonly command: string;
}

// Rich (which the CLI prints through) wraps at 80 columns when it is not on a TTY,
// which breaks long web URLs across lines; a wide COLUMNS keeps each on one line.
const WIDE = "400";

export async function runModal(
  cli: ModalCli,
  args: readonly string[],
  io: Io,
  options: ModalRunOptions = {},
) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = performance.now();
  const env: Record<string, string> = {
    ...(io.env as Record<string, string>),
    COLUMNS: WIDE,
    TERM: "dumb",
    NO_COLOR: "1",
    PYTHONUNBUFFERED: "1",
    ...(options.traceback ? { MODAL_TRACEBACK: "1" } : {}),
    ...options.env,
  };
  const subprocess = execa(cli.bin, args, {
    cwd: io.cwd,
    env,
    extendEnv: false,
    reject: false,
    all: true,
    stdin: "ignore",
    timeout: timeoutMs,
    forceKillAfterDelay: 1000,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  const lines: string[] = [];
  try {
    for await (const line of subprocess.iterable({ from: "all" })) {
      const text = String(line);
      lines.push(text);
      options.onLine?.(text);
    }
  } catch {
    // The iterable rejects when the process fails; the awaited result below says how.
  }
  const result = await subprocess;
  if (
    (result as { code?: string }).code === "ENOENT" ||
    (result.failed && /ENOENT/.test(String(result.message)))
  ) {
    throw new CliError(`could not run ${cli.bin} (${cli.source}): not found`, INSTALL_HINT);
  }
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    lines,
    timedOut: Boolean(result.timedOut),
    durationMs: performance.now() - started,
    timeoutMs,
    command: `modal ${args.join(" ")}`,
  } satisfies ModalResult;
}

/** The error the CLI printed: `(ErrorClass, message)` from a traceback's last line, or its `Error: …` line. */
export function modalError(
  result: Pick<ModalResult, "lines" | "stderr">,
): { kind: string; message: string } | undefined {
  const lines = result.lines.length ? result.lines : result.stderr.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    const typed = /^([A-Z]\w*(?:Error|Exception|Exit)): (.+)$/.exec(line);
    if (typed) return { kind: typed[1]!, message: typed[2]! };
    const plain = /^Error: (.+)$/.exec(line);
    if (plain) return { kind: "Error", message: plain[1]! };
  }
  return undefined;
}

const TOKEN_HINT =
  "run `modal token new`, or set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (`modal token info` shows the one in use)";

/** Turns a failed CLI call into one clear line and a hint. */
export function modalFailure(result: ModalResult, what: string, env: NodeJS.ProcessEnv): CliError {
  const server = env.MODAL_SERVER_URL ?? "https://api.modal.com";
  if (result.timedOut) {
    return new CliError(
      `${what}: \`${result.command}\` got no answer from Modal (${server}) within ${Number((result.timeoutMs / 1000).toFixed(1))} s`,
      "check your network (and MODAL_SERVER_URL if you set it); raise --modal-timeout for slow links",
    );
  }
  const error = modalError(result);
  const text =
    error?.message ?? result.lines.filter((l) => l.trim()).at(-1) ?? `exit code ${result.exitCode}`;
  if (/Token missing|Could not authenticate client/i.test(text)) {
    return new CliError(`${what}: no Modal token is configured`, TOKEN_HINT);
  }
  if (
    error?.kind === "AuthError" ||
    /token.*(invalid|validation|expired|revoked)|unauthenticated/i.test(text)
  ) {
    return new CliError(`${what}: Modal refused the token (${text})`, TOKEN_HINT);
  }
  if (error?.kind === "ConnectionError" || /Could not connect to the Modal server/i.test(text)) {
    return new CliError(
      `${what}: could not reach Modal (${server})`,
      "check your network; if MODAL_SERVER_URL is set, is it right?",
    );
  }
  if (error?.kind === "NotFoundError" || /not found/i.test(text)) {
    return new CliError(`${what}: ${text}`, "check the app name and the Modal environment (--env)");
  }
  return new CliError(`${what}: ${text}`, `run \`${result.command}\` yourself to see its full output`);
}

/** `modal --version` → `1.6.4`. */
export async function modalVersion(cli: ModalCli, io: Io): Promise<string> {
  const result = await runModal(cli, ["--version"], io, { timeoutMs: 20_000 });
  const match =
    /version:?\s*v?(\d+\.\d+\.\d+\S*)/i.exec(result.stdout) ?? /(\d+\.\d+\.\d+\S*)/.exec(result.stdout);
  if (result.exitCode !== 0 || !match) {
    throw new CliError(
      `${cli.bin} (${cli.source}) did not report a version (exit ${result.exitCode}): ${result.lines.at(-1) ?? ""}`.trim(),
      INSTALL_HINT,
    );
  }
  return match[1]!;
}

/** Runs a `… --json` listing and parses it; failures become CliErrors. */
export async function modalJson<T>(
  cli: ModalCli,
  args: readonly string[],
  io: Io,
  what: string,
  timeoutMs?: number,
): Promise<T> {
  const result = await runModal(cli, args, io, { traceback: true, ...(timeoutMs ? { timeoutMs } : {}) });
  if (result.exitCode !== 0 || result.timedOut) throw modalFailure(result, what, io.env);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new CliError(
      `${what}: \`${result.command}\` printed something that is not JSON: ${result.stdout.slice(0, 120)}`,
      "is the modal CLI too old for --json? rouse is tested with modal 1.6.4",
    );
  }
}
