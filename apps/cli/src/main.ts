import { readFileSync } from "node:fs";
import { ConfigError, printable, printableLines } from "@rouse/config";
import { type Command, isGroup, type LeafCommand } from "./commands/command.ts";
import { commands } from "./commands/index.ts";
import { parseCommandArgs } from "./ui/args.ts";
import { commandHelp, rootUsage } from "./ui/help.ts";
import { CliError, EXIT, type Io, processIo, styles, UsageError } from "./ui/output.ts";
import { didYouMean } from "./ui/suggest.ts";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const isHelpFlag = (arg: string | undefined) => arg === "--help" || arg === "-h";

type Found =
  | { kind: "leaf"; path: string; command: LeafCommand; rest: string[] }
  | { kind: "group-help"; path: string; command: Command }
  | { kind: "error"; message: string; hint: string };

/** argv → the command it names (`bench load` → bench's load), with a suggestion when none. */
function find(argv: readonly string[], asked: boolean): Found {
  const [name = "", ...rest] = argv;
  const command = commands.find((c) => c.name === name);
  if (!command)
    return {
      kind: "error",
      message: `unknown command '${printable(name, 100)}'${didYouMean(name, commands.map((c) => c.name), (s) => `'${s}'`)}`,
      hint: "run 'rouse --help' for the list",
    };
  if (!isGroup(command)) return { kind: "leaf", path: name, command, rest };
  const [subName, ...subRest] = rest;
  if (subName === undefined || isHelpFlag(subName))
    return subName || asked
      ? { kind: "group-help", path: name, command }
      : {
          kind: "error",
          message: `rouse ${name}: which one? ${command.subcommands.map((s) => s.name).join(" or ")}`,
          hint: `run 'rouse ${name} --help'`,
        };
  const sub = command.subcommands.find((s) => s.name === subName);
  if (!sub)
    return {
      kind: "error",
      message: `rouse ${name}: unknown subcommand '${printable(subName, 100)}'${didYouMean(subName, command.subcommands.map((s) => s.name), (s) => `'${s}'`)}`,
      hint: `run 'rouse ${name} --help' for the list`,
    };
  return { kind: "leaf", path: `${name} ${subName}`, command: sub, rest: subRest };
}

/** Runs one CLI invocation and returns its exit code (never calls process.exit). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  const s = styles(io);
  if (!name || isHelpFlag(name) || (name === "help" && (rest.length === 0 || isHelpFlag(rest[0])))) {
    io.stdout.write(`${rootUsage(commands, version)}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  const asked = name === "help";
  const found = find(asked ? rest : argv, asked);
  if (found.kind === "error") {
    io.stderr.write(`${s.red(found.message.startsWith("rouse") ? found.message : `rouse: ${found.message}`)}\n${s.dim(found.hint)}\n`);
    return EXIT.usage;
  }
  if (found.kind === "group-help" || asked) {
    io.stdout.write(`${commandHelp(found.path, found.command)}\n`);
    return EXIT.ok;
  }
  const { path, command } = found;
  try {
    const parsed = parseCommandArgs(command, found.rest, path);
    if (parsed.help) {
      io.stdout.write(`${commandHelp(path, command)}\n`);
      return EXIT.ok;
    }
    return await command.run(parsed.parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${s.red(`rouse ${path}: ${printableLines(error.message)}`)}\n${s.dim(`run 'rouse ${path} --help'`)}\n`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${s.red(`rouse ${path}: ${printableLines(error.message)}`)}\n`);
      if (error.hint) io.stderr.write(`${s.dim(`hint: ${printableLines(error.hint)}`)}\n`);
      return EXIT.failure;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`${s.red(printableLines(error.message))}\n`);
      return EXIT.failure;
    }
    io.stderr.write(`${s.red(`rouse ${path}: ${printableLines((error as Error).message ?? String(error))}`)}\n`);
    if (io.env.ROUSE_DEBUG) io.stderr.write(`${(error as Error).stack}\n`);
    return EXIT.failure;
  }
}
