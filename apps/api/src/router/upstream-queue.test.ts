import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { UpstreamQueue } from "./upstream-queue.ts";

const limits = { maxConcurrency: 2, maxWaiting: 2, maxQueuedBytes: 100, retryAfterSeconds: 3 };
const never = new AbortController().signal;
const timeout = () => new Error("timeout");

describe("UpstreamQueue", () => {
  it("hands slots out FIFO and refuses beyond the waiting count or bytes with 503 queue_full", async () => {
    const q = new UpstreamQueue("u", limits);
    expect(q.tryAcquire()).toBe(true);
    expect(q.tryAcquire()).toBe(true);
    expect(q.tryAcquire()).toBe(false);
    const order: string[] = [];
    const a = q.acquire(60, never, 10_000, timeout).then(() => order.push("a"));
    let err: unknown;
    try {
      await q.acquire(41, never, 10_000, timeout); // 60 + 41 > 100 bytes
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe("queue_full");
    expect((err as GatewayError).retryAfter).toBe(3);
    const b = q.acquire(40, never, 10_000, timeout).then(() => order.push("b"));
    expect(() => q.hold(0)).toThrow(/busy/); // 2 waiting already
    expect([q.waiting, q.waitingBytes, q.active]).toEqual([2, 100, 2]);
    q.release();
    q.release();
    await Promise.all([a, b]);
    expect(order).toEqual(["a", "b"]);
    expect([q.waiting, q.waitingBytes, q.active]).toEqual([0, 0, 2]);
  });

  it("gives the place back on abort and on timeout", async () => {
    const q = new UpstreamQueue("u", { ...limits, maxConcurrency: 1 });
    q.tryAcquire();
    const ac = new AbortController();
    const aborted = q.acquire(10, ac.signal, 10_000, timeout).catch((e: unknown) => e);
    const timedOut = q.acquire(10, never, 20, timeout).catch((e: unknown) => e);
    ac.abort(new Error("client gone"));
    expect(((await aborted) as Error).message).toBe("client gone");
    expect(((await timedOut) as Error).message).toBe("timeout");
    expect([q.waiting, q.waitingBytes, q.active]).toEqual([0, 0, 1]);
    q.release();
    expect(q.active).toBe(0);
  });

  it("never exceeds its bounds, whatever the sequence (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant("release" as const), fc.integer({ min: 0, max: 80 })), {
          maxLength: 60,
        }),
        async (ops) => {
          const q = new UpstreamQueue("u", limits);
          let held = 0;
          for (const op of ops) {
            if (op === "release") {
              if (held > 0) {
                held--;
                q.release();
              }
            } else if (q.tryAcquire()) held++;
            else {
              try {
                void q.acquire(op, never, 60_000, timeout).then(() => held++);
              } catch {
                // refused: over a bound
              }
            }
            await Promise.resolve();
            expect(q.active).toBeLessThanOrEqual(limits.maxConcurrency);
            expect(q.waiting).toBeLessThanOrEqual(limits.maxWaiting);
            expect(q.waitingBytes).toBeLessThanOrEqual(limits.maxQueuedBytes);
          }
          while (held > 0) {
            held--;
            q.release();
            await Promise.resolve();
            await Promise.resolve();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
