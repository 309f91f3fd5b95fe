import { describe, expect, it } from "vitest";
import { defaultCheckpointCommand, runCheckpoint, verdictOf } from "./cuda-checkpoint.ts";

describe("the CUDA checkpoint command's exit codes", () => {
  it("map to what the supervisor does (rouse_py.cuda_ckpt README, 'For the local runtime')", () => {
    const table = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99, null].map((c) => [
      c,
      c === null ? "error" : verdictOf(c),
    ]);
    expect(Object.fromEntries(table)).toEqual({
      0: "ok",
      2: "error",
      3: "unavailable",
      4: "error",
      5: "not-done",
      6: "not-done",
      7: "not-done",
      8: "broken",
      9: "not-done",
      10: "not-done",
      11: "no-room",
      12: "broken",
      99: "error",
      null: "error",
    });
  });

  it("defaults to python3 -m rouse_py.cuda_ckpt, replaceable with $ROUSE_CUDA_CKPT", () => {
    expect(defaultCheckpointCommand({}).argv).toEqual(["python3", "-m", "rouse_py.cuda_ckpt"]);
    expect(defaultCheckpointCommand({ ROUSE_CUDA_CKPT: " /opt/py -m rouse_py.cuda_ckpt " }).argv).toEqual([
      "/opt/py",
      "-m",
      "rouse_py.cuda_ckpt",
    ]);
  });

  it("a command that is not there is an error, not a hang", async () => {
    const result = await runCheckpoint({ argv: ["/nonexistent/python"] }, "state", { pid: process.pid });
    expect(result).toMatchObject({ exitCode: null, verdict: "error" });
    expect(result.detail).toContain("ENOENT");
  });
});
