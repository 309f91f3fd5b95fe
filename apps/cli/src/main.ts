import { readFileSync } from "node:fs";
import { ConfigError, printable, printableLines } from "@rouse/config";
import { commands } from "./commands/index.ts";
import { CliError, EXIT, type Io, processIo, styles, UsageError } from "./ui/output.ts";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `rouse ${version} — one config file → a production LLM inference service on Modal

Usage: rouse <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run 'rouse <command> --help' for a command's options.
Exit codes: 0 success, 1 failure, 2 usage error. NO_COLOR disables colour.`;
}

/** Runs one CLI invocation and returns its exit code (never calls process.exit). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${usage()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  const s = styles(io);
  if (!command) {
    io.stderr.write(`${s.red(`rouse: unknown command '${printable(name, 100)}'`)}\n${s.dim("run 'rouse --help' for the list")}\n`);
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${s.red(`rouse ${name}: ${printableLines(error.message)}`)}\n${s.dim(`run 'rouse ${name} --help'`)}\n`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${s.red(`rouse ${name}: ${printableLines(error.message)}`)}\n`);
      if (error.hint) io.stderr.write(`${s.dim(`hint: ${printableLines(error.hint)}`)}\n`);
      return EXIT.failure;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`${s.red(printableLines(error.message))}\n`);
      return EXIT.failure;
    }
    io.stderr.write(`${s.red(`rouse ${name}: ${printableLines((error as Error).message ?? String(error))}`)}\n`);
    if (io.env.ROUSE_DEBUG) io.stderr.write(`${(error as Error).stack}\n`);
    return EXIT.failure;
  }
}
