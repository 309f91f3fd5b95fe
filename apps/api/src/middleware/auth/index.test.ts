import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { errorResponse, GatewayError } from "../../errors.ts";
import { apiKeyAuth, isLoopbackAddress, type Principal, sha256Hex } from "./index.ts";

function app(opts: Parameters<typeof apiKeyAuth>[0]) {
  const a = new Hono<{ Variables: { principal: Principal } }>();
  a.onError((err) =>
    err instanceof GatewayError
      ? errorResponse(err)
      : err instanceof HTTPException
        ? err.getResponse()
        : new Response("boom", { status: 500 }),
  );
  a.use(apiKeyAuth(opts));
  a.get("/", (c) =>
    c.json({
      name: c.var.principal.name,
      models: c.var.principal.models ? [...c.var.principal.models] : null,
    }),
  );
  return a;
}

const keys = [
  { name: "alice", sha256: sha256Hex("sk-alice"), models: ["m1"] },
  { name: "bob", sha256: sha256Hex("sk-bob") },
];

describe("apiKeyAuth", () => {
  it("accepts any configured key and sets the principal", async () => {
    const a = app({ keys });
    const res = await a.request("/", { headers: { authorization: "Bearer sk-alice" } });
    expect(await res.json()).toEqual({ name: "alice", models: ["m1"] });
    const res2 = await a.request("/", { headers: { "x-api-key": "sk-bob" } });
    expect(await res2.json()).toEqual({ name: "bob", models: null });
  });

  it("rejects missing and wrong keys with OpenAI-style 401s", async () => {
    const a = app({ keys });
    const missing = await a.request("/");
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { type: "authentication_error", code: "missing_api_key" },
    });
    const wrong = await a.request("/", { headers: { authorization: "Bearer sk-eve" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe("Bearer");
    expect(await wrong.json()).toMatchObject({ error: { code: "invalid_api_key" } });
    // Any other scheme, or a token bearer-auth's grammar refuses, is a 401 too — never anonymous.
    for (const authorization of ["Basic c2stYm9i", "Bearer ", "Bearer sk bob", "bearer\tsk-bob"]) {
      const res = await a.request("/", { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { type: "authentication_error" } });
    }
  });

  it("lets keyless requests through only from loopback when allowed", async () => {
    let addr: string | undefined = "127.0.0.1";
    const a = app({ keys: [], allowNoAuthOnLoopback: true, remoteAddress: () => addr });
    expect(((await (await a.request("/")).json()) as { name: string }).name).toBe("anonymous");
    addr = "10.1.2.3";
    expect((await a.request("/")).status).toBe(401);
    const closed = app({ keys: [], allowNoAuthOnLoopback: false, remoteAddress: () => "127.0.0.1" });
    expect((await closed.request("/")).status).toBe(401);
  });

  it("knows loopback addresses", () => {
    expect(isLoopbackAddress("127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("::ffff:127.0.0.5")).toBe(true);
    expect(isLoopbackAddress("::1")).toBe(true);
    expect(isLoopbackAddress("192.168.1.2")).toBe(false);
    expect(isLoopbackAddress("::ffff:10.0.0.1")).toBe(false);
  });
});
