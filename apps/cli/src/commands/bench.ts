import { EXIT, styles, UsageError } from "../ui/output.ts";
import { BENCH_COLDSTART_HELP, benchColdstart } from "./bench-coldstart.ts";
import { BENCH_LOAD_HELP, benchLoad } from "./bench-load.ts";
import type { Command } from "./command.ts";

export const benchCommand: Command = {
  name: "bench",
  summary: "benchmarks: `bench load` (throughput/latency), `bench coldstart` (scale-to-zero → first token)",
  help: `Usage: rouse bench load [options]        load test (vllm bench serve metrics)
       rouse bench coldstart [options]   cold-start latency of a deployed app

${BENCH_LOAD_HELP}

${BENCH_COLDSTART_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "load") return benchLoad(rest, io);
    if (sub === "coldstart") return benchColdstart(rest, io);
    if (!sub) {
      io.stderr.write(`${styles(io).red("rouse bench: which benchmark? load or coldstart")}\n`);
      return EXIT.usage;
    }
    throw new UsageError(`unknown benchmark '${sub}' (load, coldstart)`);
  },
};
