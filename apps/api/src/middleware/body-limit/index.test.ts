import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { errorResponse, GatewayError } from "../../errors.ts";
import { bodyLimit } from "./index.ts";

function app(maxBytes: number) {
  const a = new Hono<{ Variables: { body: Buffer } }>();
  a.onError((err) =>
    err instanceof GatewayError ? errorResponse(err) : new Response(String(err), { status: 500 }),
  );
  a.post("/", bodyLimit({ maxBytes }), (c) => c.text(`${c.var.body.length}:${c.var.body.toString()}`));
  return a;
}

describe("bodyLimit", () => {
  it("buffers bodies within the limit", async () => {
    const res = await app(10).request("/", { method: "POST", body: "0123456789" });
    expect(await res.text()).toBe("10:0123456789");
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
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(4));
        controller.close();
      },
    });
    const res = await app(10).request("/", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
  });
});
