import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { errorResponse, GatewayError } from "../../errors.ts";
import { rateLimit } from "./index.ts";

describe("rateLimit", () => {
  it("allows a burst of the per-minute budget, then 429 with Retry-After, then refills", async () => {
    let t = 0;
    const a = new Hono();
    a.onError((err) =>
      err instanceof GatewayError ? errorResponse(err) : new Response("", { status: 500 }),
    );
    a.use(
      rateLimit({ limitFor: (c) => ({ key: c.req.header("k") ?? "x", requestsPerMinute: 3 }), now: () => t }),
    );
    a.get("/", (c) => c.text("ok"));
    for (let i = 0; i < 3; i++) expect((await a.request("/")).status).toBe(200);
    const limited = await a.request("/");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("20");
    expect(await limited.json()).toMatchObject({
      error: { type: "rate_limit_error", code: "rate_limit_exceeded" },
    });
    // Other keys have their own bucket.
    expect((await a.request("/", { headers: { k: "other" } })).status).toBe(200);
    t += 20_000;
    expect((await a.request("/")).status).toBe(200);
    expect((await a.request("/")).status).toBe(429);
  });

  it("skips requests without a limit", async () => {
    const a = new Hono();
    a.use(rateLimit({ limitFor: () => undefined }));
    a.get("/", (c) => c.text("ok"));
    for (let i = 0; i < 10; i++) expect((await a.request("/")).status).toBe(200);
  });
});
