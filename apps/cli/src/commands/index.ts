import type { Command } from "./command.ts";
import { initCommand } from "./init.ts";
import { presetsCommand } from "./presets.ts";
import { schemaCommand } from "./schema.ts";
import { validateCommand } from "./validate.ts";

/** Every `thaw` command, in the order `thaw --help` lists them. */
export const commands: readonly Command[] = [initCommand, validateCommand, schemaCommand, presetsCommand];
