import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeExit, spawnEngine } from "./engine-process.ts";
import { LogRing } from "./log-ring.ts";

/** Running (a killed orphan may linger as a zombie until something reaps it: that counts as gone). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0] !== "Z";
  } catch {
    return false;
  }
};

/** Polls until `pid` is gone (a busy machine may take a moment to deliver the kill). */
async function gone(pid: number, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe.skipIf(process.platform !== "linux")("spawnEngine (Linux: reads /proc)", () => {
  it("captures output, and stopping it ends the whole process group (workers included)", async () => {
    const logs = new LogRing(10);
    // A leader that forks a worker and prints its pid, like vLLM's API server and EngineCore.
    const proc = spawnEngine({
      argv: ["bash", "-c", "sleep 60 & echo worker $!; echo oops >&2; wait"],
      env: {},
      logs,
    });
    while (!logs.text().includes("worker")) await new Promise((r) => setTimeout(r, 10));
    const worker = Number(/worker (\d+)/.exec(logs.text())![1]);
    expect(alive(worker)).toBe(true);
    const exit = await proc.stop(2_000);
    expect(describeExit(exit)).toBe("signal SIGTERM");
    expect(await gone(worker)).toBe(true);
    expect(logs.tail().map((l) => `${l.stream}:${l.line}`)).toContain("stderr:oops");
  });

  it("a leader that dies takes its workers with it (no orphan keeps GPU memory)", async () => {
    const logs = new LogRing(10);
    const proc = spawnEngine({ argv: ["bash", "-c", "sleep 60 & echo worker $!; exit 3"], env: {}, logs });
    const exit = await proc.exited;
    expect(exit).toEqual({ code: 3, signal: null });
    const worker = Number(/worker (\d+)/.exec(logs.text())![1]);
    expect(await gone(worker)).toBe(true);
  });

  it("a process that cannot start reports why", async () => {
    const proc = spawnEngine({ argv: ["/nonexistent/engine"], env: {}, logs: new LogRing(5) });
    const exit = await proc.exited;
    expect(describeExit(exit)).toBe("could not start (ENOENT)");
    expect(proc.alive).toBe(false);
  });

  it("engines still running when this process exits are killed", async () => {
    // A child node process spawns an engine and exits without stopping it.
    const script = `
      import { spawnEngine } from ${JSON.stringify(new URL("./engine-process.ts", import.meta.url).pathname)};
      import { LogRing } from ${JSON.stringify(new URL("./log-ring.ts", import.meta.url).pathname)};
      const p = spawnEngine({ argv: ["sleep", "60"], env: {}, logs: new LogRing(5) });
      process.stdout.write(String(p.pid)); // not console.log: FORCE_COLOR would colour the number
      setTimeout(() => process.exit(0), 100);`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const pid = Number(run.stdout.trim());
    expect(pid, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });
});
