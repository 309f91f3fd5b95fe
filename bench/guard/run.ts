// Guard benchmark (issue #16): tokens and requests straight to an engine vs through the
// guards of generated apps, side by side in one run. Both guards are the apps' own code,
// unchanged: the in-process guard of app.py as emitted for vLLM (its guard_env() makes the
// engine's environment with GUARD_MODULE on PYTHONPATH; the engine loads
// `--middleware rouse_guard.RouseGuard`) inside a Python stand-in shaped like vLLM's API
// server (standin_asgi.py), against the same stand-in without it; and the transport guard
// of the same config generated for an engine without an ASGI server (serve_guard.py calls
// its start_guard) in front of a Go stand-in engine (standin/: one SSE token per --pace
// per stream). The load generator is independent (loadgen/, Go).
// drive.py runs the measurements (Python only, so the same run works on the lent device,
// see device.sh); report.ts writes bench/results/guard.md + guard.json. Loopback only.
//
//   node --conditions=@rouse/source bench/guard/run.ts [--quick] [--results DIR]
//   node --conditions=@rouse/source bench/guard/run.ts --prepare-device [--python-version 3.12]
//     builds what device.sh needs into .bench-carry/guard/ (static Go binaries, the apps,
//     wheels of the ASGI stand-in's packages for CPython 3.12 on manylinux x86_64)
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findPreset } from "../../packages/config/src/index.ts";
import type { EnginePluginV1 } from "../../packages/engine-spec/src/index.ts";
import { installedEngines, renderApp, validateConfig } from "../../packages/engines/src/index.ts";
import { type Raw, report } from "./report.ts";

const ROOT = join(import.meta.dirname, "../..");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "prepare-device": { type: "boolean", default: false },
    // The device's CPython; another version only for a local dry run of device.sh.
    "python-version": { type: "string", default: "3.12" },
    // Where guard.md + guard.json go (a dry run writes elsewhere).
    results: { type: "string", default: join(ROOT, "bench/results") },
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

/**
 * The default preset's app with its API key on, as `rouse generate` writes it (vLLM: the
 * in-process guard), and the same config generated as for an engine whose server cannot
 * run an ASGI middleware (a third-party engine's): the transport guard's app.
 */
function generateApps(): { app: string; proxyApp: string } {
  const preset = findPreset("default");
  if (!preset) throw new Error("no default preset");
  const valid = validateConfig(preset.config);
  if (!valid.ok) throw new Error("the default preset does not validate");
  const proxied = installedEngines.map(
    (plugin): EnginePluginV1 => ({
      ...plugin,
      launch: (config, context) => plugin.launch(config, { ...context, asgiGuard: undefined }),
    }),
  );
  const files = { app: join(dir, "app.py"), proxyApp: join(dir, "app-proxy.py") };
  const asEmitted = renderApp(valid);
  const proxy = renderApp(valid, { plugins: proxied });
  if (asEmitted.plan.guard !== "in-process" || proxy.plan.guard !== "proxy")
    throw new Error(
      `guard bench: expected in-process and proxy guards, got ${asEmitted.plan.guard}, ${proxy.plan.guard}`,
    );
  writeFileSync(files.app, asEmitted.source);
  writeFileSync(files.proxyApp, proxy.source);
  return files;
}

/** Wheels of the ASGI stand-in's packages (the versions of the vLLM venv's) for the device. */
function downloadWheels(): void {
  const wheels = join(dir, "wheels");
  rmSync(wheels, { recursive: true, force: true });
  const platforms = [
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
  ];
  execFileSync(
    "python3",
    [
      "-m",
      "pip",
      "download",
      "--quiet",
      "--only-binary=:all:",
      `--python-version=${args["python-version"]}`,
      "--implementation=cp",
      ...platforms.map((p) => `--platform=${p}`),
      "--dest",
      wheels,
      "--requirement",
      join(import.meta.dirname, "requirements-asgi.txt"),
    ],
    { stdio: "inherit", timeout: 300_000 },
  );
  copyFileSync(join(import.meta.dirname, "requirements-asgi.txt"), join(wheels, "requirements-asgi.txt"));
}

/**
 * A Python for drive.py, the transport guard and the ASGI stand-in: a venv of this bench's
 * own (.cache/bench-guard/venv) with requirements-asgi.txt installed (uvloop like the
 * container's; uvicorn, starlette, httptools like vLLM's API server), made again when the
 * requirements change. GUARD_BENCH_PYTHON names another Python with those packages.
 */
function guardPython(): string {
  if (process.env.GUARD_BENCH_PYTHON) return process.env.GUARD_BENCH_PYTHON;
  const venv = join(ROOT, ".cache/bench-guard/venv");
  const python = join(venv, "bin/python");
  const requirements = readFileSync(join(import.meta.dirname, "requirements-asgi.txt"), "utf8");
  const stamp = join(venv, "requirements-asgi.txt");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === requirements) return python;
  execFileSync("python3", ["-m", "venv", "--clear", venv], { stdio: "inherit" });
  execFileSync(
    python,
    ["-m", "pip", "install", "--quiet", "--requirement", join(import.meta.dirname, "requirements-asgi.txt")],
    { stdio: "inherit", timeout: 300_000 },
  );
  writeFileSync(stamp, requirements);
  return python;
}

/** The commit the apps are generated at (with "+changes" when the tree differs from it). */
function commit(): string {
  const git = (...a: string[]) => execFileSync("git", a, { cwd: ROOT, encoding: "utf8" }).trim();
  try {
    return `${git("rev-parse", "HEAD")}${git("status", "--porcelain", "--untracked-files=no") ? "+changes" : ""}`;
  } catch {
    return "";
  }
}

buildGo();
const { app: appFile, proxyApp } = generateApps();
if (args["prepare-device"]) {
  downloadWheels();
  writeFileSync(join(dir, "commit.txt"), `${commit()}\n`);
  const mib = Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]) / 1024;
  console.log(
    `device files in ${dir} (${mib.toFixed(1)} MiB): standin, loadgen, app.py, app-proxy.py, wheels/`,
  );
  process.exit(0);
}
const raw = join(dir, "guard-raw.json");
const timing = args.quick ? ["--warmup=1", "--duration=2"] : ["--warmup=2", "--duration=6"];
// Besides the guard as emitted (one process), one process per core on one port; the same
// for the ASGI stand-in's server processes (vLLM's --api-server-count).
const perCore = Math.min(4, availableParallelism());
const spread = [`--workers=${perCore}`, `--asgi-servers=${perCore}`, `--repeats=${args.quick ? 1 : 3}`];
execFileSync(
  guardPython(),
  [
    join(import.meta.dirname, "drive.py"),
    `--bin=${dir}`,
    `--app=${appFile}`,
    `--proxy-app=${proxyApp}`,
    `--out=${raw}`,
    ...timing,
    ...spread,
    `--commit=${commit()}`,
  ],
  { stdio: "inherit", timeout: 1_200_000 },
);
const { json, md } = report({
  ...(JSON.parse(readFileSync(raw, "utf8")) as Raw),
});
mkdirSync(args.results, { recursive: true });
writeFileSync(join(args.results, "guard.json"), `${JSON.stringify(json, null, 2)}\n`);
writeFileSync(join(args.results, "guard.md"), md);
console.log(md.split("## Targets")[1]);
