import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { errorResponse, GatewayError } from "../../errors.ts";
import { BodyBudget, bufferedBody } from "./index.ts";

function app(maxBytes: number, budget = new BodyBudget(1 << 20)) {
  const a = new Hono<{ Variables: { body: Buffer; releaseBody: () => void } }>();
  a.onError((err) =>
    err instanceof GatewayError ? errorResponse(err) : new Response(String(err), { status: 500 }),
  );
  a.post("/", bufferedBody({ maxBytes, budget }), (c) =>
    c.text(`${c.var.body.length}:${c.var.body.toString()}:${budget.used}`),
  );
  return a;
}

const stream = (chunks: number, size: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(size));
      controller.close();
    },
  });

describe("bufferedBody", () => {
  it("buffers bodies within the limit, holding their bytes in the budget until the handler is done", async () => {
    const budget = new BodyBudget(100);
    const res = await app(10, budget).request("/", { method: "POST", body: "0123456789" });
    expect(await res.text()).toBe("10:0123456789:10");
    expect(budget.used).toBe(0);
  });

  it("answers 413 with an OpenAI error from Content-Length", async () => {
    const res = await app(10).request("/", {
      method: "POST",
      body: "0123456789A",
      headers: { "content-length": "11" },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: "request_too_large", type: "invalid_request_error" },
    });
  });

  it("counts streamed bodies without Content-Length", async () => {
    const res = await app(10).request("/", {
      method: "POST",
      body: stream(5, 4),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("refuses with 503 overloaded when the shared budget is spent, from Content-Length or chunk by chunk", async () => {
    const budget = new BodyBudget(15);
    budget.reserve(10);
    const declared = await app(100, budget).request("/", {
      method: "POST",
      body: "0123456789",
      headers: { "content-length": "10" },
    });
    expect(declared.status).toBe(503);
    expect(declared.headers.get("retry-after")).toBe("5");
    expect(await declared.json()).toMatchObject({ error: { code: "overloaded" } });
    const chunked = await app(100, budget).request("/", {
      method: "POST",
      body: stream(4, 4),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(503);
    expect(budget.used).toBe(10);
  });
});
