import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it } from "vitest";
import { accessLog, type RequestRecord } from "./index.ts";

describe("accessLog", () => {
  it("ends the record after the handler with its status", async () => {
    const seen: RequestRecord[] = [];
    const a = new Hono<{ Variables: { record: RequestRecord; requestId: string } }>();
    a.use(requestId());
    a.use(accessLog({ onEnd: (r) => seen.push(r) }));
    a.get("/x", (c) => {
      c.var.record.route = "/x";
      return c.text("hi", 201);
    });
    await a.request("/x", { headers: { "x-request-id": "r1" } });
    await a.request("/nope");
    expect(seen.map((r) => [r.id, r.route, r.status])).toEqual([
      ["r1", "/x", 201],
      [expect.any(String), "(unmatched)", 404],
    ]);
    expect(seen[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("calls onStart once per request, before the handler runs, even when the route is unknown", async () => {
    const events: string[] = [];
    const a = new Hono<{ Variables: { record: RequestRecord } }>();
    a.use(accessLog({ onStart: () => events.push("start"), onEnd: (r) => events.push(`end ${r.status}`) }));
    a.get("/x", (c) => {
      events.push("handler");
      return c.text("hi");
    });
    await a.request("/x");
    await a.request("/nope");
    expect(events).toEqual(["start", "handler", "end 200", "start", "end 404"]);
  });

  it("leaves deferred records to the handler", async () => {
    const seen: RequestRecord[] = [];
    let record: RequestRecord | undefined;
    const a = new Hono<{ Variables: { record: RequestRecord } }>();
    a.use(accessLog({ onEnd: (r) => seen.push(r) }));
    a.get("/s", (c) => {
      record = c.var.record;
      record.deferred = true;
      return c.text("streaming");
    });
    await a.request("/s");
    expect(seen).toHaveLength(0);
    record!.status = 200;
    record!.end();
    record!.end();
    expect(seen).toHaveLength(1);
  });
});
