import { benchColdstartCommand } from "./bench-coldstart.ts";
import { benchLoadCommand } from "./bench-load.ts";
import type { GroupCommand } from "./command.ts";

export const benchCommand: GroupCommand = {
  name: "bench",
  summary: "benchmarks: `bench load` (throughput/latency), `bench coldstart` (scale-to-zero → first token)",
  subcommands: [benchLoadCommand, benchColdstartCommand],
};
