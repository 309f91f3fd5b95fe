import { describe, expect, it } from "vitest";
import { ApiError, engineError, StreamError, RouseClientError, TimeoutError } from "./errors.ts";

describe("engineError", () => {
  it("reads the OpenAI / recent vLLM shape", () => {
    expect(
      engineError({ error: { message: "bad", type: "BadRequestError", param: null, code: 400 } }),
    ).toEqual({
      message: "bad",
      type: "BadRequestError",
      param: null,
      code: 400,
    });
  });
  it("reads older vLLM's bare error object", () => {
    expect(engineError({ object: "error", message: "bad", type: "x", code: 400 })?.message).toBe("bad");
  });
  it("reads string errors and FastAPI details", () => {
    expect(engineError({ error: "Unauthorized" })).toEqual({ message: "Unauthorized" });
    expect(engineError({ detail: "Not Found" })).toEqual({ message: "Not Found" });
    expect(engineError({ detail: [{ loc: ["body"], msg: "x" }] })?.message).toContain("body");
  });
  it("returns undefined for anything else", () => {
    expect(engineError("text")).toBeUndefined();
    expect(engineError({ choices: [] })).toBeUndefined();
    expect(engineError(null)).toBeUndefined();
  });
});

describe("error classes", () => {
  it("form one hierarchy with names, hints in the message, and fields", () => {
    const api = new ApiError("503 from x", {
      status: 503,
      body: { error: { message: "m" } },
      headers: {},
      hint: "wait",
    });
    expect(api).toBeInstanceOf(RouseClientError);
    expect(api.name).toBe("ApiError");
    expect(api.message).toBe("503 from x\nHint: wait");
    expect(api.error?.message).toBe("m");
    const timeout = new TimeoutError("slow", { phase: "idle", timeoutMs: 5 });
    expect([timeout.name, timeout.phase, timeout.timeoutMs]).toEqual(["TimeoutError", "idle", 5]);
    expect(new StreamError("s", { error: { error: { message: "oom" } } }).error?.message).toBe("oom");
  });
});
