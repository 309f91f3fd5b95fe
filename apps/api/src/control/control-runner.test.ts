import { afterEach, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { ControlRunner } from "./control-runner.ts";

// The control worker is a real worker thread running @rouse/config and @rouse/engines.

let runner: ControlRunner | undefined;
afterEach(async () => {
  await runner?.close();
});

// Config parsing is linear and size-capped now, so no accepted input is slow; the slowest
// real job is rendering a config at the size limits: ~290 KB of env values to escape into
// Python (~20 ms warm on the 2-core CI machine), far past a 2 ms budget.
const env = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`BIG_${i}`, "x\\\"'".repeat(7_000)]));
const slowRender = JSON.stringify({
  config: { version: 1, model: { id: "org/m" }, engine: { kind: "vllm" }, env },
});

describe("ControlRunner", () => {
  it("validates and renders in the worker", async () => {
    runner = new ControlRunner({ timeoutMs: 30_000 });
    const v = await runner.run("validate", JSON.stringify({ preset: "default" }));
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true });
    const r = await runner.run("render", JSON.stringify({ preset: "default" }));
    expect(r.status).toBe(200);
    expect((r.body as { source: string }).source).toContain("modal");
    const bad = await runner.run("validate", "{not json");
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
  });

  it("stops a job past its budget with 503 control_timeout, then serves the next job on a new worker", async () => {
    runner = new ControlRunner({ timeoutMs: 30_000 });
    const err = await runner.run("render", slowRender, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe("control_timeout");
    expect((err as GatewayError).status).toBe(503);
    const next = await runner.run("validate", JSON.stringify({ preset: "default" }));
    expect(next.status).toBe(200);
  });

  it("refuses jobs beyond its queue with 503 control_busy", async () => {
    runner = new ControlRunner({ timeoutMs: 30_000, maxQueued: 1 });
    const first = runner.run("render", slowRender, 200).catch(() => undefined);
    const second = runner.run("validate", JSON.stringify({ preset: "default" })).catch(() => undefined);
    const third = await runner.run("validate", "{}").catch((e: unknown) => e);
    expect((third as GatewayError).code).toBe("control_busy");
    await Promise.all([first, second]);
  });
});
