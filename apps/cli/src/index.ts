export { main } from "./main.ts";
export { commands } from "./commands/index.ts";
export type { Command, GroupCommand, LeafCommand, OptionSpec } from "./commands/command.ts";
export { EXIT, type Io } from "./ui/output.ts";
