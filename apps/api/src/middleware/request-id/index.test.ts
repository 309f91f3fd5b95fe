import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requestId } from "./index.ts";

function app() {
  const a = new Hono<{ Variables: { requestId: string } }>();
  a.use(requestId({ generate: () => "generated-1" }));
  a.get("/", (c) => c.text(c.var.requestId));
  a.get("/raw", () => new Response("raw"));
  return a;
}

describe("requestId", () => {
  it("keeps a safe client id and echoes it", async () => {
    const res = await app().request("/", { headers: { "x-request-id": "abc-123" } });
    expect(await res.text()).toBe("abc-123");
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });

  it("replaces a missing or unsafe id", async () => {
    const res = await app().request("/", { headers: { "x-request-id": "bad id\twith spaces" } });
    expect(await res.text()).toBe("generated-1");
    expect((await app().request("/")).headers.get("x-request-id")).toBe("generated-1");
  });

  it("sets the header on raw Responses too", async () => {
    const res = await app().request("/raw");
    expect(res.headers.get("x-request-id")).toBe("generated-1");
  });
});
