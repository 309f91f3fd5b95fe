import { benchCommand } from "./bench.ts";
import { chatCommand } from "./chat.ts";
import type { Command } from "./command.ts";
import { deployCommand } from "./deploy.ts";
import { generateCommand } from "./generate.ts";
import { importCommand } from "./import.ts";
import { initCommand } from "./init.ts";
import { logsCommand } from "./logs.ts";
import { presetsCommand } from "./presets.ts";
import { probeCommand } from "./probe.ts";
import { scaleCommand } from "./scale.ts";
import { schemaCommand } from "./schema.ts";
import { serveCommand } from "./serve.ts";
import { statusCommand } from "./status.ts";
import { stopCommand } from "./stop.ts";
import { urlCommand } from "./url.ts";
import { validateCommand } from "./validate.ts";

/** Every `rouse` command, in the order `rouse --help` lists them (the order of the flow). */
export const commands: readonly Command[] = [
  initCommand,
  importCommand,
  validateCommand,
  schemaCommand,
  presetsCommand,
  generateCommand,
  deployCommand,
  statusCommand,
  urlCommand,
  logsCommand,
  scaleCommand,
  stopCommand,
  serveCommand,
  probeCommand,
  chatCommand,
  benchCommand,
];
