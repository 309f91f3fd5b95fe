import { describe, expect, it } from "vitest";
import { CrashPolicy } from "./crash-policy.ts";

describe("CrashPolicy", () => {
  it("backs off exponentially up to the cap, and gives up at maxCrashes within the window", () => {
    const p = new CrashPolicy({ initialDelayMs: 100, maxDelayMs: 500, maxCrashes: 6, windowMs: 60_000 });
    const verdicts = [0, 1, 2, 3, 4, 5].map((i) => p.crashed(i * 1000));
    expect(verdicts.map((v) => (v.action === "restart" ? v.delayMs : v.action))).toEqual([
      100,
      200,
      400,
      500,
      500,
      "fail",
    ]);
  });

  it("forgets crashes that left the window, and on reset", () => {
    const p = new CrashPolicy({ initialDelayMs: 100, maxDelayMs: 10_000, maxCrashes: 3, windowMs: 1_000 });
    p.crashed(0);
    p.crashed(500);
    expect(p.crashed(2_000)).toEqual({ action: "restart", delayMs: 100, crashesInWindow: 1 });
    p.crashed(2_100);
    expect(p.crashed(2_200).action).toBe("fail");
    p.reset();
    expect(p.crashed(2_300)).toMatchObject({ action: "restart", crashesInWindow: 1 });
  });
});
