#!/usr/bin/env node
// STAND-IN for `python -m rouse_py.cuda_ckpt` (python/src/rouse_py/cuda_ckpt): it
// takes no CUDA checkpoint. Same argv, `--json` report shape and exit codes, so
// the supervisor's suspend wiring runs without a GPU; instead of moving GPU
// memory it freezes the engine's process group (SIGSTOP) and rouses it (SIGCONT).
//
//   node cuda-ckpt-standin.ts {suspend,resume,state} --pid PID [--tree] [--json] [--parallel]
//        [--timeout-ms N] [--pre-suspend-http SPEC]... [--post-resume-http SPEC]...
// Env: ROUSE_CKPT_STANDIN_LOG      append each argv as a JSON line to this file
//      ROUSE_CKPT_STANDIN_DIR      where it keeps each pid's state (default: $TMPDIR/rouse-ckpt-standin)
//      ROUSE_CKPT_STANDIN_EXIT_<ACTION>=CODE[:N]   fail that action with CODE (3, 11, 12 …), the first N times
//      ROUSE_CKPT_STANDIN_FREEZE=0  only mark the pid checkpointed in its state file, without SIGSTOP, so a
//                                   stand-in engine run with --die-if-called-while-checkpointed can see (and
//                                   report) any call that reaches it while "checkpointed"
//      ROUSE_CKPT_STANDIN_DELAY_MS=N    take N ms per suspend/resume (a real checkpoint moves GBs)

import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KINDS: Record<number, string> = {
  3: "driver_unavailable",
  5: "lock_timeout",
  7: "step_failed",
  11: "insufficient_gpu_memory",
  12: "restore_failed",
};

function main(argv: string[]): number {
  const [action, ...rest] = argv;
  if (process.env.ROUSE_CKPT_STANDIN_LOG)
    appendFileSync(process.env.ROUSE_CKPT_STANDIN_LOG, `${JSON.stringify(argv)}\n`);
  const pidAt = rest.indexOf("--pid");
  const pid = Number(rest[pidAt + 1]);
  if (!action || !["suspend", "resume", "state"].includes(action) || pidAt < 0 || !Number.isInteger(pid)) {
    process.stderr.write("usage: cuda-ckpt-standin {suspend,resume,state} --pid PID [--tree] [--json]\n");
    return 2;
  }
  const out: Record<string, unknown> = {
    action,
    ok: false,
    root_pid: pid,
    driver: { driver_version: "standin" },
  };
  const fail = (code: number, message: string) => {
    out.error = { kind: KINDS[code] ?? "error", message };
    process.stderr.write(`rouse cuda_ckpt ${action}: ${KINDS[code] ?? "error"}: ${message}\n`);
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return code;
  };
  const dir = process.env.ROUSE_CKPT_STANDIN_DIR ?? join(tmpdir(), "rouse-ckpt-standin");
  mkdirSync(dir, { recursive: true });
  // CODE, or CODE:N to fail only the first N calls of this action for this pid.
  const [code, times] = (process.env[`ROUSE_CKPT_STANDIN_EXIT_${action.toUpperCase()}`] ?? "0")
    .split(":")
    .map(Number);
  if (code) {
    const counter = join(dir, `${pid}.${action}.failed`);
    let failed = 0;
    try {
      failed = Number(readFileSync(counter, "utf8"));
    } catch {}
    if (times === undefined || failed < times) {
      writeFileSync(counter, String(failed + 1));
      return fail(code, `stand-in told to fail ${action} with exit ${code}`);
    }
  }

  const stateFile = join(dir, `${pid}.json`);
  let state = "running";
  try {
    state = (JSON.parse(readFileSync(stateFile, "utf8")) as { state: string }).state;
  } catch {}
  try {
    process.kill(pid, 0);
  } catch {
    return fail(4, `no such process: ${pid}`);
  }
  const started = performance.now();
  // The engine counts as checkpointed from the start of a suspend to the end of a resume.
  const delay = Number(process.env.ROUSE_CKPT_STANDIN_DELAY_MS ?? 0);
  const pause = () => {
    if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
  };
  if (action === "suspend") {
    if (state !== "running") return fail(10, `tree is ${state}, not running`);
    if (process.env.ROUSE_CKPT_STANDIN_FREEZE !== "0") process.kill(-pid, "SIGSTOP");
    state = "checkpointed";
    writeFileSync(stateFile, JSON.stringify({ state }));
    pause();
  } else if (action === "resume") {
    pause();
    if (process.env.ROUSE_CKPT_STANDIN_FREEZE !== "0") process.kill(-pid, "SIGCONT");
    state = "running";
  }
  writeFileSync(stateFile, JSON.stringify({ state }));
  Object.assign(out, {
    ok: true,
    tree_state: state === "running" ? "running" : "suspended",
    final_states: { [pid]: state },
    timings_s: { total: (performance.now() - started) / 1000 },
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
