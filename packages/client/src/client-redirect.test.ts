import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type RouseClient } from "./client.ts";
import { RedirectError } from "./errors.ts";
import { fastRetry } from "./__fixtures__/helpers.ts";
import { type FakeEngine, startFakeEngine } from "./test-server.ts";

let engine: FakeEngine;
let other: FakeEngine;
let client: RouseClient;

beforeAll(async () => {
  engine = await startFakeEngine();
  other = await startFakeEngine();
  client = createClient({
    baseURL: engine.baseURL,
    apiKey: "sk-a",
    modalProxyAuth: { key: "wk", secret: "ws" },
    retry: fastRetry,
  });
});
afterAll(async () => {
  await client.close();
  await engine.close();
  await other.close();
});

const messages = [{ role: "user" as const, content: "a long one" }];

describe("Modal's 303 to a result URL", () => {
  it("is followed with GET, keeping auth on the same origin, across a chain of redirects", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "modalRedirect", hops: 3 });
    const completion = await client.chat.completions.create({ model: engine.model, messages });
    expect(completion.choices[0]?.message.content).toContain("Hello");
    const seen = engine.requests.slice(before);
    expect(seen.map((r) => r.method)).toEqual(["POST", "GET", "GET", "GET"]);
    expect(seen.slice(1).every((r) => r.url.includes("__modal_function_call_id=fc-"))).toBe(true);
    for (const request of seen) {
      expect(request.headers.authorization).toBe("Bearer sk-a");
      expect(request.headers["modal-key"]).toBe("wk");
    }
    expect(seen[1]?.headers["content-type"]).toBeUndefined();
    expect(completion.timing.redirects).toBe(3);
    // The engine's x-request-id wins over Modal's function call id.
    expect(completion.requestId).toMatch(/^req-/);
  });

  it("names the function call when the answer has no request id of its own", async () => {
    engine.enqueue({ kind: "modalRedirect", hops: 1 });
    const list = await client.models.list();
    expect(list.requestId).toMatch(/^fc-\d+$/);
  });

  it("works for streams too", async () => {
    engine.enqueue({ kind: "modalRedirect", hops: 2 });
    const stream = await client.chat.completions.create({ model: engine.model, messages, stream: true });
    expect(await stream.finalText()).toContain("Hello");
    expect(stream.timing.redirects).toBe(2);
  });

  it("a 503 on the result URL retries that URL, not the POST", async () => {
    const before = engine.requests.length;
    engine.enqueue({ kind: "modalRedirect", hops: 1 }, { kind: "status", status: 503 });
    await client.chat.completions.create({ model: engine.model, messages });
    expect(engine.requests.slice(before).map((r) => r.method)).toEqual(["POST", "GET", "GET"]);
  });

  it("the redirect cap is enforced and named in the error", async () => {
    engine.enqueue({ kind: "modalRedirect", hops: 10 });
    const error = (await client.chat.completions
      .create({ model: engine.model, messages }, { maxRedirects: 4 })
      .catch((e: unknown) => e)) as RedirectError;
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.maxRedirects).toBe(4);
    expect(error.redirects).toHaveLength(4);
    expect(error.message).toContain("Stopped after 4 redirects (maxRedirects = 4)");
    expect(error.hint).toMatch(/303/);
  });

  it("defaults to 20 redirects", async () => {
    engine.enqueue({ kind: "modalRedirect", hops: 20 });
    const ok = await client.chat.completions.create({ model: engine.model, messages });
    expect(ok.timing.redirects).toBe(20);
    engine.enqueue({ kind: "modalRedirect", hops: 21 });
    await expect(client.chat.completions.create({ model: engine.model, messages })).rejects.toMatchObject({
      name: "RedirectError",
      maxRedirects: 20,
    });
  });
});

describe("other redirects", () => {
  it("drop credentials when they leave the origin", async () => {
    const before = other.requests.length;
    engine.enqueue({ kind: "redirect", status: 302, location: `${other.baseURL}/models` });
    const list = await client.models.list();
    expect(list.data).toHaveLength(1);
    const request = other.requests[before]!;
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers["modal-key"]).toBeUndefined();
    expect(request.headers["modal-secret"]).toBeUndefined();
    expect(request.headers.accept).toBe("application/json");
  });

  it("307 keeps the method and the body", async () => {
    const before = other.requests.length;
    engine.enqueue({ kind: "redirect", status: 307, location: `${other.baseURL}/chat/completions` });
    const completion = await client.chat.completions.create({ model: engine.model, messages });
    expect(completion.object).toBe("chat.completion");
    const request = other.requests[before]!;
    expect(request.method).toBe("POST");
    expect(request.body).toMatchObject({ messages });
  });

  it("a relative Location resolves against the current URL", async () => {
    engine.enqueue({ kind: "redirect", status: 301, location: "/v1/models?moved=1" });
    const before = engine.requests.length;
    await client.models.list();
    expect(engine.requests.slice(before).map((r) => r.url)).toEqual(["/v1/models", "/v1/models?moved=1"]);
  });
});
