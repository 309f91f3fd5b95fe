import { describe, expect, it } from "vitest";
import { WaitQueue } from "./wait-queue.ts";

describe("WaitQueue", () => {
  it("refuses beyond maxWaiting, but a released waiter may wait again without counting twice", async () => {
    const q = new WaitQueue({ maxWaiting: 2, maxWaitMs: 10_000 });
    const now = performance.now();
    const a = q.wait(now + 10_000, now, true);
    const b = q.wait(now + 10_000, now, true);
    expect(await q.wait(now + 10_000, now, true)).toBe("full");
    expect(q.size).toBe(2);
    q.releaseAll();
    expect(await Promise.all([a, b])).toEqual(["released", "released"]);
    expect(q.size).toBe(0);
    const again = q.wait(now + 10_000, performance.now(), false);
    expect(q.size).toBe(1);
    q.releaseAll();
    expect(await again).toBe("released");
  });

  it("ends at the deadline and on abort", async () => {
    const q = new WaitQueue({ maxWaiting: 5, maxWaitMs: 50 });
    const now = performance.now();
    expect(await q.wait(now + 30, now, true)).toBe("deadline");
    expect(await q.wait(now - 1, now, true)).toBe("deadline");
    const abort = new AbortController();
    const waiting = q.wait(performance.now() + 10_000, performance.now(), true, abort.signal);
    abort.abort();
    expect(await waiting).toBe("aborted");
    expect(q.size).toBe(0);
  });
});
