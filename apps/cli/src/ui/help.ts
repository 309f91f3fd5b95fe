import { type Command, isGroup, type LeafCommand, type OptionSpec } from "../commands/command.ts";

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

/** `-f, --follow` / `    --tail N`: the flag as help and the README show it. */
export function optionLabel(name: string, option: OptionSpec): string {
  const long = `--${name}${option.type === "string" ? ` ${option.value ?? "VALUE"}` : ""}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

/** Two columns, the second aligned; continuation lines of a cell indented to it. */
function columns(rows: readonly (readonly [string, string])[], indent = "  "): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows
    .map(([left, right]) => {
      const [first, ...more] = right.split("\n");
      const pad = `${indent}${" ".repeat(width)}  `;
      return [`${indent}${left.padEnd(width)}  ${first}`, ...more.map((line) => `${pad}${line}`)].join("\n");
    })
    .join("\n");
}

/** Every leaf command with the words that call it: `bench load`, not `bench`. */
export function leaves(commands: readonly Command[]): { path: string; command: LeafCommand }[] {
  return commands.flatMap((c) =>
    isGroup(c)
      ? c.subcommands.map((sub) => ({ path: `${c.name} ${sub.name}`, command: sub }))
      : [{ path: c.name, command: c }],
  );
}

export function usageLine(path: string, command: LeafCommand): string {
  const parts = [`rouse ${path}`];
  if (command.args) parts.push(command.args);
  if (Object.keys(command.options).length > 0) parts.push("[options]");
  if (command.passthrough) parts.push(`[-- ${command.passthrough}...]`);
  return parts.join(" ");
}

/** `rouse <path> --help`. */
export function commandHelp(path: string, command: Command): string {
  if (isGroup(command)) {
    return [
      `Usage: rouse ${path} <${command.subcommands.map((s) => s.name).join("|")}> [options]`,
      "",
      command.description ?? command.summary,
      "",
      "Subcommands:",
      columns(command.subcommands.map((s) => [s.name, s.summary])),
      "",
      `Run 'rouse ${path} <subcommand> --help' for its options.`,
    ].join("\n");
  }
  const options = Object.entries(command.options).map(([name, o]) => [optionLabel(name, o), o.description] as const);
  options.push([optionLabel("help", HELP_OPTION), HELP_OPTION.description]);
  if (command.passthrough)
    options.push([`    -- ${command.passthrough}...`, "everything after -- is passed on unchanged"]);
  return [
    `Usage: ${usageLine(path, command)}`,
    "",
    command.description ?? command.summary,
    "",
    "Options:",
    columns(options),
    ...(command.footer ? ["", command.footer] : []),
  ].join("\n");
}

/** `rouse --help`. */
export function rootUsage(commands: readonly Command[], version: string): string {
  const rows = leaves(commands).map(({ path, command }) => [path, command.summary] as const);
  rows.push(["help <command>", "a command's usage and options (same as rouse <command> --help)"]);
  return `rouse ${version} — one config file → a production LLM inference service on Modal

Usage: rouse <command> [options]

Commands:
${columns(rows)}

Run 'rouse help <command>' for a command's options.
Exit codes: 0 success, 1 failure, 2 usage error. NO_COLOR disables colour.`;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string) => `\`${text.trim()}\``;

/** The README's CLI reference: one row per command, every declared option in it. */
export function referenceTable(commands: readonly Command[]): string {
  const rows = leaves(commands).map(({ path, command }) => {
    const options = Object.entries(command.options).map(([name, o]) => code(optionLabel(name, o)));
    if (command.passthrough) options.push(code(`-- ${command.passthrough}...`));
    const call = code(`rouse ${path}${command.args ? ` ${command.args}` : ""}`);
    return `| ${cell(call)} | ${cell(command.summary)} | ${cell(options.join(", "))} |`;
  });
  return ["| command | what it does | options |", "| --- | --- | --- |", ...rows].join("\n");
}
