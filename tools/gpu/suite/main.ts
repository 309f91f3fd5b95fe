import { resolve } from "node:path";
import { flags, recorder } from "./common.ts";
import { type Engine, writeGpuConfig } from "./configs.ts";
import { runLifecycle } from "./lifecycle.ts";
import { runServeLocal } from "./serve-local.ts";

// The GPU suite's entry point, bundled to gpu-suite.mjs by tools/gpu/bundle.sh and run
// by tools/gpu/run-vllm.sh / run-sglang.sh on the lent H200 (see tools/gpu/README.md).
//
//   gpu-suite.mjs config     --engine E --model DIR --role lifecycle|serve-local|recipe --out FILE [--mode M] [--util F]
//   gpu-suite.mjs lifecycle  --engine E --model DIR --results FILE --step NAME --log FILE [--port P] [--util F]
//                            [--eager] [--real-weights] [--ckpt-awake] [--level2]
//   gpu-suite.mjs serve-local --engine E --model DIR --results FILE --step NAME --log FILE --dir DIR
//                            --modes sleep,suspend [--util F] [--cycles N] [--concurrent N]
// Environment: ROUSE_CUDA_CKPT (argv of the checkpoint command, default `python3 -m rouse_py.cuda_ckpt`),
// ROUSE_CLI (argv of the bundled CLI, default `node <dir of this file>/rouse.mjs`).

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const f = flags(rest);
  const engine = f.required("--engine") as Engine;
  if (engine !== "vllm" && engine !== "sglang") throw new Error(`--engine: vllm or sglang, not ${engine}`);
  const model = f.required("--model");
  const util = Number(f.get("--util") ?? (engine === "vllm" ? "0.3" : "0.8"));
  const ckpt = (process.env.ROUSE_CUDA_CKPT ?? "python3 -m rouse_py.cuda_ckpt").trim().split(/\s+/);
  switch (command) {
    case "config": {
      const changes = writeGpuConfig(f.required("--out"), {
        engine,
        model,
        servedName: f.get("--served-name") ?? "m8b",
        role: f.required("--role") as "lifecycle" | "serve-local" | "recipe",
        mode: (f.get("--mode") as "sleep" | "suspend" | undefined) ?? "sleep",
        gpuMemoryUtilization: util,
        ...(f.has("--eager") ? { eager: true } : {}),
      });
      console.log(changes.join("\n"));
      return 0;
    }
    case "lifecycle": {
      const r = recorder(f.required("--results"), f.required("--step"));
      const repo = process.env.ROUSE_REPO ?? process.cwd();
      await runLifecycle(r, {
        engine,
        model,
        port: Number(f.get("--port") ?? 8100),
        log: f.required("--log"),
        gpuMemoryUtilization: util,
        eager: f.has("--eager"),
        realWeights: f.has("--real-weights"),
        checkpointAwake: f.has("--ckpt-awake"),
        level2: f.has("--level2"),
        ckpt,
        factsCheck: {
          python: "python3",
          script: resolve(repo, "tools/engine-args/check.py"),
          facts: resolve(repo, "tools/engine-args/facts"),
        },
      });
      return 0;
    }
    case "serve-local": {
      const r = recorder(f.required("--results"), f.required("--step"));
      const cli = (
        process.env.ROUSE_CLI ?? `${process.execPath} ${new URL("./rouse.mjs", import.meta.url).pathname}`
      )
        .trim()
        .split(/\s+/);
      await runServeLocal(r, {
        engine,
        model,
        modes: (f.get("--modes") ?? "sleep").split(",") as ("sleep" | "suspend")[],
        gpuMemoryUtilization: util,
        cli,
        dir: f.required("--dir"),
        port: Number(f.get("--port") ?? 8200),
        log: f.required("--log"),
        cycles: Number(f.get("--cycles") ?? 2),
        concurrent: Number(f.get("--concurrent") ?? 8),
      });
      return 0;
    }
    default:
      console.error("usage: gpu-suite.mjs config|lifecycle|serve-local --engine vllm|sglang --model DIR ...");
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`gpu-suite: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
